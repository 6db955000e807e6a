#include "core/mcpserver/McpToolSchema.h"

#include <QJsonArray>
#include <QSet>

namespace mcpschema {

namespace {

// A description for the model: the file's own `description` when it has one, else the text
// that says what the agent does.
QString describedBy(const QJsonObject &raw, const QString &fallback)
{
    const QString own = raw.value(QLatin1String("description")).toString().trimmed();
    return own.isEmpty() ? fallback.trimmed() : own;
}

QJsonObject toolObject(const QString &name, const QString &title, const QString &description,
    const QList<FieldSpec> &inputs, const std::optional<QJsonObject> &output)
{
    QJsonObject tool { { QStringLiteral("name"), name },
        { QStringLiteral("inputSchema"), inputSchema(inputs) } };
    if (!title.isEmpty())
        tool.insert(QStringLiteral("title"), title);
    if (!description.isEmpty())
        tool.insert(QStringLiteral("description"), description);
    if (output)
        tool.insert(QStringLiteral("outputSchema"), *output);
    return tool;
}

QString workflowDescription(const OrchestrationSpec &o)
{
    QStringList nodes;
    for (const NodeSpec &n : o.nodes)
        nodes.append(n.id);
    return QStringLiteral("Workflow %1 (nodes: %2).")
        .arg(o.name.isEmpty() ? o.id : o.name, nodes.join(QStringLiteral(", ")));
}

} // namespace

QJsonObject inputSchema(const QList<FieldSpec> &fields)
{
    QJsonObject properties;
    QJsonArray required;
    for (const FieldSpec &f : fields) {
        QJsonObject p = f.jsonSchema();
        if (f.defaultValue)
            p.insert(QStringLiteral("default"), f.normalize(*f.defaultValue));
        properties.insert(f.name, p);
        if (f.required && !f.defaultValue)
            required.append(f.name);
    }
    QJsonObject schema { { QStringLiteral("type"), QStringLiteral("object") },
        { QStringLiteral("properties"), properties }, { QStringLiteral("additionalProperties"), false } };
    if (!required.isEmpty())
        schema.insert(QStringLiteral("required"), required);
    return schema;
}

std::optional<QJsonObject> agentOutputSchema(const AgentSpec &agent)
{
    if (agent.signature.outputs.isEmpty() || agent.signature.rawTextOutput())
        return std::nullopt;
    return agent.signature.outputSchema();
}

std::optional<QJsonObject> workflowOutputSchema(const Workspace &workspace, const OrchestrationSpec &workflow)
{
    if (workflow.outputs.isEmpty())
        return std::nullopt;
    QJsonObject properties;
    for (const WorkflowOutputSpec &out : workflow.outputs) {
        QJsonObject schema; // any value unless the field is known
        const NodeSpec *node = workflow.node(out.fromNode);
        const AgentSpec *agent = node ? workspace.agent(node->agent) : nullptr;
        if (const FieldSpec *field = agent ? agent->signature.output(out.fromField) : nullptr)
            schema = field->jsonSchema();
        properties.insert(out.name, schema);
    }
    // Outputs of nodes that did not run are left out of the result, so none is required.
    return QJsonObject { { QStringLiteral("type"), QStringLiteral("object") },
        { QStringLiteral("properties"), properties } };
}

QList<McpTool> toolsOf(const Workspace &workspace)
{
    QList<McpTool> tools;
    QSet<QString> agentIds;
    for (const AgentSpec &a : workspace.agents) {
        McpTool t;
        t.name = a.id;
        t.agentId = a.id;
        t.inputs = a.signature.inputs;
        const std::optional<QJsonObject> output = agentOutputSchema(a);
        t.structured = output.has_value();
        if (a.signature.rawTextOutput())
            t.textField = a.signature.outputs.first().name;
        t.definition = toolObject(t.name, a.name, describedBy(a.raw, a.instructions), t.inputs, output);
        tools.append(t);
        agentIds.insert(a.id);
    }
    for (const OrchestrationSpec &o : workspace.orchestrations) {
        McpTool t;
        t.name = agentIds.contains(o.id) ? QStringLiteral("workflow.") + o.id : o.id;
        t.orchestrationId = o.id;
        t.inputs = o.inputs;
        const std::optional<QJsonObject> output = workflowOutputSchema(workspace, o);
        t.structured = output.has_value();
        t.definition
            = toolObject(t.name, o.name, describedBy(o.raw, workflowDescription(o)), t.inputs, output);
        tools.append(t);
    }
    return tools;
}

} // namespace mcpschema
