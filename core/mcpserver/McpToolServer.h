#pragma once

#include "core/model/Workspace.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QObject>

#include <functional>
#include <memory>

class ExecutionBackend;

// The MCP server side (docs/mcp-server.md): one MCP session offering a workspace's agents and
// workflows as tools, transport-agnostic. The stdio transport (agentstudio-run mcp serve) and
// the Streamable HTTP endpoint of agentstudio-server (POST /mcp) feed it the client's JSON-RPC
// messages and carry what it sends back.
//
// - initialize: version negotiation (the client's version when supported, else the newest this
//   side speaks), capabilities {tools: {listChanged: false}, logging: {}}, serverInfo.
// - tools/list: one tool per agent and per workflow, name = id, description, inputSchema and
//   outputSchema from the signature (docs/mcp-server.md, "Tools").
// - tools/call: starts the execution on the backend with trigger_type `mcp` (recorded in the
//   history like any run); the result has the parsed output as structuredContent plus a text
//   block; invalid arguments and failed runs are tool errors (isError) naming the field or the
//   failure; an unknown tool is JSON-RPC error -32602. With params._meta.progressToken, each
//   streamed chunk goes out as notifications/progress whose message carries the text so far.
//   The session chooses each execution's id (ExecutionRequest::executionId) and subscribes to
//   its events before starting it, so no chunk is missed and a cancel can name it at once.
// - notifications/cancelled cancels that request's execution (no response is sent for it, so
//   the transport sees no `final` message for that request).
// - ping, logging/setLevel (notifications/message at or above the level).
//
// Threading: the thread of its backend's callbacks (the GUI/main thread). Not thread-safe.
class McpToolServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(McpToolServer)
public:
    struct Options
    {
        QString serverName = QStringLiteral("agentstudio");
        QString serverVersion;
        QString triggerType = QStringLiteral("mcp");
        // Recorded as executions.triggered_by; empty: "mcp:<clientInfo.name of initialize>".
        QString triggeredBy;
        int pageSize = 100; // tools per tools/list page (nextCursor beyond it)
        QString instructions; // initialize's `instructions`, when not empty
    };

    // Where a message the server sends goes. `relatedRequest` is the id of the client request it
    // belongs to (progress and log notifications during a call, and the call's response), or
    // null for messages of the session as a whole. `final` is true for a response (the last
    // message of that request): the HTTP transport then ends that request's SSE stream.
    using Send
        = std::function<void(const QJsonObject &message, const QJsonValue &relatedRequest, bool final)>;

    // The backend is not owned and must outlive this object; `workspace` is what the session may
    // see (for the server: the token's workspace only).
    McpToolServer(ExecutionBackend *backend, Workspace workspace, Options options, Send send,
        QObject *parent = nullptr);
    ~McpToolServer() override; // cancels the executions of calls still running

    // One JSON-RPC message from the client (request, notification or response). Malformed
    // messages are answered with the JSON-RPC error they deserve (-32600, -32601, -32602).
    void handle(const QJsonObject &message);
    // A raw line/body that did not parse as JSON: answered with -32700.
    void handleParseError(const QString &why);
    // A JSON array (a JSON-RPC batch): handled member by member for the versions that have
    // batches (2024-11-05, 2025-03-26), each answered as its own message; refused with -32600
    // before initialize and for 2025-06-18 and later.
    void handleBatch(const QJsonArray &batch);

    bool isInitialized() const;
    QString protocolVersion() const; // negotiated; empty before initialize
    QString clientName() const;
    int runningCalls() const;

    // Protocol versions this side speaks, newest first.
    static QStringList supportedProtocolVersions();

private:
    struct Private;
    std::unique_ptr<Private> d;
};
