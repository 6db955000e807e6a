#pragma once

#include "core/mcp/McpTransport.h"

#include <QHash>
#include <QList>
#include <QPointer>
#include <QUrl>

#include <memory>

class QNetworkAccessManager;
class QNetworkReply;
class QNetworkRequest;

// MCP over Streamable HTTP (docs/mcp.md): every message is its own POST (Accept: application/json,
// text/event-stream); a request is answered by one JSON body or by an SSE stream that may carry
// notifications and server requests before the response. Keeps the Mcp-Session-Id the server
// issued and sends MCP-Protocol-Version once negotiated, and `Authorization: Bearer` on every
// request (the token is never logged and is blanked out of any error text).
//
// Faults: a 404 (or server-everything's 400 "No valid session ID") for a request that carried
// the session starts a new session once, with the session's own initialize request replayed,
// and re-sends the message: the server refused it unseen, so even a tools/call is not run
// twice. A response stream that ends before its response is resumed with a GET carrying
// Last-Event-ID after the server's `retry` delay (else 1 s), at most kMaxResumes times, so a
// result is not lost. After initialization a GET stream receives server-initiated messages
// (list_changed); a server without one (405, 400, 404) is fine.
//
// Threading: lives on the thread of the QNetworkAccessManager (not owned); never blocks.
class HttpTransport final : public McpTransport
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpTransport)
public:
    static constexpr int kDefaultRetryMs = 1000;
    static constexpr int kMaxResumes = 3;

    // A null `network` makes the transport use one of its own.
    HttpTransport(const QUrl &url, QNetworkAccessManager *network, QObject *parent = nullptr);
    ~HttpTransport() override;

    void setBearerToken(const QString &token);

    // The URL as shown to the user: without user info, query or fragment (they may hold a key).
    static QString displayUrl(const QUrl &url);

    QString target() const override;
    void open() override;
    void send(const QJsonObject &message) override;
    void setProtocolVersion(const QString &version) override;
    void abandon(const QJsonValue &requestId) override;
    void close() override;

private:
    struct Stream;
    using StreamPtr = std::shared_ptr<Stream>;
    struct Waiting
    {
        QJsonObject message;
        bool afterReinit;
    };

    QNetworkRequest baseRequest(const QByteArray &accept, bool withSession) const;
    void post(const QJsonObject &message, bool afterReinit);
    void get(const StreamPtr &stream, const QString &lastEventId);
    void attach(QNetworkReply *reply, const StreamPtr &stream);
    void decide(QNetworkReply *reply, Stream &stream);
    void onReadyRead(QNetworkReply *reply);
    void onFinished(QNetworkReply *reply);
    void onSuccess(const StreamPtr &stream, QNetworkReply *reply);
    void onHttpError(const StreamPtr &stream, int status, const QByteArray &body);
    void dispatch(Stream &stream, const QByteArray &json);
    void deliver(Stream &stream, const QJsonObject &message);
    void resumeOrFail(const StreamPtr &stream, const QString &why);
    void requestFailed(const Stream &stream, const QString &error);
    void startReinit();
    void finishReinit(const QString &error);
    void openListenStream();
    QString describeStatus(int status, const QByteArray &body) const;
    QString redacted(QString text) const;

    QUrl m_url;
    QPointer<QNetworkAccessManager> m_network; // not owned, unless m_ownNetwork
    QNetworkAccessManager *m_ownNetwork = nullptr;
    QString m_token; // memory only
    QByteArray m_sessionId;
    QByteArray m_protocolVersion;
    QJsonObject m_initialize; // the session's initialize request, replayed after a 404
    bool m_reinitializing = false;
    QString m_reinitId; // id of the replayed initialize (a string: never one of the session's)
    int m_reinits = 0;
    QList<Waiting> m_waiting; // re-sent once the new session stands
    QHash<QNetworkReply *, StreamPtr> m_streams; // replies are children of the manager
    bool m_listening = false; // the GET stream for server messages is open or scheduled
    int m_listenRetries = 0;
    bool m_closed = false;
};
