#include "core/mcp/McpSource.h"

#include <QTimer>

// Placeholder until the MCP client lands: a source that fails every request.
struct McpSource::Private
{
    ToolSourceSpec spec;
};

McpSource::McpSource(const ToolSourceSpec &spec, const QString &, QNetworkAccessManager *, QObject *parent)
    : ToolSource(spec.id, parent)
    , d(new Private { spec })
{
}

McpSource::~McpSource()
{
    delete d;
}

void McpSource::setBearerToken(const QString &)
{
}

ToolSourceStatus McpSource::status() const
{
    ToolSourceStatus s;
    s.id = id();
    s.kind = kind();
    s.state = ToolSourceState::Failed;
    s.error = QStringLiteral("MCP is not available");
    return s;
}

void McpSource::listTools(QObject *context, ListCallback callback)
{
    QTimer::singleShot(
        0, context ? context : this, [callback] { callback({}, QStringLiteral("MCP is not available")); });
}

quint64 McpSource::callTool(const QString &, const QJsonObject &, const ToolCallOptions &, QObject *context,
    CallCallback done, ProgressCallback)
{
    QTimer::singleShot(0, context ? context : this,
        [done] { done(ToolResult::fromError(QStringLiteral("MCP is not available"))); });
    return 0;
}

void McpSource::cancel(quint64)
{
}

void McpSource::shutdown()
{
}
