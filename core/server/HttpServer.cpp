#include "core/server/HttpServer.h"

#include <QJsonDocument>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>
#include <QWebSocketServer>

QString HttpRequest::bearerToken() const
{
    const QByteArray auth = header("authorization").trimmed();
    static const QByteArray scheme = "bearer ";
    if (auth.size() <= scheme.size() || auth.left(scheme.size()).toLower() != scheme)
        return {};
    return QString::fromUtf8(auth.mid(scheme.size()).trimmed());
}

HttpResponse HttpResponse::json(int status, const QJsonObject &object)
{
    HttpResponse r;
    r.status = status;
    r.body = QJsonDocument(object).toJson(QJsonDocument::Compact);
    return r;
}

HttpResponse HttpResponse::error(int status, const QString &code, const QString &message)
{
    return json(status,
        QJsonObject { { QStringLiteral("error"),
            QJsonObject { { QStringLiteral("code"), code }, { QStringLiteral("message"), message } } } });
}

QByteArray HttpResponse::reasonPhrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 426:
        return "Upgrade Required";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

namespace {

QString peerKey(const QHostAddress &address, quint16 port)
{
    return address.toString() + QLatin1Char('|') + QString::number(port);
}

} // namespace

// One client connection. Parses requests from the socket's buffer with peek() so that an
// upgrade request is still unread when the socket is handed to QWebSocketServer. Owned by the
// HttpServer (child); deletes itself when the socket disconnects.
class HttpConnection final : public QObject
{
public:
    HttpConnection(QTcpSocket *socket, HttpServer *server)
        : QObject(server)
        , m_socket(socket)
        , m_server(server)
    {
        m_socket->setParent(this);
        m_server->m_connections.insert(this);
        m_idle.setSingleShot(true);
        m_idle.setInterval(server->limits().idleTimeoutMs);
        connect(&m_idle, &QTimer::timeout, this, [this] {
            if (!m_busy)
                closeSoon();
        });
        connect(m_socket, &QTcpSocket::readyRead, this, &HttpConnection::process);
        connect(m_socket, &QTcpSocket::disconnected, this, &HttpConnection::deleteLater);
        connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError) {
            if (m_socket->state() != QAbstractSocket::ConnectedState)
                deleteLater();
        });
        m_idle.start();
        process();
    }

    ~HttpConnection() override { m_server->m_connections.remove(this); }

    void closeSoon()
    {
        if (m_closing || !m_socket)
            return;
        m_closing = true;
        m_socket->disconnectFromHost();
    }

    void respond(quint64 generation, const HttpResponse &response)
    {
        if (generation != m_generation || !m_busy)
            return; // stale (connection reused or already answered)
        m_busy = false;
        write(response);
        if (response.closeConnection || !m_keepAlive) {
            closeSoon();
            return;
        }
        m_idle.start();
        // A pipelined request may already wait in the buffer.
        QTimer::singleShot(0, this, &HttpConnection::process);
    }

private:
    void write(const HttpResponse &response)
    {
        QByteArray out;
        out.reserve(response.body.size() + 256);
        out += "HTTP/1.1 " + QByteArray::number(response.status) + ' '
            + HttpResponse::reasonPhrase(response.status) + "\r\n";
        if (!response.body.isEmpty() || response.status != 204)
            out += "Content-Type: " + response.contentType + "\r\n";
        out += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
        out += "Cache-Control: no-store\r\n";
        for (const auto &h : response.headers)
            out += h.first + ": " + h.second + "\r\n";
        const bool close = response.closeConnection || !m_keepAlive;
        out += close ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
        out += "\r\n";
        if (!m_headRequest)
            out += response.body;
        m_socket->write(out);
    }

    void fail(int status, const QString &code, const QString &message)
    {
        // A framing error: answer and close, the rest of the stream cannot be trusted.
        m_keepAlive = false;
        m_busy = false;
        HttpResponse r = HttpResponse::error(status, code, message);
        r.closeConnection = true;
        write(r);
        closeSoon();
        m_dead = true;
    }

    void drain()
    {
        m_draining -= m_socket->skip(m_draining);
        if (m_draining <= 0)
            closeSoon();
    }

    void process()
    {
        if (m_draining > 0 && !m_closing) {
            drain();
            return;
        }
        if (m_dead || m_closing)
            return;
        if (m_busy) {
            if (m_readingBody)
                readBody();
            return;
        }
        if (m_readingBody) {
            readBody();
            return;
        }
        const qint64 available = m_socket->bytesAvailable();
        if (available <= 0)
            return;
        m_idle.start();
        const int maxHeader = m_server->limits().maxHeaderBytes;
        const QByteArray peeked = m_socket->peek(qMin<qint64>(available, maxHeader + 4));
        const qsizetype end = peeked.indexOf("\r\n\r\n");
        if (end < 0) {
            if (peeked.size() > maxHeader)
                fail(431, QStringLiteral("header_too_large"),
                    QStringLiteral("request headers exceed %1 bytes").arg(maxHeader));
            return; // wait for the rest of the header
        }
        const qsizetype headerLength = end + 4;
        HttpRequest request;
        request.peerAddress = m_socket->peerAddress();
        request.peerPort = m_socket->peerPort();
        QString problem;
        if (!parseHeader(peeked.left(end), &request, &problem)) {
            fail(400, QStringLiteral("bad_request"), problem);
            return;
        }

        const bool upgrade
            = request.method == "GET" && request.header("upgrade").toLower().contains("websocket");
        if (upgrade) {
            m_idle.stop();
            if (m_server->m_upgradeHandler) {
                if (std::optional<HttpResponse> refusal = m_server->m_upgradeHandler(request)) {
                    m_socket->read(headerLength);
                    refusal->closeConnection = true;
                    m_keepAlive = false;
                    write(*refusal);
                    closeSoon();
                    m_dead = true;
                    return;
                }
            }
            // Hand the socket, its upgrade request still unread, to QWebSocketServer.
            QTcpSocket *socket = m_socket;
            disconnect(socket, nullptr, this, nullptr);
            socket->setParent(nullptr);
            m_socket = nullptr;
            m_dead = true;
            m_server->handOverUpgrade(socket, request);
            deleteLater();
            return;
        }

        m_socket->read(headerLength);
        const QByteArray connection = request.header("connection").toLower();
        const bool http10 = m_version == "HTTP/1.0";
        m_keepAlive = http10 ? connection.contains("keep-alive") : !connection.contains("close");

        if (!request.header("transfer-encoding").isEmpty()) {
            fail(411, QStringLiteral("length_required"),
                QStringLiteral("chunked request bodies are not supported; send Content-Length"));
            return;
        }
        qint64 length = 0;
        const QByteArray lengthText = request.header("content-length");
        if (!lengthText.isEmpty()) {
            bool ok = false;
            length = lengthText.trimmed().toLongLong(&ok);
            if (!ok || length < 0) {
                fail(400, QStringLiteral("bad_request"), QStringLiteral("Content-Length: not a number"));
                return;
            }
        }
        if (length > m_server->limits().maxBodyBytes) {
            // Answer at once, then read and discard a body of reasonable size before closing,
            // so the client (still uploading) gets to read the answer instead of a reset.
            const qint64 limit = m_server->limits().maxBodyBytes;
            m_keepAlive = false;
            HttpResponse r = HttpResponse::error(413, QStringLiteral("body_too_large"),
                QStringLiteral("request body of %1 bytes exceeds the limit of %2 bytes")
                    .arg(length)
                    .arg(limit));
            r.closeConnection = true;
            write(r);
            m_dead = true;
            if (length > 64 * limit) {
                closeSoon();
                return;
            }
            m_draining = length;
            m_idle.setInterval(5000);
            m_idle.start();
            drain();
            return;
        }
        if (request.header("expect").toLower() == "100-continue" && length > 0)
            m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
        m_headRequest = request.method == "HEAD";
        m_pending = std::move(request);
        m_remaining = length;
        m_pending.body.reserve(length);
        m_readingBody = true;
        m_busy = true;
        readBody();
    }

    void readBody()
    {
        if (m_remaining > 0) {
            const QByteArray part = m_socket->read(m_remaining);
            m_pending.body += part;
            m_remaining -= part.size();
        }
        if (m_remaining > 0)
            return;
        m_readingBody = false;
        m_idle.stop();
        const quint64 generation = ++m_generation;
        QPointer<HttpConnection> self(this);
        HttpServer::Responder responder = [self, generation](const HttpResponse &response) {
            if (self)
                self->respond(generation, response);
        };
        if (m_server->m_handler)
            m_server->m_handler(m_pending, responder);
        else
            responder(HttpResponse::error(404, QStringLiteral("not_found"), QStringLiteral("no handler")));
    }

    bool parseHeader(const QByteArray &head, HttpRequest *request, QString *problem)
    {
        const QList<QByteArray> lines = head.split('\n');
        if (lines.isEmpty()) {
            *problem = QStringLiteral("empty request");
            return false;
        }
        const QList<QByteArray> parts = lines.first().trimmed().split(' ');
        if (parts.size() != 3 || !parts[2].startsWith("HTTP/1.")) {
            *problem = QStringLiteral("malformed request line");
            return false;
        }
        request->method = parts[0];
        m_version = parts[2];
        const QByteArray target = parts[1];
        if (!target.startsWith('/')) {
            *problem = QStringLiteral("request target must be an absolute path");
            return false;
        }
        request->target = QString::fromUtf8(target);
        const qsizetype q = target.indexOf('?');
        const QByteArray rawPath = q < 0 ? target : target.left(q);
        if (q >= 0)
            request->query = QUrlQuery(QString::fromUtf8(target.mid(q + 1)));
        request->path = QUrl::fromPercentEncoding(rawPath);
        for (const QByteArray &segment : rawPath.split('/'))
            if (!segment.isEmpty())
                request->segments.append(QUrl::fromPercentEncoding(segment));
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines[i].trimmed();
            if (line.isEmpty())
                continue;
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0) {
                *problem = QStringLiteral("malformed header line");
                return false;
            }
            const QByteArray name = line.left(colon).trimmed().toLower();
            const QByteArray value = line.mid(colon + 1).trimmed();
            auto it = request->headers.find(name);
            if (it == request->headers.end())
                request->headers.insert(name, value);
            else
                *it += ", " + value;
        }
        return true;
    }

    QTcpSocket *m_socket; // Owned (child) until handed over for an upgrade.
    HttpServer *m_server; // Not owned; our parent.
    QTimer m_idle;
    HttpRequest m_pending;
    QByteArray m_version;
    qint64 m_remaining = 0;
    qint64 m_draining = 0; // body bytes still to discard after a 413
    quint64 m_generation = 0;
    bool m_readingBody = false;
    bool m_headRequest = false; // answer without a body
    bool m_busy = false; // a request is with the handler
    bool m_keepAlive = true;
    bool m_closing = false;
    bool m_dead = false;
};

HttpServer::HttpServer(QObject *parent)
    : QObject(parent)
{
    m_wsServer
        = new QWebSocketServer(QStringLiteral("agentstudio-server"), QWebSocketServer::NonSecureMode, this);
    m_wsServer->setHandshakeTimeout(10000);
    m_wsServer->setMaxPendingConnections(1000);
    connect(m_wsServer, &QWebSocketServer::newConnection, this, &HttpServer::onWebSocketReady);
}

HttpServer::~HttpServer()
{
    const QSet<HttpConnection *> connections = m_connections;
    qDeleteAll(connections);
}

bool HttpServer::listen(
    const QHostAddress &address, quint16 port, const std::optional<QSslConfiguration> &tls, QString *error)
{
    if (m_server) {
        *error = QStringLiteral("already listening");
        return false;
    }
    if (tls) {
        if (!QSslSocket::supportsSsl()) {
            *error = QStringLiteral("TLS is not available (no SSL backend)");
            return false;
        }
        auto *ssl = new QSslServer(this);
        ssl->setSslConfiguration(*tls);
        ssl->setHandshakeTimeout(10000);
        m_server = ssl;
        m_tls = true;
    } else {
        m_server = new QTcpServer(this);
    }
    m_server->setMaxPendingConnections(1000);
    connect(m_server, &QTcpServer::newConnection, this, &HttpServer::onNewConnection);
    // QSslServer queues a connection only once its handshake is done, and says so with this.
    connect(m_server, &QTcpServer::pendingConnectionAvailable, this, &HttpServer::onNewConnection);
    if (!m_server->listen(address, port)) {
        *error = QStringLiteral("cannot listen on %1:%2: %3")
                     .arg(address.toString())
                     .arg(port)
                     .arg(m_server->errorString());
        delete m_server;
        m_server = nullptr;
        return false;
    }
    return true;
}

quint16 HttpServer::serverPort() const
{
    return m_server ? m_server->serverPort() : 0;
}

QHostAddress HttpServer::serverAddress() const
{
    return m_server ? m_server->serverAddress() : QHostAddress();
}

bool HttpServer::isListening() const
{
    return m_server && m_server->isListening();
}

void HttpServer::stopListening()
{
    if (m_server)
        m_server->close();
}

void HttpServer::closeAllConnections()
{
    const auto connections = m_connections;
    for (HttpConnection *c : connections)
        c->closeSoon();
}

int HttpServer::connectionCount() const
{
    return int(m_connections.size());
}

void HttpServer::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection())
        new HttpConnection(socket, this);
}

void HttpServer::handOverUpgrade(QTcpSocket *socket, const HttpRequest &request)
{
    const QString key = peerKey(request.peerAddress, request.peerPort);
    m_pendingUpgrades.insert(key, request);
    // QWebSocketServer takes ownership of the socket (and deletes it when appropriate); a
    // failed handshake destroys it, so forget its request then.
    connect(socket, &QObject::destroyed, this, [this, key] { m_pendingUpgrades.remove(key); });
    m_wsServer->handleConnection(socket);
}

void HttpServer::onWebSocketReady()
{
    while (QWebSocket *ws = m_wsServer->nextPendingConnection()) {
        const QString key = peerKey(ws->peerAddress(), ws->peerPort());
        auto it = m_pendingUpgrades.find(key);
        if (it == m_pendingUpgrades.end()) {
            // Should not happen: every socket was checked before the hand-over.
            ws->close(QWebSocketProtocol::CloseCodePolicyViolated, QStringLiteral("unexpected"));
            ws->deleteLater();
            continue;
        }
        const HttpRequest request = it.value();
        m_pendingUpgrades.erase(it);
        emit webSocketConnected(ws, request);
    }
}
