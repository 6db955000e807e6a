#include "core/model/PromptTemplate.h"

#include "core/common/Util.h"

#include <QJsonValue>
#include <QRegularExpression>

namespace prompttemplate {

namespace {

QString excerpt(const QString &text, qsizetype from, qsizetype to)
{
    QString s = text.mid(from, to - from).simplified();
    if (s.size() > 40)
        s = s.left(37) + QStringLiteral("…");
    return s;
}

// Where a Nunjucks tag or comment starts (the first of "{%" and "{#"), or -1.
qsizetype firstTag(const QString &text, qsizetype from, QString *close)
{
    const qsizetype tag = text.indexOf(QLatin1String("{%"), from);
    const qsizetype comment = text.indexOf(QLatin1String("{#"), from);
    if (tag < 0 && comment < 0)
        return -1;
    const bool isTag = comment < 0 || (tag >= 0 && tag < comment);
    *close = isTag ? QStringLiteral("%}") : QStringLiteral("#}");
    return isTag ? tag : comment;
}

// Walks the placeholders; stops at the first problem.
template <typename Visit> bool walk(const QString &text, QString *error, Visit visit)
{
    static const QRegularExpression name(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_0-9]+)*$"));
    QString close;
    if (const qsizetype t = firstTag(text, 0, &close); t >= 0) {
        const qsizetype end = text.indexOf(close, t + 2);
        const QString what = excerpt(text, t, end < 0 ? text.size() : end + 2);
        *error = close == u"%}" ? QStringLiteral("'%1': Nunjucks tags are not supported").arg(what)
                                : QStringLiteral("'%1': Nunjucks comments are not supported").arg(what);
        return false;
    }
    qsizetype at = 0;
    while (true) {
        const qsizetype open = text.indexOf(QLatin1String("{{"), at);
        if (open < 0)
            return true;
        const qsizetype end = text.indexOf(QLatin1String("}}"), open + 2);
        if (end < 0) {
            *error = QStringLiteral("'{{' at offset %1 is never closed").arg(open);
            return false;
        }
        const QString inner = text.mid(open + 2, end - open - 2).trimmed();
        const QString what = excerpt(text, open, end + 2);
        if (inner.contains(QLatin1Char('|'))) {
            *error = QStringLiteral("'%1': filters are not supported").arg(what);
            return false;
        }
        if (!name.match(inner).hasMatch()) {
            *error = QStringLiteral("'%1': only {{ name }} and {{ name.key }} placeholders are supported")
                         .arg(what);
            return false;
        }
        visit(open, end + 2, inner);
        at = end + 2;
    }
}

QString valueText(const QJsonValue &v)
{
    if (v.isString())
        return v.toString();
    if (v.isNull() || v.isUndefined())
        return {};
    return as::compactJson(v);
}

QJsonValue lookup(const QJsonObject &values, const QString &path)
{
    const QStringList parts = path.split(QLatin1Char('.'));
    QJsonValue v = values.value(parts.constFirst());
    for (qsizetype i = 1; i < parts.size() && !v.isUndefined(); ++i) {
        if (v.isObject()) {
            v = v.toObject().value(parts.at(i));
        } else if (v.isArray()) {
            bool ok = false;
            const int index = parts.at(i).toInt(&ok);
            v = ok ? v.toArray().at(index) : QJsonValue(QJsonValue::Undefined);
        } else {
            v = QJsonValue(QJsonValue::Undefined);
        }
    }
    return v;
}

} // namespace

QList<Placeholder> placeholders(const QString &text, QString *error)
{
    QList<Placeholder> out;
    QString why;
    walk(text, &why, [&out](qsizetype, qsizetype, const QString &path) {
        out.append(Placeholder { path, path.section(QLatin1Char('.'), 0, 0) });
    });
    if (error)
        *error = why;
    return out;
}

QStringList roots(const QList<Placeholder> &placeholders)
{
    QStringList out;
    for (const Placeholder &p : placeholders)
        if (!out.contains(p.root))
            out.append(p.root);
    return out;
}

QString render(const QString &text, const QJsonObject &values)
{
    QString out;
    qsizetype copied = 0;
    QString error;
    const bool ok = walk(text, &error, [&](qsizetype from, qsizetype to, const QString &path) {
        out += QStringView(text).mid(copied, from - copied);
        out += valueText(lookup(values, path));
        copied = to;
    });
    if (!ok)
        return text;
    out += QStringView(text).mid(copied);
    return out;
}

} // namespace prompttemplate
