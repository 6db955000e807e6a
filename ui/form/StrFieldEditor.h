#pragma once

#include "ui/form/FieldEditor.h"

class QLineEdit;
class QsciScintilla;

// str: a line edit, or a QScintilla editor (word-wrapped, no lexer) when `multiline`.
// Empty text is "no value".
class StrFieldEditor final : public FieldEditor
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StrFieldEditor)
public:
    StrFieldEditor(const FieldSpec &spec, QWidget *parent);

    QJsonValue value(QString *inputError = nullptr) const override;
    void setValue(const QJsonValue &value) override;
    QWidget *inputWidget() const override;

private:
    QLineEdit *m_line = nullptr; // Owned (child); single-line fields.
    QsciScintilla *m_text = nullptr; // Owned (child); multiline fields.
};
