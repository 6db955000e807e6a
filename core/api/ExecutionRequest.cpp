#include "core/api/ExecutionRequest.h"

namespace {

void putIfSet(QJsonObject &o, const char *key, const QString &value)
{
    if (!value.isEmpty())
        o.insert(QLatin1String(key), value);
}

} // namespace

QJsonObject ExecutionBudget::toJson() const
{
    QJsonObject o;
    if (maxCostUsd)
        o.insert(QStringLiteral("max_cost_usd"), *maxCostUsd);
    if (maxToolCalls)
        o.insert(QStringLiteral("max_tool_calls"), *maxToolCalls);
    return o;
}

ExecutionBudget ExecutionBudget::fromJson(const QJsonObject &o)
{
    ExecutionBudget b;
    if (o.value(QLatin1String("max_cost_usd")).isDouble())
        b.maxCostUsd = o.value(QLatin1String("max_cost_usd")).toDouble();
    if (o.value(QLatin1String("max_tool_calls")).isDouble())
        b.maxToolCalls = o.value(QLatin1String("max_tool_calls")).toInt();
    return b;
}

namespace {
bool isCount(const QJsonValue &v)
{
    return v.isDouble() && v.toDouble() >= 0 && v.toDouble() == double(qint64(v.toDouble()));
}
} // namespace

QString ExecutionBudget::parse(const QJsonObject &o, ExecutionBudget *out)
{
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QString at = QStringLiteral("budget.%1").arg(it.key());
        const QJsonValue v = it.value();
        if (it.key() == u"max_cost_usd") {
            if (!v.isDouble() || v.toDouble() < 0)
                return at + QStringLiteral(": expected a number >= 0");
            out->maxCostUsd = v.toDouble();
        } else if (it.key() == u"max_tool_calls") {
            if (!isCount(v))
                return at + QStringLiteral(": expected an integer >= 0");
            out->maxToolCalls = v.toInt();
        } else {
            return at + QStringLiteral(": unknown field (expected max_cost_usd or max_tool_calls)");
        }
    }
    return {};
}

QString toolOverrideProblem(const QString &path, const QJsonValue &entry)
{
    if (!entry.isObject())
        return path + QStringLiteral(": expected an object with result, error or latency_ms");
    const QJsonObject o = entry.toObject();
    for (auto f = o.begin(); f != o.end(); ++f)
        if (f.key() != u"result" && f.key() != u"error" && f.key() != u"latency_ms")
            return QStringLiteral("%1.%2: unknown field (expected result, error or latency_ms)")
                .arg(path, f.key());
    if (o.isEmpty())
        return path + QStringLiteral(": expected result, error or latency_ms");
    if (o.contains(u"result") && o.contains(u"error"))
        return path + QStringLiteral(": give result or error, not both");
    if (o.contains(u"error") && !o.value(u"error").isString())
        return path + QStringLiteral(".error: expected a string");
    if (o.contains(u"latency_ms") && !isCount(o.value(u"latency_ms")))
        return path + QStringLiteral(".latency_ms: expected an integer >= 0");
    return {};
}

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
    if (!toolOverrides.isEmpty())
        o.insert(QStringLiteral("tool_overrides"), toolOverrides);
    if (!budget.isEmpty())
        o.insert(QStringLiteral("budget"), budget.toJson());
    putIfSet(o, "conversation_of", conversationOf);
    putIfSet(o, "message", message);
    if (executionType)
        o.insert(QStringLiteral("execution_type"), toWire(*executionType));
    if (!agentOverrides.isEmpty())
        o.insert(QStringLiteral("agent_overrides"), agentOverrides);
    if (!agentSpec.isEmpty())
        o.insert(QStringLiteral("agent_spec"), agentSpec);
    if (!providers.isEmpty())
        o.insert(QStringLiteral("providers"), providers);
    if (!responseCache.isOff())
        o.insert(QStringLiteral("response_cache"), responseCache.toJson());
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
    r.toolOverrides = o.value(QLatin1String("tool_overrides")).toObject();
    r.budget = ExecutionBudget::fromJson(o.value(QLatin1String("budget")).toObject());
    r.conversationOf = o.value(QLatin1String("conversation_of")).toString();
    r.message = o.value(QLatin1String("message")).toString();
    if (const QJsonValue t = o.value(QLatin1String("execution_type")); t.isString())
        r.executionType = fromWire<ExecutionType>(t.toString());
    r.agentOverrides = o.value(QLatin1String("agent_overrides")).toObject();
    r.agentSpec = o.value(QLatin1String("agent_spec")).toObject();
    r.providers = o.value(QLatin1String("providers")).toArray();
    r.responseCache = ResponseCacheOptions::fromJson(o.value(QLatin1String("response_cache")).toObject());
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
