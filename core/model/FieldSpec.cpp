#include "core/model/FieldSpec.h"

#include "core/common/Util.h"

#include <QJsonArray>
#include <QSet>

#include <cmath>

namespace {

// Integers beyond 2^53 cannot be held exactly by a JSON number (a double).
constexpr double kMaxExactInteger = 9007199254740992.0;

struct TypeName
{
    FieldType type;
    QLatin1String name;
};

const TypeName kTypeNames[] = {
    { FieldType::Str, QLatin1String("str") },
    { FieldType::Int, QLatin1String("int") },
    { FieldType::Float, QLatin1String("float") },
    { FieldType::Bool, QLatin1String("bool") },
    { FieldType::Enum, QLatin1String("enum") },
    { FieldType::ListStr, QLatin1String("list[str]") },
    { FieldType::ListInt, QLatin1String("list[int]") },
    { FieldType::ListFloat, QLatin1String("list[float]") },
    { FieldType::Json, QLatin1String("json") },
};

QString number(double d)
{
    return as::compactJson(QJsonValue(d));
}

bool isInteger(const QJsonValue &v)
{
    if (!v.isDouble())
        return false;
    const double d = v.toDouble();
    return std::isfinite(d) && std::floor(d) == d && std::fabs(d) <= kMaxExactInteger;
}

QString rangeProblem(double d, const std::optional<double> &min, const std::optional<double> &max)
{
    if (min && d < *min)
        return QStringLiteral("must be ≥ %1 (got %2)").arg(number(*min), number(d));
    if (max && d > *max)
        return QStringLiteral("must be ≤ %1 (got %2)").arg(number(*max), number(d));
    return {};
}

// Checks one scalar of a list or a plain field; `kind` is the element type.
QString scalarProblem(FieldType kind, const FieldSpec &spec, const QJsonValue &value)
{
    switch (kind) {
    case FieldType::Str:
        if (!value.isString())
            return QStringLiteral("expected a string, got %1").arg(describeJsonValue(value));
        if (spec.maxLength && value.toString().size() > *spec.maxLength)
            return QStringLiteral("longer than %1 characters (%2)")
                .arg(*spec.maxLength)
                .arg(value.toString().size());
        return {};
    case FieldType::Int:
        if (!isInteger(value))
            return QStringLiteral("expected an integer, got %1").arg(describeJsonValue(value));
        return rangeProblem(value.toDouble(), spec.min, spec.max);
    case FieldType::Float:
        if (!value.isDouble() || !std::isfinite(value.toDouble()))
            return QStringLiteral("expected a number, got %1").arg(describeJsonValue(value));
        return rangeProblem(value.toDouble(), spec.min, spec.max);
    case FieldType::Bool:
        if (!value.isBool())
            return QStringLiteral("expected true or false, got %1").arg(describeJsonValue(value));
        return {};
    case FieldType::Enum:
        if (!value.isString())
            return QStringLiteral("expected one of %1, got %2")
                .arg(spec.choices.join(QStringLiteral(", ")), describeJsonValue(value));
        if (!spec.choices.contains(value.toString()))
            return QStringLiteral("must be one of %1 (got %2)")
                .arg(spec.choices.join(QStringLiteral(", ")), describeJsonValue(value));
        return {};
    default:
        return {};
    }
}

FieldType elementType(FieldType t)
{
    switch (t) {
    case FieldType::ListStr:
        return FieldType::Str;
    case FieldType::ListInt:
        return FieldType::Int;
    case FieldType::ListFloat:
        return FieldType::Float;
    default:
        return t;
    }
}

bool isList(FieldType t)
{
    return t == FieldType::ListStr || t == FieldType::ListInt || t == FieldType::ListFloat;
}

// Integral numbers are written as JSON integers ("3", not "3.0") once validated.
QJsonValue normalized(FieldType kind, const QJsonValue &v)
{
    if (kind == FieldType::Int && isInteger(v))
        return QJsonValue(static_cast<qint64>(v.toDouble()));
    return v;
}

std::optional<QJsonValue> scalarFromText(FieldType kind, const QString &text, QString *error)
{
    const QString t = text.trimmed();
    auto fail = [&](const QString &why) -> std::optional<QJsonValue> {
        if (error)
            *error = why;
        return std::nullopt;
    };
    switch (kind) {
    case FieldType::Int: {
        bool ok = false;
        const qlonglong n = t.toLongLong(&ok);
        if (ok)
            return QJsonValue(static_cast<qint64>(n));
        const double d = t.toDouble(&ok);
        if (ok && isInteger(QJsonValue(d)))
            return QJsonValue(static_cast<qint64>(d));
        return fail(QStringLiteral("expected an integer, got %1").arg(describeJsonValue(QJsonValue(text))));
    }
    case FieldType::Float: {
        bool ok = false;
        const double d = t.toDouble(&ok);
        if (ok && std::isfinite(d))
            return QJsonValue(d);
        return fail(QStringLiteral("expected a number, got %1").arg(describeJsonValue(QJsonValue(text))));
    }
    case FieldType::Bool: {
        const QString l = t.toLower();
        if (l == u"true" || l == u"yes" || l == u"on" || l == u"1")
            return QJsonValue(true);
        if (l == u"false" || l == u"no" || l == u"off" || l == u"0")
            return QJsonValue(false);
        return fail(
            QStringLiteral("expected true or false, got %1").arg(describeJsonValue(QJsonValue(text))));
    }
    case FieldType::Enum:
        return QJsonValue(t);
    default:
        return QJsonValue(text);
    }
}

} // namespace

QString describeJsonValue(const QJsonValue &value)
{
    if (value.isUndefined())
        return QStringLiteral("nothing");
    QString s = as::compactJson(value);
    if (s.size() > 60)
        s = s.left(57) + QStringLiteral("…");
    return s;
}

QString FieldSpec::typeName(FieldType type)
{
    for (const TypeName &t : kTypeNames)
        if (t.type == type)
            return t.name;
    return QStringLiteral("str");
}

std::optional<FieldType> FieldSpec::typeFromName(const QString &name)
{
    for (const TypeName &t : kTypeNames)
        if (name == t.name)
            return t.type;
    return std::nullopt;
}

FieldSpec FieldSpec::parse(const QJsonObject &o, const QString &path, QStringList *problems)
{
    auto problem = [&](const QString &key, const QString &why) {
        if (problems)
            problems->append(path + QLatin1Char('.') + key + QStringLiteral(": ") + why);
    };
    FieldSpec f;
    f.raw = o;

    const QJsonValue name = o.value(QLatin1String("name"));
    if (name.isString())
        f.name = name.toString();
    else if (!name.isUndefined())
        problem(
            QStringLiteral("name"), QStringLiteral("expected a string, got %1").arg(describeJsonValue(name)));

    const QJsonValue type = o.value(QLatin1String("type"));
    if (type.isString()) {
        if (const auto t = typeFromName(type.toString().trimmed()))
            f.type = *t;
        else
            problem(QStringLiteral("type"),
                QStringLiteral("unknown type '%1' (expected str, int, float, bool, enum, list[str], "
                               "list[int], list[float] or json)")
                    .arg(type.toString()));
    } else if (type.isUndefined()) {
        problem(QStringLiteral("type"), QStringLiteral("missing"));
    } else {
        problem(QStringLiteral("type"),
            QStringLiteral("expected a type name, got %1").arg(describeJsonValue(type)));
    }

    const QJsonValue desc = o.value(QLatin1String("desc"));
    if (desc.isString())
        f.desc = desc.toString();
    else if (!desc.isUndefined())
        problem(
            QStringLiteral("desc"), QStringLiteral("expected a string, got %1").arg(describeJsonValue(desc)));

    const QJsonValue multiline = o.value(QLatin1String("multiline"));
    if (multiline.isBool())
        f.multiline = multiline.toBool();
    else if (!multiline.isUndefined())
        problem(QStringLiteral("multiline"),
            QStringLiteral("expected true or false, got %1").arg(describeJsonValue(multiline)));

    const QJsonValue maxLength = o.value(QLatin1String("max_length"));
    if (isInteger(maxLength) && maxLength.toDouble() >= 0 && maxLength.toDouble() <= 2147483647.0)
        f.maxLength = static_cast<int>(maxLength.toDouble());
    else if (!maxLength.isUndefined())
        problem(QStringLiteral("max_length"),
            QStringLiteral("expected a non-negative integer, got %1").arg(describeJsonValue(maxLength)));

    for (const char *key : { "min", "max" }) {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isDouble())
            (qstrcmp(key, "min") == 0 ? f.min : f.max) = v.toDouble();
        else if (!v.isUndefined())
            problem(
                QLatin1String(key), QStringLiteral("expected a number, got %1").arg(describeJsonValue(v)));
    }

    const QJsonValue choices = o.value(QLatin1String("choices"));
    if (choices.isArray()) {
        const QJsonArray arr = choices.toArray();
        for (qsizetype i = 0; i < arr.size(); ++i) {
            if (arr.at(i).isString())
                f.choices.append(arr.at(i).toString());
            else
                problem(QStringLiteral("choices[%1]").arg(i),
                    QStringLiteral("expected a string, got %1").arg(describeJsonValue(arr.at(i))));
        }
    } else if (!choices.isUndefined()) {
        problem(QStringLiteral("choices"),
            QStringLiteral("expected a list of strings, got %1").arg(describeJsonValue(choices)));
    }

    if (o.contains(QLatin1String("default")))
        f.defaultValue = o.value(QLatin1String("default"));

    const QJsonValue required = o.value(QLatin1String("required"));
    if (required.isBool())
        f.required = required.toBool();
    else if (!required.isUndefined())
        problem(QStringLiteral("required"),
            QStringLiteral("expected true or false, got %1").arg(describeJsonValue(required)));
    if (f.defaultValue)
        f.required = false;

    if (problems)
        problems->append(f.check(path));
    return f;
}

std::optional<FieldSpec> FieldSpec::fromJson(
    const QJsonValue &value, const QString &path, QStringList *problems)
{
    if (!value.isObject()) {
        if (problems)
            problems->append(
                path + QStringLiteral(": expected a field object, got ") + describeJsonValue(value));
        return std::nullopt;
    }
    QStringList own;
    FieldSpec f = parse(value.toObject(), path, &own);
    if (problems)
        problems->append(own);
    if (!own.isEmpty())
        return std::nullopt;
    return f;
}

QStringList FieldSpec::check(const QString &path) const
{
    QStringList out;
    const QString p = path + QLatin1Char('.');
    if (name.trimmed().isEmpty())
        out.append(p + QStringLiteral("name: missing"));
    else if (!isValidName(name))
        out.append(
            p + QStringLiteral("name: invalid name '%1' (letters, digits, '_' and '-' only)").arg(name));
    if (type == FieldType::Enum) {
        if (choices.isEmpty())
            out.append(p + QStringLiteral("choices: an enum needs at least one choice"));
        QSet<QString> seen;
        for (const QString &c : choices) {
            if (seen.contains(c))
                out.append(p + QStringLiteral("choices: duplicate choice '%1'").arg(c));
            seen.insert(c);
        }
    }
    if (min && max && *min > *max)
        out.append(p + QStringLiteral("min: %1 is greater than max %2").arg(number(*min), number(*max)));
    if (defaultValue && !(type == FieldType::Enum && choices.isEmpty())) {
        const QString why = validate(*defaultValue);
        if (!why.isEmpty())
            out.append(p + QStringLiteral("default: ") + why);
    }
    return out;
}

bool FieldSpec::isValidName(const QString &name)
{
    if (name.isEmpty())
        return false;
    for (const QChar c : name)
        if (!(c.isLetterOrNumber() || c == u'_' || c == u'-'))
            return false;
    return true;
}

QJsonObject FieldSpec::toJson() const
{
    QJsonObject o = raw;
    o.insert(QStringLiteral("name"), name);
    o.insert(QStringLiteral("type"), typeName(type));
    auto setOrDrop = [&](const QString &key, bool set, const QJsonValue &v) {
        if (set)
            o.insert(key, v);
        else
            o.remove(key);
    };
    setOrDrop(QStringLiteral("desc"), !desc.isEmpty() || raw.contains(QLatin1String("desc")), desc);
    setOrDrop(QStringLiteral("multiline"), multiline || raw.contains(QLatin1String("multiline")), multiline);
    setOrDrop(QStringLiteral("max_length"), maxLength.has_value(), maxLength.value_or(0));
    setOrDrop(QStringLiteral("min"), min.has_value(), min.value_or(0));
    setOrDrop(QStringLiteral("max"), max.has_value(), max.value_or(0));
    setOrDrop(QStringLiteral("choices"), !choices.isEmpty() || type == FieldType::Enum,
        QJsonArray::fromStringList(choices));
    setOrDrop(QStringLiteral("default"), defaultValue.has_value(), defaultValue.value_or(QJsonValue()));
    // Without a default, "required": false is what makes a field optional; with one it is
    // redundant, so it is only written back if the file had it.
    setOrDrop(QStringLiteral("required"),
        (!required && !defaultValue) || raw.contains(QLatin1String("required")), required);
    return o;
}

QString FieldSpec::validate(const QJsonValue &value) const
{
    if (value.isUndefined())
        return QStringLiteral("missing");
    if (type == FieldType::Json)
        return {};
    if (isList(type)) {
        if (!value.isArray())
            return QStringLiteral("expected a list, got %1").arg(describeJsonValue(value));
        const QJsonArray arr = value.toArray();
        for (qsizetype i = 0; i < arr.size(); ++i) {
            const QString why = scalarProblem(elementType(type), *this, arr.at(i));
            if (!why.isEmpty())
                return QStringLiteral("item %1: %2").arg(i).arg(why);
        }
        return {};
    }
    return scalarProblem(type, *this, value);
}

QJsonValue FieldSpec::normalize(const QJsonValue &value) const
{
    if (type == FieldType::Int)
        return normalized(FieldType::Int, value);
    if (type == FieldType::ListInt && value.isArray()) {
        QJsonArray out;
        for (const QJsonValue &v : value.toArray())
            out.append(normalized(FieldType::Int, v));
        return out;
    }
    return value;
}

std::optional<QJsonValue> FieldSpec::fromText(const QString &text, QString *error) const
{
    if (type == FieldType::Json) {
        QString why;
        const QString t = text.trimmed();
        if (t.isEmpty()) {
            if (error)
                *error = QStringLiteral("expected JSON text, got nothing");
            return std::nullopt;
        }
        const QJsonValue v = as::parseJsonValue(t, &why);
        if (!why.isEmpty()) {
            if (error)
                *error = QStringLiteral("not valid JSON: ") + why;
            return std::nullopt;
        }
        return v;
    }
    if (isList(type)) {
        const QString t = text.trimmed();
        QJsonArray out;
        if (t.startsWith(QLatin1Char('['))) {
            QString why;
            const QJsonValue v = as::parseJsonValue(t, &why);
            if (!why.isEmpty() || !v.isArray()) {
                if (error)
                    *error = QStringLiteral("not a valid JSON list: ") + why;
                return std::nullopt;
            }
            out = v.toArray();
            if (type == FieldType::ListInt)
                return normalize(out);
            return QJsonValue(out);
        }
        if (t.isEmpty())
            return QJsonValue(QJsonArray());
        const QStringList parts = t.split(QLatin1Char(','));
        for (qsizetype i = 0; i < parts.size(); ++i) {
            QString why;
            const auto v = scalarFromText(elementType(type), parts.at(i).trimmed(), &why);
            if (!v) {
                if (error)
                    *error = QStringLiteral("item %1: %2").arg(i).arg(why);
                return std::nullopt;
            }
            out.append(*v);
        }
        return QJsonValue(out);
    }
    return scalarFromText(type, text, error);
}

QJsonObject FieldSpec::jsonSchema() const
{
    QJsonObject s;
    auto scalar = [this](FieldType t) {
        QJsonObject e;
        switch (t) {
        case FieldType::Str:
            e.insert(QStringLiteral("type"), QStringLiteral("string"));
            if (maxLength)
                e.insert(QStringLiteral("maxLength"), *maxLength);
            break;
        case FieldType::Int:
        case FieldType::Float:
            e.insert(QStringLiteral("type"),
                t == FieldType::Int ? QStringLiteral("integer") : QStringLiteral("number"));
            if (min)
                e.insert(QStringLiteral("minimum"), *min);
            if (max)
                e.insert(QStringLiteral("maximum"), *max);
            break;
        case FieldType::Bool:
            e.insert(QStringLiteral("type"), QStringLiteral("boolean"));
            break;
        case FieldType::Enum:
            e.insert(QStringLiteral("type"), QStringLiteral("string"));
            e.insert(QStringLiteral("enum"), QJsonArray::fromStringList(choices));
            break;
        default:
            break;
        }
        return e;
    };
    if (isList(type)) {
        s.insert(QStringLiteral("type"), QStringLiteral("array"));
        s.insert(QStringLiteral("items"), scalar(elementType(type)));
    } else if (type != FieldType::Json) {
        s = scalar(type);
    }
    if (!desc.isEmpty())
        s.insert(QStringLiteral("description"), desc);
    return s;
}

const FieldSpec *Signature::input(const QString &name) const
{
    for (const FieldSpec &f : inputs)
        if (f.name == name)
            return &f;
    return nullptr;
}

const FieldSpec *Signature::output(const QString &name) const
{
    for (const FieldSpec &f : outputs)
        if (f.name == name)
            return &f;
    return nullptr;
}

bool Signature::rawTextOutput() const
{
    return outputs.size() == 1 && outputs.constFirst().type == FieldType::Str;
}

QJsonObject Signature::outputSchema() const
{
    QJsonObject properties;
    QJsonArray required;
    for (const FieldSpec &f : outputs) {
        properties.insert(f.name, f.jsonSchema());
        if (f.required)
            required.append(f.name);
    }
    return QJsonObject { { QStringLiteral("type"), QStringLiteral("object") },
        { QStringLiteral("properties"), properties }, { QStringLiteral("required"), required },
        { QStringLiteral("additionalProperties"), false } };
}

std::optional<QJsonObject> validateInputs(
    const QList<FieldSpec> &fields, const QJsonObject &inputs, QStringList *problems)
{
    QStringList found;
    QJsonObject out;
    for (const FieldSpec &f : fields) {
        const QJsonValue v = inputs.value(f.name);
        if (v.isUndefined() || (v.isNull() && f.type != FieldType::Json && !f.required)) {
            if (f.defaultValue)
                out.insert(f.name, f.normalize(*f.defaultValue));
            else if (f.required)
                found.append(f.name + QStringLiteral(": required"));
            continue;
        }
        const QString why = f.validate(v);
        if (!why.isEmpty())
            found.append(f.name + QStringLiteral(": ") + why);
        else
            out.insert(f.name, f.normalize(v));
    }
    for (auto it = inputs.begin(); it != inputs.end(); ++it) {
        bool known = false;
        for (const FieldSpec &f : fields)
            known = known || f.name == it.key();
        if (!known)
            found.append(it.key() + QStringLiteral(": unknown input field"));
    }
    if (problems)
        problems->append(found);
    if (!found.isEmpty())
        return std::nullopt;
    return out;
}
