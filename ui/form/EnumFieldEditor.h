#pragma once

#include "ui/form/FieldEditor.h"

class QComboBox;

// enum: a combo box of the choices; no selection (the placeholder) is "no value".
class EnumFieldEditor final : public FieldEditor
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EnumFieldEditor)
public:
    EnumFieldEditor(const FieldSpec &spec, QWidget *parent);

    QJsonValue value(QString *inputError = nullptr) const override;
    void setValue(const QJsonValue &value) override;
    QWidget *inputWidget() const override;

private:
    QComboBox *m_combo = nullptr; // Owned (child).
};
