#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

// A deterministic value that fits a JSON Schema: the scripted provider's arguments for a tool
// it calls by default (docs/tool-calls.md, "The scripted provider"). Private to the providers;
// when a shared schema module offers the same, this one goes.
namespace schemasample {

// Words from the request that make the strings read like the conversation.
struct Hints
{
    QString subject; // what the user message is about: for query-like string properties
    QStringList references; // ids found in the user message ("#A-1042"): for id-like properties
};

// Honours const, enum (the first), default, examples, type (or the first non-null of a type
// list), string minLength/maxLength/format (date, date-time, time, email, uri, uuid),
// number and integer minimum/maximum (exclusive ones too)/multipleOf, array
// items/minItems/maxItems, object properties (all of them, the required ones included),
// anyOf/oneOf (the first), allOf (merged) and local $ref (#/$defs/…, #/definitions/…).
// `pattern` and `uniqueItems` are not honoured. An empty schema gives {} (a tool's arguments are an object).
QJsonValue sampleFor(const QJsonObject &schema, const Hints &hints = {});

} // namespace schemasample
