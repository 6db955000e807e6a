// POST/GET/DELETE /mcp of agentstudio-server (docs/mcp-server.md). Part of WorkspaceServer.
#include "core/server/McpHttpEndpoint.h"
#include "core/server/WorkspaceServer.h"

void WorkspaceServer::serveMcp(
    const HttpRequest &request, const Principal &principal, const HttpServer::Responder &respond)
{
    m_mcp->handle(request, principal, respond);
}
