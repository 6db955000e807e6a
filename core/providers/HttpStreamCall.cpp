#include "core/providers/HttpStreamCall.h"

#include "core/common/Util.h"
#include "core/metering/Pricing.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QRandomGenerator>
#include <QTimer>
#include <QUrl>

#include <cmath>

namespace {

constexpr qsizetype kMaxErrorBody = 64 * 1024;

QByteArray headerValue(const QList<QNetworkReply::RawHeaderPair> &headers, QByteArrayView name)
{
    for (const auto &[key, value] : headers)
        if (QByteArrayView(key).compare(name, Qt::CaseInsensitive) == 0)
            return value.trimmed();
    return {};
}

bool isRetryableNetworkError(QNetworkReply::NetworkError e)
{
    switch (e) {
    case QNetworkReply::ConnectionRefusedError:
    case QNetworkReply::RemoteHostClosedError:
    case QNetworkReply::HostNotFoundError:
    case QNetworkReply::TimeoutError:
    case QNetworkReply::TemporaryNetworkFailureError:
    case QNetworkReply::NetworkSessionFailedError:
    case QNetworkReply::UnknownNetworkError:
    case QNetworkReply::ProxyConnectionRefusedError:
    case QNetworkReply::ProxyConnectionClosedError:
    case QNetworkReply::ProxyTimeoutError:
        return true;
    default:
        return false;
    }
}

} // namespace

HttpStreamCall::HttpStreamCall(const LlmRequest &request, QNetworkAccessManager *network, QObject *parent)
    : LlmCall(parent)
    , m_request(request)
    , m_network(network)
    , m_connectTimer(new QTimer(this))
    , m_idleTimer(new QTimer(this))
    , m_totalTimer(new QTimer(this))
    , m_retryTimer(new QTimer(this))
{
    for (QTimer *t : { m_connectTimer, m_idleTimer, m_totalTimer, m_retryTimer })
        t->setSingleShot(true);
    connect(m_connectTimer, &QTimer::timeout, this, &HttpStreamCall::onConnectTimeout);
    connect(m_idleTimer, &QTimer::timeout, this, &HttpStreamCall::onIdleTimeout);
    connect(m_totalTimer, &QTimer::timeout, this, &HttpStreamCall::onTotalTimeout);
    connect(m_retryTimer, &QTimer::timeout, this, &HttpStreamCall::sendAttempt);
}

HttpStreamCall::~HttpStreamCall()
{
    dropReply();
}

void HttpStreamCall::start()
{
    if (m_started)
        return;
    m_started = true;
    if (!m_network) {
        finish(false, false, providerName() + QStringLiteral(": no network access manager"));
        return;
    }
    // Before the key check: replaying recorded answers needs no key (CI without secrets).
    if (consultCache())
        return;
    if (m_request.apiKey.isEmpty() && !m_request.provider.apiKeyEnv.isEmpty()) {
        finish(false, false,
            QStringLiteral("%1: no API key: set %2").arg(providerName(), m_request.provider.apiKeyEnv));
        return;
    }
    if (m_request.totalTimeoutMs > 0)
        m_totalTimer->start(m_request.totalTimeoutMs);
    sendAttempt();
}

void HttpStreamCall::cancel()
{
    if (m_done)
        return;
    finish(false, true, providerName() + QStringLiteral(": cancelled"));
}

void HttpStreamCall::sendAttempt()
{
    if (m_done)
        return;
    ++m_attempt;
    m_status = 0;
    m_headersSeen = false;
    m_streaming = false;
    m_errorBody.clear();
    m_recordedBody.clear();
    resetStream();

    QNetworkRequest req = buildRequest();
    req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    req.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("AgentStudio/" AGENTSTUDIO_VERSION));
    req.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    // The request carries the key (Authorization / x-api-key): a redirect may only stay on the
    // same origin (scheme, host, port); Qt's default would replay the headers to another one.
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::SameOriginRedirectPolicy);
    m_attemptClock.start();
    m_reply = m_network->post(req, buildBody());
    // Connect timeout: until the request is written (TCP + TLS + request). From then on the
    // idle timeout covers the wait for the response and every gap in the stream.
    connect(m_reply, &QNetworkReply::requestSent, this, [this] {
        m_connectTimer->stop();
        if (m_request.idleTimeoutMs > 0 && !m_idleTimer->isActive())
            m_idleTimer->start(m_request.idleTimeoutMs);
    });
    connect(m_reply, &QNetworkReply::metaDataChanged, this, &HttpStreamCall::onHeadersReceived);
    // A same-origin redirect being followed: the status seen so far was the 3xx's.
    connect(m_reply, &QNetworkReply::redirected, this, [this] {
        m_headersSeen = false;
        m_status = 0;
        m_streaming = false;
        m_errorBody.clear();
        m_recordedBody.clear();
    });
    connect(m_reply, &QNetworkReply::readyRead, this, &HttpStreamCall::onReadyRead);
    connect(m_reply, &QNetworkReply::finished, this, &HttpStreamCall::onReplyFinished);
    if (m_request.connectTimeoutMs > 0)
        m_connectTimer->start(m_request.connectTimeoutMs);
}

void HttpStreamCall::onHeadersReceived()
{
    if (m_headersSeen || !m_reply)
        return;
    const QVariant status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (!status.isValid())
        return;
    m_headersSeen = true;
    m_connectTimer->stop();
    m_status = status.toInt();
    m_streaming = m_status >= 200 && m_status < 300;
    if (m_request.idleTimeoutMs > 0)
        m_idleTimer->start(m_request.idleTimeoutMs); // (re)start: the server is alive
}

void HttpStreamCall::onReadyRead()
{
    if (!m_reply || m_done)
        return;
    onHeadersReceived();
    if (m_idleTimer->isActive())
        m_idleTimer->start(); // restart: the stream is alive
    const QByteArray bytes = m_reply->readAll();
    if (bytes.isEmpty())
        return;
    if (m_streaming) {
        if (!m_cacheKey.isEmpty())
            m_recordedBody.append(bytes);
        onBytes(bytes); // may finish the call (error event, invalid JSON)
    } else if (m_errorBody.size() < kMaxErrorBody) {
        m_errorBody.append(bytes.left(kMaxErrorBody - m_errorBody.size()));
    }
}

void HttpStreamCall::onReplyFinished()
{
    if (!m_reply || m_done)
        return;
    onReadyRead();
    if (m_done || !m_reply)
        return;
    onHeadersReceived();
    m_connectTimer->stop();
    m_idleTimer->stop();
    QNetworkReply *reply = m_reply;
    const QNetworkReply::NetworkError netError = reply->error();
    const QString errorString = reply->errorString();
    const QList<QNetworkReply::RawHeaderPair> headers = reply->rawHeaderPairs();
    const int status = m_status;
    dropReply();

    if (status >= 200 && status < 300) {
        if (netError == QNetworkReply::NoError) {
            onEndOfStream();
            if (!m_done)
                succeed();
            return;
        }
        m_recordedBody.clear(); // a cut stream is never recorded
        const QString message = providerName() + QStringLiteral(": stream cut: ") + errorString;
        m_result.unreachable = false;
        handleFailedAttempt(message, isRetryableNetworkError(netError));
        return;
    }
    if (status >= 300 && status < 400) {
        // Only a redirect to another origin gets here (same-origin ones are followed).
        const QByteArray location = headerValue(headers, "location");
        finish(false, false,
            QStringLiteral("%1: %2 redirect to %3 not followed: a key is never sent to another origin")
                .arg(providerName())
                .arg(status)
                .arg(location.isEmpty() ? QStringLiteral("(no location)")
                                        : QUrl(QString::fromUtf8(location)).toString(QUrl::RemoveUserInfo)));
        return;
    }
    if (status > 0) {
        const QString message = providerName() + QStringLiteral(": ") + errorFromBody(status, m_errorBody);
        bool retryable = isRetryableStatus(status, m_errorBody);
        const QByteArray should = headerValue(headers, "x-should-retry");
        if (should == "true")
            retryable = true;
        else if (should == "false")
            retryable = false;
        m_result.unreachable = false;
        handleFailedAttempt(message, retryable, headers);
        return;
    }
    m_result.unreachable = true; // no HTTP answer at all
    handleFailedAttempt(providerName() + QStringLiteral(": connection failed: ") + errorString,
        isRetryableNetworkError(netError));
}

void HttpStreamCall::handleFailedAttempt(
    const QString &message, bool retryable, const QList<QNetworkReply::RawHeaderPair> &headers)
{
    // Text already delivered cannot be taken back: never retry then.
    if (retryable && m_attempt <= m_request.maxRetries && m_result.text.isEmpty()) {
        const int delay = retryDelayMs(m_attempt, headers, maxRetryAfterMs(), retryAfterCapMeansNoRetry(),
            QRandomGenerator::global()->generateDouble());
        const qint64 left = m_totalTimer->isActive() ? m_totalTimer->remainingTime() : -1;
        if (delay >= 0 && (left < 0 || delay < left)) {
            emit attemptFailed(m_attempt, as::redact(message, { m_request.apiKey }), delay);
            m_retryTimer->start(delay);
            return;
        }
    }
    finish(false, false, message);
}

int HttpStreamCall::retryDelayMs(int retry, const QList<QNetworkReply::RawHeaderPair> &headers,
    int maxRetryAfterMs, bool capMeansNoRetry, double random)
{
    double ms = -1;
    const QByteArray afterMs = headerValue(headers, "retry-after-ms");
    if (!afterMs.isEmpty()) {
        bool ok = false;
        const double v = afterMs.toDouble(&ok);
        if (ok)
            ms = v;
    }
    if (ms < 0) {
        const QByteArray after = headerValue(headers, "retry-after");
        if (!after.isEmpty()) {
            bool ok = false;
            const double seconds = after.toDouble(&ok);
            if (ok) {
                ms = seconds * 1000.0;
            } else {
                const QDateTime when = QDateTime::fromString(QString::fromLatin1(after), Qt::RFC2822Date);
                if (when.isValid())
                    ms = double(QDateTime::currentDateTimeUtc().msecsTo(when));
            }
        }
    }
    if (ms > 0 && ms <= maxRetryAfterMs)
        return int(std::ceil(ms));
    if (ms > maxRetryAfterMs && capMeansNoRetry)
        return -1;
    const double base = std::min(0.5 * std::pow(2.0, std::max(0, retry - 1)), 8.0);
    return int(base * (1.0 - 0.25 * random) * 1000.0);
}

void HttpStreamCall::onConnectTimeout()
{
    if (m_done || !m_reply)
        return;
    dropReply();
    m_result.unreachable = true;
    handleFailedAttempt(QStringLiteral("%1: could not send the request within %2 ms (connect timeout)")
                            .arg(providerName())
                            .arg(m_request.connectTimeoutMs),
        true);
}

void HttpStreamCall::onIdleTimeout()
{
    if (m_done || !m_reply)
        return;
    dropReply();
    handleFailedAttempt(QStringLiteral("%1: stream idle for %2 ms (idle timeout)")
                            .arg(providerName())
                            .arg(m_request.idleTimeoutMs),
        true);
}

void HttpStreamCall::onTotalTimeout()
{
    if (m_done)
        return;
    finish(false, false,
        QStringLiteral("%1: no complete reply within %2 ms (total timeout)")
            .arg(providerName())
            .arg(m_request.totalTimeoutMs));
}

QString HttpStreamCall::errorFromBody(int status, const QByteArray &body) const
{
    QString text = QString::fromUtf8(body.left(300)).simplified();
    if (text.isEmpty())
        text = QStringLiteral("HTTP error");
    return QStringLiteral("%1 %2").arg(status).arg(text);
}

bool HttpStreamCall::isRetryableStatus(int status, const QByteArray &) const
{
    return status == 408 || status == 409 || status == 429 || status >= 500;
}

void HttpStreamCall::deliverText(const QString &text)
{
    if (text.isEmpty() || m_done)
        return;
    if (m_result.ttftMs < 0)
        m_result.ttftMs = m_attemptClock.elapsed();
    m_result.text += text;
    emit chunk(text, int(qMax<qint64>(1, estimateTokens(text))));
}

void HttpStreamCall::succeed()
{
    finish(true, false, QString());
}

void HttpStreamCall::failStream(const QString &message)
{
    if (m_done)
        return;
    finish(false, false, providerName() + QStringLiteral(": ") + message);
}

QString HttpStreamCall::baseUrl(const QString &fallback) const
{
    QString url = m_request.provider.baseUrl.trimmed();
    if (url.isEmpty())
        url = fallback;
    while (url.endsWith(u'/'))
        url.chop(1);
    return url;
}

qint64 HttpStreamCall::estimateInputTokens() const
{
    qint64 n = 3;
    for (const ChatMessage &m : m_request.messages) {
        n += 3 + estimateTokens(m.content);
        for (const ModelToolCall &c : m.toolCalls)
            n += estimateTokens(c.name) + estimateTokens(c.argumentsJson());
    }
    for (const ToolDefinition &t : m_request.tools) // the definitions are input too
        n += estimateTokens(t.name) + estimateTokens(t.description)
            + estimateTokens(as::compactJson(t.inputSchema));
    return n;
}

void HttpStreamCall::dropReply()
{
    if (!m_reply)
        return;
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    disconnect(reply, nullptr, this, nullptr);
    if (reply->isRunning())
        reply->abort();
    reply->deleteLater();
}

void HttpStreamCall::finish(bool ok, bool cancelled, const QString &error)
{
    if (m_done)
        return;
    m_done = true;
    dropReply();
    for (QTimer *t : { m_connectTimer, m_idleTimer, m_totalTimer, m_retryTimer })
        t->stop();

    if (ok && !cancelled && !m_cacheKey.isEmpty() && !m_result.cached)
        storeInCache();
    m_result.ok = ok;
    m_result.cancelled = cancelled;
    m_result.unreachable = m_result.unreachable && !ok && !cancelled;
    m_result.error = ok ? QString() : as::redact(error, { m_request.apiKey });
    m_result.attempts = qMax(1, m_attempt);
    // The provider's usage is authoritative; without it (cut stream, compatible servers that
    // send none, cancel) estimate locally and say so.
    TokenUsage &u = m_result.usage;
    qint64 outputEstimate = estimateTokens(m_result.text);
    for (const ModelToolCall &c : std::as_const(m_result.toolCalls)) // the calls are output too
        outputEstimate += estimateTokens(c.name) + estimateTokens(c.argumentsText);
    if (!m_usageReported) {
        u.inputTokens = estimateInputTokens();
        u.outputTokens = outputEstimate;
        u.estimated = true;
    } else if (!m_result.text.isEmpty() && (u.outputTokens == 0 || !ok)) {
        // A failed stream's output count (e.g. Anthropic's message_start placeholder) is stale.
        const qint64 estimate = outputEstimate;
        if (u.outputTokens < estimate) {
            u.outputTokens = estimate;
            u.estimated = true;
        }
    }
    emit finished(m_result);
}

bool HttpStreamCall::consultCache()
{
    const CacheMode mode = m_request.cacheMode;
    if (!m_request.cache || mode == CacheMode::Off)
        return false;
    // The endpoint without user info or query: what the request is sent to, never a credential.
    const QString url = buildRequest().url().toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery);
    m_sentBody = buildBody();
    const QByteArray key = ResponseCache::key(
        m_request.provider.kind, url, m_request.model.name, m_sentBody, m_request.cacheNamespace);
    if (mode == CacheMode::Read || mode == CacheMode::ReadWrite) {
        if (std::optional<CachedResponse> hit = m_request.cache->lookup(key)) {
            // Replayed from the event loop: a receiver connected after start() sees every signal.
            QTimer::singleShot(0, this, [this, body = hit->body] { replayCached(body); });
            return true;
        }
        if (mode == CacheMode::Read) {
            const QString message
                = QStringLiteral("cache miss: %1 %2 (key %3)")
                      .arg(m_request.provider.kind, m_request.model.name, QString::fromLatin1(key.left(12)));
            QTimer::singleShot(0, this, [this, message] { finish(false, false, message); });
            return true;
        }
    }
    m_cacheKey = key; // write, or a readwrite miss: record a successful answer
    return false;
}

void HttpStreamCall::replayCached(const QByteArray &body)
{
    if (m_done)
        return;
    m_attempt = 1;
    m_result.cached = true;
    m_attemptClock.start();
    resetStream();
    onBytes(body);
    if (m_done)
        return;
    onEndOfStream();
    if (!m_done)
        succeed();
}

void HttpStreamCall::storeInCache()
{
    // Keys travel in headers only; a body or answer that still holds one is not kept.
    const QByteArray secret = m_request.apiKey.toUtf8();
    if (!secret.isEmpty() && (m_sentBody.contains(secret) || m_recordedBody.contains(secret)))
        return;
    CachedResponse entry;
    entry.body = m_recordedBody;
    entry.httpStatus = m_status > 0 ? m_status : 200;
    entry.request = QJsonDocument::fromJson(m_sentBody).object();
    entry.provider = m_request.provider.kind;
    entry.model = m_request.model.name;
    entry.latencyMs = m_attemptClock.isValid() ? m_attemptClock.elapsed() : -1;
    entry.ttftMs = m_result.ttftMs;
    entry.recordedAt = as::nowIso();
    QString error;
    if (!m_request.cache->store(m_cacheKey, entry, &error))
        qWarning("%s", qPrintable(error)); // the answer itself stands; only the recording failed
}
