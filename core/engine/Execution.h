#pragma once

#include "core/api/ErrorCode.h"
#include "core/api/ExecutionEvent.h"
#include "core/api/ExecutionRecord.h"
#include "core/api/ExecutionRequest.h"
#include "core/engine/AgentRun.h"
#include "core/engine/WorkflowRun.h"

#include <QElapsedTimer>
#include <QList>

class EventJournal;
class StoreWriter;

// One execution inside the engine: its record, its steps and its events. Creating a step,
// starting and finishing it writes the row (StoreWriter) and announces it (EventJournal); the
// AgentRuns of the execution report to it as their Host. The engine decides what runs; this
// class only records it.
//
// Threading: engine thread only. Owned by the Engine; owns its AgentRuns.
class Execution final : public AgentRun::Host
{
    Q_DISABLE_COPY_MOVE(Execution)
public:
    enum class State { Queued, Running, Finished };

    Execution(StoreWriter &writer, EventJournal &journal);
    ~Execution() override;

    // What `request` runs in `ws`: the agent (of the node, for Node in Context) and the
    // orchestration. Returns why it cannot start (no or both targets, unknown id / node), or "".
    static QString findTarget(const Workspace &ws, const ExecutionRequest &request, const AgentSpec **agent,
        const OrchestrationSpec **orch);
    // The record of a new, queued execution of `request` (agent / orchestration given when known).
    void initRecord(const ExecutionRequest &request, const QString &id, const Workspace &ws,
        const AgentSpec *agent, const OrchestrationSpec *orch);
    // The `status` queued event, with the execution's header (docs/wire-protocol.md).
    ExecutionEvent queuedEvent() const;
    // Running now: records start and queue time, emits status(running).
    void markRunning();
    // Fills the final record (status, times, tokens, cost), writes it and emits `complete` with
    // its error_code. Returns false when it had finished already.
    bool finish(ExecutionStatus status, ErrorCode code, const QString &error, const QJsonObject &outputData);

    void emitEvent(ExecutionEvent &&event);
    // A node step of node i of `flow` (full workflow / Node in Context).
    StepRecord nodeStep(int i);
    // Node i's agent run ended: records its node step and tells `flow`; the first failure
    // cancels the running siblings (their nodes end `cancelled`).
    void nodeEnded(int i, const AgentRun::Outcome &o);
    // Records the nodes `flow` never started as `skipped` steps.
    void skipRemainingNodes();

    // AgentRun::Host
    StepRecord newStep(
        StepKind kind, const QString &name, const QString &parentStepId, const QString &nodeId) override;
    void stepStarted(StepRecord &s) override;
    void stepFinished(StepRecord &s, StepStatus status) override;
    void chunk(const StepRecord &llm, const QString &text, int tokens) override;
    void charge(const TokenUsage &usage, const std::optional<double> &cost) override;
    bool cancelRequested() const override { return cancelling; }
    QJsonObject toolOverrides() const override { return req.toolOverrides; }
    QString takeToolCalls(int calls) override;
    QString overBudget() const override;

    ExecutionRecord rec;
    ExecutionRequest req;
    Workspace ws;
    CredentialTrust trust; // the decision in force when it was submitted
    // Continuing a conversation: the earlier messages, rebuilt from the store at submit.
    std::optional<QList<ChatMessage>> history;
    int workspaceGeneration = 0;
    State state = State::Queued;
    QElapsedTimer clock; // since queued
    qint64 startedAtMs = 0; // clock time when it started running
    qint64 firstTokenMs = -1; // since started
    QList<AgentRun *> tasks; // Owned.
    bool cancelling = false;
    QList<ValidationProblem> ownProblems; // validate() of ws when it is not the engine's current one

    // Orchestrations (full workflow and Node in Context): node i of `flow` has nodeSteps[i].
    bool isOrchestration = false;
    bool nodeInContext = false;
    WorkflowRun flow;
    QList<AgentSpec> nodeAgents;
    QList<StepRecord> nodeSteps;
    ErrorCode failCode = ErrorCode::None; // why the first failed node failed

private:
    StoreWriter &m_writer;
    EventJournal &m_journal;
    int m_stepCounter = 0;
    int m_toolCalls = 0; // started so far, by every agent of the execution
    TokenUsage m_usage;
    std::optional<double> m_cost = 0.0;
};
