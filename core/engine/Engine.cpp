#include "core/engine/Engine.h"
#include "core/tools/ToolHost.h"

#include "core/api/ExecutionBackend.h"
#include "core/api/ExecutionTypes.h"
#include "core/api/UpstreamResolver.h"
#include "core/common/Util.h"
#include "core/engine/Execution.h"
#include "core/engine/RunWorkspace.h"
#include "core/store/ExecutionStore.h"

#include <QNetworkAccessManager>

// Engine internals. Everything below runs on the engine thread except eventsSince().
//
// Ownership: Engine owns every Execution (m_executions while queued/running; deleted one loop
// turn after it finished). An Execution owns its AgentRuns; its WorkflowRun is a value.

namespace {

// The tenant whose stored executions this engine may read: the workspace it runs (the app's
// open workspace file, the server's served workspace). The database holds others too.
StoreScope storeScope(const Workspace &ws)
{
    return StoreScope::workspace(ws.organizationId, ws.workspaceId);
}

QString joined(const QList<ValidationProblem> &problems, const QString &separator)
{
    return toStrings(problems).join(separator);
}

constexpr ExecutionStatus kFailed = ExecutionStatus::Failed;
constexpr ExecutionStatus kCancelled = ExecutionStatus::Cancelled;
constexpr ExecutionStatus kCompleted = ExecutionStatus::Completed;

} // namespace

Engine::Engine(const Workspace &workspace, const EngineSettings &settings, QObject *parent)
    : QObject(parent)
    , m_workspace(workspace)
    , m_settings(settings)
    , m_writer(settings.partialFlushMs, this)
    , m_journal(settings.eventRetentionMs, settings.maxRetainedEvents, this)
{
    registerMetaTypes();
    connect(&m_writer, &StoreWriter::storeFailed, this, &Engine::storeFailed);
    connect(&m_journal, &EventJournal::eventsReady, this, &Engine::eventsReady);
    // A flush commits the grouped writes first when the batch ends an execution, the
    // transaction is old, or nothing runs any more; a new transaction asks for that flush.
    m_journal.setBeforeFlush(
        [this](bool holdsComplete) { m_writer.commitIfDue(holdsComplete || m_executions.isEmpty()); });
    m_writer.setOnBegin([this] { m_journal.scheduleFlush(); });
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
    return m_journal.eventsSince(executionId, afterSeq, known);
}

void Engine::initialize()
{
    if (!m_network)
        m_network = new QNetworkAccessManager(this);
    if (!m_tools) {
        m_tools = new ToolHost(m_network, this);
        m_tools->setWorkspace(m_workspace, m_settings.credentialTrust);
    }
    m_writer.open(m_settings.databasePath);
}

void Engine::setWorkspace(const Workspace &workspace)
{
    m_workspace = workspace;
    ++m_workspaceGeneration;
    m_problemsCache.reset();
    if (m_tools)
        m_tools->setWorkspace(m_workspace, m_settings.credentialTrust);
}

void Engine::setCredentialTrust(const CredentialTrust &trust)
{
    m_settings.credentialTrust = trust;
    if (m_tools)
        m_tools->setWorkspace(m_workspace, m_settings.credentialTrust);
}

// --- Queue -----------------------------------------------------------------------------------

void Engine::submit(quint64 ticket, const ExecutionRequest &submitted)
{
    if (m_shutDown) {
        emit startFailed(ticket, QStringLiteral("the engine is shutting down"));
        return;
    }
    // A request that changes its workspace (agent_overrides, agent_spec, providers) runs on a
    // copy of its own (docs/eval-runs.md); every other run shares the engine's.
    ExecutionRequest request = submitted;
    Workspace changed;
    const bool ownWorkspace = runworkspace::changesWorkspace(request);
    if (ownWorkspace) {
        if (const QString why = runworkspace::build(m_workspace, &request, &changed); !why.isEmpty()) {
            emit startFailed(ticket, why);
            return;
        }
    }
    const Workspace &ws = ownWorkspace ? changed : m_workspace;
    const AgentSpec *agent = nullptr;
    const OrchestrationSpec *orch = nullptr;
    if (const QString why = Execution::findTarget(ws, request, &agent, &orch); !why.isEmpty()) {
        emit startFailed(ticket, why);
        return;
    }
    if (const QString why = openResponseCache(request.responseCache); !why.isEmpty()) {
        emit startFailed(ticket, why);
        return;
    }
    const QString id = request.executionId.isEmpty() ? as::newId() : request.executionId;
    auto *x = new Execution(m_writer, m_journal);
    x->initRecord(request, id, ws, agent, orch);
    if (!request.conversationOf.isEmpty() || !request.message.isEmpty()) {
        if (const QString why = continueConversation(x); !why.isEmpty()) {
            delete x;
            emit startFailed(ticket, why);
            return;
        }
    }
    if (m_executions.contains(id) || !m_journal.open(id)) {
        delete x;
        emit startFailed(ticket, QStringLiteral("execution '%1' already exists").arg(id));
        return;
    }
    x->trust = m_settings.credentialTrust;
    // A run's own workspace is validated on its own (problemsOf), never from the engine's cache.
    x->workspaceGeneration = ownWorkspace ? -1 : m_workspaceGeneration;
    ExecutionRecord &r = x->rec;
    m_executions.insert(id, x);
    m_queue.append(x);
    m_writer.write([&r](ExecutionStore &s) { return s.insertExecution(r); });
    // Committed before anyone hears the id (the server's 202, the runner's first event, the
    // app's status): a run that was acknowledged survives a crash as `interrupted`, it never
    // vanishes from the history (docs/testing.md, fault suite).
    m_writer.commit();
    x->emitEvent(x->queuedEvent());
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
    ++m_running;
    x->markRunning();
    if (!x->isOrchestration)
        runSingleAgent(x);
    else if (x->nodeInContext)
        runNodeInContext(x);
    else
        runOrchestration(x);
}

void Engine::finishExecution(
    Execution *x, ExecutionStatus status, ErrorCode code, const QString &error, const QJsonObject &outputData)
{
    const bool wasRunning = x->state == Execution::State::Running;
    if (!wasRunning)
        m_queue.removeOne(x);
    if (!x->finish(status, code, error, outputData))
        return;
    m_executions.remove(x->rec.id);
    if (wasRunning)
        --m_running;
    // Callers up the stack, and calls posted before now, may still hold x or its runs: delete
    // it from an event posted after all of them.
    m_graveyard.append(x);
    QMetaObject::invokeMethod(
        this,
        [this, x] {
            if (m_graveyard.removeOne(x))
                delete x;
        },
        Qt::QueuedConnection);
    m_journal.scheduleFlush();
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
        finishExecution(x, kCancelled, ErrorCode::Cancelled, QStringLiteral("cancelled"), {});
        return;
    }
    if (x->cancelling)
        return;
    x->cancelling = true;
    x->flow.cancel();
    const QList<AgentRun *> tasks = x->tasks;
    for (AgentRun *t : tasks)
        t->cancel();
    if (x->isOrchestration)
        settleOrchestration(x);
}

void Engine::shutdown()
{
    cancelAll();
    // A call that did not finish at once on cancel() (a network reply still closing) would leave
    // its execution `running` for ever: end those runs now, as cancelled with what they have.
    const QList<Execution *> left = m_executions.values();
    for (Execution *x : left) {
        const QList<AgentRun *> tasks = x->tasks;
        for (AgentRun *t : tasks)
            t->abort();
    }
    if (m_tools)
        m_tools->shutdown();
    m_writer.flushPartials();
    m_journal.flush();
    m_writer.close();
    m_responseCaches.clear(); // their connections close on this thread
    m_shutDown = true;
}

// --- Agent runs ------------------------------------------------------------------------------

AgentRun *Engine::startAgentRun(Execution *x, const AgentSpec &agent, const QJsonObject &inputs,
    const QString &parentStepId, const QString &nodeId, AgentRun::Done done)
{
    AgentRun::Context context;
    context.provider = x->ws.provider(agent.model.provider);
    context.trust = x->trust;
    context.pricing = &m_settings.pricing;
    context.network = m_network;
    context.writer = &m_writer;
    if (ToolHost *tools = m_tools) {
        context.resolveTools = [tools](const AgentSpec &a, QObject *ctx, ToolHost::ResolveCallback cb) {
            tools->resolve(a, ctx, std::move(cb));
        };
        context.toolSource = [tools](const QString &id) { return tools->source(id); };
    }
    context.toolTimeoutMs = m_settings.toolTimeoutMs;
    applyResponseCache(x->req.responseCache, &context);
    auto *t = new AgentRun(*x, context, agent, parentStepId, nodeId);
    x->tasks.append(t);
    if (x->history)
        t->continueConversation(*x->history, x->req.message);
    t->start(inputs, std::move(done));
    return t;
}

void Engine::runSingleAgent(Execution *x)
{
    const AgentSpec *agent = x->ws.agent(x->req.agentId);
    if (!agent) {
        finishExecution(x, kFailed, ErrorCode::InvalidInput,
            QStringLiteral("unknown agent '%1'").arg(x->req.agentId), {});
        return;
    }
    const QList<ValidationProblem> problems = problemsOf(x, { agent->id }, QString());
    if (!problems.isEmpty()) {
        finishExecution(x, kFailed, ErrorCode::InvalidInput,
            QStringLiteral("agent '%1' is invalid: %2")
                .arg(agent->id, joined(problems, QStringLiteral("; "))),
            {});
        return;
    }
    QStringList inputProblems;
    // A conversation's next turn is the new message; the inputs were the first turn's.
    const std::optional<QJsonObject> inputs = x->history
        ? std::optional<QJsonObject>(x->rec.inputData)
        : validateInputs(agent->signature.inputs, x->req.inputs, &inputProblems);
    if (!inputs) {
        finishExecution(x, kFailed, ErrorCode::InvalidInput,
            QStringLiteral("invalid inputs: %1").arg(inputProblems.join(QStringLiteral("; "))), {});
        return;
    }
    x->rec.inputData = *inputs;
    startAgentRun(
        x, *agent, *inputs, QString(), QString(), [this, x](AgentRun *, const AgentRun::Outcome &o) {
            QJsonObject partial;
            if (!o.partialText.isEmpty())
                partial.insert(QStringLiteral("text"), o.partialText);
            switch (o.status) {
            case AgentRun::Outcome::Status::Completed:
                finishExecution(x, kCompleted, ErrorCode::None, QString(), o.outputs);
                break;
            case AgentRun::Outcome::Status::Failed:
                finishExecution(x, kFailed, o.code, o.error, partial);
                break;
            case AgentRun::Outcome::Status::Cancelled:
                finishExecution(x, kCancelled, ErrorCode::Cancelled, QStringLiteral("cancelled"), partial);
                break;
            }
        });
}

QString Engine::continueConversation(Execution *x)
{
    // Read on this thread from the engine's own connection; the earlier turn's rows are
    // committed or in this connection's open transaction, visible either way.
    const ExecutionRequest &req = x->req;
    if (req.agentId.isEmpty())
        return QStringLiteral("conversation_of: only an agent run can be continued");
    if (req.conversationOf.isEmpty() || req.message.trimmed().isEmpty())
        return QStringLiteral("%1: a conversation needs both conversation_of and message")
            .arg(
                req.conversationOf.isEmpty() ? QStringLiteral("conversation_of") : QStringLiteral("message"));
    ExecutionStore *store = m_writer.store();
    if (!store)
        return QStringLiteral("conversation_of: no history to continue (the engine runs without a database)");
    if (m_executions.contains(req.conversationOf))
        return QStringLiteral("conversation_of: execution '%1' has not finished").arg(req.conversationOf);
    Result<ExecutionRecord> prev = store->execution(storeScope(x->ws), req.conversationOf, true);
    if (!prev.ok())
        return QStringLiteral("conversation_of: no execution '%1'").arg(req.conversationOf);
    const ExecutionRecord &p = prev.value();
    if (p.executionType != ExecutionType::Agent || p.agentId != req.agentId)
        return QStringLiteral("conversation_of: execution '%1' is not a run of agent '%2'")
            .arg(p.id, req.agentId);
    if (p.status != ExecutionStatus::Completed)
        return QStringLiteral("conversation_of: execution '%1' is %2; only a completed run can be continued")
            .arg(p.id, toWire(p.status));
    // The last top-level llm step holds every message sent in its turn; its reply ends the
    // earlier conversation.
    const StepRecord *last = nullptr;
    for (const StepRecord &s : p.steps)
        if (s.kind == StepKind::Llm && s.status == StepStatus::Completed && s.parentStepId.isEmpty()
            && (!last || s.stepNumber > last->stepNumber))
            last = &s;
    if (!last)
        return QStringLiteral("conversation_of: execution '%1' has no model reply to continue").arg(p.id);
    QList<ChatMessage> history;
    for (const QJsonValue &m : last->inputData.value(QStringLiteral("messages")).toArray())
        history.append(AgentRun::messageFromJson(m.toObject()));
    ChatMessage reply;
    reply.role = QStringLiteral("assistant");
    reply.content = last->outputData.value(QStringLiteral("text")).toString();
    reply.toolCalls
        = AgentRun::toolCallsFromJson(last->outputData.value(QStringLiteral("tool_calls")).toArray());
    history.append(reply);
    x->history = history;
    x->rec.conversationId = p.conversationId.isEmpty() ? p.id : p.conversationId;
    x->rec.turn = qMax(1, p.turn) + 1;
    x->rec.inputData = QJsonObject { { QStringLiteral("message"), req.message } };
    return {};
}

// --- Orchestrations ------------------------------------------------------------------------

QList<ValidationProblem> Engine::problemsOf(
    Execution *x, const QStringList &agents, const QString &orchestrationId)
{
    if (x->workspaceGeneration != m_workspaceGeneration) {
        if (x->ownProblems.isEmpty())
            x->ownProblems = x->ws.validate();
        return problemsOwnedBy(x->ownProblems, agents, orchestrationId);
    }
    if (!m_problemsCache)
        m_problemsCache = x->ws.validate();
    return problemsOwnedBy(*m_problemsCache, agents, orchestrationId);
}

bool Engine::orchestrationIsValid(Execution *x, const OrchestrationSpec &o)
{
    QStringList agents; // the agents its nodes use, each once
    for (const NodeSpec &n : o.nodes)
        if (!agents.contains(n.agent))
            agents << n.agent;
    const QList<ValidationProblem> problems = problemsOf(x, agents, o.id);
    if (problems.isEmpty())
        return true;
    finishExecution(x, kFailed, ErrorCode::InvalidInput,
        QStringLiteral("orchestration '%1' is invalid:\n%2")
            .arg(o.id, joined(problems, QStringLiteral("\n"))),
        {});
    return false;
}

void Engine::runOrchestration(Execution *x)
{
    const OrchestrationSpec *o = x->ws.orchestration(x->req.orchestrationId);
    if (!o) {
        finishExecution(x, kFailed, ErrorCode::InvalidInput,
            QStringLiteral("unknown orchestration '%1'").arg(x->req.orchestrationId), {});
        return;
    }
    if (!orchestrationIsValid(x, *o))
        return;
    QStringList inputProblems;
    const std::optional<QJsonObject> inputs = validateInputs(o->inputs, x->req.inputs, &inputProblems);
    if (!inputs) {
        finishExecution(x, kFailed, ErrorCode::InvalidInput,
            QStringLiteral("invalid inputs: %1").arg(inputProblems.join(QStringLiteral("; "))), {});
        return;
    }
    x->rec.inputData = *inputs;
    x->flow = WorkflowRun(*o, *inputs, m_settings.nodeConcurrency);
    for (int i = 0; i < x->flow.size(); ++i) {
        const AgentSpec *a = x->ws.agent(x->flow.node(i).agent);
        x->nodeAgents.append(a ? *a : AgentSpec());
    }
    x->nodeSteps.resize(x->flow.size());
    startReadyNodes(x);
    settleOrchestration(x);
}

std::optional<ExecutionRecord> Engine::latestUpstreamRun(Execution *x)
{
    ExecutionStore *store = m_writer.store();
    if (!store)
        return std::nullopt;
    // The run's own workspace only: another workspace may have an orchestration of the same id,
    // and its outputs must never become this node's inputs.
    const StoreScope scope = storeScope(x->ws);
    const HistoryQuery q
        = upstream::latestUsableRunQuery(x->ws.organizationId, x->ws.workspaceId, x->req.orchestrationId);
    Result<HistoryPage> page = store->query(scope, q);
    if (!page.ok() || page.value().items.isEmpty())
        return std::nullopt;
    Result<ExecutionRecord> full = store->execution(scope, page.value().items.first().id, true);
    if (!full.ok())
        return std::nullopt;
    return full.take();
}

void Engine::runNodeInContext(Execution *x)
{
    const OrchestrationSpec *o = x->ws.orchestration(x->req.orchestrationId);
    const NodeSpec *node = o ? o->node(x->req.nodeId) : nullptr;
    if (!node) {
        finishExecution(x, kFailed, ErrorCode::InvalidInput,
            QStringLiteral("orchestration '%1': unknown node '%2'")
                .arg(x->req.orchestrationId, x->req.nodeId),
            {});
        return;
    }
    if (!orchestrationIsValid(x, *o))
        return;
    const AgentSpec *agent = x->ws.agent(node->agent);
    if (!agent) {
        finishExecution(x, kFailed, ErrorCode::InvalidInput,
            QStringLiteral("node '%1': unknown agent '%2'").arg(node->id, node->agent), {});
        return;
    }

    // The node's edge-fed inputs, each from (in order): the request's upstream values, the
    // orchestration's pins, the latest successful run usable as upstream (UpstreamResolver).
    const QJsonObject pins = o->pins.value(node->id);
    QJsonObject upstreamValues;
    QStringList missing;
    std::optional<upstream::Resolution> past;
    for (const QString &f : upstream::edgeFedInputs(*o, node->id)) {
        QJsonValue v = x->req.upstream.contains(f) ? x->req.upstream.value(f) : pins.value(f);
        if (v.isUndefined()) {
            if (!past) {
                const std::optional<ExecutionRecord> run = latestUpstreamRun(x);
                past = run ? upstream::resolve(*o, node->id, *run) : upstream::Resolution {};
            }
            v = past->values.value(f);
        }
        if (!v.isUndefined()) {
            upstreamValues.insert(f, v);
            continue;
        }
        const FieldSpec *spec = agent->signature.input(f);
        if (spec && spec->required)
            missing << f;
    }
    // Upstream values given for inputs no edge feeds are used as given.
    for (auto it = x->req.upstream.begin(); it != x->req.upstream.end(); ++it)
        if (!upstreamValues.contains(it.key()))
            upstreamValues.insert(it.key(), it.value());
    x->rec.inputData = QJsonObject { { QStringLiteral("inputs"), x->req.inputs },
        { QStringLiteral("upstream"), upstreamValues } };
    if (!missing.isEmpty()) {
        QStringList parts;
        for (const QString &f : std::as_const(missing))
            parts << QStringLiteral("input '%1'").arg(f);
        finishExecution(x, kFailed, ErrorCode::InvalidInput,
            QStringLiteral("node '%1': no upstream value for %2 (not given, not pinned, and no "
                           "successful run of '%3' to take it from)")
                .arg(node->id, parts.join(QStringLiteral(", ")), o->id),
            {});
        return;
    }
    QJsonObject inputs = x->req.inputs;
    for (auto it = upstreamValues.begin(); it != upstreamValues.end(); ++it)
        inputs.insert(it.key(), it.value());
    x->flow = WorkflowRun::singleNode(*o, node->id, inputs);
    x->nodeAgents = { *agent };
    x->nodeSteps.resize(1);
    startReadyNodes(x);
    settleOrchestration(x);
}

void Engine::startReadyNodes(Execution *x)
{
    int i;
    while (x->state == Execution::State::Running && (i = x->flow.startNext()) >= 0)
        startNode(x, i);
}

void Engine::startNode(Execution *x, int index)
{
    const AgentSpec &agent = x->nodeAgents.at(index);
    const QJsonObject inputs = x->flow.inputsOf(index);
    StepRecord &step = x->nodeSteps[index];
    step = x->nodeStep(index);
    step.inputData = inputs;
    x->stepStarted(step);

    QStringList problems;
    const std::optional<QJsonObject> full = validateInputs(agent.signature.inputs, inputs, &problems);
    if (!full) {
        AgentRun::Outcome o;
        o.status = AgentRun::Outcome::Status::Failed;
        o.code = ErrorCode::InvalidInput;
        o.error = QStringLiteral("invalid inputs: %1").arg(problems.join(QStringLiteral("; ")));
        onNodeDone(x, index, o);
        return;
    }
    startAgentRun(x, agent, *full, step.id, x->flow.node(index).id,
        [this, x, index](AgentRun *, const AgentRun::Outcome &o) { onNodeDone(x, index, o); });
}

void Engine::onNodeDone(Execution *x, int index, const AgentRun::Outcome &o)
{
    x->nodeEnded(index, o);
    startReadyNodes(x);
    settleOrchestration(x);
}

void Engine::settleOrchestration(Execution *x)
{
    if (x->state != Execution::State::Running || !x->flow.settled())
        return;
    if (x->flow.result() != WorkflowRun::Result::Completed)
        x->skipRemainingNodes();
    const QJsonObject output = x->flow.outputs();
    switch (x->flow.result()) {
    case WorkflowRun::Result::Completed:
        finishExecution(x, kCompleted, ErrorCode::None, QString(), output);
        break;
    case WorkflowRun::Result::Failed:
        finishExecution(x, kFailed, x->failCode, x->flow.error(), output);
        break;
    case WorkflowRun::Result::Cancelled:
        finishExecution(x, kCancelled, ErrorCode::Cancelled, x->flow.error(), output);
        break;
    case WorkflowRun::Result::Stuck:
    case WorkflowRun::Result::Running:
        finishExecution(x, kFailed, ErrorCode::Internal, x->flow.error(), output);
        break;
    }
}

// --- History (pass-through to the store, on this thread) -----------------------------------

void Engine::queryHistory(quint64 ticket, const HistoryQuery &query)
{
    if (!m_writer.store()) {
        emit queryFailed(ticket, QStringLiteral("no history: the engine runs without a database"));
        return;
    }
    Result<HistoryPage> r = m_writer.store()->query(storeScope(m_workspace), query);
    if (r.ok())
        emit historyReady(ticket, r.value());
    else
        emit queryFailed(ticket, r.error());
}

void Engine::fetchExecution(quint64 ticket, const QString &executionId)
{
    if (!m_writer.store()) {
        emit queryFailed(ticket, QStringLiteral("no history: the engine runs without a database"));
        return;
    }
    Result<ExecutionRecord> r = m_writer.store()->execution(storeScope(m_workspace), executionId, true);
    if (r.ok())
        emit executionFetched(ticket, r.value());
    else
        emit queryFailed(ticket, r.error());
}

void Engine::deleteExecutions(quint64 ticket, const QStringList &ids)
{
    if (!m_writer.store()) {
        emit queryFailed(ticket, QStringLiteral("no history: the engine runs without a database"));
        return;
    }
    m_writer.commit(); // grouped writes first, so nothing deleted comes back
    QStringList finished;
    for (const QString &id : ids)
        if (!m_executions.contains(id))
            finished.append(id);
    const Result<int> r = m_writer.store()->remove(storeScope(m_workspace), finished);
    if (r.ok())
        emit executionsDeleted(ticket, r.value());
    else
        emit queryFailed(ticket, r.error());
}

void Engine::applyRetention(quint64 ticket, int keepLast, const QDateTime &olderThan)
{
    if (!m_writer.store()) {
        emit queryFailed(ticket, QStringLiteral("no history: the engine runs without a database"));
        return;
    }
    m_writer.commit();
    const Result<int> r = m_writer.store()->applyRetention(storeScope(m_workspace), keepLast, olderThan);
    if (r.ok())
        emit executionsDeleted(ticket, r.value());
    else
        emit queryFailed(ticket, r.error());
}
