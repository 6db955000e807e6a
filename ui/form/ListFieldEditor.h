#pragma once

#include "ui/form/FieldEditor.h"

class QListWidget;
class QToolButton;

// list[str], list[int], list[float]: one editable row per item, typed per item (numbers are
// edited with a validating editor and checked again on read), with Add, Remove, Move up and
// Move down. The value is always an array (possibly empty).
class ListFieldEditor final : public FieldEditor
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ListFieldEditor)
public:
    ListFieldEditor(const FieldSpec &spec, QWidget *parent);

    QJsonValue value(QString *inputError = nullptr) const override;
    void setValue(const QJsonValue &value) override;
    QWidget *inputWidget() const override;

    QListWidget *list() const { return m_list; }
    // Row actions, also bound to the buttons "addItem", "removeItem", "moveUp", "moveDown".
    void addItem(const QString &text = {});
    void removeCurrent();
    void moveCurrent(int delta);

private:
    void updateButtons();

    QListWidget *m_list = nullptr; // Owned (child).
    QToolButton *m_add = nullptr; // Owned (child).
    QToolButton *m_remove = nullptr; // Owned (child).
    QToolButton *m_up = nullptr; // Owned (child).
    QToolButton *m_down = nullptr; // Owned (child).
};
