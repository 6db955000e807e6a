// Operations of agentstudio-server (docs/operations.md): /api/health, /metrics, the metric
// families and the log lines. Part of WorkspaceServer.
#include "core/server/ServerOps.h"

#include "core/server/McpHttpEndpoint.h"
#include "core/server/ServerLog.h"
#include "core/server/WorkspaceServer.h"
#include "core/server/cluster/ClusterNode.h"
#include "core/store/ExecutionStore.h"
#include "core/store/PgStore.h"

#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimer>
#include <QUrlQuery>

#include <atomic>

namespace {

const QString kStarted = QStringLiteral("agentstudio_executions_started_total");
const QString kFinished = QStringLiteral("agentstudio_executions_finished_total");
const QString kDuration = QStringLiteral("agentstudio_execution_duration_seconds");
const QString kWsClients = QStringLiteral("agentstudio_websocket_clients");
const QString kRelayLag = QStringLiteral("agentstudio_event_relay_lag_seconds");
const QString kDbConnections = QStringLiteral("agentstudio_db_connections");
const QString kHttpRequests = QStringLiteral("agentstudio_http_requests_total");
const QString kMcpSessions = QStringLiteral("agentstudio_mcp_sessions");
const QString kInstanceInfo = QStringLiteral("agentstudio_instance_info");

// The route label of /metrics and the request log: a fixed name, never the raw path (which
// carries ids and would make one series per execution).
QString routeName(routes::Route r)
{
    using routes::Route;
    switch (r) {
    case Route::Health:
        return QStringLiteral("health");
    case Route::Workspace:
        return QStringLiteral("workspace");
    case Route::AgentTest:
        return QStringLiteral("agent_test");
    case Route::OrchExecute:
        return QStringLiteral("orchestration_execute");
    case Route::List:
        return QStringLiteral("executions_list");
    case Route::Get:
        return QStringLiteral("execution_get");
    case Route::Cancel:
        return QStringLiteral("execution_cancel");
    case Route::WsPlain:
        return QStringLiteral("execution_stream");
    case Route::Tools:
        return QStringLiteral("tools");
    case Route::ToolCall:
        return QStringLiteral("tool_call");
    case Route::Metrics:
        return QStringLiteral("metrics");
    case Route::Mcp:
        return QStringLiteral("mcp");
    case Route::None:
        break;
    }
    return QStringLiteral("none");
}

QString typeLabel(const ExecutionHeader &h)
{
    return toWire(h.executionType);
}

} // namespace

ServerOpsState::ServerOpsState(QObject *parent)
    : QObject(parent)
{
}

ServerOpsState::~ServerOpsState()
{
    m_thread.quit();
    m_thread.wait();
}

void ServerOpsState::probeDatabase(const QString &uri, int intervalMs)
{
    auto *probe = new DatabaseProbe(uri, intervalMs);
    probe->moveToThread(&m_thread); // before it opens anything: its connection is made there
    connect(&m_thread, &QThread::finished, probe, &QObject::deleteLater);
    connect(probe, &DatabaseProbe::checked, this, [this](bool ok, const QString &why) {
        if (ok != ready)
            qInfo("agentstudio-server: database %s%s",
                ok ? "reachable again" : "unreachable: ", qPrintable(why));
        ready = ok;
        problem = why;
    });
    m_thread.setObjectName(QStringLiteral("health-probe"));
    m_thread.start();
    QMetaObject::invokeMethod(probe, &DatabaseProbe::begin, Qt::QueuedConnection);
}

DatabaseProbe::DatabaseProbe(QString uri, int intervalMs)
    : m_uri(std::move(uri))
    , m_intervalMs(intervalMs)
{
    static std::atomic<int> serial { 0 };
    m_connection = QStringLiteral("agentstudio-health-%1").arg(++serial);
}

DatabaseProbe::~DatabaseProbe()
{
    if (QSqlDatabase::contains(m_connection)) {
        QSqlDatabase::database(m_connection, false).close();
        QSqlDatabase::removeDatabase(m_connection);
    }
}

void DatabaseProbe::begin()
{
    // A libpq URI is split into the driver's fields (QPSQL does not parse one itself); a
    // password missing from it is found by libpq in PGPASSWORD or the password file.
    const QUrl u(m_uri);
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), m_connection);
    if (!u.host().isEmpty())
        db.setHostName(u.host());
    if (u.port() > 0)
        db.setPort(u.port());
    if (u.path().size() > 1)
        db.setDatabaseName(u.path().mid(1));
    if (!u.userName().isEmpty())
        db.setUserName(u.userName());
    if (!u.password().isEmpty())
        db.setPassword(u.password());
    QStringList options;
    bool timeoutGiven = false;
    for (const auto &[key, value] : QUrlQuery(u).queryItems(QUrl::FullyDecoded)) {
        if (key == QLatin1String("host"))
            db.setHostName(value);
        else if (key == QLatin1String("port"))
            db.setPort(value.toInt());
        else if (key == QLatin1String("dbname"))
            db.setDatabaseName(value);
        else if (key == QLatin1String("user"))
            db.setUserName(value);
        else if (key == QLatin1String("password"))
            db.setPassword(value);
        else
            options.append(key + QLatin1Char('=') + value);
        timeoutGiven = timeoutGiven || key == QLatin1String("connect_timeout");
    }
    if (!timeoutGiven)
        options.append(QStringLiteral("connect_timeout=3"));
    options.append(QStringLiteral("application_name=agentstudio-health"));
    db.setConnectOptions(options.join(QLatin1Char(';')));
    auto *timer = new QTimer(this);
    timer->setInterval(m_intervalMs);
    connect(timer, &QTimer::timeout, this, &DatabaseProbe::check);
    timer->start();
    check();
}

void DatabaseProbe::check()
{
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    QString problem;
    if (!db.isOpen() && !db.open()) {
        problem = db.lastError().text();
    } else {
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("SELECT 1")) || !q.next()) {
            problem = q.lastError().text();
            db.close(); // reconnect on the next check
        }
    }
    if (!problem.isEmpty()) {
        const QString pw = QUrl(m_uri).password();
        if (!pw.isEmpty())
            problem.replace(pw, QStringLiteral("***")); // defensive: libpq does not echo it
        problem = QStringLiteral("database %1: %2").arg(PgStore::redactedUri(m_uri), problem.trimmed());
    }
    emit checked(problem.isEmpty(), problem);
}

void WorkspaceServer::setUpOperations()
{
    m_ops = new ServerOpsState(this);
    ServerLog::instance().setInstance(m_instanceName);
    if (m_storeKind == QLatin1String("postgresql"))
        m_ops->probeDatabase(m_options.databasePath, qMax(1000, m_options.heartbeatMs));

    using Type = ServerMetrics::Type;
    m_metrics.declare(
        kStarted, Type::Counter, QStringLiteral("Executions started on this instance, by type."));
    m_metrics.declare(kFinished, Type::Counter,
        QStringLiteral("Executions finished on this instance, by final status and type."));
    m_metrics.declare(kDuration, Type::Histogram,
        QStringLiteral("Run time of finished executions in seconds, by type."),
        { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600 });
    m_metrics.declare(kWsClients, Type::Gauge, QStringLiteral("Open WebSocket stream sessions."));
    m_metrics.declare(kRelayLag, Type::Histogram,
        QStringLiteral("Seconds from an event's commit on another instance to its delivery here."),
        { 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5 });
    m_metrics.declare(
        kDbConnections, Type::Gauge, QStringLiteral("Database connections of this process, by store kind."));
    m_metrics.declare(
        kHttpRequests, Type::Counter, QStringLiteral("HTTP requests answered, by route and status."));
    m_metrics.declare(kMcpSessions, Type::Gauge, QStringLiteral("Open MCP HTTP sessions."));
    m_metrics.declare(kInstanceInfo, Type::Gauge, QStringLiteral("This instance: always 1."));

    m_metrics.setGaugeCallback(kWsClients, [this] {
        return QList<std::pair<ServerMetrics::Labels, double>> { { {}, double(sessionCount()) } };
    });
    m_metrics.setGaugeCallback(kMcpSessions, [this] {
        return QList<std::pair<ServerMetrics::Labels, double>> { { {},
            m_mcp ? double(m_mcp->sessionCount()) : 0.0 } };
    });
    m_metrics.setGaugeCallback(kDbConnections, [] {
        QList<std::pair<ServerMetrics::Labels, double>> out;
        for (const QString &kind : { QStringLiteral("sqlite"), QStringLiteral("postgresql") })
            out.append(
                { { { QStringLiteral("kind"), kind }, { QStringLiteral("state"), QStringLiteral("open") } },
                    double(ExecutionStore::openConnections(kind)) });
        return out;
    });
    m_metrics.set(kInstanceInfo,
        { { QStringLiteral("instance"), m_instanceName }, { QStringLiteral("instance_id"), m_instanceId },
            { QStringLiteral("store"), m_storeKind },
            { QStringLiteral("version"), QStringLiteral(AGENTSTUDIO_VERSION) } },
        1);
    if (m_cluster)
        connect(m_cluster, &ClusterNode::relayLag, this,
            [this](double seconds) { m_metrics.observe(kRelayLag, {}, seconds); });
}

void WorkspaceServer::serveHealth(const HttpServer::Responder &respond)
{
    const bool ready = !m_ops || m_ops->ready;
    QJsonObject o { { QStringLiteral("status"),
                        ready ? QStringLiteral("ok") : QStringLiteral("unavailable") },
        { QStringLiteral("ready"), ready }, { QStringLiteral("store"), m_storeKind },
        { QStringLiteral("instance"), m_instanceName }, { QStringLiteral("instance_id"), m_instanceId },
        { QStringLiteral("version"), QStringLiteral(AGENTSTUDIO_VERSION) } };
    if (!ready)
        o.insert(QStringLiteral("problem"), m_ops->problem);
    respond(HttpResponse::json(ready ? 200 : 503, o));
}

void WorkspaceServer::serveMetrics(const HttpServer::Responder &respond)
{
    HttpResponse r;
    r.status = 200;
    r.contentType = QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8");
    r.body = m_metrics.render();
    respond(r);
}

HttpServer::Responder WorkspaceServer::loggedResponder(
    const HttpRequest &request, const HttpServer::Responder &respond)
{
    QElapsedTimer clock;
    clock.start();
    // The path only: the query may carry values nobody should read in a log.
    const routes::Match match = routes::match(request.method, request.segments);
    const QString route
        = match.outcome == routes::Outcome::Found ? routeName(match.route) : QStringLiteral("none");
    QJsonObject line { { QStringLiteral("method"), QString::fromLatin1(request.method) },
        { QStringLiteral("path"), request.path }, { QStringLiteral("route"), route },
        { QStringLiteral("peer"), request.peerAddress.toString() } };
    return [this, respond, clock, line, route](const HttpResponse &response) {
        QJsonObject l = line;
        l.insert(QStringLiteral("status"), response.status);
        l.insert(QStringLiteral("duration_ms"), double(clock.nsecsElapsed()) / 1e6);
        l.insert(QStringLiteral("bytes"), qint64(response.body.size()));
        m_metrics.increment(kHttpRequests,
            { { QStringLiteral("route"), route },
                { QStringLiteral("status"), QString::number(response.status) } });
        ServerLog::instance().write(QStringLiteral("info"), QStringLiteral("request"), l);
        respond(response);
    };
}

void WorkspaceServer::observeEvent(const ServedWorkspace *served, const ExecutionEvent &event)
{
    if (!m_ops)
        return;
    if (event.type == ExecutionEvent::Type::Status && event.header) {
        // The first status event carries what the execution is: its type labels its counters.
        ServerOpsState::Running r;
        r.header = *event.header;
        r.workspace = served ? served->displayName : QString();
        r.clock.start();
        m_ops->running.insert(event.executionId, r);
        m_metrics.increment(kStarted, { { QStringLiteral("type"), typeLabel(r.header) } });
        return;
    }
    if (event.type != ExecutionEvent::Type::Complete)
        return;
    const auto it = m_ops->running.constFind(event.executionId);
    if (it == m_ops->running.cend())
        return; // not started here (or started before this process)
    const ServerOpsState::Running r = it.value();
    m_ops->running.erase(it);
    const ExecutionSummary &s = *event.summary;
    const QString type = typeLabel(r.header);
    const QString status = toWire(event.status);
    const qint64 ms = s.executionTimeMs > 0 ? s.executionTimeMs : r.clock.elapsed();
    m_metrics.increment(
        kFinished, { { QStringLiteral("status"), status }, { QStringLiteral("type"), type } });
    m_metrics.observe(kDuration, { { QStringLiteral("type"), type } }, double(ms) / 1000.0);

    QJsonObject l { { QStringLiteral("execution_id"), event.executionId },
        { QStringLiteral("workspace"), r.workspace }, { QStringLiteral("status"), status },
        { QStringLiteral("execution_type"), type },
        { QStringLiteral("trigger_type"), toWire(r.header.triggerType) },
        { QStringLiteral("duration_ms"), ms },
        { QStringLiteral("tokens"),
            QJsonObject { { QStringLiteral("input"), s.inputTokens },
                { QStringLiteral("output"), s.outputTokens },
                { QStringLiteral("cached"), s.cachedTokens } } },
        { QStringLiteral("cost_usd"), s.costUsd ? QJsonValue(*s.costUsd) : QJsonValue(QJsonValue::Null) } };
    if (!r.header.agentId.isEmpty())
        l.insert(QStringLiteral("agent"), r.header.agentId);
    if (!r.header.orchestrationId.isEmpty())
        l.insert(QStringLiteral("orchestration"), r.header.orchestrationId);
    if (!s.errorMessage.isEmpty())
        l.insert(QStringLiteral("error_message"), s.errorMessage);
    if (m_options.logInputs)
        l.insert(QStringLiteral("inputs"), r.header.inputData);
    ServerLog::instance().write(
        status == QLatin1String("completed") ? QStringLiteral("info") : QStringLiteral("warning"),
        QStringLiteral("execution"), l);
}
