#pragma once

#include "core/api/ToolSource.h"
#include "core/model/Workspace.h"

class QNetworkAccessManager;

// An MCP server as a tool source (docs/mcp.md): stdio (spec.command set: a child process,
// newline-delimited JSON-RPC) or Streamable HTTP (spec.url set). Connects on first use,
// negotiates the protocol version, lists tools (all pages, refreshed on list_changed), calls
// them with progress and cancellation, restarts a crashed server on the next use.
//
// State: Idle until first used, Starting while the server starts / initialize / tools/list
// run, Connected, Failed (status().error says why; the next use starts over). Tools whose
// execution.taskSupport is "required" are not listed (this client does not do tasks).
// Results: content blocks, structuredContent and isError as the server sent them; a JSON-RPC
// error, a timeout, a crash or an HTTP failure is an isError result saying so.
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

    // Timeouts and intervals; the defaults suit real servers, tests shorten them. Set before
    // the first use.
    struct Timing
    {
        int initializeTimeoutMs = 30000; // covers an npx download and a cold start
        int listTimeoutMs = 60000; // one tools/list page
        int pingIntervalMs = 30000; // HTTP: ping after this long without a request; 0: never
        int pingTimeoutMs = 10000;
        int shutdownGraceMs = 2000; // stdio: after closing stdin, and again after SIGTERM
        int listChangedDebounceMs = 100; // list_changed comes in bursts
    };
    void setTiming(const Timing &timing);

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
