#include "ui/testpanel/FormColumn.h"

#include <QAbstractItemView>
#include <QComboBox>
#include <QCoreApplication>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QVBoxLayout>

#include <algorithm>

namespace formcolumn {

QLabel *addHint(QVBoxLayout *layout, QWidget *parent, const QString &objectName)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setWordWrap(true);
    label->setStyleSheet(QStringLiteral("color: palette(dark);"));
    layout->addWidget(label);
    return label;
}

QComboBox *addPicker(
    QHBoxLayout *row, QWidget *parent, const QString &label, const QString &objectName, int minimumChars)
{
    auto *picker = new QComboBox(parent);
    picker->setObjectName(objectName);
    picker->setMinimumContentsLength(minimumChars);
    picker->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    auto *buddy = new QLabel(label, parent);
    buddy->setBuddy(picker);
    row->addWidget(buddy);
    row->addWidget(picker, 1);
    return picker;
}

QComboBox *addExamplesPicker(QHBoxLayout *row, QWidget *parent, const QString &toolTip,
    std::function<void(const QJsonObject &inputs)> load)
{
    auto *picker = new QComboBox(parent);
    picker->setObjectName(QStringLiteral("examplesPicker"));
    picker->setToolTip(toolTip);
    // As wide as its "Examples…" prompt, never as wide as the longest example name: the
    // agent or workflow picker beside it keeps the rest of the row. The list that drops down is
    // widened to the names instead (setExamples).
    picker->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    picker->setMinimumContentsLength(9);
    row->addWidget(picker);
    QObject::connect(picker, &QComboBox::activated, picker, [picker, load = std::move(load)](int index) {
        if (index > 0)
            load(picker->itemData(index).toJsonObject());
        const QSignalBlocker block(picker);
        picker->setCurrentIndex(0);
    });
    setExamples(picker, {});
    return picker;
}

void setExamples(QComboBox *picker, const QList<InputExample> &examples)
{
    picker->clear();
    picker->addItem(examples.isEmpty() ? QCoreApplication::translate("FormColumn", "No examples")
                                       : QCoreApplication::translate("FormColumn", "Examples…"));
    int widest = 0;
    for (const InputExample &ex : examples) {
        picker->addItem(ex.name, ex.inputs);
        widest = std::max(widest, picker->fontMetrics().horizontalAdvance(ex.name));
    }
    picker->view()->setMinimumWidth(widest + 40); // room for the scroll bar and margins
    picker->setEnabled(!examples.isEmpty());
}

void addScrolled(QVBoxLayout *layout, QWidget *content, QWidget *parent)
{
    auto *scroll = new QScrollArea(parent);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);
    layout->addWidget(scroll, 1);
}

RunRow addRunRow(QVBoxLayout *layout, QWidget *parent, const QString &runText, const QString &runToolTip,
    int runMinimumWidth)
{
    RunRow row;
    row.status = addHint(layout, parent, QStringLiteral("formStatus"));
    auto *buttons = new QHBoxLayout;
    buttons->addStretch();
    row.cancel = new QPushButton(QCoreApplication::translate("FormColumn", "Cancel"), parent);
    row.cancel->setObjectName(QStringLiteral("cancelButton"));
    row.cancel->setToolTip(QCoreApplication::translate("FormColumn", "Cancel the run (Esc)"));
    row.run = new QPushButton(runText, parent);
    row.run->setObjectName(QStringLiteral("runButton"));
    row.run->setToolTip(runToolTip);
    row.run->setMinimumWidth(runMinimumWidth);
    buttons->addWidget(row.cancel);
    buttons->addWidget(row.run);
    layout->addLayout(buttons);
    row.buttons = buttons;
    return row;
}

} // namespace formcolumn
