#include "ui/form/BoolFieldEditor.h"

#include <QCheckBox>
#include <QVBoxLayout>

BoolFieldEditor::BoolFieldEditor(const FieldSpec &spec, QWidget *parent)
    : FieldEditor(spec, parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_box = new QCheckBox(spec.desc, this);
    m_box->setObjectName(QStringLiteral("field_") + spec.name);
    connect(m_box, &QCheckBox::toggled, this, &FieldEditor::edited);
    layout->addWidget(m_box);
    setFocusProxy(m_box);
}

QJsonValue BoolFieldEditor::value(QString *inputError) const
{
    if (inputError)
        inputError->clear();
    return m_box->isChecked();
}

void BoolFieldEditor::setValue(const QJsonValue &value)
{
    m_box->setChecked(value.toBool(false));
}

QWidget *BoolFieldEditor::inputWidget() const
{
    return m_box;
}
