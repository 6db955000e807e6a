#pragma once

#include "core/server/HttpMessage.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QSslConfiguration>
#include <QStringList>
#include <QTcpSocket>

#include <functional>
#include <optional>

class HttpConnection;
class QTcpServer;
class QTimer;
class QWebSocket;
class QWebSocketServer;

// The writer of a streamed response body (HttpResponse::streamed): each write() goes out at once
// as one chunk; end() finishes the response and the connection carries on with the next request.
// Safe to keep after the connection went away: writes then do nothing and return false, and the
// `closed` callback (set once by the handler) has been called. A client that leaves more than the
// write high-water mark unread is cut. Server thread only.
class HttpStream final
{
    Q_DISABLE_COPY_MOVE(HttpStream)
public:
    HttpStream(HttpConnection *connection, quint64 generation);
    bool isOpen() const;
    bool write(const QByteArray &bytes);
    void end();
    // Called when the connection goes before end() (the client disconnected, or was cut).
    void setOnClosed(std::function<void()> closed) { m_onClosed = std::move(closed); }

private:
    friend class HttpConnection;
    void connectionGone();

    QPointer<HttpConnection> m_connection;
    quint64 m_generation = 0;
    bool m_ended = false;
    std::function<void()> m_onClosed;
};

// A small HTTP/1.1 server on QTcpServer (or QSslServer with TLS): keep-alive, pipelined requests
// answered in order, Content-Length bodies with a size limit (413), header limit (431),
// asynchronous handlers, and WebSocket upgrades handed to QWebSocketServer after the upgrade
// request was checked by `upgradeHandler` (so the Authorization header of the upgrade request
// is seen reliably), and streamed response bodies (Server-Sent Events, HttpStream). Request heads go through
// the strict parser of HttpParser.h.
//
// Every resource a client can hold is bounded (docs/server.md, "Limits"): a deadline for the
// whole request head and one for the body, an idle deadline between requests (and while a
// client does not read its answers), connections in total and per peer address (upgraded
// WebSockets still count), a bounded socket read buffer, no new request parsed while the write
// queue is above a high-water mark or `maxPipelined` answers are unsent, and accepting paused
// (and retried) when the process runs out of descriptors.
//
// Threading: lives on one thread (the server's main thread); handlers run there. A handler may
// answer later (after a database query): the Responder is safe to call after the connection
// went away (it then does nothing) and must be called exactly once.
class HttpServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpServer)
public:
    struct Limits
    {
        qint64 maxBodyBytes = 1024 * 1024;
        int maxHeaderBytes = 16 * 1024;
        int idleTimeoutMs = 60000; // between requests, and while answers stay unread
        int headTimeoutMs = 10000; // the whole request head, from its first byte
        int bodyTimeoutMs = 30000; // the whole body, from the end of the head
        int maxConnections = 512; // HTTP and upgraded WebSocket connections together
        int maxConnectionsPerPeer = 64; // the same, per peer IP address
        qint64 writeHighWaterBytes = 1024 * 1024; // no new request parsed above this
        int maxPipelined = 16; // no new request parsed while this many answers are unsent
        int acceptRetryMs = 250; // accepting paused this long after EMFILE/ENFILE
        // When bound to a loopback address, Host must name a loopback host (or one of these):
        // the DNS-rebinding guard. 421 otherwise.
        QStringList allowedHosts;
    };
    using Responder = std::function<void(const HttpResponse &)>;
    using RequestHandler = std::function<void(const HttpRequest &, const Responder &)>;
    // Returns nothing to accept the upgrade, or the response that refuses it.
    using UpgradeHandler = std::function<std::optional<HttpResponse>(const HttpRequest &)>;
    // Called with a request's head (no body yet), before `100 Continue` and before the body is
    // read: returns nothing to go on, or the response that refuses the request (routing and
    // authentication belong here, so an unauthenticated client cannot make us buffer a body).
    using Preflight = std::function<std::optional<HttpResponse>(const HttpRequest &)>;

    explicit HttpServer(QObject *parent = nullptr);
    ~HttpServer() override;

    void setLimits(const Limits &limits) { m_limits = limits; }
    Limits limits() const { return m_limits; }
    void setRequestHandler(RequestHandler handler) { m_handler = std::move(handler); }
    void setUpgradeHandler(UpgradeHandler handler) { m_upgradeHandler = std::move(handler); }
    void setPreflight(Preflight preflight) { m_preflight = std::move(preflight); }

    // tls: when set, connections are TLS (QSslServer). Returns false with *error on failure.
    bool listen(const QHostAddress &address, quint16 port, const std::optional<QSslConfiguration> &tls,
        QString *error);
    quint16 serverPort() const;
    QHostAddress serverAddress() const;
    bool isTls() const { return m_tls; }
    bool isListening() const;

    // Stops accepting new connections; existing ones finish their current request.
    void stopListening();
    // Closes every HTTP connection (WebSockets are not ours once upgraded).
    void closeAllConnections();
    int connectionCount() const;

signals:
    // A WebSocket whose upgrade request `request` was accepted. The receiver takes ownership.
    void webSocketConnected(QWebSocket *socket, const HttpRequest &request);

private:
    friend class HttpConnection;
    void onNewConnection();
    void handOverUpgrade(QTcpSocket *socket, const HttpRequest &request);
    void onWebSocketReady();
    void onAcceptError(QAbstractSocket::SocketError error);
    void refuseConnection(QTcpSocket *socket, const QString &why);
    // Counts the socket against the caps until it is destroyed (also after an upgrade).
    void track(QTcpSocket *socket, const QString &peer);
    // When bound to loopback: whether Host names a host this server answers to.
    bool hostAllowed(const HttpRequest &request) const;
    // Descriptors held by connections (tracked and refused ones); pauses/resumes accepting.
    void holdDescriptor(int delta);
    void checkDescriptors();

    Limits m_limits;
    RequestHandler m_handler;
    UpgradeHandler m_upgradeHandler;
    Preflight m_preflight;
    bool m_loopbackBind = false;
    int m_open = 0; // tracked sockets
    QHash<QString, int> m_openPerPeer;
    QTimer *m_acceptRetry = nullptr; // Owned (child).
    int m_descriptorsHeld = 0;
    bool m_pausedForDescriptors = false;
    bool m_acceptErrorLogged = false;
    QTcpServer *m_server = nullptr; // Owned (child).
    QWebSocketServer *m_wsServer = nullptr; // Owned (child); only handles upgrades.
    bool m_tls = false;
    // Upgrade requests handed to m_wsServer, by "address|port" of the peer, until it emits.
    struct PendingUpgrade
    {
        HttpRequest request;
        QPointer<QTcpSocket> socket;
    };
    QHash<QString, PendingUpgrade> m_pendingUpgrades;
    QSet<HttpConnection *> m_connections; // Not owned here: children, listed for closing.
};
