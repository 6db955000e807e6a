#include "ui/form/ListFieldEditor.h"

#include "core/common/Util.h"

#include <QDoubleValidator>
#include <QHBoxLayout>
#include <QIntValidator>
#include <QJsonArray>
#include <QLineEdit>
#include <QListWidget>
#include <QRegularExpressionValidator>
#include <QStyledItemDelegate>
#include <QToolButton>
#include <QVBoxLayout>

namespace {
FieldType itemType(FieldType listType)
{
    switch (listType) {
    case FieldType::ListInt:
        return FieldType::Int;
    case FieldType::ListFloat:
        return FieldType::Float;
    default:
        return FieldType::Str;
    }
}

// Edits number items in a line edit that only accepts numbers.
class ItemDelegate final : public QStyledItemDelegate
{
public:
    ItemDelegate(FieldType type, QObject *parent)
        : QStyledItemDelegate(parent)
        , m_type(type)
    {
    }
    QWidget *createEditor(
        QWidget *parent, const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        auto *edit = qobject_cast<QLineEdit *>(QStyledItemDelegate::createEditor(parent, option, index));
        if (!edit)
            edit = new QLineEdit(parent);
        if (m_type == FieldType::Int)
            edit->setValidator(
                new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[-+]?\\d*")), edit));
        else if (m_type == FieldType::Float) {
            auto *v = new QDoubleValidator(edit);
            v->setLocale(QLocale::c());
            v->setNotation(QDoubleValidator::ScientificNotation);
            edit->setValidator(v);
        }
        return edit;
    }

private:
    FieldType m_type;
};

QToolButton *makeButton(const QString &name, const QString &text, const QString &tip, QWidget *parent)
{
    auto *b = new QToolButton(parent);
    b->setObjectName(name);
    b->setText(text);
    b->setToolTip(tip);
    b->setAutoRaise(true);
    return b;
}
} // namespace

ListFieldEditor::ListFieldEditor(const FieldSpec &spec, QWidget *parent)
    : FieldEditor(spec, parent)
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("items"));
    m_list->setItemDelegate(new ItemDelegate(itemType(spec.type), m_list));
    m_list->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed
        | QAbstractItemView::AnyKeyPressed | QAbstractItemView::SelectedClicked);
    m_list->setAlternatingRowColors(true);
    m_list->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    m_list->setMinimumHeight(64);
    m_list->setMaximumHeight(110);
    layout->addWidget(m_list, 1);

    auto *buttons = new QVBoxLayout;
    buttons->setSpacing(0);
    m_add = makeButton(QStringLiteral("addItem"), QStringLiteral("+"), tr("Add an item"), this);
    m_remove
        = makeButton(QStringLiteral("removeItem"), QStringLiteral("−"), tr("Remove the selected item"), this);
    m_up = makeButton(QStringLiteral("moveUp"), QStringLiteral("▲"), tr("Move the selected item up"), this);
    m_down = makeButton(
        QStringLiteral("moveDown"), QStringLiteral("▼"), tr("Move the selected item down"), this);
    for (QToolButton *b : { m_add, m_remove, m_up, m_down })
        buttons->addWidget(b);
    buttons->addStretch();
    layout->addLayout(buttons);

    connect(m_add, &QToolButton::clicked, this, [this] {
        addItem();
        m_list->editItem(m_list->currentItem());
    });
    connect(m_remove, &QToolButton::clicked, this, &ListFieldEditor::removeCurrent);
    connect(m_up, &QToolButton::clicked, this, [this] { moveCurrent(-1); });
    connect(m_down, &QToolButton::clicked, this, [this] { moveCurrent(+1); });
    connect(m_list, &QListWidget::itemChanged, this, &FieldEditor::edited);
    connect(m_list, &QListWidget::currentRowChanged, this, &ListFieldEditor::updateButtons);

    setObjectName(QStringLiteral("field_") + spec.name); // the list editor is the input widget
    setFocusProxy(m_list);
    updateButtons();
}

void ListFieldEditor::addItem(const QString &text)
{
    auto *item = new QListWidgetItem(text);
    item->setFlags(item->flags() | Qt::ItemIsEditable);
    m_list->addItem(item);
    m_list->setCurrentItem(item);
    updateButtons();
    emit edited();
}

void ListFieldEditor::removeCurrent()
{
    const int row = m_list->currentRow();
    if (row < 0)
        return;
    delete m_list->takeItem(row);
    updateButtons();
    emit edited();
}

void ListFieldEditor::moveCurrent(int delta)
{
    const int row = m_list->currentRow();
    const int target = row + delta;
    if (row < 0 || target < 0 || target >= m_list->count())
        return;
    QListWidgetItem *item = m_list->takeItem(row);
    m_list->insertItem(target, item);
    m_list->setCurrentRow(target);
    updateButtons();
    emit edited();
}

void ListFieldEditor::updateButtons()
{
    const int row = m_list->currentRow();
    m_remove->setEnabled(row >= 0);
    m_up->setEnabled(row > 0);
    m_down->setEnabled(row >= 0 && row < m_list->count() - 1);
}

QJsonValue ListFieldEditor::value(QString *inputError) const
{
    if (inputError)
        inputError->clear();
    const FieldType type = itemType(spec().type);
    QJsonArray array;
    for (int i = 0; i < m_list->count(); ++i) {
        const QString text = m_list->item(i)->text().trimmed();
        if (type == FieldType::Str) {
            array.append(m_list->item(i)->text());
            continue;
        }
        bool ok = false;
        if (type == FieldType::Int) {
            const qint64 v = text.toLongLong(&ok);
            if (ok)
                array.append(v);
        } else {
            const double v = text.toDouble(&ok);
            if (ok)
                array.append(v);
        }
        if (!ok) {
            if (inputError)
                *inputError = tr("item %1: expected %2, got \"%3\"")
                                  .arg(i + 1)
                                  .arg(type == FieldType::Int ? tr("an integer") : tr("a number"), text);
            return QJsonValue(QJsonValue::Undefined);
        }
    }
    return array;
}

void ListFieldEditor::setValue(const QJsonValue &value)
{
    const QSignalBlocker blocker(m_list);
    m_list->clear();
    const QJsonArray array = value.toArray();
    for (const QJsonValue &v : array) {
        auto *item = new QListWidgetItem(v.isString() ? v.toString() : as::compactJson(v));
        item->setFlags(item->flags() | Qt::ItemIsEditable);
        m_list->addItem(item);
    }
    updateButtons();
    emit edited();
}

QWidget *ListFieldEditor::inputWidget() const
{
    return const_cast<ListFieldEditor *>(this);
}
