#include "core/api/ExecutionRequest.h"

namespace {

void putIfSet(QJsonObject &o, const char *key, const QString &value)
{
    if (!value.isEmpty())
        o.insert(QLatin1String(key), value);
}

} // namespace

QJsonObject ExecutionRequest::toJson() const
{
    QJsonObject o;
    putIfSet(o, "agent_id", agentId);
    putIfSet(o, "orchestration_id", orchestrationId);
    putIfSet(o, "node_id", nodeId);
    o.insert(QStringLiteral("inputs"), inputs);
    if (!upstream.isEmpty())
        o.insert(QStringLiteral("upstream"), upstream);
    putIfSet(o, "test_mode", toWire(testMode));
    putIfSet(o, "trigger_type", toWire(triggerType));
    putIfSet(o, "triggered_by", triggeredBy);
    putIfSet(o, "rerun_of", rerunOf);
    putIfSet(o, "execution_id", executionId);
    return o;
}

ExecutionRequest ExecutionRequest::fromJson(const QJsonObject &o)
{
    ExecutionRequest r;
    r.agentId = o.value(QLatin1String("agent_id")).toString();
    r.orchestrationId = o.value(QLatin1String("orchestration_id")).toString();
    r.nodeId = o.value(QLatin1String("node_id")).toString();
    r.inputs = o.value(QLatin1String("inputs")).toObject();
    r.upstream = o.value(QLatin1String("upstream")).toObject();
    // Lenient: an unknown mode is derived from the ids, an unknown trigger keeps the default
    // (servers check both fields themselves and answer 400 naming them).
    r.testMode = fromWireOr(o.value(QLatin1String("test_mode")).toString(), TestMode::Unset);
    r.triggerType = fromWireOr(o.value(QLatin1String("trigger_type")).toString(), r.triggerType);
    r.triggeredBy = o.value(QLatin1String("triggered_by")).toString();
    r.rerunOf = o.value(QLatin1String("rerun_of")).toString();
    r.executionId = o.value(QLatin1String("execution_id")).toString();
    return r;
}

TestMode ExecutionRequest::effectiveTestMode() const
{
    if (testMode != TestMode::Unset)
        return testMode;
    if (!orchestrationId.isEmpty())
        return nodeId.isEmpty() ? TestMode::FullWorkflow : TestMode::NodeInContext;
    return TestMode::SingleAgent;
}
