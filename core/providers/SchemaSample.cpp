#include "core/providers/SchemaSample.h"

#include <QJsonArray>

#include <cmath>
#include <optional>

namespace schemasample {

namespace {

constexpr int kMaxDepth = 8;

struct Sampler
{
    const QJsonObject &root;
    const Hints &hints;

    // #/$defs/name or #/definitions/name (JSON Pointer, ~0 ~1 escapes); {} when unknown.
    QJsonObject resolve(const QString &ref) const
    {
        if (!ref.startsWith(QLatin1String("#/")))
            return {};
        QJsonValue at = root;
        for (QString part : ref.mid(2).split(QLatin1Char('/'))) {
            part.replace(QLatin1String("~1"), QLatin1String("/"))
                .replace(QLatin1String("~0"), QLatin1String("~"));
            at = at.toObject().value(part);
        }
        return at.toObject();
    }

    // allOf merged into one schema: properties and required joined, other keywords kept.
    QJsonObject merged(QJsonObject schema, int depth) const
    {
        const QJsonArray all = schema.take(QLatin1String("allOf")).toArray();
        QJsonObject properties = schema.value(u"properties").toObject();
        QJsonArray required = schema.value(u"required").toArray();
        for (const QJsonValue &v : all) {
            QJsonObject part = v.toObject();
            if (part.contains(u"$ref") && depth < kMaxDepth)
                part = resolve(part.value(u"$ref").toString());
            part = merged(part, depth + 1);
            const QJsonObject props = part.value(u"properties").toObject();
            for (auto it = props.begin(); it != props.end(); ++it)
                properties.insert(it.key(), it.value());
            for (const QJsonValue &r : part.value(u"required").toArray())
                required.append(r);
            for (auto it = part.begin(); it != part.end(); ++it)
                if (!schema.contains(it.key()))
                    schema.insert(it.key(), it.value());
        }
        if (!properties.isEmpty())
            schema.insert(QStringLiteral("properties"), properties);
        if (!required.isEmpty())
            schema.insert(QStringLiteral("required"), required);
        return schema;
    }

    static QString typeOf(const QJsonObject &schema)
    {
        const QJsonValue type = schema.value(u"type");
        if (type.isString())
            return type.toString();
        for (const QJsonValue &t : type.toArray())
            if (t.toString() != u"null")
                return t.toString();
        if (type.isArray() && !type.toArray().isEmpty())
            return QStringLiteral("null");
        // Untyped: guess from the keywords present.
        if (schema.contains(u"properties") || schema.contains(u"required"))
            return QStringLiteral("object");
        if (schema.contains(u"items"))
            return QStringLiteral("array");
        if (schema.contains(u"minimum") || schema.contains(u"maximum"))
            return QStringLiteral("number");
        return QStringLiteral("string");
    }

    QString stringFor(const QJsonObject &schema, const QString &name) const
    {
        const QString format = schema.value(u"format").toString();
        QString s;
        if (format == u"date")
            s = QStringLiteral("2026-01-15");
        else if (format == u"date-time")
            s = QStringLiteral("2026-01-15T09:30:00Z");
        else if (format == u"time")
            s = QStringLiteral("09:30:00");
        else if (format == u"email")
            s = QStringLiteral("user@example.com");
        else if (format == u"uri" || format == u"url" || format == u"uri-reference")
            s = QStringLiteral("https://example.com/");
        else if (format == u"uuid")
            s = QStringLiteral("00000000-0000-4000-8000-000000000000");
        else
            s = wordsFor(name);
        const int minLength = schema.value(u"minLength").toInt(0);
        const int maxLength = schema.value(u"maxLength").toInt(-1);
        while (s.size() < minLength)
            s += QLatin1Char('x');
        if (maxLength >= 0 && s.size() > maxLength)
            s.truncate(maxLength);
        return s;
    }

    // An id-like name takes an id of the user message, a query-like one its subject.
    QString wordsFor(const QString &name) const
    {
        const QString n = name.toLower();
        const bool idLike = n == u"id" || n.endsWith(QLatin1String("_id")) || n.endsWith(QLatin1String("id"))
            || n.contains(QLatin1String("number")) || n.contains(QLatin1String("ref"));
        if (idLike && !hints.references.isEmpty()) {
            QString ref = hints.references.constFirst();
            if (ref.startsWith(QLatin1Char('#')))
                ref.remove(0, 1);
            return ref;
        }
        static const QStringList queryLike = { QStringLiteral("query"), QStringLiteral("q"),
            QStringLiteral("question"), QStringLiteral("text"), QStringLiteral("topic"),
            QStringLiteral("search"), QStringLiteral("subject"), QStringLiteral("message"),
            QStringLiteral("prompt"), QStringLiteral("input") };
        if (queryLike.contains(n) && !hints.subject.isEmpty())
            return hints.subject;
        return name.isEmpty() ? QStringLiteral("example") : QStringLiteral("example ") + name;
    }

    static double numberFor(const QJsonObject &schema, bool integer)
    {
        const QJsonValue exMin = schema.value(u"exclusiveMinimum"), exMax = schema.value(u"exclusiveMaximum");
        const double step = integer ? 1.0 : 0.5;
        std::optional<double> lo, hi;
        if (schema.value(u"minimum").isDouble())
            lo = schema.value(u"minimum").toDouble();
        if (exMin.isDouble()) // 2019+: a number; draft 4: a flag on minimum
            lo = std::max(lo.value_or(-1e300), exMin.toDouble() + step);
        else if (exMin.toBool() && lo)
            *lo += step;
        if (schema.value(u"maximum").isDouble())
            hi = schema.value(u"maximum").toDouble();
        if (exMax.isDouble())
            hi = std::min(hi.value_or(1e300), exMax.toDouble() - step);
        else if (exMax.toBool() && hi)
            *hi -= step;
        double v = lo && hi ? *lo + (*hi - *lo) / 2 : lo ? *lo : hi ? *hi : 1; // the middle, or the bound
        if (integer)
            v = lo ? std::ceil(v) : std::floor(v);
        const double multiple = schema.value(u"multipleOf").toDouble(0);
        if (multiple > 0) {
            v = std::ceil(v / multiple) * multiple;
            if (hi && v > *hi)
                v -= multiple;
        }
        return v;
    }

    QJsonValue value(QJsonObject schema, const QString &name, int depth) const
    {
        if (depth > kMaxDepth)
            return QJsonValue::Null;
        if (schema.contains(u"$ref"))
            return value(resolve(schema.value(u"$ref").toString()), name, depth + 1);
        if (schema.contains(u"allOf"))
            schema = merged(schema, depth);
        if (schema.contains(u"const"))
            return schema.value(u"const");
        if (const QJsonArray e = schema.value(u"enum").toArray(); !e.isEmpty())
            return e.first();
        if (schema.contains(u"default"))
            return schema.value(u"default");
        if (const QJsonArray ex = schema.value(u"examples").toArray(); !ex.isEmpty())
            return ex.first();
        for (const auto key : { u"anyOf", u"oneOf" }) {
            for (const QJsonValue &alt : schema.value(key).toArray()) // the first that is not null
                if (alt.toObject().value(u"type").toString() != u"null")
                    return value(alt.toObject(), name, depth + 1);
        }
        const QString type = typeOf(schema);
        if (type == u"object")
            return objectFor(schema, depth);
        if (type == u"array")
            return arrayFor(schema, name, depth);
        if (type == u"integer")
            return qint64(numberFor(schema, true));
        if (type == u"number")
            return numberFor(schema, false);
        if (type == u"boolean")
            return true;
        if (type == u"null")
            return QJsonValue::Null;
        return stringFor(schema, name);
    }

    QJsonObject objectFor(const QJsonObject &schema, int depth) const
    {
        QJsonObject o;
        const QJsonObject properties = schema.value(u"properties").toObject();
        for (auto it = properties.begin(); it != properties.end(); ++it)
            o.insert(it.key(), value(it.value().toObject(), it.key(), depth + 1));
        // A required name without a property schema: any value fits.
        for (const QJsonValue &r : schema.value(u"required").toArray())
            if (!o.contains(r.toString()))
                o.insert(r.toString(), stringFor({}, r.toString()));
        return o;
    }

    QJsonArray arrayFor(const QJsonObject &schema, const QString &name, int depth) const
    {
        int count = qMax(1, schema.value(u"minItems").toInt(0));
        if (schema.contains(u"maxItems"))
            count = qMin(count, schema.value(u"maxItems").toInt());
        QJsonArray a;
        const QJsonArray prefix = schema.value(u"prefixItems").toArray();
        for (int i = 0; i < count; ++i) {
            const QJsonObject item
                = i < prefix.size() ? prefix.at(i).toObject() : schema.value(u"items").toObject();
            a.append(value(item, name, depth + 1));
        }
        return a;
    }
};

} // namespace

QJsonValue sampleFor(const QJsonObject &schema, const Hints &hints)
{
    if (schema.isEmpty())
        return QJsonObject();
    return Sampler { schema, hints }.value(schema, QString(), 0);
}

} // namespace schemasample
