#pragma once

#include "core/api/ExecutionRecord.h"
#include "core/api/ExecutionTypes.h"
#include "core/model/Workspace.h"

#include <QTabWidget>

#include <functional>

class ExecutionBackend;
class FullWorkflowTab;
class NodeInContextTab;
class SingleAgentTab;
class TestTab;

// The test panel: three mode tabs — Single Agent ("singleAgentTab"), Node in
// Context ("nodeInContextTab") and Full Workflow ("fullWorkflowTab") — over one execution
// backend. "Test in context" in Full Workflow opens Node in Context prefilled from that run;
// rerun() opens a stored execution in its mode with the same inputs and runs it again.
// Run, cancel, re-run, focus and workspace changes go to the tabs through the TestTab
// interface, never by their concrete type.
class TestPanel final : public QTabWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TestPanel)
public:
    TestPanel(ExecutionBackend *backend, QWidget *parent);

    void setWorkspace(const Workspace &workspace);
    // Runs `hook` before every run of every tab reaches the backend (see
    // ExecutionTracker::setBeforeStart).
    void setBeforeRun(const std::function<void()> &hook);
    // Whether Node in Context may pin values into the workspace (not for a server's workspace).
    void setPinningAllowed(bool allowed, const QString &reason = {});

    void showAgent(const QString &agentId);
    void showOrchestration(const QString &orchestrationId);
    void showNode(const QString &orchestrationId, const QString &nodeId);

    // The current tab's Run and Cancel (Ctrl+Return / Esc).
    void runCurrent();
    void cancelCurrent();
    bool isAnyRunning() const;
    // Puts the keyboard focus in the current tab's first input field.
    void focusCurrentForm();
    // Re-runs a stored execution with the same inputs (rerun_of set). Returns the new id, or
    // empty (with *error) when its agent / workflow / node is not in this workspace.
    QString rerun(const ExecutionRecord &record, QString *error = nullptr);

    SingleAgentTab *singleAgent() const { return m_single; }
    NodeInContextTab *nodeInContext() const { return m_node; }
    FullWorkflowTab *fullWorkflow() const { return m_full; }
    // Every tab, in tab order.
    const QList<TestTab *> &tabs() const { return m_tabs; }
    // The mode a stored execution re-runs in (older records without test_mode: from its ids).
    static TestMode modeOf(const ExecutionRecord &record);

signals:
    void pinRequested(const QString &orchestrationId, const QString &nodeId, const QJsonObject &values);
    // A run started in one of the tabs, under the id its backend confirmed (for the history and
    // trace views).
    void executionStarted(const QString &executionId);
    // Single Agent kept a side-by-side variant: the workspace file at `path` now holds
    // `workspace` (the window takes it as its document and gives it to the engine).
    void workspaceSaved(const Workspace &workspace, const QString &path);

private:
    void addTestTab(TestTab *tab);
    TestTab *currentTab() const;

    QList<TestTab *> m_tabs; // Owned (tab pages), in tab order.
    // The same pages by type, for the navigation that names a target (showAgent, showNode…).
    SingleAgentTab *m_single = nullptr;
    NodeInContextTab *m_node = nullptr;
    FullWorkflowTab *m_full = nullptr;
};
