#include "core/engine/Execution.h"

#include "core/api/ExecutionTypes.h"
#include "core/common/Util.h"
#include "core/engine/EventJournal.h"
#include "core/engine/StoreWriter.h"
#include "core/store/ExecutionStore.h"

Execution::Execution(StoreWriter &writer, EventJournal &journal)
    : m_writer(writer)
    , m_journal(journal)
{
    clock.start();
}

Execution::~Execution()
{
    qDeleteAll(tasks);
}

QString Execution::findTarget(const Workspace &ws, const ExecutionRequest &request, const AgentSpec **agent,
    const OrchestrationSpec **orch)
{
    const bool hasAgent = !request.agentId.isEmpty();
    if (hasAgent == !request.orchestrationId.isEmpty())
        return QStringLiteral("request: give exactly one of agent_id and orchestration_id");
    if (hasAgent) {
        *agent = ws.agent(request.agentId);
        return *agent ? QString() : QStringLiteral("unknown agent '%1'").arg(request.agentId);
    }
    *orch = ws.orchestration(request.orchestrationId);
    if (!*orch)
        return QStringLiteral("unknown orchestration '%1'").arg(request.orchestrationId);
    if (request.nodeId.isEmpty())
        return {};
    const NodeSpec *node = (*orch)->node(request.nodeId);
    if (!node)
        return QStringLiteral("orchestration '%1': unknown node '%2'")
            .arg(request.orchestrationId, request.nodeId);
    *agent = ws.agent(node->agent);
    return {};
}

void Execution::initRecord(const ExecutionRequest &request, const QString &id, const Workspace &workspace,
    const AgentSpec *agent, const OrchestrationSpec *orch)
{
    req = request;
    req.executionId = id;
    ws = workspace;
    isOrchestration = !request.orchestrationId.isEmpty();
    nodeInContext = isOrchestration && !request.nodeId.isEmpty();

    ExecutionRecord &r = rec;
    r.id = id;
    r.organizationId = ws.organizationId;
    r.workspaceId = ws.workspaceId;
    r.executionType = request.executionType.value_or(
        isOrchestration ? ExecutionType::Orchestration : ExecutionType::Agent);
    r.testMode = request.effectiveTestMode();
    r.triggerType = request.triggerType;
    r.triggeredBy = request.triggeredBy;
    r.rerunOf = request.rerunOf;
    r.toolOverrides = request.toolOverrides;
    r.budget = request.budget.toJson();
    r.traceId = as::newTraceId();
    r.status = ExecutionStatus::Queued;
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
    if (nodeInContext) {
        r.inputData = QJsonObject { { QStringLiteral("inputs"), request.inputs },
            { QStringLiteral("upstream"), request.upstream } };
    } else {
        r.inputData = request.inputs;
    }
}

ExecutionEvent Execution::queuedEvent() const
{
    // What the run is, so no subscriber has to fetch it back.
    ExecutionEvent e = ExecutionEvent::makeStatus(rec.id, rec.status);
    e.header = ExecutionHeader::of(rec);
    return e;
}

void Execution::markRunning()
{
    state = State::Running;
    startedAtMs = clock.elapsed();
    ExecutionRecord &r = rec;
    r.status = ExecutionStatus::Running;
    r.startedAt = QDateTime::currentDateTimeUtc();
    r.queueMs = startedAtMs;
    m_writer.write([&r](ExecutionStore &s) { return s.updateExecution(r); });
    ExecutionEvent e = ExecutionEvent::makeStatus(r.id, r.status);
    e.queueMs = r.queueMs;
    emitEvent(std::move(e));
}

bool Execution::finish(
    ExecutionStatus status, ErrorCode code, const QString &error, const QJsonObject &outputData)
{
    if (state == State::Finished)
        return false;
    const bool wasRunning = state == State::Running;
    state = State::Finished;
    ExecutionRecord &r = rec;
    r.status = status;
    r.errorMessage = error;
    r.errorCode = code;
    r.outputData = outputData;
    r.completedAt = QDateTime::currentDateTimeUtc();
    if (wasRunning) {
        r.executionTimeMs = clock.elapsed() - startedAtMs;
    } else {
        r.queueMs = clock.elapsed();
        r.executionTimeMs = 0;
    }
    r.inputTokens = m_usage.inputTokens;
    r.outputTokens = m_usage.outputTokens;
    r.cachedTokens = m_usage.cachedTokens;
    r.tokensEstimated = m_usage.estimated;
    r.costUsd = m_cost;
    r.ttftMs = firstTokenMs;
    m_writer.write([&r](ExecutionStore &s) { return s.updateExecution(r); });

    ExecutionEvent e = ExecutionEvent::makeComplete(r.id, status, ExecutionSummary::of(r));
    emitEvent(std::move(e)); // the journal commits the store before it emits this batch
    m_journal.finish(r.id);
    return true;
}

void Execution::emitEvent(ExecutionEvent &&event)
{
    m_journal.append(rec.id, std::move(event));
}

StepRecord Execution::nodeStep(int i)
{
    const NodeSpec &node = flow.node(i);
    const AgentSpec &agent = nodeAgents.at(i);
    StepRecord s = newStep(StepKind::Node, node.id, QString(), node.id);
    s.agentId = agent.id;
    s.provider = agent.model.provider;
    s.model = agent.model.name;
    return s;
}

StepRecord Execution::newStep(
    StepKind kind, const QString &name, const QString &parentStepId, const QString &nodeId)
{
    StepRecord s;
    s.id = as::newId();
    s.executionId = rec.id;
    s.stepNumber = ++m_stepCounter;
    s.spanId = as::newSpanId();
    s.kind = kind;
    s.name = name;
    s.parentStepId = parentStepId;
    s.nodeId = nodeId;
    s.status = StepStatus::Running;
    return s;
}

void Execution::stepStarted(StepRecord &s)
{
    s.startedAt = QDateTime::currentDateTimeUtc();
    m_writer.write([&s](ExecutionStore &st) { return st.insertStep(s); });
    emitEvent(ExecutionEvent::makeStep(ExecutionEvent::Type::StepStarted, s));
}

void Execution::stepFinished(StepRecord &s, StepStatus status)
{
    s.status = status;
    s.completedAt = QDateTime::currentDateTimeUtc();
    s.executionTimeMs = s.startedAt.isValid() ? qMax<qint64>(0, s.startedAt.msecsTo(s.completedAt)) : 0;
    m_writer.write([&s](ExecutionStore &st) { return st.updateStep(s); });
    emitEvent(ExecutionEvent::makeStep(ExecutionEvent::Type::StepCompleted, s));
}

void Execution::chunk(const StepRecord &llm, const QString &text, int tokens)
{
    if (firstTokenMs < 0)
        firstTokenMs = clock.elapsed() - startedAtMs;
    ExecutionEvent e;
    e.type = ExecutionEvent::Type::Chunk;
    e.stepId = llm.id;
    e.content = text;
    e.tokens = tokens;
    emitEvent(std::move(e));
}

void Execution::charge(const TokenUsage &usage, const std::optional<double> &cost)
{
    m_usage += usage;
    if (!cost)
        m_cost.reset();
    else if (m_cost)
        *m_cost += *cost;
}

QString Execution::takeToolCalls(int calls)
{
    m_toolCalls += calls;
    const std::optional<int> max = req.budget.maxToolCalls;
    if (max && m_toolCalls > *max)
        return QStringLiteral("budget exceeded: the model asked for tool call %1, max_tool_calls is %2")
            .arg(m_toolCalls)
            .arg(*max);
    return {};
}

QString Execution::overBudget() const
{
    const std::optional<double> max = req.budget.maxCostUsd;
    if (max && m_cost && *m_cost > *max)
        return QStringLiteral("budget exceeded: cost $%1 is over max_cost_usd $%2")
            .arg(*m_cost, 0, 'f', 6)
            .arg(*max, 0, 'f', 6);
    return {};
}

void Execution::nodeEnded(int i, const AgentRun::Outcome &o)
{
    StepRecord &s = nodeSteps[i];
    s.inputTokens = o.usage.inputTokens;
    s.outputTokens = o.usage.outputTokens;
    s.cachedTokens = o.usage.cachedTokens;
    s.reasoningTokens = o.usage.reasoningTokens;
    s.tokensEstimated = o.usage.estimated;
    s.tokensUsed = o.usage.inputTokens + o.usage.outputTokens;
    s.costUsd = o.cost;
    flow.setPartialText(i, o.partialText);
    if (o.status != AgentRun::Outcome::Status::Completed && !o.partialText.isEmpty())
        s.outputData = QJsonObject { { QStringLiteral("text"), o.partialText } };

    switch (o.status) {
    case AgentRun::Outcome::Status::Completed:
        flow.complete(i, o.outputs);
        s.outputData = o.outputs;
        stepFinished(s, StepStatus::Completed);
        break;
    case AgentRun::Outcome::Status::Failed:
        s.errorMessage = o.error;
        stepFinished(s, StepStatus::Failed);
        if (flow.fail(i, o.error)) {
            failCode = o.code;
            const QList<AgentRun *> running = tasks;
            for (AgentRun *t : running)
                t->cancel();
        }
        break;
    case AgentRun::Outcome::Status::Cancelled:
        flow.nodeCancelled(i);
        s.errorMessage = QStringLiteral("cancelled");
        stepFinished(s, StepStatus::Cancelled);
        break;
    }
}

void Execution::skipRemainingNodes()
{
    for (int i : flow.skipRemaining()) {
        StepRecord &step = nodeSteps[i];
        step = nodeStep(i);
        step.status = StepStatus::Skipped;
        step.costUsd = 0.0;
        stepStarted(step);
        stepFinished(step, StepStatus::Skipped);
    }
}
