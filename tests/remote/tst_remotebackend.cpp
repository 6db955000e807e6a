// RemoteBackend against the real agentstudio-server binary (start, stream, history, fetch, cancel,
// forced disconnects with resume) and against tiny in-test WebSocket servers speaking a
// minimal protocol (no seq) and a sequenced one that records acks.
#include "core/remote/RemoteBackend.h"
#include "tests/support/BackendReplies.h"
#include "tests/support/ScriptedHttpServer.h"
#include "tests/support/ServerFixture.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>
#include <QUrlQuery>
#include <QWebSocketServer>

using namespace serverfixture;

namespace {

// Collects a backend's events per execution and checks they are gap-free and never doubled.
struct EventLog
{
    QHash<QString, ExecutionEventList> byExecution;
    QString failure;

    void add(const ExecutionEventList &events)
    {
        for (const ExecutionEvent &e : events) {
            ExecutionEventList &list = byExecution[e.executionId];
            const qint64 expected = list.isEmpty() ? list.size() + 1 : list.constLast().seq + 1;
            if (e.type != ExecutionEvent::Type::Error && e.seq != expected && failure.isEmpty())
                failure = QStringLiteral("%1: expected seq %2, got %3")
                              .arg(e.executionId)
                              .arg(expected)
                              .arg(e.seq);
            list.append(e);
        }
    }
    bool complete(const QString &id) const
    {
        const ExecutionEventList list = byExecution.value(id);
        return !list.isEmpty() && list.constLast().type == ExecutionEvent::Type::Complete;
    }
    bool hasError(const QString &id) const
    {
        for (const ExecutionEvent &e : byExecution.value(id))
            if (e.type == ExecutionEvent::Type::Error)
                return true;
        return false;
    }
    QString text(const QString &id) const
    {
        QString t;
        for (const ExecutionEvent &e : byExecution.value(id))
            if (e.type == ExecutionEvent::Type::Chunk)
                t += e.content;
        return t;
    }
    int chunks(const QString &id) const
    {
        int n = 0;
        for (const ExecutionEvent &e : byExecution.value(id))
            n += e.type == ExecutionEvent::Type::Chunk;
        return n;
    }
};

ExecutionRequest agentRequest(const QString &agent, const QString &text)
{
    ExecutionRequest r;
    r.agentId = agent;
    r.inputs = QJsonObject { { QStringLiteral("text"), text } };
    return r;
}

// A stand-in for the Python prototype's FastAPI server: on each connection it streams `chunks` messages
// {"type":"chunk","content","tokens"} and then {"type":"complete","execution_id"} — no seq.
// With dropFirstAfter > 0 the first connection is cut after that many messages, and the next
// one streams again from the start (as the seed does).
class MinimalServer : public QObject
{
public:
    MinimalServer(int chunks, int dropFirstAfter, bool sequenced = false)
        : m_server(QStringLiteral("seed"), QWebSocketServer::NonSecureMode)
        , m_chunks(chunks)
        , m_dropFirstAfter(dropFirstAfter)
        , m_sequenced(sequenced)
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QWebSocketServer::newConnection, this, [this] {
            while (QWebSocket *ws = m_server.nextPendingConnection()) {
                ws->setParent(this);
                ++connections;
                requestUrls.append(ws->requestUrl());
                connect(ws, &QWebSocket::textMessageReceived, this, [this](const QString &m) {
                    received.append(QJsonDocument::fromJson(m.toUtf8()).object());
                });
                const bool drop = connections == 1 && m_dropFirstAfter > 0;
                const qint64 from = m_sequenced
                    ? QUrlQuery(ws->requestUrl()).queryItemValue(QStringLiteral("after_seq")).toLongLong()
                    : 0;
                for (int i = int(from); i < m_chunks; ++i) {
                    if (drop && i == m_dropFirstAfter) {
                        ws->flush();
                        ws->abort();
                        return;
                    }
                    QJsonObject o { { QStringLiteral("type"), QStringLiteral("chunk") },
                        { QStringLiteral("content"), QStringLiteral("w%1 ").arg(i) },
                        { QStringLiteral("tokens"), 1 } };
                    if (m_sequenced) {
                        o.insert(QStringLiteral("seq"), i + 1);
                        o.insert(QStringLiteral("execution_id"), QStringLiteral("seed-1"));
                    }
                    ws->sendTextMessage(QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)));
                }
                QJsonObject done { { QStringLiteral("type"), QStringLiteral("complete") },
                    { QStringLiteral("execution_id"), QStringLiteral("seed-1") } };
                if (m_sequenced)
                    done.insert(QStringLiteral("seq"), m_chunks + 1);
                ws->sendTextMessage(QString::fromUtf8(QJsonDocument(done).toJson(QJsonDocument::Compact)));
            }
        });
    }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort())); }

    int connections = 0;
    QList<QUrl> requestUrls;
    QList<QJsonObject> received;

private:
    QWebSocketServer m_server;
    int m_chunks;
    int m_dropFirstAfter;
    bool m_sequenced;
};

// A loopback TCP proxy whose existing connections can be turned into black holes: bytes stop
// flowing both ways and nothing is closed, as when a peer vanishes (sleep, cable pulled).
class BlackholeProxy : public QObject
{
public:
    explicit BlackholeProxy(quint16 target)
        : m_target(target)
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *client = m_server.nextPendingConnection()) {
                client->setParent(this);
                auto *upstream = new QTcpSocket(this);
                auto dead = std::make_shared<bool>(false);
                m_dead.append(dead);
                upstream->connectToHost(QHostAddress::LocalHost, m_target);
                auto pipe = [dead](QTcpSocket *from, QTcpSocket *to) {
                    if (!*dead && to->state() == QAbstractSocket::ConnectedState)
                        to->write(from->readAll());
                };
                connect(client, &QTcpSocket::readyRead, this, [=] { pipe(client, upstream); });
                connect(upstream, &QTcpSocket::readyRead, this, [=] { pipe(upstream, client); });
                connect(upstream, &QTcpSocket::connected, this, [=] { pipe(client, upstream); });
                connect(client, &QTcpSocket::disconnected, this, [=] {
                    if (!*dead)
                        upstream->disconnectFromHost();
                });
                connect(upstream, &QTcpSocket::disconnected, this, [=] {
                    if (!*dead)
                        client->disconnectFromHost();
                });
            }
        });
    }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort())); }
    void blackholeExisting()
    {
        for (const auto &d : std::as_const(m_dead))
            *d = true;
    }

private:
    QTcpServer m_server;
    quint16 m_target;
    QList<std::shared_ptr<bool>> m_dead;
};

} // namespace

class TestRemoteBackend : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    ServerProcess m_server;

    std::unique_ptr<RemoteBackend> connectedBackend(EventLog *log)
    {
        auto b = std::make_unique<RemoteBackend>(m_server.url, kAlphaToken);
        b->setReconnectDelays(20, 500);
        connect(b.get(), &ExecutionBackend::eventsReceived, this,
            [log](const ExecutionEventList &e) { log->add(e); });
        return b;
    }
    QString startAndWait(RemoteBackend &b, const ExecutionRequest &r)
    {
        const auto [id, error] = ::startAndWait(b, r, 20000);
        return error.code == ErrorCode::None ? id : QString();
    }

private slots:
    void initTestCase()
    {
        qRegisterMetaType<ExecutionEventList>();
        QVERIFY(m_dir.isValid());
        QString error;
        QVERIFY2(m_server.start(m_dir.path(), {}, &error), qPrintable(error));
    }
    void cleanupTestCase() { QCOMPARE(m_server.terminate(), 0); }

    void fetchesWorkspace()
    {
        RemoteBackend b(m_server.url, kAlphaToken);
        QSignalSpy changed(&b, &ExecutionBackend::workspaceChanged);
        QSignalSpy state(&b, &ExecutionBackend::connectionStateChanged);
        QVERIFY(changed.wait(10000));
        QVERIFY(b.hasWorkspace());
        QVERIFY(b.workspace().agent(QStringLiteral("echo")));
        QVERIFY(b.workspace().orchestration(QStringLiteral("pipe")));
        QCOMPARE(b.workspace().workspaceId, QStringLiteral("alpha"));
        QCOMPARE(b.connectionState(), QStringLiteral("connected"));
        QVERIFY(b.displayName().contains(QString::number(m_server.url.port())));
        QVERIFY(!state.isEmpty());
    }

    void badTokenAndUnreachable()
    {
        {
            RemoteBackend b(m_server.url, QStringLiteral("not-the-token-123"));
            QSignalSpy failed(&b, &RemoteBackend::workspaceFetchFailed);
            QVERIFY(failed.wait(10000));
            const Error refused = failed.first().at(0).value<Error>();
            QVERIFY2(refused.message.contains(QLatin1String("401")), qPrintable(refused.message));
            QVERIFY(!refused.message.contains(QLatin1String("not-the-token-123")));
            QCOMPARE(refused.code, ErrorCode::InvalidInput);
            QVERIFY(b.workspaceRefused());
            QCOMPARE(b.connectionState(), QStringLiteral("disconnected"));
        }
        {
            QTcpServer closed; // a port nobody listens on
            QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
            const quint16 port = closed.serverPort();
            closed.close();
            RemoteBackend b(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)), kAlphaToken);
            QSignalSpy failed(&b, &RemoteBackend::workspaceFetchFailed);
            QVERIFY(failed.wait(10000));
            const Error unreachable = failed.first().at(0).value<Error>();
            QVERIFY(unreachable.message.startsWith(QLatin1String("cannot reach server")));
            QCOMPARE(unreachable.code, ErrorCode::Unreachable);
            QVERIFY(!b.workspaceRefused()); // retried
            QCOMPARE(b.connectionState(), QStringLiteral("disconnected"));
        }
    }

    // A server (or whoever answers on its address) redirecting to another origin must not get
    // the bearer token sent there: Qt's default policy would replay the header. Both the
    // workspace fetch (GET) and a start (POST) stop at the redirect.
    void tokenNeverFollowsCrossOriginRedirect()
    {
        ScriptedHttpServer first;
        ScriptedHttpServer second;
        for (const char *path : { "/api/workspace", "/api/agents/a/test" }) {
            ScriptedHttpServer::Response redirect;
            redirect.status = 307;
            redirect.headers = { { "Location", second.url().toString().toUtf8() + path } };
            redirect.transfer = ScriptedHttpServer::Transfer::ContentLength;
            first.enqueue(redirect);
            ScriptedHttpServer::Response elsewhere; // what a follower would get
            elsewhere.status = 404;
            elsewhere.transfer = ScriptedHttpServer::Transfer::ContentLength;
            second.enqueue(elsewhere);
        }
        RemoteBackend b(first.url(), kAlphaToken);
        QSignalSpy failed(&b, &RemoteBackend::workspaceFetchFailed);
        QVERIFY(failed.wait(10000));
        QCOMPARE(failed.first().at(0).value<Error>().message,
            QStringLiteral(
                "server: HTTP 307: a redirect to another origin is not followed (the token stays with "
                "this server)"));
        ExecutionRequest r;
        r.agentId = QStringLiteral("a");
        const Error startFailed = ::startAndWait(b, r).second;
        QVERIFY2(startFailed.message.contains(QLatin1String("307")), qPrintable(startFailed.message));
        QCOMPARE(first.requests.size(), 2);
        QCOMPARE(first.requests.first().headers.value("authorization"), "Bearer " + kAlphaToken.toUtf8());
        for (const ScriptedHttpServer::Request &req : std::as_const(second.requests))
            QVERIFY2(!req.headers.contains("authorization"), req.headers.value("authorization").constData());
        QCOMPARE(second.requests.size(), 0);
    }

    void startStreamFetchAndHistory()
    {
        EventLog log;
        auto b = connectedBackend(&log);
        const QString id
            = startAndWait(*b, agentRequest(QStringLiteral("streamer"), QStringLiteral("remote stream")));
        QVERIFY(!id.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(log.complete(id), 60000);
        QVERIFY2(log.failure.isEmpty(), qPrintable(log.failure));
        QCOMPARE(log.byExecution.value(id).constLast().status, ExecutionStatus::Completed);
        QVERIFY(log.chunks(id) >= 2500);
        QCOMPARE(b->runningCount(), 0);

        const auto fetched = awaitReply<ExecutionRecord>(
            [&](QObject *context, auto cb) { b->fetchExecution(id, context, cb); });
        QVERIFY(fetched);
        const ExecutionRecord record = fetched->first;
        QCOMPARE(record.id, id);
        QCOMPARE(record.status, ExecutionStatus::Completed);
        QString recorded;
        for (const StepRecord &s : record.steps)
            if (s.kind == StepKind::Llm)
                recorded = s.outputData.value(QLatin1String("text")).toString();
        QCOMPARE(log.text(id), recorded);

        HistoryQuery q;
        q.agentId = QStringLiteral("streamer");
        q.statuses = { ExecutionStatus::Completed };
        q.limit = 100;
        const auto history
            = awaitReply<HistoryPage>([&](QObject *context, auto cb) { b->queryHistory(q, context, cb); });
        QVERIFY(history);
        const HistoryPage page = history->first;
        bool found = false;
        for (const ExecutionRecord &r : page.items)
            found |= r.id == id;
        QVERIFY(found);

        const auto failed = awaitReply<ExecutionRecord>([&](QObject *context, auto cb) {
            b->fetchExecution(QStringLiteral("no-such-execution"), context, cb);
        });
        QVERIFY(failed);
        QVERIFY(failed->second.message.contains(QLatin1String("404")));
        QCOMPARE(failed->second.code, ErrorCode::NotFound);
    }

    void startFailures()
    {
        EventLog log;
        auto b = connectedBackend(&log);
        const Error ghost
            = ::startAndWait(*b, agentRequest(QStringLiteral("ghost"), QStringLiteral("x"))).second;
        QVERIFY(ghost.message.contains(QLatin1String("404")));
        QCOMPARE(ghost.code, ErrorCode::NotFound);
        ExecutionRequest bad = agentRequest(QStringLiteral("echo"), QString());
        bad.inputs = QJsonObject { { QStringLiteral("count"), 99 } };
        const Error invalid = ::startAndWait(*b, bad).second;
        QVERIFY(invalid.message.contains(QLatin1String("422")));
        QCOMPARE(invalid.code, ErrorCode::InvalidInput);
    }

    // Forced drops while the execution streams on the server: every event arrives once, in
    // order, and the stream resumes each time.
    void resumesAfterDrops()
    {
        EventLog log;
        auto b = connectedBackend(&log);
        QSignalSpy resumed(b.get(), &RemoteBackend::streamResumed);
        int drops = 0;
        connect(b.get(), &ExecutionBackend::eventsReceived, this, [&](const ExecutionEventList &) {
            if (drops < 40) {
                ++drops;
                b->dropConnections();
            }
        });
        const QString id
            = startAndWait(*b, agentRequest(QStringLiteral("streamer"), QStringLiteral("drops")));
        QVERIFY(!id.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(log.complete(id), 60000);
        QVERIFY2(log.failure.isEmpty(), qPrintable(log.failure));
        QVERIFY2(resumed.size() >= 20, qPrintable(QString::number(resumed.size())));
        QCOMPARE(b->reconnectCount(), int(resumed.size()));
        QVERIFY(log.chunks(id) >= 2500);

        const auto fetched = awaitReply<ExecutionRecord>(
            [&](QObject *context, auto cb) { b->fetchExecution(id, context, cb); });
        QVERIFY(fetched);
        QString recorded;
        for (const StepRecord &s : fetched->first.steps)
            if (s.kind == StepKind::Llm)
                recorded = s.outputData.value(QLatin1String("text")).toString();
        QCOMPARE(log.text(id), recorded);
        QCOMPARE(b->connectionState(), QStringLiteral("connected"));
    }

    void cancelRemote()
    {
        EventLog log;
        auto b = connectedBackend(&log);
        const QString id
            = startAndWait(*b, agentRequest(QStringLiteral("slow"), QStringLiteral("cancel remote")));
        QTRY_VERIFY_WITH_TIMEOUT(log.chunks(id) > 0, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(b->runningCount(), 1, 10000);
        b->cancel(id);
        QTRY_VERIFY_WITH_TIMEOUT(log.complete(id), 20000);
        QCOMPARE(log.byExecution.value(id).constLast().status, ExecutionStatus::Cancelled);
        QTRY_COMPARE(b->runningCount(), 0);
    }

    void subscribeReplayAndErrors()
    {
        EventLog first;
        auto a = connectedBackend(&first);
        const QString id
            = startAndWait(*a, agentRequest(QStringLiteral("echo"), QStringLiteral("replay later")));
        QTRY_VERIFY_WITH_TIMEOUT(first.complete(id), 20000);
        const ExecutionEventList all = first.byExecution.value(id);

        // A second client subscribes afterwards from seq 2.
        EventLog later;
        auto b = connectedBackend(&later);
        later.byExecution[id] = all.mid(0, 2); // it "has" 1 and 2 already
        b->subscribe(id, 2, this, [&later](const ExecutionEventList &e) { later.add(e); });
        QTRY_VERIFY_WITH_TIMEOUT(later.complete(id), 20000);
        QVERIFY2(later.failure.isEmpty(), qPrintable(later.failure));
        QCOMPARE(later.byExecution.value(id).size(), all.size());

        EventLog errors;
        auto c = connectedBackend(&errors);
        c->subscribe(QStringLiteral("no-such-execution"), 0, this,
            [&errors](const ExecutionEventList &e) { errors.add(e); });
        QTRY_VERIFY_WITH_TIMEOUT(errors.hasError(QStringLiteral("no-such-execution")), 10000);
        QCOMPARE(errors.byExecution.value(QStringLiteral("no-such-execution")).constLast().errorWireCode,
            QStringLiteral("not_found"));
        QVERIFY(!c->isSubscribed(QStringLiteral("no-such-execution")));
    }

    // Two subscribers of one execution share one WebSocket; each gets every event once, the
    // later one its catch-up (what the stream delivered before it came) only for itself, and the
    // broadcast carries nothing of an execution this backend did not start.
    void subscriptionsShareOneStream()
    {
        EventLog starter;
        auto a = connectedBackend(&starter);
        const QString id
            = startAndWait(*a, agentRequest(QStringLiteral("streamer"), QStringLiteral("two subscribers")));
        QVERIFY(!id.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(starter.chunks(id) > 0, 20000);

        EventLog broadcast, first, second;
        auto b = connectedBackend(&broadcast);
        QObject one, two;
        b->subscribe(id, 0, &one, [&first](const ExecutionEventList &e) { first.add(e); });
        QTRY_VERIFY_WITH_TIMEOUT(first.byExecution.value(id).size() >= 3, 20000);
        b->subscribe(id, 0, &two, [&second](const ExecutionEventList &e) { second.add(e); });
        QCOMPARE(b->openStreamCount(), 1);
        // The catch-up arrives in a later turn and only for `two`.
        QTRY_VERIFY(!second.byExecution.value(id).isEmpty());
        QCOMPARE(second.byExecution.value(id).constFirst().seq, qint64(1));
        QCOMPARE(b->openStreamCount(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(first.complete(id) && second.complete(id), 60000);
        QVERIFY2(first.failure.isEmpty(), qPrintable(first.failure));
        QVERIFY2(second.failure.isEmpty(), qPrintable(second.failure));
        QTRY_VERIFY_WITH_TIMEOUT(starter.complete(id), 20000);
        QCOMPARE(first.byExecution.value(id).size(), starter.byExecution.value(id).size());
        QCOMPARE(second.byExecution.value(id).size(), starter.byExecution.value(id).size());
        QCOMPARE(broadcast.byExecution.value(id).size(), 0);
        QCOMPARE(b->openStreamCount(), 0); // the stream closes after `complete`
    }

    // Codes reach the client: 404 -> NotFound, a forged cursor -> InvalidCursor (from the
    // server's error_code), connection refused -> Unreachable.
    void errorCodesFromTheServer()
    {
        EventLog log;
        auto b = connectedBackend(&log);
        const auto missing = awaitReply<ExecutionRecord>(
            [&](QObject *c, auto cb) { b->fetchExecution(QStringLiteral("0000-missing"), c, cb); });
        QVERIFY(missing);
        QCOMPARE(missing->second.code, ErrorCode::NotFound);
        HistoryQuery forged;
        forged.cursor = QStringLiteral("not-a-cursor");
        const auto cursor
            = awaitReply<HistoryPage>([&](QObject *c, auto cb) { b->queryHistory(forged, c, cb); });
        QVERIFY(cursor);
        QCOMPARE(cursor->second.code, ErrorCode::InvalidCursor);
        QVERIFY2(cursor->second.message.contains(QLatin1String("400")), qPrintable(cursor->second.message));

        QTcpServer closed; // a port nobody listens on
        QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
        const quint16 port = closed.serverPort();
        closed.close();
        RemoteBackend nowhere(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)), kAlphaToken);
        const auto refused = awaitReply<ExecutionRecord>(
            [&](QObject *c, auto cb) { nowhere.fetchExecution(QStringLiteral("x"), c, cb); });
        QVERIFY(refused);
        QCOMPARE(refused->second.code, ErrorCode::Unreachable);
    }

    // The connection goes silent (no close, no data): the heartbeat notices, the stream is cut
    // and resumed, nothing is lost or doubled, no spinner forever.
    void silentConnectionIsDetected()
    {
        BlackholeProxy proxy(quint16(m_server.url.port()));
        EventLog log;
        RemoteBackend b(proxy.url(), kAlphaToken);
        b.setReconnectDelays(20, 200);
        b.setHeartbeatInterval(200);
        connect(
            &b, &ExecutionBackend::eventsReceived, this, [&log](const ExecutionEventList &e) { log.add(e); });
        QSignalSpy resumed(&b, &RemoteBackend::streamResumed);
        const QString id
            = startAndWait(b, agentRequest(QStringLiteral("streamer"), QStringLiteral("silent")));
        QVERIFY(!id.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(log.chunks(id) >= 100, 20000);
        proxy.blackholeExisting();
        QTRY_VERIFY_WITH_TIMEOUT(log.complete(id), 30000);
        QVERIFY2(log.failure.isEmpty(), qPrintable(log.failure));
        QVERIFY(resumed.size() >= 1);
        QVERIFY(log.chunks(id) >= 2500);
    }

    // The server is killed mid-run and started again on the same port and database: the client
    // shows the connection state, reconnects with backoff, and learns how the run ended
    // (interrupted, recorded by the restarted server's recovery) without doubling anything.
    void serverCrashAndRestart()
    {
        QTemporaryDir dir;
        ServerProcess first;
        QString error;
        QVERIFY2(first.start(dir.path(), {}, &error), qPrintable(error));
        const int port = first.url.port();
        EventLog log;
        RemoteBackend b(first.url, kAlphaToken);
        b.setReconnectDelays(50, 400);
        connect(
            &b, &ExecutionBackend::eventsReceived, this, [&log](const ExecutionEventList &e) { log.add(e); });
        QStringList states;
        connect(&b, &ExecutionBackend::connectionStateChanged, this,
            [&states](const QString &s) { states << s; });
        const QString id = startAndWait(b, agentRequest(QStringLiteral("slow"), QStringLiteral("crash")));
        QVERIFY(!id.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(log.chunks(id) >= 3, 20000);
        first.kill(); // SIGKILL: no graceful shutdown
        QTRY_VERIFY_WITH_TIMEOUT(states.contains(QStringLiteral("disconnected")), 20000);

        ServerProcess second;
        QVERIFY2(second.startRaw(
                     { QStringLiteral("--workspace"), dir.filePath(QStringLiteral("alpha.agents.json")),
                         QStringLiteral("--workspace"), dir.filePath(QStringLiteral("beta.agents.json")),
                         QStringLiteral("--db"), first.dbPath, QStringLiteral("--tokens"),
                         dir.filePath(QStringLiteral("tokens.json")), QStringLiteral("--listen"),
                         QStringLiteral("127.0.0.1:%1").arg(port) },
                     &error),
            qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(log.complete(id), 30000);
        QVERIFY2(log.failure.isEmpty(), qPrintable(log.failure));
        QCOMPARE(log.byExecution.value(id).constLast().status, ExecutionStatus::Interrupted);
        QTRY_COMPARE_WITH_TIMEOUT(b.connectionState(), QStringLiteral("connected"), 10000);
        QCOMPARE(second.terminate(), 0);
    }

    // The minimal protocol: chunk/complete without seq, taken in arrival order.
    void minimalProtocol()
    {
        MinimalServer seed(50, 0);
        EventLog log;
        RemoteBackend b(seed.url(), QStringLiteral("seed-token-123"));
        b.subscribe(QStringLiteral("seed-1"), 0, this, [&log](const ExecutionEventList &e) { log.add(e); });
        QTRY_VERIFY_WITH_TIMEOUT(log.complete(QStringLiteral("seed-1")), 10000);
        QVERIFY2(log.failure.isEmpty(), qPrintable(log.failure));
        const ExecutionEventList events = log.byExecution.value(QStringLiteral("seed-1"));
        QCOMPARE(events.size(), 51);
        QCOMPARE(events.constLast().status, ExecutionStatus::Completed);
        QCOMPARE(log.chunks(QStringLiteral("seed-1")), 50);
        QVERIFY(log.text(QStringLiteral("seed-1")).startsWith(QLatin1String("w0 w1 w2 ")));
        QCOMPARE(seed.connections, 1);
    }

    // A minimal server that drops the first connection and streams again from the start on the
    // next: the client skips what it already has by position.
    void minimalProtocolResume()
    {
        MinimalServer seed(40, 15);
        EventLog log;
        RemoteBackend b(seed.url(), QStringLiteral("seed-token-123"));
        b.setReconnectDelays(10, 100);
        b.subscribe(QStringLiteral("seed-1"), 0, this, [&log](const ExecutionEventList &e) { log.add(e); });
        QTRY_VERIFY_WITH_TIMEOUT(log.complete(QStringLiteral("seed-1")), 10000);
        QVERIFY2(log.failure.isEmpty(), qPrintable(log.failure));
        QCOMPARE(seed.connections, 2);
        QCOMPARE(log.chunks(QStringLiteral("seed-1")), 40);
        QString expected;
        for (int i = 0; i < 40; ++i)
            expected += QStringLiteral("w%1 ").arg(i);
        QCOMPARE(log.text(QStringLiteral("seed-1")), expected);
    }

    // A sequenced server: the client resumes with after_seq and acks what it consumed.
    void sequencedResumeAndAcks()
    {
        MinimalServer server(30, 12, true);
        EventLog log;
        RemoteBackend b(server.url(), QStringLiteral("seed-token-123"));
        b.setReconnectDelays(10, 100);
        b.subscribe(QStringLiteral("seed-1"), 0, this, [&log](const ExecutionEventList &e) { log.add(e); });
        QTRY_VERIFY_WITH_TIMEOUT(log.complete(QStringLiteral("seed-1")), 10000);
        QVERIFY2(log.failure.isEmpty(), qPrintable(log.failure));
        QCOMPARE(server.connections, 2);
        QCOMPARE(QUrlQuery(server.requestUrls.at(1)).queryItemValue(QStringLiteral("after_seq")),
            QStringLiteral("12"));
        QCOMPARE(log.chunks(QStringLiteral("seed-1")), 30);
        auto lastAck = [&server] {
            qint64 last = 0;
            for (const QJsonObject &m : server.received)
                if (m.value(QLatin1String("type")).toString() == QLatin1String("ack"))
                    last = qMax(last, m.value(QLatin1String("seq")).toInteger());
            return last;
        };
        QTRY_COMPARE_WITH_TIMEOUT(lastAck(), qint64(31), 10000);
    }
};

QTEST_GUILESS_MAIN(TestRemoteBackend)
#include "tst_remotebackend.moc"
