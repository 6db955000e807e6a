#include "core/remote/RemoteBackend.h"

#include "core/api/HistoryQueryCodec.h"
#include "core/common/Util.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QUrlQuery>
#include <QWebSocket>

RemoteBackend::RemoteBackend(const QUrl &baseUrl, const QString &token, QObject *parent)
    : RemoteBackend(QList<QUrl> { baseUrl }, token, parent)
{
}

RemoteBackend::RemoteBackend(const QList<QUrl> &urls, const QString &token, QObject *parent)
    : ExecutionBackend(parent)
    , m_urls(urls.isEmpty() ? QList<QUrl> { QUrl() } : urls)
    , m_token(token)
    , m_network(new QNetworkAccessManager(this))
{
    qRegisterMetaType<ExecutionEventList>();
    qRegisterMetaType<HistoryPage>();
    qRegisterMetaType<ExecutionRecord>();
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(0);
    connect(&m_flushTimer, &QTimer::timeout, this, &RemoteBackend::flushEvents);
    m_heartbeat.setInterval(10000);
    connect(&m_heartbeat, &QTimer::timeout, this, &RemoteBackend::heartbeat);
    m_heartbeat.start();
    m_workspaceRetry.setSingleShot(true);
    connect(&m_workspaceRetry, &QTimer::timeout, this, &RemoteBackend::refreshWorkspace);
    // Let the caller connect to our signals before the first answer arrives.
    // The health (the instance's name) is read once the workspace came (refreshWorkspace).
    QTimer::singleShot(0, this, &RemoteBackend::refreshWorkspace);
    m_workspacePending = true;
}

RemoteBackend::~RemoteBackend()
{
    for (Stream *s : std::as_const(m_streams)) {
        if (s->socket) {
            s->socket->disconnect(this);
            s->socket->abort();
        }
        delete s;
    }
    m_streams.clear();
}

QString RemoteBackend::displayName() const
{
    return QStringLiteral("remote ") + hostPort(m_current);
}

QString RemoteBackend::hostPort(int urlIndex) const
{
    const QUrl url = m_urls.value(urlIndex);
    return QStringLiteral("%1:%2")
        .arg(url.host())
        .arg(url.port(url.scheme() == QLatin1String("https") ? 443 : 80));
}

QList<QUrl> RemoteBackend::parseServerUrls(const QString &text, QString *error)
{
    static const QRegularExpression separators(QStringLiteral("[,\\s]+"));
    QList<QUrl> urls;
    const QStringList entries = text.split(separators, Qt::SkipEmptyParts);
    for (int i = 0; i < entries.size(); ++i) {
        const QUrl url = QUrl::fromUserInput(entries.at(i));
        if (!url.isValid() || url.host().isEmpty()
            || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))) {
            if (error)
                *error
                    = QStringLiteral("server URL %1 (\"%2\"): expected http://host:port or https://host:port")
                          .arg(i + 1)
                          .arg(entries.at(i));
            return {};
        }
        if (!urls.contains(url))
            urls.append(url);
    }
    if (urls.isEmpty() && error)
        *error = QStringLiteral("server URL: expected http://host:port or https://host:port");
    return urls;
}

void RemoteBackend::refreshHealth()
{
    // Health needs no token; the answer names the instance actually serving this URL (one URL
    // behind a load balancer may reach another one after a reconnect).
    const int generation = ++m_healthGeneration;
    const int index = m_current;
    sendAttempt(
        "GET", QStringLiteral("/api/health"), {}, QByteArray(), false,
        [this, generation, index](int status, const QJsonObject &body, const QString &) {
            if (generation <= m_healthApplied || index != m_current)
                return; // a later read was applied already, or the backend moved since
            m_healthApplied = generation;
            if (status != 200 || !body.value(QLatin1String("ready")).toBool(true)) {
                // 503: up but not serving (its database is unreachable), as good as down. A
                // network failure was already counted by sendAttempt; an older server without
                // health (404) is just nameless.
                if (status == 503 || status == 200)
                    instanceFailed(index,
                        QStringLiteral("health: %1 %2")
                            .arg(status)
                            .arg(body.value(QLatin1String("problem")).toString()));
                return;
            }
            m_instanceId = body.value(QLatin1String("instance_id")).toString();
            m_storeKind = body.value(QLatin1String("store")).toString();
            const QString name = body.value(QLatin1String("instance")).toString();
            if (name != m_instanceName) {
                m_instanceName = name;
                emit instanceChanged(name);
            }
        },
        10000, Retry::Always, 0);
}

bool RemoteBackend::instanceFailed(int urlIndex, const QString &why)
{
    if (urlIndex != m_current)
        return true; // already moved away from it
    m_downReasons.append(QStringLiteral("%1 (%2)").arg(hostPort(urlIndex), why));
    while (m_downReasons.size() > m_urls.size())
        m_downReasons.removeFirst();
    m_failedInRow = qMin(m_failedInRow + 1, int(m_urls.size()));
    if (m_urls.size() < 2)
        return false;
    if (allInstancesDown())
        m_lastError = { ErrorCode::Unreachable,
            QStringLiteral("all %1 server instances are down: %2")
                .arg(m_urls.size())
                .arg(m_downReasons.join(QStringLiteral("; "))) };
    moveTo((urlIndex + 1) % int(m_urls.size()));
    return true;
}

void RemoteBackend::instanceAnswered(int urlIndex)
{
    if (urlIndex != m_current || m_failedInRow == 0)
        return;
    m_failedInRow = 0;
    m_downReasons.clear();
    updateState();
}

void RemoteBackend::moveTo(int urlIndex)
{
    const QUrl from = baseUrl();
    m_current = urlIndex;
    ++m_moves;
    // The old instance's name is not this one's: cleared until the new health answers.
    m_instanceId.clear();
    m_storeKind.clear();
    if (!m_instanceName.isEmpty()) {
        m_instanceName.clear();
        emit instanceChanged(QString());
    }
    emit instanceMoved(from, baseUrl());
    refreshHealth();
    // Every stream resumes on the new instance with its after_seq; while all are down the
    // streams' own backoff paces the attempts.
    for (Stream *s : std::as_const(m_streams)) {
        if (s->terminal || s->urlIndex == urlIndex)
            continue;
        if (!allInstancesDown()) {
            s->retry->stop();
            s->attempts = 0;
        }
        scheduleReconnect(s, allInstancesDown() ? backoffDelay(s->attempts) : 0);
    }
    updateState();
}

void RemoteBackend::setSslConfiguration(const QSslConfiguration &configuration)
{
    m_ssl = configuration;
}

void RemoteBackend::setHeartbeatInterval(int ms)
{
    m_heartbeat.setInterval(qMax(10, ms));
}

void RemoteBackend::heartbeat()
{
    // An idle client notices a stopped instance (or a load balancer's switch) here too.
    if (m_hasWorkspace)
        refreshHealth();
    const auto streams = m_streams.values();
    for (Stream *s : streams) {
        if (!s->connected || !s->socket)
            continue;
        if (s->awaitingPong) {
            // Nothing since the last ping: the peer is gone without closing. Cut and resume.
            s->awaitingPong = false;
            s->socket->abort();
            continue;
        }
        s->awaitingPong = true;
        s->socket->ping();
    }
}

void RemoteBackend::setReconnectDelays(int initialMs, int maxMs)
{
    m_initialDelayMs = qMax(1, initialMs);
    m_maxDelayMs = qMax(m_initialDelayMs, maxMs);
}

qint64 RemoteBackend::lastSeq(const QString &executionId) const
{
    const Stream *s = m_streams.value(executionId);
    if (!s)
        return 0;
    return s->lastSeq > 0 ? s->lastSeq : s->unsequencedDelivered;
}

QUrl RemoteBackend::apiUrl(const QString &path, const QUrlQuery &query) const
{
    // `path` comes percent-encoded (ids and tool names through QUrl::toPercentEncoding): it is
    // set as encoded text, or an encoded "/" in a name would reach the server as "%2F".
    QUrl u = baseUrl();
    QString base = u.path(QUrl::FullyEncoded);
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    u.setPath(base + path, QUrl::TolerantMode);
    u.setQuery(query);
    return u;
}

QUrl RemoteBackend::streamUrl(const QString &executionId, qint64 afterSeq) const
{
    QUrlQuery q;
    if (afterSeq > 0)
        q.addQueryItem(QStringLiteral("after_seq"), QString::number(afterSeq));
    QUrl u = apiUrl(
        QStringLiteral("/ws/execution/") + QString::fromLatin1(QUrl::toPercentEncoding(executionId)), q);
    u.setScheme(baseUrl().scheme() == QLatin1String("https") ? QStringLiteral("wss") : QStringLiteral("ws"));
    return u;
}

Error RemoteBackend::errorOf(int httpStatus, const QJsonObject &body, const QString &networkError)
{
    const QJsonObject e = body.value(QLatin1String("error")).toObject();
    if (!e.isEmpty()) {
        // `error_code` is additive: an older server has only the status to go by.
        const QString wireCode = e.value(QLatin1String("error_code")).toString();
        const ErrorCode code
            = wireCode.isEmpty() ? errorCodeFromHttpStatus(httpStatus) : errorCodeFromWire(wireCode);
        return { code == ErrorCode::None ? ErrorCode::Internal : code,
            QStringLiteral("server: %1 %2: %3")
                .arg(httpStatus)
                .arg(e.value(QLatin1String("code")).toString(),
                    e.value(QLatin1String("message")).toString()) };
    }
    if (httpStatus >= 300 && httpStatus < 400)
        return { ErrorCode::Unreachable,
            QStringLiteral("server: HTTP %1: a redirect to another origin is not followed (the token stays "
                           "with this server)")
                .arg(httpStatus) };
    if (httpStatus > 0) {
        const ErrorCode code = errorCodeFromHttpStatus(httpStatus);
        return { code == ErrorCode::None ? ErrorCode::Internal : code,
            QStringLiteral("server: HTTP %1").arg(httpStatus) };
    }
    return { ErrorCode::Unreachable, QStringLiteral("cannot reach server: %1").arg(networkError) };
}

Error RemoteBackend::connectionError() const
{
    return m_state == QLatin1String("connected") ? Error { ErrorCode::None, QString() } : m_lastError;
}

void RemoteBackend::sendRequest(const QByteArray &verb, const QString &path, const QUrlQuery &query,
    const QJsonObject *body, const JsonCallback &callback, int transferTimeoutMs, Retry retry)
{
    const QByteArray payload = body ? QJsonDocument(*body).toJson(QJsonDocument::Compact) : QByteArray();
    sendAttempt(verb, path, query, payload, body != nullptr, callback, transferTimeoutMs, retry,
        int(m_urls.size()) - 1);
}

// One try on the instance in use; when it gives no answer the backend moves on (instanceFailed)
// and, as `retry` allows, the request is sent to the next instance (each at most once).
void RemoteBackend::sendAttempt(const QByteArray &verb, const QString &path, const QUrlQuery &query,
    const QByteArray &payload, bool hasBody, const JsonCallback &callback, int transferTimeoutMs, Retry retry,
    int attemptsLeft)
{
    const int index = m_current;
    QNetworkRequest request(apiUrl(path, query));
    request.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    request.setRawHeader("Accept", "application/json");
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    // The bearer token belongs to this server: a redirect elsewhere is refused, not followed
    // with the token (Qt's default policy would replay the header to the new origin).
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::SameOriginRedirectPolicy);
    request.setTransferTimeout(transferTimeoutMs);
    if (m_ssl)
        request.setSslConfiguration(*m_ssl);
    if (hasBody)
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
    QNetworkReply *reply = m_network->sendCustomRequest(request, verb, payload);
    connect(reply, &QNetworkReply::finished, this, [=, this] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray data = reply->readAll();
        const QJsonObject json = QJsonDocument::fromJson(data).object();
        QString networkError;
        if (status != 0) {
            instanceAnswered(index);
            callback(status, json, networkError);
            return;
        }
        networkError = reply->errorString();
        const QNetworkReply::NetworkError code = reply->error();
        // Refused / no such host: the request never reached that instance.
        const bool notSent
            = code == QNetworkReply::ConnectionRefusedError || code == QNetworkReply::HostNotFoundError;
        const bool noAnswer = notSent || code == QNetworkReply::RemoteHostClosedError
            || code == QNetworkReply::TimeoutError || code == QNetworkReply::OperationCanceledError
            || code == QNetworkReply::UnknownNetworkError;
        if (noAnswer && instanceFailed(index, networkError) && attemptsLeft > 0
            && (retry == Retry::Always || notSent)) {
            sendAttempt(
                verb, path, query, payload, hasBody, callback, transferTimeoutMs, retry, attemptsLeft - 1);
            return;
        }
        if (noAnswer && !notSent && retry == Retry::IfNotSent)
            networkError
                += QStringLiteral(" (%1 may have accepted it before it stopped; not sent again: see History)")
                       .arg(hostPort(index));
        callback(status, json, networkError);
    });
}

void RemoteBackend::refreshWorkspace()
{
    m_workspacePending = true;
    sendRequest("GET", QStringLiteral("/api/workspace"), {}, nullptr,
        [this](int status, const QJsonObject &body, const QString &networkError) {
            m_workspacePending = false;
            if (status == 200) {
                QStringList problems;
                Result<Workspace> ws
                    = Workspace::fromJson(QJsonDocument(body).toJson(QJsonDocument::Compact), &problems);
                if (ws) {
                    m_workspace = ws.take();
                    m_hasWorkspace = true;
                    m_workspaceFailed = false;
                    m_workspaceAttempts = 0;
                    updateState();
                    emit workspaceChanged();
                    refreshHealth(); // which instance answered (after a move too)
                    return;
                }
                m_lastError = { ErrorCode::InvalidInput, QStringLiteral("server workspace: ") + ws.error() };
            } else {
                m_lastError = errorOf(status, body, networkError);
            }
            m_workspaceFailed = true;
            updateState();
            emit workspaceFetchFailed(m_lastError);
            // Unreachable or failing servers are retried; a refused token is final.
            if (status != 401 && status != 403 && status != 404) {
                m_workspaceRetry.start(backoffDelay(m_workspaceAttempts++));
            }
        });
}

void RemoteBackend::start(const ExecutionRequest &request, QObject *context, StartCallback callback)
{
    StartReply reply(context, std::move(callback));
    QJsonObject body;
    body.insert(QStringLiteral("inputs"), request.inputs);
    body.insert(QStringLiteral("trigger_type"), toWire(request.triggerType));
    if (!request.triggeredBy.isEmpty())
        body.insert(QStringLiteral("triggered_by"), request.triggeredBy);
    if (!request.rerunOf.isEmpty())
        body.insert(QStringLiteral("rerun_of"), request.rerunOf);
    // The per-run fields of evaluations (tool overrides, execution type, variants, inline agent,
    // cache) as ExecutionRequest::toJson writes them;
    // each only when set. The server refuses `providers` with a 400 naming it.
    const QJsonObject full = request.toJson();
    for (const char *key : { "tool_overrides", "execution_type", "agent_overrides", "agent_spec", "providers",
             "response_cache" })
        if (full.contains(QLatin1String(key)))
            body.insert(QLatin1String(key), full.value(QLatin1String(key)));
    QString path;
    if (!request.agentId.isEmpty()) {
        path = QStringLiteral("/api/agents/%1/test")
                   .arg(QString::fromLatin1(QUrl::toPercentEncoding(request.agentId)));
    } else if (!request.orchestrationId.isEmpty()) {
        path = QStringLiteral("/api/orchestrations/%1/execute")
                   .arg(QString::fromLatin1(QUrl::toPercentEncoding(request.orchestrationId)));
        if (!request.nodeId.isEmpty())
            body.insert(QStringLiteral("node_id"), request.nodeId);
        if (!request.upstream.isEmpty())
            body.insert(QStringLiteral("upstream"), request.upstream);
    } else {
        replyLater(std::move(reply), QString(),
            Error {
                ErrorCode::InvalidInput, QStringLiteral("request: neither an agent nor an orchestration") });
        return;
    }
    // A start is not idempotent: sent again to the next instance only when the first never got it.
    sendRequest(
        "POST", path, {}, &body,
        [this, reply](int status, const QJsonObject &body, const QString &networkError) mutable {
            const QString id = body.value(QLatin1String("execution_id")).toString();
            if ((status == 202 || status == 200) && !id.isEmpty()) {
                m_followed[id].broadcast = true; // its events go to eventsReceived()
                follow(id, 0);
                reply(id, Error { ErrorCode::None, QString() });
                return;
            }
            reply(QString(), errorOf(status, body, networkError));
        },
        30000, Retry::IfNotSent);
}

void RemoteBackend::cancel(const QString &executionId)
{
    if (Stream *s = m_streams.value(executionId); s && s->connected && s->socket)
        s->socket->sendTextMessage(QStringLiteral("{\"type\":\"cancel\"}"));
    sendRequest("POST",
        QStringLiteral("/api/executions/%1/cancel")
            .arg(QString::fromLatin1(QUrl::toPercentEncoding(executionId))),
        {}, nullptr, [this](int status, const QJsonObject &body, const QString &networkError) {
            // 409: it had already finished, which is fine.
            if (status != 202 && status != 200 && status != 409)
                m_lastError = errorOf(status, body, networkError);
        });
}

void RemoteBackend::subscribe(
    const QString &executionId, qint64 afterSeq, QObject *context, EventsCallback callback)
{
    if (executionId.isEmpty() || !context) {
        qWarning("RemoteBackend::subscribe(%s): no execution id or no context", qPrintable(executionId));
        return;
    }
    unsubscribe(executionId, context);
    Followed &f = m_followed[executionId];
    const bool fresh = !m_streams.contains(executionId) && !f.terminal && f.delivered.isEmpty();
    // The first subscriber of a new stream gets everything the stream brings; a later one gets
    // the catch-up from what was delivered, in a later turn, and live events after it.
    const QMetaObject::Connection ends = connect(context, &QObject::destroyed, this,
        [this, executionId, context] { unsubscribe(executionId, context); });
    f.subscribers.append(Subscription { context, std::move(callback), afterSeq, fresh, ends });
    if (!m_streams.contains(executionId) && !f.terminal)
        follow(executionId, afterSeq);
    if (!fresh) {
        QPointer<QObject> guard(context);
        QMetaObject::invokeMethod(
            this, [this, executionId, guard] { deliverCatchUp(executionId, guard); }, Qt::QueuedConnection);
    }
}

void RemoteBackend::deliverCatchUp(const QString &executionId, QObject *context)
{
    auto it = m_followed.find(executionId);
    if (!context || it == m_followed.end())
        return;
    for (Subscription &s : it->subscribers) {
        if (s.context != context || s.caughtUp)
            continue;
        s.caughtUp = true;
        const ExecutionEventList past = newerThan(it->delivered, s.lastSeq);
        if (past.isEmpty())
            return;
        s.lastSeq = qMax(s.lastSeq, past.last().seq);
        const EventsCallback callback = s.callback;
        callback(past);
        return;
    }
}

void RemoteBackend::unsubscribe(const QString &executionId, QObject *context)
{
    auto it = m_followed.find(executionId);
    if (it == m_followed.end())
        return;
    dropSubscription(it->subscribers, context);
    dropFollowedIfIdle(executionId);
}

// A stream nobody listens to any more is closed (runs started here stay followed until they end).
void RemoteBackend::dropFollowedIfIdle(const QString &executionId)
{
    auto it = m_followed.find(executionId);
    if (it == m_followed.end() || !it->subscribers.isEmpty())
        return;
    if (it->broadcast && !it->terminal)
        return;
    m_followed.erase(it);
    if (Stream *s = m_streams.value(executionId)) {
        s->terminal = true;
        finishStream(s);
    }
}

void RemoteBackend::follow(const QString &executionId, qint64 afterSeq)
{
    if (m_streams.contains(executionId))
        return; // already following it: its events keep coming
    auto *s = new Stream;
    s->executionId = executionId;
    s->lastSeq = afterSeq;
    s->ackedSeq = afterSeq;
    s->retry = new QTimer(this);
    s->retry->setSingleShot(true);
    connect(s->retry, &QTimer::timeout, this, [this, s] { openStream(s); });
    m_streams.insert(executionId, s);
    openStream(s);
}

void RemoteBackend::stopStream(const QString &executionId)
{
    if (Stream *s = m_streams.value(executionId)) {
        s->terminal = true;
        finishStream(s);
    }
}

void RemoteBackend::openStream(Stream *s)
{
    if (s->socket) {
        QWebSocket *old = s->socket;
        s->socket = nullptr;
        old->disconnect(this);
        old->abort();
        old->deleteLater();
    }
    const qint64 after = s->lastSeq > 0 ? s->lastSeq : s->unsequencedDelivered;
    QNetworkRequest request(streamUrl(s->executionId, after));
    request.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    auto *socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    socket->setMaxAllowedIncomingMessageSize(64 * 1024 * 1024);
    if (m_ssl)
        socket->setSslConfiguration(*m_ssl);
    s->socket = socket;
    s->urlIndex = m_current;
    s->connected = false;
    s->awaitingPong = false;
    s->unsequencedThisConnection = 0;
    connect(socket, &QWebSocket::connected, this, [this, s, socket] {
        if (s->socket != socket)
            return;
        s->connected = true;
        instanceAnswered(s->urlIndex);
        if (s->everConnected) {
            ++m_reconnects;
            // Behind a load balancer the same URL may now reach another instance.
            refreshHealth();
            emit streamResumed(s->executionId, s->lastSeq > 0 ? s->lastSeq : s->unsequencedDelivered);
        }
        s->everConnected = true;
        updateState();
    });
    connect(socket, &QWebSocket::textMessageReceived, this, [this, s, socket](const QString &text) {
        if (s->socket == socket)
            s->awaitingPong = false;
        onStreamMessage(s, socket, text);
    });
    connect(socket, &QWebSocket::pong, this, [s, socket](quint64, const QByteArray &) {
        if (s->socket == socket)
            s->awaitingPong = false;
    });
    connect(socket, &QWebSocket::stateChanged, this, [this, s, socket](QAbstractSocket::SocketState st) {
        if (st == QAbstractSocket::UnconnectedState)
            onStreamDown(s, socket);
    });
    socket->open(request);
    updateState();
}

void RemoteBackend::onStreamMessage(Stream *s, QWebSocket *socket, const QString &text)
{
    if (s->socket != socket || s->terminal)
        return;
    const QJsonObject o = QJsonDocument::fromJson(text.toUtf8()).object();
    if (o.isEmpty())
        return; // not a JSON object: nothing we can use
    Result<ExecutionEvent> parsed = ExecutionEvent::fromJson(o);
    if (!parsed)
        return;
    ExecutionEvent e = parsed.take();
    if (e.executionId.isEmpty())
        e.executionId = s->executionId;
    if (e.executionId != s->executionId)
        return;
    // A successful message resets the backoff.
    s->attempts = 0;

    if (e.type == ExecutionEvent::Type::Error) {
        // A problem with the subscription itself (unknown execution, no access, bad after_seq):
        // final. Tell the listeners and stop following it.
        // Subscription errors name their own codes (docs/wire-protocol.md): not_found is one.
        const QString streamCode = o.value(QLatin1String("code")).toString();
        m_lastError
            = { streamCode == QLatin1String("not_found") ? ErrorCode::NotFound : ErrorCode::InvalidInput,
                  QStringLiteral("stream %1: %2: %3")
                      .arg(s->executionId, streamCode, o.value(QLatin1String("message")).toString()) };
        if (o.value(QLatin1String("code")).toString() == QLatin1String("bad_message"))
            return; // about one of our messages; the stream goes on
        queueEvent(e);
        s->terminal = true;
        finishStream(s);
        return;
    }
    if (e.seq > 0) {
        if (e.seq <= s->lastSeq)
            return; // already held (replayed after a resume)
        s->lastSeq = e.seq;
    } else {
        // A minimal server (no seq): arrival order, numbered by position; a server that
        // restarted the stream after a reconnect repeats what we already have.
        ++s->unsequencedThisConnection;
        if (s->unsequencedThisConnection <= s->unsequencedDelivered)
            return;
        s->unsequencedDelivered = s->unsequencedThisConnection;
        e.seq = s->unsequencedDelivered;
    }
    if (e.type == ExecutionEvent::Type::Status || e.type == ExecutionEvent::Type::Complete) {
        s->status = e.status;
        updateCounts();
    }
    queueEvent(e);
    if (e.isTerminal()) {
        s->terminal = true;
        // Ack the final seq before closing; the server closes after `complete` anyway.
        if (s->lastSeq > s->ackedSeq && s->connected) {
            s->socket->sendTextMessage(QStringLiteral("{\"type\":\"ack\",\"seq\":%1}").arg(s->lastSeq));
            s->ackedSeq = s->lastSeq;
        }
        finishStream(s);
    }
}

void RemoteBackend::onStreamDown(Stream *s, QWebSocket *socket)
{
    if (s->socket != socket)
        return;
    const bool wasConnected = s->connected;
    s->connected = false;
    if (s->terminal) {
        finishStream(s);
        return;
    }
    // After a drop of a working connection resume at once (that is also what a server that
    // dropped us for lagging asks for); consecutive failures to connect back off.
    // A failed attempt counts against the instance: with several URLs the backend moves on and
    // the stream resumes on the next one at once (moveTo), backing off only while all are down.
    int delay = 0;
    if (wasConnected) {
        s->attempts = 0;
    } else {
        ++s->attempts;
        const bool moved = instanceFailed(s->urlIndex, socket->errorString());
        delay = moved && !allInstancesDown() ? 0 : backoffDelay(s->attempts);
    }
    scheduleReconnect(s, delay);
    updateState();
}

void RemoteBackend::scheduleReconnect(Stream *s, int delayMs)
{
    if (!s->retry->isActive())
        s->retry->start(delayMs);
}

int RemoteBackend::backoffDelay(int attempts) const
{
    qint64 delay = m_initialDelayMs;
    for (int i = 1; i < attempts && delay < m_maxDelayMs; ++i)
        delay *= 2;
    delay = qMin<qint64>(delay, m_maxDelayMs);
    // ±20 % jitter so many clients do not reconnect in lockstep.
    const qint64 jitter = delay / 5;
    if (jitter > 0)
        delay += QRandomGenerator::global()->bounded(2 * jitter + 1) - jitter;
    return int(qMax<qint64>(1, delay));
}

void RemoteBackend::finishStream(Stream *s)
{
    m_streams.remove(s->executionId);
    s->retry->stop();
    s->retry->deleteLater();
    if (QWebSocket *socket = s->socket) {
        s->socket = nullptr;
        socket->disconnect(this);
        if (socket->state() != QAbstractSocket::UnconnectedState)
            socket->close();
        connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
        QTimer::singleShot(5000, socket, &QObject::deleteLater);
    }
    delete s;
    updateCounts();
    updateState();
}

void RemoteBackend::dropConnections()
{
    const auto streams = m_streams.values();
    for (Stream *s : streams)
        if (s->socket && s->socket->state() != QAbstractSocket::UnconnectedState)
            s->socket->abort();
}

void RemoteBackend::queueEvent(const ExecutionEvent &event)
{
    m_pending.append(event);
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

void RemoteBackend::flushEvents()
{
    if (m_pending.isEmpty())
        return;
    const ExecutionEventList batch = std::exchange(m_pending, {});
    deliver(batch);
    // Ack what was consumed, once per burst.
    for (Stream *s : std::as_const(m_streams)) {
        if (s->connected && s->socket && s->lastSeq > s->ackedSeq) {
            s->socket->sendTextMessage(QStringLiteral("{\"type\":\"ack\",\"seq\":%1}").arg(s->lastSeq));
            s->ackedSeq = s->lastSeq;
        }
    }
}

// One burst of stream events: kept for later subscribers' catch-up, given to each caught-up
// subscriber once, and broadcast for the runs started here.
void RemoteBackend::deliver(const ExecutionEventList &batch)
{
    ExecutionEventList broadcast;
    QHash<QString, ExecutionEventList> byExecution;
    for (const ExecutionEvent &e : batch) {
        auto it = m_followed.find(e.executionId);
        if (it == m_followed.end())
            continue;
        it->delivered.append(e);
        if (e.isTerminal() || e.type == ExecutionEvent::Type::Error)
            it->terminal = true;
        if (it->broadcast)
            broadcast.append(e);
        byExecution[e.executionId].append(e);
    }
    if (!broadcast.isEmpty())
        emit eventsReceived(broadcast);
    for (auto b = byExecution.cbegin(); b != byExecution.cend(); ++b) {
        // A callback may subscribe or unsubscribe: walk a copy, update the live entry.
        const QList<Subscription> subscribers = m_followed.value(b.key()).subscribers;
        for (const Subscription &sub : subscribers) {
            if (!sub.caughtUp || sub.context.isNull())
                continue;
            const ExecutionEventList fresh = newerThan(b.value(), sub.lastSeq);
            if (fresh.isEmpty())
                continue;
            for (Subscription &live : m_followed[b.key()].subscribers)
                if (live.context == sub.context)
                    live.lastSeq = qMax(live.lastSeq, fresh.last().seq);
            sub.callback(fresh);
        }
        if (m_followed.value(b.key()).terminal)
            dropFollowedIfIdle(b.key());
    }
}

void RemoteBackend::setState(const QString &state)
{
    if (state == m_state)
        return;
    m_state = state;
    emit connectionStateChanged(state);
}

void RemoteBackend::updateState()
{
    bool reconnecting = false;
    bool failing = false;
    for (const Stream *s : std::as_const(m_streams)) {
        if (s->terminal || s->connected)
            continue;
        reconnecting = true;
        if (s->attempts >= 2)
            failing = true;
    }
    if (m_urls.size() > 1 && allInstancesDown())
        setState(QStringLiteral("disconnected"));
    else if (failing || (m_workspaceFailed && !m_hasWorkspace && m_streams.isEmpty()))
        setState(QStringLiteral("disconnected"));
    else if (reconnecting || m_workspacePending)
        setState(QStringLiteral("connecting"));
    else if (m_workspaceFailed && !m_hasWorkspace)
        setState(QStringLiteral("disconnected"));
    else
        setState(QStringLiteral("connected"));
}

void RemoteBackend::updateCounts()
{
    int running = 0;
    int queued = 0;
    for (const Stream *s : std::as_const(m_streams)) {
        if (s->terminal)
            continue;
        if (s->status == ExecutionStatus::Running)
            ++running;
        else if (s->status == ExecutionStatus::Queued)
            ++queued;
    }
    if (running != m_running || queued != m_queued) {
        m_running = running;
        m_queued = queued;
        emit countsChanged(running, queued);
    }
}

void RemoteBackend::queryHistory(const HistoryQuery &query, QObject *context, HistoryCallback callback)
{
    sendRequest("GET", QStringLiteral("/api/executions"), HistoryQueryCodec::toUrlQuery(query), nullptr,
        [reply = HistoryReply(context, std::move(callback))](
            int status, const QJsonObject &body, const QString &networkError) mutable {
            if (status != 200) {
                reply(HistoryPage(), errorOf(status, body, networkError));
                return;
            }
            HistoryPage page;
            const QJsonArray items = body.value(QLatin1String("items")).toArray();
            for (const QJsonValue &v : items)
                page.items.append(ExecutionRecord::fromJson(v.toObject()));
            page.nextCursor = body.value(QLatin1String("next_cursor")).toString();
            reply(page, Error { ErrorCode::None, QString() });
        });
}

void RemoteBackend::fetchExecution(const QString &executionId, QObject *context, FetchCallback callback)
{
    sendRequest("GET",
        QStringLiteral("/api/executions/%1").arg(QString::fromLatin1(QUrl::toPercentEncoding(executionId))),
        {}, nullptr,
        [reply = FetchReply(context, std::move(callback))](
            int status, const QJsonObject &body, const QString &networkError) mutable {
            if (status != 200) {
                reply(ExecutionRecord(), errorOf(status, body, networkError));
                return;
            }
            reply(ExecutionRecord::fromJson(body), Error { ErrorCode::None, QString() });
        });
}

void RemoteBackend::listTools(QObject *context, ToolsCallback callback)
{
    // Listing starts the server's sources (an MCP server may take a while to come up).
    sendRequest(
        "GET", QStringLiteral("/api/tools"), {}, nullptr,
        [reply = ToolsReply(context, std::move(callback))](
            int status, const QJsonObject &body, const QString &networkError) mutable {
            if (status != 200) {
                reply(QList<ToolSourceStatus>(), errorOf(status, body, networkError));
                return;
            }
            QList<ToolSourceStatus> sources;
            for (const QJsonValue &v : body.value(QLatin1String("sources")).toArray())
                sources.append(ToolSourceStatus::fromJson(v.toObject()));
            reply(sources, Error { ErrorCode::None, QString() });
        },
        120000);
}

void RemoteBackend::callTool(const QString &sourceId, const QString &tool, const QJsonObject &arguments,
    QObject *context, ToolCallCallback callback)
{
    const QJsonObject body { { QStringLiteral("arguments"), arguments } };
    sendRequest(
        "POST",
        QStringLiteral("/api/tools/%1/%2/call")
            .arg(QString::fromLatin1(QUrl::toPercentEncoding(sourceId)),
                QString::fromLatin1(QUrl::toPercentEncoding(tool))),
        {}, &body,
        [reply = ToolCallReply(context, std::move(callback))](
            int status, const QJsonObject &body, const QString &networkError) mutable {
            if (status != 200) {
                reply(ToolResult(), errorOf(status, body, networkError));
                return;
            }
            ToolResult result = ToolResult::fromJson(body.value(QLatin1String("result")).toObject());
            result.latencyMs = body.value(QLatin1String("latency_ms")).toInteger();
            reply(result, Error { ErrorCode::None, QString() });
        },
        // The server ends every call (each source has its own timeout); this only guards
        // against a server that never answers. A call has effects: resent only if never sent.
        15 * 60 * 1000, Retry::IfNotSent);
}
