#include "core/server/McpHttpEndpoint.h"

// Placeholder until the MCP HTTP transport lands (docs/mcp-server.md).

struct McpHttpEndpoint::Private
{
    Resolve resolve;
    ServerOptions options;
};

McpHttpEndpoint::McpHttpEndpoint(Resolve resolve, const ServerOptions &options, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->resolve = std::move(resolve);
    d->options = options;
}

McpHttpEndpoint::~McpHttpEndpoint() = default;

void McpHttpEndpoint::handle(const HttpRequest &, const Principal &, const HttpServer::Responder &respond)
{
    respond(HttpResponse::error(
        501, QStringLiteral("not_implemented"), QStringLiteral("the MCP endpoint is not available yet")));
}

int McpHttpEndpoint::sessionCount() const
{
    return 0;
}

void McpHttpEndpoint::closeAll()
{
}
