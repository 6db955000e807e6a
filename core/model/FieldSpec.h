#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

// One typed field of a signature (DESIGN.md §3): str, int, float, bool, enum, list[str],
// list[int], list[float], json.
enum class FieldType { Str, Int, Float, Bool, Enum, ListStr, ListInt, ListFloat, Json };

struct FieldSpec
{
    QString name;
    FieldType type = FieldType::Str;
    QString desc;
    bool multiline = false;            // str
    std::optional<int> maxLength;      // str
    std::optional<double> min, max;    // int, float
    QStringList choices;               // enum
    std::optional<QJsonValue> defaultValue;
    bool required = true;              // false when a default exists or "required": false
    QJsonObject raw;                   // the field object as read (unknown keys kept on save)

    static QString typeName(FieldType type);                 // "list[str]"
    static std::optional<FieldType> typeFromName(const QString &name);

    // Parses one field object; every problem is appended as "<path>.<key>: <reason>".
    static std::optional<FieldSpec> fromJson(const QJsonValue &value, const QString &path,
                                             QStringList *problems);
    QJsonObject toJson() const;                             // raw with known keys rewritten

    // Checks a value against type, min/max, max_length and choices. Returns an empty string
    // when it fits, else the reason ("expected an integer, got \"abc\"", "must be ≥ 5").
    // An int field accepts a JSON number with no fraction.
    QString validate(const QJsonValue &value) const;

    // Converts text typed by a user (a form field, `--input NAME=VALUE`) into a value of this
    // type: "42" -> 42 for int, "a,b" or a JSON array for lists, JSON text for json.
    std::optional<QJsonValue> fromText(const QString &text, QString *error) const;

    // The JSON Schema of this field (for provider JSON modes and descriptions in prompts).
    QJsonObject jsonSchema() const;
};

struct Signature
{
    QList<FieldSpec> inputs;
    QList<FieldSpec> outputs;

    const FieldSpec *input(const QString &name) const;
    const FieldSpec *output(const QString &name) const;
    // True when the reply is taken as raw text: exactly one output and it is `str`.
    bool rawTextOutput() const;
    // {"type":"object","properties":…,"required":[…],"additionalProperties":false}
    QJsonObject outputSchema() const;
};

// Validates a full input object against a list of fields: applies defaults for missing
// optional fields, reports each problem as "<field>: <reason>" (unknown fields included).
// Returns the completed inputs (defaults filled in) when there is no problem.
std::optional<QJsonObject> validateInputs(const QList<FieldSpec> &fields, const QJsonObject &inputs,
                                          QStringList *problems);
