#include "core/engine/Execution.h"

#include "core/api/ExecutionTypes.h"
#include "core/common/Util.h"
#include "core/engine/EventJournal.h"
#include "core/engine/StoreWriter.h"
#include "core/store/ExecutionStore.h"

namespace {

QJsonValue nullIfNegative(qint64 v)
{
    return v < 0 ? QJsonValue() : QJsonValue(v);
}

QJsonValue costValue(const std::optional<double> &c)
{
    return c ? QJsonValue(*c) : QJsonValue();
}

} // namespace

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
    r.executionType = toWire(isOrchestration ? ExecutionType::Orchestration : ExecutionType::Agent);
    r.testMode = request.effectiveTestMode();
    r.triggerType = request.triggerType;
    r.triggeredBy = request.triggeredBy;
    r.rerunOf = request.rerunOf;
    r.traceId = as::newTraceId();
    r.status = toWire(ExecutionStatus::Queued);
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
    // The record's own columns in its JSON form, so no subscriber has to fetch them back.
    static const char *const keys[] = { "agent_id", "orchestration_id", "node_id", "test_mode",
        "execution_type", "trigger_type", "rerun_of", "input_data", "queued_at" };
    const QJsonObject all = rec.toJson(false);
    QJsonObject header;
    for (const char *k : keys)
        header.insert(QLatin1String(k), all.value(QLatin1String(k)));
    ExecutionEvent e = ExecutionEvent::makeStatus(rec.id, rec.status);
    e.data.insert(QStringLiteral("header"), header);
    return e;
}

void Execution::markRunning()
{
    state = State::Running;
    startedAtMs = clock.elapsed();
    ExecutionRecord &r = rec;
    r.status = toWire(ExecutionStatus::Running);
    r.startedAt = QDateTime::currentDateTimeUtc();
    r.queueMs = startedAtMs;
    m_writer.write([&r](ExecutionStore &s) { return s.updateExecution(r); });
    ExecutionEvent e = ExecutionEvent::makeStatus(r.id, r.status);
    e.data.insert(QStringLiteral("queue_ms"), r.queueMs);
    emitEvent(std::move(e));
}

bool Execution::finish(
    const QString &status, ErrorCode code, const QString &error, const QJsonObject &outputData)
{
    if (state == State::Finished)
        return false;
    const bool wasRunning = state == State::Running;
    state = State::Finished;
    ExecutionRecord &r = rec;
    r.status = status;
    r.errorMessage = error;
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
        { QStringLiteral("error_code"), toWire(code) },
    };
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
    StepRecord s = newStep(toWire(StepKind::Node), node.id, QString(), node.id);
    s.agentId = agent.id;
    s.provider = agent.model.provider;
    s.model = agent.model.name;
    return s;
}

StepRecord Execution::newStep(
    const QString &kind, const QString &name, const QString &parentStepId, const QString &nodeId)
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
    s.status = toWire(StepStatus::Running);
    return s;
}

void Execution::stepStarted(StepRecord &s)
{
    s.startedAt = QDateTime::currentDateTimeUtc();
    m_writer.write([&s](ExecutionStore &st) { return st.insertStep(s); });
    ExecutionEvent e;
    e.type = ExecutionEvent::Type::StepStarted;
    e.stepId = s.id;
    e.step = s.toJson();
    emitEvent(std::move(e));
}

void Execution::stepFinished(StepRecord &s, const QString &status)
{
    s.status = status;
    s.completedAt = QDateTime::currentDateTimeUtc();
    s.executionTimeMs = s.startedAt.isValid() ? qMax<qint64>(0, s.startedAt.msecsTo(s.completedAt)) : 0;
    m_writer.write([&s](ExecutionStore &st) { return st.updateStep(s); });
    ExecutionEvent e;
    e.type = ExecutionEvent::Type::StepCompleted;
    e.stepId = s.id;
    e.step = s.toJson();
    emitEvent(std::move(e));
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
        stepFinished(s, toWire(StepStatus::Completed));
        break;
    case AgentRun::Outcome::Status::Failed:
        s.errorMessage = o.error;
        stepFinished(s, toWire(StepStatus::Failed));
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
        stepFinished(s, toWire(StepStatus::Cancelled));
        break;
    }
}

void Execution::skipRemainingNodes()
{
    for (int i : flow.skipRemaining()) {
        StepRecord &step = nodeSteps[i];
        step = nodeStep(i);
        step.status = toWire(StepStatus::Skipped);
        step.costUsd = 0.0;
        stepStarted(step);
        stepFinished(step, toWire(StepStatus::Skipped));
    }
}
