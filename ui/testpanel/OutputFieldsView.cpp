#include "ui/testpanel/OutputFieldsView.h"

#include "core/common/Util.h"

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QFontMetrics>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QToolButton>
#include <QVBoxLayout>

namespace {
QString textOf(const QJsonValue &v, bool pretty)
{
    if (v.isUndefined())
        return {};
    if (v.isString())
        return v.toString();
    if (pretty && v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Indented)).trimmed();
    if (pretty && v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Indented)).trimmed();
    return as::compactJson(v);
}

bool isBlock(const FieldSpec *f, const QJsonValue &v)
{
    if (v.isArray() || v.isObject())
        return true;
    if (f && f->multiline)
        return true;
    return v.isString() && (v.toString().contains(QLatin1Char('\n')) || v.toString().size() > 80);
}
} // namespace

OutputFieldsView::OutputFieldsView(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("outputFields"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    auto *header = new QHBoxLayout;
    m_placeholder = new QLabel(tr("The parsed output fields appear here when the run completes."), this);
    m_placeholder->setStyleSheet(QStringLiteral("color: palette(dark);"));
    m_placeholder->setWordWrap(true);
    header->addWidget(m_placeholder, 1);
    header->addStretch();
    auto *copyAll = new QToolButton(this);
    copyAll->setObjectName(QStringLiteral("copyAll"));
    copyAll->setText(tr("Copy as JSON"));
    copyAll->setToolTip(tr("Copy the whole output object"));
    copyAll->setAutoRaise(true);
    connect(copyAll, &QToolButton::clicked, this, [this] {
        QApplication::clipboard()->setText(
            QString::fromUtf8(QJsonDocument(m_values).toJson(QJsonDocument::Indented)));
    });
    header->addWidget(copyAll);
    layout->addLayout(header);
    m_rows = new QWidget(this);
    layout->addWidget(m_rows);
    layout->addStretch();
    rebuild();
}

void OutputFieldsView::setPlaceholder(const QString &text)
{
    m_placeholder->setText(text);
}

void OutputFieldsView::setFields(const QList<FieldSpec> &fields)
{
    m_fields = fields;
    m_values = {};
    rebuild();
}

void OutputFieldsView::setValues(const QJsonObject &values)
{
    m_values = values;
    rebuild();
}

void OutputFieldsView::clearValues()
{
    m_values = {};
    rebuild();
}

QString OutputFieldsView::displayText(const QString &name) const
{
    const FieldSpec *spec = nullptr;
    for (const FieldSpec &f : m_fields)
        if (f.name == name)
            spec = &f;
    const QJsonValue v = m_values.value(name);
    return textOf(v, isBlock(spec, v));
}

void OutputFieldsView::rebuild()
{
    delete m_rows;
    m_rows = new QWidget(this);
    m_rows->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    static_cast<QVBoxLayout *>(layout())->insertWidget(1, m_rows);
    auto *form = new QFormLayout(m_rows);
    form->setContentsMargins(0, 0, 0, 0);
    form->setLabelAlignment(Qt::AlignLeft | Qt::AlignTop);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

    QStringList names;
    for (const FieldSpec &f : m_fields)
        names << f.name;
    for (auto it = m_values.begin(); it != m_values.end(); ++it)
        if (!names.contains(it.key()))
            names << it.key();

    const bool empty = m_values.isEmpty();
    m_placeholder->setVisible(empty);
    findChild<QToolButton *>(QStringLiteral("copyAll"))->setVisible(!empty);
    if (empty)
        return;

    for (const QString &name : std::as_const(names)) {
        const FieldSpec *spec = nullptr;
        for (const FieldSpec &f : m_fields)
            if (f.name == name)
                spec = &f;
        const QJsonValue v = m_values.value(name);
        const bool block = isBlock(spec, v);
        const QString text = v.isUndefined() ? QString() : textOf(v, block);

        auto *cell = new QWidget(m_rows);
        auto *row = new QHBoxLayout(cell);
        row->setContentsMargins(0, 0, 0, 0);
        QWidget *valueWidget = nullptr;
        if (block && (v.isArray() || v.isObject())) {
            // JSON: monospaced, as tall as its lines (up to a limit, then it scrolls).
            auto *edit = new QPlainTextEdit(text, cell);
            edit->setReadOnly(true);
            edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
            edit->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
            const int lines = qBound(1, int(text.count(QLatin1Char('\n'))) + 1, 14);
            edit->setFixedHeight(lines * QFontMetrics(edit->font()).lineSpacing() + 14);
            valueWidget = edit;
        } else if (block) {
            // Long text: wrapped in full, selectable; the page scrolls.
            auto *label = new QLabel(cell);
            label->setTextFormat(Qt::PlainText);
            label->setText(text);
            label->setWordWrap(true);
            label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
            label->setFrameShape(QFrame::StyledPanel);
            label->setAutoFillBackground(true);
            label->setBackgroundRole(QPalette::Base);
            label->setMargin(6);
            label->setAlignment(Qt::AlignLeft | Qt::AlignTop);
            label->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
            valueWidget = label;
        } else {
            auto *edit = new QLineEdit(text, cell);
            edit->setReadOnly(true);
            edit->setCursorPosition(0);
            if (v.isUndefined())
                edit->setPlaceholderText(tr("(missing)"));
            valueWidget = edit;
        }
        valueWidget->setObjectName(QStringLiteral("output_") + name);
        row->addWidget(valueWidget, 1);
        auto *copy = new QToolButton(cell);
        copy->setObjectName(QStringLiteral("copy_") + name);
        copy->setText(tr("Copy"));
        copy->setToolTip(tr("Copy %1").arg(name));
        copy->setAutoRaise(true);
        connect(copy, &QToolButton::clicked, this, [text] { QApplication::clipboard()->setText(text); });
        row->addWidget(copy, 0, Qt::AlignTop);

        auto *label = new QLabel(m_rows);
        label->setTextFormat(Qt::RichText);
        label->setText(
            QStringLiteral("<b>%1</b><br><span style=\"color:gray\">%2</span>")
                .arg(name.toHtmlEscaped(),
                    spec ? FieldSpec::typeName(spec->type).toHtmlEscaped() : QStringLiteral("json")));
        if (spec && !spec->desc.isEmpty())
            label->setToolTip(spec->desc);
        form->addRow(label, cell);
    }
}
