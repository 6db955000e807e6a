#pragma once

#include <QHash>
#include <QJsonObject>
#include <QJsonValue>
#include <QObject>

#include <functional>
#include <optional>

class McpTransport;
class QTimer;

// JSON-RPC 2.0 over an McpTransport (docs/mcp.md): numbers this side's requests (integer ids,
// its own id space: the server's requests are routed by the presence of "method"), times each
// out, routes responses and progress by id, answers the server's requests (ping: {}, anything
// else: -32601, since the client declares no capabilities) and passes notifications on.
// Knows nothing of initialize or tools: that is McpSource.
//
// A pending request ends exactly once: its reply, a JSON-RPC error, a timeout (then
// notifications/cancelled is sent, as the spec asks), a transport failure, or cancel() (then
// its callback never runs and late messages for it are dropped).
//
// Threading: the transport's thread; callbacks run from the event loop, never inside request().
class JsonRpcSession final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JsonRpcSession)
public:
    struct Reply
    {
        bool ok = false;
        QJsonObject result;
        // failures: a JSON-RPC error (code set), or a local one (timeout, transport)
        std::optional<int> code;
        QString message;
        bool timedOut = false;
    };
    using ReplyCallback = std::function<void(const Reply &reply)>;
    using ProgressCallback
        = std::function<void(double progress, std::optional<double> total, const QString &message)>;

    // The transport is not owned; it must outlive the session or be detached first.
    explicit JsonRpcSession(McpTransport *transport, QObject *parent = nullptr);
    ~JsonRpcSession() override;

    // Sends a request; with `progress`, params._meta.progressToken is the request's id.
    // `timeoutMs` <= 0: no timeout. Returns the id.
    qint64 request(const QString &method, const QJsonObject &params, int timeoutMs, ReplyCallback done,
        ProgressCallback progress = {});
    void notify(const QString &method, const QJsonObject &params = {});
    // Stops waiting for a request and tells the server (notifications/cancelled).
    void cancel(qint64 id, const QString &reason);
    // Ends every pending request with `error` (their callbacks run before this returns).
    void failAll(const QString &error);
    int pendingCount() const { return int(m_pending.size()); }

signals:
    void notificationReceived(const QString &method, const QJsonObject &params);
    void logged(const QString &line);

private:
    struct Pending
    {
        QString method;
        ReplyCallback done;
        ProgressCallback progress;
        QTimer *timer = nullptr; // owned
    };

    void onMessage(const QJsonObject &message);
    void onSendFailed(const QJsonValue &id, const QString &error);
    void onResponse(const QJsonObject &message);
    void onServerRequest(const QJsonObject &message);
    void onProgress(const QJsonObject &params);
    void finish(qint64 id, const Reply &reply);
    void write(QJsonObject message);

    McpTransport *m_transport;
    qint64 m_nextId = 0;
    QHash<qint64, Pending> m_pending;
};
