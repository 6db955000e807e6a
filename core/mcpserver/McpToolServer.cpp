#include "core/mcpserver/McpToolServer.h"

#include "core/api/ExecutionBackend.h"

// Placeholder until the MCP server lands (docs/mcp-server.md): answers every request with
// "method not found".

struct McpToolServer::Private
{
    ExecutionBackend *backend = nullptr;
    Workspace workspace;
    Options options;
    Send send;
};

McpToolServer::McpToolServer(
    ExecutionBackend *backend, Workspace workspace, Options options, Send send, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->backend = backend;
    d->workspace = std::move(workspace);
    d->options = std::move(options);
    d->send = std::move(send);
}

McpToolServer::~McpToolServer() = default;

void McpToolServer::handle(const QJsonObject &message)
{
    if (!message.contains(QLatin1String("id")) || !message.contains(QLatin1String("method")))
        return;
    d->send(QJsonObject { { QStringLiteral("jsonrpc"), QStringLiteral("2.0") },
                { QStringLiteral("id"), message.value(QLatin1String("id")) },
                { QStringLiteral("error"),
                    QJsonObject { { QStringLiteral("code"), -32601 },
                        { QStringLiteral("message"), QStringLiteral("method not found") } } } },
        message.value(QLatin1String("id")), true);
}

void McpToolServer::handleParseError(const QString &)
{
}

bool McpToolServer::isInitialized() const
{
    return false;
}

QString McpToolServer::protocolVersion() const
{
    return {};
}

QString McpToolServer::clientName() const
{
    return {};
}

int McpToolServer::runningCalls() const
{
    return 0;
}

QStringList McpToolServer::supportedProtocolVersions()
{
    return { QStringLiteral("2025-11-25"), QStringLiteral("2025-06-18"), QStringLiteral("2025-03-26"),
        QStringLiteral("2024-11-05") };
}
