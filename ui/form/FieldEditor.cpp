#include "ui/form/FieldEditor.h"

#include "ui/form/BoolFieldEditor.h"
#include "ui/form/EnumFieldEditor.h"
#include "ui/form/JsonFieldEditor.h"
#include "ui/form/ListFieldEditor.h"
#include "ui/form/NumberFieldEditor.h"
#include "ui/form/StrFieldEditor.h"

FieldEditor::FieldEditor(const FieldSpec &spec, QWidget *parent)
    : QWidget(parent)
    , m_spec(spec)
{
    setObjectName(QStringLiteral("editor_") + spec.name);
}

FieldEditor *FieldEditor::create(const FieldSpec &spec, QWidget *parent)
{
    switch (spec.type) {
    case FieldType::Str:
        return new StrFieldEditor(spec, parent);
    case FieldType::Int:
    case FieldType::Float:
        return new NumberFieldEditor(spec, parent);
    case FieldType::Bool:
        return new BoolFieldEditor(spec, parent);
    case FieldType::Enum:
        return new EnumFieldEditor(spec, parent);
    case FieldType::ListStr:
    case FieldType::ListInt:
    case FieldType::ListFloat:
        return new ListFieldEditor(spec, parent);
    case FieldType::Json:
        return new JsonFieldEditor(spec, parent);
    }
    return new JsonFieldEditor(spec, parent);
}
