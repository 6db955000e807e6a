#pragma once

#include "core/api/ExecutionRequest.h"
#include "core/model/Workspace.h"
#include "ui/testpanel/VariantSpec.h"

#include <QPointer>
#include <QWidget>

class ExecutionBackend;
class QSplitter;
class VariantColumn;

// Single Agent's side-by-side comparison ("sideBySide", docs/side-by-side.md): one to four
// VariantColumns of one agent in a row ("variantColumns"), the first starting as the agent as it
// is. run() starts the same request once per column, each with its variant's agent_overrides,
// all at once: the engine runs them in parallel up to its concurrency (the others wait
// `queued`, which their metrics show). Each column follows its own execution. GUI thread only.
class SideBySideView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SideBySideView)
public:
    SideBySideView(ExecutionBackend *backend, QWidget *parent);

    // The agent to compare variants of (nullptr: none). Another agent than before starts over
    // with one column, the agent as it is; the same agent keeps the columns as edited.
    void setAgent(const AgentSpec *agent, const QStringList &providerIds);
    QString agentId() const { return m_agent.id; }

    int count() const { return int(m_columns.size()); }
    VariantColumn *column(int index) const { return m_columns.value(index); }
    QList<VariantSpec> variants() const;
    // A new column, the agent as it is, named "variant N" (false at MaxVariants or while running).
    bool addVariant();
    void removeVariant(int index);

    // Why run() cannot start, one line per variant problem ("variant 2: no model name").
    QStringList problems() const;
    // Starts `base` on every column (same inputs, budget and mocks); returns their ids, in
    // column order.
    QStringList run(const ExecutionRequest &base);
    void cancel(); // every column
    bool isRunning() const; // any column
    // Whether Keep is offered, and why not.
    void setKeepAllowed(bool allowed, const QString &reason);

signals:
    void runningChanged(bool running);
    void columnsChanged(int count);
    // A column's status changed (the tab refreshes its buttons).
    void statusChanged();
    void keepRequested(int index);
    // The backend confirmed the first column's execution (the trace follows that one).
    void runConfirmed(const QString &executionId);

private:
    VariantColumn *appendColumn(const VariantSpec &variant);
    void clearColumns();
    void updateColumns();
    QString nextName() const;

    QPointer<ExecutionBackend> m_backend;
    AgentSpec m_agent;
    QStringList m_providers;
    QSplitter *m_row = nullptr; // Owned (children from here on).
    QList<VariantColumn *> m_columns;
    bool m_running = false;
    bool m_keepAllowed = false;
    QString m_keepReason;
};
