#include "ui/common/ToolResultHtml.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTextBrowser>

namespace toolhtml {

namespace {

// Bigger images are named, not decoded: selecting a step or a result never stalls the window.
constexpr qsizetype kMaxImageBytes = 4 * 1024 * 1024;
constexpr int kMaxTextChars = 200'000;

QString pre(const QString &text, const QString &style = {})
{
    QString t = text;
    if (t.size() > kMaxTextChars)
        t = t.left(kMaxTextChars)
            + QStringLiteral("\n… (%1 more characters)").arg(text.size() - kMaxTextChars);
    return QStringLiteral("<pre style='white-space:pre-wrap;margin:0;%1'>%2</pre>")
        .arg(style, t.toHtmlEscaped());
}

QString indented(const QJsonValue &v)
{
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Indented)).trimmed();
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Indented)).trimmed();
    return QString::fromUtf8(QJsonDocument(QJsonArray { v }).toJson(QJsonDocument::Compact))
        .mid(1)
        .chopped(1);
}

// The key as a URL path segment: letters, digits, '_' and '-' (anything else becomes '-').
QString safeKey(const QString &key)
{
    QString out = key;
    for (QChar &c : out)
        if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != u'_' && c != u'-')
            c = u'-';
    return out;
}

const QString kErrorStyle = QStringLiteral("color:#c0392b");

} // namespace

QString errorBlock(const QString &title, const QString &text)
{
    return QStringLiteral("<h4 style='margin:8px 0 2px 0;%1'>%2</h4>").arg(kErrorStyle, title.toHtmlEscaped())
        + pre(text, kErrorStyle);
}

QString arguments(const QJsonObject &arguments)
{
    return pre(indented(arguments));
}

Rendered result(const QJsonObject &result, const QString &key)
{
    Rendered out;
    const bool isError = result.value(u"isError").toBool();
    const QString textStyle = isError ? kErrorStyle : QString();
    if (isError)
        out.html += QStringLiteral("<p style='margin:2px 0;%1'><b>%2</b></p>")
                        .arg(kErrorStyle, QObject::tr("The tool returned an error."));
    const QJsonArray content = result.value(u"content").toArray();
    int imageNumber = 0;
    for (const QJsonValue &v : content) {
        const QJsonObject block = v.toObject();
        const QString type = block.value(u"type").toString();
        if (type == QLatin1String("text")) {
            out.html += pre(block.value(u"text").toString(), textStyle);
        } else if (type == QLatin1String("image")) {
            const QByteArray data = block.value(u"data").toString().toLatin1();
            const QString mime = block.value(u"mimeType").toString();
            QImage image;
            if (data.size() <= kMaxImageBytes * 4 / 3)
                image.loadFromData(QByteArray::fromBase64(data));
            if (image.isNull()) {
                out.html += pre(
                    QObject::tr("[image %1, %2 bytes: cannot be shown]").arg(mime).arg(data.size() * 3 / 4),
                    textStyle);
                continue;
            }
            const QUrl url(QStringLiteral("toolimage:%1/%2").arg(safeKey(key)).arg(imageNumber++));
            out.images.append({ url, image });
            // Tiny images (icons, test pixels) are scaled up so they can be seen.
            const int width = image.width() < 32 ? 32 : qMin(image.width(), 480);
            out.html += QStringLiteral("<p style='margin:4px 0'><img src='%1' width='%2' title='%3'></p>")
                            .arg(url.toString())
                            .arg(width)
                            .arg(QStringLiteral("%1 %2×%3")
                                     .arg(mime)
                                     .arg(image.width())
                                     .arg(image.height())
                                     .toHtmlEscaped());
        } else {
            out.html += pre(indented(block), textStyle);
        }
    }
    const QJsonValue structured = result.value(u"structuredContent");
    if (!structured.isUndefined() && !structured.isNull()) {
        out.html += QStringLiteral("<p style='margin:6px 0 0 0;color:#666'>%1</p>")
                        .arg(QObject::tr("Structured content"));
        out.html += pre(indented(structured), textStyle);
    }
    if (content.isEmpty() && (structured.isUndefined() || structured.isNull()))
        out.html += QStringLiteral("<p style='color:#666'>%1</p>").arg(QObject::tr("(empty result)"));
    return out;
}

void apply(QTextBrowser *browser, const QString &html, const QList<QPair<QUrl, QImage>> &images)
{
    QTextDocument *doc = browser->document();
    for (const auto &[url, image] : images)
        doc->addResource(QTextDocument::ImageResource, url, image);
    browser->setHtml(html);
}

} // namespace toolhtml
