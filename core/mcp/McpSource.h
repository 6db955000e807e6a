#pragma once

#include "core/api/ToolSource.h"
#include "core/model/Workspace.h"

class QNetworkAccessManager;

// An MCP server as a tool source (docs/mcp.md): stdio (spec.command set: a child process,
// newline-delimited JSON-RPC) or Streamable HTTP (spec.url set). Connects on first use,
// negotiates the protocol version, lists tools (all pages, refreshed on list_changed), calls
// them with progress and cancellation, restarts a crashed server on the next use.
//
// Threading: lives on one thread; all I/O is asynchronous on it (never blocks).
class McpSource final : public ToolSource
{
    Q_OBJECT
public:
    // `baseDir` resolves a relative command / cwd; `network` is used for HTTP (not owned).
    McpSource(const ToolSourceSpec &spec, const QString &baseDir, QNetworkAccessManager *network,
        QObject *parent = nullptr);
    ~McpSource() override;

    // The bearer token for HTTP (read by the caller from spec.bearerTokenEnv when trusted);
    // kept in memory only, never logged.
    void setBearerToken(const QString &token);

    QString kind() const override { return QStringLiteral("mcp"); }
    ToolSourceStatus status() const override;
    void listTools(QObject *context, ListCallback callback) override;
    quint64 callTool(const QString &name, const QJsonObject &arguments, const ToolCallOptions &options,
        QObject *context, CallCallback done, ProgressCallback progress = {}) override;
    void cancel(quint64 handle) override;
    void shutdown() override;

private:
    struct Private;
    Private *d;
};
