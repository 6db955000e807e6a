#include "core/eval/PromptfooImport.h"

#include <QFileInfo>

// promptfoo test cases (docs/promptfoo.md, "Tests"): inline, from file:// yaml/json/jsonl/csv, or a
// list of both; vars loaded from file:// at import.
namespace promptfoo::detail {

namespace {

// RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks. Each record
// keeps the 1-based line it starts on.
struct CsvRecord
{
    QStringList fields;
    int line = 0;
};

QList<CsvRecord> parseCsv(const QString &text)
{
    QList<CsvRecord> records;
    CsvRecord current { {}, 1 };
    QString field;
    bool quoted = false, fieldStarted = false;
    int line = 1;
    auto endRecord = [&] {
        current.fields.append(field);
        if (!(current.fields.size() == 1 && current.fields.constFirst().isEmpty() && !fieldStarted))
            records.append(current);
        current = CsvRecord { {}, line };
        field.clear();
        fieldStarted = false;
    };
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (quoted) {
            if (c == u'"' && i + 1 < text.size() && text.at(i + 1) == u'"') {
                field += u'"';
                ++i;
            } else if (c == u'"') {
                quoted = false;
            } else {
                if (c == u'\n')
                    ++line;
                field += c;
            }
        } else if (c == u'"' && field.isEmpty()) {
            quoted = fieldStarted = true;
        } else if (c == u',') {
            current.fields.append(field);
            field.clear();
            fieldStarted = true;
        } else if (c == u'\n') {
            ++line;
            endRecord();
        } else if (c != u'\r') {
            field += c;
            fieldStarted = true;
        }
    }
    if (fieldStarted || !field.isEmpty() || !current.fields.isEmpty())
        endRecord();
    return records;
}

} // namespace

PartialTest ImportContext::readTest(
    const Source &source, const QString &path, const QJsonValue &v, bool isDefault)
{
    PartialTest t;
    t.source = &source;
    t.path = path;
    if (!v.isObject()) {
        report(source, path, QStringLiteral("expected a test case object {vars, assert, …}"));
        return t;
    }
    const QJsonObject o = v.toObject();
    static const QStringList known
        = { QStringLiteral("description"), QStringLiteral("vars"), QStringLiteral("assert"),
              QStringLiteral("threshold"), QStringLiteral("metadata"), QStringLiteral("options") };
    for (auto it = o.begin(); it != o.end(); ++it)
        if (!known.contains(it.key()))
            report(source, join(path, it.key()), QStringLiteral("not supported"));

    t.description = o.value(u"description").toString();
    if (o.contains(u"description") && !o.value(u"description").isString())
        report(source, join(path, QStringLiteral("description")), QStringLiteral("expected a string"));

    const QString op = join(path, QStringLiteral("options"));
    const QJsonValue options = o.value(u"options");
    if (!options.isUndefined() && !options.isObject())
        report(source, op, QStringLiteral("expected an object"));
    t.options = options.toObject();
    for (auto it = t.options.begin(); it != t.options.end(); ++it) {
        const QString kp = join(op, it.key());
        if (it.key() == u"provider") {
            if (const auto model = mapProvider(source, kp, it.value()))
                t.judgeModel = *model;
        } else if (it.key() == u"disableDefaultAsserts" || it.key() == u"disableVarExpansion") {
            if (!it.value().isBool())
                report(source, kp, QStringLiteral("expected true or false"));
            else if (isDefault && it.key() == u"disableDefaultAsserts")
                report(source, kp, QStringLiteral("not supported in defaultTest"));
        } else {
            report(source, kp, QStringLiteral("not supported"));
        }
    }

    // vars: an object (or a file:// document holding one); file:// values loaded.
    QString vp = join(path, QStringLiteral("vars"));
    QJsonValue vars = o.value(u"vars");
    const Source *varsSource = &source;
    if (vars.isString() && vars.toString().startsWith(QLatin1String("file://"))) {
        const std::optional<Source> doc = readDocument(source, vp, vars.toString());
        varsSource = doc ? keep(*doc) : &source;
        vars = doc ? doc->value : QJsonValue(QJsonObject());
        vp = QString();
    }
    if (!vars.isUndefined() && !vars.isObject()) {
        report(*varsSource, vp, QStringLiteral("expected an object of variables"));
        vars = QJsonObject();
    }
    const bool expandable = !t.options.value(u"disableVarExpansion").toBool();
    const QJsonObject written = vars.toObject();
    for (auto it = written.begin(); it != written.end(); ++it) {
        const QString kp = join(vp, it.key());
        QJsonValue value = it.value();
        if (value.isString() && value.toString().startsWith(QLatin1String("file://"))) {
            const std::optional<QJsonValue> loaded = loadValue(*varsSource, kp, value.toString());
            value = loaded ? *loaded : QJsonValue();
        } else if (value.isArray() && expandable) {
            report(*varsSource, kp,
                QStringLiteral("a list expands into one test per item in promptfoo, which is not supported "
                               "(options.disableVarExpansion: true passes the list as one value)"));
        }
        if (value.isString())
            checkTemplate(*varsSource, kp, value.toString());
        t.vars.insert(it.key(), value);
    }

    const QString ap = join(path, QStringLiteral("assert"));
    const QJsonValue asserts = o.value(u"assert");
    if (!asserts.isUndefined() && !asserts.isArray())
        report(source, ap, QStringLiteral("expected a list of assertions"));
    const QJsonArray list = asserts.toArray();
    for (qsizetype i = 0; i < list.size(); ++i)
        if (const auto mapped = mapAssertion(source, indexed(ap, i), list.at(i)))
            t.asserts.append(*mapped);

    if (const QJsonValue th = o.value(u"threshold"); th.isDouble())
        t.threshold = th.toDouble();
    else if (!th.isUndefined() && !th.isNull())
        report(source, join(path, QStringLiteral("threshold")), QStringLiteral("expected a number"));
    const QJsonValue metadata = o.value(u"metadata");
    if (!metadata.isUndefined() && !metadata.isObject())
        report(source, join(path, QStringLiteral("metadata")), QStringLiteral("expected an object"));
    t.metadata = metadata.toObject();
    return t;
}

QList<PartialTest> ImportContext::readTests(const Source &source, const QString &path, const QJsonValue &v)
{
    QList<PartialTest> out;
    if (v.isUndefined() || v.isNull())
        return out;
    if (v.isObject()) {
        report(source, path, QStringLiteral("test generators ({path, config}) are not supported"));
        return out;
    }
    if (v.isString()) {
        const QString ref = v.toString();
        if (!ref.startsWith(QLatin1String("file://"))) {
            report(source, path, QStringLiteral("expected a list of tests or a file:// reference"));
            return out;
        }
        const QString suffix = QFileInfo(ref.mid(7)).suffix().toLower();
        QString name;
        if (suffix == u"csv" || suffix == u"jsonl") {
            const std::optional<QByteArray> bytes = readFile(source, path, ref, &name);
            if (!bytes)
                return out;
            const QStringList lines = QString::fromUtf8(*bytes).split(QLatin1Char('\n'));
            if (suffix == u"jsonl") {
                for (qsizetype i = 0; i < lines.size(); ++i) {
                    if (lines.at(i).trimmed().isEmpty())
                        continue;
                    Result<Source> doc = readYaml(lines.at(i).toUtf8(), name, indexed(QString(), out.size()));
                    if (!doc) {
                        report(
                            source, path, QStringLiteral("%1:%2: %3").arg(name).arg(i + 1).arg(doc.error()));
                        continue;
                    }
                    for (auto &mark : doc->marks)
                        mark.first = int(i) + 1;
                    const Source *kept = keep(doc.take());
                    out.append(readTest(*kept, indexed(QString(), out.size()), kept->value, false));
                }
                return out;
            }
            return readCsv(source, path, *bytes, name);
        }
        if (suffix != u"yaml" && suffix != u"yml" && suffix != u"json") {
            report(source, path,
                QStringLiteral("'%1': test files must be .yaml, .yml, .json, .jsonl or .csv").arg(ref));
            return out;
        }
        const std::optional<Source> doc = readDocument(source, path, ref);
        if (!doc)
            return out;
        const Source *kept = keep(*doc);
        if (!kept->value.isArray()) {
            report(*kept, QString(), QStringLiteral("expected a list of test cases"));
            return out;
        }
        return readTests(*kept, QString(), kept->value);
    }
    const QJsonArray list = v.toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        if (list.at(i).isString())
            out.append(readTests(source, indexed(path, i), list.at(i)));
        else
            out.append(readTest(source, indexed(path, i), list.at(i), false));
    }
    return out;
}

QList<PartialTest> ImportContext::readCsv(
    const Source &source, const QString &path, const QByteArray &bytes, const QString &name)
{
    QList<PartialTest> out;
    const QList<CsvRecord> records = parseCsv(QString::fromUtf8(bytes));
    if (records.isEmpty())
        return out;
    Source doc;
    doc.name = name;
    const QStringList header = records.constFirst().fields;
    QStringList columns;
    for (qsizetype c = 0; c < header.size(); ++c) {
        const QString column = header.at(c).trimmed();
        if (column.startsWith(QLatin1String("__")) && column != u"__description")
            report(source, path, QStringLiteral("%1: column '%2' is not supported").arg(name, column));
        columns.append(column);
    }
    QList<QJsonObject> tests;
    for (qsizetype r = 1; r < records.size(); ++r) {
        const CsvRecord &rec = records.at(r);
        QJsonObject test, vars;
        const QString rp = indexed(QString(), r - 1);
        for (qsizetype c = 0; c < columns.size() && c < rec.fields.size(); ++c) {
            if (columns.at(c) == u"__description")
                test.insert(QStringLiteral("description"), rec.fields.at(c));
            else if (!columns.at(c).startsWith(QLatin1String("__")))
                vars.insert(columns.at(c), rec.fields.at(c));
        }
        doc.marks.insert(rp, { rec.line, 1 });
        for (auto it = vars.begin(); it != vars.end(); ++it)
            doc.marks.insert(join(join(rp, QStringLiteral("vars")), it.key()), { rec.line, 1 });
        if (rec.fields.size() != columns.size())
            report(doc, rp,
                QStringLiteral("%1 fields, the header has %2").arg(rec.fields.size()).arg(columns.size()));
        test.insert(QStringLiteral("vars"), vars);
        tests.append(test);
    }
    const Source *kept = keep(doc);
    for (qsizetype i = 0; i < tests.size(); ++i)
        out.append(readTest(*kept, indexed(QString(), i), tests.at(i), false));
    return out;
}

} // namespace promptfoo::detail
