#pragma once

#include "core/api/ExecutionBackend.h" // metatypes of HistoryPage / ExecutionRecord
#include "core/api/ExecutionEvent.h"
#include "core/api/ExecutionRecord.h"
#include "core/api/ExecutionRequest.h"
#include "core/engine/AgentRun.h"
#include "core/engine/EngineSettings.h"
#include "core/engine/EventJournal.h"
#include "core/engine/StoreWriter.h"
#include "core/model/Workspace.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

class Execution;
class ToolHost;
class ExecutionStore;
class QNetworkAccessManager;

// The embedded execution engine (docs/architecture.md): a worker object that lives on its own thread
// (LocalBackend owns that thread; tests and the server may own one themselves).
//
// The Engine itself keeps the queue, the concurrency limit, dispatch and the lifecycle; the
// units it drives (docs/architecture.md, "Engine units"): Execution (record, steps, events of
// one run), AgentRun (one agent call), WorkflowRun (the DAG state machine), EventJournal (seq,
// batching, replay buffer, retention), StoreWriter (grouped store writes), and
// core/api/UpstreamResolver (Node in Context upstream values).
//
// What it does: queues requests (EngineSettings::concurrency running at once, the rest
// `queued`), runs agents (llm step + parse step) and orchestrations (every ready node of the
// DAG at once, outputs mapped along edges, one `node` step per node with its llm and parse
// steps nested), records every execution, step and metric in its own ExecutionStore as they
// happen, and emits execution events (docs/wire-protocol.md) with a gap-free per-execution seq from 1:
//   status(queued) -> status(running) -> step_started / chunk / step_completed ... -> complete
//
// The `queued` status event carries the execution's header and `complete` its error_code
// (docs/wire-protocol.md).
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
// execution `failed` with a message naming the field / node / provider. The problems of a run
// are those owned by its agent, or by its orchestration and the agents of its nodes. A failing node cancels
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
    // The workspace's tool sources (docs/tools.md). Lives on the engine thread: use it only
    // there (QMetaObject::invokeMethod with it as context). Null before initialize().
    ToolHost *tools() const { return m_tools; }

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
    // Queue and lifecycle.
    void pump();
    void schedulePump();
    void startExecution(Execution *x);
    void finishExecution(Execution *x, ExecutionStatus status, ErrorCode code, const QString &error,
        const QJsonObject &outputData);
    void updateCounts();
    void cancelExecution(Execution *x);

    // The three modes; every agent call is an AgentRun.
    void runSingleAgent(Execution *x);
    // Rebuilds the conversation x continues (request conversation_of + message) into
    // x->history; returns why it cannot ("" when it can).
    QString continueConversation(Execution *x);
    AgentRun *startAgentRun(Execution *x, const AgentSpec &agent, const QJsonObject &inputs,
        const QString &parentStepId, const QString &nodeId, AgentRun::Done done);
    void runOrchestration(Execution *x);
    void runNodeInContext(Execution *x);
    std::optional<ExecutionRecord> latestUpstreamRun(Execution *x);
    void startReadyNodes(Execution *x);
    void startNode(Execution *x, int index);
    void onNodeDone(Execution *x, int index, const AgentRun::Outcome &outcome);
    void settleOrchestration(Execution *x);
    // The validation problems owned by these agents / this orchestration in x's workspace.
    QList<ValidationProblem> problemsOf(
        Execution *x, const QStringList &agents, const QString &orchestrationId);
    // False (and x finished `failed`) when o or an agent of its nodes has problems.
    bool orchestrationIsValid(Execution *x, const OrchestrationSpec &o);

    Workspace m_workspace;
    EngineSettings m_settings;
    StoreWriter m_writer; // the store and its grouped writes (engine thread)
    EventJournal m_journal; // seq, batching, replay buffer (eventsSince from any thread)
    QNetworkAccessManager *m_network = nullptr; // Owned (child); created in initialize().
    ToolHost *m_tools = nullptr; // Owned (child); created in initialize().

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

    std::optional<QList<ValidationProblem>> m_problemsCache; // Workspace::validate() of m_workspace

    // Response caches (docs/response-cache.md; core/engine/EngineResponseCache.cpp): one open
    // ResponseCacheStore per file, on the engine thread, shared by the runs that use it.
    // Opens the cache a request asks for; why it cannot ("" when it can or none is asked).
    QString openResponseCache(const ResponseCacheOptions &options);
    void applyResponseCache(const ResponseCacheOptions &options, AgentRun::Context *context) const;
    QString responseCachePath(const ResponseCacheOptions &options) const;
    QHash<QString, std::shared_ptr<ResponseCache>> m_responseCaches;
};
