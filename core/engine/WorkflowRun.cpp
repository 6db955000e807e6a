#include "core/engine/WorkflowRun.h"

#include "core/model/OrchestrationGraph.h"

WorkflowRun::WorkflowRun(
    const OrchestrationSpec &orch, const QJsonObject &workflowInputs, int nodeConcurrency)
    : m_outputSpecs(orch.outputs)
    , m_orchestrationId(orch.id)
    , m_workflowInputs(workflowInputs)
    , m_limit(nodeConcurrency)
{
    // Node i is vertex i of the graph; the graph gives the dependencies, the edges the fields.
    const OrchestrationGraph graph(orch);
    m_nodes.reserve(graph.size());
    for (int i = 0; i < graph.size(); ++i) {
        Node n;
        n.spec = orch.nodes.at(i);
        n.dependents = graph.successors(i);
        n.pendingDeps = int(graph.predecessors(i).size());
        m_nodes.append(n);
    }
    for (const EdgeSpec &e : orch.edges) {
        InEdge in;
        in.fromField = e.fromField;
        in.toField = e.toField;
        const bool fromInputs = e.fromNode == QLatin1String("input");
        in.from = fromInputs ? -1 : graph.indexOf(e.fromNode);
        const int to = graph.indexOf(e.toNode);
        if (to >= 0 && (fromInputs || in.from >= 0))
            m_nodes[to].in.append(in);
    }
    m_ready = graph.roots();
}

WorkflowRun WorkflowRun::singleNode(
    const OrchestrationSpec &orch, const QString &nodeId, const QJsonObject &inputs)
{
    WorkflowRun run;
    run.m_orchestrationId = orch.id;
    run.m_single = true;
    run.m_presetInputs = inputs;
    Node n;
    if (const NodeSpec *spec = orch.node(nodeId))
        n.spec = *spec;
    else
        n.spec.id = nodeId;
    run.m_nodes.append(n);
    run.m_ready.append(0);
    return run;
}

int WorkflowRun::startNext()
{
    if (m_ready.isEmpty() || stopping() || (m_limit > 0 && m_running >= m_limit))
        return -1;
    const int i = m_ready.takeFirst();
    m_nodes[i].state = NodeState::Running;
    ++m_running;
    return i;
}

QJsonObject WorkflowRun::inputsOf(int i) const
{
    if (m_single)
        return m_presetInputs;
    QJsonObject inputs;
    for (const InEdge &e : m_nodes.at(i).in) {
        const QJsonValue v = e.from < 0 ? m_workflowInputs.value(e.fromField)
                                        : m_nodes.at(e.from).outputs.value(e.fromField);
        if (!v.isUndefined())
            inputs.insert(e.toField, v);
    }
    return inputs;
}

void WorkflowRun::complete(int i, const QJsonObject &outputs)
{
    Node &n = m_nodes[i];
    if (n.state != NodeState::Running)
        return;
    --m_running;
    n.state = NodeState::Done;
    n.outputs = outputs;
    ++m_done;
    for (int d : std::as_const(n.dependents))
        if (--m_nodes[d].pendingDeps == 0)
            m_ready.append(d);
}

bool WorkflowRun::fail(int i, const QString &error)
{
    Node &n = m_nodes[i];
    if (n.state != NodeState::Running)
        return false;
    --m_running;
    n.state = NodeState::Failed;
    if (stopping())
        return false;
    m_failing = true;
    m_error = QStringLiteral("node '%1' failed: %2").arg(n.spec.id, error);
    return true;
}

void WorkflowRun::nodeCancelled(int i)
{
    Node &n = m_nodes[i];
    if (n.state != NodeState::Running)
        return;
    --m_running;
    n.state = NodeState::Cancelled;
}

void WorkflowRun::setPartialText(int i, const QString &text)
{
    m_nodes[i].partialText = text;
}

void WorkflowRun::cancel()
{
    m_cancelled = true;
}

bool WorkflowRun::settled() const
{
    return m_running == 0 && (stopping() || m_ready.isEmpty());
}

QList<int> WorkflowRun::skipRemaining()
{
    QList<int> skipped;
    for (int i = 0; i < m_nodes.size(); ++i) {
        if (m_nodes.at(i).state != NodeState::Waiting)
            continue;
        m_nodes[i].state = NodeState::Skipped;
        skipped.append(i);
    }
    m_ready.clear();
    return skipped;
}

WorkflowRun::Result WorkflowRun::result() const
{
    if (!settled())
        return Result::Running;
    if (m_done == m_nodes.size() && !stopping())
        return Result::Completed;
    if (m_failing)
        return Result::Failed;
    if (m_cancelled)
        return Result::Cancelled;
    return Result::Stuck;
}

QString WorkflowRun::error() const
{
    switch (result()) {
    case Result::Failed:
        return m_error;
    case Result::Cancelled:
        return QStringLiteral("cancelled");
    case Result::Stuck:
        return QStringLiteral("orchestration '%1': some nodes could never run").arg(m_orchestrationId);
    case Result::Running:
    case Result::Completed:
        break;
    }
    return {};
}

QJsonObject WorkflowRun::outputs() const
{
    QJsonObject output;
    if (m_single) {
        if (!m_nodes.isEmpty())
            output = m_nodes.first().outputs;
    } else {
        QHash<QString, int> index;
        for (int i = 0; i < m_nodes.size(); ++i)
            index.insert(m_nodes.at(i).spec.id, i);
        for (const WorkflowOutputSpec &out : m_outputSpecs) {
            const int i = index.value(out.fromNode, -1);
            if (i >= 0 && m_nodes.at(i).state == NodeState::Done) {
                const QJsonValue v = m_nodes.at(i).outputs.value(out.fromField);
                if (!v.isUndefined())
                    output.insert(out.name, v);
            }
        }
    }
    if (result() == Result::Completed)
        return output;
    QJsonObject partial;
    for (const Node &n : m_nodes)
        if (n.state != NodeState::Done && !n.partialText.isEmpty())
            partial.insert(n.spec.id, n.partialText);
    if (!partial.isEmpty())
        output.insert(QStringLiteral("partial"), partial);
    return output;
}
