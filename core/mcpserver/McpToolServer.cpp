#include "core/mcpserver/McpToolServer.h"

#include "core/api/ExecutionBackend.h"
#include "core/common/Util.h"
#include "core/mcpserver/McpToolSchema.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <utility>

// JSON-RPC and MCP codes this side answers with (docs/mcp-server.md, "Errors").
namespace {

constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;

// RFC 5424 order, least severe first: logging/setLevel and notifications/message.
const QStringList &logLevels()
{
    static const QStringList levels { QStringLiteral("debug"), QStringLiteral("info"),
        QStringLiteral("notice"), QStringLiteral("warning"), QStringLiteral("error"),
        QStringLiteral("critical"), QStringLiteral("alert"), QStringLiteral("emergency") };
    return levels;
}

// A request id as a hash key that keeps its JSON type (1 and "1" are two requests).
QString idKey(const QJsonValue &id)
{
    if (id.isString())
        return QStringLiteral("s:") + id.toString();
    return QStringLiteral("n:") + QString::number(id.toDouble(), 'g', 17);
}

QJsonObject errorResponse(const QJsonValue &id, int code, const QString &message)
{
    return QJsonObject { { QStringLiteral("jsonrpc"), QStringLiteral("2.0") },
        { QStringLiteral("id"), id.isUndefined() ? QJsonValue(QJsonValue::Null) : id },
        { QStringLiteral("error"),
            QJsonObject { { QStringLiteral("code"), code }, { QStringLiteral("message"), message } } } };
}

QJsonObject resultResponse(const QJsonValue &id, const QJsonObject &result)
{
    return QJsonObject { { QStringLiteral("jsonrpc"), QStringLiteral("2.0") }, { QStringLiteral("id"), id },
        { QStringLiteral("result"), result } };
}

QJsonObject notification(const QString &method, const QJsonObject &params)
{
    return QJsonObject { { QStringLiteral("jsonrpc"), QStringLiteral("2.0") },
        { QStringLiteral("method"), method }, { QStringLiteral("params"), params } };
}

QJsonObject toolError(const QString &text)
{
    return QJsonObject { { QStringLiteral("content"),
                             QJsonArray { QJsonObject { { QStringLiteral("type"), QStringLiteral("text") },
                                 { QStringLiteral("text"), text } } } },
        { QStringLiteral("isError"), true } };
}

QString statusWord(ExecutionStatus status)
{
    switch (status) {
    case ExecutionStatus::Completed:
        return QStringLiteral("completed");
    case ExecutionStatus::Failed:
        return QStringLiteral("failed");
    case ExecutionStatus::Cancelled:
        return QStringLiteral("cancelled");
    case ExecutionStatus::Interrupted:
        return QStringLiteral("interrupted");
    default:
        return QStringLiteral("running");
    }
}

} // namespace

struct McpToolServer::Private
{
    // One tools/call in flight. The context object owns the backend subscription and the start
    // reply: deleting it ends both (the backend never calls back into a finished call).
    struct Call
    {
        QJsonValue id;
        McpTool tool;
        QJsonValue progressToken; // undefined: the client asked for no progress
        QString executionId; // chosen here, so that a cancel can name it before the start is answered
        bool started = false; // the backend accepted it
        // The subscription, made before the start so that no chunk is missed, was refused
        // because the backend did not know the id yet: subscribe again once started.
        bool resubscribe = false;
        QString text; // the streamed text so far
        qint64 chunks = 0;
        bool cancelled = false; // by notifications/cancelled: no response, no notification
        QObject *context = nullptr; // owned (deleteLater when the call ends)
    };

    McpToolServer *q = nullptr;
    ExecutionBackend *backend = nullptr;
    Workspace workspace;
    Options options;
    Send send;
    QList<McpTool> tools;
    bool initialized = false;
    QString protocolVersion;
    QString clientName;
    int logLevel = 3; // warning until the client sets one
    QHash<QString, Call> calls; // by idKey

    void respond(const QJsonValue &id, const QJsonObject &result)
    {
        send(resultResponse(id, result), id, true);
    }
    void fail(const QJsonValue &id, int code, const QString &message)
    {
        send(errorResponse(id, code, message), id, true);
    }
    void log(const QString &level, const QString &text, const QJsonValue &related);

    void dispatch(const QString &method, const QJsonValue &id, const QJsonObject &params);
    void initialize(const QJsonValue &id, const QJsonObject &params);
    void listTools(const QJsonValue &id, const QJsonObject &params);
    void setLevel(const QJsonValue &id, const QJsonObject &params);
    void callTool(const QJsonValue &id, const QJsonObject &params);
    void startCall(const QString &key);
    void onStarted(const QString &key, const QString &executionId, const Error &error);
    void onEvents(const QString &key, const ExecutionEventList &events);
    void finishCall(const QString &key, const ExecutionEvent &complete);
    void endCall(const QString &key, const QJsonObject *result);
    void cancelled(const QJsonObject &params);
    QJsonObject completedResult(const Call &call, const ExecutionSummary &summary) const;
};

McpToolServer::McpToolServer(
    ExecutionBackend *backend, Workspace workspace, Options options, Send send, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->q = this;
    d->backend = backend;
    d->workspace = std::move(workspace);
    d->options = std::move(options);
    d->send = std::move(send);
    d->tools = mcpschema::toolsOf(d->workspace);
}

McpToolServer::~McpToolServer()
{
    for (Private::Call &call : d->calls) {
        d->backend->cancel(call.executionId);
        delete call.context;
    }
}

void McpToolServer::handle(const QJsonObject &message)
{
    const QJsonValue id = message.value(QLatin1String("id"));
    const QJsonValue method = message.value(QLatin1String("method"));
    const bool hasId = message.contains(QLatin1String("id"));
    if (!method.isString()) {
        // A response (the server sends no requests, so there is none to match) or garbage.
        if (message.contains(QLatin1String("result")) || message.contains(QLatin1String("error")))
            return;
        d->fail(hasId ? id : QJsonValue(), kInvalidRequest, QStringLiteral("invalid request: no method"));
        return;
    }
    if (message.value(QLatin1String("jsonrpc")).toString() != QLatin1String("2.0")) {
        d->fail(hasId ? id : QJsonValue(), kInvalidRequest,
            QStringLiteral("invalid request: jsonrpc must be \"2.0\""));
        return;
    }
    if (hasId && !id.isString() && !id.isDouble()) {
        d->fail(QJsonValue(), kInvalidRequest,
            QStringLiteral("invalid request: id must be a string or a number"));
        return;
    }
    const QJsonValue params = message.value(QLatin1String("params"));
    if (!params.isUndefined() && !params.isObject()) {
        if (hasId)
            d->fail(id, kInvalidParams, QStringLiteral("invalid params: expected an object"));
        return;
    }
    if (!hasId) { // notifications get no answer, whatever they are
        if (method.toString() == QLatin1String("notifications/cancelled"))
            d->cancelled(params.toObject());
        return;
    }
    d->dispatch(method.toString(), id, params.toObject());
}

void McpToolServer::handleParseError(const QString &why)
{
    d->fail(QJsonValue(), kParseError, QStringLiteral("parse error: ") + why);
}

void McpToolServer::handleBatch(const QJsonArray &batch)
{
    const bool allowed = d->initialized && d->protocolVersion < QLatin1String("2025-06-18");
    if (!allowed) {
        d->fail(QJsonValue(), kInvalidRequest,
            d->initialized ? QStringLiteral("invalid request: protocol version %1 has no batches")
                                 .arg(d->protocolVersion)
                           : QStringLiteral("invalid request: initialize must not be batched"));
        return;
    }
    if (batch.isEmpty()) {
        d->fail(QJsonValue(), kInvalidRequest, QStringLiteral("invalid request: empty batch"));
        return;
    }
    for (const QJsonValue &member : batch) {
        if (member.isObject())
            handle(member.toObject());
        else
            d->fail(QJsonValue(), kInvalidRequest,
                QStringLiteral("invalid request: a batch member is not an object"));
    }
}

bool McpToolServer::isInitialized() const
{
    return d->initialized;
}

QString McpToolServer::protocolVersion() const
{
    return d->protocolVersion;
}

QString McpToolServer::clientName() const
{
    return d->clientName;
}

int McpToolServer::runningCalls() const
{
    return int(d->calls.size());
}

QStringList McpToolServer::supportedProtocolVersions()
{
    return { QStringLiteral("2025-11-25"), QStringLiteral("2025-06-18"), QStringLiteral("2025-03-26"),
        QStringLiteral("2024-11-05") };
}

void McpToolServer::Private::dispatch(const QString &method, const QJsonValue &id, const QJsonObject &params)
{
    if (method == QLatin1String("ping")) {
        respond(id, QJsonObject());
        return;
    }
    if (method == QLatin1String("initialize")) {
        initialize(id, params);
        return;
    }
    if (!initialized) {
        fail(id, kInvalidRequest,
            QStringLiteral("not initialized: send initialize first (got %1)").arg(method));
        return;
    }
    if (method == QLatin1String("tools/list"))
        listTools(id, params);
    else if (method == QLatin1String("tools/call"))
        callTool(id, params);
    else if (method == QLatin1String("logging/setLevel"))
        setLevel(id, params);
    else
        fail(id, kMethodNotFound, QStringLiteral("method not found: ") + method);
}

void McpToolServer::Private::initialize(const QJsonValue &id, const QJsonObject &params)
{
    if (initialized) {
        fail(id, kInvalidRequest, QStringLiteral("invalid request: the session is already initialized"));
        return;
    }
    const QJsonValue requested = params.value(QLatin1String("protocolVersion"));
    if (!requested.isString()) {
        fail(id, kInvalidParams, QStringLiteral("initialize: protocolVersion must be a string"));
        return;
    }
    const QStringList supported = supportedProtocolVersions();
    protocolVersion = supported.contains(requested.toString()) ? requested.toString() : supported.first();
    clientName = params.value(QLatin1String("clientInfo")).toObject().value(QLatin1String("name")).toString();
    initialized = true;
    QJsonObject result { { QStringLiteral("protocolVersion"), protocolVersion },
        { QStringLiteral("capabilities"),
            QJsonObject {
                { QStringLiteral("tools"), QJsonObject { { QStringLiteral("listChanged"), false } } },
                { QStringLiteral("logging"), QJsonObject() } } },
        { QStringLiteral("serverInfo"),
            QJsonObject { { QStringLiteral("name"), options.serverName },
                { QStringLiteral("version"), options.serverVersion } } } };
    if (!options.instructions.isEmpty())
        result.insert(QStringLiteral("instructions"), options.instructions);
    respond(id, result);
}

void McpToolServer::Private::listTools(const QJsonValue &id, const QJsonObject &params)
{
    // The cursor is the index of the page's first tool, as decimal text in base64: opaque to
    // clients, valid for this session's (fixed) list only.
    qsizetype first = 0;
    const QJsonValue cursor = params.value(QLatin1String("cursor"));
    if (!cursor.isUndefined() && !cursor.isNull()) {
        bool ok = false;
        first = QByteArray::fromBase64(cursor.toString().toLatin1()).toLongLong(&ok);
        if (!cursor.isString() || !ok || first <= 0 || first >= tools.size()) {
            fail(id, kInvalidParams, QStringLiteral("tools/list: invalid cursor"));
            return;
        }
    }
    const qsizetype page = qMax(1, options.pageSize);
    QJsonArray list;
    for (qsizetype i = first; i < tools.size() && i < first + page; ++i)
        list.append(tools.at(i).definition);
    QJsonObject result { { QStringLiteral("tools"), list } };
    if (first + page < tools.size())
        result.insert(
            QStringLiteral("nextCursor"), QString::fromLatin1(QByteArray::number(first + page).toBase64()));
    respond(id, result);
}

void McpToolServer::Private::setLevel(const QJsonValue &id, const QJsonObject &params)
{
    const qsizetype level = logLevels().indexOf(params.value(QLatin1String("level")).toString());
    if (level < 0) {
        fail(id, kInvalidParams,
            QStringLiteral("logging/setLevel: level must be one of ")
                + logLevels().join(QStringLiteral(", ")));
        return;
    }
    logLevel = int(level);
    respond(id, QJsonObject());
}

void McpToolServer::Private::log(const QString &level, const QString &text, const QJsonValue &related)
{
    if (logLevels().indexOf(level) < logLevel)
        return;
    send(notification(QStringLiteral("notifications/message"),
             QJsonObject { { QStringLiteral("level"), level },
                 { QStringLiteral("logger"), options.serverName }, { QStringLiteral("data"), text } }),
        related, false);
}

void McpToolServer::Private::callTool(const QJsonValue &id, const QJsonObject &params)
{
    const QString name = params.value(QLatin1String("name")).toString();
    const McpTool *tool = nullptr;
    for (const McpTool &t : tools) {
        if (t.name == name) {
            tool = &t;
            break;
        }
    }
    if (!tool) {
        fail(id, kInvalidParams, QStringLiteral("unknown tool: '%1'").arg(name));
        return;
    }
    const QJsonValue arguments = params.value(QLatin1String("arguments"));
    if (!arguments.isUndefined() && !arguments.isNull() && !arguments.isObject()) {
        fail(id, kInvalidParams, QStringLiteral("tools/call: arguments must be an object"));
        return;
    }
    const QString key = idKey(id);
    if (calls.contains(key)) {
        fail(id, kInvalidRequest, QStringLiteral("invalid request: id %1 is already in use").arg(key.mid(2)));
        return;
    }
    QStringList problems;
    const std::optional<QJsonObject> inputs = validateInputs(tool->inputs, arguments.toObject(), &problems);
    if (!inputs) {
        // A tool error, not a protocol error: the model reads it and can correct the call.
        respond(id,
            toolError(QStringLiteral("invalid arguments for tool '%1': %2")
                          .arg(name, problems.join(QStringLiteral("; ")))));
        return;
    }
    Call call;
    call.id = id;
    call.tool = *tool;
    call.progressToken
        = params.value(QLatin1String("_meta")).toObject().value(QLatin1String("progressToken"));
    call.context = new QObject(q);
    call.executionId = as::newId();
    calls.insert(key, call);

    ExecutionRequest request;
    if (tool->isWorkflow())
        request.orchestrationId = tool->orchestrationId;
    else
        request.agentId = tool->agentId;
    // Subscribed before the start: a backend that replays only part of a finished run's events
    // (chunks are not kept) would otherwise lose the chunks of a run that ends at once.
    backend->subscribe(call.executionId, 0, call.context,
        [this, key](const ExecutionEventList &events) { onEvents(key, events); });
    request.executionId = call.executionId;
    request.inputs = *inputs;
    request.triggerType = TriggerType::Mcp;
    request.triggeredBy = options.triggeredBy.isEmpty() && !clientName.isEmpty()
        ? QStringLiteral("mcp:") + clientName
        : options.triggeredBy;
    backend->start(request, call.context,
        [this, key](const QString &executionId, const Error &error) { onStarted(key, executionId, error); });
}

void McpToolServer::Private::onStarted(const QString &key, const QString &executionId, const Error &error)
{
    auto it = calls.find(key);
    if (it == calls.end())
        return;
    if (error.code != ErrorCode::None) {
        const QString text
            = QStringLiteral("tool '%1' could not start: %2").arg(it->tool.name, error.message);
        log(QStringLiteral("error"), text, it->id);
        const QJsonObject result = toolError(text);
        endCall(key, &result);
        return;
    }
    it->executionId = executionId;
    it->started = true;
    log(QStringLiteral("info"),
        QStringLiteral("execution %1 started: tool %2").arg(executionId, it->tool.name), it->id);
    if (std::exchange(it->resubscribe, false))
        backend->subscribe(executionId, 0, it->context,
            [this, key](const ExecutionEventList &events) { onEvents(key, events); });
}

void McpToolServer::Private::onEvents(const QString &key, const ExecutionEventList &events)
{
    for (const ExecutionEvent &e : events) {
        auto it = calls.find(key);
        if (it == calls.end())
            return;
        if (it->cancelled) { // wait silently for the end, then forget the call
            if (e.isTerminal()) {
                endCall(key, nullptr);
                return;
            }
            continue;
        }
        if (e.type == ExecutionEvent::Type::Chunk) {
            it->text += e.content;
            ++it->chunks;
            if (it->progressToken.isUndefined() || it->progressToken.isNull())
                continue;
            // progress = chunks so far (strictly increasing), message = the text so far.
            send(notification(QStringLiteral("notifications/progress"),
                     QJsonObject { { QStringLiteral("progressToken"), it->progressToken },
                         { QStringLiteral("progress"), double(it->chunks) },
                         { QStringLiteral("message"), it->text } }),
                it->id, false);
        } else if (e.type == ExecutionEvent::Type::Complete) {
            finishCall(key, e);
            return;
        } else if (e.type == ExecutionEvent::Type::Error && !it->started) {
            it->resubscribe = true;
        } else if (e.type == ExecutionEvent::Type::Error) {
            const QJsonObject result
                = toolError(QStringLiteral("execution %1: %2").arg(it->executionId, e.errorMessage));
            log(QStringLiteral("error"),
                QStringLiteral("execution %1: %2").arg(it->executionId, e.errorMessage), it->id);
            endCall(key, &result);
            return;
        }
    }
}

QJsonObject McpToolServer::Private::completedResult(const Call &call, const ExecutionSummary &summary) const
{
    const QJsonObject &output = summary.outputData;
    const QString text = call.tool.textField.isEmpty()
        ? QString::fromUtf8(QJsonDocument(output).toJson(QJsonDocument::Compact))
        : output.value(call.tool.textField).toString();
    QJsonObject result { { QStringLiteral("content"),
                             QJsonArray { QJsonObject { { QStringLiteral("type"), QStringLiteral("text") },
                                 { QStringLiteral("text"), text } } } },
        { QStringLiteral("isError"), false } };
    if (call.tool.structured)
        result.insert(QStringLiteral("structuredContent"), output);
    result.insert(QStringLiteral("_meta"),
        QJsonObject { { QStringLiteral("agentstudio/execution_id"), call.executionId } });
    return result;
}

void McpToolServer::Private::finishCall(const QString &key, const ExecutionEvent &complete)
{
    const Call &call = calls[key];
    const ExecutionSummary &summary = *complete.summary;
    if (complete.status == ExecutionStatus::Completed) {
        const QJsonObject result = completedResult(call, summary);
        log(QStringLiteral("info"), QStringLiteral("execution %1 finished: completed").arg(call.executionId),
            call.id);
        endCall(key, &result);
        return;
    }
    const QString word = statusWord(complete.status);
    const QString why = summary.errorMessage.isEmpty() ? complete.errorMessage : summary.errorMessage;
    const QString text = why.isEmpty()
        ? QStringLiteral("execution %1 %2").arg(call.executionId, word)
        : QStringLiteral("execution %1 %2: %3").arg(call.executionId, word, why);
    log(QStringLiteral("error"), text, call.id);
    QJsonObject result = toolError(text);
    result.insert(QStringLiteral("_meta"),
        QJsonObject { { QStringLiteral("agentstudio/execution_id"), call.executionId } });
    endCall(key, &result);
}

void McpToolServer::Private::endCall(const QString &key, const QJsonObject *result)
{
    Call call = calls.take(key);
    backend->unsubscribe(call.executionId, call.context);
    // Later: this may run inside the backend's callback that the context guards.
    call.context->deleteLater();
    if (result && !call.cancelled)
        respond(call.id, *result);
}

void McpToolServer::Private::cancelled(const QJsonObject &params)
{
    const QJsonValue requestId = params.value(QLatin1String("requestId"));
    if (!requestId.isString() && !requestId.isDouble())
        return; // unknown or finished ids are ignored, as the protocol allows
    auto it = calls.find(idKey(requestId));
    if (it == calls.end() || it->cancelled)
        return;
    it->cancelled = true;
    const QString reason = params.value(QLatin1String("reason")).toString();
    log(QStringLiteral("info"),
        QStringLiteral("execution %1 cancelled by the client%2")
            .arg(it->executionId, reason.isEmpty() ? QString() : QStringLiteral(": ") + reason),
        QJsonValue());
    // Queued behind its start on the backend, so it reaches a run whose start is not answered
    // yet too. The call stays until the execution's complete event (the run is recorded as
    // cancelled); nothing more is sent for it.
    backend->cancel(it->executionId);
}
