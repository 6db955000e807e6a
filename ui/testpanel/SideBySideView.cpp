#include "ui/testpanel/SideBySideView.h"

#include "ui/testpanel/ExecutionTracker.h"
#include "ui/testpanel/VariantColumn.h"

#include <QHBoxLayout>
#include <QSplitter>

SideBySideView::SideBySideView(ExecutionBackend *backend, QWidget *parent)
    : QWidget(parent)
    , m_backend(backend)
{
    setObjectName(QStringLiteral("sideBySide"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_row = new QSplitter(Qt::Horizontal, this);
    m_row->setObjectName(QStringLiteral("variantColumns"));
    m_row->setChildrenCollapsible(false);
    layout->addWidget(m_row);
}

void SideBySideView::setAgent(const AgentSpec *agent, const QStringList &providerIds)
{
    const bool same = agent && agent->id == m_agent.id && !m_columns.isEmpty();
    m_agent = agent ? *agent : AgentSpec();
    m_providers = providerIds;
    if (!same) {
        clearColumns();
        if (agent)
            appendColumn(VariantSpec::fromAgent(*agent, tr("as is")));
    }
    for (VariantColumn *c : std::as_const(m_columns))
        c->setAgent(m_agent, m_providers);
    updateColumns();
}

QList<VariantSpec> SideBySideView::variants() const
{
    QList<VariantSpec> out;
    for (const VariantColumn *c : m_columns)
        out << c->variant();
    return out;
}

QString SideBySideView::nextName() const
{
    QStringList used;
    for (const VariantColumn *c : m_columns)
        used << c->variant().name;
    for (int n = 2;; ++n) {
        const QString name = tr("variant %1").arg(n);
        if (!used.contains(name))
            return name;
    }
}

bool SideBySideView::addVariant()
{
    if (m_agent.id.isEmpty() || count() >= VariantSpec::MaxVariants || isRunning())
        return false;
    appendColumn(VariantSpec::fromAgent(m_agent, nextName()));
    updateColumns();
    return true;
}

void SideBySideView::removeVariant(int index)
{
    if (index <= 0 || index >= count() || isRunning())
        return; // the first column stays
    // Later: this may run inside the column's own button signal.
    VariantColumn *gone = m_columns.takeAt(index);
    gone->hide();
    gone->deleteLater();
    updateColumns();
}

VariantColumn *SideBySideView::appendColumn(const VariantSpec &variant)
{
    auto *column = new VariantColumn(m_backend, m_row);
    m_row->addWidget(column);
    m_columns << column;
    column->setAgent(m_agent, m_providers);
    column->setVariant(variant);
    connect(column, &VariantColumn::edited, this, &SideBySideView::statusChanged);
    connect(column, &VariantColumn::keepRequested, this,
        [this, column] { emit keepRequested(int(m_columns.indexOf(column))); });
    connect(column, &VariantColumn::removeRequested, this,
        [this, column] { removeVariant(int(m_columns.indexOf(column))); });
    ExecutionTracker *tracker = column->tracker();
    connect(tracker, &ExecutionTracker::statusChanged, this, &SideBySideView::statusChanged);
    connect(tracker, &ExecutionTracker::finished, this, [this] {
        if (m_running && !isRunning()) {
            m_running = false;
            updateColumns();
            emit runningChanged(false);
        }
    });
    connect(tracker, &ExecutionTracker::runConfirmed, this, [this, column](const QString &id) {
        if (m_columns.value(0) == column)
            emit runConfirmed(id);
    });
    return column;
}

void SideBySideView::clearColumns()
{
    qDeleteAll(m_columns);
    m_columns.clear();
}

void SideBySideView::updateColumns()
{
    const bool running = isRunning();
    for (int i = 0; i < count(); ++i) {
        VariantColumn *c = m_columns.at(i);
        c->setRemovable(i > 0 && !running);
        c->setLocked(running);
        c->setKeepEnabled(m_keepAllowed, m_keepReason);
    }
    // Equal widths whenever the set changes.
    m_row->setSizes(QList<int>(count(), qMax(1, m_row->width() / qMax(1, count()))));
    emit columnsChanged(count());
}

QStringList SideBySideView::problems() const
{
    QStringList out;
    for (const VariantColumn *c : m_columns) {
        const VariantSpec v = c->variant();
        const QString name = v.name.isEmpty() ? tr("(unnamed)") : v.name;
        if (v.provider.isEmpty())
            out << tr("%1: no provider").arg(name);
        if (v.model.isEmpty())
            out << tr("%1: no model name").arg(name);
    }
    return out;
}

QStringList SideBySideView::run(const ExecutionRequest &base)
{
    QStringList ids;
    if (m_agent.id.isEmpty() || isRunning() || !problems().isEmpty())
        return ids;
    m_running = true;
    updateColumns();
    for (VariantColumn *c : std::as_const(m_columns))
        ids << c->start(base, m_agent);
    emit runningChanged(true);
    // A backend that refuses at once ends every column before this returns.
    if (!isRunning() && m_running) {
        m_running = false;
        updateColumns();
        emit runningChanged(false);
    }
    return ids;
}

void SideBySideView::cancel()
{
    for (VariantColumn *c : std::as_const(m_columns))
        c->cancel();
}

bool SideBySideView::isRunning() const
{
    return std::any_of(
        m_columns.cbegin(), m_columns.cend(), [](const VariantColumn *c) { return c->isRunning(); });
}

void SideBySideView::setKeepAllowed(bool allowed, const QString &reason)
{
    m_keepAllowed = allowed;
    m_keepReason = reason;
    updateColumns();
}
