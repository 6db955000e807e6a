#pragma once

#include "core/api/ErrorCode.h"
#include "core/api/ExecutionRecord.h"
#include "core/model/Workspace.h"

#include <QPointer>
#include <QWidget>

class ExecutionBackend;
class ExecutionTracker;
class FormBuilder;
class QComboBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class RunOutputPane;

// Test panel, Node in Context mode: run one node of an orchestration
// with its upstream inputs simulated. The node's agent signature is split into "From upstream"
// (inputs that edges feed, "upstreamForm") and "Own inputs" ("ownForm"). Upstream values come
// from the pins, the latest successful full run, a chosen execution id, or are typed by hand
// ("prefillSource", "prefillButton"); every value stays editable. "Pin" ("pinButton") asks to
// save the current upstream values as the node's pins (pinRequested).
// History lookups go through the backend (one lookup at a time; a stale reply is dropped with its context).
class NodeInContextTab final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NodeInContextTab)
public:
    enum class Source { Pins, LatestRun, Execution, ByHand };

    NodeInContextTab(ExecutionBackend *backend, QWidget *parent);

    void setPinningAllowed(bool allowed, const QString &reason = {});

    // Keeps the selected orchestration, node and values when they still exist.
    void setWorkspace(const Workspace &workspace);
    bool selectNode(const QString &orchestrationId, const QString &nodeId);
    QString currentOrchestrationId() const;
    QString currentNodeId() const;

    // Fills the forms (e.g. from a finished Full Workflow run) and says where they came from.
    // With an execution id, the source picker shows "A past execution" and that id.
    void prefill(const QJsonObject &upstream, const QJsonObject &own, const QString &sourceText,
        const QString &executionId = {});
    // Prefills from the chosen source (asynchronous for runs).
    void applySource(Source source, const QString &executionId = {});

    bool canRun() const;
    bool isRunning() const;
    QString run(const QString &rerunOf = {});
    void cancel();

    FormBuilder *upstreamForm() const { return m_upstream; }
    FormBuilder *ownForm() const { return m_own; }
    ExecutionTracker *tracker() const { return m_tracker; }
    RunOutputPane *output() const { return m_output; }
    QString prefillStatus() const;

signals:
    void pinRequested(const QString &orchestrationId, const QString &nodeId, const QJsonObject &values);
    void runningChanged(bool running);

private:
    void onOrchestrationChanged();
    void onNodeChanged();
    void updateButtons();
    void setPrefillStatus(const QString &text, bool problem = false);
    void onExecutionFetched(const ExecutionRecord &record);

    Workspace m_workspace;
    QPointer<ExecutionBackend> m_backend;
    ExecutionTracker *m_tracker = nullptr; // Owned (child).
    QComboBox *m_orchPicker = nullptr; // Owned (children from here on).
    QComboBox *m_nodePicker = nullptr;
    QLabel *m_nodeInfo = nullptr;
    QComboBox *m_source = nullptr;
    QLineEdit *m_executionId = nullptr;
    QPushButton *m_prefill = nullptr;
    QLabel *m_prefillStatus = nullptr;
    QGroupBox *m_upstreamGroup = nullptr;
    QGroupBox *m_ownGroup = nullptr;
    FormBuilder *m_upstream = nullptr;
    FormBuilder *m_own = nullptr;
    QPushButton *m_pin = nullptr;
    QLabel *m_formStatus = nullptr;
    QPushButton *m_run = nullptr;
    QPushButton *m_cancel = nullptr;
    RunOutputPane *m_output = nullptr;

    QString m_shownKey; // "orch/node" shown in the forms
    bool m_pinningAllowed = true;
    QString m_pinToolTip;
    // The context of the pending history lookup (latest run or execution fetch); replaced by the
    // next lookup, so a stale answer never reaches us.
    QObject *m_lookup = nullptr; // Owned (child).
    QObject *newLookup();
    void onLatestRuns(const HistoryPage &page, const Error &error);
    void fetchRun(const QString &executionId);
};
