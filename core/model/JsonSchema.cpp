#include "core/model/JsonSchema.h"

#include "core/model/FieldSpec.h"

#include <QHash>
#include <QJsonArray>
#include <QRegularExpression>
#include <QUrl>

#include <cmath>
#include <limits>

namespace {

// A $ref chain or a nesting deeper than this is taken as a cycle (a schema like {"$ref": "#"}
// would otherwise recurse for ever without consuming the value).
constexpr int kMaxDepth = 64;

const QStringList &typeNames()
{
    static const QStringList names = { QStringLiteral("string"), QStringLiteral("number"),
        QStringLiteral("integer"), QStringLiteral("boolean"), QStringLiteral("object"),
        QStringLiteral("array"), QStringLiteral("null") };
    return names;
}

QString typeLabel(const QString &type)
{
    if (type == u"integer")
        return QStringLiteral("an integer");
    if (type == u"object" || type == u"array")
        return QStringLiteral("an ") + type;
    if (type == u"null")
        return type;
    return QStringLiteral("a ") + type;
}

// "a string", "a string or null", "a string, a number or null".
QString typeList(const QStringList &types)
{
    QStringList labels;
    for (const QString &t : types)
        labels.append(typeLabel(t));
    if (labels.size() < 2)
        return labels.value(0);
    const QString last = labels.takeLast();
    return labels.join(QStringLiteral(", ")) + QStringLiteral(" or ") + last;
}

bool isInteger(const QJsonValue &v)
{
    if (!v.isDouble())
        return false;
    const double d = v.toDouble();
    return std::isfinite(d) && std::floor(d) == d;
}

bool hasType(const QJsonValue &v, const QString &type)
{
    if (type == u"string")
        return v.isString();
    if (type == u"number")
        return v.isDouble();
    if (type == u"integer")
        return isInteger(v);
    if (type == u"boolean")
        return v.isBool();
    if (type == u"object")
        return v.isObject();
    if (type == u"array")
        return v.isArray();
    if (type == u"null")
        return v.isNull();
    return true; // unknown names are reported by problems(), not by every value
}

// The "type" keyword as a list (empty when absent or unusable).
QStringList typesOf(const QJsonObject &schema)
{
    const QJsonValue t = schema.value(u"type");
    if (t.isString())
        return { t.toString() };
    QStringList out;
    for (const QJsonValue &v : t.toArray())
        if (v.isString())
            out.append(v.toString());
    return out;
}

QString number(double d)
{
    return describeJsonValue(QJsonValue(d));
}

qsizetype codePoints(const QString &s)
{
    return s.toUcs4().size();
}

// A local reference ("#", "#/$defs/a", "#/definitions/a~1b") inside `root`; nullopt when it
// names nothing or points elsewhere.
std::optional<QJsonValue> resolveRef(const QJsonObject &root, const QString &ref)
{
    if (!ref.startsWith(QLatin1Char('#')))
        return std::nullopt;
    QJsonValue at = root;
    const QString pointer = QUrl::fromPercentEncoding(ref.mid(1).toUtf8());
    if (pointer.isEmpty())
        return at;
    if (!pointer.startsWith(QLatin1Char('/')))
        return std::nullopt;
    for (QString token : pointer.mid(1).split(QLatin1Char('/'))) {
        token.replace(QStringLiteral("~1"), QStringLiteral("/"))
            .replace(QStringLiteral("~0"), QStringLiteral("~"));
        if (at.isObject() && at.toObject().contains(token)) {
            at = at.toObject().value(token);
        } else if (at.isArray()) {
            bool ok = false;
            const int i = token.toInt(&ok);
            if (!ok || i < 0 || i >= at.toArray().size())
                return std::nullopt;
            at = at.toArray().at(i);
        } else {
            return std::nullopt;
        }
    }
    return at;
}

// --- Validation ------------------------------------------------------------------------------

class Validator
{
public:
    explicit Validator(const QJsonObject &root)
        : m_root(root)
    {
    }

    void check(const QJsonValue &schema, const QJsonValue &value, const QString &path, int depth,
        QStringList &out) const;

private:
    bool fits(const QJsonValue &schema, const QJsonValue &value, const QString &path, int depth,
        QStringList *why = nullptr) const
    {
        QStringList problems;
        check(schema, value, path, depth, problems);
        if (why)
            *why = problems;
        return problems.isEmpty();
    }
    void checkNumber(const QJsonObject &s, double v, const QString &path, QStringList &out) const;
    void checkString(const QJsonObject &s, const QString &v, const QString &path, QStringList &out) const;
    void checkArray(
        const QJsonObject &s, const QJsonArray &v, const QString &path, int depth, QStringList &out) const;
    void checkObject(
        const QJsonObject &s, const QJsonObject &v, const QString &path, int depth, QStringList &out) const;
    void checkCombinators(
        const QJsonObject &s, const QJsonValue &v, const QString &path, int depth, QStringList &out) const;

    const QJsonObject &m_root;
};

void Validator::check(
    const QJsonValue &schema, const QJsonValue &value, const QString &path, int depth, QStringList &out) const
{
    if (schema.isBool()) {
        if (!schema.toBool())
            out.append(path + QStringLiteral(": not allowed here"));
        return;
    }
    if (depth > kMaxDepth) {
        out.append(path + QStringLiteral(": the schema nests too deeply (a $ref cycle?)"));
        return;
    }
    const QJsonObject s = schema.toObject();
    if (const QJsonValue ref = s.value(u"$ref"); ref.isString()) {
        if (const std::optional<QJsonValue> target = resolveRef(m_root, ref.toString()))
            check(*target, value, path, depth + 1, out);
        else
            out.append(path + QStringLiteral(": the schema's $ref '%1' names nothing").arg(ref.toString()));
    }
    const QStringList types = typesOf(s);
    if (!types.isEmpty()) {
        bool ok = false;
        for (const QString &t : types)
            ok = ok || hasType(value, t);
        if (!ok) {
            out.append(path
                + QStringLiteral(": expected %1, got %2").arg(typeList(types), describeJsonValue(value)));
            return; // the type-specific keywords below would only repeat it
        }
    }
    if (const QJsonValue e = s.value(u"enum"); e.isArray()) {
        bool found = false;
        QStringList choices;
        for (const QJsonValue &c : e.toArray()) {
            found = found || jsonValuesEqual(c, value);
            choices.append(describeJsonValue(c));
        }
        if (!found)
            out.append(path
                + QStringLiteral(": expected one of %1, got %2")
                      .arg(choices.join(QStringLiteral(", ")), describeJsonValue(value)));
    }
    if (s.contains(u"const") && !jsonValuesEqual(s.value(u"const"), value))
        out.append(path
            + QStringLiteral(": expected %1, got %2")
                  .arg(describeJsonValue(s.value(u"const")), describeJsonValue(value)));
    if (value.isDouble())
        checkNumber(s, value.toDouble(), path, out);
    else if (value.isString())
        checkString(s, value.toString(), path, out);
    else if (value.isArray())
        checkArray(s, value.toArray(), path, depth, out);
    else if (value.isObject())
        checkObject(s, value.toObject(), path, depth, out);
    checkCombinators(s, value, path, depth, out);
}

void Validator::checkNumber(const QJsonObject &s, double v, const QString &path, QStringList &out) const
{
    const QJsonValue min = s.value(u"minimum"), max = s.value(u"maximum");
    const QJsonValue exMin = s.value(u"exclusiveMinimum"), exMax = s.value(u"exclusiveMaximum");
    if (min.isDouble()) {
        const bool exclusive = exMin.isBool() && exMin.toBool(); // draft 4
        if (exclusive ? v <= min.toDouble() : v < min.toDouble())
            out.append(path
                + QStringLiteral(": expected %1 %2, got %3")
                      .arg(exclusive ? QStringLiteral("more than") : QStringLiteral("at least"),
                          number(min.toDouble()), number(v)));
    }
    if (max.isDouble()) {
        const bool exclusive = exMax.isBool() && exMax.toBool();
        if (exclusive ? v >= max.toDouble() : v > max.toDouble())
            out.append(path
                + QStringLiteral(": expected %1 %2, got %3")
                      .arg(exclusive ? QStringLiteral("less than") : QStringLiteral("at most"),
                          number(max.toDouble()), number(v)));
    }
    if (exMin.isDouble() && v <= exMin.toDouble())
        out.append(path
            + QStringLiteral(": expected more than %1, got %2").arg(number(exMin.toDouble()), number(v)));
    if (exMax.isDouble() && v >= exMax.toDouble())
        out.append(path
            + QStringLiteral(": expected less than %1, got %2").arg(number(exMax.toDouble()), number(v)));
}

void Validator::checkString(
    const QJsonObject &s, const QString &v, const QString &path, QStringList &out) const
{
    const qsizetype length = codePoints(v);
    if (const QJsonValue min = s.value(u"minLength"); min.isDouble() && length < min.toDouble())
        out.append(
            path + QStringLiteral(": expected at least %1 characters, got %2").arg(min.toInt()).arg(length));
    if (const QJsonValue max = s.value(u"maxLength"); max.isDouble() && length > max.toDouble())
        out.append(
            path + QStringLiteral(": expected at most %1 characters, got %2").arg(max.toInt()).arg(length));
    if (const QJsonValue p = s.value(u"pattern"); p.isString()) {
        const QRegularExpression re(p.toString());
        if (re.isValid() && !re.match(v).hasMatch())
            out.append(path
                + QStringLiteral(": %1 does not match the pattern %2")
                      .arg(describeJsonValue(v), describeJsonValue(p)));
    }
}

void Validator::checkArray(
    const QJsonObject &s, const QJsonArray &v, const QString &path, int depth, QStringList &out) const
{
    const qsizetype n = v.size();
    if (const QJsonValue min = s.value(u"minItems"); min.isDouble() && n < min.toDouble())
        out.append(path
            + QStringLiteral(": expected at least %1 item%2, got %3")
                  .arg(min.toInt())
                  .arg(min.toInt() == 1 ? QString() : QStringLiteral("s"))
                  .arg(n));
    if (const QJsonValue max = s.value(u"maxItems"); max.isDouble() && n > max.toDouble())
        out.append(path
            + QStringLiteral(": expected at most %1 item%2, got %3")
                  .arg(max.toInt())
                  .arg(max.toInt() == 1 ? QString() : QStringLiteral("s"))
                  .arg(n));
    const QJsonValue items = s.value(u"items");
    if (items.isObject() || items.isBool()) {
        for (qsizetype i = 0; i < n; ++i)
            check(items, v.at(i), JsonSchema::indexPath(path, i), depth + 1, out);
    } else if (items.isArray()) { // draft-7 tuple form
        const QJsonArray tuple = items.toArray();
        for (qsizetype i = 0; i < n && i < tuple.size(); ++i)
            check(tuple.at(i), v.at(i), JsonSchema::indexPath(path, i), depth + 1, out);
    }
}

void Validator::checkObject(
    const QJsonObject &s, const QJsonObject &v, const QString &path, int depth, QStringList &out) const
{
    for (const QJsonValue &r : s.value(u"required").toArray())
        if (r.isString() && !v.contains(r.toString()))
            out.append(JsonSchema::childPath(path, r.toString()) + QStringLiteral(": missing (required)"));
    const QJsonObject properties = s.value(u"properties").toObject();
    const QJsonObject patterns = s.value(u"patternProperties").toObject();
    const QJsonValue additional = s.value(u"additionalProperties");
    for (auto it = v.begin(); it != v.end(); ++it) {
        const QString childPath = JsonSchema::childPath(path, it.key());
        bool declared = false;
        if (properties.contains(it.key())) {
            declared = true;
            check(properties.value(it.key()), it.value(), childPath, depth + 1, out);
        }
        for (auto p = patterns.begin(); p != patterns.end(); ++p) {
            const QRegularExpression re(p.key());
            if (re.isValid() && re.match(it.key()).hasMatch()) {
                declared = true;
                check(p.value(), it.value(), childPath, depth + 1, out);
            }
        }
        if (declared)
            continue;
        if (additional.isBool() && !additional.toBool()) {
            QStringList known = properties.keys();
            out.append(childPath
                + QStringLiteral(": unknown property (expected %1)")
                      .arg(known.isEmpty() ? QStringLiteral("none") : known.join(QStringLiteral(", "))));
        } else if (additional.isObject()) {
            check(additional, it.value(), childPath, depth + 1, out);
        }
    }
}

void Validator::checkCombinators(
    const QJsonObject &s, const QJsonValue &v, const QString &path, int depth, QStringList &out) const
{
    for (const QJsonValue &branch : s.value(u"allOf").toArray())
        check(branch, v, path, depth + 1, out);
    // anyOf / oneOf: say why each branch refused (its first problem), without repeating the path.
    auto reasons = [&path](const QList<QStringList> &whys) {
        QStringList parts;
        for (const QStringList &why : whys) {
            QString first = why.value(0);
            if (first.startsWith(path + QStringLiteral(": ")))
                first = first.mid(path.size() + 2);
            parts.append(first);
        }
        return parts.join(QStringLiteral("; "));
    };
    for (const char *keyword : { "anyOf", "oneOf" }) {
        const QJsonArray branches = s.value(QLatin1String(keyword)).toArray();
        if (branches.isEmpty())
            continue;
        int fitting = 0;
        QList<QStringList> whys;
        for (const QJsonValue &branch : branches) {
            QStringList why;
            if (fits(branch, v, path, depth + 1, &why))
                ++fitting;
            else
                whys.append(why);
        }
        if (fitting == 0)
            out.append(path
                + QStringLiteral(": fits none of the %1 schemas (%2)")
                      .arg(QLatin1String(keyword), reasons(whys)));
        else if (fitting > 1 && qstrcmp(keyword, "oneOf") == 0)
            out.append(
                path + QStringLiteral(": fits %1 of the oneOf schemas (exactly one expected)").arg(fitting));
    }
    if (const QJsonValue no = s.value(u"not"); (no.isObject() || no.isBool()) && fits(no, v, path, depth + 1))
        out.append(path + QStringLiteral(": must not fit the schema under 'not'"));
}

// --- Checking a schema -----------------------------------------------------------------------

class SchemaChecker
{
public:
    SchemaChecker(const QJsonObject &root, QStringList &out)
        : m_root(root)
        , m_out(out)
    {
    }

    void check(const QJsonValue &schema, const QString &path);

private:
    static QString at(const QString &path, const QString &key)
    {
        return path.isEmpty() ? key : path + QLatin1Char('.') + key;
    }
    void checkType(const QJsonValue &t, const QString &path);
    void checkKeywordKinds(const QJsonObject &s, const QString &path);
    void schemaList(const QJsonValue &v, const QString &path);
    void schemaMap(const QJsonValue &v, const QString &path, bool keysArePatterns);

    const QJsonObject &m_root;
    QStringList &m_out;
};

void SchemaChecker::check(const QJsonValue &schema, const QString &path)
{
    if (schema.isBool())
        return;
    if (!schema.isObject()) {
        m_out.append(path + QStringLiteral(": expected a schema (an object or true / false), got ")
            + describeJsonValue(schema));
        return;
    }
    const QJsonObject s = schema.toObject();
    if (s.contains(u"type"))
        checkType(s.value(u"type"), at(path, QStringLiteral("type")));
    checkKeywordKinds(s, path);
    schemaMap(s.value(u"properties"), at(path, QStringLiteral("properties")), false);
    schemaMap(s.value(u"patternProperties"), at(path, QStringLiteral("patternProperties")), true);
    schemaMap(s.value(u"$defs"), at(path, QStringLiteral("$defs")), false);
    schemaMap(s.value(u"definitions"), at(path, QStringLiteral("definitions")), false);
    for (const char *keyword : { "additionalProperties", "not" })
        if (s.contains(QLatin1String(keyword)))
            check(s.value(QLatin1String(keyword)), at(path, QLatin1String(keyword)));
    if (const QJsonValue items = s.value(u"items"); items.isArray())
        schemaList(items, at(path, QStringLiteral("items")));
    else if (!items.isUndefined())
        check(items, at(path, QStringLiteral("items")));
    for (const char *keyword : { "anyOf", "oneOf", "allOf" })
        if (s.contains(QLatin1String(keyword))) {
            const QJsonValue v = s.value(QLatin1String(keyword));
            if (!v.isArray() || v.toArray().isEmpty())
                m_out.append(at(path, QLatin1String(keyword))
                    + QStringLiteral(": expected a non-empty list of schemas"));
            else
                schemaList(v, at(path, QLatin1String(keyword)));
        }
    if (s.contains(u"$ref")) {
        const QJsonValue ref = s.value(u"$ref");
        if (!ref.isString())
            m_out.append(at(path, QStringLiteral("$ref")) + QStringLiteral(": expected a string"));
        else if (!resolveRef(m_root, ref.toString()))
            m_out.append(at(path, QStringLiteral("$ref"))
                + QStringLiteral(": '%1' names nothing in this schema (only local references such as "
                                 "#/$defs/name are supported)")
                      .arg(ref.toString()));
    }
}

void SchemaChecker::checkType(const QJsonValue &t, const QString &path)
{
    const QString expected
        = QStringLiteral("(expected string, number, integer, boolean, object, array or null)");
    QJsonArray names;
    if (t.isString()) {
        names.append(t);
    } else if (t.isArray() && !t.toArray().isEmpty()) {
        names = t.toArray();
    } else {
        m_out.append(
            path + QStringLiteral(": expected a type name or a list of them, got ") + describeJsonValue(t));
        return;
    }
    for (const QJsonValue &n : std::as_const(names)) {
        if (!n.isString())
            m_out.append(path + QStringLiteral(": expected a type name, got %1").arg(describeJsonValue(n)));
        else if (!typeNames().contains(n.toString()))
            m_out.append(path + QStringLiteral(": unknown type '%1' %2").arg(n.toString(), expected));
    }
}

void SchemaChecker::checkKeywordKinds(const QJsonObject &s, const QString &path)
{
    for (const char *keyword : { "minimum", "maximum" })
        if (s.contains(QLatin1String(keyword)) && !s.value(QLatin1String(keyword)).isDouble())
            m_out.append(at(path, QLatin1String(keyword)) + QStringLiteral(": expected a number, got ")
                + describeJsonValue(s.value(QLatin1String(keyword))));
    for (const char *keyword : { "exclusiveMinimum", "exclusiveMaximum" }) {
        const QJsonValue v = s.value(QLatin1String(keyword));
        if (!v.isUndefined() && !v.isDouble() && !v.isBool())
            m_out.append(at(path, QLatin1String(keyword)) + QStringLiteral(": expected a number, got ")
                + describeJsonValue(v));
    }
    for (const char *keyword : { "minLength", "maxLength", "minItems", "maxItems" }) {
        const QJsonValue v = s.value(QLatin1String(keyword));
        if (!v.isUndefined() && (!isInteger(v) || v.toDouble() < 0))
            m_out.append(at(path, QLatin1String(keyword))
                + QStringLiteral(": expected a whole number ≥ 0, got ") + describeJsonValue(v));
    }
    if (s.contains(u"required")) {
        const QJsonValue r = s.value(u"required");
        bool ok = r.isArray();
        for (const QJsonValue &name : r.toArray())
            ok = ok && name.isString();
        if (!ok)
            m_out.append(at(path, QStringLiteral("required"))
                + QStringLiteral(": expected a list of property names, got ") + describeJsonValue(r));
    }
    if (s.contains(u"enum") && !s.value(u"enum").isArray())
        m_out.append(at(path, QStringLiteral("enum")) + QStringLiteral(": expected a list of values, got ")
            + describeJsonValue(s.value(u"enum")));
    if (s.contains(u"pattern")) {
        const QJsonValue p = s.value(u"pattern");
        const QRegularExpression re(p.toString());
        if (!p.isString())
            m_out.append(at(path, QStringLiteral("pattern")) + QStringLiteral(": expected a string"));
        else if (!re.isValid())
            m_out.append(at(path, QStringLiteral("pattern"))
                + QStringLiteral(": invalid regular expression: %1").arg(re.errorString()));
    }
}

void SchemaChecker::schemaList(const QJsonValue &v, const QString &path)
{
    const QJsonArray list = v.toArray();
    for (qsizetype i = 0; i < list.size(); ++i)
        check(list.at(i), path + QLatin1Char('[') + QString::number(i) + QLatin1Char(']'));
}

void SchemaChecker::schemaMap(const QJsonValue &v, const QString &path, bool keysArePatterns)
{
    if (v.isUndefined())
        return;
    if (!v.isObject()) {
        m_out.append(path + QStringLiteral(": expected an object of schemas, got ") + describeJsonValue(v));
        return;
    }
    const QJsonObject map = v.toObject();
    for (auto it = map.begin(); it != map.end(); ++it) {
        if (keysArePatterns && !QRegularExpression(it.key()).isValid())
            m_out.append(at(path, it.key()) + QStringLiteral(": invalid regular expression"));
        check(it.value(), at(path, it.key()));
    }
}

// --- Samples ---------------------------------------------------------------------------------

QJsonValue sampleOf(const QJsonObject &root, const QJsonValue &schema, int depth);

QJsonValue sampleString(const QJsonObject &s)
{
    static const QHash<QString, QString> byFormat = {
        { QStringLiteral("date-time"), QStringLiteral("2026-01-01T00:00:00Z") },
        { QStringLiteral("date"), QStringLiteral("2026-01-01") },
        { QStringLiteral("time"), QStringLiteral("00:00:00Z") },
        { QStringLiteral("email"), QStringLiteral("user@example.com") },
        { QStringLiteral("uri"), QStringLiteral("https://example.com/") },
        { QStringLiteral("uuid"), QStringLiteral("00000000-0000-4000-8000-000000000000") },
    };
    QString text = byFormat.value(s.value(u"format").toString(), QStringLiteral("example"));
    const int minLength = s.value(u"minLength").toInt(0);
    const QJsonValue max = s.value(u"maxLength");
    while (codePoints(text) < minLength)
        text += QLatin1Char('x');
    if (max.isDouble() && codePoints(text) > max.toInt())
        text = text.left(max.toInt());
    return text;
}

QJsonValue sampleNumber(const QJsonObject &s, bool integer)
{
    double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
    bool loOpen = false, hiOpen = false;
    if (const QJsonValue v = s.value(u"minimum"); v.isDouble()) {
        lo = v.toDouble();
        loOpen = s.value(u"exclusiveMinimum").toBool();
    }
    if (const QJsonValue v = s.value(u"maximum"); v.isDouble()) {
        hi = v.toDouble();
        hiOpen = s.value(u"exclusiveMaximum").toBool();
    }
    if (const QJsonValue v = s.value(u"exclusiveMinimum"); v.isDouble() && v.toDouble() >= lo) {
        lo = v.toDouble();
        loOpen = true;
    }
    if (const QJsonValue v = s.value(u"exclusiveMaximum"); v.isDouble() && v.toDouble() <= hi) {
        hi = v.toDouble();
        hiOpen = true;
    }
    // 0 when the bounds allow it, else the nearest bound (nudged inside an open one).
    double v = 0;
    if (v < lo || (loOpen && v <= lo))
        v = lo;
    else if (v > hi || (hiOpen && v >= hi))
        v = hi;
    if (integer) {
        if (v == lo) {
            v = std::ceil(lo);
            if (loOpen && v <= lo)
                v += 1;
        } else if (v == hi) {
            v = std::floor(hi);
            if (hiOpen && v >= hi)
                v -= 1;
        }
        return QJsonValue(qint64(v));
    }
    if (v == lo && loOpen)
        v = std::isfinite(hi) ? (lo + hi) / 2 : lo + 1;
    else if (v == hi && hiOpen)
        v = std::isfinite(lo) ? (lo + hi) / 2 : hi - 1;
    return v;
}

QJsonValue sampleObject(const QJsonObject &root, const QJsonObject &s, int depth)
{
    QJsonObject o;
    const QJsonObject properties = s.value(u"properties").toObject();
    for (auto it = properties.begin(); it != properties.end(); ++it)
        o.insert(it.key(), sampleOf(root, it.value(), depth + 1));
    for (const QJsonValue &r : s.value(u"required").toArray())
        if (r.isString() && !o.contains(r.toString()))
            o.insert(r.toString(), QStringLiteral("example"));
    return o;
}

QJsonValue sampleArray(const QJsonObject &root, const QJsonObject &s, int depth)
{
    const QJsonValue max = s.value(u"maxItems");
    int n = s.contains(u"minItems") ? s.value(u"minItems").toInt() : 1;
    if (max.isDouble() && n > max.toInt())
        n = max.toInt();
    QJsonArray a;
    const QJsonValue items = s.value(u"items");
    for (int i = 0; i < n; ++i)
        a.append(items.isArray() ? sampleOf(
                     root, items.toArray().at(qMin<qsizetype>(i, items.toArray().size() - 1)), depth + 1)
                                 : sampleOf(root, items, depth + 1));
    return a;
}

// allOf: the branches' objects merged (later keys win), or the first non-null branch sample.
QJsonValue sampleAllOf(const QJsonObject &root, const QJsonObject &s, int depth)
{
    QJsonObject own = s;
    own.remove(QStringLiteral("allOf"));
    QJsonValue merged = own.isEmpty() ? QJsonValue() : sampleOf(root, own, depth + 1);
    for (const QJsonValue &branch : s.value(u"allOf").toArray()) {
        const QJsonValue part = sampleOf(root, branch, depth + 1);
        if (merged.isObject() && part.isObject()) {
            QJsonObject o = merged.toObject();
            const QJsonObject p = part.toObject();
            for (auto it = p.begin(); it != p.end(); ++it)
                o.insert(it.key(), it.value());
            merged = o;
        } else if (merged.isNull() || merged.isUndefined()) {
            merged = part;
        }
    }
    return merged.isUndefined() ? QJsonValue() : merged;
}

QJsonValue sampleOf(const QJsonObject &root, const QJsonValue &schema, int depth)
{
    if (!schema.isObject() || depth > kMaxDepth)
        return QJsonValue();
    const QJsonObject s = schema.toObject();
    if (s.contains(u"default"))
        return s.value(u"default");
    if (s.contains(u"const"))
        return s.value(u"const");
    if (const QJsonArray e = s.value(u"enum").toArray(); !e.isEmpty())
        return e.first();
    if (const QJsonArray ex = s.value(u"examples").toArray(); !ex.isEmpty())
        return ex.first();
    if (const QJsonValue ref = s.value(u"$ref"); ref.isString())
        return sampleOf(root, resolveRef(root, ref.toString()).value_or(QJsonValue()), depth + 1);
    if (s.value(u"allOf").isArray())
        return sampleAllOf(root, s, depth);
    for (const char *keyword : { "anyOf", "oneOf" })
        if (const QJsonArray branches = s.value(QLatin1String(keyword)).toArray(); !branches.isEmpty())
            return sampleOf(root, branches.first(), depth + 1);
    QStringList types = typesOf(s);
    if (types.size() > 1)
        types.removeAll(QStringLiteral("null")); // a value says more than null
    QString type = types.value(0);
    if (type.isEmpty())
        type = s.contains(u"properties") ? QStringLiteral("object")
            : s.contains(u"items")       ? QStringLiteral("array")
                                         : QString();
    if (type == u"string")
        return sampleString(s);
    if (type == u"integer" || type == u"number")
        return sampleNumber(s, type == u"integer");
    if (type == u"boolean")
        return false;
    if (type == u"object")
        return sampleObject(root, s, depth);
    if (type == u"array")
        return sampleArray(root, s, depth);
    return QJsonValue(); // null, or no type at all: anything fits
}

} // namespace

JsonSchema::JsonSchema(const QJsonObject &schema)
    : m_root(schema)
{
}

bool JsonSchema::isObjectSchema() const
{
    const QStringList types = typesOf(m_root);
    if (types.isEmpty())
        return m_root.contains(u"properties") && !m_root.contains(u"type");
    return types == QStringList { QStringLiteral("object") };
}

QStringList JsonSchema::problems(const QString &path) const
{
    QStringList out;
    SchemaChecker(m_root, out).check(m_root, path);
    return out;
}

QStringList JsonSchema::validate(const QJsonValue &value) const
{
    QStringList out;
    Validator(m_root).check(m_root, value, QStringLiteral("$"), 0, out);
    out.removeDuplicates();
    return out;
}

QJsonValue JsonSchema::sample() const
{
    return sampleOf(m_root, m_root, 0);
}

QString JsonSchema::childPath(const QString &parent, const QString &key)
{
    static const QRegularExpression identifier(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
    if (identifier.match(key).hasMatch())
        return parent + QLatin1Char('.') + key;
    QString quoted = key;
    quoted.replace(QLatin1Char('\\'), QStringLiteral("\\\\"))
        .replace(QLatin1Char('\''), QStringLiteral("\\'"));
    return parent + QStringLiteral("['") + quoted + QStringLiteral("']");
}

QString JsonSchema::indexPath(const QString &parent, qsizetype index)
{
    return parent + QLatin1Char('[') + QString::number(index) + QLatin1Char(']');
}

bool jsonValuesEqual(const QJsonValue &a, const QJsonValue &b)
{
    if (a.isDouble() && b.isDouble())
        return a.toDouble() == b.toDouble();
    if (a.type() != b.type())
        return false;
    if (a.isArray()) {
        const QJsonArray x = a.toArray(), y = b.toArray();
        if (x.size() != y.size())
            return false;
        for (qsizetype i = 0; i < x.size(); ++i)
            if (!jsonValuesEqual(x.at(i), y.at(i)))
                return false;
        return true;
    }
    if (a.isObject()) {
        const QJsonObject x = a.toObject(), y = b.toObject();
        if (x.size() != y.size())
            return false;
        for (auto it = x.begin(); it != x.end(); ++it)
            if (!y.contains(it.key()) || !jsonValuesEqual(it.value(), y.value(it.key())))
                return false;
        return true;
    }
    return a == b;
}
