#include "core/server/McpHttpEndpoint.h"

#include "core/mcpserver/McpToolServer.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTimer>
#include <QUrl>

#include <deque>

// The Streamable HTTP transport of the MCP server (docs/mcp-http.md). Every session owns one
// McpToolServer; what it sends for a request goes to that request's pending JSON answer or to
// its SSE stream, chosen when the request arrived (SSE for tools/call, JSON otherwise).

namespace {

constexpr int kKeepAliveMs = 15000; // SSE comment while a stream is open
constexpr int kMaxBufferedEvents = 4096; // per stream, for Last-Event-ID replay
constexpr int kMaxFinishedStreams = 32; // per session, kept for a late resumption

QString randomHex(int bytes)
{
    QByteArray raw(bytes, Qt::Uninitialized);
    QRandomGenerator::system()->generate(raw.begin(), raw.end());
    return QString::fromLatin1(raw.toHex());
}

// The JSON-RPC error body of a transport refusal (no request id: the message was not accepted).
HttpResponse rpcRefusal(int status, int code, const QString &message)
{
    HttpResponse r = HttpResponse::json(status,
        QJsonObject { { QStringLiteral("jsonrpc"), QStringLiteral("2.0") },
            { QStringLiteral("error"),
                QJsonObject { { QStringLiteral("code"), code }, { QStringLiteral("message"), message } } },
            { QStringLiteral("id"), QJsonValue::Null } });
    return r;
}

// Whether a comma-separated header lists `type` (parameters and q-values ignored).
bool listsMediaType(const QByteArray &header, const QByteArray &type)
{
    for (const QByteArray &item : header.split(',')) {
        const QByteArray media = item.split(';').first().trimmed().toLower();
        if (media == type || media == "*/*")
            return true;
    }
    return false;
}

// The key of a JSON-RPC id in our maps: its compact JSON ("7" and "\"7\"" differ, as they must).
QString idKey(const QJsonValue &id)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray { id }).toJson(QJsonDocument::Compact));
}

bool isLoopbackOrigin(const QString &origin)
{
    const QUrl url(origin);
    if (!url.isValid() || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")))
        return false;
    const QString host = url.host().toLower();
    return host == QLatin1String("localhost") || host == QLatin1String("127.0.0.1")
        || host == QLatin1String("::1");
}

QByteArray sseFrame(const QString &id, const QByteArray &data)
{
    return "id: " + id.toLatin1() + "\nevent: message\ndata: " + data + "\n\n";
}

} // namespace

struct McpHttpEndpoint::Private
{
    // One SSE stream: the answer to one request, its events numbered for Last-Event-ID.
    struct Stream
    {
        QString id;
        std::deque<std::pair<qint64, QByteArray>> events; // (n, frame), the newest kept
        qint64 next = 1;
        bool done = false;
        std::shared_ptr<HttpStream> writer; // the connection it goes to now, if any
    };
    using StreamPtr = std::shared_ptr<Stream>;

    struct Session
    {
        QString id;
        Principal principal;
        std::unique_ptr<McpToolServer> server;
        QString protocolVersion; // negotiated; empty until initialize succeeded
        bool closing = false;
        QElapsedTimer lastActive;
        QHash<QString, StreamPtr> streams; // by stream id
        QList<QString> finished; // ids of ended streams, oldest first (bounded)
        QHash<QString, StreamPtr> streamByRequest; // requests answered over SSE, until final
        QHash<QString, HttpServer::Responder> jsonByRequest; // requests answered as JSON
    };
    using SessionPtr = std::shared_ptr<Session>;

    McpHttpEndpoint *q = nullptr;
    Resolve resolve;
    ServerOptions options;
    QHash<QString, SessionPtr> sessions;
    QTimer sweep; // expires idle sessions
    QTimer keepAlive; // SSE comments on open streams

    std::optional<HttpResponse> checkOrigin(const HttpRequest &request) const;
    // The session of the request's Mcp-Session-Id, or the refusal (400 missing, 404 unknown).
    SessionPtr sessionFor(
        const HttpRequest &request, const Principal &principal, HttpResponse *refusal) const;
    void post(const HttpRequest &request, const Principal &principal, const HttpServer::Responder &respond);
    void initialize(
        const QJsonObject &message, const Principal &principal, const HttpServer::Responder &respond);
    void call(const SessionPtr &session, const QJsonObject &message, const HttpServer::Responder &respond);
    void resume(const HttpRequest &request, const Principal &principal, const HttpServer::Responder &respond);
    void onSend(Session *session, const QJsonObject &message, const QJsonValue &related, bool final);
    void append(Session *session, const StreamPtr &stream, const QByteArray &json);
    void attach(const StreamPtr &stream, const std::shared_ptr<HttpStream> &writer, qint64 after,
        const QString &protocolVersion);
    void finishStream(Session *session, const StreamPtr &stream);
    void endSession(const QString &id);
    void expireIdle();
};

std::optional<HttpResponse> McpHttpEndpoint::Private::checkOrigin(const HttpRequest &request) const
{
    const QString origin = QString::fromUtf8(request.header("origin"));
    if (origin.isEmpty() || options.allowedOrigins.contains(origin))
        return std::nullopt;
    if (options.listenAddress.isLoopback() && isLoopbackOrigin(origin))
        return std::nullopt;
    return rpcRefusal(403, -32000,
        QStringLiteral("Origin: %1 is not allowed (not a loopback origin, not in --allowed-origin)")
            .arg(origin.left(200)));
}

McpHttpEndpoint::Private::SessionPtr McpHttpEndpoint::Private::sessionFor(
    const HttpRequest &request, const Principal &principal, HttpResponse *refusal) const
{
    const QString id = QString::fromLatin1(request.header("mcp-session-id")).trimmed();
    if (id.isEmpty()) {
        *refusal = rpcRefusal(
            400, -32000, QStringLiteral("Mcp-Session-Id: header required (send initialize first)"));
        return {};
    }
    SessionPtr session = sessions.value(id);
    // Another token's session is answered like an unknown one: its existence is not revealed.
    if (!session || session->closing || session->principal.tokenIndex != principal.tokenIndex
        || !session->principal.sameWorkspace(principal)) {
        *refusal
            = rpcRefusal(404, -32001, QStringLiteral("Mcp-Session-Id: session not found (ended or unknown)"));
        return {};
    }
    const QByteArray version = request.header("mcp-protocol-version").trimmed();
    if (!version.isEmpty()
        && !McpToolServer::supportedProtocolVersions().contains(QString::fromLatin1(version))) {
        *refusal = rpcRefusal(400, -32000,
            QStringLiteral("MCP-Protocol-Version: unsupported version %1 (supported: %2)")
                .arg(QString::fromLatin1(version.left(40)),
                    McpToolServer::supportedProtocolVersions().join(QStringLiteral(", "))));
        return {};
    }
    session->lastActive.start();
    return session;
}

void McpHttpEndpoint::Private::post(
    const HttpRequest &request, const Principal &principal, const HttpServer::Responder &respond)
{
    const QByteArray accept = request.header("accept");
    if (!listsMediaType(accept, "application/json") || !listsMediaType(accept, "text/event-stream")) {
        respond(rpcRefusal(
            406, -32000, QStringLiteral("Accept: must list application/json and text/event-stream")));
        return;
    }
    if (request.header("content-type").split(';').first().trimmed().toLower() != "application/json") {
        respond(rpcRefusal(415, -32000, QStringLiteral("Content-Type: must be application/json")));
        return;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        respond(rpcRefusal(400, doc.isArray() ? -32600 : -32700,
            doc.isArray() ? QStringLiteral("body: one JSON-RPC message per POST (no batches)")
                          : QStringLiteral("body: not JSON at offset %1: %2")
                                .arg(parseError.offset)
                                .arg(parseError.errorString())));
        return;
    }
    const QJsonObject message = doc.object();
    const bool isInitialize
        = message.value(QLatin1String("method")).toString() == QLatin1String("initialize");
    if (isInitialize && !request.headers.contains("mcp-session-id")) {
        initialize(message, principal, respond);
        return;
    }
    HttpResponse refusal;
    const SessionPtr session = sessionFor(request, principal, &refusal);
    if (!session) {
        respond(refusal);
        return;
    }
    if (isInitialize) {
        respond(rpcRefusal(400, -32600, QStringLiteral("initialize: this session is already initialized")));
        return;
    }
    if (message.contains(QLatin1String("method")) && message.contains(QLatin1String("id"))) {
        call(session, message, respond);
        return;
    }
    // A notification (notifications/cancelled among them) or a response to a server request.
    session->server->handle(message);
    HttpResponse accepted;
    accepted.status = 202;
    respond(accepted);
}

void McpHttpEndpoint::Private::initialize(
    const QJsonObject &message, const Principal &principal, const HttpServer::Responder &respond)
{
    if (!message.contains(QLatin1String("id"))) {
        respond(rpcRefusal(400, -32600, QStringLiteral("initialize: must be a request (with an id)")));
        return;
    }
    const std::optional<Target> target = resolve(principal);
    if (!target) {
        respond(rpcRefusal(404, -32000, QStringLiteral("this server does not serve the token's workspace")));
        return;
    }
    int held = 0;
    for (const SessionPtr &s : std::as_const(sessions))
        held += s->principal.tokenIndex == principal.tokenIndex ? 1 : 0;
    if (held >= options.mcpMaxSessionsPerToken) {
        HttpResponse r = rpcRefusal(429, -32000,
            QStringLiteral("this token holds %1 MCP sessions (the limit); end one with DELETE /mcp")
                .arg(options.mcpMaxSessionsPerToken));
        r.headers.append({ "Retry-After", QByteArray::number(options.retryAfterSeconds) });
        respond(r);
        return;
    }
    auto session = std::make_shared<Session>();
    session->id = randomHex(32);
    session->principal = principal;
    session->lastActive.start();
    Session *raw = session.get();
    McpToolServer::Options serverOptions;
    serverOptions.serverName = QStringLiteral("agentstudio-server");
    serverOptions.serverVersion = QStringLiteral(AGENTSTUDIO_VERSION);
    session->server = std::make_unique<McpToolServer>(target->backend, target->workspace, serverOptions,
        [this, raw](
            const QJsonObject &m, const QJsonValue &related, bool final) { onSend(raw, m, related, final); });
    sessions.insert(session->id, session);
    // The answer carries the session id when initialize succeeded; a failed one ends the session.
    const QString id = session->id;
    session->jsonByRequest.insert(
        idKey(message.value(QLatin1String("id"))), [this, id, respond](const HttpResponse &response) {
            const SessionPtr s = sessions.value(id);
            const QJsonObject result
                = QJsonDocument::fromJson(response.body).object().value(QLatin1String("result")).toObject();
            if (!s || result.isEmpty()) {
                respond(response);
                QTimer::singleShot(0, q, [this, id] { endSession(id); });
                return;
            }
            s->protocolVersion = result.value(QLatin1String("protocolVersion")).toString();
            HttpResponse withId = response;
            withId.headers.append({ "Mcp-Session-Id", id.toLatin1() });
            respond(withId);
        });
    session->server->handle(message);
}

void McpHttpEndpoint::Private::call(
    const SessionPtr &session, const QJsonObject &message, const HttpServer::Responder &respond)
{
    const QString key = idKey(message.value(QLatin1String("id")));
    if (session->jsonByRequest.contains(key) || session->streamByRequest.contains(key)) {
        respond(rpcRefusal(400, -32600, QStringLiteral("id: a request with this id is still running")));
        return;
    }
    if (message.value(QLatin1String("method")).toString() != QLatin1String("tools/call")) {
        session->jsonByRequest.insert(key, respond);
        session->server->handle(message);
        return;
    }
    // tools/call: an SSE stream, so that progress can flow before the result.
    auto stream = std::make_shared<Stream>();
    stream->id = randomHex(8);
    session->streams.insert(stream->id, stream);
    session->streamByRequest.insert(key, stream);
    HttpResponse response;
    response.contentType = "text/event-stream";
    response.headers.append({ "Mcp-Session-Id", session->id.toLatin1() });
    const QString version = session->protocolVersion;
    response.streamed = [this, stream, version](const std::shared_ptr<HttpStream> &writer) {
        attach(stream, writer, 0, version);
    };
    respond(response);
    session->server->handle(message);
}

void McpHttpEndpoint::Private::attach(const StreamPtr &stream, const std::shared_ptr<HttpStream> &writer,
    qint64 after, const QString &protocolVersion)
{
    if (stream->writer && stream->writer != writer)
        stream->writer->end(); // the newest connection of a stream wins
    stream->writer = writer;
    std::weak_ptr<Stream> weak = stream;
    std::weak_ptr<HttpStream> weakWriter = writer;
    writer->setOnClosed([weak, weakWriter] {
        // Not a cancellation: the events stay buffered for a GET with Last-Event-ID.
        if (StreamPtr s = weak.lock(); s && s->writer == weakWriter.lock())
            s->writer.reset();
    });
    // The priming event gives the client a cursor before anything happened (clients of
    // 2025-11-25 and later; older ones may not accept an event without data).
    if (after == 0 && protocolVersion >= QLatin1String("2025-11-25"))
        writer->write("id: " + stream->id.toLatin1() + "_0\ndata: \n\n");
    for (const auto &[n, frame] : stream->events)
        if (n > after)
            writer->write(frame);
    if (stream->done) {
        writer->end();
        stream->writer.reset();
    }
}

void McpHttpEndpoint::Private::onSend(
    Session *session, const QJsonObject &message, const QJsonValue &related, bool final)
{
    if (session->closing)
        return;
    session->lastActive.start();
    const QString key = idKey(related);
    if (related.isNull() || related.isUndefined())
        return; // session-wide messages: this server offers no standalone GET stream (405)
    if (auto it = session->jsonByRequest.find(key); it != session->jsonByRequest.end()) {
        if (!final)
            return; // a JSON answer carries only the response
        const HttpServer::Responder respond = it.value();
        session->jsonByRequest.erase(it);
        HttpResponse response = HttpResponse::json(200, message);
        if (!session->protocolVersion.isEmpty())
            response.headers.append({ "Mcp-Session-Id", session->id.toLatin1() });
        respond(response);
        return;
    }
    const StreamPtr stream = session->streamByRequest.value(key);
    if (!stream)
        return; // a late message of a finished or cancelled request
    append(session, stream, QJsonDocument(message).toJson(QJsonDocument::Compact));
    if (final) {
        session->streamByRequest.remove(key);
        finishStream(session, stream);
    }
}

void McpHttpEndpoint::Private::append(Session *, const StreamPtr &stream, const QByteArray &json)
{
    const qint64 n = stream->next++;
    const QByteArray frame = sseFrame(stream->id + QLatin1Char('_') + QString::number(n), json);
    stream->events.emplace_back(n, frame);
    while (stream->events.size() > size_t(kMaxBufferedEvents))
        stream->events.pop_front();
    if (stream->writer)
        stream->writer->write(frame);
}

void McpHttpEndpoint::Private::finishStream(Session *session, const StreamPtr &stream)
{
    stream->done = true;
    if (stream->writer) {
        stream->writer->end();
        stream->writer.reset();
    }
    session->finished.append(stream->id);
    while (session->finished.size() > kMaxFinishedStreams)
        session->streams.remove(session->finished.takeFirst());
}

void McpHttpEndpoint::Private::resume(
    const HttpRequest &request, const Principal &principal, const HttpServer::Responder &respond)
{
    if (!listsMediaType(request.header("accept"), "text/event-stream")) {
        respond(rpcRefusal(406, -32000, QStringLiteral("Accept: must list text/event-stream")));
        return;
    }
    HttpResponse refusal;
    const SessionPtr session = sessionFor(request, principal, &refusal);
    if (!session) {
        respond(refusal);
        return;
    }
    const QString last = QString::fromLatin1(request.header("last-event-id")).trimmed();
    if (last.isEmpty()) {
        HttpResponse r = rpcRefusal(405, -32000,
            QStringLiteral("GET /mcp: no server-initiated stream is offered; GET only resumes a stream "
                           "with Last-Event-ID"));
        r.headers.append({ QByteArray("Allow"), QByteArray("GET, POST, DELETE") });
        respond(r);
        return;
    }
    const qsizetype cut = last.lastIndexOf(QLatin1Char('_'));
    bool ok = false;
    const qint64 after = cut > 0 ? last.mid(cut + 1).toLongLong(&ok) : -1;
    const StreamPtr stream = ok ? session->streams.value(last.left(cut)) : StreamPtr();
    if (!stream || after < 0 || after >= stream->next) {
        respond(rpcRefusal(
            404, -32000, QStringLiteral("Last-Event-ID: no such event on this session's streams")));
        return;
    }
    if (!stream->events.empty() && stream->events.front().first > after + 1) {
        respond(rpcRefusal(404, -32000,
            QStringLiteral("Last-Event-ID: the events after it are no longer buffered (%1 kept per stream)")
                .arg(kMaxBufferedEvents)));
        return;
    }
    HttpResponse response;
    response.contentType = "text/event-stream";
    response.headers.append({ "Mcp-Session-Id", session->id.toLatin1() });
    const QString version = session->protocolVersion;
    response.streamed = [this, stream, after, version](const std::shared_ptr<HttpStream> &writer) {
        attach(stream, writer, after, version);
    };
    respond(response);
}

void McpHttpEndpoint::Private::endSession(const QString &id)
{
    const SessionPtr session = sessions.take(id);
    if (!session)
        return;
    session->closing = true;
    // Running calls are cancelled by the tool server's destructor; their answers are dropped.
    session->server.reset();
    for (const StreamPtr &stream : std::as_const(session->streams))
        if (stream->writer)
            stream->writer->end();
    for (const HttpServer::Responder &respond : std::as_const(session->jsonByRequest))
        respond(rpcRefusal(404, -32001, QStringLiteral("the session ended")));
}

void McpHttpEndpoint::Private::expireIdle()
{
    QStringList idle;
    for (const SessionPtr &s : std::as_const(sessions))
        if (s->streamByRequest.isEmpty() && s->jsonByRequest.isEmpty()
            && s->lastActive.hasExpired(options.mcpSessionIdleMs))
            idle.append(s->id);
    for (const QString &id : idle)
        endSession(id);
}

McpHttpEndpoint::McpHttpEndpoint(Resolve resolve, const ServerOptions &options, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->q = this;
    d->resolve = std::move(resolve);
    d->options = options;
    d->sweep.setInterval(qBound(50, options.mcpSessionIdleMs / 4, 30000));
    connect(&d->sweep, &QTimer::timeout, this, [this] { d->expireIdle(); });
    d->sweep.start();
    d->keepAlive.setInterval(kKeepAliveMs);
    connect(&d->keepAlive, &QTimer::timeout, this, [this] {
        for (const Private::SessionPtr &s : std::as_const(d->sessions))
            for (const Private::StreamPtr &stream : std::as_const(s->streams))
                if (stream->writer)
                    stream->writer->write(": keepalive\n\n");
    });
    d->keepAlive.start();
}

McpHttpEndpoint::~McpHttpEndpoint()
{
    closeAll();
}

void McpHttpEndpoint::handle(
    const HttpRequest &request, const Principal &principal, const HttpServer::Responder &respond)
{
    if (std::optional<HttpResponse> refusal = d->checkOrigin(request)) {
        respond(*refusal);
        return;
    }
    if (request.method == "POST") {
        d->post(request, principal, respond);
    } else if (request.method == "GET") {
        d->resume(request, principal, respond);
    } else if (request.method == "DELETE") {
        HttpResponse refusal;
        const Private::SessionPtr session = d->sessionFor(request, principal, &refusal);
        if (!session) {
            respond(refusal);
            return;
        }
        d->endSession(session->id);
        HttpResponse ended;
        ended.status = 204;
        respond(ended);
    } else {
        HttpResponse r = rpcRefusal(405, -32000, QStringLiteral("/mcp answers POST, GET and DELETE"));
        r.headers.append({ QByteArray("Allow"), QByteArray("GET, POST, DELETE") });
        respond(r);
    }
}

int McpHttpEndpoint::sessionCount() const
{
    return int(d->sessions.size());
}

void McpHttpEndpoint::closeAll()
{
    const QStringList ids = d->sessions.keys();
    for (const QString &id : ids)
        d->endSession(id);
}
