#include "core/mcp/McpSource.h"

#include "core/mcp/HttpTransport.h"
#include "core/mcp/JsonRpcSession.h"
#include "core/mcp/StdioTransport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QPointer>
#include <QTimer>
#include <QUrl>

namespace {

// Offered in initialize (the newest), and what this client accepts in the answer: the tool
// wire shapes are the same in all three. Anything else ends the connection (spec: SHOULD).
const QString kOfferedVersion = QStringLiteral("2025-11-25");
const QStringList kAcceptedVersions
    = { QStringLiteral("2025-11-25"), QStringLiteral("2025-06-18"), QStringLiteral("2025-03-26") };
constexpr int kMaxLogLines = 200;
constexpr int kMaxPages = 100;
constexpr int kCrashLogLines = 8; // how many log lines a connection failure quotes

QString describe(const JsonRpcSession::Reply &reply)
{
    if (reply.code)
        return QStringLiteral("%1 (JSON-RPC error %2)").arg(reply.message).arg(*reply.code);
    return reply.message;
}

ToolResult toToolResult(const JsonRpcSession::Reply &reply, const QString &tool)
{
    if (!reply.ok) {
        if (reply.timedOut)
            return ToolResult::fromError(QStringLiteral("MCP tool '%1': %2").arg(tool, reply.message));
        return ToolResult::fromError(describe(reply));
    }
    ToolResult r;
    r.content = reply.result.value(u"content").toArray();
    if (reply.result.contains(u"structuredContent"))
        r.structuredContent = reply.result.value(u"structuredContent");
    r.isError = reply.result.value(u"isError").toBool();
    return r;
}

ToolDefinition toDefinition(const QString &source, const QJsonObject &tool)
{
    ToolDefinition d = ToolDefinition::fromJson(tool);
    d.source = source;
    if (d.title.isEmpty())
        d.title = tool.value(u"annotations").toObject().value(u"title").toString();
    return d;
}

} // namespace

struct McpSource::Private
{
    struct Call
    {
        QString name;
        QJsonObject arguments;
        ToolCallOptions options;
        QPointer<QObject> context;
        bool hasContext = false;
        CallCallback done;
        ProgressCallback progress;
        qint64 rpcId = -1; // -1: waiting for the connection
        QElapsedTimer clock;
    };
    struct ListWaiter
    {
        QPointer<QObject> context;
        bool hasContext = false;
        ListCallback callback;
    };

    McpSource *q;
    ToolSourceSpec spec;
    QString baseDir;
    QPointer<QNetworkAccessManager> network; // not owned
    QString token; // memory only
    Timing timing;

    McpTransport *transport = nullptr; // owned (child of q), one per connection
    JsonRpcSession *session = nullptr; // owned (child of q)
    quint64 generation = 0; // bumped per connection: answers for an older one are dropped
    ToolSourceState state = ToolSourceState::Idle;
    QString error;
    QStringList log;
    QString serverName, serverVersion, protocolVersion;
    QList<ToolDefinition> tools;
    QHash<quint64, Call> calls;
    quint64 nextHandle = 1;
    QList<ListWaiter> listWaiters;
    QTimer *pingTimer = nullptr;
    QTimer *listChangedTimer = nullptr;
    QTimer *logSignalTimer = nullptr; // coalesces statusChanged for log lines

    QString target() const;
    McpTransport *makeTransport(QString *problem);
    void connectNow();
    void initialize(quint64 gen);
    void onInitialized(quint64 gen, const JsonRpcSession::Reply &reply);
    void listPage(quint64 gen, const QString &cursor, QList<ToolDefinition> found, int pages, bool refresh);
    void onListed(const QList<ToolDefinition> &found, bool refresh);
    void onNotification(const QString &method, const QJsonObject &params);
    void lost(const QString &why);
    void teardown(const QString &error);
    void sendCall(quint64 handle);
    void finishCall(quint64 handle, ToolResult result);
    void ping();
    void touch();
    void appendLog(const QString &line);
    static void deliver(const Call &call, const ToolResult &result);
    static void answer(const ListWaiter &waiter, const QList<ToolDefinition> &tools, const QString &error);
};

QString McpSource::Private::target() const
{
    if (transport)
        return transport->target();
    if (!spec.url.isEmpty())
        return HttpTransport::displayUrl(QUrl(spec.url));
    return StdioTransport::commandLine(spec.command, spec.args);
}

McpTransport *McpSource::Private::makeTransport(QString *problem)
{
    if (!spec.url.isEmpty()) {
        const QUrl url(spec.url);
        if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https")) {
            *problem = QStringLiteral("'%1' is not an http or https URL").arg(HttpTransport::displayUrl(url));
            return nullptr;
        }
        auto *http = new HttpTransport(url, network, q);
        http->setBearerToken(token);
        return http;
    }
    if (spec.command.isEmpty()) {
        *problem = QStringLiteral("an mcp source needs a command (stdio) or a url (Streamable HTTP)");
        return nullptr;
    }
    // Relative paths are relative to the workspace file's folder; a bare name is found on PATH.
    const QDir base(baseDir.isEmpty() ? QDir::currentPath() : baseDir);
    QString program = spec.command;
    if (QDir::isRelativePath(program) && program.contains(QLatin1Char('/')))
        program = base.absoluteFilePath(program);
    const QString cwd = spec.cwd.isEmpty() ? base.absolutePath() : base.absoluteFilePath(spec.cwd);
    return new StdioTransport(program, spec.args, spec.env, cwd, timing.shutdownGraceMs, q);
}

void McpSource::Private::connectNow()
{
    teardown(QString());
    const quint64 gen = ++generation;
    state = ToolSourceState::Starting;
    error.clear();
    serverName.clear();
    serverVersion.clear();
    protocolVersion.clear();
    emit q->statusChanged();
    QString problem;
    transport = makeTransport(&problem);
    if (!transport) {
        QTimer::singleShot(0, q, [this, gen, problem] {
            if (gen == generation)
                lost(problem);
        });
        return;
    }
    session = new JsonRpcSession(transport, q);
    QObject::connect(transport, &McpTransport::logged, q, [this](const QString &line) { appendLog(line); });
    QObject::connect(session, &JsonRpcSession::logged, q, [this](const QString &line) { appendLog(line); });
    QObject::connect(transport, &McpTransport::failed, q, [this, gen](const QString &why) {
        if (gen == generation)
            lost(why);
    });
    QObject::connect(transport, &McpTransport::opened, q, [this, gen] { initialize(gen); });
    QObject::connect(session, &JsonRpcSession::notificationReceived, q,
        [this](const QString &method, const QJsonObject &params) { onNotification(method, params); });
    transport->open();
}

void McpSource::Private::initialize(quint64 gen)
{
    if (gen != generation || !session)
        return;
    const QJsonObject params { { QStringLiteral("protocolVersion"), kOfferedVersion },
        { QStringLiteral("capabilities"), QJsonObject() },
        { QStringLiteral("clientInfo"),
            QJsonObject { { QStringLiteral("name"), QStringLiteral("agentstudio") },
                { QStringLiteral("title"), QStringLiteral("Agent Studio") },
                { QStringLiteral("version"), QStringLiteral(AGENTSTUDIO_VERSION) } } } };
    session->request(QStringLiteral("initialize"), params, timing.initializeTimeoutMs,
        [this, gen](const JsonRpcSession::Reply &reply) { onInitialized(gen, reply); });
}

void McpSource::Private::onInitialized(quint64 gen, const JsonRpcSession::Reply &reply)
{
    if (gen != generation)
        return;
    if (!reply.ok) {
        lost(QStringLiteral("initialize failed: ") + describe(reply));
        return;
    }
    const QString version = reply.result.value(u"protocolVersion").toString();
    if (!kAcceptedVersions.contains(version)) {
        lost(
            QStringLiteral("the server answered initialize with protocol version '%1'; this client speaks %2")
                .arg(version, kAcceptedVersions.join(QStringLiteral(", "))));
        return;
    }
    const QJsonObject info = reply.result.value(u"serverInfo").toObject();
    serverName = info.value(u"name").toString();
    serverVersion = info.value(u"version").toString();
    protocolVersion = version;
    transport->setProtocolVersion(version);
    session->notify(QStringLiteral("notifications/initialized"));
    listPage(gen, QString(), {}, 0, false);
}

void McpSource::Private::listPage(
    quint64 gen, const QString &cursor, QList<ToolDefinition> found, int pages, bool refresh)
{
    if (gen != generation || !session)
        return;
    QJsonObject params;
    if (!cursor.isEmpty())
        params.insert(u"cursor", cursor);
    touch();
    session->request(QStringLiteral("tools/list"), params, timing.listTimeoutMs,
        [this, gen, cursor, found, pages, refresh](const JsonRpcSession::Reply &reply) mutable {
            if (gen != generation)
                return;
            if (!reply.ok) {
                const QString why = QStringLiteral("tools/list failed: ") + describe(reply);
                if (refresh)
                    appendLog(why);
                else
                    lost(why);
                return;
            }
            const QJsonArray page = reply.result.value(u"tools").toArray();
            for (const QJsonValue &v : page) {
                const QJsonObject tool = v.toObject();
                // A tool that must run as a task cannot be called plainly: hidden.
                if (tool.value(u"execution").toObject().value(u"taskSupport").toString() == u"required")
                    continue;
                found.append(toDefinition(spec.id, tool));
            }
            const QString next = reply.result.value(u"nextCursor").toString();
            if (next.isEmpty() || next == cursor || pages + 1 >= kMaxPages) {
                if (!next.isEmpty())
                    appendLog(QStringLiteral("tools/list: stopped paging after %1 pages (cursor '%2')")
                                  .arg(pages + 1)
                                  .arg(next));
                onListed(found, refresh);
                return;
            }
            listPage(gen, next, found, pages + 1, refresh);
        });
}

void McpSource::Private::onListed(const QList<ToolDefinition> &found, bool refresh)
{
    tools = found;
    if (!refresh) {
        state = ToolSourceState::Connected;
        error.clear();
    }
    emit q->statusChanged();
    touch();
    QList<quint64> waiting;
    for (auto it = calls.cbegin(); it != calls.cend(); ++it) {
        if (it->rpcId == -1)
            waiting.append(it.key());
    }
    std::sort(waiting.begin(), waiting.end());
    for (const quint64 handle : waiting)
        sendCall(handle);
    for (const ListWaiter &w : std::exchange(listWaiters, {}))
        answer(w, tools, QString());
}

void McpSource::Private::onNotification(const QString &method, const QJsonObject &params)
{
    if (method == u"notifications/tools/list_changed") {
        if (state == ToolSourceState::Connected)
            listChangedTimer->start(timing.listChangedDebounceMs);
    } else if (method == u"notifications/message") {
        const QJsonValue data = params.value(u"data");
        const QString text = data.isString()
            ? data.toString()
            : QString::fromUtf8(QJsonDocument(QJsonArray { data }).toJson(QJsonDocument::Compact))
                  .mid(1)
                  .chopped(1);
        const QString logger = params.value(u"logger").toString();
        QString line = QLatin1Char('[') + params.value(u"level").toString() + QLatin1Char(']');
        if (!logger.isEmpty())
            line += QLatin1Char(' ') + logger;
        appendLog(line + QLatin1Char(' ') + text);
    }
}

void McpSource::Private::lost(const QString &why)
{
    // The last lines of the server's log (its stderr) usually say what went wrong.
    QString message = QStringLiteral("MCP server '%1': %2").arg(spec.id, why);
    if (!log.isEmpty() && spec.url.isEmpty()) {
        message += QStringLiteral("\nlast lines of its log:");
        for (qsizetype i = std::max<qsizetype>(0, log.size() - kCrashLogLines); i < log.size(); ++i)
            message += QStringLiteral("\n  ") + log.at(i);
    }
    state = ToolSourceState::Failed;
    error = message;
    teardown(message);
    QList<quint64> waiting;
    for (auto it = calls.cbegin(); it != calls.cend(); ++it) {
        if (it->rpcId == -1)
            waiting.append(it.key());
    }
    for (const quint64 handle : waiting)
        finishCall(handle, ToolResult::fromError(message));
    for (const ListWaiter &w : std::exchange(listWaiters, {}))
        answer(w, {}, message);
    emit q->statusChanged();
}

void McpSource::Private::teardown(const QString &why)
{
    McpTransport *oldTransport = std::exchange(transport, nullptr);
    JsonRpcSession *oldSession = std::exchange(session, nullptr);
    ++generation;
    pingTimer->stop();
    listChangedTimer->stop();
    if (oldTransport) {
        oldTransport->disconnect(q);
        oldTransport->close();
    }
    if (oldSession) {
        oldSession->disconnect(q);
        oldSession->failAll(why.isEmpty() ? QStringLiteral("the connection was closed") : why);
        oldSession->deleteLater();
    }
    if (oldTransport)
        oldTransport->deleteLater();
}

void McpSource::Private::sendCall(quint64 handle)
{
    const auto it = calls.find(handle);
    if (it == calls.end() || !session)
        return;
    QJsonObject params { { QStringLiteral("name"), it->name } };
    if (!it->arguments.isEmpty())
        params.insert(u"arguments", it->arguments);
    const QString name = it->name;
    touch();
    // A progress callback is always given, so _meta.progressToken is always sent.
    it->rpcId = -2; // sent; the id follows (request() never answers inside itself)
    const qint64 rpcId = session->request(
        QStringLiteral("tools/call"), params, it->options.timeoutMs,
        [this, handle, name](
            const JsonRpcSession::Reply &reply) { finishCall(handle, toToolResult(reply, name)); },
        [this, handle](double progress, std::optional<double> total, const QString &message) {
            const auto c = calls.constFind(handle);
            if (c != calls.cend() && c->progress && (!c->hasContext || c->context))
                c->progress(progress, total, message);
        });
    const auto sent = calls.find(handle);
    if (sent != calls.end())
        sent->rpcId = rpcId;
}

void McpSource::Private::finishCall(quint64 handle, ToolResult result)
{
    const auto it = calls.find(handle);
    if (it == calls.end())
        return;
    const Call call = std::move(*it);
    calls.erase(it);
    result.latencyMs = call.clock.elapsed();
    deliver(call, result);
}

// Callbacks are posted, never run inside an API call; they do not capture the source, so a
// result posted by shutdown() or the destructor still arrives after the source is gone.
void McpSource::Private::deliver(const Call &call, const ToolResult &result)
{
    const CallCallback done = call.done;
    if (!done)
        return;
    if (!call.hasContext)
        QTimer::singleShot(0, [done, result] { done(result); });
    else if (call.context)
        QTimer::singleShot(0, call.context.data(), [done, result] { done(result); });
}

void McpSource::Private::answer(
    const ListWaiter &waiter, const QList<ToolDefinition> &tools, const QString &error)
{
    const ListCallback callback = waiter.callback;
    if (!callback)
        return;
    if (!waiter.hasContext)
        QTimer::singleShot(0, [callback, tools, error] { callback(tools, error); });
    else if (waiter.context)
        QTimer::singleShot(0, waiter.context.data(), [callback, tools, error] { callback(tools, error); });
}

void McpSource::Private::touch()
{
    if (!spec.url.isEmpty() && timing.pingIntervalMs > 0 && state == ToolSourceState::Connected)
        pingTimer->start(timing.pingIntervalMs);
}

// An idle HTTP session is pinged so a server that forgot it (or went away) is noticed, and a
// 404 renews the session before a real call needs it.
void McpSource::Private::ping()
{
    if (state != ToolSourceState::Connected || !session)
        return;
    if (session->pendingCount() > 0) { // not idle
        touch();
        return;
    }
    const quint64 gen = generation;
    session->request(QStringLiteral("ping"), QJsonObject(), timing.pingTimeoutMs,
        [this, gen](const JsonRpcSession::Reply &reply) {
            if (gen != generation)
                return;
            if (reply.ok)
                touch();
            else
                lost(QStringLiteral("ping failed: ") + describe(reply));
        });
}

void McpSource::Private::appendLog(const QString &line)
{
    log.append(line);
    if (log.size() > kMaxLogLines)
        log.remove(0, log.size() - kMaxLogLines);
    if (!logSignalTimer->isActive())
        logSignalTimer->start();
}

McpSource::McpSource(
    const ToolSourceSpec &spec, const QString &baseDir, QNetworkAccessManager *network, QObject *parent)
    : ToolSource(spec.id, parent)
    , d(new Private)
{
    d->q = this;
    d->spec = spec;
    d->baseDir = baseDir;
    d->network = network;
    d->pingTimer = new QTimer(this);
    d->pingTimer->setSingleShot(true);
    connect(d->pingTimer, &QTimer::timeout, this, [this] { d->ping(); });
    d->listChangedTimer = new QTimer(this);
    d->listChangedTimer->setSingleShot(true);
    connect(d->listChangedTimer, &QTimer::timeout, this, [this] {
        if (d->state == ToolSourceState::Connected)
            d->listPage(d->generation, QString(), {}, 0, true);
    });
    d->logSignalTimer = new QTimer(this);
    d->logSignalTimer->setSingleShot(true);
    d->logSignalTimer->setInterval(50);
    connect(d->logSignalTimer, &QTimer::timeout, this, &ToolSource::statusChanged);
}

McpSource::~McpSource()
{
    shutdown();
    delete d;
}

void McpSource::setBearerToken(const QString &token)
{
    d->token = token;
    if (auto *http = qobject_cast<HttpTransport *>(d->transport))
        http->setBearerToken(token);
}

void McpSource::setTiming(const Timing &timing)
{
    d->timing = timing;
}

ToolSourceStatus McpSource::status() const
{
    ToolSourceStatus s;
    s.id = id();
    s.kind = kind();
    s.target = d->target();
    s.state = d->state;
    s.error = d->error;
    s.log = d->log;
    s.serverName = d->serverName;
    s.serverVersion = d->serverVersion;
    s.protocolVersion = d->protocolVersion;
    s.tools = d->tools;
    return s;
}

void McpSource::listTools(QObject *context, ListCallback callback)
{
    const Private::ListWaiter waiter { context, context != nullptr, std::move(callback) };
    if (d->state == ToolSourceState::Connected) {
        Private::answer(waiter, d->tools, QString());
        return;
    }
    d->listWaiters.append(waiter);
    if (d->state != ToolSourceState::Starting)
        d->connectNow();
}

quint64 McpSource::callTool(const QString &name, const QJsonObject &arguments, const ToolCallOptions &options,
    QObject *context, CallCallback done, ProgressCallback progress)
{
    const quint64 handle = d->nextHandle++;
    Private::Call call;
    call.name = name;
    call.arguments = arguments;
    call.options = options;
    call.context = context;
    call.hasContext = context != nullptr;
    call.done = std::move(done);
    call.progress = std::move(progress);
    call.clock.start();
    d->calls.insert(handle, std::move(call));
    if (d->state == ToolSourceState::Connected)
        d->sendCall(handle);
    else if (d->state != ToolSourceState::Starting)
        d->connectNow(); // first use, or a restart after a failure
    return handle;
}

void McpSource::cancel(quint64 handle)
{
    const auto it = d->calls.constFind(handle);
    if (it == d->calls.cend())
        return;
    if (it->rpcId >= 0 && d->session)
        d->session->cancel(it->rpcId, QStringLiteral("cancelled by the user"));
    const QString name = it->name;
    d->finishCall(handle, ToolResult::fromCancel(QStringLiteral("MCP tool '%1' was cancelled").arg(name)));
}

void McpSource::shutdown()
{
    const QList<quint64> handles = d->calls.keys();
    for (const quint64 handle : handles) {
        const auto it = d->calls.constFind(handle);
        if (it->rpcId >= 0 && d->session)
            d->session->cancel(it->rpcId, QStringLiteral("the client is shutting down"));
        d->finishCall(handle, ToolResult::fromCancel(QStringLiteral("the MCP source was shut down")));
    }
    for (const Private::ListWaiter &w : std::exchange(d->listWaiters, {}))
        Private::answer(w, {}, QStringLiteral("the MCP source was shut down"));
    const bool wasActive = d->transport || d->state != ToolSourceState::Idle;
    d->teardown(QStringLiteral("the MCP source was shut down"));
    d->state = ToolSourceState::Idle;
    if (wasActive)
        emit statusChanged();
}
