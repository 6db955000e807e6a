#include "ui/testpanel/VariantColumn.h"

#include "ui/testpanel/ExecutionTracker.h"
#include "ui/testpanel/RunOutputPane.h"
#include "ui/testpanel/VariantEditor.h"

#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QToolButton>
#include <QVBoxLayout>

VariantColumn::VariantColumn(ExecutionBackend *backend, QWidget *parent)
    : QWidget(parent)
    , m_tracker(new ExecutionTracker(backend, this))
{
    setObjectName(QStringLiteral("variantColumn"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);

    auto *head = new QHBoxLayout;
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("variantTitle"));
    m_title->setTextFormat(Qt::PlainText);
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    head->addWidget(m_title, 1);
    m_remove = new QToolButton(this);
    m_remove->setObjectName(QStringLiteral("removeVariantButton"));
    m_remove->setText(QStringLiteral("✕"));
    m_remove->setAutoRaise(true);
    m_remove->setToolTip(tr("Remove this variant"));
    // Hidden on the first column, still taking its room: the headers line up.
    QSizePolicy keepRoom = m_remove->sizePolicy();
    keepRoom.setRetainSizeWhenHidden(true);
    m_remove->setSizePolicy(keepRoom);
    head->addWidget(m_remove);
    layout->addLayout(head);

    // The editor and the output share the height; the user drags the line between them.
    auto *split = new QSplitter(Qt::Vertical, this);
    split->setChildrenCollapsible(false);
    m_editor = new VariantEditor(split);
    auto *scroll = new QScrollArea(split);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(m_editor);
    split->addWidget(scroll);
    m_output = new RunOutputPane(m_tracker, split, MetricsBar::Density::Compact);
    split->addWidget(m_output);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    layout->addWidget(split, 1);

    m_keep = new QPushButton(tr("Keep this variant"), this);
    m_keep->setObjectName(QStringLiteral("keepVariantButton"));
    layout->addWidget(m_keep);

    connect(m_editor, &VariantEditor::edited, this, [this] {
        updateTitle();
        emit edited();
    });
    connect(m_keep, &QPushButton::clicked, this, &VariantColumn::keepRequested);
    connect(m_remove, &QToolButton::clicked, this, &VariantColumn::removeRequested);
    updateTitle();
}

void VariantColumn::setAgent(const AgentSpec &agent, const QStringList &providerIds)
{
    m_editor->setProviders(providerIds);
    m_output->setOutputFields(agent.signature.outputs);
}

void VariantColumn::setVariant(const VariantSpec &variant)
{
    m_editor->setVariant(variant);
    updateTitle();
}

VariantSpec VariantColumn::variant() const
{
    return m_editor->variant();
}

QString VariantColumn::start(ExecutionRequest base, const AgentSpec &agent)
{
    base.agentOverrides = variant().overridesFor(agent);
    base.executionId.clear(); // one execution per column
    return m_tracker->start(base);
}

void VariantColumn::cancel()
{
    m_tracker->cancel();
}

bool VariantColumn::isRunning() const
{
    return m_tracker->isActive();
}

void VariantColumn::setLocked(bool locked)
{
    m_locked = locked;
    m_editor->setEnabled(!locked);
    setKeepEnabled(m_keepEnabled, m_keepReason);
}

void VariantColumn::setKeepEnabled(bool enabled, const QString &reason)
{
    m_keepEnabled = enabled;
    m_keepReason = reason;
    m_keep->setEnabled(enabled && !m_locked);
    m_keep->setToolTip(enabled ? tr("Write this variant's instructions and model settings into the agent, "
                                    "in the workspace file")
                               : reason);
}

void VariantColumn::setRemovable(bool removable)
{
    m_remove->setVisible(removable);
}

void VariantColumn::updateTitle()
{
    const VariantSpec v = m_editor->variant();
    m_title->setText(v.name.isEmpty() ? tr("(unnamed)") : v.name);
    m_title->setToolTip(v.summary());
}
