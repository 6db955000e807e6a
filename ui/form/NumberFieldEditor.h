#pragma once

#include "ui/form/FieldEditor.h"

class QAbstractSpinBox;
class QLineEdit;
class QSpinBox;
class QDoubleSpinBox;

// int and float: a spin box honouring the field's min and max (ranges wider than a 32-bit
// int are clamped to it). An empty box is "no value": optional fields start empty unless they
// have a default, required ones too, so a missing required number is visible.
class NumberFieldEditor final : public FieldEditor
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NumberFieldEditor)
public:
    NumberFieldEditor(const FieldSpec &spec, QWidget *parent);

    QJsonValue value(QString *inputError = nullptr) const override;
    void setValue(const QJsonValue &value) override;
    QWidget *inputWidget() const override;

private:
    QSpinBox *m_int = nullptr; // Owned (child); int fields.
    QDoubleSpinBox *m_float = nullptr; // Owned (child); float fields.
    QLineEdit *m_edit = nullptr; // Not owned: the spin box's own line edit.
};
