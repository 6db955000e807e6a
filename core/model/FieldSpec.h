#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

// One typed field of a signature (docs/workspace-format.md): str, int, float, bool, enum, list[str],
// list[int], list[float], json.
enum class FieldType { Str, Int, Float, Bool, Enum, ListStr, ListInt, ListFloat, Json };

struct FieldSpec
{
    QString name;
    FieldType type = FieldType::Str;
    QString desc;
    bool multiline = false; // str
    std::optional<int> maxLength; // str
    std::optional<double> min, max; // int, float
    QStringList choices; // enum
    std::optional<QJsonValue> defaultValue;
    bool required = true; // false when a default exists or "required": false
    QJsonObject raw; // the field object as read (unknown keys kept on save)

    static QString typeName(FieldType type); // "list[str]"
    static std::optional<FieldType> typeFromName(const QString &name);

    // Parses one field object; every problem is appended as "<path>.<key>: <reason>".
    // Returns nullopt when the value is not an object or any problem was found.
    static std::optional<FieldSpec> fromJson(
        const QJsonValue &value, const QString &path, QStringList *problems);
    // Like fromJson, but always returns what could be read (the workspace loader keeps list
    // indices stable so that every later problem still names the right JSON path).
    static FieldSpec parse(const QJsonObject &object, const QString &path, QStringList *problems);
    // The field's own consistency: name present and valid, an enum with choices, min ≤ max,
    // a default that passes validate(). Each problem as "<path>.<key>: <reason>".
    QStringList check(const QString &path) const;
    // Names of fields, nodes and agents: letters, digits, '_' and '-' (no '.', used in edges).
    static bool isValidName(const QString &name);
    QJsonObject toJson() const; // raw with known keys rewritten

    // Checks a value against type, min/max, max_length and choices. Returns an empty string
    // when it fits, else the reason ("expected an integer, got \"abc\"", "must be ≥ 5").
    // An int field accepts a JSON number with no fraction.
    QString validate(const QJsonValue &value) const;
    // A validated value in canonical form: int fields (and list[int] items) given as 3.0
    // become the JSON integer 3. Other values are returned unchanged.
    QJsonValue normalize(const QJsonValue &value) const;

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

// A short readable rendering of a value for messages: "\"abc\"", "3", "null", "[1,2]"
// (compact JSON, cut at 60 characters; "nothing" for an undefined value).
QString describeJsonValue(const QJsonValue &value);

// Validates a full input object against a list of fields: applies defaults for missing
// optional fields, reports each problem as "<field>: <reason>" (unknown fields included).
// Returns the completed inputs (defaults filled in) when there is no problem.
std::optional<QJsonObject> validateInputs(
    const QList<FieldSpec> &fields, const QJsonObject &inputs, QStringList *problems);
