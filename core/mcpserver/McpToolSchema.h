#pragma once

#include "core/model/Workspace.h"

#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

// What a workspace offers as MCP tools (docs/mcp-server.md, "Tools"): one tool per agent and per
// workflow, named by its id (a workflow whose id is also an agent id is `workflow.<id>`), with a
// JSON Schema of its typed inputs and, when its output is structured, of its output.
// Pure value code: any thread.
struct McpTool
{
    QString name; // the MCP tool name
    QString agentId; // exactly one of agentId / orchestrationId is set
    QString orchestrationId;
    QList<FieldSpec> inputs; // what the arguments are validated against
    // True when the tool has an outputSchema: the result then carries structuredContent.
    bool structured = false;
    // For an agent whose reply is one free-text field: that field (its value is the text block).
    QString textField;
    QJsonObject definition; // the Tool object of tools/list

    bool isWorkflow() const { return !orchestrationId.isEmpty(); }
};

namespace mcpschema {

// {"type":"object","properties":{…},"required":[…],"additionalProperties":false}: each field
// with its type, enum, bounds, max length, default and description; required = the fields
// without a default that are not optional.
QJsonObject inputSchema(const QList<FieldSpec> &fields);
// The agent's output object, or nothing for a single free-text output.
std::optional<QJsonObject> agentOutputSchema(const AgentSpec &agent);
// The workflow's declared outputs, each with the schema of the agent output it comes from
// (any value when that cannot be resolved); nothing when the workflow declares no outputs.
std::optional<QJsonObject> workflowOutputSchema(
    const Workspace &workspace, const OrchestrationSpec &workflow);

// Every tool of the workspace: agents first, then workflows, in file order.
QList<McpTool> toolsOf(const Workspace &workspace);

} // namespace mcpschema
