#include "core/server/WorkspaceServer.h"

#include "core/server/McpHttpEndpoint.h"
#include "core/server/cluster/ClusterNode.h"

#include "core/api/ExecutionBackend.h"
#include "core/api/HistoryQueryCodec.h"
#include "core/common/Util.h"
#include "core/engine/LocalBackend.h"
#include "core/server/StreamMessage.h"
#include "core/server/StreamSession.h"
#include "core/store/ExecutionStore.h"

#include <QFile>
#include <QHostInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSslCertificate>
#include <QSslKey>
#include <QWebSocket>

#include <sys/resource.h>

namespace {

HttpResponse notFound(const QString &what)
{
    return HttpResponse::error(404, QStringLiteral("not_found"), what + QStringLiteral(" not found"));
}

HttpResponse badRequest(const QString &message)
{
    return HttpResponse::error(400, QStringLiteral("bad_request"), message);
}

// Parses a request body that must be a JSON object.
std::optional<QJsonObject> parseBody(const HttpRequest &request, QString *problem)
{
    if (request.body.trimmed().isEmpty()) {
        *problem = QStringLiteral("body: expected a JSON object");
        return std::nullopt;
    }
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &error);
    if (error.error != QJsonParseError::NoError) {
        *problem = QStringLiteral("body: invalid JSON at offset %1: %2")
                       .arg(error.offset)
                       .arg(error.errorString());
        return std::nullopt;
    }
    if (!doc.isObject()) {
        *problem = QStringLiteral("body: expected a JSON object");
        return std::nullopt;
    }
    return doc.object();
}

// An optional string member; a wrong type is a problem naming the field.
bool optionalString(const QJsonObject &o, const QString &key, QString *out, QString *problem)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined() || v.isNull())
        return true;
    if (!v.isString()) {
        *problem = key + QStringLiteral(": expected a string");
        return false;
    }
    *out = v.toString();
    return true;
}

bool optionalObject(const QJsonObject &o, const QString &key, QJsonObject *out, QString *problem)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined() || v.isNull())
        return true;
    if (!v.isObject()) {
        *problem = key + QStringLiteral(": expected an object");
        return false;
    }
    *out = v.toObject();
    return true;
}

// response_cache (docs/response-cache.md): a server keeps recorded answers in its own
// database only; a client never names a file on the server's disk.
bool readResponseCache(const QJsonObject &body, ExecutionRequest *r, QString *problem)
{
    QJsonObject cache;
    if (!optionalObject(body, QStringLiteral("response_cache"), &cache, problem))
        return false;
    if (cache.isEmpty())
        return true;
    const QJsonValue mode = cache.value(QLatin1String("mode"));
    if (!mode.isString() || !cacheModeFromWire(mode.toString())) {
        *problem = QStringLiteral("response_cache.mode: expected one of off, read, write, readwrite");
        return false;
    }
    const QJsonValue file = cache.value(QLatin1String("file"));
    if (!file.isUndefined() && !file.isNull() && !(file.isString() && file.toString().isEmpty())) {
        *problem = QStringLiteral("response_cache.file: a server uses its own database");
        return false;
    }
    const QJsonValue ns = cache.value(QLatin1String("namespace"));
    if (!ns.isUndefined() && !ns.isNull() && !ns.isString()) {
        *problem = QStringLiteral("response_cache.namespace: expected a string");
        return false;
    }
    r->responseCache = ResponseCacheOptions::fromJson(cache);
    return true;
}

// tool_overrides, budget, conversation_of + message (docs/agent-loop.md).
bool readToolFields(const QJsonObject &body, ExecutionRequest *r, QString *problem)
{
    QJsonObject budget;
    if (!optionalObject(body, QStringLiteral("tool_overrides"), &r->toolOverrides, problem)
        || !optionalObject(body, QStringLiteral("budget"), &budget, problem)
        || !optionalString(body, QStringLiteral("conversation_of"), &r->conversationOf, problem)
        || !optionalString(body, QStringLiteral("message"), &r->message, problem))
        return false;
    for (auto it = r->toolOverrides.begin(); it != r->toolOverrides.end(); ++it) {
        *problem = toolOverrideProblem(QStringLiteral("tool_overrides.%1").arg(it.key()), it.value());
        if (!problem->isEmpty())
            return false;
    }
    *problem = ExecutionBudget::parse(budget, &r->budget);
    if (!problem->isEmpty())
        return false;
    if (r->conversationOf.isEmpty() != r->message.isEmpty()) {
        *problem = r->conversationOf.isEmpty() ? QStringLiteral("conversation_of: required with message")
                                               : QStringLiteral("message: required with conversation_of");
        return false;
    }
    return readResponseCache(body, r, problem);
}

// What evaluation requests carry (docs/eval-runs.md): execution_type (only "test" may be
// asked for), agent_overrides, agent_spec (response_cache: readResponseCache).
// Extra providers are refused: the server would send its keys wherever they point.
bool readEvalFields(const QJsonObject &body, ExecutionRequest *r, QString *problem)
{
    if (body.contains(QLatin1String("providers"))) {
        *problem = QStringLiteral("providers: a server runs only its own providers");
        return false;
    }
    QString type;
    if (!optionalString(body, QStringLiteral("execution_type"), &type, problem)
        || !optionalObject(body, QStringLiteral("agent_overrides"), &r->agentOverrides, problem)
        || !optionalObject(body, QStringLiteral("agent_spec"), &r->agentSpec, problem))
        return false;
    if (!type.isEmpty()) {
        if (type != toWire(ExecutionType::Test)) {
            *problem = QStringLiteral("execution_type: only 'test' may be asked for, got '%1'").arg(type);
            return false;
        }
        r->executionType = ExecutionType::Test;
    }
    return true;
}

// The fields both run endpoints take: inputs, trigger_type (checked), triggered_by, rerun_of,
// the tool fields and the evaluation fields.
// Sets *problem (naming the field) and returns false on the first bad one.
bool readRunFields(const QJsonObject &body, ExecutionRequest *r, QJsonObject *inputs, QString *problem)
{
    QString trigger = toWire(TriggerType::Api);
    if (!optionalObject(body, QStringLiteral("inputs"), inputs, problem)
        || !optionalString(body, QStringLiteral("trigger_type"), &trigger, problem)
        || !optionalString(body, QStringLiteral("triggered_by"), &r->triggeredBy, problem)
        || !optionalString(body, QStringLiteral("rerun_of"), &r->rerunOf, problem)
        || !readToolFields(body, r, problem) || !readEvalFields(body, r, problem))
        return false;
    const std::optional<TriggerType> type = fromWire<TriggerType>(trigger);
    if (!type) {
        *problem = QStringLiteral("trigger_type: expected one of %1, got '%2'")
                       .arg(wireNames<TriggerType>().join(QStringLiteral(", ")), trigger);
        return false;
    }
    r->triggerType = *type;
    return true;
}

// The workspace as a client may see it: providers without anything secret-looking.
QJsonObject publicWorkspaceJson(const Workspace &w)
{
    QJsonObject o = w.toJson();
    QJsonObject providers = o.value(QLatin1String("providers")).toObject();
    static const QStringList secretKeys = { QStringLiteral("api_key"), QStringLiteral("apiKey"),
        QStringLiteral("key"), QStringLiteral("secret"), QStringLiteral("password"), QStringLiteral("token"),
        QStringLiteral("authorization"), QStringLiteral("headers") };
    for (auto it = providers.begin(); it != providers.end(); ++it) {
        QJsonObject p = it.value().toObject();
        for (const QString &k : secretKeys)
            p.remove(k);
        if (p.contains(QLatin1String("base_url"))) {
            QUrl url(p.value(QLatin1String("base_url")).toString());
            if (url.isValid() && !url.userInfo().isEmpty()) {
                url.setUserInfo(QString());
                p.insert(QStringLiteral("base_url"), url.toString());
            }
        }
        it.value() = p;
    }
    o.insert(QStringLiteral("providers"), providers);
    return o;
}

// A 500 says nothing about the cause (paths, SQL); the details go to the server log only.
HttpResponse internalError(const QString &detail)
{
    qWarning("agentstudio-server: internal error: %s", qPrintable(detail));
    return HttpResponse::error(
        500, QStringLiteral("internal_error"), QStringLiteral("internal error (see the server log)"));
}

HttpResponse tooMany(const QString &code, const QString &message, int retryAfterSeconds)
{
    HttpResponse r = HttpResponse::error(429, code, message);
    r.headers.append(qMakePair(QByteArray("Retry-After"), QByteArray::number(retryAfterSeconds)));
    return r;
}

// The answer to a failed history read (docs/wire-protocol.md, "Errors"): the code decides the
// status, never the message.
HttpResponse readFailed(const Error &e, const QString &what)
{
    switch (e.code) {
    case ErrorCode::NotFound:
        return HttpResponse::error(
            404, QStringLiteral("not_found"), what + QStringLiteral(" not found"), ErrorCode::NotFound);
    case ErrorCode::InvalidCursor:
        return HttpResponse::error(400, QStringLiteral("bad_request"), QStringLiteral("cursor: ") + e.message,
            ErrorCode::InvalidCursor);
    case ErrorCode::InvalidInput:
        return HttpResponse::error(400, QStringLiteral("bad_request"), e.message, ErrorCode::InvalidInput);
    default:
        return internalError(e.message);
    }
}

} // namespace

WorkspaceServer::WorkspaceServer(QObject *parent)
    : QObject(parent)
{
    m_http = new HttpServer(this);
    m_http->setRequestHandler(
        [this](const HttpRequest &r, const HttpServer::Responder &respond) { handleRequest(r, respond); });
    m_http->setUpgradeHandler([this](const HttpRequest &r) { return checkUpgrade(r); });
    m_http->setPreflight([this](const HttpRequest &r) { return admit(r); });
    connect(m_http, &HttpServer::webSocketConnected, this, &WorkspaceServer::onWebSocket);
    m_evictTimer.setInterval(15000);
    connect(&m_evictTimer, &QTimer::timeout, this,
        [this] { m_hub.evict(as::nowMs(), m_options.retainFinishedMs, m_options.maxRetainedStreams); });
    m_shutdownTimer.setInterval(25);
    connect(&m_shutdownTimer, &QTimer::timeout, this, &WorkspaceServer::checkShutdownProgress);
}

WorkspaceServer::~WorkspaceServer()
{
    // Sessions first (they point into the hub), then the engines (their destructors cancel
    // runs, quit and wait their threads).
    const auto sessions = findChildren<StreamSession *>(Qt::FindDirectChildrenOnly);
    qDeleteAll(sessions);
    for (ServedWorkspace *s : std::as_const(m_served)) {
        delete s->backend;
        delete s;
    }
    m_served.clear();
}

Result<void> WorkspaceServer::start(const ServerOptions &options)
{
    m_options = options;
    // The default connection cap stays below the descriptor limit, with room for the database,
    // the engines and a refused connection's answer; an explicit --max-connections is kept
    // (accepting then pauses on EMFILE and retries).
    struct rlimit files = {};
    if (!options.maxConnectionsGiven && ::getrlimit(RLIMIT_NOFILE, &files) == 0
        && files.rlim_cur != RLIM_INFINITY && files.rlim_cur < rlim_t(m_options.maxConnections) + 64) {
        m_options.maxConnections = qMax(8, int(files.rlim_cur) - 64);
        qInfo("agentstudio-server: at most %d connections (descriptor limit %d)", m_options.maxConnections,
            int(files.rlim_cur));
    }
    Result<TokenTable> tokens = TokenTable::load(options.tokensPath);
    if (!tokens)
        return Failure { QStringLiteral("--tokens ") + tokens.error() };
    m_tokens = tokens.take();

    std::optional<QSslConfiguration> tls;
    if (!options.tlsCertPath.isEmpty()) {
        QFile certFile(options.tlsCertPath);
        if (!certFile.open(QIODevice::ReadOnly))
            return Failure {
                QStringLiteral("--tls-cert %1: %2").arg(options.tlsCertPath, certFile.errorString())
            };
        const QList<QSslCertificate> chain = QSslCertificate::fromData(certFile.readAll(), QSsl::Pem);
        if (chain.isEmpty())
            return Failure { QStringLiteral("--tls-cert %1: no PEM certificate").arg(options.tlsCertPath) };
        QFile keyFile(options.tlsKeyPath);
        if (!keyFile.open(QIODevice::ReadOnly))
            return Failure {
                QStringLiteral("--tls-key %1: %2").arg(options.tlsKeyPath, keyFile.errorString())
            };
        const QByteArray keyPem = keyFile.readAll();
        QSslKey key(keyPem, QSsl::Rsa, QSsl::Pem);
        if (key.isNull())
            key = QSslKey(keyPem, QSsl::Ec, QSsl::Pem);
        if (key.isNull())
            return Failure {
                QStringLiteral("--tls-key %1: no RSA or EC PEM private key").arg(options.tlsKeyPath)
            };
        QSslConfiguration config = QSslConfiguration::defaultConfiguration();
        config.setLocalCertificateChain(chain);
        config.setPrivateKey(key);
        config.setPeerVerifyMode(QSslSocket::VerifyNone);
        tls = config;
    }

    {
        // Open (create, migrate, recover) the database once here, so a bad --db fails at start
        // with a clear message instead of in the engines' threads later. Startup only.
        m_instanceId = as::newId();
        m_instanceName = options.instanceName.isEmpty()
            ? QStringLiteral("%1:%2").arg(QHostInfo::localHostName()).arg(options.port)
            : options.instanceName;
        ExecutionStore::setProcessInstanceId(m_instanceId);
        ExecutionStore probe(options.databasePath);
        m_storeKind = probe.kind();
        if (m_storeKind == QLatin1String("postgresql")) {
            // A new instance id owns no execution yet, so the store's recovery at open (which
            // interrupts the runs of instances whose lease expired) never touches this one's.
            ClusterNode::Settings cs;
            cs.databaseUri = options.databasePath;
            cs.instanceId = m_instanceId;
            cs.instanceName = m_instanceName;
            cs.heartbeatMs = options.heartbeatMs;
            cs.leaseMs = options.leaseMs;
            cs.retainEventsMs = options.retainFinishedMs;
            m_cluster = new ClusterNode(cs, this);
        }
        int recovered = 0;
        const Result<void> opened = probe.open(&recovered);
        if (!opened)
            return Failure { QStringLiteral("--db %1: %2").arg(probe.displayPath(), opened.error()) };
        if (m_cluster) {
            const Result<void> joined = m_cluster->start();
            if (!joined)
                return Failure { QStringLiteral("--db %1: %2").arg(probe.displayPath(), joined.error()) };
            connectCluster();
        }
        if (recovered > 0)
            qInfo("agentstudio-server: %d execution(s) left running by a previous run marked interrupted",
                recovered);
    }

    for (const QString &path : options.workspacePaths) {
        QStringList problems;
        Result<Workspace> ws = Workspace::load(path, &problems);
        if (!ws)
            return Failure { QStringLiteral("--workspace %1: %2").arg(path, ws.error()) };
        auto *served = new ServedWorkspace;
        served->workspace = ws.take();
        const Principal owner { served->workspace.organizationId, served->workspace.workspaceId };
        served->key = owner.workspaceKey();
        served->displayName = owner.displayName();
        for (const ServedWorkspace *other : std::as_const(m_served)) {
            if (other->key == served->key) {
                const QString key = owner.displayName();
                delete served;
                return Failure {
                    QStringLiteral("--workspace %1: workspace %2 is given twice").arg(path, key)
                };
            }
        }
        EngineSettings settings;
        settings.databasePath = options.databasePath;
        settings.concurrency = options.concurrency;
        settings.credentialTrust = CredentialTrust::everything(); // its operator chose these files
        auto *backend = new LocalBackend(served->workspace, settings);
        served->backend = backend;
        m_served.append(served);

        connect(backend, &ExecutionBackend::eventsReceived, this,
            [this, served](const ExecutionEventList &events) { onEvents(served, events); });
    }

    m_mcp = new McpHttpEndpoint(
        [this](const Principal &p) -> std::optional<McpHttpEndpoint::Target> {
            ServedWorkspace *served = servedFor(p);
            if (!served || !served->backend)
                return std::nullopt;
            return McpHttpEndpoint::Target { served->backend, served->workspace };
        },
        m_options, this);
    setUpOperations();

    HttpServer::Limits limits;
    limits.maxBodyBytes = options.maxBodyBytes;
    limits.maxHeaderBytes = options.maxHeaderBytes;
    limits.idleTimeoutMs = options.idleTimeoutMs;
    limits.headTimeoutMs = options.headTimeoutMs;
    limits.bodyTimeoutMs = options.bodyTimeoutMs;
    limits.maxConnections = m_options.maxConnections;
    limits.maxConnectionsPerPeer = options.maxConnectionsPerPeer;
    limits.writeHighWaterBytes = options.writeHighWaterBytes;
    limits.maxPipelined = options.maxPipelined;
    limits.allowedHosts = options.allowedHosts;
    m_http->setLimits(limits);
    QString error;
    if (!m_http->listen(options.listenAddress, options.port, tls, &error))
        return Failure { QStringLiteral("--listen: ") + error };
    m_evictTimer.start();
    return {};
}

quint16 WorkspaceServer::port() const
{
    return m_http->serverPort();
}

QUrl WorkspaceServer::url() const
{
    QUrl u;
    u.setScheme(m_http->isTls() ? QStringLiteral("https") : QStringLiteral("http"));
    QHostAddress a = m_http->serverAddress();
    if (a == QHostAddress::AnyIPv4 || a == QHostAddress::Any)
        a = QHostAddress(QHostAddress::LocalHost);
    else if (a == QHostAddress::AnyIPv6)
        a = QHostAddress(QHostAddress::LocalHostIPv6);
    u.setHost(a.toString());
    u.setPort(m_http->serverPort());
    return u;
}

int WorkspaceServer::sessionCount() const
{
    return int(findChildren<StreamSession *>(Qt::FindDirectChildrenOnly).size());
}

std::optional<Principal> WorkspaceServer::authenticate(const HttpRequest &request) const
{
    // The Authorization header only: a token in the URL (?token=) would end up in access logs,
    // proxies and browser history, so that form is not accepted (docs/server.md).
    return m_tokens.lookup(request.bearerToken());
}

WorkspaceServer::ServedWorkspace *WorkspaceServer::servedFor(const Principal &p)
{
    // The (organization, workspace) pair, never a joined string.
    for (ServedWorkspace *s : std::as_const(m_served))
        if (s->workspace.organizationId == p.organizationId && s->workspace.workspaceId == p.workspaceId)
            return s;
    return nullptr;
}

std::optional<HttpResponse> WorkspaceServer::admit(const HttpRequest &request)
{
    // Route first (404 / 405 do not depend on the token), then authenticate. Runs on the head
    // alone (before 100 Continue and the body) and again, cheaply, before dispatching.
    const routes::Match match = routes::match(request.method, request.segments);
    const QByteArray &allowed = match.allow;
    const Route r = match.route;
    if (match.outcome == routes::Outcome::NotFound)
        return HttpResponse::error(
            404, QStringLiteral("not_found"), QStringLiteral("no such endpoint: %1").arg(request.path));
    const QByteArray &method = request.method;
    if (match.outcome == routes::Outcome::MethodNotAllowed) {
        HttpResponse resp = HttpResponse::error(405, QStringLiteral("method_not_allowed"),
            QStringLiteral("%1 %2: use %3")
                .arg(QString::fromLatin1(method), request.path, QString::fromLatin1(allowed)));
        resp.headers.append(qMakePair(QByteArray("Allow"), allowed));
        return resp;
    }
    if (r == Route::Health || r == Route::Metrics)
        return std::nullopt;
    if (m_shuttingDown) {
        HttpResponse resp = HttpResponse::error(
            503, QStringLiteral("shutting_down"), QStringLiteral("the server is shutting down"));
        resp.closeConnection = true;
        return resp;
    }
    if (!authenticate(request)) {
        HttpResponse resp = HttpResponse::error(401, QStringLiteral("unauthorized"),
            request.bearerToken().isEmpty() ? QStringLiteral("missing bearer token")
                                            : QStringLiteral("invalid token"));
        resp.headers.append(qMakePair(QByteArray("WWW-Authenticate"), QByteArray("Bearer")));
        return resp;
    }
    return std::nullopt;
}

void WorkspaceServer::handleRequest(const HttpRequest &request, const HttpServer::Responder &plainRespond)
{
    const HttpServer::Responder respond = loggedResponder(request, plainRespond);
    if (std::optional<HttpResponse> refusal = admit(request)) {
        respond(*refusal);
        return;
    }
    const routes::Match match = routes::match(request.method, request.segments);
    const Route r = match.route;
    if (r == Route::Health) {
        serveHealth(respond);
        return;
    }
    if (r == Route::Metrics) {
        serveMetrics(respond);
        return;
    }
    const std::optional<Principal> principal = authenticate(request);
    switch (r) {
    case Route::Workspace:
        getWorkspace(*principal, respond);
        break;
    case Route::AgentTest:
        startAgent(*principal, match.id, request, respond);
        break;
    case Route::OrchExecute:
        startOrchestration(*principal, match.id, request, respond);
        break;
    case Route::List:
        listExecutions(*principal, request, respond);
        break;
    case Route::Get:
        getExecution(*principal, match.id, respond);
        break;
    case Route::Cancel:
        cancelExecution(*principal, match.id, respond);
        break;
    case Route::Tools:
        listTools(*principal, respond);
        break;
    case Route::ToolCall:
        callTool(*principal, match.id, match.tool, request, respond);
        break;
    case Route::Mcp:
        serveMcp(request, *principal, respond);
        break;
    case Route::WsPlain:
        respond(HttpResponse::error(
            426, QStringLiteral("upgrade_required"), QStringLiteral("this endpoint is a WebSocket")));
        break;
    default:
        break;
    }
}

void WorkspaceServer::getWorkspace(const Principal &p, const HttpServer::Responder &respond)
{
    ServedWorkspace *served = servedFor(p);
    if (!served) {
        respond(notFound(QStringLiteral("workspace %1").arg(p.displayName())));
        return;
    }
    respond(HttpResponse::json(200, publicWorkspaceJson(served->workspace)));
}

void WorkspaceServer::startAgent(const Principal &p, const QString &agentId, const HttpRequest &request,
    const HttpServer::Responder &respond)
{
    ServedWorkspace *served = servedFor(p);
    const AgentSpec *agent = served ? served->workspace.agent(agentId) : nullptr;
    QString problem;
    const std::optional<QJsonObject> body = parseBody(request, &problem);
    // An inline agent (agent_spec) is not in the workspace; the engine validates it and its
    // inputs, and checks that its id is the one in the path.
    const bool inlineAgent = served && body && body->value(QLatin1String("agent_spec")).isObject();
    if (!agent && !inlineAgent) {
        respond(notFound(QStringLiteral("agent '%1'").arg(agentId)));
        return;
    }
    if (!body) {
        respond(badRequest(problem));
        return;
    }
    ExecutionRequest r;
    r.agentId = agentId;
    QJsonObject inputs;
    if (!readRunFields(*body, &r, &inputs, &problem)) {
        respond(badRequest(problem));
        return;
    }
    // The next turn of a conversation (the message is its input), or an inline agent.
    if (!r.conversationOf.isEmpty() || inlineAgent) {
        r.inputs = inputs;
        r.testMode = TestMode::SingleAgent;
        submit(served, r, respond);
        return;
    }
    QStringList problems;
    const std::optional<QJsonObject> completed = validateInputs(agent->signature.inputs, inputs, &problems);
    if (!completed) {
        HttpResponse resp = HttpResponse::error(422, QStringLiteral("invalid_inputs"),
            QStringLiteral("inputs.") + problems.join(QStringLiteral("; inputs.")));
        respond(resp);
        return;
    }
    r.inputs = *completed;
    r.testMode = TestMode::SingleAgent;
    submit(served, r, respond);
}

void WorkspaceServer::startOrchestration(const Principal &p, const QString &orchestrationId,
    const HttpRequest &request, const HttpServer::Responder &respond)
{
    ServedWorkspace *served = servedFor(p);
    const OrchestrationSpec *orch = served ? served->workspace.orchestration(orchestrationId) : nullptr;
    if (!orch) {
        respond(notFound(QStringLiteral("orchestration '%1'").arg(orchestrationId)));
        return;
    }
    QString problem;
    const std::optional<QJsonObject> body = parseBody(request, &problem);
    if (!body) {
        respond(badRequest(problem));
        return;
    }
    ExecutionRequest r;
    r.orchestrationId = orchestrationId;
    QJsonObject inputs;
    if (!readRunFields(*body, &r, &inputs, &problem)
        || !optionalObject(*body, QStringLiteral("upstream"), &r.upstream, &problem)
        || !optionalString(*body, QStringLiteral("node_id"), &r.nodeId, &problem)) {
        respond(badRequest(problem));
        return;
    }
    if (!r.conversationOf.isEmpty()) {
        respond(badRequest(QStringLiteral("conversation_of: only an agent run can be continued")));
        return;
    }
    if (!r.nodeId.isEmpty()) {
        if (!orch->node(r.nodeId)) {
            respond(HttpResponse::error(422, QStringLiteral("invalid_inputs"),
                QStringLiteral("node_id: unknown node '%1'").arg(r.nodeId)));
            return;
        }
        // The node's own inputs are checked by the engine (it knows which ones edges feed).
        r.inputs = inputs;
        r.testMode = TestMode::NodeInContext;
    } else {
        QStringList problems;
        const std::optional<QJsonObject> completed = validateInputs(orch->inputs, inputs, &problems);
        if (!completed) {
            respond(HttpResponse::error(422, QStringLiteral("invalid_inputs"),
                QStringLiteral("inputs.") + problems.join(QStringLiteral("; inputs."))));
            return;
        }
        r.inputs = *completed;
        r.testMode = TestMode::FullWorkflow;
    }
    submit(served, r, respond);
}

void WorkspaceServer::submit(
    ServedWorkspace *served, ExecutionRequest request, const HttpServer::Responder &respond)
{
    // The per-workspace queue bound: queued and running executions this server started.
    if (served->active.size() >= m_options.maxActivePerWorkspace) {
        respond(tooMany(QStringLiteral("too_many_executions"),
            QStringLiteral("workspace %1 has %2 executions queued or running (the limit); retry later")
                .arg(served->displayName)
                .arg(m_options.maxActivePerWorkspace),
            m_options.retryAfterSeconds));
        return;
    }
    request.executionId = as::newId();
    const QString id = request.executionId;
    served->active.insert(id);
    // Register the stream before the engine can emit its first event.
    m_hub.create(id, served->key);
    served->backend->start(
        request, this, [this, served, id, respond](const QString &startedId, const Error &error) {
            if (error.code != ErrorCode::None) {
                served->active.remove(id);
                if (auto s = m_hub.find(id); s && s->events.isEmpty())
                    m_hub.remove(id);
                respond(HttpResponse::error(422, QStringLiteral("start_failed"),
                    error.message.isEmpty() ? QStringLiteral("start failed") : error.message, error.code));
                return;
            }
            const QString executionId = startedId.isEmpty() ? id : startedId;
            respond(HttpResponse::json(202,
                QJsonObject { { QStringLiteral("execution_id"), executionId },
                    { QStringLiteral("status"), toWire(ExecutionStatus::Queued) } }));
        });
}

void WorkspaceServer::listExecutions(
    const Principal &p, const HttpRequest &request, const HttpServer::Responder &respond)
{
    Result<HistoryQuery> decoded = HistoryQueryCodec::fromUrlQuery(request.query);
    if (!decoded) {
        respond(badRequest(decoded.error()));
        return;
    }
    HistoryQuery q = decoded.take();
    q.organizationId = p.organizationId;
    q.workspaceId = p.workspaceId;
    ServedWorkspace *served = servedFor(p);
    if (!served) {
        // A workspace this server does not serve has no executions here.
        respond(HttpResponse::json(200,
            QJsonObject { { QStringLiteral("items"), QJsonArray() },
                { QStringLiteral("next_cursor"), QJsonValue::Null } }));
        return;
    }
    served->backend->queryHistory(q, this, [respond](const HistoryPage &page, const Error &error) {
        if (error.code != ErrorCode::None) {
            respond(readFailed(error, QStringLiteral("history")));
            return;
        }
        QJsonArray items;
        for (const ExecutionRecord &r : page.items)
            items.append(r.toJson(false));
        respond(HttpResponse::json(200,
            QJsonObject { { QStringLiteral("items"), items },
                { QStringLiteral("next_cursor"),
                    page.nextCursor.isEmpty() ? QJsonValue(QJsonValue::Null)
                                              : QJsonValue(page.nextCursor) } }));
    });
}

void WorkspaceServer::fetchFor(const Principal &p, const QString &id, const FetchCallback &callback)
{
    const Error absent { ErrorCode::NotFound, QStringLiteral("execution %1").arg(id) };
    ServedWorkspace *served = servedFor(p);
    if (!served) {
        callback(nullptr, absent);
        return;
    }
    const Principal principal = p;
    served->backend->fetchExecution(
        id, this, [principal, absent, callback](const ExecutionRecord &record, const Error &error) {
            if (error.code == ErrorCode::NotFound) {
                callback(nullptr, absent);
                return;
            }
            if (error.code != ErrorCode::None) {
                callback(nullptr, error);
                return;
            }
            if (record.id.isEmpty() || record.organizationId != principal.organizationId
                || record.workspaceId != principal.workspaceId) {
                callback(nullptr, absent); // as if absent
                return;
            }
            callback(&record, error);
        });
}

void WorkspaceServer::getExecution(
    const Principal &p, const QString &id, const HttpServer::Responder &respond)
{
    fetchFor(p, id, [respond](const ExecutionRecord *record, const Error &error) {
        if (!record) {
            respond(readFailed(error, error.message));
            return;
        }
        respond(HttpResponse::json(200, record->toJson(true)));
    });
}

void WorkspaceServer::cancelExecution(
    const Principal &p, const QString &id, const HttpServer::Responder &respond)
{
    ServedWorkspace *served = servedFor(p);
    const auto accepted = [id, respond] {
        respond(HttpResponse::json(202,
            QJsonObject { { QStringLiteral("execution_id"), id },
                { QStringLiteral("status"), QStringLiteral("cancelling") } }));
    };
    // Started here and still running: this server's engine cancels it.
    if (auto stream = m_hub.find(id); served && stream && !stream->synthesized
        && stream->workspaceKey == served->key && !stream->terminal && served->active.contains(id)) {
        served->backend->cancel(id);
        accepted();
        return;
    }
    QPointer<WorkspaceServer> self(this);
    fetchFor(p, id, [self, served, id, respond, accepted](const ExecutionRecord *record, const Error &error) {
        if (!self)
            return;
        if (!record) {
            respond(readFailed(error, error.message));
            return;
        }
        if (isTerminal(record->status)) {
            respond(HttpResponse::error(409, QStringLiteral("not_cancellable"),
                QStringLiteral("execution %1 is already %2").arg(id, toWire(record->status))));
            return;
        }
        self->cancelAnywhere(served, id);
        accepted();
    });
}

// This server's engine when it runs the execution, otherwise (several instances) the instance
// recorded as its owner, through the cluster.
void WorkspaceServer::cancelAnywhere(ServedWorkspace *served, const QString &id)
{
    if (!m_cluster || served->active.contains(id)) {
        served->backend->cancel(id);
        return;
    }
    m_cluster->routeCancel(id);
}

void WorkspaceServer::listTools(const Principal &p, const HttpServer::Responder &respond)
{
    ServedWorkspace *served = servedFor(p);
    if (!served) {
        respond(notFound(QStringLiteral("workspace %1").arg(p.displayName())));
        return;
    }
    served->backend->listTools(this, [respond](const QList<ToolSourceStatus> &sources, const Error &error) {
        if (error.code != ErrorCode::None) {
            respond(internalError(error.message));
            return;
        }
        QJsonArray list;
        for (const ToolSourceStatus &s : sources)
            list.append(s.toJson());
        respond(HttpResponse::json(200, QJsonObject { { QStringLiteral("sources"), list } }));
    });
}

void WorkspaceServer::callTool(const Principal &p, const QString &source, const QString &tool,
    const HttpRequest &request, const HttpServer::Responder &respond)
{
    ServedWorkspace *served = servedFor(p);
    if (!served) {
        respond(notFound(QStringLiteral("workspace %1").arg(p.displayName())));
        return;
    }
    QString problem;
    const std::optional<QJsonObject> body = parseBody(request, &problem);
    QJsonObject arguments;
    if (!body || !optionalObject(*body, QStringLiteral("arguments"), &arguments, &problem)) {
        respond(badRequest(problem));
        return;
    }
    served->backend->callTool(
        source, tool, arguments, this, [respond](const ToolResult &result, const Error &error) {
            switch (error.code) {
            case ErrorCode::None:
                respond(HttpResponse::json(200,
                    QJsonObject { { QStringLiteral("result"), result.toJson() },
                        { QStringLiteral("latency_ms"), result.latencyMs } }));
                return;
            case ErrorCode::NotFound:
                respond(HttpResponse::error(
                    404, QStringLiteral("not_found"), error.message, ErrorCode::NotFound));
                return;
            case ErrorCode::InvalidInput:
                respond(HttpResponse::error(
                    422, QStringLiteral("invalid_arguments"), error.message, ErrorCode::InvalidInput));
                return;
            case ErrorCode::Unreachable:
                respond(HttpResponse::error(
                    502, QStringLiteral("tool_source_failed"), error.message, ErrorCode::Unreachable));
                return;
            default:
                respond(internalError(error.message));
            }
        });
}

std::optional<HttpResponse> WorkspaceServer::checkUpgrade(const HttpRequest &request)
{
    if (routes::match(request.method, request.segments).route != Route::WsPlain)
        return HttpResponse::error(
            404, QStringLiteral("not_found"), QStringLiteral("no such endpoint: %1").arg(request.path));
    if (m_shuttingDown)
        return HttpResponse::error(
            503, QStringLiteral("shutting_down"), QStringLiteral("the server is shutting down"));
    // With an allow-list, a browser page from another origin cannot open the stream (a client
    // that sends no Origin, like the app and the runner, is not a browser and is let through).
    const QByteArray origin = request.header("origin");
    if (!m_options.allowedOrigins.isEmpty() && !origin.isEmpty()
        && !m_options.allowedOrigins.contains(QString::fromLatin1(origin)))
        return HttpResponse::error(403, QStringLiteral("forbidden_origin"),
            QStringLiteral("Origin: not in the server's --allowed-origin list"));
    const std::optional<Principal> principal = authenticate(request);
    if (!principal) {
        HttpResponse r = HttpResponse::error(
            401, QStringLiteral("unauthorized"), QStringLiteral("missing or invalid token"));
        r.headers.append(qMakePair(QByteArray("WWW-Authenticate"), QByteArray("Bearer")));
        return r;
    }
    if (m_sessionsPerToken.value(principal->tokenIndex) >= m_options.maxSessionsPerToken)
        return tooMany(QStringLiteral("too_many_sessions"),
            QStringLiteral("this token has %1 streams open (the limit)").arg(m_options.maxSessionsPerToken),
            m_options.retryAfterSeconds);
    return std::nullopt;
}

void WorkspaceServer::onWebSocket(QWebSocket *socket, const HttpRequest &request)
{
    const std::optional<Principal> principal = authenticate(request);
    const QString executionId = request.segments.value(2);
    StreamSession::Limits limits;
    limits.highWaterBytes = m_options.sendHighWaterBytes;
    limits.maxLagEvents = m_options.maxLagEvents;
    limits.ackWindow = m_options.ackWindow;
    limits.maxMessageBytes = m_options.maxMessageBytes;
    limits.maxUnsentBytes = m_options.wsMaxUnsentBytes;
    limits.maxBadMessages = m_options.wsMaxBadMessages;
    auto *session = new StreamSession(socket, principal.value_or(Principal {}), executionId, limits, this);
    if (!principal) { // checked at upgrade time; the table does not change, but be safe
        session->failAndClose(QStringLiteral("unauthorized"), QStringLiteral("invalid token"));
        return;
    }
    // Counted per token from here until the session is gone; a burst of upgrades that all
    // passed the check before any of them got here is cut back to the limit now.
    const int tokenIndex = principal->tokenIndex;
    if (m_sessionsPerToken.value(tokenIndex) >= m_options.maxSessionsPerToken) {
        session->failAndClose(QStringLiteral("too_many_sessions"),
            QStringLiteral("this token has %1 streams open (the limit)").arg(m_options.maxSessionsPerToken));
        return;
    }
    ++m_sessionsPerToken[tokenIndex];
    connect(session, &QObject::destroyed, this, [this, tokenIndex] {
        auto it = m_sessionsPerToken.find(tokenIndex);
        if (it != m_sessionsPerToken.end() && --it.value() <= 0)
            m_sessionsPerToken.erase(it);
    });
    session->onCancelRequested = [this](StreamSession *s) {
        if (ServedWorkspace *served = servedFor(s->principal()))
            cancelAnywhere(served, s->executionId());
    };

    qint64 afterSeq = 0;
    if (request.query.hasQueryItem(QStringLiteral("after_seq"))) {
        const QString text = request.queryValue(QStringLiteral("after_seq"));
        bool ok = false;
        afterSeq = text.toLongLong(&ok);
        if (!ok || afterSeq < 0 || afterSeq > StreamMessage::kMaxSeq) {
            session->failAndClose(QStringLiteral("bad_after_seq"),
                QStringLiteral("after_seq: expected an integer from 0 to %1, got '%2'")
                    .arg(StreamMessage::kMaxSeq)
                    .arg(text.left(64)));
            return;
        }
    }
    if (m_shuttingDown) {
        session->closeForShutdown();
        return;
    }
    ServedWorkspace *served = servedFor(*principal);
    if (auto stream = m_hub.find(executionId)) {
        if (!served || stream->workspaceKey != served->key) {
            session->failAndClose(
                QStringLiteral("not_found"), QStringLiteral("execution %1 not found").arg(executionId));
            return;
        }
        attachWhenReady(session, stream, afterSeq);
        return;
    }
    QPointer<StreamSession> guard(session);
    QPointer<WorkspaceServer> self(this);
    fetchFor(*principal, executionId,
        [self, guard, executionId, afterSeq](const ExecutionRecord *record, const Error &error) {
            if (!self || !guard)
                return;
            if (!record) {
                const bool absent = error.code == ErrorCode::NotFound;
                if (!absent)
                    qWarning("agentstudio-server: internal error: %s", qPrintable(error.message));
                guard->failAndClose(absent ? QStringLiteral("not_found") : QStringLiteral("internal"),
                    absent ? QStringLiteral("execution %1 not found").arg(executionId)
                           : QStringLiteral("internal error (see the server log)"));
                return;
            }
            self->attachStored(guard, *record, afterSeq);
        });
}

// A WebSocket for an execution the hub holds no stream of. With several instances, an
// execution whose events are in execution_events (running on another instance, or finished
// with its rows still kept) is streamed from the relay, with the seqs its instance gave them;
// otherwise its events are rebuilt from the record.
void WorkspaceServer::attachStored(
    QPointer<StreamSession> guard, const ExecutionRecord &record, qint64 afterSeq)
{
    const QString key = guard->principal().workspaceKey();
    const QString id = record.id;
    auto attach = [this, guard, key, id, afterSeq](bool relayed, const ExecutionRecord *stored) {
        if (!guard)
            return;
        // Live events may have arrived while we waited: prefer them.
        std::shared_ptr<ExecutionStream> stream = m_hub.find(id);
        if (!stream && relayed) {
            stream = m_hub.create(id, key);
            m_cluster->follow(id, 0); // the whole stream: later subscribers may resume anywhere
        }
        if (!stream)
            stream = m_hub.adoptSynthesized(ExecutionStreamHub::synthesize(*stored, key));
        attachWhenReady(guard, stream, afterSeq);
    };
    if (!m_cluster) {
        attach(false, &record);
        return;
    }
    if (!isTerminal(record.status)) {
        attach(true, nullptr);
        return;
    }
    const ExecutionRecord kept = record;
    m_cluster->hasEvents(id, this, [attach, kept](bool has) { attach(has, &kept); });
}

// A client resuming on this instance may have seen more of a relayed stream (on another
// instance) than the relay has delivered here yet: it is attached once the stream has caught
// up with its after_seq (or ended), so it is neither refused nor sent anything twice.
void WorkspaceServer::attachWhenReady(
    QPointer<StreamSession> guard, std::shared_ptr<ExecutionStream> stream, qint64 afterSeq)
{
    if (!m_cluster || stream->terminal || stream->synthesized || afterSeq <= stream->lastSeq()) {
        guard->attach(stream, afterSeq);
        return;
    }
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(m_cluster, &ClusterNode::relayedEvents, guard.data(),
        [guard, stream, afterSeq, connection](const QString &id, const ExecutionEventList &) {
            if (id != stream->executionId || !guard || (!stream->terminal && afterSeq > stream->lastSeq()))
                return;
            QObject::disconnect(*connection);
            guard->attach(stream, afterSeq);
        });
}

// Events relayed from other instances feed the streams created by attachStored; cancels
// addressed to this instance reach its engine.
void WorkspaceServer::connectCluster()
{
    connect(m_cluster, &ClusterNode::relayedEvents, this,
        [this](const QString &id, const ExecutionEventList &events) {
            std::shared_ptr<ExecutionStream> stream = m_hub.find(id);
            if (!stream || stream->synthesized) {
                m_cluster->unfollow(id); // evicted meanwhile
                return;
            }
            for (const ExecutionEvent &e : events)
                m_hub.append(stream->workspaceKey, e);
            if (stream->terminal)
                m_cluster->unfollow(id);
            const auto sessions = stream->sessions; // pump may detach
            for (const QPointer<StreamSession> &s : sessions)
                if (s)
                    s->pump();
        });
    connect(m_cluster, &ClusterNode::cancelRequested, this, [this](const QString &id) {
        for (ServedWorkspace *served : std::as_const(m_served))
            if (served->active.contains(id))
                served->backend->cancel(id);
    });
}

void WorkspaceServer::onEvents(ServedWorkspace *served, const ExecutionEventList &events)
{
    QList<std::shared_ptr<ExecutionStream>> touched;
    for (const ExecutionEvent &e : events) {
        if (e.executionId.isEmpty() || e.type == ExecutionEvent::Type::Error)
            continue; // subscription-level errors of the local backend are not stream events
        if (m_eventTap)
            m_eventTap(e);
        observeEvent(served, e);
        auto stream = m_hub.append(served->key, e);
        if (stream && stream->terminal)
            served->active.remove(stream->executionId);
        if (stream && !touched.contains(stream))
            touched.append(stream);
    }
    if (m_cluster)
        m_cluster->publish(served->key, events);
    for (const auto &stream : std::as_const(touched)) {
        const auto sessions = stream->sessions; // pump may detach
        for (const QPointer<StreamSession> &s : sessions)
            if (s)
                s->pump();
    }
}

void WorkspaceServer::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    m_http->stopListening();
    if (m_mcp)
        m_mcp->closeAll();
    for (const auto &stream : m_hub.liveStreams()) {
        for (ServedWorkspace *s : std::as_const(m_served))
            if (s->key == stream->workspaceKey)
                s->backend->cancel(stream->executionId);
    }
    m_shutdownClock.start();
    m_shutdownTimer.start();
    checkShutdownProgress();
}

void WorkspaceServer::checkShutdownProgress()
{
    if (m_shutdownDone)
        return;
    const bool runsDone = m_hub.liveStreams().isEmpty();
    if (!runsDone && m_shutdownClock.elapsed() < m_options.shutdownGraceMs)
        return;
    // Subscribers got their final events (pump closes after `complete`); close the rest.
    if (!m_sessionsClosed) {
        m_sessionsClosed = true;
        m_closeClock.start();
        const auto sessions = findChildren<StreamSession *>(Qt::FindDirectChildrenOnly);
        for (StreamSession *s : sessions)
            s->closeForShutdown();
        m_http->closeAllConnections();
    }
    // Give the close handshakes a moment to flush (at most a second).
    if ((sessionCount() > 0 || m_http->connectionCount() > 0) && m_closeClock.elapsed() < 1000)
        return;
    finishShutdown();
}

void WorkspaceServer::finishShutdown()
{
    m_shutdownDone = true;
    m_shutdownTimer.stop();
    m_evictTimer.stop();
    // The engines' destructors cancel whatever is left, record it, quit and wait their threads.
    for (ServedWorkspace *s : std::as_const(m_served)) {
        delete s->backend;
        s->backend = nullptr;
        delete s;
    }
    m_served.clear();
    if (m_cluster)
        m_cluster->stop(); // deregisters: the others need not wait for the lease
    emit shutdownFinished();
}
