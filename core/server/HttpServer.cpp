#include "core/server/HttpServer.h"

#include "core/server/HttpParser.h"

#include <QJsonDocument>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>
#include <QVarLengthArray>
#include <QWebSocket>
#include <QWebSocketServer>
#include <memory>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

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

HttpResponse HttpResponse::error(
    int status, const QString &code, const QString &message, std::optional<ErrorCode> errorCode)
{
    const ErrorCode ec = errorCode.value_or(errorCodeFromHttpStatus(status));
    return json(status,
        QJsonObject { { QStringLiteral("error"),
            QJsonObject { { QStringLiteral("code"), code }, { QStringLiteral("message"), message },
                { QStringLiteral("error_code"),
                    toWire(ec == ErrorCode::None ? ErrorCode::Internal : ec) } } } });
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
    case 421:
        return "Misdirected Request";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Status";
    }
}

namespace {

QString peerKey(const QHostAddress &address, quint16 port)
{
    return address.toString() + QLatin1Char('|') + QString::number(port);
}

// One key per peer IP address, IPv4-mapped IPv6 folded into IPv4.
QString peerAddressKey(const QHostAddress &address)
{
    bool ok = false;
    const quint32 v4 = address.toIPv4Address(&ok);
    return ok ? QHostAddress(v4).toString() : address.toString();
}

constexpr qint64 kReadChunk = 64 * 1024;
// Descriptors kept free for everything that is not a connection (database, engine threads,
// files, a refused connection's answer).
constexpr int kFdReserve = 16;
// A streamed body may run this many write high-water marks ahead of its reader (a replay after
// Last-Event-ID is written at once); beyond, the connection is cut.
constexpr qint64 kStreamUnsentFactor = 64;
constexpr int kCloseGraceMs = 5000; // a closing connection whose peer does not read is aborted

// Whether this process can still open `n` descriptors. Probed by duplicating one (listing
// /proc/self/fd would itself need a descriptor, and fails exactly when they ran out).
bool descriptorsLeft(int n)
{
    QVarLengthArray<int, 32> probes;
    while (probes.size() < n) {
        const int fd = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            break;
        probes.append(fd);
    }
    const bool enough = probes.size() >= n;
    for (int fd : probes)
        ::close(fd);
    return enough;
}

} // namespace

// One client connection. Parses requests from the socket's buffer with peek() so that an
// upgrade request is still unread when the socket is handed to QWebSocketServer. Owned by the
// HttpServer (child); deletes itself when the socket disconnects. Server thread only.
//
// Phases and their deadline (one timer, never restarted by incoming bytes):
//   Idle     waiting for the next request, or for the client to read our answers: idle timeout,
//            restarted when the client reads (bytes written);
//   Head     from the first byte of a head until it is complete: head timeout (408);
//   Body     from the end of the head until the body is complete: body timeout (408);
//   Handler  the request is with the server's handler: no deadline (it always answers);
//   Draining discarding a refused body before closing: body timeout;
//   Closing  our close waits for the answer to flush: a short grace, then abort.
class HttpConnection final : public QObject
{
public:
    HttpConnection(QTcpSocket *socket, HttpServer *server)
        : QObject(server)
        , m_socket(socket)
        , m_server(server)
    {
        m_socket->setParent(this);
        // Bounded: once full, Qt stops reading from the kernel and TCP pushes back on the client.
        m_socket->setReadBufferSize(qint64(limits().maxHeaderBytes) + 4 + kReadChunk);
        m_server->m_connections.insert(this);
        m_deadline.setSingleShot(true);
        connect(&m_deadline, &QTimer::timeout, this, &HttpConnection::onDeadline);
        connect(m_socket, &QTcpSocket::readyRead, this, &HttpConnection::process);
        connect(m_socket, &QTcpSocket::bytesWritten, this, &HttpConnection::onBytesWritten);
        connect(m_socket, &QTcpSocket::disconnected, this, &HttpConnection::deleteLater);
        connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError) {
            if (m_socket && m_socket->state() != QAbstractSocket::ConnectedState)
                deleteLater();
        });
        enter(Phase::Idle);
        process();
    }

    ~HttpConnection() override
    {
        m_server->m_connections.remove(this);
        if (std::shared_ptr<HttpStream> stream = m_stream.lock())
            stream->connectionGone();
    }

    void closeSoon()
    {
        if (m_phase == Phase::Closing || !m_socket)
            return;
        enter(Phase::Closing);
        m_socket->disconnectFromHost();
    }

    void respond(quint64 generation, const HttpResponse &response)
    {
        if (generation != m_generation || m_phase != Phase::Handler)
            return; // stale (connection reused or already answered)
        if (response.streamed && !m_headRequest) {
            beginStream(generation, response);
            return;
        }
        write(response);
        finishAnswer(response.closeConnection);
    }

    bool streamWrite(quint64 generation, const QByteArray &bytes)
    {
        if (generation != m_generation || m_phase != Phase::Streaming || !m_socket)
            return false;
        if (bytes.isEmpty())
            return true; // an empty chunk would end a chunked body
        if (m_socket->bytesToWrite() > kStreamUnsentFactor * limits().writeHighWaterBytes) {
            m_socket->abort(); // far more unread than any live client leaves
            return false;
        }
        send(m_chunked ? QByteArray::number(bytes.size(), 16) + "\r\n" + bytes + "\r\n" : bytes, false);
        // A client that reads nothing for the idle timeout while bytes wait is cut.
        if (!m_deadline.isActive())
            m_deadline.start(limits().idleTimeoutMs);
        return true;
    }

    void streamEnd(quint64 generation)
    {
        if (generation != m_generation || m_phase != Phase::Streaming || !m_socket)
            return;
        m_stream.reset();
        send(m_chunked ? QByteArray("0\r\n\r\n") : QByteArray(), true);
        finishAnswer(!m_chunked);
    }

private:
    // Streaming: a streamed body is being written (HttpStream) until the handler ends it; the idle
    // deadline runs only while written bytes wait unread.
    enum class Phase { Idle, Head, Body, Handler, Streaming, Draining, Closing };

    void finishAnswer(bool close)
    {
        if (close || !m_keepAlive) {
            closeSoon();
            return;
        }
        enter(Phase::Idle);
        // A pipelined request may already wait in the buffer.
        QTimer::singleShot(0, this, &HttpConnection::process);
    }

    // Writes the head of a streamed response and hands the handler its stream. Chunked for
    // HTTP/1.1 keep-alive clients; otherwise the body ends when the connection closes.
    void beginStream(quint64 generation, const HttpResponse &response)
    {
        m_chunked = m_keepAlive;
        QByteArray out = "HTTP/1.1 " + QByteArray::number(response.status) + ' '
            + HttpResponse::reasonPhrase(response.status) + "\r\nContent-Type: " + response.contentType
            + "\r\nCache-Control: no-cache, no-transform\r\nX-Accel-Buffering: no\r\n";
        for (const auto &h : response.headers)
            out += h.first + ": " + h.second + "\r\n";
        out += m_chunked ? "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
                         : "Connection: close\r\n\r\n";
        send(out, false);
        enter(Phase::Streaming);
        auto stream = std::make_shared<HttpStream>(this, generation);
        m_stream = stream;
        response.streamed(stream);
    }

    const HttpServer::Limits &limits() const { return m_server->m_limits; }

    void enter(Phase phase)
    {
        m_phase = phase;
        switch (phase) {
        case Phase::Idle:
            m_deadline.start(limits().idleTimeoutMs);
            break;
        case Phase::Head:
            m_deadline.start(limits().headTimeoutMs);
            break;
        case Phase::Body:
        case Phase::Draining:
            m_deadline.start(limits().bodyTimeoutMs);
            break;
        case Phase::Handler:
        case Phase::Streaming:
            m_deadline.stop();
            break;
        case Phase::Closing:
            m_deadline.start(kCloseGraceMs);
            break;
        }
    }

    void onDeadline()
    {
        switch (m_phase) {
        case Phase::Head:
            fail(408, QStringLiteral("request_timeout"),
                QStringLiteral("request head not complete within %1 ms").arg(limits().headTimeoutMs));
            break;
        case Phase::Body:
            fail(408, QStringLiteral("request_timeout"),
                QStringLiteral("request body not complete within %1 ms").arg(limits().bodyTimeoutMs));
            break;
        case Phase::Idle:
            if (m_socket->bytesToWrite() > 0)
                m_socket->abort(); // the client stopped reading its answers
            else
                closeSoon();
            break;
        case Phase::Draining:
        case Phase::Closing:
            m_socket->abort();
            break;
        case Phase::Streaming:
            if (m_socket->bytesToWrite() > 0)
                m_socket->abort(); // the client stopped reading the stream
            break;
        case Phase::Handler:
            break;
        }
    }

    void onBytesWritten(qint64 n)
    {
        m_flushed += n;
        while (!m_unsentAnswers.isEmpty() && m_unsentAnswers.first() <= m_flushed)
            m_unsentAnswers.removeFirst();
        if (m_phase == Phase::Idle) {
            m_deadline.start(limits().idleTimeoutMs); // the client reads: it is alive
            process(); // back-pressure may have lifted
        } else if (m_phase == Phase::Streaming) {
            if (m_socket->bytesToWrite() > 0)
                m_deadline.start(limits().idleTimeoutMs);
            else
                m_deadline.stop();
        }
    }

    // Back-pressure: no new request while the client leaves our answers unread.
    bool mayParse() const
    {
        return m_socket->bytesToWrite() <= limits().writeHighWaterBytes
            && m_unsentAnswers.size() < limits().maxPipelined;
    }

    void send(const QByteArray &bytes, bool isAnswer)
    {
        m_written += bytes.size();
        if (isAnswer)
            m_unsentAnswers.append(m_written);
        m_socket->write(bytes);
    }

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
        send(out, true);
    }

    void fail(int status, const QString &code, const QString &message)
    {
        // A framing error: answer and close, the rest of the stream cannot be trusted.
        m_keepAlive = false;
        HttpResponse r = HttpResponse::error(status, code, message);
        r.closeConnection = true;
        write(r);
        m_dead = true;
        closeSoon();
    }

    // Answers a request whose body is not wanted; discards a body of reasonable size before
    // closing, so that a client still uploading gets to read the answer instead of a reset.
    void refuse(HttpResponse response, qint64 bodyLength, bool expectContinue)
    {
        if (bodyLength == 0) {
            // Nothing to skip: the connection stays usable.
            m_phase = Phase::Handler;
            respond(++m_generation, response);
            return;
        }
        m_keepAlive = false;
        response.closeConnection = true;
        write(response);
        m_dead = true;
        if (expectContinue || bodyLength > 64 * limits().maxBodyBytes) {
            closeSoon(); // the client waits for 100 Continue and sends nothing, or too much
            return;
        }
        m_draining = bodyLength;
        enter(Phase::Draining);
        drain();
    }

    void drain()
    {
        m_draining -= m_socket->skip(m_draining);
        if (m_draining <= 0)
            closeSoon();
    }

    void process()
    {
        if (!m_socket)
            return;
        switch (m_phase) {
        case Phase::Closing:
        case Phase::Handler: // pipelined bytes wait in the bounded read buffer
        case Phase::Streaming:
            return;
        case Phase::Draining:
            drain();
            return;
        case Phase::Body:
            readBody();
            return;
        case Phase::Idle:
        case Phase::Head:
            break;
        }
        if (m_dead || !mayParse())
            return;
        const qint64 available = m_socket->bytesAvailable();
        if (available <= 0)
            return;
        if (m_phase == Phase::Idle)
            enter(Phase::Head); // the head deadline runs from its first byte, once
        const int maxHeader = limits().maxHeaderBytes;
        const QByteArray peeked = m_socket->peek(qMin<qint64>(available, qint64(maxHeader) + 4));
        httpparser::Outcome parsed = httpparser::parse(peeked, maxHeader);
        m_headRequest = false; // per request: set again below for HEAD
        if (parsed.kind == httpparser::Outcome::Kind::NeedMore)
            return;
        if (parsed.kind == httpparser::Outcome::Kind::Error) {
            fail(parsed.status,
                parsed.status == 431       ? QStringLiteral("header_too_large")
                    : parsed.status == 505 ? QStringLiteral("version_not_supported")
                                           : QStringLiteral("bad_request"),
                parsed.problem);
            return;
        }
        httpparser::Head &head = parsed.head;
        HttpRequest &request = head.request;
        request.peerAddress = m_socket->peerAddress();
        request.peerPort = m_socket->peerPort();
        m_headRequest = request.method == "HEAD";
        m_keepAlive = head.keepAlive;

        if (!m_server->hostAllowed(request)) {
            m_socket->read(parsed.headLength);
            HttpResponse r = HttpResponse::error(421, QStringLiteral("misdirected_request"),
                QStringLiteral("Host: this server answers to loopback names only"));
            m_keepAlive = false;
            refuse(r, head.webSocketUpgrade ? 0 : head.contentLength, head.expectContinue);
            return;
        }

        if (head.webSocketUpgrade) {
            if (m_server->m_upgradeHandler) {
                if (std::optional<HttpResponse> refusal = m_server->m_upgradeHandler(request)) {
                    m_socket->read(parsed.headLength);
                    refusal->closeConnection = true;
                    m_keepAlive = false;
                    write(*refusal);
                    m_dead = true;
                    closeSoon();
                    return;
                }
            }
            // Hand the socket, its upgrade request still unread, to QWebSocketServer. It stays
            // counted against the connection caps until it is destroyed.
            m_deadline.stop();
            QTcpSocket *socket = m_socket;
            disconnect(socket, nullptr, this, nullptr);
            socket->setParent(nullptr);
            socket->setReadBufferSize(0); // frames are bounded by the session's message limit
            m_socket = nullptr;
            m_dead = true;
            m_server->handOverUpgrade(socket, request);
            deleteLater();
            return;
        }

        m_socket->read(parsed.headLength);
        if (head.hasTransferEncoding) {
            fail(411, QStringLiteral("length_required"),
                QStringLiteral("chunked request bodies are not supported; send Content-Length"));
            return;
        }
        const qint64 length = head.contentLength;
        const qint64 limit = limits().maxBodyBytes;
        if (length > limit) {
            refuse(HttpResponse::error(413, QStringLiteral("body_too_large"),
                       QStringLiteral("request body of %1 bytes exceeds the limit of %2 bytes")
                           .arg(length)
                           .arg(limit)),
                length, head.expectContinue);
            return;
        }
        if (m_server->m_preflight) {
            if (std::optional<HttpResponse> refusal = m_server->m_preflight(request)) {
                refuse(*refusal, length, head.expectContinue);
                return;
            }
        }
        if (head.expectContinue && length > 0)
            send("HTTP/1.1 100 Continue\r\n\r\n", false);
        m_pending = std::move(request);
        m_remaining = length;
        enter(Phase::Body);
        readBody();
    }

    void readBody()
    {
        // The body grows with the data that arrived, never by the announced length.
        while (m_remaining > 0) {
            const QByteArray part = m_socket->read(qMin(m_remaining, kReadChunk));
            if (part.isEmpty())
                break;
            m_pending.body += part;
            m_remaining -= part.size();
        }
        if (m_remaining > 0)
            return;
        enter(Phase::Handler);
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

    QTcpSocket *m_socket; // Owned (child) until handed over for an upgrade.
    HttpServer *m_server; // Not owned; our parent.
    QTimer m_deadline;
    Phase m_phase = Phase::Idle;
    HttpRequest m_pending;
    qint64 m_remaining = 0;
    qint64 m_draining = 0; // body bytes still to discard after a refusal
    quint64 m_generation = 0;
    qint64 m_written = 0; // bytes handed to the socket
    qint64 m_flushed = 0; // bytes the socket reported written
    QList<qint64> m_unsentAnswers; // end offsets (in m_written terms) of answers not yet flushed
    bool m_headRequest = false; // the current request is HEAD: answer without a body
    bool m_keepAlive = true;
    bool m_dead = false; // no further request on this connection
    bool m_chunked = false; // the streamed body in progress is chunked
    std::weak_ptr<HttpStream> m_stream; // the streamed body in progress (owned by its handler)
};

HttpStream::HttpStream(HttpConnection *connection, quint64 generation)
    : m_connection(connection)
    , m_generation(generation)
{
}

bool HttpStream::isOpen() const
{
    return !m_ended && m_connection;
}

bool HttpStream::write(const QByteArray &bytes)
{
    return isOpen() && m_connection->streamWrite(m_generation, bytes);
}

void HttpStream::end()
{
    if (!isOpen())
        return;
    m_ended = true;
    m_onClosed = nullptr;
    m_connection->streamEnd(m_generation);
}

void HttpStream::connectionGone()
{
    if (m_ended)
        return;
    m_ended = true;
    if (std::function<void()> closed = std::exchange(m_onClosed, nullptr))
        closed();
}

HttpServer::HttpServer(QObject *parent)
    : QObject(parent)
{
    m_wsServer
        = new QWebSocketServer(QStringLiteral("agentstudio-server"), QWebSocketServer::NonSecureMode, this);
    m_wsServer->setHandshakeTimeout(10000);
    m_wsServer->setMaxPendingConnections(1000);
    connect(m_wsServer, &QWebSocketServer::newConnection, this, &HttpServer::onWebSocketReady);
    m_acceptRetry = new QTimer(this);
    m_acceptRetry->setSingleShot(true);
    connect(m_acceptRetry, &QTimer::timeout, this, [this] {
        if (m_pausedForDescriptors) {
            holdDescriptor(0); // resumes if there is room again
            if (m_pausedForDescriptors)
                m_acceptRetry->start(m_limits.acceptRetryMs);
            return;
        }
        if (m_server && m_server->isListening())
            m_server->resumeAccepting();
    });
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
    connect(m_server, &QTcpServer::acceptError, this, &HttpServer::onAcceptError);
    if (!m_server->listen(address, port)) {
        *error = QStringLiteral("cannot listen on %1:%2: %3")
                     .arg(address.toString())
                     .arg(port)
                     .arg(m_server->errorString());
        delete m_server;
        m_server = nullptr;
        return false;
    }
    m_loopbackBind = address.isLoopback();
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
    m_acceptRetry->stop();
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

bool HttpServer::hostAllowed(const HttpRequest &request) const
{
    if (!m_loopbackBind)
        return true;
    const QByteArray host = request.header("host");
    if (host.isEmpty())
        return true; // HTTP/1.0 without Host (the parser requires it for 1.1); no browser sends that
    const QString name = httpparser::hostName(host);
    return httpparser::isLoopbackHost(name) || m_limits.allowedHosts.contains(name);
}

void HttpServer::holdDescriptor(int delta)
{
    m_descriptorsHeld += delta;
    if (m_pausedForDescriptors && delta <= 0 && descriptorsLeft(kFdReserve)) {
        m_pausedForDescriptors = false;
        if (m_server && m_server->isListening())
            m_server->resumeAccepting();
    }
}

void HttpServer::checkDescriptors()
{
    // Qt retries accept() at once on EMFILE (a readable listening socket that never drains:
    // a busy loop), so accepting pauses while fewer than kFdReserve descriptors are left, and
    // resumes when a connection ends (or the retry timer finds room again). Called after the
    // accept loop: nextPendingConnection() re-enables accepting by itself.
    if (!m_pausedForDescriptors && !descriptorsLeft(kFdReserve)) {
        m_pausedForDescriptors = true;
        qWarning("agentstudio-server: %d connections open and few descriptors left; accepting paused "
                 "until one ends",
            m_descriptorsHeld);
    }
    if (m_pausedForDescriptors) {
        m_server->pauseAccepting();
        if (!m_acceptRetry->isActive())
            m_acceptRetry->start(m_limits.acceptRetryMs);
    }
}

void HttpServer::onAcceptError(QAbstractSocket::SocketError error)
{
    // Out of descriptors (EMFILE/ENFILE) or another accept failure: Qt has paused accepting;
    // try again a little later instead of spinning on a listening socket that stays readable.
    // Connections that finish (deadlines close stalled ones) free descriptors meanwhile.
    m_server->pauseAccepting();
    if (!m_acceptRetry->isActive()) {
        if (!m_acceptErrorLogged)
            qWarning("agentstudio-server: cannot accept a connection (%s, error %d); retrying in %d ms",
                qPrintable(m_server->errorString()), int(error), m_limits.acceptRetryMs);
        m_acceptErrorLogged = true; // once per episode; a successful accept resets it
        m_acceptRetry->start(m_limits.acceptRetryMs);
    }
}

void HttpServer::refuseConnection(QTcpSocket *socket, const QString &why)
{
    // Not counted against the caps; the answer is small enough for the kernel buffer, then the
    // socket goes. Its descriptor counts until then.
    socket->setParent(this);
    holdDescriptor(1);
    connect(socket, &QObject::destroyed, this, [this] { holdDescriptor(-1); });
    const QByteArray body = HttpResponse::error(503, QStringLiteral("too_many_connections"), why).body;
    socket->write("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: "
        + QByteArray::number(body.size()) + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + body);
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    QTimer::singleShot(kCloseGraceMs, socket, [socket] { socket->abort(); });
    socket->disconnectFromHost();
}

void HttpServer::track(QTcpSocket *socket, const QString &peer)
{
    ++m_open;
    ++m_openPerPeer[peer];
    holdDescriptor(1);
    // Released once, when the connection ends (disconnected) or its socket goes, whichever
    // comes first; the socket may belong to a QWebSocket by then.
    auto released = std::make_shared<bool>(false);
    const auto release = [this, peer, released] {
        if (*released)
            return;
        *released = true;
        --m_open;
        holdDescriptor(-1);
        auto it = m_openPerPeer.find(peer);
        if (it != m_openPerPeer.end() && --it.value() <= 0)
            m_openPerPeer.erase(it);
    };
    connect(socket, &QAbstractSocket::disconnected, this, release);
    connect(socket, &QObject::destroyed, this, release);
}

void HttpServer::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        m_acceptErrorLogged = false;
        const QString peer = peerAddressKey(socket->peerAddress());
        if (m_open >= m_limits.maxConnections) {
            refuseConnection(socket,
                QStringLiteral("the server has %1 connections open (the limit)")
                    .arg(m_limits.maxConnections));
            continue;
        }
        if (m_openPerPeer.value(peer) >= m_limits.maxConnectionsPerPeer) {
            refuseConnection(socket,
                QStringLiteral("%1 connections from this address are open (the limit)")
                    .arg(m_limits.maxConnectionsPerPeer));
            continue;
        }
        track(socket, peer);
        new HttpConnection(socket, this);
    }
    checkDescriptors();
}

void HttpServer::handOverUpgrade(QTcpSocket *socket, const HttpRequest &request)
{
    const QString key = peerKey(request.peerAddress, request.peerPort);
    m_pendingUpgrades.insert(key, PendingUpgrade { request, socket });
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
        const HttpRequest request = it.value().request;
        // The QWebSocket does not delete the socket it was upgraded from: tie them together.
        if (QTcpSocket *tcp = it.value().socket; tcp && tcp->parent() != ws)
            tcp->setParent(ws);
        m_pendingUpgrades.erase(it);
        emit webSocketConnected(ws, request);
    }
}
