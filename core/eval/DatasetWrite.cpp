#include "core/common/Util.h"
#include "core/eval/DatasetSupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QSaveFile>

// Writing datasets: "Save as test case" appends one case to a dataset file and leaves every
// other byte of it as it was (docs/evaluations.md, "Save as test case"). Called off the GUI
// thread (file I/O).

namespace {

constexpr int kLineWidth = 100;

enum class Kind { Other, Case, Assertion };

QStringList keyOrder(Kind k)
{
    if (k == Kind::Case)
        return { QStringLiteral("id"), QStringLiteral("description"), QStringLiteral("inputs"),
            QStringLiteral("upstream"), QStringLiteral("metadata"), QStringLiteral("tool_overrides"),
            QStringLiteral("threshold"), QStringLiteral("assert") };
    if (k == Kind::Assertion)
        return { QStringLiteral("type"), QStringLiteral("field"), QStringLiteral("not"),
            QStringLiteral("value"), QStringLiteral("tool"), QStringLiteral("mode"),
            QStringLiteral("tools") };
    return {};
}

QStringList orderedKeys(const QJsonObject &o, Kind k)
{
    const QStringList preferred = keyOrder(k);
    QStringList keys;
    for (const QString &key : preferred)
        if (o.contains(key))
            keys.append(key);
    for (auto it = o.begin(); it != o.end(); ++it) // QJsonObject keys come sorted
        if (!preferred.contains(it.key()))
            keys.append(it.key());
    return keys;
}

Kind childKind(Kind k, const QString &key)
{
    return k == Kind::Case && key == u"assert" ? Kind::Assertion : Kind::Other;
}

QString inlineText(const QJsonValue &v, Kind k)
{
    if (v.isObject()) {
        const QJsonObject o = v.toObject();
        QStringList parts;
        for (const QString &key : orderedKeys(o, k))
            parts.append(as::compactJson(QJsonValue(key)) + QStringLiteral(": ")
                + inlineText(o.value(key), childKind(k, key)));
        return QLatin1Char('{') + parts.join(QStringLiteral(", ")) + QLatin1Char('}');
    }
    if (v.isArray()) {
        QStringList parts;
        for (const QJsonValue &item : v.toArray())
            parts.append(inlineText(item, k));
        return QLatin1Char('[') + parts.join(QStringLiteral(", ")) + QLatin1Char(']');
    }
    return as::compactJson(v);
}

void write(QString &out, const QJsonValue &v, Kind k, int indent, int used, bool open)
{
    const QString oneLine = inlineText(v, k);
    if ((!v.isObject() && !v.isArray()) || (!open && used + oneLine.size() <= kLineWidth)) {
        out += oneLine;
        return;
    }
    const QString pad(indent + 2, QLatin1Char(' '));
    const bool isObject = v.isObject();
    const QJsonObject o = v.toObject();
    const QJsonArray a = v.toArray();
    const QStringList keys = isObject ? orderedKeys(o, k) : QStringList();
    const qsizetype n = isObject ? keys.size() : a.size();
    if (n == 0) {
        out += oneLine;
        return;
    }
    out += isObject ? QStringLiteral("{\n") : QStringLiteral("[\n");
    for (qsizetype i = 0; i < n; ++i) {
        QString head = pad;
        if (isObject)
            head += as::compactJson(QJsonValue(keys.at(i))) + QStringLiteral(": ");
        out += head;
        write(out, isObject ? o.value(keys.at(i)) : a.at(i), isObject ? childKind(k, keys.at(i)) : k,
            indent + 2, int(head.size()) + 1, false);
        out += i + 1 < n ? QStringLiteral(",\n") : QStringLiteral("\n");
    }
    out += QString(indent, QLatin1Char(' ')) + (isObject ? QLatin1Char('}') : QLatin1Char(']'));
}

Result<void> writeAtomically(const QString &path, const QByteArray &bytes)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size() || !f.commit())
        return Failure { QStringLiteral("cannot write '%1': %2").arg(path, f.errorString()) };
    return {};
}

QString uniqueId(const QString &wanted, const QSet<QString> &taken)
{
    const QString base = wanted.isEmpty() ? QStringLiteral("case") : wanted;
    if (!taken.contains(base))
        return base;
    for (int n = 2;; ++n)
        if (const QString id = base + QLatin1Char('-') + QString::number(n); !taken.contains(id))
            return id;
}

} // namespace

namespace eval::detail {

QString formatDatasetJson(const QJsonValue &v, int indent, bool isCase)
{
    QString out;
    write(out, v, isCase ? Kind::Case : Kind::Other, indent, indent, isCase);
    return out;
}

} // namespace eval::detail

Result<QString> Dataset::appendCase(const QString &path, const QJsonObject &target, QJsonObject caseObject)
{
    QFile f(path);
    if (!f.exists()) {
        caseObject.insert(QStringLiteral("id"), uniqueId(caseObject.value(u"id").toString(), {}));
        const QString text
            = QStringLiteral("{\n  \"format\": \"agentstudio-eval/1\",\n  \"name\": %1,\n  \"target\": %2,\n "
                             " \"cases\": [\n    %3\n  ]\n}\n")
                  .arg(as::compactJson(QJsonValue(QFileInfo(path).completeBaseName().section(u'.', 0, 0))),
                      eval::detail::formatDatasetJson(target, 2, false),
                      eval::detail::formatDatasetJson(caseObject, 4, true));
        if (auto w = writeAtomically(path, text.toUtf8()); !w.ok())
            return Failure { w.error() };
        return caseObject.value(u"id").toString();
    }
    if (!f.open(QIODevice::ReadOnly))
        return Failure { QStringLiteral("cannot read '%1': %2").arg(path, f.errorString()) };
    const QByteArray bytes = f.readAll();
    f.close();
    QJsonParseError e;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &e);
    if (e.error != QJsonParseError::NoError || !doc.isObject())
        return Failure { QStringLiteral("%1: not a dataset (%2)")
                             .arg(path,
                                 e.error != QJsonParseError::NoError
                                     ? e.errorString()
                                     : QStringLiteral("expected a JSON object")) };
    const QJsonObject root = doc.object();
    if (root.contains(u"cases") && !root.value(u"cases").isArray())
        return Failure { QStringLiteral("%1: \"cases\" is not a list").arg(path) };
    QSet<QString> taken;
    for (const QJsonValue &c : root.value(u"cases").toArray())
        taken.insert(c.toObject().value(u"id").toString());
    // Ids of a JSONL cases file count too: the dataset loads both and refuses duplicates.
    if (const QString casesFile = root.value(u"cases_file").toString();
        casesFile.endsWith(u".jsonl", Qt::CaseInsensitive)) {
        QFile cf(QFileInfo(path).dir().filePath(casesFile));
        if (cf.open(QIODevice::ReadOnly))
            for (const QByteArray &line : cf.readAll().split('\n'))
                taken.insert(QJsonDocument::fromJson(line).object().value(u"id").toString());
    }
    caseObject.insert(QStringLiteral("id"), uniqueId(caseObject.value(u"id").toString(), taken));
    // Insert the text before the array's closing bracket (or add "cases" before the root's
    // closing brace), so every other key, case and byte stays as written.
    const eval::detail::CasesLayout layout = eval::detail::casesLayout(bytes);
    QByteArray out;
    if (layout.arrayEnd >= 0) {
        qsizetype end = layout.arrayEnd;
        while (end > 0 && QChar::isSpace(uchar(bytes.at(end - 1))))
            --end;
        const bool empty = layout.starts.isEmpty();
        out = bytes.left(end) + (empty ? "" : ",") + "\n    "
            + eval::detail::formatDatasetJson(caseObject, 4, true).toUtf8() + "\n  "
            + bytes.mid(layout.arrayEnd);
    } else if (layout.rootEnd >= 0) {
        qsizetype end = layout.rootEnd;
        while (end > 0 && QChar::isSpace(uchar(bytes.at(end - 1))))
            --end;
        const bool empty = root.isEmpty();
        out = bytes.left(end) + (empty ? "" : ",") + "\n  \"cases\": [\n    "
            + eval::detail::formatDatasetJson(caseObject, 4, true).toUtf8() + "\n  ]\n"
            + bytes.mid(layout.rootEnd);
    } else {
        return Failure { QStringLiteral("%1: cannot find the end of the dataset object").arg(path) };
    }
    if (auto w = writeAtomically(path, out); !w.ok())
        return Failure { w.error() };
    return caseObject.value(u"id").toString();
}
