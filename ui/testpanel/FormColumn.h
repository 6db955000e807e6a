#pragma once

#include "core/model/Workspace.h"

#include <QString>

#include <functional>

class QComboBox;
class QHBoxLayout;
class QLabel;
class QPushButton;
class QVBoxLayout;
class QWidget;

// The pieces every test-panel tab's left column is made of (what to run, its form, Run and
// Cancel), so the three tabs look and behave alike. GUI thread only.
namespace formcolumn {

// A greyed, word-wrapped line under a picker or above the buttons.
QLabel *addHint(QVBoxLayout *layout, QWidget *parent, const QString &objectName);

// A combo box with its buddy label ("&Agent"), appended to `row` with stretch 1.
QComboBox *addPicker(
    QHBoxLayout *row, QWidget *parent, const QString &label, const QString &objectName, int minimumChars);

// `content` inside a frameless, resizable scroll area, added to `layout` with stretch 1.
void addScrolled(QVBoxLayout *layout, QWidget *content, QWidget *parent);

// The "examplesPicker" combo beside a picker, appended to `row`: its first entry is a prompt,
// then one entry per example; choosing one calls `load` with that example's inputs and the
// combo shows its prompt again.
QComboBox *addExamplesPicker(QHBoxLayout *row, QWidget *parent, const QString &toolTip,
    std::function<void(const QJsonObject &inputs)> load);
// Lists `examples` in a picker made by addExamplesPicker (disabled when there are none).
void setExamples(QComboBox *picker, const QList<InputExample> &examples);

struct RunRow
{
    QLabel *status = nullptr; // "formStatus": why Run is disabled, or "Running…"
    QPushButton *cancel = nullptr; // "cancelButton" (Esc)
    QPushButton *run = nullptr; // "runButton" (Ctrl+Return)
    QHBoxLayout *buttons = nullptr; // the row of Cancel / Run (room on its left)
};
// The status line and the Cancel / Run buttons at the bottom of the column.
RunRow addRunRow(QVBoxLayout *layout, QWidget *parent, const QString &runText, const QString &runToolTip,
    int runMinimumWidth);

} // namespace formcolumn
