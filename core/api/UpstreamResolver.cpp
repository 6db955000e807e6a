#include "core/api/UpstreamResolver.h"

#include "core/api/ExecutionTypes.h"

namespace upstream {

namespace {

const QLatin1String kWorkflowInput("input");

// The output_data of the first completed `node` step of `nodeId`; nullptr when there is none.
const QJsonObject *nodeOutputs(const ExecutionRecord &run, const QString &nodeId)
{
    for (const StepRecord &s : run.steps)
        if (s.kind == StepKind::Node && s.nodeId == nodeId && s.status == StepStatus::Completed)
            return &s.outputData;
    return nullptr;
}

QJsonValue workflowInput(const OrchestrationSpec &orch, const ExecutionRecord &run, const QString &field)
{
    const QJsonValue v = run.inputData.value(field);
    if (!v.isUndefined())
        return v;
    for (const FieldSpec &f : orch.inputs)
        if (f.name == field && f.defaultValue)
            return *f.defaultValue;
    return QJsonValue(QJsonValue::Undefined);
}

QString edgeText(const EdgeSpec &e)
{
    return QStringLiteral("%1.%2 -> %3.%4").arg(e.fromNode, e.fromField, e.toNode, e.toField);
}

QString whyMissing(const EdgeSpec &e, const ExecutionRecord &run)
{
    const QString runId = run.id.left(8);
    if (e.fromNode == kWorkflowInput)
        return QStringLiteral("workflow input '%1' is not in run %2").arg(e.fromField, runId);
    if (!nodeOutputs(run, e.fromNode))
        return QStringLiteral("node '%1' did not complete in run %2").arg(e.fromNode, runId);
    return QStringLiteral("node '%1' has no output '%2' in run %3").arg(e.fromNode, e.fromField, runId);
}

bool isContextRunOf(const ExecutionRecord &run, const QString &nodeId)
{
    return run.testMode == TestMode::NodeInContext && run.nodeId == nodeId;
}

} // namespace

QStringList edgeFedInputs(const OrchestrationSpec &orch, const QString &nodeId)
{
    QStringList fields;
    for (const EdgeSpec &e : orch.edgesInto(nodeId))
        if (!fields.contains(e.toField))
            fields << e.toField;
    return fields;
}

Resolution resolve(const OrchestrationSpec &orch, const QString &nodeId, const ExecutionRecord &run)
{
    Resolution r;
    const QList<EdgeSpec> edges = orch.edgesInto(nodeId);
    if (isContextRunOf(run, nodeId)) {
        r.values = run.inputData.value(QStringLiteral("upstream")).toObject();
        r.ownInputs = run.inputData.value(QStringLiteral("inputs")).toObject();
        return r;
    }
    QList<const EdgeSpec *> firstMiss; // per missing field, the first edge that feeds it
    for (const EdgeSpec &e : edges) {
        if (r.values.contains(e.toField))
            continue;
        QJsonValue v;
        if (e.fromNode == kWorkflowInput) {
            v = workflowInput(orch, run, e.fromField);
        } else if (const QJsonObject *out = nodeOutputs(run, e.fromNode)) {
            v = out->value(e.fromField);
        } else {
            v = QJsonValue(QJsonValue::Undefined);
        }
        if (v.isUndefined()) {
            if (!r.missing.contains(e.toField)) {
                r.missing << e.toField;
                firstMiss << &e;
            }
            continue;
        }
        r.values.insert(e.toField, v);
        const qsizetype at = r.missing.indexOf(e.toField);
        if (at >= 0) { // a later edge fed it after all
            r.missing.removeAt(at);
            firstMiss.removeAt(at);
        }
    }
    for (const EdgeSpec *e : std::as_const(firstMiss))
        r.problems
            << QStringLiteral("input '%1' (edge %2): %3").arg(e->toField, edgeText(*e), whyMissing(*e, run));

    // The node's own inputs, from its node step when the run ran it.
    for (const StepRecord &s : run.steps) {
        if (s.kind != StepKind::Node || s.nodeId != nodeId)
            continue;
        const QStringList fed = edgeFedInputs(orch, nodeId);
        for (auto it = s.inputData.begin(); it != s.inputData.end(); ++it)
            if (!fed.contains(it.key()))
                r.ownInputs.insert(it.key(), it.value());
        break;
    }
    return r;
}

HistoryQuery latestUsableRunQuery(
    const QString &organizationId, const QString &workspaceId, const QString &orchestrationId)
{
    HistoryQuery q;
    q.organizationId = organizationId;
    q.workspaceId = workspaceId;
    q.orchestrationId = orchestrationId;
    q.statuses = { ExecutionStatus::Completed };
    q.testMode = TestMode::FullWorkflow;
    q.sort = HistoryQuery::Sort::NewestFirst;
    q.limit = 1;
    return q;
}

bool isUsableUpstreamRun(const ExecutionRecord &run, const QString &orchestrationId)
{
    return run.orchestrationId == orchestrationId && run.status == ExecutionStatus::Completed
        && run.testMode == TestMode::FullWorkflow;
}

} // namespace upstream
