#include "core/api/ExecutionEvent.h"

#include "core/api/JsonFields.h"

#include <QJsonValue>

namespace {

struct TypeName
{
    ExecutionEvent::Type type;
    QLatin1String name;
};

constexpr TypeName kTypeNames[] = {
    { ExecutionEvent::Type::Status, QLatin1String("status") },
    { ExecutionEvent::Type::StepStarted, QLatin1String("step_started") },
    { ExecutionEvent::Type::Chunk, QLatin1String("chunk") },
    { ExecutionEvent::Type::StepCompleted, QLatin1String("step_completed") },
    { ExecutionEvent::Type::Complete, QLatin1String("complete") },
    { ExecutionEvent::Type::Error, QLatin1String("error") },
};

qint64 integer(const QJsonObject &o, QLatin1String key, qint64 fallback)
{
    return jsonfield::integerOr(o.value(key), fallback);
}

// The status of a status/complete event: one of the set, or a Failure naming the bad value.
Result<ExecutionStatus> statusOf(const QJsonObject &o, bool required)
{
    const QString text = o.value(QLatin1String("status")).toString();
    if (text.isEmpty() && !required)
        return ExecutionStatus::Completed; // a minimal server's bare {"type":"complete"}
    if (const auto status = fromWire<ExecutionStatus>(text))
        return *status;
    if (text.isEmpty())
        return Failure { QStringLiteral("event.status: missing") };
    return Failure { QStringLiteral("event.status: unknown status '%1' (expected one of %2)")
                         .arg(text, wireNames<ExecutionStatus>().join(QStringLiteral(", "))) };
}

QJsonObject summaryToJson(const ExecutionSummary &s)
{
    QJsonObject d;
    d.insert(u"output_data", s.outputData);
    d.insert(u"input_tokens", s.inputTokens);
    d.insert(u"output_tokens", s.outputTokens);
    d.insert(u"cached_tokens", s.cachedTokens);
    d.insert(u"tokens_estimated", s.tokensEstimated);
    d.insert(u"cost_usd", jsonfield::costToJson(s.costUsd));
    d.insert(u"execution_time_ms", s.executionTimeMs);
    d.insert(u"ttft_ms", jsonfield::msOrNull(s.ttftMs));
    d.insert(u"queue_ms", s.queueMs);
    d.insert(u"error_message", jsonfield::textOrNull(s.errorMessage));
    if (s.errorCode != ErrorCode::None)
        d.insert(u"error_code", toWire(s.errorCode));
    return d;
}

ExecutionSummary summaryFromJson(const QJsonObject &o)
{
    ExecutionSummary s;
    s.outputData = o.value(QLatin1String("output_data")).toObject();
    s.inputTokens = integer(o, QLatin1String("input_tokens"), 0);
    s.outputTokens = integer(o, QLatin1String("output_tokens"), 0);
    s.cachedTokens = integer(o, QLatin1String("cached_tokens"), 0);
    s.tokensEstimated = o.value(QLatin1String("tokens_estimated")).toBool();
    const QJsonValue cost = o.value(QLatin1String("cost_usd"));
    if (cost.isDouble())
        s.costUsd = cost.toDouble();
    s.executionTimeMs = integer(o, QLatin1String("execution_time_ms"), 0);
    s.ttftMs = integer(o, QLatin1String("ttft_ms"), -1);
    s.queueMs = integer(o, QLatin1String("queue_ms"), 0);
    s.errorMessage = o.value(QLatin1String("error_message")).toString();
    s.errorCode = errorCodeFromWire(o.value(QLatin1String("error_code")).toString());
    return s;
}

} // namespace

QString ExecutionEvent::typeName(Type t)
{
    for (const TypeName &n : kTypeNames)
        if (n.type == t)
            return QString(n.name);
    return QStringLiteral("unknown");
}

QJsonObject ExecutionEvent::toJson() const
{
    QJsonObject o;
    switch (type) {
    case Type::Status:
        o.insert(u"status", toWire(status));
        if (header)
            o.insert(u"header", header->toJson());
        if (queueMs >= 0)
            o.insert(u"queue_ms", queueMs);
        if (!errorMessage.isEmpty())
            o.insert(u"error_message", errorMessage);
        break;
    case Type::Complete:
        // The figures sit flat in the message (docs/wire-protocol.md).
        o = summaryToJson(*summary);
        o.insert(u"status", toWire(status));
        break;
    case Type::StepStarted:
    case Type::StepCompleted:
        o.insert(u"step", step->toJson());
        break;
    case Type::Chunk:
        if (!stepId.isEmpty())
            o.insert(u"step_id", stepId);
        o.insert(u"content", content);
        o.insert(u"tokens", tokens);
        break;
    case Type::Error:
        o.insert(u"code", errorWireCode);
        o.insert(u"message", errorMessage);
        if (errorCode != ErrorCode::None)
            o.insert(u"error_code", toWire(errorCode));
        break;
    }
    o.insert(u"type", typeName(type));
    if (!executionId.isEmpty())
        o.insert(u"execution_id", executionId);
    if (seq > 0)
        o.insert(u"seq", seq);
    return o;
}

Result<ExecutionEvent> ExecutionEvent::fromJson(const QJsonObject &o)
{
    const QJsonValue typeValue = o.value(QLatin1String("type"));
    if (!typeValue.isString())
        return Failure { QStringLiteral("event: missing \"type\"") };
    const QString name = typeValue.toString();
    ExecutionEvent e;
    bool known = false;
    for (const TypeName &n : kTypeNames) {
        if (name == n.name) {
            e.type = n.type;
            known = true;
            break;
        }
    }
    if (!known)
        return Failure { QStringLiteral("event: unknown type '%1'").arg(name) };

    const QJsonValue idValue = o.value(QLatin1String("execution_id"));
    if (!idValue.isUndefined() && !idValue.isNull() && !idValue.isString())
        return Failure { QStringLiteral("event.execution_id: expected a string") };
    e.executionId = idValue.toString();

    const QJsonValue seqValue = o.value(QLatin1String("seq"));
    if (!seqValue.isUndefined() && !seqValue.isNull()) {
        if (!seqValue.isDouble() || seqValue.toDouble() < 0
            || seqValue.toDouble() != double(qint64(seqValue.toDouble())))
            return Failure { QStringLiteral("event.seq: expected a non-negative integer") };
        e.seq = qint64(seqValue.toDouble());
    }

    switch (e.type) {
    case Type::Status: {
        const Result<ExecutionStatus> status = statusOf(o, true);
        if (!status)
            return Failure { status.error() };
        e.status = *status;
        const QJsonValue header = o.value(QLatin1String("header"));
        if (header.isObject())
            e.header = ExecutionHeader::fromJson(header.toObject());
        e.queueMs = integer(o, QLatin1String("queue_ms"), -1);
        e.errorMessage = o.value(QLatin1String("error_message")).toString();
        break;
    }
    case Type::Complete: {
        const Result<ExecutionStatus> status = statusOf(o, false);
        if (!status)
            return Failure { status.error() };
        e.status = *status;
        e.summary = summaryFromJson(o);
        break;
    }
    case Type::Error:
        e.errorWireCode = o.value(QLatin1String("code")).toString();
        e.errorMessage = o.value(QLatin1String("message")).toString();
        e.errorCode = errorCodeFromWire(o.value(QLatin1String("error_code")).toString());
        break;
    case Type::StepStarted:
    case Type::StepCompleted: {
        const QJsonValue s = o.value(QLatin1String("step"));
        if (!s.isObject())
            return Failure { QStringLiteral("event.step: expected an object") };
        e.step = StepRecord::fromJson(s.toObject());
        e.stepId = e.step->id;
        break;
    }
    case Type::Chunk: {
        const QJsonValue c = o.value(QLatin1String("content"));
        if (!c.isString())
            return Failure { QStringLiteral("event.content: expected a string") };
        e.content = c.toString();
        e.stepId = o.value(QLatin1String("step_id")).toString();
        const QJsonValue t = o.value(QLatin1String("tokens"));
        if (!t.isUndefined() && !t.isNull() && !t.isDouble())
            return Failure { QStringLiteral("event.tokens: expected a number") };
        e.tokens = t.toInt();
        break;
    }
    }
    return e;
}

ExecutionEvent ExecutionEvent::makeStatus(const QString &executionId, ExecutionStatus status)
{
    ExecutionEvent e;
    e.type = Type::Status;
    e.executionId = executionId;
    e.status = status;
    return e;
}

ExecutionEvent ExecutionEvent::makeChunk(
    const QString &executionId, const QString &stepId, const QString &content, int tokens)
{
    ExecutionEvent e;
    e.type = Type::Chunk;
    e.executionId = executionId;
    e.stepId = stepId;
    e.content = content;
    e.tokens = tokens;
    return e;
}

ExecutionEvent ExecutionEvent::makeStep(Type type, const StepRecord &step)
{
    ExecutionEvent e;
    e.type = type;
    e.executionId = step.executionId;
    e.stepId = step.id;
    e.step = step;
    return e;
}

ExecutionEvent ExecutionEvent::makeComplete(
    const QString &executionId, ExecutionStatus status, const ExecutionSummary &summary)
{
    ExecutionEvent e;
    e.type = Type::Complete;
    e.executionId = executionId;
    e.status = status;
    e.summary = summary;
    return e;
}

ExecutionHeader ExecutionHeader::of(const ExecutionRecord &r)
{
    ExecutionHeader h;
    h.organizationId = r.organizationId;
    h.workspaceId = r.workspaceId;
    h.agentId = r.agentId;
    h.orchestrationId = r.orchestrationId;
    h.nodeId = r.nodeId;
    h.testMode = r.testMode;
    h.executionType = r.executionType;
    h.triggerType = r.triggerType;
    h.rerunOf = r.rerunOf;
    h.inputData = r.inputData;
    h.queuedAt = r.queuedAt;
    return h;
}

void ExecutionHeader::applyTo(ExecutionRecord &r) const
{
    if (!organizationId.isEmpty())
        r.organizationId = organizationId;
    r.workspaceId = workspaceId;
    r.agentId = agentId;
    r.orchestrationId = orchestrationId;
    r.nodeId = nodeId;
    r.testMode = testMode;
    r.executionType = executionType;
    r.triggerType = triggerType;
    r.rerunOf = rerunOf;
    r.inputData = inputData;
    if (queuedAt.isValid())
        r.queuedAt = queuedAt;
}

QJsonObject ExecutionHeader::toJson() const
{
    // The record's own JSON keys and formats: one writer for both.
    ExecutionRecord r;
    applyTo(r);
    const QJsonObject full = r.toJson(false);
    QJsonObject o;
    for (const char *key : { "organization_id", "workspace_id", "agent_id", "orchestration_id", "node_id",
             "test_mode", "execution_type", "trigger_type", "rerun_of", "input_data", "queued_at" })
        o.insert(QLatin1String(key), full.value(QLatin1String(key)));
    return o;
}

ExecutionHeader ExecutionHeader::fromJson(const QJsonObject &o)
{
    return of(ExecutionRecord::fromJson(o));
}

ExecutionSummary ExecutionSummary::of(const ExecutionRecord &r)
{
    ExecutionSummary s;
    s.outputData = r.outputData;
    s.inputTokens = r.inputTokens;
    s.outputTokens = r.outputTokens;
    s.cachedTokens = r.cachedTokens;
    s.tokensEstimated = r.tokensEstimated;
    s.costUsd = r.costUsd;
    s.executionTimeMs = r.executionTimeMs;
    s.ttftMs = r.ttftMs;
    s.queueMs = r.queueMs;
    s.errorMessage = r.errorMessage;
    s.errorCode = r.errorCode;
    return s;
}

void ExecutionSummary::applyTo(ExecutionRecord &r) const
{
    r.outputData = outputData;
    r.inputTokens = inputTokens;
    r.outputTokens = outputTokens;
    r.cachedTokens = cachedTokens;
    r.tokensEstimated = tokensEstimated;
    r.costUsd = costUsd;
    r.executionTimeMs = executionTimeMs;
    r.ttftMs = ttftMs;
    r.queueMs = queueMs;
    r.errorMessage = errorMessage;
    r.errorCode = errorCode;
}
