#include "core/eval/Assertions.h"

#include "core/common/Util.h"
#include "core/eval/AssertSupport.h"
#include "core/model/JsonSchema.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QRegularExpression>

// Parsing and scoring of assertions (docs/evaluations.md, "Assertions" and "Scoring"). Pure
// functions: the eval runner calls them on its own thread, the UI on the GUI thread.

namespace {

QString kindOf(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::String:
        return QStringLiteral("a string");
    case QJsonValue::Double:
        return QStringLiteral("a number");
    case QJsonValue::Bool:
        return QStringLiteral("a boolean");
    case QJsonValue::Array:
        return QStringLiteral("a list");
    case QJsonValue::Object:
        return QStringLiteral("an object");
    default:
        return QStringLiteral("null");
    }
}

bool isWholeNumber(const QJsonValue &v)
{
    return v.isDouble() && std::floor(v.toDouble()) == v.toDouble();
}

// Reads the keys of one assertion object and reports what does not fit, each problem under
// the assertion's own path.
class Reader
{
public:
    Reader(const QJsonObject &o, const QString &path, QList<DatasetProblem> *problems)
        : m_o(o)
        , m_path(path)
        , m_problems(problems)
    {
    }

    void problem(const QString &key, const QString &message) const
    {
        if (m_problems)
            m_problems->append({ key.isEmpty() ? m_path : m_path + QLatin1Char('.') + key, message });
    }
    bool has(const char *key) const { return m_o.contains(QLatin1String(key)); }
    QJsonValue at(const char *key) const { return m_o.value(QLatin1String(key)); }
    bool need(const char *key) const
    {
        if (has(key))
            return true;
        problem(QLatin1String(key), QStringLiteral("missing (required)"));
        return false;
    }
    void wrongKind(const char *key, const QString &expected) const
    {
        problem(QLatin1String(key),
            QStringLiteral("expected %1, got %2").arg(expected, describeJsonValue(at(key))));
    }
    // A required or optional key of one JSON kind.
    bool string(const char *key, bool required) const
    {
        if (!has(key))
            return required ? need(key) : true;
        if (at(key).isString())
            return true;
        wrongKind(key, QStringLiteral("a string"));
        return false;
    }
    bool number(const char *key, bool required, double min = -std::numeric_limits<double>::infinity()) const
    {
        if (!has(key))
            return required ? need(key) : true;
        if (at(key).isDouble() && at(key).toDouble() >= min)
            return true;
        wrongKind(key, min == 0 ? QStringLiteral("a number ≥ 0") : QStringLiteral("a number"));
        return false;
    }
    bool integer(const char *key, bool required, int min) const
    {
        if (!has(key))
            return required ? need(key) : true;
        if (isWholeNumber(at(key)) && at(key).toDouble() >= min)
            return true;
        wrongKind(key, QStringLiteral("an integer ≥ %1").arg(min));
        return false;
    }
    bool boolean(const char *key) const
    {
        if (!has(key) || at(key).isBool())
            return true;
        wrongKind(key, QStringLiteral("true or false"));
        return false;
    }
    bool oneOf(const char *key, const QStringList &names) const
    {
        if (!has(key))
            return true;
        if (names.contains(at(key).toString()))
            return true;
        problem(QLatin1String(key),
            QStringLiteral("expected one of %1, got %2")
                .arg(names.join(QStringLiteral(", ")), describeJsonValue(at(key))));
        return false;
    }
    void regex(const char *key) const
    {
        const QRegularExpression re(at(key).toString());
        if (!re.isValid())
            problem(QLatin1String(key),
                QStringLiteral("invalid regular expression: %1 (at offset %2)")
                    .arg(re.errorString())
                    .arg(re.patternErrorOffset()));
    }

private:
    const QJsonObject &m_o;
    QString m_path;
    QList<DatasetProblem> *m_problems;
};

// Keywords of the schema an assertion checks: unknown ones are typos the validator would
// silently ignore, so they are load problems here (docs/evaluations.md, "json_schema").
void checkSchemaKeywords(const QJsonValue &schema, const QString &path, const Reader &r)
{
    if (!schema.isObject())
        return;
    const QJsonObject o = schema.toObject();
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QString &k = it.key();
        if (!eval::detail::schemaKeywords().contains(k)) {
            r.problem(path + QLatin1Char('.') + k, QStringLiteral("unknown JSON Schema keyword '%1'").arg(k));
            continue;
        }
        if (k == u"properties" || k == u"$defs" || k == u"definitions" || k == u"patternProperties") {
            const QJsonObject m = it.value().toObject();
            for (auto p = m.begin(); p != m.end(); ++p)
                checkSchemaKeywords(p.value(), path + QLatin1Char('.') + k + QLatin1Char('.') + p.key(), r);
        } else if (k == u"items" || k == u"additionalProperties") {
            checkSchemaKeywords(it.value(), path + QLatin1Char('.') + k, r);
        } else if (k == u"anyOf" || k == u"oneOf" || k == u"allOf") {
            const QJsonArray a = it.value().toArray();
            for (qsizetype i = 0; i < a.size(); ++i)
                checkSchemaKeywords(a.at(i), path + QLatin1Char('.') + k + QStringLiteral("[%1]").arg(i), r);
        }
    }
}

void checkValueTypes(const QString &type, const Reader &r)
{
    if (type == u"equals") {
        r.need("value");
    } else if (type == u"contains" || type == u"icontains") {
        if (r.need("value") && r.at("value").isArray() && r.at("value").toArray().isEmpty())
            r.wrongKind("value", QStringLiteral("a value or a non-empty list"));
        r.oneOf("match", { QStringLiteral("all"), QStringLiteral("any") });
    } else if (type == u"regex") {
        if (r.string("value", true))
            r.regex("value");
    } else if (type == u"starts_with") {
        r.string("value", true);
    } else if (type == u"levenshtein") {
        r.string("value", true);
        r.integer("max_distance", false, 0);
    } else if (type == u"one_of") {
        if (r.need("value") && (!r.at("value").isArray() || r.at("value").toArray().isEmpty()))
            r.wrongKind("value", QStringLiteral("a non-empty list"));
    } else if (type == u"between") {
        if (!r.has("min") && !r.has("max"))
            r.problem(QStringLiteral("min"), QStringLiteral("missing (between needs min, max or both)"));
        const bool ok = r.number("min", false) && r.number("max", false);
        if (ok && r.has("min") && r.has("max") && r.at("min").toDouble() > r.at("max").toDouble())
            r.problem(QStringLiteral("max"), QStringLiteral("is below min"));
    } else if (type == u"json_schema") {
        if (!r.need("schema"))
            return;
        if (!r.at("schema").isObject() && !r.at("schema").isBool()) {
            r.wrongKind("schema", QStringLiteral("an object"));
            return;
        }
        checkSchemaKeywords(r.at("schema"), QStringLiteral("schema"), r);
        for (const QString &p : JsonSchema(r.at("schema").toObject()).problems(QStringLiteral("schema")))
            r.problem(p.section(QLatin1String(": "), 0, 0), p.section(QLatin1String(": "), 1));
    } else if (type == u"status") {
        if (r.string("value", true))
            r.oneOf("value", wireNames<ExecutionStatus>());
    } else if (type == u"max_tool_calls" || type == u"max_tokens") {
        r.integer("value", true, 0);
    } else if (type == u"max_cost_usd" || type == u"max_latency_ms") {
        r.number("value", true, 0);
    }
}

void checkToolTypes(const QString &type, const Reader &r)
{
    if (type == u"tool_called") {
        if (!r.has("tool") && !r.has("pattern"))
            r.problem(QStringLiteral("tool"), QStringLiteral("missing (tool_called needs tool or pattern)"));
        r.string("tool", false);
        r.string("pattern", false);
        if (r.has("args") && !r.at("args").isObject())
            r.wrongKind("args", QStringLiteral("an object"));
        r.integer("times", false, 0);
        r.integer("min", false, 0);
        r.integer("max", false, 0);
        r.boolean("include_failed");
    } else if (type == u"trajectory") {
        r.oneOf("mode", { QStringLiteral("exact"), QStringLiteral("in_order"), QStringLiteral("any_order") });
        r.boolean("include_failed");
        if (!r.need("tools"))
            return;
        if (!r.at("tools").isArray()) {
            r.wrongKind("tools", QStringLiteral("a list of tool names or {\"tool\", \"args\"} objects"));
            return;
        }
        const QJsonArray tools = r.at("tools").toArray();
        for (qsizetype i = 0; i < tools.size(); ++i) {
            const QJsonValue t = tools.at(i);
            const QJsonObject o = t.toObject();
            const bool ok = t.isString()
                || (t.isObject() && (o.value(u"tool").isString() || o.value(u"pattern").isString())
                    && (!o.contains(u"args") || o.value(u"args").isObject()));
            if (!ok)
                r.problem(QStringLiteral("tools[%1]").arg(i),
                    QStringLiteral("expected a tool name or {\"tool\", \"args\"}, got %1")
                        .arg(describeJsonValue(t)));
        }
    } else if (type == u"judge") {
        if (r.need("rubric") && (!r.at("rubric").isString() || r.at("rubric").toString().trimmed().isEmpty()))
            r.wrongKind("rubric", QStringLiteral("a non-empty string"));
        r.string("agent", false);
        if (r.has("model") && !r.at("model").isObject())
            r.wrongKind("model", QStringLiteral("an object {\"provider\", \"name\"}"));
        r.integer("samples", false, 1);
        if (r.has("threshold")
            && (!r.at("threshold").isDouble() || r.at("threshold").toDouble() < 0
                || r.at("threshold").toDouble() > 1))
            r.wrongKind("threshold", QStringLiteral("a number between 0 and 1"));
        r.oneOf("template",
            { QStringLiteral("rubric"), QStringLiteral("closedqa"), QStringLiteral("factuality") });
    }
}

// The keys an assertion of `type` may have: a typo ("feild") would otherwise silently check
// something else (the whole output).
QStringList knownKeys(const QString &type)
{
    QStringList keys = { QStringLiteral("type"), QStringLiteral("value"), QStringLiteral("field"),
        QStringLiteral("not"), QStringLiteral("weight"), QStringLiteral("metric"), QStringLiteral("label") };
    if (type == u"contains" || type == u"icontains")
        keys << QStringLiteral("match");
    else if (type == u"levenshtein")
        keys << QStringLiteral("max_distance");
    else if (type == u"between")
        keys << QStringLiteral("min") << QStringLiteral("max");
    else if (type == u"json_schema")
        keys << QStringLiteral("schema") << QStringLiteral("extract");
    else if (type == u"is_json")
        keys << QStringLiteral("extract");
    else if (type == u"tool_called")
        keys << QStringLiteral("tool") << QStringLiteral("pattern") << QStringLiteral("args")
             << QStringLiteral("times") << QStringLiteral("min") << QStringLiteral("max")
             << QStringLiteral("include_failed");
    else if (type == u"trajectory")
        keys << QStringLiteral("tools") << QStringLiteral("mode") << QStringLiteral("include_failed");
    else if (type == u"judge")
        keys << QStringLiteral("rubric") << QStringLiteral("agent") << QStringLiteral("model")
             << QStringLiteral("samples") << QStringLiteral("threshold") << QStringLiteral("template");
    return keys;
}

bool takesField(const QString &type)
{
    static const QStringList types = { QStringLiteral("equals"), QStringLiteral("contains"),
        QStringLiteral("icontains"), QStringLiteral("regex"), QStringLiteral("one_of"),
        QStringLiteral("between"), QStringLiteral("is_json"), QStringLiteral("json_schema"),
        QStringLiteral("starts_with"), QStringLiteral("levenshtein"), QStringLiteral("judge") };
    return types.contains(type);
}

} // namespace

namespace eval {

const QStringList &assertionTypes()
{
    static const QStringList types
        = { QStringLiteral("equals"), QStringLiteral("contains"), QStringLiteral("icontains"),
              QStringLiteral("regex"), QStringLiteral("one_of"), QStringLiteral("between"),
              QStringLiteral("is_json"), QStringLiteral("json_schema"), QStringLiteral("starts_with"),
              QStringLiteral("levenshtein"), QStringLiteral("status"), QStringLiteral("tool_called"),
              QStringLiteral("trajectory"), QStringLiteral("max_tool_calls"), QStringLiteral("max_cost_usd"),
              QStringLiteral("max_latency_ms"), QStringLiteral("max_tokens"), QStringLiteral("judge") };
    return types;
}

bool isJudge(const EvalAssertion &a)
{
    return a.type == QLatin1String("judge");
}

EvalAssertion parseAssertion(const QJsonObject &o, const QString &path, const QList<FieldSpec> *outputs,
    QList<DatasetProblem> *problems)
{
    EvalAssertion a;
    a.spec = o;
    a.path = path;
    const Reader r(o, path, problems);
    a.type = o.value(QLatin1String("type")).toString();
    if (!o.contains(QLatin1String("type"))) {
        r.problem(QStringLiteral("type"),
            QStringLiteral("missing (known: %1)").arg(assertionTypes().join(QStringLiteral(", "))));
    } else if (!assertionTypes().contains(a.type)) {
        r.problem(QStringLiteral("type"),
            QStringLiteral("unknown assertion type %1 (known: %2)")
                .arg(o.value(QLatin1String("type")).isString()
                        ? QLatin1Char('\'') + a.type + QLatin1Char('\'')
                        : describeJsonValue(o.value(QLatin1String("type"))),
                    assertionTypes().join(QStringLiteral(", "))));
        a.type.clear();
    }
    if (!a.type.isEmpty()) {
        const QStringList known = knownKeys(a.type);
        for (auto it = o.begin(); it != o.end(); ++it)
            if (!known.contains(it.key()))
                r.problem(it.key(),
                    QStringLiteral("unknown key for %1 (known: %2)")
                        .arg(a.type, known.join(QStringLiteral(", "))));
    }
    if (r.string("field", false))
        a.field = o.value(QLatin1String("field")).toString();
    if (!a.field.isEmpty() && !a.type.isEmpty() && !takesField(a.type))
        r.problem(QStringLiteral("field"), QStringLiteral("%1 does not look at an output field").arg(a.type));
    if (!a.field.isEmpty() && outputs) {
        const QString head = a.field.section(QLatin1Char('.'), 0, 0);
        bool found = false;
        for (const FieldSpec &f : *outputs)
            found = found || f.name == head;
        if (!found)
            r.problem(QStringLiteral("field"), QStringLiteral("the output has no field '%1'").arg(head));
    }
    if (r.boolean("not"))
        a.negate = o.value(QLatin1String("not")).toBool();
    if (r.number("weight", false, 0))
        a.weight = o.value(QLatin1String("weight")).toDouble(1);
    if (r.string("metric", false))
        a.metric = o.value(QLatin1String("metric")).toString();
    if (r.string("label", false))
        a.label = o.value(QLatin1String("label")).toString();
    checkValueTypes(a.type, r);
    checkToolTypes(a.type, r);
    if (a.label.isEmpty()) {
        QString detail = a.field;
        if (a.type == u"tool_called")
            detail = o.value(QLatin1String("tool")).toString(o.value(QLatin1String("pattern")).toString());
        else if (a.type == u"trajectory")
            detail = o.value(QLatin1String("mode")).toString(QStringLiteral("in_order"));
        a.label = (a.negate ? QStringLiteral("not ") : QString())
            + (a.type.isEmpty() ? QStringLiteral("?") : a.type)
            + (detail.isEmpty() ? QString() : QLatin1Char('(') + detail + QLatin1Char(')'));
    }
    return a;
}

CaseVerdict verdict(const QList<AssertionOutcome> &outcomes, std::optional<double> threshold)
{
    CaseVerdict v;
    double weighted = 0, weights = 0;
    bool allPass = true;
    for (const AssertionOutcome &o : outcomes) {
        if (!o.error.isEmpty() && v.error.isEmpty()) {
            v.error = o.label + QStringLiteral(": ") + o.error;
            v.errorKind = o.errorKind.isEmpty() ? QStringLiteral("invalid") : o.errorKind;
        }
        if (o.weight <= 0)
            continue; // informational: neither moves the score nor fails the case
        weighted += o.score * o.weight;
        weights += o.weight;
        allPass = allPass && o.pass;
    }
    v.score = weights > 0 ? weighted / weights : 1;
    if (!v.error.isEmpty())
        v.outcome = EvalOutcome::Error;
    else if (threshold && !std::isnan(*threshold))
        v.outcome = v.score >= *threshold - 1e-12 ? EvalOutcome::Pass : EvalOutcome::Fail;
    else
        v.outcome = allPass ? EvalOutcome::Pass : EvalOutcome::Fail;
    return v;
}

} // namespace eval

namespace eval::detail {

const QStringList &schemaKeywords()
{
    static const QStringList keywords = { QStringLiteral("type"), QStringLiteral("properties"),
        QStringLiteral("required"), QStringLiteral("additionalProperties"),
        QStringLiteral("patternProperties"), QStringLiteral("items"), QStringLiteral("minItems"),
        QStringLiteral("maxItems"), QStringLiteral("enum"), QStringLiteral("const"),
        QStringLiteral("minimum"), QStringLiteral("maximum"), QStringLiteral("exclusiveMinimum"),
        QStringLiteral("exclusiveMaximum"), QStringLiteral("minLength"), QStringLiteral("maxLength"),
        QStringLiteral("pattern"), QStringLiteral("anyOf"), QStringLiteral("oneOf"), QStringLiteral("allOf"),
        QStringLiteral("$ref"), QStringLiteral("$defs"), QStringLiteral("definitions"),
        QStringLiteral("$schema"), QStringLiteral("$id"), QStringLiteral("$comment"), QStringLiteral("title"),
        QStringLiteral("description"), QStringLiteral("default"), QStringLiteral("examples"),
        QStringLiteral("format") };
    return keywords;
}

AssertionOutcome finish(const EvalAssertion &a, int index, const Check &c)
{
    AssertionOutcome out;
    out.index = index;
    out.type = a.type;
    out.label = a.label;
    out.weight = a.weight;
    out.metric = a.metric;
    if (!c.error.isEmpty()) {
        out.error = c.error;
        out.errorKind = QStringLiteral("invalid");
        out.reason = a.label + QStringLiteral(": ") + c.error;
        return out;
    }
    out.pass = a.negate ? !c.holds : c.holds;
    if (a.negate || c.score < 0)
        out.score = out.pass ? 1 : 0;
    else
        out.score = c.score;
    if (out.pass)
        out.reason = a.label + QStringLiteral(": got ") + c.got;
    else
        out.reason = a.label + QStringLiteral(": expected ") + (a.negate ? QStringLiteral("not ") : QString())
            + c.expected + QStringLiteral(", got ") + c.got;
    return out;
}

std::optional<QJsonValue> fieldValue(const QJsonObject &output, const QString &field)
{
    QJsonValue at = output;
    for (const QString &part : field.split(QLatin1Char('.'))) {
        bool isIndex = false;
        const int i = part.toInt(&isIndex);
        if (at.isObject() && at.toObject().contains(part))
            at = at.toObject().value(part);
        else if (at.isArray() && isIndex && i >= 0 && i < at.toArray().size())
            at = at.toArray().at(i);
        else
            return std::nullopt;
    }
    return at;
}

QString textOf(const QJsonValue &v)
{
    return v.isString() ? v.toString() : as::compactJson(v);
}

std::optional<QJsonValue> parseJsonText(const QString &text, QString *error)
{
    // QJsonDocument refuses top-level scalars; a list around the text accepts them and still
    // refuses trailing garbage.
    QJsonParseError e;
    const QByteArray wrapped = QByteArrayLiteral("[") + text.toUtf8() + QByteArrayLiteral("\n]");
    const QJsonDocument doc = QJsonDocument::fromJson(wrapped, &e);
    if (e.error != QJsonParseError::NoError || doc.array().size() != 1) {
        if (error)
            *error = e.error != QJsonParseError::NoError
                ? QStringLiteral("%1 at offset %2").arg(e.errorString()).arg(qMax(0, e.offset - 1))
                : QStringLiteral("not a single JSON value");
        return std::nullopt;
    }
    return doc.array().at(0);
}

} // namespace eval::detail

CaseObservation CaseObservation::fromRecord(
    const ExecutionRecord &record, const QList<FieldSpec> &outputSignature)
{
    CaseObservation o;
    o.executionId = record.id;
    o.status = toWire(record.status);
    o.errorMessage = record.errorMessage;
    o.errorCode = record.errorCode == ErrorCode::None ? QString() : toWire(record.errorCode);
    o.output = record.outputData;
    QString single;
    if (outputSignature.size() == 1 && outputSignature.first().type == FieldType::Str)
        single = outputSignature.first().name;
    else if (outputSignature.isEmpty() && o.output.size() == 1 && o.output.begin().value().isString())
        single = o.output.begin().key();
    o.outputText = !single.isEmpty() ? o.output.value(single).toString() : as::compactJson(o.output);
    o.latencyMs = record.executionTimeMs;
    o.tokens = record.inputTokens + record.outputTokens;
    o.costUsd = record.costUsd;
    QList<StepRecord> steps = record.steps;
    std::stable_sort(steps.begin(), steps.end(),
        [](const StepRecord &x, const StepRecord &y) { return x.stepNumber < y.stepNumber; });
    // A tool step belongs to the turn of the last llm step before it of the same agent run.
    QHash<QString, int> turnOf; // parent step + node -> turn of the latest llm step
    for (const StepRecord &s : std::as_const(steps)) {
        const QString scope = s.parentStepId + QLatin1Char('/') + s.nodeId;
        if (s.kind == StepKind::Llm) {
            turnOf[scope] = s.inputData.value(QLatin1String("turn")).toInt(turnOf.value(scope) + 1);
            o.cached = o.cached || s.outputData.value(QLatin1String("cached")).toBool();
        } else if (s.kind == StepKind::Tool) {
            o.toolCalls.append(
                { s.name, s.provider, s.inputData, s.status == StepStatus::Completed, turnOf.value(scope) });
        }
    }
    return o;
}
