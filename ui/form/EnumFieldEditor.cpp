#include "ui/form/EnumFieldEditor.h"

#include <QComboBox>
#include <QVBoxLayout>

EnumFieldEditor::EnumFieldEditor(const FieldSpec &spec, QWidget *parent)
    : FieldEditor(spec, parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_combo = new QComboBox(this);
    m_combo->setObjectName(QStringLiteral("field_") + spec.name);
    m_combo->addItems(spec.choices);
    m_combo->setPlaceholderText(spec.required ? tr("choose…") : tr("not set"));
    m_combo->setCurrentIndex(-1);
    m_combo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    connect(m_combo, &QComboBox::currentIndexChanged, this, &FieldEditor::edited);
    layout->addWidget(m_combo);
    setFocusProxy(m_combo);
}

QJsonValue EnumFieldEditor::value(QString *inputError) const
{
    if (inputError)
        inputError->clear();
    if (m_combo->currentIndex() < 0)
        return QJsonValue(QJsonValue::Undefined);
    return m_combo->currentText();
}

void EnumFieldEditor::setValue(const QJsonValue &value)
{
    m_combo->setCurrentIndex(value.isString() ? m_combo->findText(value.toString()) : -1);
}

QWidget *EnumFieldEditor::inputWidget() const
{
    return m_combo;
}
