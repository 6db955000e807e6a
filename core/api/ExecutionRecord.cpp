#include "core/api/ExecutionRecord.h"

#include "core/api/JsonFields.h"
#include "core/common/Util.h"

#include <QJsonArray>

// JSON forms of the two rows. Keys are the store's column names (docs/store.md), so `agentstudio-run
// run --format json`, the server's REST answers and the database all speak the same shape.

using namespace jsonfield;

QJsonObject StepRecord::toJson() const
{
    QJsonObject o;
    o.insert(u"id", id);
    o.insert(u"execution_id", executionId);
    o.insert(u"agent_id", textOrNull(agentId));
    o.insert(u"step_number", stepNumber);
    o.insert(u"input_data", inputData);
    o.insert(u"output_data", outputData);
    o.insert(u"status", toWire(status));
    o.insert(u"started_at", timeOrNull(startedAt));
    o.insert(u"completed_at", timeOrNull(completedAt));
    o.insert(u"execution_time_ms", executionTimeMs);
    o.insert(u"tokens_used", tokensUsed);
    o.insert(u"cost_usd", costToJson(costUsd));
    o.insert(u"parent_step_id", textOrNull(parentStepId));
    o.insert(u"span_id", spanId);
    o.insert(u"kind", toWire(kind));
    o.insert(u"name", name);
    o.insert(u"node_id", textOrNull(nodeId));
    o.insert(u"provider", textOrNull(provider));
    o.insert(u"model", textOrNull(model));
    o.insert(u"input_tokens", inputTokens);
    o.insert(u"output_tokens", outputTokens);
    o.insert(u"cached_tokens", cachedTokens);
    o.insert(u"reasoning_tokens", reasoningTokens);
    o.insert(u"tokens_estimated", tokensEstimated);
    o.insert(u"ttft_ms", msOrNull(ttftMs));
    o.insert(u"attempt", attempt);
    o.insert(u"error_message", textOrNull(errorMessage));
    if (!toolCallId.isEmpty())
        o.insert(u"tool_call_id", toolCallId);
    return o;
}

StepRecord StepRecord::fromJson(const QJsonObject &o)
{
    StepRecord s;
    s.id = o.value(u"id").toString();
    s.executionId = o.value(u"execution_id").toString();
    s.agentId = o.value(u"agent_id").toString();
    s.stepNumber = o.value(u"step_number").toInt();
    s.inputData = objectFromJson(o.value(u"input_data"));
    s.outputData = objectFromJson(o.value(u"output_data"));
    s.status = fromWireOr(o.value(u"status").toString(), StepStatus::Running);
    s.startedAt = as::parseIsoTime(o.value(u"started_at").toString());
    s.completedAt = as::parseIsoTime(o.value(u"completed_at").toString());
    s.executionTimeMs = integerOr(o.value(u"execution_time_ms"), 0);
    s.tokensUsed = integerOr(o.value(u"tokens_used"), 0);
    s.costUsd = costFromJson(o.value(u"cost_usd"));
    s.parentStepId = o.value(u"parent_step_id").toString();
    s.spanId = o.value(u"span_id").toString();
    s.kind = fromWireOr(o.value(u"kind").toString(), StepKind::Llm);
    s.name = o.value(u"name").toString();
    s.nodeId = o.value(u"node_id").toString();
    s.provider = o.value(u"provider").toString();
    s.model = o.value(u"model").toString();
    s.inputTokens = integerOr(o.value(u"input_tokens"), 0);
    s.outputTokens = integerOr(o.value(u"output_tokens"), 0);
    s.cachedTokens = integerOr(o.value(u"cached_tokens"), 0);
    s.reasoningTokens = integerOr(o.value(u"reasoning_tokens"), 0);
    s.tokensEstimated = o.value(u"tokens_estimated").toBool();
    s.ttftMs = integerOr(o.value(u"ttft_ms"), -1);
    s.attempt = o.value(u"attempt").toInt(1);
    s.errorMessage = o.value(u"error_message").toString();
    s.toolCallId = o.value(u"tool_call_id").toString();
    return s;
}

QJsonObject ExecutionRecord::toJson(bool withSteps) const
{
    QJsonObject o;
    o.insert(u"id", id);
    o.insert(u"organization_id", organizationId);
    o.insert(u"workspace_id", workspaceId);
    o.insert(u"gateway_id", textOrNull(gatewayId));
    o.insert(u"execution_type", toWire(executionType));
    o.insert(u"agent_id", textOrNull(agentId));
    o.insert(u"orchestration_id", textOrNull(orchestrationId));
    o.insert(u"version", version);
    o.insert(u"triggered_by", triggeredBy);
    o.insert(u"trigger_type", toWire(triggerType));
    o.insert(u"input_data", inputData);
    o.insert(u"output_data", outputData);
    o.insert(u"status", toWire(status));
    o.insert(u"error_message", textOrNull(errorMessage));
    if (errorCode != ErrorCode::None)
        o.insert(u"error_code", toWire(errorCode));
    o.insert(u"queued_at", timeOrNull(queuedAt));
    o.insert(u"started_at", timeOrNull(startedAt));
    o.insert(u"completed_at", timeOrNull(completedAt));
    o.insert(u"execution_time_ms", executionTimeMs);
    o.insert(u"input_tokens", inputTokens);
    o.insert(u"output_tokens", outputTokens);
    o.insert(u"cost_usd", costToJson(costUsd));
    o.insert(u"trace_id", traceId);
    o.insert(u"test_mode", textOrNull(toWire(testMode)));
    o.insert(u"node_id", textOrNull(nodeId));
    o.insert(u"provider", textOrNull(provider));
    o.insert(u"model", textOrNull(model));
    o.insert(u"queue_ms", queueMs);
    o.insert(u"ttft_ms", msOrNull(ttftMs));
    o.insert(u"cached_tokens", cachedTokens);
    o.insert(u"tokens_estimated", tokensEstimated);
    o.insert(u"rerun_of", textOrNull(rerunOf));
    o.insert(u"conversation_id", textOrNull(conversationId));
    o.insert(u"turn", turn);
    if (!toolOverrides.isEmpty())
        o.insert(u"tool_overrides", toolOverrides);
    if (!budget.isEmpty())
        o.insert(u"budget", budget);
    if (withSteps) {
        QJsonArray a;
        for (const StepRecord &s : steps)
            a.append(s.toJson());
        o.insert(u"steps", a);
    }
    return o;
}

ExecutionRecord ExecutionRecord::fromJson(const QJsonObject &o)
{
    ExecutionRecord e;
    e.id = o.value(u"id").toString();
    e.organizationId = o.value(u"organization_id").toString(QStringLiteral("local"));
    e.workspaceId = o.value(u"workspace_id").toString();
    e.gatewayId = o.value(u"gateway_id").toString();
    e.executionType = fromWireOr(o.value(u"execution_type").toString(), ExecutionType::Agent);
    e.agentId = o.value(u"agent_id").toString();
    e.orchestrationId = o.value(u"orchestration_id").toString();
    e.version = o.value(u"version").toString();
    e.triggeredBy = o.value(u"triggered_by").toString();
    e.triggerType = fromWireOr(o.value(u"trigger_type").toString(), TriggerType::Api);
    e.inputData = objectFromJson(o.value(u"input_data"));
    e.outputData = objectFromJson(o.value(u"output_data"));
    e.status = fromWireOr(o.value(u"status").toString(), ExecutionStatus::Failed);
    e.errorMessage = o.value(u"error_message").toString();
    e.errorCode = errorCodeFromWire(o.value(u"error_code").toString());
    e.queuedAt = as::parseIsoTime(o.value(u"queued_at").toString());
    e.startedAt = as::parseIsoTime(o.value(u"started_at").toString());
    e.completedAt = as::parseIsoTime(o.value(u"completed_at").toString());
    e.executionTimeMs = integerOr(o.value(u"execution_time_ms"), 0);
    e.inputTokens = integerOr(o.value(u"input_tokens"), 0);
    e.outputTokens = integerOr(o.value(u"output_tokens"), 0);
    e.costUsd = costFromJson(o.value(u"cost_usd"));
    e.traceId = o.value(u"trace_id").toString();
    e.testMode = fromWireOr(o.value(u"test_mode").toString(), TestMode::Unset);
    e.nodeId = o.value(u"node_id").toString();
    e.provider = o.value(u"provider").toString();
    e.model = o.value(u"model").toString();
    e.queueMs = integerOr(o.value(u"queue_ms"), 0);
    e.ttftMs = integerOr(o.value(u"ttft_ms"), -1);
    e.cachedTokens = integerOr(o.value(u"cached_tokens"), 0);
    e.tokensEstimated = o.value(u"tokens_estimated").toBool();
    e.rerunOf = o.value(u"rerun_of").toString();
    e.conversationId = o.value(u"conversation_id").toString();
    e.turn = int(integerOr(o.value(u"turn"), 0));
    e.toolOverrides = o.value(u"tool_overrides").toObject();
    e.budget = o.value(u"budget").toObject();
    const QJsonArray steps = o.value(u"steps").toArray();
    for (const QJsonValue &v : steps)
        e.steps.append(StepRecord::fromJson(v.toObject()));
    return e;
}
