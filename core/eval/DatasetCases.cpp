#include "core/api/ExecutionRequest.h"
#include "core/eval/Assertions.h"
#include "core/eval/DatasetSupport.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonParseError>

// Cases of a dataset: one case object checked against the target's signature, and the cases
// files (.jsonl, .csv) turned into case objects (docs/evaluations.md, "Cases").

namespace {

void add(QList<DatasetProblem> *problems, const QString &path, const QString &message)
{
    problems->append({ path, message });
}

const FieldSpec *fieldNamed(const QList<FieldSpec> &fields, const QString &name)
{
    for (const FieldSpec &f : fields)
        if (f.name == name)
            return &f;
    return nullptr;
}

QString namesOf(const QList<FieldSpec> &fields)
{
    QStringList names;
    for (const FieldSpec &f : fields)
        names.append(f.name);
    return names.join(QStringLiteral(", "));
}

void checkInputs(const EvalCase &c, const QString &path, const eval::detail::CaseRules &rules,
    QList<DatasetProblem> *problems)
{
    for (auto it = c.inputs.begin(); it != c.inputs.end(); ++it) {
        const QString p = path + QStringLiteral(".inputs.") + it.key();
        const FieldSpec *f = fieldNamed(rules.inputs, it.key());
        if (!f)
            add(problems, p, QStringLiteral("not an input of %1").arg(rules.owner));
        else if (const QString why = f->validate(it.value()); !why.isEmpty())
            add(problems, p, why);
    }
    for (auto it = c.upstream.begin(); rules.node && it != c.upstream.end(); ++it) {
        const QString p = path + QStringLiteral(".upstream.") + it.key();
        const FieldSpec *f = fieldNamed(rules.inputs, it.key());
        if (!f || !rules.edgeFed.contains(it.key()))
            add(problems, p,
                QStringLiteral("not an input an edge feeds into %1 (edge-fed: %2)")
                    .arg(rules.owner,
                        rules.edgeFed.isEmpty() ? QStringLiteral("none")
                                                : rules.edgeFed.join(QStringLiteral(", "))));
        else if (const QString why = f->validate(it.value()); !why.isEmpty())
            add(problems, p, why);
    }
    // Node in Context takes missing edge-fed inputs from the latest upstream run, so only a
    // whole agent or workflow has to give every required input here.
    if (rules.node)
        return;
    for (const FieldSpec &f : rules.inputs)
        if (f.required && !f.defaultValue && !c.inputs.contains(f.name))
            add(problems, path + QStringLiteral(".inputs"),
                QStringLiteral("missing input '%1' of %2").arg(f.name, rules.owner));
}

} // namespace

void eval::detail::checkOutputField(
    const EvalAssertion &a, const CaseRules &rules, QList<DatasetProblem> *problems)
{
    if (a.field.isEmpty() || rules.owner.isEmpty())
        return;
    const QString head = a.field.section(QLatin1Char('.'), 0, 0);
    if (!fieldNamed(rules.outputs, head))
        add(problems, a.path + QStringLiteral(".field"),
            QStringLiteral("%1 has no output '%2' (outputs: %3)")
                .arg(rules.owner, head, namesOf(rules.outputs)));
}

namespace eval::detail {

void checkJudgeRefs(
    const QJsonObject &o, const QString &path, const CaseRules &rules, QList<DatasetProblem> *problems)
{
    if (!rules.ws)
        return;
    if (o.value(u"agent").isString() && !rules.ws->agent(o.value(u"agent").toString())) {
        QStringList ids;
        for (const AgentSpec &a : rules.ws->agents)
            ids.append(a.id);
        add(problems, path + QStringLiteral(".agent"),
            QStringLiteral("unknown agent '%1' (known: %2)")
                .arg(o.value(u"agent").toString(), ids.join(QStringLiteral(", "))));
    }
    const QJsonObject model = o.value(u"model").toObject();
    if (o.contains(u"model") && o.value(u"model").isObject()) {
        if (!model.value(u"provider").isString())
            add(problems, path + QStringLiteral(".model.provider"), QStringLiteral("missing (required)"));
        else if (!rules.knownProviders.contains(model.value(u"provider").toString()))
            add(problems, path + QStringLiteral(".model.provider"),
                QStringLiteral("unknown provider '%1' (known: %2)")
                    .arg(model.value(u"provider").toString(),
                        rules.knownProviders.join(QStringLiteral(", "))));
        if (!model.value(u"name").isString())
            add(problems, path + QStringLiteral(".model.name"), QStringLiteral("missing (required)"));
    }
    if (o.contains(u"agent") && o.contains(u"model"))
        add(problems, path, QStringLiteral("a judge is an agent or a model, not both"));
}

EvalCase parseCase(
    const QJsonObject &o, const QString &path, const CaseRules &rules, QList<DatasetProblem> *problems)
{
    static const QStringList known = { QStringLiteral("id"), QStringLiteral("description"),
        QStringLiteral("inputs"), QStringLiteral("upstream"), QStringLiteral("metadata"),
        QStringLiteral("tool_overrides"), QStringLiteral("threshold"), QStringLiteral("assert") };
    EvalCase c;
    c.raw = o;
    for (auto it = o.begin(); it != o.end(); ++it)
        if (!known.contains(it.key()))
            add(problems, path + QLatin1Char('.') + it.key(),
                QStringLiteral("unknown key (known: %1)").arg(known.join(QStringLiteral(", "))));
    if (o.contains(u"id") && (!o.value(u"id").isString() || o.value(u"id").toString().isEmpty()))
        add(problems, path + QStringLiteral(".id"),
            QStringLiteral("expected a non-empty string, got %1").arg(describeJsonValue(o.value(u"id"))));
    c.id = o.value(u"id").toString();
    c.description = o.value(u"description").toString();
    for (const char *key : { "inputs", "upstream", "metadata", "tool_overrides" })
        if (o.contains(QLatin1String(key)) && !o.value(QLatin1String(key)).isObject())
            add(problems, path + QLatin1Char('.') + QLatin1String(key),
                QStringLiteral("expected an object, got %1")
                    .arg(describeJsonValue(o.value(QLatin1String(key)))));
    c.inputs = o.value(u"inputs").toObject();
    c.upstream = o.value(u"upstream").toObject();
    c.metadata = o.value(u"metadata").toObject();
    c.toolOverrides = o.value(u"tool_overrides").toObject();
    if (o.contains(u"upstream") && !rules.node)
        add(problems, path + QStringLiteral(".upstream"),
            QStringLiteral("only for a workflow node target (Node in Context)"));
    if (!rules.owner.isEmpty())
        checkInputs(c, path, rules, problems);
    for (auto it = c.toolOverrides.begin(); it != c.toolOverrides.end(); ++it)
        if (const QString why
            = toolOverrideProblem(path + QStringLiteral(".tool_overrides.") + it.key(), it.value());
            !why.isEmpty())
            add(problems, why.section(QLatin1String(": "), 0, 0), why.section(QLatin1String(": "), 1));
    c.threshold = readThreshold(o, path, problems);
    if (!c.threshold)
        c.threshold = rules.defaultThreshold;
    c.asserts = rules.defaults;
    if (o.contains(u"assert") && !o.value(u"assert").isArray())
        add(problems, path + QStringLiteral(".assert"), QStringLiteral("expected a list of assertions"));
    const QJsonArray list = o.value(u"assert").toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QString ap = path + QStringLiteral(".assert[%1]").arg(i);
        if (!list.at(i).isObject()) {
            add(problems, ap,
                QStringLiteral("expected an assertion object, got %1").arg(describeJsonValue(list.at(i))));
            continue;
        }
        const EvalAssertion a = eval::parseAssertion(list.at(i).toObject(), ap, nullptr, problems);
        checkOutputField(a, rules, problems);
        if (eval::isJudge(a))
            checkJudgeRefs(a.spec, ap, rules, problems);
        c.asserts.append(a);
    }
    c.raw.insert(QStringLiteral("$path"), path); // removed by the loader once ids are checked
    return c;
}

bool parseCsv(const QByteArray &bytes, QList<QStringList> *records, QList<int> *lines, QString *error)
{
    const QString text = QString::fromUtf8(bytes);
    QStringList record;
    QString field;
    bool quoted = false, fieldStarted = false;
    int line = 1, recordLine = 1;
    auto endRecord = [&] {
        record.append(field);
        if (!(record.size() == 1 && record.first().isEmpty() && !fieldStarted)) {
            records->append(record);
            lines->append(recordLine);
        }
        record.clear();
        field.clear();
        fieldStarted = false;
    };
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar ch = text.at(i);
        if (ch == u'\n')
            ++line;
        if (quoted) {
            if (ch == u'"' && i + 1 < text.size() && text.at(i + 1) == u'"') {
                field += u'"';
                ++i;
            } else if (ch == u'"') {
                quoted = false;
            } else {
                field += ch;
            }
        } else if (ch == u'"' && field.isEmpty()) {
            quoted = fieldStarted = true;
        } else if (ch == u',') {
            record.append(field);
            field.clear();
            fieldStarted = true;
        } else if (ch == u'\n' || ch == u'\r') {
            if (ch == u'\r' && i + 1 < text.size() && text.at(i + 1) == u'\n')
                continue; // the \n ends the record
            endRecord();
            recordLine = line;
        } else {
            field += ch;
            fieldStarted = true;
        }
    }
    if (quoted) {
        *error = QStringLiteral("unterminated quoted field (opened on line %1)").arg(recordLine);
        return false;
    }
    if (!field.isEmpty() || !record.isEmpty() || fieldStarted)
        endRecord();
    return true;
}

} // namespace eval::detail

namespace {

QList<EvalCase> casesFromJsonl(const QByteArray &bytes, const QString &name,
    const eval::detail::CaseRules &rules, QList<DatasetProblem> *problems)
{
    QList<EvalCase> out;
    const QList<QByteArray> lines = bytes.split('\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        if (line.isEmpty())
            continue;
        const QString where = QStringLiteral("%1:%2").arg(name).arg(i + 1);
        QJsonParseError e;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &e);
        if (e.error != QJsonParseError::NoError || !doc.isObject()) {
            add(problems, where,
                e.error != QJsonParseError::NoError
                    ? QStringLiteral("not JSON: %1 (column %2)").arg(e.errorString()).arg(e.offset + 1)
                    : QStringLiteral("expected a case object"));
            continue;
        }
        EvalCase c = eval::detail::parseCase(doc.object(), where + QStringLiteral(": $"), rules, problems);
        c.line = int(i + 1);
        out.append(c);
    }
    return out;
}

// promptfoo's CSV columns: input names, and __expected (an equals on the whole output),
// __description, __metadata:KEY.
QList<EvalCase> casesFromCsv(const QByteArray &bytes, const QString &name,
    const eval::detail::CaseRules &rules, QList<DatasetProblem> *problems)
{
    QList<QStringList> records;
    QList<int> lines;
    QString error;
    if (!eval::detail::parseCsv(bytes, &records, &lines, &error)) {
        add(problems, name, error);
        return {};
    }
    if (records.isEmpty()) {
        add(problems, name + QStringLiteral(":1"),
            QStringLiteral("no header row (the columns name the inputs)"));
        return {};
    }
    const QStringList header = records.first();
    for (const QString &column : header) {
        const bool special
            = column == u"__expected" || column == u"__description" || column.startsWith(u"__metadata:");
        if (column.startsWith(u"__") && !special)
            add(problems, QStringLiteral("%1:%2").arg(name).arg(lines.first()),
                QStringLiteral(
                    "column '%1' is not supported (known: __expected, __description, __metadata:KEY)")
                    .arg(column));
        else if (!special && !fieldNamed(rules.inputs, column))
            add(problems, QStringLiteral("%1:%2").arg(name).arg(lines.first()),
                QStringLiteral("column '%1' is not an input of %2").arg(column, rules.owner));
    }
    QList<EvalCase> out;
    for (qsizetype r = 1; r < records.size(); ++r) {
        const QString where = QStringLiteral("%1:%2").arg(name).arg(lines.at(r));
        const QStringList &row = records.at(r);
        if (row.size() != header.size()) {
            add(problems, where,
                QStringLiteral("expected %1 fields, got %2").arg(header.size()).arg(row.size()));
            continue;
        }
        QJsonObject o, inputs, metadata;
        for (qsizetype k = 0; k < header.size(); ++k) {
            const QString &column = header.at(k), &text = row.at(k);
            if (column == u"__expected" && !text.isEmpty())
                o.insert(QStringLiteral("assert"),
                    QJsonArray { QJsonObject { { QStringLiteral("type"), QStringLiteral("equals") },
                        { QStringLiteral("value"), text } } });
            else if (column == u"__description")
                o.insert(QStringLiteral("description"), text);
            else if (column.startsWith(u"__metadata:"))
                metadata.insert(column.mid(11), text);
            else if (const FieldSpec *f = fieldNamed(rules.inputs, column)) {
                if (text.isEmpty() && (f->defaultValue || !f->required || f->type != FieldType::Str))
                    continue; // an empty cell leaves the input out (its default applies)
                QString why;
                const auto v = f->fromText(text, &why);
                if (v)
                    inputs.insert(column, *v);
                else
                    add(problems, where + QStringLiteral(": $.inputs.") + column, why);
            }
        }
        o.insert(QStringLiteral("inputs"), inputs);
        if (!metadata.isEmpty())
            o.insert(QStringLiteral("metadata"), metadata);
        EvalCase c = eval::detail::parseCase(o, where + QStringLiteral(": $"), rules, problems);
        c.line = lines.at(r);
        out.append(c);
    }
    return out;
}

} // namespace

namespace eval::detail {

QList<EvalCase> casesFromFile(const QByteArray &bytes, const QString &name, const QString &filePath,
    const CaseRules &rules, QList<DatasetProblem> *problems)
{
    const QString suffix = QFileInfo(name).suffix().toLower();
    QList<EvalCase> out;
    if (suffix == u"jsonl")
        out = casesFromJsonl(bytes, name, rules, problems);
    else if (suffix == u"csv")
        out = casesFromCsv(bytes, name, rules, problems);
    else
        add(problems, QStringLiteral("$.cases_file"),
            QStringLiteral("expected a .jsonl or .csv file, got '%1'").arg(name));
    for (EvalCase &c : out)
        c.file = filePath;
    return out;
}

CasesLayout casesLayout(const QByteArray &json)
{
    CasesLayout out;
    int depth = 0, line = 1;
    bool inString = false, escaped = false, expectElement = false;
    qsizetype stringStart = -1;
    QByteArray lastString, key;
    bool inCases = false;
    for (qsizetype i = 0; i < json.size(); ++i) {
        const char ch = json.at(i);
        if (ch == '\n')
            ++line;
        if (inString) {
            if (escaped)
                escaped = false;
            else if (ch == '\\')
                escaped = true;
            else if (ch == '"') {
                inString = false;
                lastString = json.mid(stringStart, i - stringStart);
            }
            continue;
        }
        if (inCases && depth == 2 && expectElement && ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r'
            && ch != ']') {
            out.lines.append(line);
            out.starts.append(i);
            expectElement = false;
        }
        switch (ch) {
        case '"':
            inString = true;
            stringStart = i + 1;
            break;
        case ':':
            if (depth == 1)
                key = lastString;
            break;
        case ',':
            if (inCases && depth == 2)
                expectElement = true;
            break;
        case '[':
        case '{':
            if (depth == 1 && ch == '[' && key == "cases" && out.arrayEnd < 0) {
                inCases = true;
                expectElement = true;
            }
            ++depth;
            break;
        case ']':
        case '}':
            --depth;
            if (inCases && depth == 1) {
                out.arrayEnd = i;
                inCases = false;
            }
            if (depth == 0 && ch == '}')
                out.rootEnd = i;
            break;
        default:
            break;
        }
    }
    return out;
}

} // namespace eval::detail
