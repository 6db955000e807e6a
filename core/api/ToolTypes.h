#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

// The data of tools (docs/tools.md), shared by the sources (core/mcp, core/tools), the agent
// loop, the backends and the views. Pure values: no process, no network.

// One tool as a source offers it. For MCP the fields are the server's Tool object; a command
// or mock source has one tool named by the source id.
struct ToolDefinition
{
    QString source; // the source id
    QString name; // as the source names it
    QString title;
    QString description;
    QJsonObject inputSchema; // JSON Schema of the arguments (an object schema)
    QJsonObject outputSchema; // optional
    QJsonObject annotations; // optional MCP annotations (readOnlyHint, …)

    // {"name","title"?,"description","inputSchema","outputSchema"?,"annotations"?} (MCP names),
    // plus "source".
    QJsonObject toJson() const;
    static ToolDefinition fromJson(const QJsonObject &o);
};

// What one call gave. Transport failures, timeouts and tool-reported errors all end as
// isError results: the loop feeds them back to the model as error results.
struct ToolResult
{
    bool isError = false;
    bool cancelled = false;
    QJsonArray content; // MCP content blocks: {"type":"text","text"} | {"type":"image",…} | …
    QJsonValue structuredContent = QJsonValue(QJsonValue::Undefined); // Undefined: none
    qint64 latencyMs = 0;

    static ToolResult fromText(const QString &text);
    // A JSON value as structured content plus its compact text as a text block (a string
    // value becomes a text block alone).
    static ToolResult fromValue(const QJsonValue &value);
    static ToolResult fromError(const QString &message);
    static ToolResult fromCancel(const QString &message);

    // The text blocks joined by newlines; else the compact JSON of structuredContent; else "".
    QString text() const;
    // What goes back to the model: structuredContent when present, else the text.
    QJsonValue modelValue() const;
    // {"content":[…], "structuredContent"?: …, "isError": bool} (MCP CallToolResult shape):
    // a tool step's output_data.
    QJsonObject toJson() const;
    static ToolResult fromJson(const QJsonObject &o);
};

enum class ToolSourceState { Idle, Starting, Connected, Failed };
QString toWire(ToolSourceState state); // "idle" | "starting" | "connected" | "failed"
ToolSourceState toolSourceStateFromWire(const QString &text); // Idle when unknown

// A source as the Tools panel shows it.
struct ToolSourceStatus
{
    QString id;
    QString kind; // mcp | command | mock
    QString target; // command line or URL, for display (never a token)
    ToolSourceState state = ToolSourceState::Idle;
    QString error; // why it failed (process error, HTTP status and body, protocol error)
    QStringList log; // the last lines of the server's stderr (stdio MCP, command)
    QString serverName, serverVersion, protocolVersion; // MCP initialize result
    QList<ToolDefinition> tools;

    // {"id","kind","target","state","error"?,"log":[…],"server"?:{name,version,protocol_version},
    //  "tools":[ToolDefinition…]}
    QJsonObject toJson() const;
    static ToolSourceStatus fromJson(const QJsonObject &o);
};
