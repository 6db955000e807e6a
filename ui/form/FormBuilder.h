#pragma once

#include "core/model/FieldSpec.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QWidget>

class FieldEditor;
class JsonEditor;
class QFormLayout;
class QLabel;
class QStackedWidget;
class QToolButton;

// The input form generated from a signature (docs/workspace-format.md): one FieldEditor per field with its
// name, a required marker (*), the description (hint and tooltip), the default, and an inline
// error label "error_<name>". A "Raw JSON" toggle ("rawJsonToggle") shows the whole input
// object in a JSON editor ("rawJsonEditor") and round-trips both ways; bad JSON there keeps
// the form invalid with the parse error ("rawJsonError").
//
// values() holds what was entered: a field left empty is absent (the engine fills defaults).
// validityChanged() follows every edit; "required" is reported for untouched fields too but
// only shown inline once the field was touched, so a fresh form is not all red.
class FormBuilder final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FormBuilder)
public:
    explicit FormBuilder(QWidget *parent = nullptr);

    // Rebuilds the form; fields start at their defaults (or empty).
    void setFields(const QList<FieldSpec> &fields);
    const QList<FieldSpec> &fields() const { return m_fields; }
    // Shown instead of the form when there are no fields.
    void setEmptyText(const QString &text);

    QJsonObject values() const;
    // Fields absent from `values` go back to their defaults (or empty). Unknown keys are dropped.
    void setValues(const QJsonObject &values);
    void resetToDefaults();

    bool isValid() const { return m_problems.isEmpty(); }
    // Every problem, "<field>: <reason>" (or "raw JSON: …").
    QStringList problems() const { return m_problems; }
    QString fieldError(const QString &name) const { return m_fieldErrors.value(name); }
    FieldEditor *editor(const QString &name) const;

    bool isRawJson() const { return m_rawMode; }
    // Switches views. Leaving raw mode fails (and stays) while the JSON there is not an object.
    bool setRawJson(bool on);
    JsonEditor *rawEditor() const { return m_raw; }

signals:
    void validityChanged(bool valid);
    void valuesEdited();

private:
    struct Row
    {
        FieldEditor *editor = nullptr; // Not owned (child of the form page).
        QLabel *error = nullptr; // Not owned.
        bool touched = false;
    };

    void revalidate();
    void showErrors();

    QList<FieldSpec> m_fields;
    QList<Row> m_rows;
    QHash<QString, QString> m_fieldErrors;
    QStringList m_problems;
    bool m_lastValid = true;
    bool m_rawMode = false;
    bool m_building = false;

    QToolButton *m_rawToggle = nullptr; // Owned (child).
    QStackedWidget *m_stack = nullptr; // Owned (child).
    QWidget *m_formPage = nullptr; // Owned (child of m_stack); rebuilt by setFields.
    QLabel *m_empty = nullptr; // Owned (child).
    JsonEditor *m_raw = nullptr; // Owned (child of m_stack).
    QLabel *m_rawError = nullptr; // Owned (child of m_stack).
};
