#pragma once

#include "ui/form/FieldEditor.h"

class JsonEditor;

// json: a QScintilla JSON editor with live syntax validation (the error position is
// underlined). Empty text is "no value".
class JsonFieldEditor final : public FieldEditor
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JsonFieldEditor)
public:
    JsonFieldEditor(const FieldSpec &spec, QWidget *parent);

    QJsonValue value(QString *inputError = nullptr) const override;
    void setValue(const QJsonValue &value) override;
    QWidget *inputWidget() const override;

private:
    JsonEditor *m_editor = nullptr; // Owned (child).
};
