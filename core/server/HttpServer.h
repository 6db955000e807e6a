#pragma once

#include "core/server/HttpMessage.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QSslConfiguration>

#include <functional>
#include <optional>

class HttpConnection;
class QTcpServer;
class QTcpSocket;
class QWebSocket;
class QWebSocketServer;

// A small HTTP/1.1 server on QTcpServer (or QSslServer with TLS): keep-alive, pipelined requests
// answered in order, Content-Length bodies with a size limit (413), header limit (431), idle
// timeout, asynchronous handlers, and WebSocket upgrades handed to QWebSocketServer after the
// upgrade request was checked by `upgradeHandler` (so the Authorization header of the upgrade
// request is seen reliably).
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
        int idleTimeoutMs = 60000;
    };
    using Responder = std::function<void(const HttpResponse &)>;
    using RequestHandler = std::function<void(const HttpRequest &, const Responder &)>;
    // Returns nothing to accept the upgrade, or the response that refuses it.
    using UpgradeHandler = std::function<std::optional<HttpResponse>(const HttpRequest &)>;

    explicit HttpServer(QObject *parent = nullptr);
    ~HttpServer() override;

    void setLimits(const Limits &limits) { m_limits = limits; }
    Limits limits() const { return m_limits; }
    void setRequestHandler(RequestHandler handler) { m_handler = std::move(handler); }
    void setUpgradeHandler(UpgradeHandler handler) { m_upgradeHandler = std::move(handler); }

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

    Limits m_limits;
    RequestHandler m_handler;
    UpgradeHandler m_upgradeHandler;
    QTcpServer *m_server = nullptr; // Owned (child).
    QWebSocketServer *m_wsServer = nullptr; // Owned (child); only handles upgrades.
    bool m_tls = false;
    // Upgrade requests handed to m_wsServer, by "address|port" of the peer, until it emits.
    QHash<QString, HttpRequest> m_pendingUpgrades;
    QSet<HttpConnection *> m_connections; // Not owned here: children, listed for closing.
};
