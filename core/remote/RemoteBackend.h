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
// Several instances (docs/remote-instances.md): the backend may be given several URLs of one
// team's server (instances sharing one database). It talks to one at a time; when that one stops
// answering (connection refused, a stream that cannot reconnect, health failing) it moves to the
// next: reads are retried there, a start is retried only when it never reached the old instance,
// streams resume there with `after_seq`, and instanceChanged()/instanceMoved() tell the views.
// GET /api/health is read on connect, after each move and after each stream reconnect (one URL
// behind a load balancer may land on another instance), so instanceName() names the instance
// actually answering.
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
    // Several URLs of one server (its instances), tried in this order; at least one.
    RemoteBackend(const QList<QUrl> &urls, const QString &token, QObject *parent = nullptr);
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

    // The URL in use now (the first one until a move).
    QUrl baseUrl() const { return m_urls.value(m_current); }
    QList<QUrl> serverUrls() const { return m_urls; }
    // "http://a:1, http://b:2" or one URL per line: each http(s) with a host. On bad input an
    // empty list and *error names the entry and why.
    static QList<QUrl> parseServerUrls(const QString &text, QString *error);
    // What GET /api/health of the instance in use said: `instance`, `instance_id`, `store`
    // (empty until it answered).
    QString instanceName() const { return m_instanceName; }
    QString instanceId() const { return m_instanceId; }
    QString storeKind() const { return m_storeKind; }
    // Every URL failed in a row since the last answer; lastError() names them.
    bool allInstancesDown() const { return m_failedInRow >= m_urls.size(); }
    int moveCount() const { return m_moves; }
    // Re-reads GET /api/health of the instance in use (instanceChanged follows a change).
    void refreshHealth();
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
    // GET /api/health named another instance (or the first one): name as it says.
    void instanceChanged(const QString &name);
    // The backend left `from` (it stopped answering) for `to`; streams resume there.
    void instanceMoved(const QUrl &from, const QUrl &to);

private:
    struct Stream
    {
        QString executionId;
        QWebSocket *socket = nullptr; // Owned (parented to this); replaced on reconnect.
        QTimer *retry = nullptr; // Owned (child).
        int urlIndex = 0; // the URL (m_urls) the socket was opened on
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
    // What may be sent again to the next instance after the one in use did not answer.
    enum class Retry {
        Always, // idempotent (reads, cancel): resent after any failure to get an answer
        IfNotSent, // a start: resent only when the connection was refused (it never arrived)
    };

    // transferTimeoutMs: how long the answer may take (a tool call may run for minutes).
    void sendRequest(const QByteArray &verb, const QString &path, const QUrlQuery &query,
        const QJsonObject *body, const JsonCallback &callback, int transferTimeoutMs = 30000,
        Retry retry = Retry::Always);
    void sendAttempt(const QByteArray &verb, const QString &path, const QUrlQuery &query,
        const QByteArray &payload, bool hasBody, const JsonCallback &callback, int transferTimeoutMs,
        Retry retry, int attemptsLeft);
    QUrl apiUrl(const QString &path, const QUrlQuery &query) const;
    // The instance at urlIndex did not answer (why): move on if it is still the one in use.
    // Returns true when the backend now uses another URL (or already did).
    bool instanceFailed(int urlIndex, const QString &why);
    void instanceAnswered(int urlIndex);
    void moveTo(int urlIndex);
    QString hostPort(int urlIndex) const;
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

    QList<QUrl> m_urls; // at least one
    int m_current = 0; // index into m_urls
    int m_failedInRow = 0; // URLs that failed one after the other since the last answer
    QStringList m_downReasons; // "host:port (why)" of those, for the all-down message
    int m_moves = 0;
    int m_healthGeneration = 0; // health reads sent, numbered
    int m_healthApplied = 0; // the newest one whose answer was taken (older answers are dropped)
    QString m_instanceName;
    QString m_instanceId;
    QString m_storeKind;
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
