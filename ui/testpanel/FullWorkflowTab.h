#pragma once

#include "ui/testpanel/TestTab.h"

#include <QHash>
#include <QPointer>

class ExecutionBackend;
class FormBuilder;
class QComboBox;
class QLabel;
class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;
class WorkflowGraphView;

// Test panel, Full Workflow mode: pick an orchestration ("orchestrationPicker"), fill its
// input form ("workflowForm") — a workflow shown afresh starts from its first example, and
// "examplesPicker" loads any of them — Run. The orchestration is drawn as a graph (WorkflowGraphView)
// whose nodes take the state of their `node` steps as the run goes; the node list ("nodeList")
// shows the same states as text. Selecting a node shows its own stream and raw reply; the
// parsed page shows the workflow outputs at the end. "Test in context"
// ("testInContextButton", or the graph's context action) opens the node in Node in Context,
// prefilled with the upstream values of this run.
class FullWorkflowTab final : public TestTab
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FullWorkflowTab)
public:
    enum class NodeState { Waiting, Running, Done, Failed, Skipped };

    FullWorkflowTab(ExecutionBackend *backend, QWidget *parent);

    QString title() const override;
    QString description() const override;
    TestMode mode() const override { return TestMode::FullWorkflow; }

    void setWorkspace(const Workspace &workspace) override;
    bool selectOrchestration(const QString &orchestrationId);
    QString currentOrchestrationId() const;
    void selectNode(const QString &nodeId); // "" = all nodes
    QString selectedNode() const;

    bool canRun() const override;
    QString run(const QString &rerunOf = {}) override;
    bool loadRecord(const ExecutionRecord &record, QString *error) override;
    QList<FormBuilder *> forms() const override { return { m_form }; }
    void setInputs(const QJsonObject &inputs);

    NodeState nodeState(const QString &nodeId) const { return m_states.value(nodeId, NodeState::Waiting); }
    static QString stateName(NodeState state);
    // Upstream values of `nodeId` in the last run (what Test in context prefills), read by the
    // one Node in Context resolver (core/api/UpstreamResolver).
    QJsonObject upstreamOf(const QString &nodeId, QStringList *missing = nullptr) const;
    void testInContext(const QString &nodeId);

    FormBuilder *form() const { return m_form; }
    QTreeWidget *nodeList() const { return m_nodes; }

signals:
    void testInContextRequested(const QString &orchestrationId, const QString &nodeId,
        const QJsonObject &upstream, const QJsonObject &own, const QString &sourceText,
        const QString &executionId);

private:
    QWidget *buildNodesBox(QWidget *parent);
    // The last run as far as this tab saw it (its node steps), for the upstream resolver.
    ExecutionRecord lastRun() const;
    void onOrchestrationChanged();
    void rebuildNodes();
    void setNodeState(const QString &nodeId, NodeState state, const QString &detail = {});
    void onStepStarted(const StepRecord &step);
    void onStepCompleted(const StepRecord &step);
    void onRunFinished(const QString &status) override;
    void updateButtons() override;

    Workspace m_workspace;
    QPointer<ExecutionBackend> m_backend;
    QComboBox *m_orchPicker = nullptr; // Owned (children from here on).
    QComboBox *m_examples = nullptr; // "examplesPicker"
    QLabel *m_orchInfo = nullptr;
    FormBuilder *m_form = nullptr;
    QPushButton *m_testInContext = nullptr;
    WorkflowGraphView *m_graphView = nullptr; // Child of the right-hand splitter.
    QTreeWidget *m_nodes = nullptr;

    QString m_shownOrch;
    QString m_runOrch; // orchestration of the last run
    QString m_runExecutionId;
    QJsonObject m_runInputs;
    QHash<QString, NodeState> m_states;
    QHash<QString, QJsonObject> m_nodeOutputs; // node id -> outputs in the last run
    QHash<QString, QJsonObject> m_nodeInputs; // node id -> inputs in the last run (when recorded)
};
