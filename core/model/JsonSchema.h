#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

// A JSON Schema as tools describe their arguments (docs/json-schema.md): checks a schema,
// validates a value against it and makes a sample value that fits. Debian 12's one C++
// validator (valijson) would pull Qt 5 development packages in and makes no samples (the
// page says more), so this is the subset tool definitions use, written here:
//
//   type (a name or a list of names), properties, required, additionalProperties,
//   patternProperties, enum, const, items, minItems, maxItems, minimum, maximum,
//   exclusiveMinimum, exclusiveMaximum (number, or the draft-4 boolean), minLength, maxLength,
//   pattern, anyOf, oneOf, allOf, $ref to a JSON pointer in the same document (#/$defs/…,
//   #/definitions/…, #), and boolean schemas (true, false).
//
// Other keywords (title, description, default, examples, format, …) are annotations: accepted
// and ignored by validation. Value errors name the JSON path of the value
// ("$.order_id: expected a string, got 5"); schema problems the path inside the schema.
//
// Pure value type: no I/O, any thread.
class JsonSchema
{
public:
    explicit JsonSchema(const QJsonObject &schema = {});

    const QJsonObject &object() const { return m_root; }

    // True for a schema of JSON objects: "type": "object" (or a list of types holding only
    // "object"), or no type but "properties". Tool arguments need one.
    bool isObjectSchema() const;

    // Problems of the schema itself, each "<path>.<keyword>: why" under `path` (a workspace
    // path such as "tools.orders.parameters"): an unknown type name, a keyword of the wrong
    // kind, a pattern that does not compile, a $ref that names nothing. Empty when usable.
    QStringList problems(const QString &path) const;

    // Why `value` does not fit, one line per problem, in document order: "$: expected an
    // object, got []", "$.order_id: missing (required)", "$.items[2]: expected at most 10, got
    // 12". Empty when it fits.
    QStringList validate(const QJsonValue &value) const;

    // A value that fits (deterministic): the schema's default, else its const, its first enum
    // value, its first example; else built from the type: every declared property of an
    // object, minItems (at least one) items of an array, a number at its lower bound (0 when
    // unbounded), "example" stretched to minLength. anyOf / oneOf take their first branch,
    // allOf merges its branches' objects.
    QJsonValue sample() const;

    // "$", "$.name", "$['odd key']", "$[3]": the path of a child value.
    static QString childPath(const QString &parent, const QString &key);
    static QString indexPath(const QString &parent, qsizetype index);

private:
    QJsonObject m_root;
};

// JSON equality with numbers compared by value (1 == 1.0), as JSON Schema's enum and const
// compare; objects by their keys, arrays item by item.
bool jsonValuesEqual(const QJsonValue &a, const QJsonValue &b);
