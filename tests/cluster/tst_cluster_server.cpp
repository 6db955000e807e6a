// Two or three real agentstudio-server processes on one PostgreSQL database: a run on A streams
// to a client on B; A killed with SIGKILL → B interrupts its run after the lease and B's
// client gets the terminal event; a client moved between the instances ≥ 50 times with
// after_seq gets every chunk once; a cancel sent to B stops A's run; three instances starting
// at once migrate the database once.
#include "tests/cluster/ClusterFixture.h"

#include <QRandomGenerator>
#include <QTest>

using namespace clusterfixture;

class TestClusterServer : public QObject
{
    Q_OBJECT
private:
    PgCluster m_pg;
    QTemporaryDir m_dir;
    QNetworkAccessManager m_nam;
    QString m_db;

    struct Stream
    {
        QString text;
        qint64 lastSeq = 0;
        int moves = 0;
        QString status;
        QString failure;
    };

    // Follows `id` to its end, each connection to the next server of `servers` in turn,
    // cutting the socket after a random number of messages (0: never) and resuming with
    // after_seq; every seq must be exactly lastSeq + 1.
    Stream follow(const QList<ServerProcess *> &servers, const QString &id, int maxCutEvery)
    {
        Stream s;
        QRandomGenerator rng(7);
        int next = 0;
        while (s.status.isEmpty() && s.failure.isEmpty()) {
            WsRecorder ws;
            const int cutAt = maxCutEvery > 0 ? 1 + int(rng.bounded(maxCutEvery)) : -1;
            int received = 0;
            bool cut = false;
            ws.onMessage = [&](const QJsonObject &m) {
                if (cut || !s.status.isEmpty() || !s.failure.isEmpty())
                    return;
                const QString type = m.value(QLatin1String("type")).toString();
                if (type == QLatin1String("error")) {
                    s.failure = QStringLiteral("error: ") + m.value(QLatin1String("message")).toString();
                    return;
                }
                const qint64 seq = m.value(QLatin1String("seq")).toInteger();
                if (seq != s.lastSeq + 1) {
                    s.failure = QStringLiteral("expected seq %1, got %2").arg(s.lastSeq + 1).arg(seq);
                    return;
                }
                s.lastSeq = seq;
                if (type == QLatin1String("chunk"))
                    s.text += m.value(QLatin1String("content")).toString();
                else if (type == QLatin1String("complete"))
                    s.status = m.value(QLatin1String("status")).toString();
                if (++received == cutAt) {
                    cut = true;
                    ws.socket.abort();
                }
            };
            ServerProcess *server = servers[next++ % servers.size()];
            ws.open(server->wsUrl(QStringLiteral("/ws/execution/%1?after_seq=%2").arg(id).arg(s.lastSeq)),
                kAlphaToken);
            QElapsedTimer t;
            t.start();
            while (!cut && !ws.closed && s.status.isEmpty() && s.failure.isEmpty() && t.elapsed() < 30000) {
                QTest::qWait(1);
                if (ws.errored && !ws.connected)
                    break;
            }
            if (t.elapsed() >= 30000)
                s.failure = QStringLiteral("stream stalled at seq %1").arg(s.lastSeq);
            if (s.status.isEmpty())
                ++s.moves;
        }
        return s;
    }

    QString reply(const ServerProcess &server, const QString &id)
    {
        const HttpResult r = call(m_nam, server, "GET", QStringLiteral("/api/executions/") + id);
        return r.json.value(QLatin1String("output_data")).toObject().value(QLatin1String("reply")).toString();
    }
    QString status(const ServerProcess &server, const QString &id)
    {
        return call(m_nam, server, "GET", QStringLiteral("/api/executions/") + id)
            .json.value(QLatin1String("status"))
            .toString();
    }
    bool startPair(ServerProcess &a, ServerProcess &b)
    {
        QString error;
        if (!startInstance(a, m_dir.path(), m_pg.uri(m_db), QStringLiteral("a"), &error)
            || !startInstance(b, m_dir.path(), m_pg.uri(m_db), QStringLiteral("b"), &error)) {
            qWarning("%s", qPrintable(error));
            return false;
        }
        return true;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const Result<void> started = m_pg.start({ QStringLiteral("max_connections=200") });
        QVERIFY2(started, qPrintable(started ? QString() : started.error()));
    }
    void init()
    {
        const Result<QString> db = m_pg.createDatabase(QStringLiteral("servers"));
        QVERIFY2(db, qPrintable(db ? QString() : db.error()));
        m_db = db.value();
    }

    void runOnAStreamsToClientOnB()
    {
        ServerProcess a, b;
        QVERIFY(startPair(a, b));
        const QString id = startAgent(m_nam, a, QStringLiteral("streamer"));
        QVERIFY(!id.isEmpty());
        const Stream s = follow({ &b }, id, 0);
        QVERIFY2(s.failure.isEmpty(), qPrintable(s.failure));
        QCOMPARE(s.status, QStringLiteral("completed"));
        QCOMPARE(s.text, reply(a, id));
        QVERIFY(s.text.size() > 1000);
        QCOMPARE(a.terminate(), 0);
        QCOMPARE(b.terminate(), 0);
    }

    void clientMovedBetweenInstancesGetsEveryChunkOnce()
    {
        ServerProcess a, b;
        QVERIFY(startPair(a, b));
        const QString id = startAgent(m_nam, a, QStringLiteral("long"));
        QVERIFY(!id.isEmpty());
        const Stream s = follow({ &b, &a }, id, 60);
        QVERIFY2(s.failure.isEmpty(), qPrintable(s.failure));
        QCOMPARE(s.status, QStringLiteral("completed"));
        QVERIFY2(s.moves >= 50, qPrintable(QString::number(s.moves)));
        QCOMPARE(s.text, reply(b, id));
        QCOMPARE(a.terminate(), 0);
        QCOMPARE(b.terminate(), 0);
    }

    void killedInstanceIsInterruptedByTheOther()
    {
        ServerProcess a, b;
        QVERIFY(startPair(a, b));
        const QString id = startAgent(m_nam, a, QStringLiteral("slow"));
        QVERIFY(!id.isEmpty());
        WsRecorder ws;
        ws.open(b.wsUrl(QStringLiteral("/ws/execution/") + id), kAlphaToken);
        QTRY_VERIFY_WITH_TIMEOUT(ws.messages.size() >= 5, 10000); // streaming from A through B
        a.kill(); // SIGKILL: no deregistration, the lease has to expire
        QTRY_VERIFY_WITH_TIMEOUT(ws.hasComplete(), 15000);
        QCOMPARE(ws.last().value(QLatin1String("status")).toString(), QStringLiteral("interrupted"));
        QCOMPARE(status(b, id), QStringLiteral("interrupted"));
        QCOMPARE(b.terminate(), 0);
    }

    void cancelOnBStopsRunOnA()
    {
        ServerProcess a, b;
        QVERIFY(startPair(a, b));
        const QString id = startAgent(m_nam, a, QStringLiteral("slow"));
        QVERIFY(!id.isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(status(b, id), QStringLiteral("running"), 15000);
        const HttpResult r = call(m_nam, b, "POST", QStringLiteral("/api/executions/%1/cancel").arg(id));
        QCOMPARE(r.status, 202);
        QTRY_COMPARE_WITH_TIMEOUT(status(a, id), QStringLiteral("cancelled"), 10000);
        const HttpResult again = call(m_nam, b, "POST", QStringLiteral("/api/executions/%1/cancel").arg(id));
        QCOMPARE(again.status, 409);
        QCOMPARE(a.terminate(), 0);
        QCOMPARE(b.terminate(), 0);
    }

    // The database going away is visible in /api/health (503, why, no password), and the
    // instance still stops cleanly; before, it says ready.
    void healthSaysUnavailableWhileTheDatabaseIsGone()
    {
        PgCluster own;
        const Result<void> up = own.start();
        QVERIFY2(up, qPrintable(up ? QString() : up.error()));
        ServerProcess a;
        QString error;
        QVERIFY2(
            startInstance(a, m_dir.path(), own.uri(), QStringLiteral("solo"), &error), qPrintable(error));
        QUrl health = a.url;
        health.setPath(QStringLiteral("/api/health"));
        HttpResult r = http(m_nam, "GET", health);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json.value(QLatin1String("ready")).toBool(), true);
        QCOMPARE(r.json.value(QLatin1String("store")).toString(), QStringLiteral("postgresql"));
        QCOMPARE(r.json.value(QLatin1String("instance")).toString(), QStringLiteral("solo"));
        const QString password = own.password();
        own.stop();
        QTRY_VERIFY_WITH_TIMEOUT((r = http(m_nam, "GET", health)).status == 503, 15000);
        QCOMPARE(r.json.value(QLatin1String("ready")).toBool(), false);
        QCOMPARE(r.json.value(QLatin1String("status")).toString(), QStringLiteral("unavailable"));
        const QString problem = r.json.value(QLatin1String("problem")).toString();
        QVERIFY2(!problem.isEmpty(), r.body.constData());
        QVERIFY2(!r.body.contains(password.toUtf8()), r.body.constData());
        QCOMPARE(a.terminate(), 0);
        QVERIFY(!a.process->readAllStandardError().contains(password.toUtf8()));
    }

    void threeInstancesStartTogether()
    {
        ServerProcess servers[3];
        QList<QProcess *> started;
        const QString ws = testsupport::writeFile(
            m_dir.path(), QStringLiteral("cluster.agents.json"), workspaceWithLongAgent(3000, 500));
        const QString tokens
            = testsupport::writeFile(m_dir.path(), QStringLiteral("tokens.json"), tokensFile());
        // Launched back to back, before any has finished starting.
        for (int i = 0; i < 3; ++i) {
            servers[i].process = std::make_unique<QProcess>();
            servers[i].process->start(testsupport::binaryPath(QStringLiteral("server/agentstudio-server")),
                { QStringLiteral("--workspace"), ws, QStringLiteral("--db"), m_pg.uri(m_db),
                    QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--tokens"),
                    tokens, QStringLiteral("--instance"), QStringLiteral("i%1").arg(i) });
        }
        for (int i = 0; i < 3; ++i) {
            QProcess *p = servers[i].process.get();
            QVERIFY(p->waitForStarted(10000));
            QTRY_VERIFY_WITH_TIMEOUT(
                p->state() != QProcess::Running || p->peek(1 << 16).contains("listening on "), 20000);
            QVERIFY2(p->state() == QProcess::Running,
                qPrintable(QStringLiteral("exit %1: %2")
                               .arg(p->exitCode())
                               .arg(QString::fromUtf8(p->readAllStandardError()))));
        }
        const Result<QString> versions = m_pg.psql(
            QStringLiteral("SELECT count(*) > 0 AND count(*) = max(version) FROM schema_version"), m_db);
        QVERIFY(versions);
        QCOMPARE(versions.value().trimmed(), QStringLiteral("t"));
        const Result<QString> rows = m_pg.psql(
            QStringLiteral("SELECT count(*) FROM server_instances WHERE stopped_at IS NULL"), m_db);
        QVERIFY(rows);
        QCOMPARE(rows.value().trimmed(), QStringLiteral("3"));
        for (ServerProcess &s : servers) {
            s.process->terminate();
            QVERIFY(s.process->waitForFinished(30000));
            QCOMPARE(s.process->exitCode(), 0);
            const QByteArray err = s.process->readAllStandardError();
            QVERIFY2(!err.contains("error") && !err.contains("failed"), err.constData());
        }
    }
};

QTEST_GUILESS_MAIN(TestClusterServer)
#include "tst_cluster_server.moc"
