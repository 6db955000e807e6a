#pragma once

#include "core/model/FieldSpec.h"

#include <QJsonObject>
#include <QList>

// The form of a tool's arguments, from its JSON Schema (an object schema): each property
// becomes a field whose editor fits its schema — string (with enum: a choice), number,
// integer, boolean, arrays of strings / numbers / integers as list editors; objects, arrays of
// anything else, unions (anyOf/oneOf, type lists) and untyped properties get the JSON editor.
// Required properties are required fields; "default", "description", "minimum"/"maximum" and
// "maxLength" carry over. Pure function.
namespace schemafields {

QList<FieldSpec> fromSchema(const QJsonObject &inputSchema);

} // namespace schemafields
