#include "core/api/UpstreamResolver.h"
#include "core/eval/Assertions.h"
#include "core/eval/Dataset.h"

#include <QJsonArray>

#include <cmath>

// "Save as test case" (docs/evaluations.md): a case pre-filled from what a finished run did.
// Pure; the app calls it off the GUI thread together with the file write.

namespace {

bool isNodeRun(const ExecutionRecord &r)
{
    return !r.orchestrationId.isEmpty() && (r.testMode == TestMode::NodeInContext || !r.nodeId.isEmpty());
}

// The output fields of what the run ran (the agent's, the node's agent's, or the workflow's).
QList<FieldSpec> outputsOf(const ExecutionRecord &r, const Workspace &ws)
{
    if (r.orchestrationId.isEmpty()) {
        const AgentSpec *a = ws.agent(r.agentId);
        return a ? a->signature.outputs : QList<FieldSpec> {};
    }
    const OrchestrationSpec *w = ws.orchestration(r.orchestrationId);
    if (!w)
        return {};
    if (isNodeRun(r)) {
        const NodeSpec *n = w->node(r.nodeId);
        const AgentSpec *a = n ? ws.agent(n->agent) : nullptr;
        return a ? a->signature.outputs : QList<FieldSpec> {};
    }
    QList<FieldSpec> out;
    for (const WorkflowOutputSpec &o : w->outputs) {
        const NodeSpec *n = w->node(o.fromNode);
        const AgentSpec *a = n ? ws.agent(n->agent) : nullptr;
        if (const FieldSpec *f = a ? a->signature.output(o.fromField) : nullptr) {
            FieldSpec spec = *f;
            spec.name = o.name;
            out.append(spec);
        }
    }
    return out;
}

QJsonObject assertion(const char *type, const QJsonValue &value)
{
    return { { QStringLiteral("type"), QLatin1String(type) }, { QStringLiteral("value"), value } };
}

} // namespace

namespace eval {

QJsonObject targetOfRun(const ExecutionRecord &record)
{
    if (record.orchestrationId.isEmpty())
        return { { QStringLiteral("agent"), record.agentId } };
    if (isNodeRun(record))
        return { { QStringLiteral("workflow"), record.orchestrationId },
            { QStringLiteral("node"), record.nodeId } };
    return { { QStringLiteral("workflow"), record.orchestrationId } };
}

QJsonObject caseFromRun(const ExecutionRecord &record, const Workspace &ws)
{
    QString name = record.orchestrationId.isEmpty() ? record.agentId : record.orchestrationId;
    if (isNodeRun(record))
        name += QLatin1Char('-') + record.nodeId;
    const QDateTime when = (record.startedAt.isValid() ? record.startedAt : record.queuedAt).toUTC();
    QJsonObject c { { QStringLiteral("id"),
                        QString(name + QLatin1Char('-') + when.toString(QStringLiteral("yyyyMMdd-HHmmss"))) },
        { QStringLiteral("description"), QStringLiteral("saved from execution %1").arg(record.id) } };
    QJsonObject inputs = record.inputData, upstreamValues;
    if (isNodeRun(record))
        if (const OrchestrationSpec *w = ws.orchestration(record.orchestrationId))
            for (const QString &field : upstream::edgeFedInputs(*w, record.nodeId))
                if (inputs.contains(field))
                    upstreamValues.insert(field, inputs.take(field));
    c.insert(QStringLiteral("inputs"), inputs);
    if (!upstreamValues.isEmpty())
        c.insert(QStringLiteral("upstream"), upstreamValues);
    if (!record.toolOverrides.isEmpty())
        c.insert(QStringLiteral("tool_overrides"), record.toolOverrides);

    QJsonArray asserts { assertion("status", QStringLiteral("completed")) };
    const QList<FieldSpec> outputs = outputsOf(record, ws);
    for (const FieldSpec &f : outputs)
        if ((f.type == FieldType::Enum || f.type == FieldType::Bool) && record.outputData.contains(f.name)) {
            QJsonObject a = assertion("equals", record.outputData.value(f.name));
            a.insert(QStringLiteral("field"), f.name);
            asserts.append(a);
        }
    const CaseObservation obs = CaseObservation::fromRecord(record, outputs);
    QJsonArray tools;
    for (const ObservedToolCall &call : obs.toolCalls)
        if (call.ok)
            tools.append(call.name);
    if (!tools.isEmpty())
        asserts.append(QJsonObject { { QStringLiteral("type"), QStringLiteral("trajectory") },
            { QStringLiteral("mode"), QStringLiteral("in_order") }, { QStringLiteral("tools"), tools } });
    if (record.costUsd)
        asserts.append(assertion("max_cost_usd", *record.costUsd * 2));
    if (record.executionTimeMs > 0)
        asserts.append(assertion("max_latency_ms", double(std::ceil(double(record.executionTimeMs) * 1.5))));
    c.insert(QStringLiteral("assert"), asserts);
    return c;
}

} // namespace eval
