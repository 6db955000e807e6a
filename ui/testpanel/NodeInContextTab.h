#pragma once

#include "core/api/ErrorCode.h"
#include "core/api/ExecutionRecord.h"
#include "ui/testpanel/TestTab.h"

#include <QPointer>

class ExecutionBackend;
class FormBuilder;
class QComboBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;

// Test panel, Node in Context mode: run one node of an orchestration
// with its upstream inputs simulated. The node's agent signature is split into "From upstream"
// (inputs that edges feed, "upstreamForm") and "Own inputs" ("ownForm"). Upstream values come
// from the pins, the latest successful full run, a chosen execution id, or are typed by hand
// ("prefillSource", "prefillButton"); every value stays editable. "Pin" ("pinButton") asks to
// save the current upstream values as the node's pins (pinRequested).
// History lookups go through the backend (tickets; stale replies are dropped).
class NodeInContextTab final : public TestTab
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NodeInContextTab)
public:
    enum class Source { Pins, LatestRun, Execution, ByHand };

    NodeInContextTab(ExecutionBackend *backend, QWidget *parent);

    // Pin is offered only where pins can be saved (not in a workspace served by a remote
    // server); `reason` is the button's tooltip when it is not.
    void setPinningAllowed(bool allowed, const QString &reason = {});

    QString title() const override;
    QString description() const override;
    TestMode mode() const override { return TestMode::NodeInContext; }

    // Keeps the selected orchestration, node and values when they still exist.
    void setWorkspace(const Workspace &workspace) override;
    bool selectNode(const QString &orchestrationId, const QString &nodeId);
    QString currentOrchestrationId() const;
    QString currentNodeId() const;

    // Fills the forms (e.g. from a finished Full Workflow run) and says where they came from.
    // With an execution id, the source picker shows "A past execution" and that id.
    void prefill(const QJsonObject &upstream, const QJsonObject &own, const QString &sourceText,
        const QString &executionId = {});
    // Prefills from the chosen source (asynchronous for runs).
    void applySource(Source source, const QString &executionId = {});

    bool canRun() const override;
    QString run(const QString &rerunOf = {}) override;
    bool loadRecord(const ExecutionRecord &record, QString *error) override;
    QList<FormBuilder *> forms() const override { return { m_upstream, m_own }; }

    FormBuilder *upstreamForm() const { return m_upstream; }
    FormBuilder *ownForm() const { return m_own; }
    QString prefillStatus() const;

signals:
    void pinRequested(const QString &orchestrationId, const QString &nodeId, const QJsonObject &values);

private:
    void buildSourceRow();
    void buildForms();
    void onOrchestrationChanged();
    void onNodeChanged();
    void updateButtons() override;
    void setPrefillStatus(const QString &text, bool problem = false);
    void onExecutionFetched(const ExecutionRecord &record);

    Workspace m_workspace;
    QPointer<ExecutionBackend> m_backend;
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
