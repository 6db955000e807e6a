#pragma once

#include "core/model/FieldSpec.h"

#include <QJsonValue>
#include <QWidget>

// The editor of one signature field. Subclasses, one per field type, are made by create().
// The inner input widget carries objectName "field_<name>" so tests and accessibility tools
// find it; the editor itself is "editor_<name>".
class FieldEditor : public QWidget
{
    Q_OBJECT
public:
    // The editor for `spec` (a str, int, float, bool, enum, list or json editor).
    static FieldEditor *create(const FieldSpec &spec, QWidget *parent = nullptr);

    const FieldSpec &spec() const { return m_spec; }

    // The value entered, or an undefined value when the field is left empty. When the text
    // cannot be turned into a value of the field's type (bad JSON, a bad list item) the value
    // is undefined and *inputError says why.
    virtual QJsonValue value(QString *inputError = nullptr) const = 0;
    // Shows `value`; undefined or null empties the field (numbers, enums, text, json).
    virtual void setValue(const QJsonValue &value) = 0;
    // The widget that takes focus and carries "field_<name>".
    virtual QWidget *inputWidget() const = 0;

signals:
    void edited(); // the user (or setValue) changed the value

protected:
    explicit FieldEditor(const FieldSpec &spec, QWidget *parent);

private:
    FieldSpec m_spec;
};
