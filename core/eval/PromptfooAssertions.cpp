#include "core/common/Util.h"
#include "core/eval/PromptfooImport.h"
#include "core/model/PromptTemplate.h"

#include <QRegularExpression>

// promptfoo assertion types onto native ones (docs/promptfoo.md, "Assertions"). Everything is
// checked here, once per written assertion; ImportContext::render only fills placeholders per case.
namespace promptfoo::detail {

namespace {

enum class Shape {
    Text, // equals: any value
    Substring, // contains, icontains, starts-with: a non-empty string or number
    Substrings, // *-any, *-all: a list or a comma-separated string
    Regex,
    Json, // is-json, contains-json: an optional schema
    Levenshtein,
    Budget, // latency, cost: threshold only
    Judge, // llm-rubric, model-graded-closedqa, factuality
};

struct TypeInfo
{
    const char *name;
    const char *native;
    Shape shape;
    const char *extra = nullptr; // contains-any -> "any", icontains -> case, judges -> template
};

const QList<TypeInfo> &types()
{
    static const QList<TypeInfo> t = {
        { "equals", "equals", Shape::Text },
        { "contains", "contains", Shape::Substring },
        { "icontains", "icontains", Shape::Substring },
        { "starts-with", "starts_with", Shape::Substring },
        { "contains-any", "contains", Shape::Substrings, "any" },
        { "contains-all", "contains", Shape::Substrings, "all" },
        { "icontains-any", "icontains", Shape::Substrings, "any" },
        { "icontains-all", "icontains", Shape::Substrings, "all" },
        { "regex", "regex", Shape::Regex },
        { "is-json", "is_json", Shape::Json },
        { "contains-json", "is_json", Shape::Json, "extract" },
        { "levenshtein", "levenshtein", Shape::Levenshtein },
        { "latency", "max_latency_ms", Shape::Budget },
        { "cost", "max_cost_usd", Shape::Budget },
        { "llm-rubric", "judge", Shape::Judge, "rubric" },
        { "model-graded-closedqa", "judge", Shape::Judge, "closedqa" },
        { "factuality", "judge", Shape::Judge, "factuality" },
    };
    return t;
}

const TypeInfo *typeInfo(const QString &name)
{
    for (const TypeInfo &t : types())
        if (name == QLatin1String(t.name))
            return &t;
    return nullptr;
}

// promptfoo's list syntax for *-any/*-all: "a, b, \"c, d\"" -> a | b | c, d.
QStringList splitCommaList(const QString &text)
{
    QStringList out;
    QString current;
    bool quoted = false;
    for (const QChar c : text) {
        if (c == u'"') {
            quoted = !quoted;
        } else if (c == u',' && !quoted) {
            out.append(current.trimmed());
            current.clear();
        } else {
            current += c;
        }
    }
    out.append(current.trimmed());
    out.removeAll(QString());
    return out;
}

// A scalar as promptfoo stringifies it (String(value)).
QString scalarText(const QJsonValue &v)
{
    return v.isString() ? v.toString() : as::compactJson(v);
}

// Which keys each shape accepts besides type, weight and metric.
bool acceptsKey(Shape shape, const QString &key)
{
    if (key == u"value")
        return shape != Shape::Budget;
    if (key == u"threshold")
        return shape == Shape::Levenshtein || shape == Shape::Budget || shape == Shape::Judge;
    if (key == u"provider")
        return shape == Shape::Judge;
    return false;
}

// The type-specific part of one assertion: `value` (file:// already loaded), `threshold`,
// `provider` checked and written into *out. Returns false after reporting a problem.
class ValueMapper
{
public:
    ValueMapper(ImportContext &ctx, const Source &source, const QString &path, const QJsonObject &a)
        : m_ctx(ctx)
        , m_source(source)
        , m_path(path)
        , m_vp(join(path, QStringLiteral("value")))
        , m_a(a)
        , m_threshold(a.value(u"threshold"))
    {
    }

    bool map(const TypeInfo &info, QJsonValue value, QJsonObject *out);

private:
    void fail(const QJsonValue &value, const QString &why)
    {
        m_ctx.report(m_source, value.isUndefined() ? m_path : m_vp, why);
        m_ok = false;
    }
    bool templateOk(const QString &text)
    {
        if (!m_ctx.checkTemplate(m_source, m_vp, text))
            m_ok = false;
        return m_ok;
    }
    void substrings(const TypeInfo &info, const QJsonValue &value, QJsonObject *out);
    void regex(const QJsonValue &value, QJsonObject *out);
    void json(const TypeInfo &info, QJsonValue value, QJsonObject *out);
    void judge(const TypeInfo &info, const QJsonValue &value, QJsonObject *out);

    ImportContext &m_ctx;
    const Source &m_source;
    QString m_path, m_vp;
    const QJsonObject &m_a;
    QJsonValue m_threshold;
    bool m_ok = true;
};

void ValueMapper::substrings(const TypeInfo &info, const QJsonValue &value, QJsonObject *out)
{
    QStringList items;
    if (value.isString()) {
        items = splitCommaList(value.toString());
    } else if (value.isArray()) {
        for (const QJsonValue &item : value.toArray())
            if (item.isString() || item.isDouble())
                items.append(scalarText(item));
            else
                fail(value, QStringLiteral("expected a list of strings"));
    } else {
        fail(value,
            value.isUndefined() ? QStringLiteral("missing value")
                                : QStringLiteral("expected a list or a comma-separated string"));
    }
    if (m_ok && items.isEmpty())
        fail(value, QStringLiteral("must not be empty"));
    for (const QString &item : std::as_const(items))
        templateOk(item);
    out->insert(QStringLiteral("value"), QJsonArray::fromStringList(items));
    out->insert(QStringLiteral("match"), QLatin1String(info.extra));
}

void ValueMapper::regex(const QJsonValue &value, QJsonObject *out)
{
    if (!value.isString() || value.toString().isEmpty()) {
        fail(value,
            value.isUndefined() ? QStringLiteral("missing value") : QStringLiteral("expected a pattern"));
        return;
    }
    if (!templateOk(value.toString()))
        return;
    QString error;
    if (prompttemplate::placeholders(value.toString(), &error).isEmpty()) { // else checked per case
        const QRegularExpression re(value.toString());
        if (!re.isValid())
            fail(value,
                QStringLiteral("invalid regular expression: %1 at offset %2")
                    .arg(re.errorString())
                    .arg(re.patternErrorOffset()));
    }
    out->insert(QStringLiteral("value"), value);
}

void ValueMapper::json(const TypeInfo &info, QJsonValue value, QJsonObject *out)
{
    if (value.isString()) { // a schema written as YAML or JSON text
        Result<Source> schema = readYaml(value.toString().toUtf8(), m_source.name);
        if (!schema) {
            fail(value, QStringLiteral("not a JSON schema: ") + schema.error());
            return;
        }
        value = schema->value;
    }
    if (value.isObject()) {
        out->insert(QStringLiteral("type"), QStringLiteral("json_schema"));
        out->insert(QStringLiteral("schema"), value);
    } else if (!value.isUndefined() && !value.isNull()) {
        fail(value, QStringLiteral("expected a JSON schema object"));
    }
    if (info.extra)
        out->insert(QStringLiteral("extract"), true);
}

void ValueMapper::judge(const TypeInfo &info, const QJsonValue &value, QJsonObject *out)
{
    if (!value.isString() || value.toString().trimmed().isEmpty()) {
        fail(value,
            value.isUndefined() ? QStringLiteral("missing value")
                                : QStringLiteral("expected the rubric text"));
        return;
    }
    templateOk(value.toString());
    const QString kind = QLatin1String(info.extra);
    // factuality compares with a reference answer: the judge reads it as `expected` (the rubric,
    // required natively, names what is checked).
    out->insert(QStringLiteral("rubric"),
        kind == u"factuality" ? QStringLiteral("Factually consistent with the expected answer")
                              : value.toString());
    if (kind == u"factuality")
        out->insert(QStringLiteral("expected"), value);
    if (kind != u"rubric")
        out->insert(QStringLiteral("template"), kind);
    if (m_threshold.isDouble())
        out->insert(QStringLiteral("threshold"), m_threshold);
    if (m_a.contains(u"provider")) {
        const std::optional<QJsonObject> model
            = m_ctx.mapProvider(m_source, join(m_path, QStringLiteral("provider")), m_a.value(u"provider"));
        if (model)
            out->insert(QStringLiteral("model"), *model);
        else
            m_ok = false;
    }
}

bool ValueMapper::map(const TypeInfo &info, QJsonValue value, QJsonObject *out)
{
    if (value.isString() && value.toString().startsWith(QLatin1String("file://"))) {
        const std::optional<QJsonValue> loaded = m_ctx.loadValue(m_source, m_vp, value.toString());
        if (!loaded)
            return false;
        value = *loaded;
    }
    const bool missing = value.isUndefined() || value.isNull();
    switch (info.shape) {
    case Shape::Text:
        if (missing)
            fail(value, QStringLiteral("missing value"));
        else if (value.isObject() || value.isArray())
            out->insert(QStringLiteral("value"), value);
        else if (templateOk(scalarText(value)))
            out->insert(QStringLiteral("value"), scalarText(value));
        break;
    case Shape::Substring:
        if (missing)
            fail(value, QStringLiteral("missing value"));
        else if (!value.isString() && !value.isDouble())
            fail(value, QStringLiteral("expected a string or a number"));
        else if (scalarText(value).isEmpty())
            fail(value, QStringLiteral("must not be empty"));
        else if (templateOk(scalarText(value)))
            out->insert(QStringLiteral("value"), scalarText(value));
        break;
    case Shape::Substrings:
        substrings(info, value, out);
        break;
    case Shape::Regex:
        regex(value, out);
        break;
    case Shape::Json:
        json(info, value, out);
        break;
    case Shape::Levenshtein:
        if (!value.isString() && !value.isDouble())
            fail(value, missing ? QStringLiteral("missing value") : QStringLiteral("expected a string"));
        else if (templateOk(scalarText(value)))
            out->insert(QStringLiteral("value"), scalarText(value));
        out->insert(QStringLiteral("max_distance"), m_threshold.isDouble() ? m_threshold.toDouble() : 5.0);
        break;
    case Shape::Budget:
        if (m_threshold.isDouble())
            out->insert(QStringLiteral("value"), m_threshold);
        else if (m_threshold.isUndefined())
            fail(value,
                QStringLiteral("'%1' needs a threshold (%2)")
                    .arg(QLatin1String(info.name),
                        QLatin1String(info.native) == QLatin1String("max_latency_ms")
                            ? QStringLiteral("milliseconds")
                            : QStringLiteral("USD")));
        break;
    case Shape::Judge:
        judge(info, value, out);
        break;
    }
    return m_ok;
}

} // namespace

const QStringList &supportedAssertionTypes()
{
    static const QStringList names = [] {
        QStringList n;
        for (const TypeInfo &t : types())
            n.append(QLatin1String(t.name));
        return n;
    }();
    return names;
}

std::optional<MappedAssertion> ImportContext::mapAssertion(
    const Source &source, const QString &path, const QJsonValue &v)
{
    if (!v.isObject()) {
        report(source, path, QStringLiteral("expected an assertion object {type, value, …}"));
        return std::nullopt;
    }
    const QJsonObject a = v.toObject();
    const QString tp = join(path, QStringLiteral("type"));
    const QJsonValue typeValue = a.value(u"type");
    if (!typeValue.isString() || typeValue.toString().isEmpty()) {
        report(source, typeValue.isUndefined() ? path : tp,
            typeValue.isUndefined() ? QStringLiteral("missing type")
                                    : QStringLiteral("expected a type name"));
        return std::nullopt;
    }
    const QString written = typeValue.toString();
    const bool negate = written.startsWith(QLatin1String("not-"));
    const QString base = negate ? written.mid(4) : written;
    const TypeInfo *info = typeInfo(base);
    if (!info || (negate && info->shape == Shape::Budget)) {
        report(source, tp, QStringLiteral("'%1' is not supported").arg(written));
        return std::nullopt;
    }

    bool ok = true;
    for (auto it = a.begin(); it != a.end(); ++it) {
        const QString &k = it.key();
        if (k == u"type" || k == u"weight" || k == u"metric" || acceptsKey(info->shape, k))
            continue;
        report(source, join(path, k),
            k == u"threshold" ? QStringLiteral("not supported for '%1' (a pass/fail check)").arg(written)
                              : QStringLiteral("not supported"));
        ok = false;
    }

    QJsonObject out { { QStringLiteral("type"), QLatin1String(info->native) } };
    if (negate)
        out.insert(QStringLiteral("not"), true);
    if (const QJsonValue w = a.value(u"weight"); !w.isUndefined()) {
        if (w.isDouble() && w.toDouble() >= 0)
            out.insert(QStringLiteral("weight"), w);
        else {
            report(source, join(path, QStringLiteral("weight")), QStringLiteral("expected a number ≥ 0"));
            ok = false;
        }
    }
    if (const QJsonValue m = a.value(u"metric"); !m.isUndefined()) {
        if (m.isString())
            out.insert(QStringLiteral("metric"), m);
        else {
            report(source, join(path, QStringLiteral("metric")), QStringLiteral("expected a name"));
            ok = false;
        }
    }

    if (const QJsonValue t = a.value(u"threshold"); !t.isUndefined() && !t.isDouble()) {
        report(source, join(path, QStringLiteral("threshold")), QStringLiteral("expected a number"));
        ok = false;
    }
    if (!ValueMapper(*this, source, path, a).map(*info, a.value(u"value"), &out))
        ok = false;
    if (!ok)
        return std::nullopt;
    return out;
}

QJsonObject ImportContext::render(const MappedAssertion &a, const QJsonObject &vars)
{
    QJsonObject out = a;
    for (const QLatin1String key :
        { QLatin1String("value"), QLatin1String("rubric"), QLatin1String("expected") }) {
        const QJsonValue v = out.value(key);
        if (v.isString()) {
            out.insert(key, prompttemplate::render(v.toString(), vars));
        } else if (v.isArray() && out.contains(QLatin1String("match"))) {
            QJsonArray items;
            for (const QJsonValue &item : v.toArray())
                items.append(prompttemplate::render(item.toString(), vars));
            out.insert(key, items);
        }
    }
    return out;
}

} // namespace promptfoo::detail
