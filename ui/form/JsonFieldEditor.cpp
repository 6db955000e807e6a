#include "ui/form/JsonFieldEditor.h"

#include "ui/common/JsonEditor.h"

#include <QVBoxLayout>

JsonFieldEditor::JsonFieldEditor(const FieldSpec &spec, QWidget *parent)
    : FieldEditor(spec, parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_editor = new JsonEditor(this);
    m_editor->setObjectName(QStringLiteral("field_") + spec.name);
    m_editor->setPreferredLines(4);
    m_editor->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    connect(m_editor, &JsonEditor::textChanged, this, &FieldEditor::edited);
    layout->addWidget(m_editor);
    setFocusProxy(m_editor);
}

QJsonValue JsonFieldEditor::value(QString *inputError) const
{
    if (inputError)
        inputError->clear();
    if (m_editor->isEmptyText())
        return QJsonValue(QJsonValue::Undefined);
    if (!m_editor->isValid()) {
        if (inputError)
            *inputError = tr("invalid JSON, %1").arg(m_editor->errorText());
        return QJsonValue(QJsonValue::Undefined);
    }
    return m_editor->jsonValue();
}

void JsonFieldEditor::setValue(const QJsonValue &value)
{
    m_editor->setJsonValue(value); // null is a JSON value here: shown as "null"
}

QWidget *JsonFieldEditor::inputWidget() const
{
    return m_editor;
}
