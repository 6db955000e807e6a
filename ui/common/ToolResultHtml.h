#pragma once

#include <QImage>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QUrl>

class QTextBrowser;

// How a tool result reads wherever it is shown (the trace's step details, the Tools panel, the
// test panel's live output): text blocks as text, structuredContent as indented JSON, image
// blocks as images (decoded from their base64 data), other blocks as JSON, and an error result
// in the error style. GUI thread (QImage decoding of images up to 4 MB only: see kMaxImageBytes).
namespace toolhtml {

struct Rendered
{
    QString html;
    // The images the html refers to by URL; apply() registers them with the document.
    QList<QPair<QUrl, QImage>> images;
};

// `result`: a ToolResult as JSON ({"content","structuredContent"?,"isError"}). `key` makes the
// image URLs unique per shown result (the step or call id).
Rendered result(const QJsonObject &result, const QString &key);
// Arguments of a call as indented JSON in a <pre>.
QString arguments(const QJsonObject &arguments);
// The heading + <pre> used for error text.
QString errorBlock(const QString &title, const QString &text);

// Sets `browser`'s document to `html` with `images` available to it.
void apply(QTextBrowser *browser, const QString &html, const QList<QPair<QUrl, QImage>> &images);

} // namespace toolhtml
