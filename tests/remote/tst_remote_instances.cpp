// RemoteBackend with several instances of one server (docs/remote-instances.md), against REAL
// agentstudio-server processes on loopback: the instance name read from GET /api/health, the move
// to the next URL when the instance in use is killed mid-stream (the stream resumes there with
// after_seq, new runs and reads go there), a read retried on the next instance, a start that got
// no answer not sent twice, all instances down named in the error, and one URL whose instance
// changes across a reconnect (as behind a load balancer).
#include "core/remote/RemoteBackend.h"
#include "tests/support/BackendReplies.h"
#include "tests/support/PgCluster.h"
#include "tests/support/ServerFixture.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace serverfixture;

namespace {

ExecutionRequest agentRequest(const QString &agent, const QString &text)
{
    ExecutionRequest r;
    r.agentId = agent;
    r.inputs = QJsonObject { { QStringLiteral("text"), text } };
    return r;
}

// Every event a backend delivered for one execution, checked gap-free and never doubled.
struct SeqLog
{
    ExecutionEventList events;
    QString failure;

    void add(const ExecutionEventList &batch)
    {
        for (const ExecutionEvent &e : batch) {
            if (e.type == ExecutionEvent::Type::Error) {
                events.append(e);
                continue;
            }
            const qint64 expected = events.isEmpty() ? 1 : events.constLast().seq + 1;
            if (e.seq != expected && failure.isEmpty())
                failure = QStringLiteral("expected seq %1, got %2").arg(expected).arg(e.seq);
            events.append(e);
        }
    }
    qint64 lastSeq() const { return events.isEmpty() ? 0 : events.constLast().seq; }
    bool has(ExecutionEvent::Type type) const
    {
        for (const ExecutionEvent &e : events)
            if (e.type == type)
                return true;
        return false;
    }
};

// A loopback port with nothing listening (bound, then released).
QUrl deadUrl()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    const quint16 port = probe.serverPort();
    probe.close();
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
}

// Accepts connections, reads the request and closes without answering: a start sent there
// reached "a server" that may have acted on it.
class SilentCloser : public QTcpServer
{
public:
    int requests = 0;
    SilentCloser()
    {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    s->readAll();
                    ++requests;
                    s->abort();
                    s->deleteLater();
                });
            }
        });
        listen(QHostAddress::LocalHost, 0);
    }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(serverPort())); }
};

QString startAndWait(RemoteBackend &b, const ExecutionRequest &request, Error *error = nullptr)
{
    QString id;
    bool done = false;
    QObject context;
    b.start(request, &context, [&](const QString &executionId, const Error &e) {
        id = executionId;
        if (error)
            *error = e;
        done = true;
    });
    QElapsedTimer clock;
    clock.start();
    while (!done && clock.elapsed() < 30000)
        QTest::qWait(10);
    return id;
}

} // namespace

class TestRemoteInstances : public QObject
{
    Q_OBJECT

private slots:
    // GET /api/health on connect: instance (--instance), instance_id, store.
    void instanceNameFromHealth()
    {
        QTemporaryDir dir;
        ServerProcess server;
        QString error;
        QVERIFY2(server.start(dir.path(), { QStringLiteral("--instance"), QStringLiteral("blue") }, &error),
            qPrintable(error));
        RemoteBackend b(server.url, kAlphaToken);
        QSignalSpy changed(&b, &RemoteBackend::instanceChanged);
        QVERIFY(changed.wait(10000));
        QCOMPARE(changed.first().first().toString(), QStringLiteral("blue"));
        QCOMPARE(b.instanceName(), QStringLiteral("blue"));
        QCOMPARE(b.storeKind(), QStringLiteral("sqlite"));
        QVERIFY(!b.instanceId().isEmpty());
        QCOMPARE(server.terminate(), 0);
    }

    // Two instances (each its own SQLite file here: the move mechanics): a run streams from A,
    // A is SIGKILLed, the backend moves to B, the stream reconnects there with after_seq = the
    // last seq it holds, the status names B, and new runs and reads go to B. (A's execution is
    // unknown to B's separate database: B answers not_found, which ends that stream.)
    void movesToTheNextInstanceWhenOneIsKilled()
    {
        QTemporaryDir dirA;
        QTemporaryDir dirB;
        ServerProcess a;
        ServerProcess b;
        QString error;
        QVERIFY2(a.start(dirA.path(), { QStringLiteral("--instance"), QStringLiteral("a") }, &error),
            qPrintable(error));
        QVERIFY2(b.start(dirB.path(), { QStringLiteral("--instance"), QStringLiteral("b") }, &error),
            qPrintable(error));
        RemoteBackend backend(QList<QUrl> { a.url, b.url }, kAlphaToken);
        backend.setReconnectDelays(50, 400);
        QTRY_COMPARE_WITH_TIMEOUT(backend.instanceName(), QStringLiteral("a"), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(backend.hasWorkspace(), 10000);

        SeqLog log;
        connect(&backend, &ExecutionBackend::eventsReceived, this,
            [&log](const ExecutionEventList &e) { log.add(e); });
        QSignalSpy moved(&backend, &RemoteBackend::instanceMoved);
        QSignalSpy resumed(&backend, &RemoteBackend::streamResumed);
        const QString id
            = startAndWait(backend, agentRequest(QStringLiteral("slow"), QStringLiteral("move")));
        QVERIFY(!id.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(log.lastSeq() >= 4, 20000);
        a.kill(); // SIGKILL mid-stream
        QTRY_COMPARE_WITH_TIMEOUT(moved.size(), 1, 10000);
        QCOMPARE(moved.first().at(0).toUrl(), a.url);
        QCOMPARE(moved.first().at(1).toUrl(), b.url);
        QCOMPARE(backend.baseUrl(), b.url);
        QTRY_COMPARE_WITH_TIMEOUT(backend.instanceName(), QStringLiteral("b"), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(resumed.size(), 1, 10000);
        QCOMPARE(resumed.first().at(0).toString(), id);
        const qint64 heldBeforeMove = resumed.first().at(1).toLongLong();
        QVERIFY(heldBeforeMove >= 4);
        QTRY_VERIFY_WITH_TIMEOUT(log.has(ExecutionEvent::Type::Error), 10000); // B: not_found
        QVERIFY2(log.failure.isEmpty(), qPrintable(log.failure));
        QCOMPARE(log.events.at(int(heldBeforeMove) - 1).seq, heldBeforeMove);

        // New runs and reads go to B.
        const QString next
            = startAndWait(backend, agentRequest(QStringLiteral("echo"), QStringLiteral("after")));
        QVERIFY(!next.isEmpty());
        QNetworkAccessManager nam;
        QUrl onB = b.url;
        onB.setPath(QStringLiteral("/api/executions/") + next);
        QCOMPARE(http(nam, "GET", onB, kAlphaToken).status, 200);
        HistoryPage page;
        Error historyError;
        bool listed = false;
        QObject context;
        backend.queryHistory(HistoryQuery(), &context, [&](const HistoryPage &p, const Error &e) {
            page = p;
            historyError = e;
            listed = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(listed, 10000);
        QCOMPARE(historyError.code, ErrorCode::None);
        QVERIFY(std::any_of(
            page.items.cbegin(), page.items.cend(), [&](const ExecutionRecord &r) { return r.id == next; }));
        QCOMPARE(backend.connectionState(), QStringLiteral("connected"));
        QCOMPARE(b.terminate(), 0);
    }

    // The first URL refuses connections: the workspace, health, a history read and a start
    // (refused = it never arrived) are all sent to the second.
    void requestsRetriedOnTheNextInstance()
    {
        QTemporaryDir dir;
        ServerProcess b;
        QString error;
        QVERIFY2(b.start(dir.path(), { QStringLiteral("--instance"), QStringLiteral("b") }, &error),
            qPrintable(error));
        const QUrl dead = deadUrl();
        RemoteBackend backend(QList<QUrl> { dead, b.url }, kAlphaToken);
        QTRY_VERIFY_WITH_TIMEOUT(backend.hasWorkspace(), 10000);
        QCOMPARE(backend.baseUrl(), b.url);
        QTRY_COMPARE_WITH_TIMEOUT(backend.instanceName(), QStringLiteral("b"), 10000);
        QCOMPARE(backend.moveCount(), 1);
        const QString id = startAndWait(backend, agentRequest(QStringLiteral("echo"), QStringLiteral("x")));
        QVERIFY(!id.isEmpty());
        QCOMPARE(b.terminate(), 0);
    }

    // A start whose connection was taken and closed without an answer may have been acted on:
    // it is not sent to the next instance, and the error says so.
    void startWithoutAnswerIsNotSentTwice()
    {
        QTemporaryDir dir;
        ServerProcess b;
        QString error;
        QVERIFY2(b.start(dir.path(), {}, &error), qPrintable(error));
        SilentCloser silent;
        QVERIFY(silent.isListening());
        RemoteBackend backend(QList<QUrl> { silent.url(), b.url }, kAlphaToken);
        // Sent at once, before the backend's first workspace read: it goes to the silent one.
        Error startError;
        const QString id = startAndWait(
            backend, agentRequest(QStringLiteral("echo"), QStringLiteral("once")), &startError);
        QVERIFY(id.isEmpty());
        QCOMPARE(startError.code, ErrorCode::Unreachable);
        QVERIFY2(
            startError.message.contains(QStringLiteral("not sent again")), qPrintable(startError.message));
        QVERIFY(silent.requests >= 1);
        // Reads are repeated: the workspace came from B, where the backend now is.
        QTRY_VERIFY_WITH_TIMEOUT(backend.hasWorkspace(), 10000);
        QCOMPARE(backend.baseUrl(), b.url);
        // B never got that start (its database has no execution at all).
        QNetworkAccessManager nam;
        QUrl list = b.url;
        list.setPath(QStringLiteral("/api/executions"));
        const HttpResult r = http(nam, "GET", list, kAlphaToken);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json.value(QLatin1String("items")).toArray().size(), 0);
        QCOMPARE(b.terminate(), 0);
    }

    // Two instances on ONE PostgreSQL database (the relay carries events between them): a run
    // streams from A, A is SIGKILLed mid-stream, the backend moves to B and resumes with
    // after_seq; the events it ends up with run 1, 2, … without a gap or a double up to the
    // terminal one (B marks the run interrupted once A's lease expired). New runs go to B.
    void oneDatabaseMoveLosesNothing()
    {
        PgCluster pg;
        const Result<void> up = pg.start();
        QVERIFY2(up, qPrintable(up ? QString() : up.error()));
        const Result<QString> db = pg.createDatabase(QStringLiteral("remote"));
        QVERIFY2(db, qPrintable(db ? QString() : db.error()));
        const QStringList shared { QStringLiteral("--db"), pg.uri(*db), QStringLiteral("--heartbeat"),
            QStringLiteral("200"), QStringLiteral("--lease"), QStringLiteral("1000") };
        QTemporaryDir dirA;
        QTemporaryDir dirB;
        ServerProcess a;
        ServerProcess b;
        QString error;
        QVERIFY2(a.start(dirA.path(),
                     shared + QStringList { QStringLiteral("--instance"), QStringLiteral("a") }, &error),
            qPrintable(error));
        QVERIFY2(b.start(dirB.path(),
                     shared + QStringList { QStringLiteral("--instance"), QStringLiteral("b") }, &error),
            qPrintable(error));
        RemoteBackend backend(QList<QUrl> { a.url, b.url }, kAlphaToken);
        backend.setReconnectDelays(50, 400);
        QTRY_COMPARE_WITH_TIMEOUT(backend.instanceName(), QStringLiteral("a"), 10000);
        QCOMPARE(backend.storeKind(), QStringLiteral("postgresql"));

        SeqLog log;
        connect(&backend, &ExecutionBackend::eventsReceived, this,
            [&log](const ExecutionEventList &e) { log.add(e); });
        QSignalSpy resumed(&backend, &RemoteBackend::streamResumed);
        const QString id
            = startAndWait(backend, agentRequest(QStringLiteral("slow"), QStringLiteral("pg move")));
        QVERIFY(!id.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(log.lastSeq() >= 5, 20000);
        a.kill(); // SIGKILL mid-stream
        QTRY_COMPARE_WITH_TIMEOUT(backend.instanceName(), QStringLiteral("b"), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!resumed.isEmpty(), 10000);
        QCOMPARE(resumed.first().at(0).toString(), id);
        QVERIFY(resumed.first().at(1).toLongLong() >= 5);
        QTRY_VERIFY_WITH_TIMEOUT(
            log.has(ExecutionEvent::Type::Complete) || log.has(ExecutionEvent::Type::Error), 20000);
        QVERIFY2(log.failure.isEmpty(), qPrintable(log.failure));
        QVERIFY(!log.has(ExecutionEvent::Type::Error));
        QCOMPARE(log.events.constLast().type, ExecutionEvent::Type::Complete);
        QCOMPARE(log.events.constLast().status, ExecutionStatus::Interrupted);

        SeqLog next;
        disconnect(&backend, &ExecutionBackend::eventsReceived, this, nullptr);
        connect(&backend, &ExecutionBackend::eventsReceived, this,
            [&next](const ExecutionEventList &e) { next.add(e); });
        const QString second
            = startAndWait(backend, agentRequest(QStringLiteral("echo"), QStringLiteral("on b")));
        QVERIFY(!second.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(next.has(ExecutionEvent::Type::Complete), 20000);
        QVERIFY2(next.failure.isEmpty(), qPrintable(next.failure));
        QCOMPARE(next.events.constLast().status, ExecutionStatus::Completed);
        QCOMPARE(backend.baseUrl(), b.url);
        QCOMPARE(b.terminate(), 0);
    }

    // Every URL refuses: disconnected, and the error names each instance.
    void allInstancesDownAreNamed()
    {
        const QUrl one = deadUrl();
        const QUrl two = deadUrl();
        RemoteBackend backend(QList<QUrl> { one, two }, kAlphaToken);
        QTRY_VERIFY_WITH_TIMEOUT(backend.allInstancesDown(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(backend.connectionState(), QStringLiteral("disconnected"), 10000);
        const QString message = backend.connectionError().message;
        QVERIFY2(message.contains(QStringLiteral("all 2 server instances are down")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("127.0.0.1:%1").arg(one.port())), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("127.0.0.1:%1").arg(two.port())), qPrintable(message));
    }

    // One URL (a load balancer's): the instance behind it changes across a reconnect; the
    // health is read again and the new name shown.
    void oneUrlWhoseInstanceChanges()
    {
        QTemporaryDir dir;
        ServerProcess first;
        QString error;
        QVERIFY2(first.start(dir.path(), { QStringLiteral("--instance"), QStringLiteral("one") }, &error),
            qPrintable(error));
        const int port = first.url.port();
        RemoteBackend backend(first.url, kAlphaToken);
        backend.setReconnectDelays(50, 400);
        backend.setHeartbeatInterval(600000); // no periodic health: the reconnect must re-read it
        QTRY_COMPARE_WITH_TIMEOUT(backend.instanceName(), QStringLiteral("one"), 10000);
        SeqLog log;
        connect(&backend, &ExecutionBackend::eventsReceived, this,
            [&log](const ExecutionEventList &e) { log.add(e); });
        const QString id = startAndWait(backend, agentRequest(QStringLiteral("slow"), QStringLiteral("lb")));
        QVERIFY(!id.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(log.lastSeq() >= 3, 20000);
        first.kill();
        ServerProcess second;
        QVERIFY2(second.start(dir.path(),
                     { QStringLiteral("--instance"), QStringLiteral("two"), QStringLiteral("--listen"),
                         QStringLiteral("127.0.0.1:%1").arg(port) },
                     &error),
            qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(backend.instanceName(), QStringLiteral("two"), 15000);
        QCOMPARE(backend.moveCount(), 0); // the same URL all along
        QCOMPARE(second.terminate(), 0);
    }
};

QTEST_GUILESS_MAIN(TestRemoteInstances)
#include "tst_remote_instances.moc"
