#pragma once

#include "core/api/ErrorCode.h"
#include "core/api/ExecutionRecord.h"
#include "core/api/ExecutionRequest.h"
#include "core/common/Result.h"
#include "core/model/Workspace.h"
#include "core/server/ExecutionStreamHub.h"
#include "core/server/HttpMessage.h"
#include "core/server/HttpServer.h"
#include "core/server/Routes.h"
#include "core/server/ServerMetrics.h"
#include "core/server/ServerOptions.h"
#include "core/server/TokenTable.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QUrl>

#include <functional>
#include <memory>
#include <optional>

class ClusterNode;
class ExecutionBackend;
class McpHttpEndpoint;
class QWebSocket;
class StreamSession;

// agentstudio-server as a library: REST + WebSocket over HttpServer, one
// embedded engine (LocalBackend on its own thread) per served workspace, the bearer-token
// table, and the per-execution event buffers that WebSocket subscribers replay from.
//
// Errors are {"error": {"code", "message"}}: 400 bad_request (bad JSON, wrong field types, bad
// query parameters; the message starts with the field), 401 unauthorized, 403 forbidden_origin
// (WebSocket upgrade from an Origin not in --allowed-origin), 404 not_found (also
// for another workspace's executions), 405 method_not_allowed, 409 not_cancellable, 411
// length_required (chunked bodies), 413 body_too_large, 421 misdirected_request (Host on a
// loopback bind), 422 invalid_inputs / start_failed / invalid_arguments (a tool call's
// arguments), 426 upgrade_required (GET on a WebSocket path), 429 too_many_executions /
// too_many_sessions (with Retry-After), 431 header_too_large, 500 internal_error (details in
// the log only), 502 tool_source_failed (a tool source that cannot be started or reached),
// 503 shutting_down / too_many_connections. WebSocket
// subscription errors ({"type":"error"} then close 1008): not_found, bad_after_seq, not_live; bad client
// messages get bad_message and the stream goes on; a subscriber too far behind is closed with 4001; after
// `complete` the server closes 1000.
//
// Threading: lives on the thread that runs the event loop (the program's main thread). Every
// database access goes through the backends' own connections on their threads (their callbacks
// come back to this thread), so a query never blocks this loop. Error statuses and `code`s are
// derived from the backend's ErrorCode (docs/wire-protocol.md, "Errors"), never from its text.
class WorkspaceServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WorkspaceServer)
public:
    explicit WorkspaceServer(QObject *parent = nullptr);
    ~WorkspaceServer() override;

    // Loads the workspaces and tokens, starts the engines and listens. The message names the
    // file or flag that failed.
    Result<void> start(const ServerOptions &options);
    QUrl url() const; // "http://127.0.0.1:PORT" (https with TLS), the real port
    quint16 port() const;

    // Graceful stop: no new connections or runs; running executions are cancelled and given
    // the grace period to be recorded as cancelled; subscribers get their final events; the
    // engines are stopped. shutdownFinished() follows (once).
    void shutdown();
    bool isShuttingDown() const { return m_shuttingDown; }

    int sessionCount() const;

    // For benchmarks: called on the server's thread for every engine event as it enters the
    // event buffers (before any subscriber is written to).
    void setEventTap(std::function<void(const ExecutionEvent &)> tap) { m_eventTap = std::move(tap); }
    // "sqlite" or "postgresql".
    QString storeKind() const { return m_storeKind; }
    // --instance, or host:port; and this process start's unique instance id.
    QString instanceName() const { return m_instanceName; }
    QString instanceId() const { return m_instanceId; }
    ServerMetrics &metrics() { return m_metrics; }

signals:
    void shutdownFinished();

private:
    struct ServedWorkspace
    {
        Workspace workspace;
        QString key; // Principal::workspaceKey()
        QString displayName; // "org/workspace", for messages
        QSet<QString> active; // queued or running executions started here (the 429 bound)
        ExecutionBackend *backend = nullptr; // Owned (deleted in shutdown or destructor).
    };
    // record, or nullptr and why (NotFound also for another workspace's execution).
    using FetchCallback = std::function<void(const ExecutionRecord *record, const Error &error)>;

    using Route = routes::Route; // core/server/Routes: method + path -> endpoint
    // 404 / 405 / 503 / 401 for a request head, or nothing when it may go on.
    std::optional<HttpResponse> admit(const HttpRequest &request);
    void handleRequest(const HttpRequest &request, const HttpServer::Responder &respond);
    std::optional<HttpResponse> checkUpgrade(const HttpRequest &request);
    void onWebSocket(QWebSocket *socket, const HttpRequest &request);
    void onEvents(ServedWorkspace *served, const ExecutionEventList &events);

    void getWorkspace(const Principal &p, const HttpServer::Responder &respond);
    void startAgent(const Principal &p, const QString &agentId, const HttpRequest &request,
        const HttpServer::Responder &respond);
    void startOrchestration(const Principal &p, const QString &orchestrationId, const HttpRequest &request,
        const HttpServer::Responder &respond);
    void listExecutions(const Principal &p, const HttpRequest &request, const HttpServer::Responder &respond);
    void getExecution(const Principal &p, const QString &id, const HttpServer::Responder &respond);
    void cancelExecution(const Principal &p, const QString &id, const HttpServer::Responder &respond);
    void cancelAnywhere(ServedWorkspace *served, const QString &id); // several instances: routed
    void attachStored(QPointer<StreamSession> guard, const ExecutionRecord &record, qint64 afterSeq);
    void connectCluster(); // relayed events and routed cancels (PostgreSQL store only)
    void attachWhenReady(
        QPointer<StreamSession> guard, std::shared_ptr<ExecutionStream> stream, qint64 afterSeq);
    // Tools (docs/tools.md): the served workspace's sources, and one tool run by itself, on
    // the engine's ToolHost.
    void listTools(const Principal &p, const HttpServer::Responder &respond);
    void callTool(const Principal &p, const QString &source, const QString &tool, const HttpRequest &request,
        const HttpServer::Responder &respond);

    void submit(ServedWorkspace *served, ExecutionRequest request, const HttpServer::Responder &respond);
    // Looks an execution up for a principal: other workspaces' executions are "not found".
    void fetchFor(const Principal &p, const QString &id, const FetchCallback &callback);
    ServedWorkspace *servedFor(const Principal &p);
    std::optional<Principal> authenticate(const HttpRequest &request) const;
    void checkShutdownProgress();
    void finishShutdown();
    // Operations (core/server/ServerOps.cpp, docs/operations.md): GET /api/health and
    // GET /metrics, the metric families, and the JSON log lines.
    void setUpOperations();
    void serveHealth(const HttpServer::Responder &respond);
    void serveMetrics(const HttpServer::Responder &respond);
    // Wraps a responder so the answered request is logged (one line per request).
    HttpServer::Responder loggedResponder(const HttpRequest &request, const HttpServer::Responder &respond);
    // Called for every engine event of a served workspace (metrics, one log line per execution).
    void observeEvent(const ServedWorkspace *served, const ExecutionEvent &event);
    // The MCP endpoint (core/server/McpHttpEndpoint, docs/mcp-server.md).
    void serveMcp(
        const HttpRequest &request, const Principal &principal, const HttpServer::Responder &respond);

    ServerOptions m_options;
    TokenTable m_tokens;
    HttpServer *m_http = nullptr; // Owned (child).
    QList<ServedWorkspace *> m_served; // Owned.
    ExecutionStreamHub m_hub;
    QHash<int, int> m_sessionsPerToken; // token index -> open stream sessions
    QTimer m_evictTimer;
    QTimer m_shutdownTimer;
    QElapsedTimer m_shutdownClock;
    QElapsedTimer m_closeClock;
    bool m_shuttingDown = false;
    bool m_shutdownDone = false;
    bool m_sessionsClosed = false;
    std::function<void(const ExecutionEvent &)> m_eventTap;
    QString m_storeKind = QStringLiteral("sqlite");
    QString m_instanceName;
    QString m_instanceId;
    ServerMetrics m_metrics;
    ClusterNode *m_cluster = nullptr; // Owned (child); only with a PostgreSQL store.
    McpHttpEndpoint *m_mcp = nullptr; // Owned (child).
};
