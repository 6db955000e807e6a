#include "core/engine/Engine.h"

#include "core/api/ExecutionBackend.h"
#include "core/common/Util.h"
#include "core/model/OrchestrationGraph.h"
#include "core/model/Prompt.h"
#include "core/providers/ApiKeyLookup.h"
#include "core/providers/ApiKeys.h"
#include "core/providers/LlmCall.h"
#include "core/store/ExecutionStore.h"

#include <QDateTime>
#include <QJsonArray>
#include <QMutexLocker>
#include <QNetworkAccessManager>
#include <QThread>

// Engine internals. Everything below runs on the engine thread except eventsSince().
//
// Ownership: Engine owns every Execution (m_executions while queued/running; deleted one loop
// turn after it finished). An Execution owns its AgentTasks. An AgentTask's LlmCall is a child
// of the Engine and is deleteLater()'d when it finishes.

namespace {

constexpr int kFlushEveryEvents = 8192;
// Store writes are grouped into one transaction for at most this long (and always committed
// before a batch holding a `complete` event is emitted, so a reader that saw the end finds it).
constexpr int kMaxTransactionMs = 100;

QJsonValue nullIfNegative(qint64 v)
{
    return v < 0 ? QJsonValue() : QJsonValue(v);
}

QJsonValue costValue(const std::optional<double> &c)
{
    return c ? QJsonValue(*c) : QJsonValue();
}

bool pathIsUnder(const QString &problem, const QString &prefix)
{
    if (!problem.startsWith(prefix))
        return false;
    if (problem.size() == prefix.size())
        return true;
    const QChar c = problem.at(prefix.size());
    return c == QLatin1Char('.') || c == QLatin1Char('[') || c == QLatin1Char(':') || c == QLatin1Char(' ');
}

// The tenant whose stored executions this engine may read: the workspace it runs (the app's
// open workspace file, the server's served workspace). The database holds others too.
StoreScope storeScope(const Workspace &ws)
{
    return StoreScope::workspace(ws.organizationId, ws.workspaceId);
}

} // namespace

struct Engine::TaskOutcome
{
    enum class Status { Completed, Failed, Cancelled };
    Status status = Status::Completed;
    QJsonObject outputs;
    QString error;
    QString partialText;
    TokenUsage usage;
    std::optional<double> cost = 0.0;
};

struct Engine::AgentTask
{
    ~AgentTask()
    {
        delete call;
        delete keyLookup;
    }

    Execution *x = nullptr;
    AgentSpec agent;
    QString providerKind;
    QString nodeId, parentStepId;
    QJsonObject llmInput; // input_data of every llm attempt (never the key)
    LlmCall *call = nullptr; // Owned by the engine (QObject child) while running.
    ApiKeyLookup *keyLookup = nullptr; // Owned: the keychain read of the API key, if one was needed.
    StepRecord llm; // the current attempt
    QElapsedTimer llmClock;
    QString text;
    bool dirty = false; // text not yet written to the store
    bool ended = false;
    bool requested = false; // the call was started (something may be billed)
    TokenUsage usage;
    std::optional<double> cost = 0.0;
    std::function<void(AgentTask *, const TaskOutcome &)> done;
};

struct Engine::NodeRun
{
    struct InEdge
    {
        int fromIndex = -1; // -1: the orchestration's inputs
        QString fromField, toField;
    };
    enum class State { Waiting, Running, Done, Failed, Cancelled, Skipped };

    NodeSpec spec;
    AgentSpec agent;
    QList<InEdge> in;
    QList<int> dependents;
    int pendingDeps = 0;
    State state = State::Waiting;
    bool preset = false; // Node in Context: inputs computed up front
    QJsonObject presetInputs;
    StepRecord step;
    QJsonObject outputs;
    QString partialText;
};

struct Engine::Execution
{
    ~Execution() { qDeleteAll(tasks); }

    ExecutionRecord rec;
    ExecutionRequest req;
    Workspace ws;
    CredentialTrust trust; // the decision in force when it was submitted
    int workspaceGeneration = 0;
    qint64 nextSeq = 1;
    enum class State { Queued, Running, Finished } state = State::Queued;
    QElapsedTimer clock; // since queued
    qint64 startedAtMs = 0; // clock time when it started running
    qint64 firstTokenMs = -1; // since started
    int stepCounter = 0;
    QList<AgentTask *> tasks; // Owned.
    bool cancelRequested = false;
    bool failing = false;
    QString failError;
    QStringList ownProblems; // validate() of ws when it is not the engine's current one
    TokenUsage usage;
    std::optional<double> cost = 0.0;

    // Orchestrations (full workflow and Node in Context).
    bool isOrchestration = false;
    bool nodeInContext = false;
    OrchestrationSpec orch;
    QJsonObject workflowInputs;
    QList<NodeRun> nodes;
    QList<int> ready;
    int runningNodes = 0;
    int doneNodes = 0;
};

// ---------------------------------------------------------------------------------------------

Engine::Engine(const Workspace &workspace, const EngineSettings &settings, QObject *parent)
    : QObject(parent)
    , m_workspace(workspace)
    , m_settings(settings)
    , m_commitTimer(this)
    , m_partialTimer(this)
{
    registerMetaTypes();
    m_commitTimer.setSingleShot(true);
    m_commitTimer.setInterval(kMaxTransactionMs);
    connect(&m_commitTimer, &QTimer::timeout, this, &Engine::commitStore);
    m_partialTimer.setInterval(qMax(10, m_settings.partialFlushMs));
    connect(&m_partialTimer, &QTimer::timeout, this, &Engine::flushPartialOutputs);
}

Engine::~Engine()
{
    qDeleteAll(m_executions);
    m_executions.clear();
    qDeleteAll(m_graveyard);
    m_graveyard.clear();
}

void Engine::registerMetaTypes()
{
    qRegisterMetaType<ExecutionEvent>();
    qRegisterMetaType<ExecutionEventList>();
    qRegisterMetaType<HistoryPage>();
    qRegisterMetaType<ExecutionRecord>();
}

ExecutionEventList Engine::eventsSince(const QString &executionId, qint64 afterSeq, bool *known) const
{
    QMutexLocker lock(&m_replayMutex);
    const auto it = m_replay.constFind(executionId);
    if (known)
        *known = it != m_replay.constEnd();
    if (it == m_replay.constEnd())
        return {};
    // The buffer holds seq 1..n in order: seq k sits at index k-1.
    const qint64 from = qMax<qint64>(0, afterSeq);
    if (from >= it->events.size())
        return {};
    return it->events.mid(from);
}

void Engine::initialize()
{
    if (!m_network)
        m_network = new QNetworkAccessManager(this);
    if (!m_settings.databasePath.isEmpty() && !m_store) {
        m_store = std::make_unique<ExecutionStore>(m_settings.databasePath);
        const Result<void> r = m_store->open();
        if (!r.ok()) {
            m_store.reset();
            m_storeFailedReported = true;
            qWarning("engine: cannot open the execution store: %s", qPrintable(r.error()));
            emit storeFailed(r.error());
        }
    }
}

void Engine::setWorkspace(const Workspace &workspace)
{
    m_workspace = workspace;
    ++m_workspaceGeneration;
    m_problemsCache.reset();
}

void Engine::setCredentialTrust(const CredentialTrust &trust)
{
    m_settings.credentialTrust = trust;
}

// --- Queue -----------------------------------------------------------------------------------

void Engine::submit(quint64 ticket, const ExecutionRequest &request)
{
    if (m_shutDown) {
        emit startFailed(ticket, QStringLiteral("the engine is shutting down"));
        return;
    }
    const Workspace &ws = m_workspace;
    const bool hasAgent = !request.agentId.isEmpty();
    const bool hasOrch = !request.orchestrationId.isEmpty();
    if (hasAgent == hasOrch) {
        emit startFailed(
            ticket, QStringLiteral("request: give exactly one of agent_id and orchestration_id"));
        return;
    }
    const AgentSpec *agent = nullptr;
    const OrchestrationSpec *orch = nullptr;
    if (hasAgent) {
        agent = ws.agent(request.agentId);
        if (!agent) {
            emit startFailed(ticket, QStringLiteral("unknown agent '%1'").arg(request.agentId));
            return;
        }
    } else {
        orch = ws.orchestration(request.orchestrationId);
        if (!orch) {
            emit startFailed(
                ticket, QStringLiteral("unknown orchestration '%1'").arg(request.orchestrationId));
            return;
        }
        if (!request.nodeId.isEmpty()) {
            const NodeSpec *node = orch->node(request.nodeId);
            if (!node) {
                emit startFailed(ticket,
                    QStringLiteral("orchestration '%1': unknown node '%2'")
                        .arg(request.orchestrationId, request.nodeId));
                return;
            }
            agent = ws.agent(node->agent);
        }
    }
    const QString id = request.executionId.isEmpty() ? as::newId() : request.executionId;
    {
        QMutexLocker lock(&m_replayMutex);
        if (m_executions.contains(id) || m_replay.contains(id)) {
            lock.unlock();
            emit startFailed(ticket, QStringLiteral("execution '%1' already exists").arg(id));
            return;
        }
        m_replay.insert(id, Replay {});
    }

    auto *x = new Execution;
    x->clock.start();
    x->req = request;
    x->req.executionId = id;
    x->ws = ws;
    x->trust = m_settings.credentialTrust;
    x->workspaceGeneration = m_workspaceGeneration;
    x->isOrchestration = hasOrch;
    x->nodeInContext = hasOrch && !request.nodeId.isEmpty();

    ExecutionRecord &r = x->rec;
    r.id = id;
    r.organizationId = ws.organizationId;
    r.workspaceId = ws.workspaceId;
    r.executionType = hasOrch ? QStringLiteral("orchestration") : QStringLiteral("agent");
    r.testMode = request.effectiveTestMode();
    r.triggerType = request.triggerType;
    r.triggeredBy = request.triggeredBy;
    r.rerunOf = request.rerunOf;
    r.traceId = as::newTraceId();
    r.status = QStringLiteral("queued");
    r.queuedAt = QDateTime::currentDateTimeUtc();
    if (orch) {
        r.orchestrationId = orch->id;
        r.version = orch->version;
        r.nodeId = request.nodeId;
    }
    if (agent) {
        r.agentId = agent->id;
        if (!orch)
            r.version = agent->version;
        r.provider = agent->model.provider;
        r.model = agent->model.name;
    }
    if (x->nodeInContext) {
        r.inputData = QJsonObject { { QStringLiteral("inputs"), request.inputs },
            { QStringLiteral("upstream"), request.upstream } };
    } else {
        r.inputData = request.inputs;
    }

    m_executions.insert(id, x);
    m_queue.append(x);
    storeWrite([&r](ExecutionStore &s) { return s.insertExecution(r); });
    // Committed before anyone hears the id (the server's 202, the runner's first event, the
    // app's status): a run that was acknowledged survives a crash as `interrupted`, it never
    // vanishes from the history (docs/testing.md, fault suite).
    commitStore();
    emitEvent(x, ExecutionEvent::makeStatus(id, r.status));
    emit started(ticket, id);
    pump();
}

void Engine::pump()
{
    m_pumpScheduled = false;
    const int limit = qMax(1, m_settings.concurrency);
    while (m_running < limit && !m_queue.isEmpty())
        startExecution(m_queue.takeFirst());
    updateCounts();
}

void Engine::schedulePump()
{
    if (m_pumpScheduled)
        return;
    m_pumpScheduled = true;
    QMetaObject::invokeMethod(this, &Engine::pump, Qt::QueuedConnection);
}

void Engine::updateCounts()
{
    const int queued = int(m_queue.size());
    m_runningCount.store(m_running);
    m_queuedCount.store(queued);
    if (m_running != m_lastRunning || queued != m_lastQueued) {
        m_lastRunning = m_running;
        m_lastQueued = queued;
        emit countsChanged(m_running, queued);
    }
}

void Engine::startExecution(Execution *x)
{
    x->state = Execution::State::Running;
    ++m_running;
    x->startedAtMs = x->clock.elapsed();
    ExecutionRecord &r = x->rec;
    r.status = QStringLiteral("running");
    r.startedAt = QDateTime::currentDateTimeUtc();
    r.queueMs = x->startedAtMs;
    storeWrite([&r](ExecutionStore &s) { return s.updateExecution(r); });
    ExecutionEvent e = ExecutionEvent::makeStatus(r.id, r.status);
    e.data.insert(QStringLiteral("queue_ms"), r.queueMs);
    emitEvent(x, std::move(e));

    if (!x->isOrchestration)
        runSingleAgent(x);
    else if (x->nodeInContext)
        runNodeInContext(x);
    else
        runOrchestration(x);
}

void Engine::finishExecution(
    Execution *x, const QString &status, const QString &error, const QJsonObject &outputData)
{
    if (x->state == Execution::State::Finished)
        return;
    const bool wasRunning = x->state == Execution::State::Running;
    if (!wasRunning)
        m_queue.removeOne(x);
    x->state = Execution::State::Finished;

    ExecutionRecord &r = x->rec;
    r.status = status;
    r.errorMessage = error;
    r.outputData = outputData;
    r.completedAt = QDateTime::currentDateTimeUtc();
    if (wasRunning) {
        r.executionTimeMs = x->clock.elapsed() - x->startedAtMs;
    } else {
        r.queueMs = x->clock.elapsed();
        r.executionTimeMs = 0;
    }
    r.inputTokens = x->usage.inputTokens;
    r.outputTokens = x->usage.outputTokens;
    r.cachedTokens = x->usage.cachedTokens;
    r.tokensEstimated = x->usage.estimated;
    r.costUsd = x->cost;
    r.ttftMs = x->firstTokenMs;
    storeWrite([&r](ExecutionStore &s) { return s.updateExecution(r); });

    ExecutionEvent e;
    e.type = ExecutionEvent::Type::Complete;
    e.status = status;
    e.data = QJsonObject {
        { QStringLiteral("output_data"), r.outputData },
        { QStringLiteral("input_tokens"), r.inputTokens },
        { QStringLiteral("output_tokens"), r.outputTokens },
        { QStringLiteral("cached_tokens"), r.cachedTokens },
        { QStringLiteral("tokens_estimated"), r.tokensEstimated },
        { QStringLiteral("cost_usd"), costValue(r.costUsd) },
        { QStringLiteral("execution_time_ms"), r.executionTimeMs },
        { QStringLiteral("ttft_ms"), nullIfNegative(r.ttftMs) },
        { QStringLiteral("queue_ms"), r.queueMs },
        { QStringLiteral("error_message"), error.isEmpty() ? QJsonValue() : QJsonValue(error) },
    };
    m_pendingTerminal = true; // before emitEvent: it may flush inline
    emitEvent(x, std::move(e));

    m_executions.remove(r.id);
    if (wasRunning)
        --m_running;
    {
        QMutexLocker lock(&m_replayMutex);
        auto it = m_replay.find(r.id);
        if (it != m_replay.end()) {
            it->finished = true;
            it->finishedAtMs = as::nowMs();
            m_retainedFinishedEvents += it->events.size();
            m_finishedOrder.append(r.id);
        }
    }
    // Callers up the stack, and calls posted before now (a task's deferred failure), may still
    // hold x or its tasks: delete it from an event posted after all of them.
    m_graveyard.append(x);
    QMetaObject::invokeMethod(
        this,
        [this, x] {
            if (m_graveyard.removeOne(x))
                delete x;
        },
        Qt::QueuedConnection);
    scheduleFlush();
    updateCounts();
    schedulePump();
}

void Engine::cancel(const QString &executionId)
{
    if (Execution *x = m_executions.value(executionId))
        cancelExecution(x);
}

void Engine::cancelAll()
{
    // Queued ones first, so none of them starts when a running one ends.
    const QList<Execution *> queued = m_queue;
    for (Execution *x : queued)
        cancelExecution(x);
    const QList<Execution *> all = m_executions.values();
    for (Execution *x : all)
        cancelExecution(x);
}

void Engine::cancelExecution(Execution *x)
{
    if (x->state == Execution::State::Finished)
        return;
    if (x->state == Execution::State::Queued) {
        finishExecution(x, QStringLiteral("cancelled"), QStringLiteral("cancelled"), {});
        return;
    }
    if (x->cancelRequested)
        return;
    x->cancelRequested = true;
    const QList<AgentTask *> tasks = x->tasks;
    for (AgentTask *t : tasks)
        cancelTask(t);
    if (x->isOrchestration)
        settleOrchestration(x);
}

void Engine::cancelTask(AgentTask *t)
{
    if (t->ended)
        return;
    if (t->call) {
        t->call->cancel(); // finished(cancelled) follows, usually at once
        return;
    }
    // No call (its creation failed and the failure is still on its way): end it here, with its
    // llm step recorded as cancelled.
    LlmResult r;
    r.cancelled = true;
    r.text = t->text;
    r.error = QStringLiteral("cancelled");
    onTaskFinished(t, r);
}

void Engine::shutdown()
{
    cancelAll();
    // A call that did not finish at once on cancel() (a network reply still closing) would leave
    // its execution `running` for ever: end those tasks now, as cancelled with what they have.
    const QList<AgentTask *> left = m_activeTasks.values();
    for (AgentTask *t : left) {
        LlmResult r;
        r.cancelled = true;
        r.text = t->text;
        r.error = QStringLiteral("cancelled");
        onTaskFinished(t, r);
    }
    flushPartialOutputs();
    m_partialTimer.stop();
    flushEvents();
    commitStore();
    m_shutDown = true;
    m_store.reset();
}

// --- Agent runs ------------------------------------------------------------------------------

void Engine::runSingleAgent(Execution *x)
{
    const AgentSpec *agent = x->ws.agent(x->req.agentId);
    if (!agent) {
        finishExecution(
            x, QStringLiteral("failed"), QStringLiteral("unknown agent '%1'").arg(x->req.agentId), {});
        return;
    }
    const QStringList problems = agentProblems(x, agent->id);
    if (!problems.isEmpty()) {
        finishExecution(x, QStringLiteral("failed"),
            QStringLiteral("agent '%1' is invalid: %2").arg(agent->id, problems.join(QStringLiteral("; "))),
            {});
        return;
    }
    QStringList inputProblems;
    const std::optional<QJsonObject> inputs
        = validateInputs(agent->signature.inputs, x->req.inputs, &inputProblems);
    if (!inputs) {
        finishExecution(x, QStringLiteral("failed"),
            QStringLiteral("invalid inputs: %1").arg(inputProblems.join(QStringLiteral("; "))), {});
        return;
    }
    x->rec.inputData = *inputs;
    startAgentTask(x, *agent, *inputs, QString(), QString(), [this](AgentTask *t, const TaskOutcome &o) {
        Execution *x = t->x;
        QJsonObject partial;
        if (!o.partialText.isEmpty())
            partial.insert(QStringLiteral("text"), o.partialText);
        switch (o.status) {
        case TaskOutcome::Status::Completed:
            finishExecution(x, QStringLiteral("completed"), QString(), o.outputs);
            break;
        case TaskOutcome::Status::Failed:
            finishExecution(x, QStringLiteral("failed"), o.error, partial);
            break;
        case TaskOutcome::Status::Cancelled:
            finishExecution(x, QStringLiteral("cancelled"), QStringLiteral("cancelled"), partial);
            break;
        }
    });
}

Engine::AgentTask *Engine::startAgentTask(Execution *x, const AgentSpec &agent, const QJsonObject &inputs,
    const QString &parentStepId, const QString &nodeId,
    std::function<void(AgentTask *, const TaskOutcome &)> done)
{
    auto *t = new AgentTask;
    t->x = x;
    t->agent = agent;
    t->nodeId = nodeId;
    t->parentStepId = parentStepId;
    t->done = std::move(done);
    x->tasks.append(t);
    m_activeTasks.insert(t);

    const QList<ChatMessage> messages = buildPrompt(agent, inputs);
    QJsonArray jsonMessages;
    for (const ChatMessage &m : messages)
        jsonMessages.append(
            QJsonObject { { QStringLiteral("role"), m.role }, { QStringLiteral("content"), m.content } });
    t->llmInput = QJsonObject { { QStringLiteral("messages"), jsonMessages },
        { QStringLiteral("model"), agent.model.name }, { QStringLiteral("provider"), agent.model.provider } };
    if (agent.model.temperature)
        t->llmInput.insert(QStringLiteral("temperature"), *agent.model.temperature);
    if (agent.model.maxTokens)
        t->llmInput.insert(QStringLiteral("max_tokens"), *agent.model.maxTokens);

    const ProviderConfig *provider = x->ws.provider(agent.model.provider);
    t->providerKind = provider ? provider->kind : QString();
    t->llm = newStep(x, QStringLiteral("llm"), agent.model.name, parentStepId, nodeId);
    t->llm.agentId = agent.id;
    t->llm.inputData = t->llmInput;
    t->llm.provider = agent.model.provider;
    t->llm.model = agent.model.name;
    t->llm.attempt = 1;
    t->llmClock.start();
    stepStarted(x, t->llm);

    if (!provider) {
        failTaskLater(
            t, QStringLiteral("agent '%1': unknown provider '%2'").arg(agent.id, agent.model.provider));
        return t;
    }
    LlmRequest request;
    request.provider = *provider;
    request.model = agent.model;
    request.messages = messages;
    if (!agent.signature.rawTextOutput())
        request.outputSchema = agent.signature.outputSchema();
    request.signature = agent.signature;
    request.schemaName = agent.id;
    // Keys come from the environment variable the workspace names (or the keychain, for the
    // official host), never from the file; an untrusted use fails here, before any request.
    QString error;
    const KeyPlan plan = credentials::planFor(*provider);
    request.apiKey = resolveApiKey(*provider, x->trust, &error);
    const bool untrusted = plan.needsTrust && !x->trust.allows(plan.use);
    if (!error.isEmpty() && !untrusted && plan.keychainAllowed) {
        // No key in the environment: ask the system keychain, asynchronously and bounded by a
        // timeout; the call starts when the key arrives. A cancel meanwhile ends the task (it
        // has no call yet) and deleting the task drops the lookup with its answer.
        t->keyLookup = new ApiKeyLookup(*provider);
        t->keyLookup->setTrust(x->trust);
        connect(t->keyLookup, &ApiKeyLookup::finished, this,
            [this, t, request](const QString &key, const QString &err) mutable {
                if (t->ended)
                    return;
                if (key.isEmpty()) {
                    failTaskLater(t, err);
                    return;
                }
                request.apiKey = key;
                launchTaskCall(t, request);
                request.apiKey.clear(); // the call holds its own copy; keep no other
            });
        t->keyLookup->start();
        return t;
    }
    if (!error.isEmpty()) {
        failTaskLater(t, error);
        return t;
    }
    launchTaskCall(t, request);
    return t;
}

void Engine::failTaskLater(AgentTask *t, const QString &error)
{
    // Fail in a later turn: the caller expects the task to be running when this returns.
    QMetaObject::invokeMethod(
        this,
        [this, t, error] {
            if (t->ended)
                return;
            LlmResult r;
            r.ok = false;
            r.error = error;
            onTaskFinished(t, r);
        },
        Qt::QueuedConnection);
}

void Engine::launchTaskCall(AgentTask *t, const LlmRequest &request)
{
    QString error;
    t->call = createLlmCall(request, m_network, this, &error);
    if (!t->call) {
        failTaskLater(t,
            error.isEmpty() ? QStringLiteral("provider '%1': cannot create a call").arg(request.provider.id)
                            : as::redact(error, { request.apiKey }));
        return;
    }
    connect(t->call, &LlmCall::chunk, this,
        [this, t](const QString &text, int tokens) { onTaskChunk(t, text, tokens); });
    connect(t->call, &LlmCall::attemptFailed, this,
        [this, t](int attempt, const QString &err, int) { onTaskAttemptFailed(t, attempt, err); });
    connect(t->call, &LlmCall::finished, this, [this, t](const LlmResult &r) { onTaskFinished(t, r); });
    if (!m_partialTimer.isActive() && m_store)
        m_partialTimer.start();
    t->requested = true;
    t->call->start();
}

void Engine::onTaskChunk(AgentTask *t, const QString &text, int tokens)
{
    if (t->ended)
        return;
    Execution *x = t->x;
    if (x->firstTokenMs < 0)
        x->firstTokenMs = x->clock.elapsed() - x->startedAtMs;
    if (t->llm.ttftMs < 0)
        t->llm.ttftMs = t->llmClock.elapsed();
    t->text += text;
    t->dirty = true;
    ExecutionEvent e;
    e.type = ExecutionEvent::Type::Chunk;
    e.stepId = t->llm.id;
    e.content = text;
    e.tokens = tokens;
    emitEvent(x, std::move(e));
}

void Engine::onTaskAttemptFailed(AgentTask *t, int attempt, const QString &error)
{
    if (t->ended)
        return;
    Execution *x = t->x;
    // Each failed attempt is its own failed llm step; the next attempt gets a new step.
    t->llm.attempt = attempt;
    t->llm.errorMessage = error;
    t->llm.outputData = QJsonObject { { QStringLiteral("text"), t->text } };
    stepFinished(x, t->llm, QStringLiteral("failed"));
    t->text.clear();
    t->dirty = false;
    StepRecord next = newStep(x, QStringLiteral("llm"), t->llm.name, t->parentStepId, t->nodeId);
    next.agentId = t->llm.agentId;
    next.inputData = t->llmInput;
    next.provider = t->llm.provider;
    next.model = t->llm.model;
    next.attempt = attempt + 1;
    t->llm = next;
    t->llmClock.restart();
    stepStarted(x, t->llm);
}

void Engine::onTaskFinished(AgentTask *t, const LlmResult &result)
{
    if (t->ended)
        return;
    Execution *x = t->x;
    if (t->call) {
        t->call->disconnect(this);
        t->call->deleteLater();
        t->call = nullptr;
    }
    const QString text = result.text.isEmpty() ? t->text : result.text;
    t->text = text;
    t->dirty = false;

    StepRecord &s = t->llm;
    s.outputData = QJsonObject { { QStringLiteral("text"), text } };
    const TokenUsage &u = result.usage;
    s.inputTokens = u.inputTokens;
    s.outputTokens = u.outputTokens;
    s.cachedTokens = u.cachedTokens;
    s.reasoningTokens = u.reasoningTokens;
    s.tokensEstimated = u.estimated;
    s.tokensUsed = u.inputTokens + u.outputTokens;
    if (result.ttftMs >= 0)
        s.ttftMs = result.ttftMs;
    if (result.attempts > s.attempt)
        s.attempt = result.attempts;
    std::optional<double> cost = 0.0; // nothing was sent (no provider, no key): nothing billed
    if (t->requested) {
        cost = m_settings.pricing.cost(t->providerKind, s.model, u);
        if (!cost && !result.responseModel.isEmpty() && result.responseModel != s.model)
            cost = m_settings.pricing.cost(t->providerKind, result.responseModel, u);
    }
    s.costUsd = cost;

    t->usage += u;
    if (!cost)
        t->cost.reset();
    else if (t->cost)
        *t->cost += *cost;
    x->usage += u;
    if (!cost)
        x->cost.reset();
    else if (x->cost)
        *x->cost += *cost;

    TaskOutcome o;
    o.partialText = text;
    if (result.cancelled || (x->cancelRequested && !result.ok)) {
        s.errorMessage = QStringLiteral("cancelled");
        stepFinished(x, s, QStringLiteral("cancelled"));
        o.status = TaskOutcome::Status::Cancelled;
        o.error = QStringLiteral("cancelled");
        endTask(t, o);
        return;
    }
    if (!result.ok) {
        s.errorMessage = result.error;
        stepFinished(x, s, QStringLiteral("failed"));
        o.status = TaskOutcome::Status::Failed;
        o.error = result.error;
        endTask(t, o);
        return;
    }
    stepFinished(x, s, QStringLiteral("completed"));

    StepRecord p = newStep(x, QStringLiteral("parse"), QStringLiteral("parse"), t->parentStepId, t->nodeId);
    p.agentId = t->agent.id;
    p.inputData = QJsonObject { { QStringLiteral("text"), text } };
    p.costUsd = 0.0;
    stepStarted(x, p);
    Result<QJsonObject> parsed = parseReply(t->agent.signature, text);
    if (parsed.ok()) {
        p.outputData = parsed.value();
        stepFinished(x, p, QStringLiteral("completed"));
        o.status = TaskOutcome::Status::Completed;
        o.outputs = parsed.value();
    } else {
        p.errorMessage = parsed.error();
        stepFinished(x, p, QStringLiteral("failed"));
        o.status = TaskOutcome::Status::Failed;
        o.error = parsed.error();
    }
    endTask(t, o);
}

void Engine::endTask(AgentTask *t, const TaskOutcome &outcome)
{
    if (t->ended)
        return;
    t->ended = true;
    m_activeTasks.remove(t);
    if (m_activeTasks.isEmpty())
        m_partialTimer.stop();
    TaskOutcome o = outcome;
    o.usage = t->usage;
    o.cost = t->cost;
    if (t->done)
        t->done(t, o);
}

// --- Orchestrations ------------------------------------------------------------------------

const QStringList &Engine::workspaceProblems(Execution *x)
{
    if (x->workspaceGeneration == m_workspaceGeneration) {
        if (!m_problemsCache)
            m_problemsCache = x->ws.validate();
        return *m_problemsCache;
    }
    x->ownProblems = x->ws.validate();
    return x->ownProblems;
}

QStringList Engine::agentProblems(Execution *x, const QString &agentId)
{
    QStringList out;
    const QStringList &all = workspaceProblems(x);
    if (all.isEmpty())
        return out;
    for (qsizetype i = 0; i < x->ws.agents.size(); ++i) {
        if (x->ws.agents.at(i).id != agentId)
            continue;
        const QString prefix = QStringLiteral("agents[%1]").arg(i);
        for (const QString &p : all)
            if (pathIsUnder(p, prefix))
                out << p;
    }
    return out;
}

QStringList Engine::orchestrationProblems(Execution *x, const OrchestrationSpec &o)
{
    QStringList out;
    const QStringList &all = workspaceProblems(x);
    if (all.isEmpty())
        return out;
    for (qsizetype i = 0; i < x->ws.orchestrations.size(); ++i) {
        if (x->ws.orchestrations.at(i).id != o.id)
            continue;
        const QString prefix = QStringLiteral("orchestrations[%1]").arg(i);
        for (const QString &p : all)
            if (pathIsUnder(p, prefix))
                out << p;
    }
    QSet<QString> agents;
    for (const NodeSpec &n : o.nodes)
        agents.insert(n.agent);
    for (const QString &a : std::as_const(agents))
        out << agentProblems(x, a);
    return out;
}

void Engine::runOrchestration(Execution *x)
{
    const OrchestrationSpec *o = x->ws.orchestration(x->req.orchestrationId);
    if (!o) {
        finishExecution(x, QStringLiteral("failed"),
            QStringLiteral("unknown orchestration '%1'").arg(x->req.orchestrationId), {});
        return;
    }
    x->orch = *o;
    const QStringList problems = orchestrationProblems(x, *o);
    if (!problems.isEmpty()) {
        finishExecution(x, QStringLiteral("failed"),
            QStringLiteral("orchestration '%1' is invalid:\n%2").arg(o->id, problems.join(QLatin1Char('\n'))),
            {});
        return;
    }
    QStringList inputProblems;
    const std::optional<QJsonObject> inputs = validateInputs(o->inputs, x->req.inputs, &inputProblems);
    if (!inputs) {
        finishExecution(x, QStringLiteral("failed"),
            QStringLiteral("invalid inputs: %1").arg(inputProblems.join(QStringLiteral("; "))), {});
        return;
    }
    x->workflowInputs = *inputs;
    x->rec.inputData = *inputs;

    // Node i runs vertex i of the graph; the graph gives the dependencies, the edges the fields.
    const OrchestrationGraph graph(*o);
    x->nodes.reserve(o->nodes.size());
    for (int i = 0; i < graph.size(); ++i) {
        NodeRun run;
        run.spec = o->nodes.at(i);
        if (const AgentSpec *a = x->ws.agent(run.spec.agent))
            run.agent = *a;
        run.dependents = graph.successors(i);
        run.pendingDeps = int(graph.predecessors(i).size());
        x->nodes.append(run);
    }
    for (const EdgeSpec &e : o->edges) {
        NodeRun::InEdge in;
        in.fromField = e.fromField;
        in.toField = e.toField;
        const bool fromInputs = e.fromNode == QLatin1String("input");
        in.fromIndex = fromInputs ? -1 : graph.indexOf(e.fromNode);
        const int to = graph.indexOf(e.toNode);
        if (to >= 0 && (fromInputs || in.fromIndex >= 0))
            x->nodes[to].in.append(in);
    }
    x->ready = graph.roots();
    startReadyNodes(x);
    settleOrchestration(x);
}

void Engine::runNodeInContext(Execution *x)
{
    const OrchestrationSpec *o = x->ws.orchestration(x->req.orchestrationId);
    const NodeSpec *node = o ? o->node(x->req.nodeId) : nullptr;
    if (!node) {
        finishExecution(x, QStringLiteral("failed"),
            QStringLiteral("orchestration '%1': unknown node '%2'")
                .arg(x->req.orchestrationId, x->req.nodeId),
            {});
        return;
    }
    x->orch = *o;
    const QStringList problems = orchestrationProblems(x, *o);
    if (!problems.isEmpty()) {
        finishExecution(x, QStringLiteral("failed"),
            QStringLiteral("orchestration '%1' is invalid:\n%2").arg(o->id, problems.join(QLatin1Char('\n'))),
            {});
        return;
    }
    const AgentSpec *agent = x->ws.agent(node->agent);
    if (!agent) {
        finishExecution(x, QStringLiteral("failed"),
            QStringLiteral("node '%1': unknown agent '%2'").arg(node->id, node->agent), {});
        return;
    }

    // The node's edge-fed inputs, each from (in order): the request's upstream values, the
    // orchestration's pins, the node's upstream outputs in the latest successful full run.
    const QJsonObject pins = o->pins.value(node->id);
    std::optional<ExecutionRecord> past;
    bool pastLoaded = false;
    auto pastValue = [&](const EdgeSpec &e) -> QJsonValue {
        if (!pastLoaded) {
            pastLoaded = true;
            if (m_store) {
                // The run's own workspace only: another workspace may have an orchestration of
                // the same id, and its outputs must never become this node's inputs.
                const StoreScope scope = storeScope(x->ws);
                Result<ExecutionRecord> r = m_store->latestSuccessfulRun(scope, o->id);
                if (r.ok()) {
                    past = r.take();
                    if (past->steps.isEmpty()) {
                        Result<ExecutionRecord> full = m_store->execution(scope, past->id, true);
                        if (full.ok())
                            past = full.take();
                    }
                }
            }
        }
        if (!past)
            return QJsonValue(QJsonValue::Undefined);
        if (e.fromNode == QLatin1String("input"))
            return past->inputData.value(e.fromField);
        for (const StepRecord &s : std::as_const(past->steps))
            if (s.kind == QLatin1String("node") && s.nodeId == e.fromNode
                && s.status == QLatin1String("completed"))
                return s.outputData.value(e.fromField);
        return QJsonValue(QJsonValue::Undefined);
    };

    QJsonObject upstream;
    QStringList missing;
    const QList<EdgeSpec> edges = o->edgesInto(node->id);
    for (const EdgeSpec &e : edges) {
        const QString &f = e.toField;
        if (upstream.contains(f))
            continue;
        if (x->req.upstream.contains(f)) {
            upstream.insert(f, x->req.upstream.value(f));
            continue;
        }
        if (pins.contains(f)) {
            upstream.insert(f, pins.value(f));
            continue;
        }
        const QJsonValue v = pastValue(e);
        if (!v.isUndefined()) {
            upstream.insert(f, v);
            continue;
        }
        const FieldSpec *spec = agent->signature.input(f);
        if (spec && spec->required && !missing.contains(f))
            missing << f;
    }
    // Upstream values given for inputs no edge feeds are used as given.
    for (auto it = x->req.upstream.begin(); it != x->req.upstream.end(); ++it)
        if (!upstream.contains(it.key()))
            upstream.insert(it.key(), it.value());
    x->rec.inputData = QJsonObject { { QStringLiteral("inputs"), x->req.inputs },
        { QStringLiteral("upstream"), upstream } };
    if (!missing.isEmpty()) {
        QStringList parts;
        for (const QString &f : std::as_const(missing))
            parts << QStringLiteral("input '%1'").arg(f);
        finishExecution(x, QStringLiteral("failed"),
            QStringLiteral("node '%1': no upstream value for %2 (not given, not pinned, and no "
                           "successful run of '%3' to take it from)")
                .arg(node->id, parts.join(QStringLiteral(", ")), o->id),
            {});
        return;
    }
    QJsonObject inputs = x->req.inputs;
    for (auto it = upstream.begin(); it != upstream.end(); ++it)
        inputs.insert(it.key(), it.value());

    NodeRun run;
    run.spec = *node;
    run.agent = *agent;
    run.preset = true;
    run.presetInputs = inputs;
    x->nodes.append(run);
    x->ready.append(0);
    startReadyNodes(x);
    settleOrchestration(x);
}

void Engine::startReadyNodes(Execution *x)
{
    const int limit = m_settings.nodeConcurrency;
    while (!x->ready.isEmpty() && !x->failing && !x->cancelRequested && x->state == Execution::State::Running
        && (limit <= 0 || x->runningNodes < limit))
        startNode(x, x->ready.takeFirst());
}

void Engine::startNode(Execution *x, int index)
{
    NodeRun &n = x->nodes[index];
    n.state = NodeRun::State::Running;
    ++x->runningNodes;

    QJsonObject inputs;
    if (n.preset) {
        inputs = n.presetInputs;
    } else {
        for (const NodeRun::InEdge &e : std::as_const(n.in)) {
            const QJsonValue v = e.fromIndex < 0 ? x->workflowInputs.value(e.fromField)
                                                 : x->nodes.at(e.fromIndex).outputs.value(e.fromField);
            if (!v.isUndefined())
                inputs.insert(e.toField, v);
        }
    }
    n.step = newStep(x, QStringLiteral("node"), n.spec.id, QString(), n.spec.id);
    n.step.agentId = n.agent.id;
    n.step.inputData = inputs;
    n.step.provider = n.agent.model.provider;
    n.step.model = n.agent.model.name;
    stepStarted(x, n.step);

    QStringList problems;
    const std::optional<QJsonObject> full = validateInputs(n.agent.signature.inputs, inputs, &problems);
    if (!full) {
        TaskOutcome o;
        o.status = TaskOutcome::Status::Failed;
        o.error = QStringLiteral("invalid inputs: %1").arg(problems.join(QStringLiteral("; ")));
        onNodeDone(x, index, o);
        return;
    }
    startAgentTask(x, n.agent, *full, n.step.id, n.spec.id,
        [this, index](AgentTask *t, const TaskOutcome &o) { onNodeDone(t->x, index, o); });
}

void Engine::onNodeDone(Execution *x, int index, const TaskOutcome &o)
{
    NodeRun &n = x->nodes[index];
    --x->runningNodes;
    StepRecord &s = n.step;
    s.inputTokens = o.usage.inputTokens;
    s.outputTokens = o.usage.outputTokens;
    s.cachedTokens = o.usage.cachedTokens;
    s.reasoningTokens = o.usage.reasoningTokens;
    s.tokensEstimated = o.usage.estimated;
    s.tokensUsed = o.usage.inputTokens + o.usage.outputTokens;
    s.costUsd = o.cost;
    n.partialText = o.partialText;

    switch (o.status) {
    case TaskOutcome::Status::Completed:
        n.state = NodeRun::State::Done;
        ++x->doneNodes;
        n.outputs = o.outputs;
        s.outputData = o.outputs;
        stepFinished(x, s, QStringLiteral("completed"));
        for (int d : std::as_const(n.dependents))
            if (--x->nodes[d].pendingDeps == 0)
                x->ready.append(d);
        break;
    case TaskOutcome::Status::Failed: {
        n.state = NodeRun::State::Failed;
        s.errorMessage = o.error;
        if (!o.partialText.isEmpty())
            s.outputData = QJsonObject { { QStringLiteral("text"), o.partialText } };
        stepFinished(x, s, QStringLiteral("failed"));
        if (!x->failing && !x->cancelRequested) {
            x->failing = true;
            x->failError = QStringLiteral("node '%1' failed: %2").arg(n.spec.id, o.error);
            // Running siblings are cancelled; their nodes end `cancelled`.
            const QList<AgentTask *> tasks = x->tasks;
            for (AgentTask *t : tasks)
                cancelTask(t);
        }
        break;
    }
    case TaskOutcome::Status::Cancelled:
        n.state = NodeRun::State::Cancelled;
        s.errorMessage = QStringLiteral("cancelled");
        if (!o.partialText.isEmpty())
            s.outputData = QJsonObject { { QStringLiteral("text"), o.partialText } };
        stepFinished(x, s, QStringLiteral("cancelled"));
        break;
    }
    startReadyNodes(x);
    settleOrchestration(x);
}

void Engine::settleOrchestration(Execution *x)
{
    if (x->state != Execution::State::Running || x->runningNodes > 0)
        return;
    const bool stopping = x->failing || x->cancelRequested;
    if (!stopping && !x->ready.isEmpty())
        return; // startReadyNodes is about to run them

    const bool allDone = x->doneNodes == x->nodes.size();

    QJsonObject output;
    if (x->nodeInContext) {
        if (!x->nodes.isEmpty())
            output = x->nodes.first().outputs;
    } else {
        QHash<QString, int> index;
        for (int i = 0; i < x->nodes.size(); ++i)
            index.insert(x->nodes.at(i).spec.id, i);
        for (const WorkflowOutputSpec &out : std::as_const(x->orch.outputs)) {
            const int i = index.value(out.fromNode, -1);
            if (i >= 0 && x->nodes.at(i).state == NodeRun::State::Done) {
                const QJsonValue v = x->nodes.at(i).outputs.value(out.fromField);
                if (!v.isUndefined())
                    output.insert(out.name, v);
            }
        }
    }
    if (allDone && !stopping) {
        finishExecution(x, QStringLiteral("completed"), QString(), output);
        return;
    }

    // Nodes never started are recorded as skipped.
    for (NodeRun &n : x->nodes) {
        if (n.state != NodeRun::State::Waiting)
            continue;
        n.state = NodeRun::State::Skipped;
        n.step = newStep(x, QStringLiteral("node"), n.spec.id, QString(), n.spec.id);
        n.step.agentId = n.agent.id;
        n.step.provider = n.agent.model.provider;
        n.step.model = n.agent.model.name;
        n.step.status = QStringLiteral("skipped");
        n.step.costUsd = 0.0;
        stepStarted(x, n.step);
        stepFinished(x, n.step, QStringLiteral("skipped"));
    }
    x->ready.clear();
    QJsonObject partial;
    for (const NodeRun &n : std::as_const(x->nodes))
        if (n.state != NodeRun::State::Done && !n.partialText.isEmpty())
            partial.insert(n.spec.id, n.partialText);
    if (!partial.isEmpty())
        output.insert(QStringLiteral("partial"), partial);
    if (x->failing)
        finishExecution(x, QStringLiteral("failed"), x->failError, output);
    else if (x->cancelRequested)
        finishExecution(x, QStringLiteral("cancelled"), QStringLiteral("cancelled"), output);
    else
        finishExecution(x, QStringLiteral("failed"),
            QStringLiteral("orchestration '%1': some nodes could never run").arg(x->orch.id), output);
}

// --- Steps, events, store ----------------------------------------------------------------------

StepRecord Engine::newStep(Execution *x, const QString &kind, const QString &name,
    const QString &parentStepId, const QString &nodeId)
{
    StepRecord s;
    s.id = as::newId();
    s.executionId = x->rec.id;
    s.stepNumber = ++x->stepCounter;
    s.spanId = as::newSpanId();
    s.kind = kind;
    s.name = name;
    s.parentStepId = parentStepId;
    s.nodeId = nodeId;
    s.status = QStringLiteral("running");
    return s;
}

void Engine::stepStarted(Execution *x, StepRecord &s)
{
    s.startedAt = QDateTime::currentDateTimeUtc();
    storeWrite([&s](ExecutionStore &st) { return st.insertStep(s); });
    ExecutionEvent e;
    e.type = ExecutionEvent::Type::StepStarted;
    e.stepId = s.id;
    e.step = s.toJson();
    emitEvent(x, std::move(e));
}

void Engine::stepFinished(Execution *x, StepRecord &s, const QString &status)
{
    s.status = status;
    s.completedAt = QDateTime::currentDateTimeUtc();
    s.executionTimeMs = s.startedAt.isValid() ? qMax<qint64>(0, s.startedAt.msecsTo(s.completedAt)) : 0;
    storeWrite([&s](ExecutionStore &st) { return st.updateStep(s); });
    ExecutionEvent e;
    e.type = ExecutionEvent::Type::StepCompleted;
    e.stepId = s.id;
    e.step = s.toJson();
    emitEvent(x, std::move(e));
}

void Engine::emitEvent(Execution *x, ExecutionEvent &&event)
{
    event.executionId = x->rec.id;
    event.seq = x->nextSeq++;
    m_pending.append(std::move(event));
    if (m_pending.size() >= kFlushEveryEvents)
        flushEvents();
    else
        scheduleFlush();
}

void Engine::scheduleFlush()
{
    if (m_flushScheduled)
        return;
    m_flushScheduled = true;
    QMetaObject::invokeMethod(this, &Engine::flushQueued, Qt::QueuedConnection);
}

void Engine::flushEvents()
{
    // An inline flush (big batch) leaves m_flushScheduled set: the queued one still comes and
    // deletes finished executions.
    if (m_txOpen && (m_pendingTerminal || m_txClock.elapsed() >= kMaxTransactionMs || m_executions.isEmpty()))
        commitStore();
    m_pendingTerminal = false;
    if (!m_pending.isEmpty()) {
        ExecutionEventList batch;
        batch.swap(m_pending);
        m_pending.reserve(qMin<qsizetype>(batch.size(), kFlushEveryEvents));
        {
            QMutexLocker lock(&m_replayMutex);
            const QString *lastId = nullptr;
            Replay *replay = nullptr;
            for (const ExecutionEvent &e : std::as_const(batch)) {
                if (!lastId || *lastId != e.executionId) {
                    lastId = &e.executionId;
                    auto it = m_replay.find(e.executionId);
                    replay = it == m_replay.end() ? nullptr : &it.value();
                }
                if (!replay)
                    continue;
                replay->events.append(e);
                if (replay->finished)
                    ++m_retainedFinishedEvents;
            }
        }
        emit eventsReady(batch);
    }
    evictFinished();
}

void Engine::flushQueued()
{
    m_flushScheduled = false;
    flushEvents();
}

void Engine::evictFinished()
{
    if (m_finishedOrder.isEmpty())
        return;
    const qint64 now = as::nowMs();
    QMutexLocker lock(&m_replayMutex);
    while (!m_finishedOrder.isEmpty()) {
        auto it = m_replay.find(m_finishedOrder.first());
        if (it == m_replay.end()) {
            m_finishedOrder.removeFirst();
            continue;
        }
        const bool old = now - it->finishedAtMs > m_settings.eventRetentionMs;
        const bool tooMany = m_retainedFinishedEvents > m_settings.maxRetainedEvents;
        if (!old && !tooMany)
            break;
        m_retainedFinishedEvents -= it->events.size();
        m_replay.erase(it);
        m_finishedOrder.removeFirst();
    }
}

void Engine::flushPartialOutputs()
{
    if (!m_store)
        return;
    for (AgentTask *t : std::as_const(m_activeTasks)) {
        if (!t->dirty)
            continue;
        t->dirty = false;
        t->llm.outputData = QJsonObject { { QStringLiteral("text"), t->text } };
        const StepRecord &s = t->llm;
        storeWrite([&s](ExecutionStore &st) { return st.updateStep(s); });
    }
}

void Engine::storeWrite(const std::function<Result<void>(ExecutionStore &)> &write)
{
    if (!m_store)
        return;
    if (!m_txOpen) {
        // Writes are grouped: committed by a flush (see kMaxTransactionMs) or the commit timer.
        m_txOpen = m_store->begin().ok();
        if (m_txOpen) {
            m_txClock.start();
            m_commitTimer.start();
        }
        scheduleFlush();
    }
    const Result<void> r = write(*m_store);
    if (!r.ok() && !m_storeFailedReported) {
        m_storeFailedReported = true;
        qWarning("engine: store write failed: %s", qPrintable(r.error()));
        emit storeFailed(r.error());
    }
}

void Engine::commitStore()
{
    m_commitTimer.stop();
    if (!m_txOpen)
        return;
    m_txOpen = false;
    if (!m_store)
        return;
    const Result<void> r = m_store->commit();
    if (!r.ok() && !m_storeFailedReported) {
        m_storeFailedReported = true;
        qWarning("engine: store commit failed: %s", qPrintable(r.error()));
        emit storeFailed(r.error());
    }
}

void Engine::queryHistory(quint64 ticket, const HistoryQuery &query)
{
    if (!m_store) {
        emit queryFailed(ticket, QStringLiteral("no history: the engine runs without a database"));
        return;
    }
    Result<HistoryPage> r = m_store->query(storeScope(m_workspace), query);
    if (r.ok())
        emit historyReady(ticket, r.value());
    else
        emit queryFailed(ticket, r.error());
}

void Engine::fetchExecution(quint64 ticket, const QString &executionId)
{
    if (!m_store) {
        emit queryFailed(ticket, QStringLiteral("no history: the engine runs without a database"));
        return;
    }
    Result<ExecutionRecord> r = m_store->execution(storeScope(m_workspace), executionId, true);
    if (r.ok())
        emit executionFetched(ticket, r.value());
    else
        emit queryFailed(ticket, r.error());
}

void Engine::deleteExecutions(quint64 ticket, const QStringList &ids)
{
    if (!m_store) {
        emit queryFailed(ticket, QStringLiteral("no history: the engine runs without a database"));
        return;
    }
    commitStore(); // grouped writes first, so nothing deleted comes back
    QStringList finished;
    for (const QString &id : ids)
        if (!m_executions.contains(id))
            finished.append(id);
    const Result<int> r = m_store->remove(storeScope(m_workspace), finished);
    if (r.ok())
        emit executionsDeleted(ticket, r.value());
    else
        emit queryFailed(ticket, r.error());
}

void Engine::applyRetention(quint64 ticket, int keepLast, const QDateTime &olderThan)
{
    if (!m_store) {
        emit queryFailed(ticket, QStringLiteral("no history: the engine runs without a database"));
        return;
    }
    commitStore();
    const Result<int> r = m_store->applyRetention(storeScope(m_workspace), keepLast, olderThan);
    if (r.ok())
        emit executionsDeleted(ticket, r.value());
    else
        emit queryFailed(ticket, r.error());
}
