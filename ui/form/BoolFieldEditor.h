#pragma once

#include "ui/form/FieldEditor.h"

class QCheckBox;

// bool: a check box; it always has a value (true or false).
class BoolFieldEditor final : public FieldEditor
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BoolFieldEditor)
public:
    BoolFieldEditor(const FieldSpec &spec, QWidget *parent);

    QJsonValue value(QString *inputError = nullptr) const override;
    void setValue(const QJsonValue &value) override;
    QWidget *inputWidget() const override;

private:
    QCheckBox *m_box = nullptr; // Owned (child).
};
