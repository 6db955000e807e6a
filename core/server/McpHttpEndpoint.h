#pragma once

#include "core/model/Workspace.h"
#include "core/server/HttpMessage.h"
#include "core/server/HttpServer.h"
#include "core/server/ServerOptions.h"
#include "core/server/TokenTable.h"

#include <QObject>

#include <functional>
#include <optional>

class ExecutionBackend;

// POST/GET/DELETE /mcp: the MCP Streamable HTTP transport of agentstudio-server
// (docs/mcp-server.md, "HTTP"). Sessions (Mcp-Session-Id) each hold an McpToolServer bound to
// the token's workspace; a request's messages come back as JSON or as an SSE stream (a
// tools/call with progress), resumable with Last-Event-ID; Origin is checked against DNS
// rebinding; the bearer token was checked by the server before handle() is called.
//
// Threading: the server's thread.
class McpHttpEndpoint final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(McpHttpEndpoint)
public:
    struct Target
    {
        ExecutionBackend *backend = nullptr; // the token's workspace engine (not owned)
        Workspace workspace;
    };
    // The token's served workspace, or nothing when this server does not serve it.
    using Resolve = std::function<std::optional<Target>(const Principal &)>;

    McpHttpEndpoint(Resolve resolve, const ServerOptions &options, QObject *parent = nullptr);
    ~McpHttpEndpoint() override;

    void handle(const HttpRequest &request, const Principal &principal, const HttpServer::Responder &respond);
    int sessionCount() const;
    // Ends every session (server shutdown): running calls are cancelled.
    void closeAll();

private:
    struct Private;
    std::unique_ptr<Private> d;
};
