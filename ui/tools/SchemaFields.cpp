#include "ui/tools/SchemaFields.h"

#include <QJsonArray>

namespace schemafields {

namespace {

// The list type for an array whose items have the scalar `itemType`, if there is one.
std::optional<FieldType> listOf(const QString &itemType)
{
    if (itemType == QLatin1String("string"))
        return FieldType::ListStr;
    if (itemType == QLatin1String("integer"))
        return FieldType::ListInt;
    if (itemType == QLatin1String("number"))
        return FieldType::ListFloat;
    return std::nullopt;
}

// A string enum: its choices; anything else (numbers, mixed): empty, the JSON editor takes it.
QStringList stringChoices(const QJsonArray &values)
{
    QStringList choices;
    for (const QJsonValue &v : values) {
        if (!v.isString())
            return {};
        choices << v.toString();
    }
    return choices;
}

FieldType typeOf(const QJsonObject &schema, QStringList *choices)
{
    const QString type = schema.value(u"type").toString(); // a type list is not a string: JSON
    if (schema.contains(u"enum")) {
        *choices = stringChoices(schema.value(u"enum").toArray());
        return choices->isEmpty() ? FieldType::Json : FieldType::Enum;
    }
    if (type == QLatin1String("string"))
        return FieldType::Str;
    if (type == QLatin1String("integer"))
        return FieldType::Int;
    if (type == QLatin1String("number"))
        return FieldType::Float;
    if (type == QLatin1String("boolean"))
        return FieldType::Bool;
    if (type == QLatin1String("array")) {
        const QJsonObject items = schema.value(u"items").toObject();
        if (!items.contains(u"enum"))
            if (const std::optional<FieldType> list = listOf(items.value(u"type").toString()))
                return *list;
    }
    return FieldType::Json;
}

} // namespace

QList<FieldSpec> fromSchema(const QJsonObject &inputSchema)
{
    const QJsonObject properties = inputSchema.value(u"properties").toObject();
    QStringList required;
    for (const QJsonValue &v : inputSchema.value(u"required").toArray())
        required << v.toString();
    QList<FieldSpec> fields;
    for (auto it = properties.constBegin(); it != properties.constEnd(); ++it) {
        const QJsonObject schema = it.value().toObject();
        FieldSpec f;
        f.name = it.key();
        f.type = typeOf(schema, &f.choices);
        f.desc = schema.value(u"description").toString();
        if (f.desc.isEmpty())
            f.desc = schema.value(u"title").toString();
        if (schema.contains(u"minimum"))
            f.min = schema.value(u"minimum").toDouble();
        if (schema.contains(u"maximum"))
            f.max = schema.value(u"maximum").toDouble();
        if (f.type == FieldType::Str && schema.contains(u"maxLength"))
            f.maxLength = schema.value(u"maxLength").toInt();
        f.multiline
            = f.type == FieldType::Str && schema.value(u"format").toString() == QLatin1String("textarea");
        if (schema.contains(u"default"))
            f.defaultValue = schema.value(u"default");
        f.required = required.contains(f.name) && !f.defaultValue;
        fields << f;
    }
    return fields;
}

} // namespace schemafields
