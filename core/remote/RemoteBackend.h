#pragma once

#include "core/api/ExecutionBackend.h"

#include <QHash>
#include <QJsonObject>
#include <QPointer>
#include <QSslConfiguration>
#include <QTimer>
#include <QUrl>
#include <QUrlQuery>

#include <functional>
#include <optional>

class QNetworkAccessManager;
class QNetworkReply;
class QWebSocket;

// The execution backend of a remote workspace server (docs/wire-protocol.md): REST for the workspace,
// starting, cancelling and history; one WebSocket per followed execution for its events, shared
// by every subscriber of that execution (runs started here are followed for eventsReceived()).
// A later subscriber's catch-up comes from the events this stream already delivered (kept while
// the stream is open or has subscribers); one asking for less than the stream started at gets
// what the stream has.
//
// Errors carry the server's `error_code` (docs/wire-protocol.md, "Errors"); an older server's
// status is mapped by errorCodeFromHttpStatus(); no answer at all is Unreachable.
//
// Streams are resumable: each keeps the last seq it delivered; after a dropped connection it
// reconnects with backoff and `after_seq` = that seq, and drops any seq it already holds, so
// nothing is lost or doubled. It acks what it consumed. It also accepts a minimal server
// (`chunk`/`complete` without seq): those messages are taken in arrival order and numbered
// 1, 2, … by position; after a reconnect to such a server the first messages it repeats are
// skipped by position.
//
// Threading: GUI (or main) thread only, like every ExecutionBackend. The token is kept in memory
// only and never logged or put in a URL.
class RemoteBackend final : public ExecutionBackend
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RemoteBackend)
public:
    // Fetches GET /api/workspace at once (workspaceChanged or workspaceFetchFailed follows).
    RemoteBackend(const QUrl &baseUrl, const QString &token, QObject *parent = nullptr);
    ~RemoteBackend() override;

    QString displayName() const override;
    Workspace workspace() const override { return m_workspace; }

    void start(const ExecutionRequest &request, QObject *context, StartCallback callback) override;
    void cancel(const QString &executionId) override;
    void subscribe(
        const QString &executionId, qint64 afterSeq, QObject *context, EventsCallback callback) override;
    void unsubscribe(const QString &executionId, QObject *context) override;
    void queryHistory(const HistoryQuery &query, QObject *context, HistoryCallback callback) override;
    void fetchExecution(const QString &executionId, QObject *context, FetchCallback callback) override;
    // The server's tools (GET /api/tools, POST /api/tools/{source}/{tool}/call): they run there.
    void listTools(QObject *context, ToolsCallback callback) override;
    void callTool(const QString &sourceId, const QString &tool, const QJsonObject &arguments,
        QObject *context, ToolCallCallback callback) override;
    int runningCount() const override { return m_running; }
    int queuedCount() const override { return m_queued; }
    QString connectionState() const override { return m_state; }
    Error connectionError() const override;

    QUrl baseUrl() const { return m_baseUrl; }
    bool hasWorkspace() const { return m_hasWorkspace; }
    // The server refused the workspace fetch for good (a bad token, an unknown workspace):
    // no retry follows.
    bool workspaceRefused() const
    {
        return m_workspaceFailed && !m_hasWorkspace && !m_workspaceRetry.isActive();
    }
    QString lastError() const { return m_lastError.message; }
    void refreshWorkspace();
    // Stops following an execution's stream (no reconnects; its subscribers hear nothing more).
    void stopStream(const QString &executionId);
    bool isSubscribed(const QString &executionId) const { return m_streams.contains(executionId); }
    // Open WebSockets (for tests: one per followed execution however many subscribers).
    int openStreamCount() const { return int(m_streams.size()); }
    // The last seq delivered for a subscribed execution (0 when none or unknown).
    qint64 lastSeq(const QString &executionId) const;

    // TLS servers with a private CA or a self-signed certificate.
    void setSslConfiguration(const QSslConfiguration &configuration);
    // Backoff: first retry after initialMs, doubling up to maxMs (with jitter).
    void setReconnectDelays(int initialMs, int maxMs);
    // Drops every open WebSocket as a network failure would (tests and the bench use it); the
    // streams then reconnect and resume as after any drop.
    void dropConnections();
    int reconnectCount() const { return m_reconnects; }
    // A connection that carries nothing (no message, no pong) for two heartbeats in a row is
    // taken as dead (a peer that vanished without closing) and reconnected. Default 10 s.
    void setHeartbeatInterval(int ms);

signals:
    void workspaceFetchFailed(const Error &error);
    // A stream resumed after a drop (for status displays and the bench).
    void streamResumed(const QString &executionId, qint64 afterSeq);

private:
    struct Stream
    {
        QString executionId;
        QWebSocket *socket = nullptr; // Owned (parented to this); replaced on reconnect.
        QTimer *retry = nullptr; // Owned (child).
        qint64 lastSeq = 0; // last delivered seq (sequenced servers)
        qint64 ackedSeq = 0;
        qint64 unsequencedDelivered = 0; // minimal servers: messages delivered so far
        qint64 unsequencedThisConnection = 0;
        int attempts = 0; // failed connection attempts in a row
        bool connected = false;
        bool terminal = false;
        bool everConnected = false;
        bool awaitingPong = false; // pinged at the last heartbeat, nothing heard since
        std::optional<ExecutionStatus> status; // the last one seen, if any
    };
    // Everything a followed execution needs beyond its socket: its subscribers and the events
    // delivered so far (a later subscriber's catch-up). Lives while the stream is open or has
    // subscribers.
    struct Followed
    {
        QList<Subscription> subscribers;
        ExecutionEventList delivered;
        bool broadcast = false; // started here: its events go to eventsReceived() too
        bool terminal = false; // `complete` (or a final error) was delivered
    };
    using JsonCallback = std::function<void(int httpStatus, const QJsonObject &body, const QString &error)>;

    // transferTimeoutMs: how long the answer may take (a tool call may run for minutes).
    QNetworkReply *sendRequest(const QByteArray &verb, const QString &path, const QUrlQuery &query,
        const QJsonObject *body, const JsonCallback &callback, int transferTimeoutMs = 30000);
    QUrl apiUrl(const QString &path, const QUrlQuery &query) const;
    QUrl streamUrl(const QString &executionId, qint64 afterSeq) const;
    void follow(const QString &executionId, qint64 afterSeq);
    void deliverCatchUp(const QString &executionId, QObject *context);
    void deliver(const ExecutionEventList &batch);
    void dropFollowedIfIdle(const QString &executionId);
    void openStream(Stream *stream);
    void onStreamMessage(Stream *stream, QWebSocket *socket, const QString &text);
    void onStreamDown(Stream *stream, QWebSocket *socket);
    void scheduleReconnect(Stream *stream, int delayMs);
    void finishStream(Stream *stream);
    void queueEvent(const ExecutionEvent &event);
    void flushEvents();
    void heartbeat();
    void setState(const QString &state);
    void updateState();
    void updateCounts();
    int backoffDelay(int attempts) const;
    static Error errorOf(int httpStatus, const QJsonObject &body, const QString &networkError);

    QUrl m_baseUrl;
    QString m_token; // in memory only; never logged
    QNetworkAccessManager *m_network; // Owned (child).
    std::optional<QSslConfiguration> m_ssl;
    Workspace m_workspace;
    bool m_hasWorkspace = false;
    bool m_workspacePending = false;
    bool m_workspaceFailed = false;
    int m_workspaceAttempts = 0;
    QTimer m_workspaceRetry;
    QHash<QString, Stream *> m_streams; // Owned.
    ExecutionEventList m_pending;
    QTimer m_flushTimer;
    QTimer m_heartbeat;
    QString m_state = QStringLiteral("connecting");
    Error m_lastError { ErrorCode::None, QString() };
    QHash<QString, Followed> m_followed;
    int m_running = 0;
    int m_queued = 0;
    int m_initialDelayMs = 250;
    int m_maxDelayMs = 10000;
    int m_reconnects = 0;
};
