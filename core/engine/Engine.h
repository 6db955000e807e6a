#pragma once

#include "core/api/ExecutionBackend.h" // metatypes of HistoryPage / ExecutionRecord
#include "core/api/ExecutionEvent.h"
#include "core/api/ExecutionRecord.h"
#include "core/api/ExecutionRequest.h"
#include "core/engine/EngineSettings.h"
#include "core/model/Workspace.h"

#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QMutex>
#include <QObject>
#include <QSet>
#include <QStringList>
#include <QTimer>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

class ExecutionStore;
class LlmCall;
class QNetworkAccessManager;
struct LlmRequest;
struct LlmResult;

// The embedded execution engine (docs/architecture.md): a worker object that lives on its own thread
// (LocalBackend owns that thread; tests and the server may own one themselves).
//
// What it does: queues requests (EngineSettings::concurrency running at once, the rest
// `queued`), runs agents (llm step + parse step) and orchestrations (every ready node of the
// DAG at once, outputs mapped along edges, one `node` step per node with its llm and parse
// steps nested), records every execution, step and metric in its own ExecutionStore as they
// happen, and emits execution events (docs/wire-protocol.md) with a gap-free per-execution seq from 1:
//   status(queued) -> status(running) -> step_started / chunk / step_completed ... -> complete
//
// Recorded fields: execution_type is `agent` for agent runs and `orchestration` for both
// orchestration modes; test_mode says the mode (single_agent | full_workflow |
// node_in_context). A Node in Context run records agent_id (the node's agent),
// orchestration_id, node_id, and input_data {"inputs": own inputs, "upstream": the upstream
// values actually used}.
//
// Threading: construct anywhere, moveToThread() the engine thread, then call initialize() ON
// that thread (it opens the database connection and the network access manager there). Every
// slot runs on the engine thread: call them from other threads through
// QMetaObject::invokeMethod(engine, …, Qt::QueuedConnection). The methods marked thread-safe
// may be called directly from any thread. Signals are emitted on the engine thread; connect
// with a context object on your thread to get them queued.
//
// Store writes happen as things happen (execution inserted at queue time, updated at start
// and end; steps inserted when they start and updated when they end; the partial text of a
// running LLM step every EngineSettings::partialFlushMs). They are grouped into one transaction
// for at most 100 ms, and the transaction is always committed before a batch holding a
// `complete` event is emitted: whoever sees an execution end finds it complete in the store.
//
// Failures are values: bad inputs, an invalid orchestration (each problem with its JSON path),
// a missing upstream value, a provider error or a reply that does not fit the signature end the
// execution `failed` with a message naming the field / node / provider. A failing node cancels
// its running siblings and records the nodes never started as `skipped` steps.
//
// Events are batched for throughput: they collect in a pending batch that is flushed once per
// event-loop turn (or every few thousand events) as ONE eventsReady() signal carrying events of
// all executions, in seq order per execution.
//
// Subscribing from another thread (the remote server does this): first connect to
// eventsReady(), then call eventsSince(id, afterSeq) and drop any later event whose seq you
// already have. Every event is put in the replay buffer before the batch holding it is
// emitted, so nothing is missed between the two. Events of finished executions stay in the
// buffer for EngineSettings::eventRetentionMs (bounded by maxRetainedEvents); after that
// eventsSince() reports the execution unknown and the store has the final record.
class Engine final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Engine)
public:
    explicit Engine(const Workspace &workspace, const EngineSettings &settings, QObject *parent = nullptr);
    ~Engine() override;

    // Registers the metatypes that cross threads in signals (idempotent; the constructor
    // calls it too).
    static void registerMetaTypes();

    // --- Thread-safe ---------------------------------------------------------------------
    // The buffered events of an execution with seq > afterSeq, in seq order. *known is set to
    // false when the engine has no events for that id (never seen, or dropped after
    // retention: read the store instead).
    ExecutionEventList eventsSince(const QString &executionId, qint64 afterSeq, bool *known = nullptr) const;
    int runningCount() const { return m_runningCount.load(); }
    int queuedCount() const { return m_queuedCount.load(); }

public slots:
    // --- Engine thread only ----------------------------------------------------------------
    // Opens the store (if EngineSettings::databasePath is set) and the network access manager.
    void initialize();
    // Queues a run. The execution id is request.executionId or a new UUID. Emits
    // started(ticket, id) after the `queued` record and event exist, or startFailed(ticket,
    // message) when the request names no known agent / orchestration / node.
    void submit(quint64 ticket, const ExecutionRequest &request);
    // Cancels a queued or running execution (running LLM calls are aborted at once; the
    // partial output is kept). Unknown or finished ids are ignored.
    void cancel(const QString &executionId);
    void cancelAll();
    // Runs started later use this workspace; running ones keep the one they started with.
    void setWorkspace(const Workspace &workspace);
    // Runs submitted later use this trust decision for their keys; earlier ones keep theirs.
    void setCredentialTrust(const CredentialTrust &trust);
    // Results come back as historyReady / executionFetched / queryFailed with the ticket.
    // These four see only the current workspace's executions (its organization and workspace
    // ids): the database is shared with other workspace files and, on a server, other tenants.
    void queryHistory(quint64 ticket, const HistoryQuery &query);
    void fetchExecution(quint64 ticket, const QString &executionId);
    // executionsDeleted(ticket, count) / queryFailed. Queued and running executions are kept.
    void deleteExecutions(quint64 ticket, const QStringList &ids);
    void applyRetention(quint64 ticket, int keepLast, const QDateTime &olderThan);
    // Cancels everything, flushes events and the store, closes the database connection.
    // Call on the engine thread before it quits.
    void shutdown();

signals:
    void started(quint64 ticket, const QString &executionId);
    void startFailed(quint64 ticket, const QString &message);
    void eventsReady(const ExecutionEventList &events);
    void historyReady(quint64 ticket, const HistoryPage &page);
    void executionFetched(quint64 ticket, const ExecutionRecord &record);
    void queryFailed(quint64 ticket, const QString &message);
    void executionsDeleted(quint64 ticket, int count);
    void countsChanged(int running, int queued);
    // The database could not be opened or written (the run itself continues).
    void storeFailed(const QString &message);

private:
    struct Execution;
    struct AgentTask;
    struct NodeRun;
    struct TaskOutcome;

    // Queue and lifecycle.
    void pump();
    void schedulePump();
    void startExecution(Execution *x);
    void finishExecution(
        Execution *x, const QString &status, const QString &error, const QJsonObject &outputData);
    void updateCounts();
    void cancelExecution(Execution *x);

    // Agent runs (one agent: llm step + parse step), used by every mode.
    void runSingleAgent(Execution *x);
    AgentTask *startAgentTask(Execution *x, const AgentSpec &agent, const QJsonObject &inputs,
        const QString &parentStepId, const QString &nodeId,
        std::function<void(AgentTask *, const TaskOutcome &)> done);
    void launchTaskCall(AgentTask *t, const LlmRequest &request); // the key is resolved
    void failTaskLater(AgentTask *t, const QString &error);
    void onTaskChunk(AgentTask *t, const QString &text, int tokens);
    void onTaskAttemptFailed(AgentTask *t, int attempt, const QString &error);
    void onTaskFinished(AgentTask *t, const LlmResult &result);
    void endTask(AgentTask *t, const TaskOutcome &outcome);
    void cancelTask(AgentTask *t);

    // Orchestrations.
    void runOrchestration(Execution *x);
    void runNodeInContext(Execution *x);
    void startReadyNodes(Execution *x);
    void startNode(Execution *x, int index);
    void onNodeDone(Execution *x, int index, const TaskOutcome &outcome);
    void settleOrchestration(Execution *x);
    const QStringList &workspaceProblems(Execution *x);
    QStringList orchestrationProblems(Execution *x, const OrchestrationSpec &o);
    QStringList agentProblems(Execution *x, const QString &agentId);

    // Steps, events, store.
    StepRecord newStep(Execution *x, const QString &kind, const QString &name, const QString &parentStepId,
        const QString &nodeId);
    void stepStarted(Execution *x, StepRecord &s);
    void stepFinished(Execution *x, StepRecord &s, const QString &status);
    void emitEvent(Execution *x, ExecutionEvent &&event);
    void scheduleFlush();
    void flushEvents();
    void flushQueued();
    void flushPartialOutputs();
    void commitStore();
    void storeWrite(const std::function<Result<void>(ExecutionStore &)> &write);
    void evictFinished();

    Workspace m_workspace;
    EngineSettings m_settings;
    std::unique_ptr<ExecutionStore> m_store; // Owned; opened and used on the engine thread.
    QNetworkAccessManager *m_network = nullptr; // Owned (child); created in initialize().
    bool m_txOpen = false; // a store transaction groups recent writes
    bool m_pendingTerminal = false; // m_pending holds a `complete` event
    QElapsedTimer m_txClock; // since the open transaction began
    QTimer m_commitTimer; // commits an idle open transaction
    bool m_storeFailedReported = false;

    bool m_shutDown = false;
    bool m_pumpScheduled = false;
    int m_workspaceGeneration = 0;
    QHash<QString, Execution *> m_executions; // Owned: queued and running.
    QList<Execution *> m_graveyard; // Owned: finished, deleted by a posted event.
    QList<Execution *> m_queue; // Not owned: queued, in order.
    int m_running = 0;
    std::atomic<int> m_runningCount { 0 };
    std::atomic<int> m_queuedCount { 0 };
    int m_lastRunning = -1, m_lastQueued = -1;

    ExecutionEventList m_pending; // events not yet flushed
    bool m_flushScheduled = false;
    QTimer m_partialTimer; // flushes partial LLM output to the store
    QSet<AgentTask *> m_activeTasks; // Not owned (owned by their Execution).

    // Replay buffer, shared with other threads through eventsSince().
    struct Replay
    {
        ExecutionEventList events;
        bool finished = false;
        qint64 finishedAtMs = 0;
    };
    mutable QMutex m_replayMutex;
    QHash<QString, Replay> m_replay;
    QList<QString> m_finishedOrder; // finished executions, oldest first
    qint64 m_retainedFinishedEvents = 0;

    std::optional<QStringList> m_problemsCache; // Workspace::validate() of m_workspace
};
