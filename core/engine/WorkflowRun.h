#pragma once

#include "core/model/Workspace.h"

#include <QJsonObject>
#include <QList>
#include <QString>

// The state machine of one orchestration run (docs/architecture.md, "Workflow run"): which
// nodes may start, what inputs each gets along the edges, what a failure or a cancel does to
// the rest, and the workflow's outputs. Pure: no event loop, no network, no store, no steps;
// the engine drives it (starts the agent of every node it hands out, reports back how each
// ended) and records what it says.
//
// Rules: a node is ready when every node it depends on (OrchestrationGraph) is done; roots are
// ready at once; at most nodeConcurrency nodes run at once (0 = no limit). The first failure
// stops the run (fail() says so, and the engine cancels the running siblings); a cancel stops
// it too. Once stopped no node starts; when nothing runs any more the run is settled and the
// nodes never started are skipped. Values flow along edges: an edge from "input" reads the
// workflow inputs, an edge from a node reads that node's outputs; a value that is absent is not
// set (the node's own input check reports it).
//
// A value type, any thread. Node indices are the vertices of OrchestrationGraph (the order of
// `nodes`).
class WorkflowRun
{
public:
    enum class NodeState { Waiting, Running, Done, Failed, Cancelled, Skipped };
    enum class Result { Running, Completed, Failed, Cancelled, Stuck };

    WorkflowRun() = default;
    // A full run of `orch` with its (validated) workflow inputs.
    WorkflowRun(const OrchestrationSpec &orch, const QJsonObject &workflowInputs, int nodeConcurrency = 0);
    // A run of one node of `orch` with inputs computed up front (Node in Context); its outputs
    // are the node's outputs.
    static WorkflowRun singleNode(
        const OrchestrationSpec &orch, const QString &nodeId, const QJsonObject &inputs);

    int size() const { return int(m_nodes.size()); }
    const NodeSpec &node(int i) const { return m_nodes.at(i).spec; }
    NodeState state(int i) const { return m_nodes.at(i).state; }
    int runningCount() const { return m_running; }

    // The next node to start now, marked Running; -1 when none may (nothing ready, the limit
    // reached, or the run stopped).
    int startNext();
    // The inputs of node i from the edges into it (or the preset inputs of singleNode()).
    QJsonObject inputsOf(int i) const;

    // Node i ended. complete() makes its dependents ready when their last dependency is done.
    void complete(int i, const QJsonObject &outputs);
    // Returns true when this is the first failure of a run not cancelled: the run is now
    // failing (error() says "node 'x' failed: why") and the caller cancels the running nodes.
    bool fail(int i, const QString &error);
    void nodeCancelled(int i);
    // The text a node produced before it failed or was cancelled (kept in the outputs as
    // "partial").
    void setPartialText(int i, const QString &text);

    // Stops the run: no node starts any more.
    void cancel();
    bool stopping() const { return m_failing || m_cancelled; }

    // Nothing runs and nothing more will start: the run can be finished.
    bool settled() const;
    // Marks every node never started as Skipped and returns them, in index order.
    QList<int> skipRemaining();
    // Completed when every node is done, else Failed / Cancelled / Stuck (some nodes could
    // never run); Running while not settled.
    Result result() const;
    QString error() const; // of a failed (or stuck) run
    // The workflow outputs (each `outputs` entry from a done node; for singleNode() the node's
    // outputs), plus {"partial": {node id: text}} of nodes not done that produced text.
    QJsonObject outputs() const;

private:
    struct InEdge
    {
        int from = -1; // -1: the workflow inputs
        QString fromField, toField;
    };
    struct Node
    {
        NodeSpec spec;
        QList<InEdge> in;
        QList<int> dependents;
        int pendingDeps = 0;
        NodeState state = NodeState::Waiting;
        QJsonObject outputs;
        QString partialText;
    };

    QList<Node> m_nodes;
    QList<int> m_ready;
    QList<WorkflowOutputSpec> m_outputSpecs;
    QString m_orchestrationId;
    QJsonObject m_workflowInputs;
    bool m_single = false;
    QJsonObject m_presetInputs;
    int m_limit = 0;
    int m_running = 0;
    int m_done = 0;
    bool m_failing = false;
    bool m_cancelled = false;
    QString m_error;
};
