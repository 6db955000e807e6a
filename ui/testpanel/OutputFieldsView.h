#pragma once

#include "core/model/FieldSpec.h"

#include <QJsonObject>
#include <QWidget>

class QFormLayout;
class QLabel;

// The parsed output of a run, one read-only row per output field, typed (text, numbers, lists
// and JSON shown as such) and copyable ("copy_<name>" per field, "copyAll" for the object).
// Value widgets are "output_<name>". Keys not in the field list are shown as JSON too.
class OutputFieldsView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OutputFieldsView)
public:
    explicit OutputFieldsView(QWidget *parent = nullptr);

    void setFields(const QList<FieldSpec> &fields);
    void setValues(const QJsonObject &values);
    void clearValues();
    QJsonObject values() const { return m_values; }
    // The text shown for a field (what Copy puts on the clipboard).
    QString displayText(const QString &name) const;
    void setPlaceholder(const QString &text);

private:
    void rebuild();

    QList<FieldSpec> m_fields;
    QJsonObject m_values;
    QWidget *m_rows = nullptr; // Owned (child); rebuilt.
    QLabel *m_placeholder = nullptr; // Owned (child).
};
