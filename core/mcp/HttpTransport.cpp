#include "core/mcp/HttpTransport.h"

#include "core/mcp/SseCursor.h"
#include "core/providers/SseParser.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>

namespace {

constexpr qsizetype kMaxBodyBytes = 64 * 1024 * 1024; // a JSON response
constexpr qsizetype kMaxErrorBodyBytes = 64 * 1024; // the body of an error status

bool sameId(const QJsonValue &a, const QJsonValue &b)
{
    if (a.isDouble() && b.isDouble())
        return a.toDouble() == b.toDouble();
    return a.isString() && b.isString() && a.toString() == b.toString();
}

QString methodOf(const QJsonObject &message)
{
    return message.value(u"method").toString();
}

bool isRequest(const QJsonObject &message)
{
    return message.contains(u"method") && message.contains(u"id");
}

// The media type without parameters, lower case ("application/json; charset=utf-8" -> ...).
QByteArray mediaType(QNetworkReply *reply)
{
    const QByteArray type = reply->rawHeader("Content-Type");
    const qsizetype semicolon = type.indexOf(';');
    return (semicolon < 0 ? type : type.first(semicolon)).trimmed().toLower();
}

int statusOf(QNetworkReply *reply)
{
    return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
}

} // namespace

// One response body: a POST's (JSON or SSE) or a GET stream's. A POST stream that is resumed
// keeps its object across the GETs that continue it.
struct HttpTransport::Stream
{
    QJsonObject message; // the POSTed message (empty for the listening GET)
    QJsonValue requestId = QJsonValue(QJsonValue::Undefined); // the request answered here
    bool afterReinit = false; // already re-sent once after a new session
    bool sentSession = false; // the HTTP request carried Mcp-Session-Id
    bool listen = false; // the GET stream for server-initiated messages
    bool resuming = false; // the current HTTP request is a GET continuing a POST stream
    bool decided = false; // status and media type looked at
    bool sse = false;
    bool responseSeen = false;
    bool eventSeen = false;
    int resumes = 0;
    SseParser parser;
    SseCursor cursor;
    QByteArray body;
};

HttpTransport::HttpTransport(const QUrl &url, QNetworkAccessManager *network, QObject *parent)
    : McpTransport(parent)
    , m_url(url)
    , m_network(network)
{
    if (!network) {
        m_ownNetwork = new QNetworkAccessManager(this);
        m_network = m_ownNetwork;
    }
}

HttpTransport::~HttpTransport()
{
    close();
}

void HttpTransport::setBearerToken(const QString &token)
{
    m_token = token;
}

QString HttpTransport::displayUrl(const QUrl &url)
{
    return url.toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::RemoveFragment);
}

QString HttpTransport::target() const
{
    return displayUrl(m_url);
}

void HttpTransport::open()
{
    QTimer::singleShot(0, this, [this] {
        if (!m_closed)
            emit opened();
    });
}

void HttpTransport::setProtocolVersion(const QString &version)
{
    m_protocolVersion = version.toUtf8();
}

QNetworkRequest HttpTransport::baseRequest(const QByteArray &accept, bool withSession) const
{
    QNetworkRequest request(m_url);
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    request.setRawHeader("Accept", accept);
    if (!m_token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    if (withSession) {
        if (!m_sessionId.isEmpty())
            request.setRawHeader("Mcp-Session-Id", m_sessionId);
        if (!m_protocolVersion.isEmpty())
            request.setRawHeader("MCP-Protocol-Version", m_protocolVersion);
    }
    return request;
}

void HttpTransport::send(const QJsonObject &message)
{
    if (m_closed)
        return;
    if (methodOf(message) == u"initialize" && isRequest(message)) {
        m_initialize = message; // a new session
        m_sessionId.clear();
    }
    if (m_reinitializing) {
        m_waiting.append({ message, false });
        return;
    }
    post(message, false);
}

void HttpTransport::post(const QJsonObject &message, bool afterReinit)
{
    if (!m_network) { // reported from the event loop: the sender is still inside its send()
        auto stream = std::make_shared<Stream>();
        stream->requestId = isRequest(message) ? message.value(u"id") : QJsonValue(QJsonValue::Undefined);
        QTimer::singleShot(
            0, this, [this, stream] { requestFailed(*stream, QStringLiteral("no network access")); });
        return;
    }
    const bool initialize = methodOf(message) == u"initialize";
    QNetworkRequest request = baseRequest("application/json, text/event-stream", !initialize);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    auto stream = std::make_shared<Stream>();
    stream->message = message;
    stream->requestId = isRequest(message) ? message.value(u"id") : QJsonValue(QJsonValue::Undefined);
    stream->afterReinit = afterReinit;
    stream->sentSession = !initialize && !m_sessionId.isEmpty();
    attach(m_network->post(request, QJsonDocument(message).toJson(QJsonDocument::Compact)), stream);
}

void HttpTransport::get(const StreamPtr &stream, const QString &lastEventId)
{
    if (m_closed || !m_network)
        return;
    QNetworkRequest request = baseRequest("text/event-stream", true);
    if (!lastEventId.isEmpty())
        request.setRawHeader("Last-Event-ID", lastEventId.toUtf8());
    stream->decided = false;
    stream->sse = false;
    stream->body.clear();
    stream->parser.reset();
    stream->sentSession = !m_sessionId.isEmpty();
    attach(m_network->get(request), stream);
}

void HttpTransport::attach(QNetworkReply *reply, const StreamPtr &stream)
{
    m_streams.insert(reply, stream);
    connect(reply, &QNetworkReply::readyRead, this, [this, reply] { onReadyRead(reply); });
    connect(reply, &QNetworkReply::finished, this, [this, reply] { onFinished(reply); });
}

void HttpTransport::decide(QNetworkReply *reply, Stream &stream)
{
    if (stream.decided)
        return;
    stream.decided = true;
    const int status = statusOf(reply);
    stream.sse = status / 100 == 2 && mediaType(reply) == "text/event-stream";
    if (methodOf(stream.message) == u"initialize" && status / 100 == 2
        && reply->hasRawHeader("Mcp-Session-Id"))
        m_sessionId = reply->rawHeader("Mcp-Session-Id");
}

void HttpTransport::onReadyRead(QNetworkReply *reply)
{
    const StreamPtr stream = m_streams.value(reply);
    if (!stream)
        return;
    decide(reply, *stream);
    const QByteArray bytes = reply->readAll();
    if (!stream->sse) {
        const bool ok = statusOf(reply) / 100 == 2;
        if (stream->body.size() + bytes.size() <= (ok ? kMaxBodyBytes : kMaxErrorBodyBytes))
            stream->body.append(bytes);
        return;
    }
    stream->cursor.feed(bytes);
    const QList<SseParser::Event> events = stream->parser.feed(bytes);
    for (const SseParser::Event &event : events) {
        stream->eventSeen = true;
        if (event.data.isEmpty() || (!event.event.isEmpty() && event.event != u"message"))
            continue; // a priming event or keep-alive (its id and retry are in the cursor)
        dispatch(*stream, event.data);
        if (m_closed)
            return;
    }
}

void HttpTransport::onFinished(QNetworkReply *reply)
{
    reply->deleteLater();
    if (!m_streams.contains(reply))
        return;
    onReadyRead(reply); // the last bytes
    const StreamPtr stream = m_streams.take(reply);
    if (m_closed || !stream)
        return;
    const int status = statusOf(reply);
    if (status == 0) {
        const QString error
            = redacted(QStringLiteral("cannot reach %1: %2").arg(target(), reply->errorString()));
        if (stream->listen) {
            emit logged(QStringLiteral("the GET stream for server messages failed: ") + error);
            m_listening = false;
        } else if (stream->resuming) {
            resumeOrFail(stream, error);
        } else if (!stream->requestId.isUndefined() && !stream->responseSeen) {
            requestFailed(*stream, error);
        } else {
            emit logged(QStringLiteral("a message could not be sent: ") + error);
        }
        return;
    }
    if (status / 100 == 2) {
        onSuccess(stream, reply);
        return;
    }
    onHttpError(stream, status, stream->body);
}

void HttpTransport::onSuccess(const StreamPtr &stream, QNetworkReply *reply)
{
    if (stream->sse) {
        stream->parser.finish();
        if (stream->listen) {
            // The server may end its GET stream at any time: reopen it, after its retry delay,
            // unless it keeps ending without a single event.
            m_listenRetries = stream->eventSeen ? 0 : m_listenRetries + 1;
            if (m_listenRetries > kMaxResumes) {
                m_listening = false;
                return;
            }
            const int delay = stream->cursor.retryMs() >= 0 ? stream->cursor.retryMs() : kDefaultRetryMs;
            QTimer::singleShot(delay, this, [this, stream] { get(stream, stream->cursor.lastEventId()); });
            return;
        }
        if (!stream->requestId.isUndefined() && !stream->responseSeen) {
            const QString why = reply->error() == QNetworkReply::NoError
                ? QStringLiteral("the server closed it")
                : reply->errorString();
            resumeOrFail(stream, why);
        }
        return;
    }
    if (stream->listen) { // 2xx but no event stream: nothing to listen to
        m_listening = false;
        return;
    }
    if (!stream->body.trimmed().isEmpty() && mediaType(reply) == "application/json")
        dispatch(*stream, stream->body);
    if (!stream->requestId.isUndefined() && !stream->responseSeen) {
        requestFailed(*stream,
            QStringLiteral("HTTP %1 from %2 without a response to the request")
                .arg(statusOf(reply))
                .arg(target()));
        return;
    }
    if (methodOf(stream->message) == u"notifications/initialized")
        openListenStream();
}

void HttpTransport::onHttpError(const StreamPtr &stream, int status, const QByteArray &body)
{
    if (stream->listen) {
        // 405 (no such stream), 400/404 (stateless servers): the session works without it.
        emit logged(
            QStringLiteral("no GET stream for server messages (%1)").arg(describeStatus(status, body)));
        m_listening = false;
        return;
    }
    const bool sessionGone = status == 404
        || (status == 400 && QString::fromUtf8(body).contains(QLatin1String("session"), Qt::CaseInsensitive));
    if (sessionGone && stream->sentSession && !stream->resuming && !stream->afterReinit) {
        m_waiting.append({ stream->message, true });
        startReinit();
        return;
    }
    const QString error = describeStatus(status, body);
    if (!stream->requestId.isUndefined())
        requestFailed(*stream, error);
    else
        emit logged(QStringLiteral("the server refused a %1: %2")
                        .arg(stream->message.contains(u"method") ? methodOf(stream->message)
                                                                 : QStringLiteral("response"),
                            error));
}

void HttpTransport::dispatch(Stream &stream, const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (doc.isObject()) {
        deliver(stream, doc.object());
        return;
    }
    if (doc.isArray()) { // a batch (2025-03-26 servers may still send one)
        const QJsonArray messages = doc.array();
        for (const QJsonValue &m : messages) {
            if (m_closed)
                return;
            if (m.isObject())
                deliver(stream, m.toObject());
        }
        return;
    }
    emit logged(QStringLiteral("malformed message from the server (%1), skipped: %2")
                    .arg(error.error != QJsonParseError::NoError ? error.errorString()
                                                                 : QStringLiteral("not a JSON object"),
                        QString::fromUtf8(json.left(200))));
}

void HttpTransport::deliver(Stream &stream, const QJsonObject &message)
{
    const bool response = !message.contains(u"method") && message.contains(u"id");
    if (response && sameId(message.value(u"id"), stream.requestId))
        stream.responseSeen = true;
    if (response && m_reinitializing && sameId(message.value(u"id"), QJsonValue(m_reinitId))) {
        const QJsonObject error = message.value(u"error").toObject();
        finishReinit(message.contains(u"error") ? error.value(u"message").toString() : QString());
        return;
    }
    emit messageReceived(message);
}

void HttpTransport::resumeOrFail(const StreamPtr &stream, const QString &why)
{
    const QString lastId = stream->cursor.lastEventId();
    if (lastId.isEmpty()) {
        requestFailed(*stream,
            QStringLiteral(
                "the response stream ended before the response (%1) and carried no event id to resume from")
                .arg(why));
        return;
    }
    if (stream->resumes >= kMaxResumes) {
        requestFailed(*stream,
            QStringLiteral("the response stream ended before the response (%1); gave up after %2 resumptions")
                .arg(why)
                .arg(stream->resumes));
        return;
    }
    ++stream->resumes;
    stream->resuming = true;
    const int delay = stream->cursor.retryMs() >= 0 ? stream->cursor.retryMs() : kDefaultRetryMs;
    emit logged(
        QStringLiteral("the response stream ended before the response (%1): resuming from event %2 in %3 ms")
            .arg(why, lastId)
            .arg(delay));
    QTimer::singleShot(delay, Qt::PreciseTimer, this, [this, stream, lastId] { get(stream, lastId); });
}

void HttpTransport::requestFailed(const Stream &stream, const QString &error)
{
    if (m_reinitializing && sameId(stream.requestId, QJsonValue(m_reinitId))) {
        finishReinit(error);
        return;
    }
    emit sendFailed(stream.requestId, redacted(error));
}

void HttpTransport::startReinit()
{
    if (m_reinitializing)
        return;
    if (m_initialize.isEmpty()) {
        finishReinit(QStringLiteral("no initialize request to replay"));
        return;
    }
    m_reinitializing = true;
    m_sessionId.clear();
    // The GET stream belongs to the old session; the new one opens its own.
    for (auto it = m_streams.begin(); it != m_streams.end();) {
        if (it.value()->listen) {
            it.key()->disconnect(this);
            it.key()->abort();
            it.key()->deleteLater();
            it = m_streams.erase(it);
        } else {
            ++it;
        }
    }
    m_listening = false;
    m_reinitId = QStringLiteral("agentstudio-reinitialize-%1").arg(++m_reinits);
    emit logged(QStringLiteral("the server no longer knows the session: starting a new one"));
    QJsonObject initialize = m_initialize;
    initialize.insert(u"id", m_reinitId);
    post(initialize, true);
}

void HttpTransport::finishReinit(const QString &error)
{
    m_reinitializing = false;
    const QList<Waiting> waiting = std::exchange(m_waiting, {});
    if (!error.isEmpty()) {
        const QString message
            = QStringLiteral("the session expired and a new one could not be started: ") + error;
        emit logged(message);
        for (const Waiting &w : waiting) {
            if (isRequest(w.message))
                emit sendFailed(w.message.value(u"id"), redacted(message));
        }
        return;
    }
    post(QJsonObject { { QStringLiteral("jsonrpc"), QStringLiteral("2.0") },
             { QStringLiteral("method"), QStringLiteral("notifications/initialized") } },
        true);
    for (const Waiting &w : waiting)
        post(w.message, w.afterReinit);
}

void HttpTransport::openListenStream()
{
    if (m_listening || m_closed || m_sessionId.isEmpty())
        return;
    m_listening = true;
    auto stream = std::make_shared<Stream>();
    stream->listen = true;
    get(stream, QString());
}

void HttpTransport::abandon(const QJsonValue &requestId)
{
    for (auto it = m_streams.begin(); it != m_streams.end(); ++it) {
        if (!it.value()->listen && sameId(it.value()->requestId, requestId)) {
            QNetworkReply *reply = it.key();
            m_streams.erase(it);
            reply->disconnect(this);
            reply->abort();
            reply->deleteLater();
            return;
        }
    }
}

void HttpTransport::close()
{
    if (m_closed)
        return;
    m_closed = true;
    const QList<QNetworkReply *> replies = m_streams.keys();
    m_streams.clear();
    for (QNetworkReply *reply : replies) {
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
    if (m_network && !m_sessionId.isEmpty()) {
        // Ending the session is a courtesy: the reply is not waited for (405 means the server
        // has no explicit termination). It is a child of the manager, not of this object.
        QNetworkReply *reply
            = m_network->deleteResource(baseRequest("application/json, text/event-stream", true));
        connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
        if (m_ownNetwork) { // the manager lives until its DELETE is done
            m_ownNetwork->setParent(nullptr);
            connect(reply, &QNetworkReply::finished, m_ownNetwork, &QObject::deleteLater);
            m_ownNetwork = nullptr;
        }
    }
    m_sessionId.clear();
}

QString HttpTransport::describeStatus(int status, const QByteArray &body) const
{
    QString reason;
    switch (status) {
    case 400:
        reason = QStringLiteral("Bad Request");
        break;
    case 401:
        reason = QStringLiteral("Unauthorized");
        break;
    case 403:
        reason = QStringLiteral("Forbidden");
        break;
    case 404:
        reason = QStringLiteral("Not Found");
        break;
    case 405:
        reason = QStringLiteral("Method Not Allowed");
        break;
    case 406:
        reason = QStringLiteral("Not Acceptable");
        break;
    case 413:
        reason = QStringLiteral("Payload Too Large");
        break;
    case 415:
        reason = QStringLiteral("Unsupported Media Type");
        break;
    case 500:
        reason = QStringLiteral("Internal Server Error");
        break;
    case 502:
        reason = QStringLiteral("Bad Gateway");
        break;
    case 503:
        reason = QStringLiteral("Service Unavailable");
        break;
    default:
        break;
    }
    QString text = QStringLiteral("HTTP %1").arg(status);
    if (!reason.isEmpty())
        text += QLatin1Char(' ') + reason;
    text += QStringLiteral(" from ") + target();
    const QString detail = QString::fromUtf8(body.left(500)).simplified();
    if (!detail.isEmpty())
        text += QStringLiteral(": ") + detail;
    if (status == 401)
        text += m_token.isEmpty()
            ? QStringLiteral(" (the server wants a bearer token and none is set: bearer_token_env)")
            : QStringLiteral(" (the server refused the bearer token)");
    return redacted(text);
}

// Error texts come from the server (a body may echo what it got) and from Qt (errorString()
// names the full URL): neither may show the token or a key in the URL's query.
QString HttpTransport::redacted(QString text) const
{
    const QString full = m_url.toString();
    if (full != target())
        text.replace(full, target());
    if (m_token.size() >= 4)
        text.replace(m_token, QStringLiteral("***"));
    return text;
}
