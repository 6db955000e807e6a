// End-to-end tests of agentstudio-server: the real binary on 127.0.0.1:0 with two
// scripted workspaces (acme/alpha and beta/bravo) and a token for a third, unserved one.
#include "core/store/ExecutionStore.h"
#include "tests/support/ServerFixture.h"

#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTest>
#include <QUrlQuery>

using namespace serverfixture;

class TestServerE2E : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    ServerProcess m_server;
    QNetworkAccessManager m_nam;

    QUrl api(const QString &path) const
    {
        QUrl u = m_server.url;
        const qsizetype q = path.indexOf(QLatin1Char('?'));
        u.setPath(q < 0 ? path : path.left(q));
        if (q >= 0)
            u.setQuery(path.mid(q + 1));
        return u;
    }
    HttpResult get(const QString &path, const QString &token = kAlphaToken)
    {
        return http(m_nam, "GET", api(path), token);
    }
    HttpResult post(const QString &path, const QByteArray &body, const QString &token = kAlphaToken)
    {
        return http(m_nam, "POST", api(path), token, body);
    }
    // Starts an agent run and returns its id (empty on failure).
    QString startAgent(const QString &agent, const QString &text, const QString &token = kAlphaToken)
    {
        const HttpResult r = post(QStringLiteral("/api/agents/%1/test").arg(agent),
            QJsonDocument(QJsonObject { { QStringLiteral("inputs"),
                              QJsonObject { { QStringLiteral("text"), text } } } })
                .toJson(),
            token);
        if (r.status != 202)
            qWarning() << "start failed" << r.status << r.body;
        return r.json.value(QLatin1String("execution_id")).toString();
    }
    QString statusOf(const QString &id, const QString &token = kAlphaToken)
    {
        return get(QStringLiteral("/api/executions/") + id, token)
            .json.value(QLatin1String("status"))
            .toString();
    }
    bool waitFinished(const QString &id, int timeoutMs = 60000)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs) {
            const QString s = statusOf(id);
            if (s == QLatin1String("completed") || s == QLatin1String("failed")
                || s == QLatin1String("cancelled") || s == QLatin1String("interrupted"))
                return true;
            QTest::qWait(20);
        }
        return false;
    }
    // Sends a raw request over a plain socket and returns the status code of the reply.
    int rawStatus(const QByteArray &request, QByteArray *replyOut = nullptr)
    {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, quint16(m_server.url.port()));
        if (!s.waitForConnected(5000))
            return -1;
        s.write(request);
        QByteArray reply;
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 10000 && !reply.contains("\r\n\r\n")) {
            if (!s.waitForReadyRead(500) && s.state() != QAbstractSocket::ConnectedState)
                break;
            reply += s.readAll();
        }
        // Read the body too when there is one.
        while (t.elapsed() < 10000 && s.waitForReadyRead(100))
            reply += s.readAll();
        if (replyOut)
            *replyOut = reply;
        const QList<QByteArray> parts = reply.left(reply.indexOf("\r\n")).split(' ');
        return parts.size() >= 2 ? parts[1].toInt() : -1;
    }

    // A resuming subscriber: follows one execution to its end, reconnecting with after_seq
    // after every drop (forced by `dropAfter` random message counts when > 0). Verifies that
    // seqs arrive exactly once and in order (strictly lastSeq + 1), returns the chunk text.
    struct Follow
    {
        QString chunks;
        int chunkCount = 0;
        int cycles = 0;
        qint64 lastSeq = 0;
        QString finalStatus;
        QString failure;
    };
    Follow follow(const QString &id, int maxDropEvery, int minCycles = 0)
    {
        Follow f;
        QRandomGenerator rng(4242);
        while (f.finalStatus.isEmpty() && f.failure.isEmpty()) {
            WsRecorder ws;
            int received = 0;
            const int dropAt = maxDropEvery > 0 ? 1 + int(rng.bounded(maxDropEvery)) : -1;
            bool dropped = false;
            ws.onMessage = [&](const QJsonObject &m) {
                if (dropped || !f.failure.isEmpty() || !f.finalStatus.isEmpty())
                    return;
                const QString type = m.value(QLatin1String("type")).toString();
                if (type == QLatin1String("error")) {
                    f.failure
                        = QStringLiteral("error message: ") + m.value(QLatin1String("message")).toString();
                    return;
                }
                const qint64 seq = m.value(QLatin1String("seq")).toInteger();
                if (seq != f.lastSeq + 1) {
                    f.failure = QStringLiteral("expected seq %1, got %2").arg(f.lastSeq + 1).arg(seq);
                    return;
                }
                f.lastSeq = seq;
                if (type == QLatin1String("chunk")) {
                    f.chunks += m.value(QLatin1String("content")).toString();
                    ++f.chunkCount;
                } else if (type == QLatin1String("complete")) {
                    f.finalStatus = m.value(QLatin1String("status")).toString();
                    return;
                }
                if (++received == dropAt && (f.cycles < minCycles || minCycles == 0)) {
                    dropped = true;
                    ws.socket.abort(); // a forced disconnect at a random point
                }
            };
            QString path = QStringLiteral("/ws/execution/") + id;
            if (f.lastSeq > 0)
                path += QStringLiteral("?after_seq=") + QString::number(f.lastSeq);
            ws.open(m_server.wsUrl(path), kAlphaToken);
            QElapsedTimer t;
            t.start();
            while (!dropped && !ws.closed && f.finalStatus.isEmpty() && f.failure.isEmpty()
                && t.elapsed() < 60000) {
                QTest::qWait(1);
                if (ws.errored && !ws.connected)
                    break;
            }
            if (t.elapsed() >= 60000)
                f.failure = QStringLiteral("stream stalled");
            if ((dropped || ws.closed) && f.finalStatus.isEmpty())
                ++f.cycles;
        }
        return f;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QString error;
        QVERIFY2(
            m_server.start(m_dir.path(), { QStringLiteral("--max-lag"), QStringLiteral("2000") }, &error),
            qPrintable(error));
        QCOMPARE(m_server.url.host(), QStringLiteral("127.0.0.1"));
    }

    void cleanupTestCase() { QCOMPARE(m_server.terminate(), 0); }

    // Bad arguments and files: exit code 2 and a message that names the flag.
    void startupErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        const QString dir = m_dir.path();
        const QString ws = dir + QStringLiteral("/alpha.agents.json");
        const QString tokens = dir + QStringLiteral("/tokens.json");
        const QString db = dir + QStringLiteral("/startup.db");
        const QString badJson = testsupport::writeFile(dir, QStringLiteral("bad.json"), "{not json");
        const QString badTokens = testsupport::writeFile(
            dir, QStringLiteral("badtokens.json"), R"({"tokens":[{"token":"short"}]})");
        auto base = [&](const QStringList &extra) {
            return QStringList { QStringLiteral("--workspace"), ws, QStringLiteral("--db"), db,
                QStringLiteral("--tokens"), tokens, QStringLiteral("--listen"),
                QStringLiteral("127.0.0.1:0") }
            + extra;
        };
        QTest::newRow("no arguments") << QStringList() << QStringLiteral("--workspace");
        QTest::newRow("no tokens") << QStringList { QStringLiteral("--workspace"), ws, QStringLiteral("--db"),
            db } << QStringLiteral("--tokens");
        QTest::newRow("unknown flag")
            << base({ QStringLiteral("--colour"), QStringLiteral("red") }) << QStringLiteral("--colour");
        QTest::newRow("bad listen") << QStringList { QStringLiteral("--workspace"), ws,
            QStringLiteral("--db"), db, QStringLiteral("--tokens"), tokens, QStringLiteral("--listen"),
            QStringLiteral("nowhere") }
                                    << QStringLiteral("--listen");
        QTest::newRow("workspace not json") << QStringList { QStringLiteral("--workspace"), badJson,
            QStringLiteral("--db"), db, QStringLiteral("--tokens"), tokens }
                                            << QStringLiteral("--workspace");
        QTest::newRow("bad tokens file") << QStringList { QStringLiteral("--workspace"), ws,
            QStringLiteral("--db"), db, QStringLiteral("--tokens"), badTokens }
                                         << QStringLiteral("tokens[0].token");
        QTest::newRow("db not writable") << QStringList { QStringLiteral("--workspace"), ws,
            QStringLiteral("--db"), QStringLiteral("/proc/no/such/dir/x.db"), QStringLiteral("--tokens"),
            tokens } << QStringLiteral("--db");
        // Tenant ids with '/' or control characters are refused where they load (they would
        // make ("local/team", "alpha") and ("local", "team/alpha") look alike).
        auto tokensWith = [&](const char *name, const QByteArray &org, const QByteArray &ws) {
            return testsupport::writeFile(dir, QString::fromLatin1(name),
                R"({"tokens":[{"token":"good-token-0123","organization_id":"acme","workspace_id":"alpha"},)"
                R"({"token":"slash-token-0123","organization_id":")"
                    + org + R"(","workspace_id":")" + ws + R"("}]})");
        };
        QTest::newRow("token org with slash")
            << QStringList { QStringLiteral("--workspace"), ws, QStringLiteral("--db"), db,
                   QStringLiteral("--tokens"), tokensWith("slashorg.json", "local/team", "alpha") }
            << QStringLiteral("tokens[1].organization_id: must not contain '/'");
        QTest::newRow("token workspace with slash")
            << QStringList { QStringLiteral("--workspace"), ws, QStringLiteral("--db"), db,
                   QStringLiteral("--tokens"), tokensWith("slashws.json", "local", "team/alpha") }
            << QStringLiteral("tokens[1].workspace_id: must not contain '/'");
        QTest::newRow("token workspace with control character")
            << QStringList { QStringLiteral("--workspace"), ws, QStringLiteral("--db"), db,
                   QStringLiteral("--tokens"), tokensWith("ctlws.json", "local", "te\\u0001am") }
            << QStringLiteral("tokens[1].workspace_id: must not contain control characters");
        QJsonObject slashWs = QJsonDocument::fromJson(serverfixture::alphaWorkspace()).object();
        slashWs.insert(QStringLiteral("organization_id"), QStringLiteral("local"));
        slashWs.insert(QStringLiteral("workspace_id"), QStringLiteral("team/alpha"));
        const QString slashWsFile = testsupport::writeFile(
            dir, QStringLiteral("slash.agents.json"), QJsonDocument(slashWs).toJson());
        QTest::newRow("workspace id with slash") << QStringList { QStringLiteral("--workspace"), slashWsFile,
            QStringLiteral("--db"), db, QStringLiteral("--tokens"), tokens }
                                                 << QStringLiteral("workspace_id: must not contain '/'");
        QTest::newRow("cert without key")
            << base({ QStringLiteral("--tls-cert"), ws }) << QStringLiteral("--tls-key");
    }
    void startupErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        const testsupport::ProcessResult r = testsupport::runProcess(
            testsupport::binaryPath(QStringLiteral("server/agentstudio-server")), args, 30000);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(QString::fromUtf8(r.err).contains(mentions), r.err.constData());
        QVERIFY(r.out.isEmpty());
    }

    // Liveness needs no token.
    void health()
    {
        const HttpResult r = get(QStringLiteral("/api/health"), QString());
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json.value(QLatin1String("status")).toString(), QStringLiteral("ok"));
        QVERIFY(!r.json.value(QLatin1String("version")).toString().isEmpty());
    }

    // Every endpoint but health refuses a missing or unknown token with 401.
    void authFailures_data()
    {
        QTest::addColumn<QByteArray>("verb");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("token");
        const QList<QPair<QByteArray, QString>> endpoints {
            { "GET", QStringLiteral("/api/workspace") },
            { "POST", QStringLiteral("/api/agents/echo/test") },
            { "POST", QStringLiteral("/api/orchestrations/pipe/execute") },
            { "GET", QStringLiteral("/api/executions") },
            { "GET", QStringLiteral("/api/executions/00000000-0000-0000-0000-000000000000") },
            { "POST", QStringLiteral("/api/executions/00000000-0000-0000-0000-000000000000/cancel") },
        };
        for (const auto &[verb, path] : endpoints) {
            QTest::addRow("%s %s no token", verb.constData(), qPrintable(path)) << verb << path << QString();
            QTest::addRow("%s %s bad token", verb.constData(), qPrintable(path))
                << verb << path << QStringLiteral("not-a-valid-token-xyz");
        }
    }
    void authFailures()
    {
        QFETCH(QByteArray, verb);
        QFETCH(QString, path);
        QFETCH(QString, token);
        const HttpResult r = http(m_nam, verb, api(path), token,
            verb == "POST" ? QByteArray("{\"inputs\":{\"text\":\"x\"}}") : QByteArray());
        QCOMPARE(r.status, 401);
        QCOMPARE(errorCode(r), QStringLiteral("unauthorized"));
    }

    void workspaceEndpoint()
    {
        const HttpResult a = get(QStringLiteral("/api/workspace"));
        QCOMPARE(a.status, 200);
        QCOMPARE(a.json.value(QLatin1String("workspace_id")).toString(), QStringLiteral("alpha"));
        QStringList ids;
        for (const QJsonValue &v : a.json.value(QLatin1String("agents")).toArray())
            ids << v.toObject().value(QLatin1String("id")).toString();
        QVERIFY(ids.contains(QStringLiteral("echo")));
        QVERIFY(!ids.contains(QStringLiteral("beta_only")));
        const HttpResult b = get(QStringLiteral("/api/workspace"), kBetaToken);
        QCOMPARE(b.status, 200);
        QCOMPARE(b.json.value(QLatin1String("workspace_id")).toString(), QStringLiteral("bravo"));
        // A token of a workspace this server does not serve sees nothing.
        QCOMPARE(get(QStringLiteral("/api/workspace"), kGammaToken).status, 404);
    }

    void agentRunAndFetch()
    {
        const HttpResult r = post(QStringLiteral("/api/agents/echo/test"),
            R"({"inputs":{"text":"zebra crossing"},"trigger_type":"api"})");
        QCOMPARE(r.status, 202);
        QCOMPARE(r.json.value(QLatin1String("status")).toString(), QStringLiteral("queued"));
        const QString id = r.json.value(QLatin1String("execution_id")).toString();
        QVERIFY(!id.isEmpty());
        QVERIFY(waitFinished(id));
        const HttpResult e = get(QStringLiteral("/api/executions/") + id);
        QCOMPARE(e.status, 200);
        QCOMPARE(e.json.value(QLatin1String("status")).toString(), QStringLiteral("completed"));
        QCOMPARE(e.json.value(QLatin1String("agent_id")).toString(), QStringLiteral("echo"));
        QCOMPARE(
            e.json.value(QLatin1String("input_data")).toObject().value(QLatin1String("count")).toInt(), 3);
        QVERIFY(!e.json.value(QLatin1String("steps")).toArray().isEmpty());
        QVERIFY(e.json.value(QLatin1String("output_data")).toObject().contains(QLatin1String("reply")));
    }

    // tool_overrides and budget are taken and recorded; conversation_of + message continues
    // the run (same conversation, next turn).
    void agentRunWithToolFieldsAndContinue()
    {
        const HttpResult r = post(QStringLiteral("/api/agents/echo/test"),
            R"({"inputs":{"text":"kittiwake"},"tool_overrides":{"weather":{"error":"down","latency_ms":5}},)"
            R"("budget":{"max_cost_usd":0.5,"max_tool_calls":3}})");
        QCOMPARE(r.status, 202);
        const QString id = r.json.value(QLatin1String("execution_id")).toString();
        QVERIFY(waitFinished(id));
        const HttpResult e = get(QStringLiteral("/api/executions/") + id);
        QCOMPARE(e.json.value(QLatin1String("status")).toString(), QStringLiteral("completed"));
        QCOMPARE(e.json.value(QLatin1String("tool_overrides")).toObject(),
            QJsonDocument::fromJson(R"({"weather":{"error":"down","latency_ms":5}})").object());
        QCOMPARE(e.json.value(QLatin1String("budget")).toObject(),
            QJsonDocument::fromJson(R"({"max_cost_usd":0.5,"max_tool_calls":3})").object());

        const HttpResult next = post(QStringLiteral("/api/agents/echo/test"),
            QStringLiteral(R"({"conversation_of":"%1","message":"and the puffins?"})").arg(id).toUtf8());
        QCOMPARE(next.status, 202);
        const QString nextId = next.json.value(QLatin1String("execution_id")).toString();
        QVERIFY(waitFinished(nextId));
        const HttpResult n = get(QStringLiteral("/api/executions/") + nextId);
        QCOMPARE(n.json.value(QLatin1String("status")).toString(), QStringLiteral("completed"));
        QCOMPARE(n.json.value(QLatin1String("conversation_id")).toString(), id);
        QCOMPARE(n.json.value(QLatin1String("turn")).toInt(), 2);
    }

    // response_cache without a file is taken: the server's own database holds the cache.
    void responseCacheInTheServerDatabase()
    {
        const HttpResult r = post(QStringLiteral("/api/agents/echo/test"),
            R"({"inputs":{"text":"guillemot"},"response_cache":{"mode":"readwrite","namespace":"r1"}})");
        QCOMPARE(r.status, 202);
        const QString id = r.json.value(QLatin1String("execution_id")).toString();
        QVERIFY(waitFinished(id));
        QCOMPARE(get(QStringLiteral("/api/executions/") + id).json.value(QLatin1String("status")).toString(),
            QStringLiteral("completed"));
    }

    void orchestrationRuns()
    {
        HttpResult r
            = post(QStringLiteral("/api/orchestrations/pipe/execute"), R"({"inputs":{"text":"two steps"}})");
        QCOMPARE(r.status, 202);
        const QString id = r.json.value(QLatin1String("execution_id")).toString();
        QVERIFY(waitFinished(id));
        HttpResult e = get(QStringLiteral("/api/executions/") + id);
        QCOMPARE(e.json.value(QLatin1String("status")).toString(), QStringLiteral("completed"));
        QCOMPARE(e.json.value(QLatin1String("test_mode")).toString(), QStringLiteral("full_workflow"));

        r = post(QStringLiteral("/api/orchestrations/pipe/execute"),
            R"({"inputs":{},"node_id":"second","upstream":{"text":"given upstream"}})");
        QCOMPARE(r.status, 202);
        const QString nodeRun = r.json.value(QLatin1String("execution_id")).toString();
        QVERIFY(waitFinished(nodeRun));
        e = get(QStringLiteral("/api/executions/") + nodeRun);
        QCOMPARE(e.json.value(QLatin1String("test_mode")).toString(), QStringLiteral("node_in_context"));
        QCOMPARE(e.json.value(QLatin1String("node_id")).toString(), QStringLiteral("second"));

        r = post(QStringLiteral("/api/orchestrations/pipe/execute"),
            R"({"inputs":{"text":"x"},"node_id":"nope"})");
        QCOMPARE(r.status, 422);
        QVERIFY(r.json.value(QLatin1String("error"))
                    .toObject()
                    .value(QLatin1String("message"))
                    .toString()
                    .contains(QLatin1String("node_id")));
        QCOMPARE(post(QStringLiteral("/api/orchestrations/nope/execute"), R"({"inputs":{}})").status, 404);
    }

    // Bad bodies and inputs: the status and a message that names the field.
    void badRequests_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("mentions");
        const QString agent = QStringLiteral("/api/agents/echo/test");
        QTest::newRow("malformed json")
            << agent << QByteArray("{\"inputs\": {") << 400 << QStringLiteral("JSON");
        QTest::newRow("empty body") << agent << QByteArray("") << 400 << QStringLiteral("body");
        QTest::newRow("array body") << agent << QByteArray("[1,2]") << 400 << QStringLiteral("body");
        QTest::newRow("inputs not object")
            << agent << QByteArray("{\"inputs\": 5}") << 400 << QStringLiteral("inputs");
        QTest::newRow("bad trigger_type")
            << agent << QByteArray("{\"inputs\":{\"text\":\"a\"},\"trigger_type\":\"x\"}") << 400
            << QStringLiteral("trigger_type");
        QTest::newRow("tool_overrides not object")
            << agent << QByteArray(R"({"inputs":{"text":"a"},"tool_overrides":5})") << 400
            << QStringLiteral("tool_overrides: expected an object");
        QTest::newRow("override unknown field")
            << agent << QByteArray(R"({"inputs":{"text":"a"},"tool_overrides":{"w":{"reslt":1}}})") << 400
            << QStringLiteral("tool_overrides.w.reslt");
        QTest::newRow("override bad latency")
            << agent << QByteArray(R"({"inputs":{"text":"a"},"tool_overrides":{"w":{"latency_ms":-1}}})")
            << 400 << QStringLiteral("tool_overrides.w.latency_ms");
        QTest::newRow("override error not text")
            << agent << QByteArray(R"({"inputs":{"text":"a"},"tool_overrides":{"w":{"error":7}}})") << 400
            << QStringLiteral("tool_overrides.w.error");
        QTest::newRow("budget not object") << agent << QByteArray(R"({"inputs":{"text":"a"},"budget":[]})")
                                           << 400 << QStringLiteral("budget: expected an object");
        QTest::newRow("budget bad cost")
            << agent << QByteArray(R"({"inputs":{"text":"a"},"budget":{"max_cost_usd":"x"}})") << 400
            << QStringLiteral("budget.max_cost_usd");
        QTest::newRow("budget bad calls")
            << agent << QByteArray(R"({"inputs":{"text":"a"},"budget":{"max_tool_calls":1.5}})") << 400
            << QStringLiteral("budget.max_tool_calls");
        QTest::newRow("budget unknown field")
            << agent << QByteArray(R"({"inputs":{"text":"a"},"budget":{"max_calls":1}})") << 400
            << QStringLiteral("budget.max_calls");
        QTest::newRow("message alone")
            << agent << QByteArray(R"({"message":"hi"})") << 400 << QStringLiteral("conversation_of");
        QTest::newRow("conversation_of not text")
            << agent << QByteArray(R"({"conversation_of":5,"message":"hi"})") << 400
            << QStringLiteral("conversation_of");
        QTest::newRow("conversation of unknown run")
            << agent
            << QByteArray(R"({"conversation_of":"00000000-0000-4000-8000-000000000000","message":"hi"})")
            << 422 << QStringLiteral("conversation_of");
        QTest::newRow("conversation of a workflow")
            << QStringLiteral("/api/orchestrations/pipe/execute")
            << QByteArray(R"({"inputs":{"text":"a"},"conversation_of":"x","message":"hi"})") << 400
            << QStringLiteral("conversation_of");
        QTest::newRow("missing required input")
            << agent << QByteArray("{\"inputs\":{}}") << 422 << QStringLiteral("text");
        QTest::newRow("wrong input type")
            << agent << QByteArray("{\"inputs\":{\"text\":\"a\",\"count\":\"many\"}}") << 422
            << QStringLiteral("count");
        QTest::newRow("input out of range")
            << agent << QByteArray("{\"inputs\":{\"text\":\"a\",\"count\":99}}") << 422
            << QStringLiteral("count");
        QTest::newRow("unknown agent") << QStringLiteral("/api/agents/ghost/test")
                                       << QByteArray("{\"inputs\":{}}") << 404 << QStringLiteral("ghost");
        QTest::newRow("workflow missing input")
            << QStringLiteral("/api/orchestrations/pipe/execute") << QByteArray("{\"inputs\":{}}") << 422
            << QStringLiteral("text");
        // A server keeps recorded answers in its own database; a client names no file there.
        QTest::newRow("response_cache with a file")
            << agent
            << QByteArray(R"({"inputs":{"text":"a"},"response_cache":{"mode":"read","file":"/etc/x.db"}})")
            << 400 << QStringLiteral("response_cache.file: a server uses its own database");
        QTest::newRow("response_cache bad mode")
            << agent << QByteArray(R"({"inputs":{"text":"a"},"response_cache":{"mode":"replay"}})") << 400
            << QStringLiteral("response_cache.mode");
        QTest::newRow("response_cache not object")
            << agent << QByteArray(R"({"inputs":{"text":"a"},"response_cache":"read"})") << 400
            << QStringLiteral("response_cache: expected an object");
    }
    void badRequests()
    {
        QFETCH(QString, path);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, mentions);
        const HttpResult r = post(path, body);
        QCOMPARE(r.status, status);
        const QString message
            = r.json.value(QLatin1String("error")).toObject().value(QLatin1String("message")).toString();
        QVERIFY2(message.contains(mentions), qPrintable(message));
        QVERIFY(!errorCode(r).isEmpty());
    }

    void bodyTooLarge()
    {
        QByteArray big = "{\"inputs\":{\"text\":\"";
        big += QByteArray(2 * 1024 * 1024, 'a');
        big += "\"}}";
        const HttpResult r = post(QStringLiteral("/api/agents/echo/test"), big);
        QCOMPARE(r.status, 413);
        QCOMPARE(errorCode(r), QStringLiteral("body_too_large"));
        // The server is still fine afterwards.
        QCOMPARE(get(QStringLiteral("/api/health")).status, 200);
    }

    void protocolErrors()
    {
        QCOMPARE(http(m_nam, "GET", api(QStringLiteral("/api/agents/echo/test")), kAlphaToken).status, 405);
        QCOMPARE(http(m_nam, "DELETE", api(QStringLiteral("/api/executions")), kAlphaToken).status, 405);
        QCOMPARE(get(QStringLiteral("/api/nothing")).status, 404);
        QCOMPARE(get(QStringLiteral("/ws/execution/abc")).status, 426); // no upgrade
        QCOMPARE(rawStatus("NOT A REQUEST\r\n\r\n"), 400);
        QCOMPARE(rawStatus("POST /api/agents/echo/test HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: "
                           "chunked\r\n\r\n"),
            411);
        QCOMPARE(rawStatus("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + QByteArray(40000, 'x')
                     + "\r\n\r\n"),
            431);
        QCOMPARE(
            rawStatus(
                "POST /api/agents/echo/test HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999\r\n\r\n"),
            413);
        // Keep-alive with two pipelined requests: both answered in order.
        QByteArray reply;
        rawStatus("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /api/nothing HTTP/1.1\r\nHost: "
                  "127.0.0.1\r\n\r\n",
            &reply);
        QCOMPARE(reply.count("HTTP/1.1 "), 2);
        QVERIFY(reply.indexOf("200 OK") < reply.indexOf("404 Not Found"));
    }

    // The strict parser: digits-only Content-Length (and no conflicting repeat), no
    // whitespace before the colon, no obs-fold, no bare CR or bare LF line ends: 400 and close.
    void strictParsing_data()
    {
        QTest::addColumn<QByteArray>("request");
        const QByteArray get = "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        QTest::newRow("content-length with sign") << get + "Content-Length: +0\r\n\r\n";
        QTest::newRow("content-length hex") << get + "Content-Length: 0x0\r\n\r\n";
        QTest::newRow("content-length list") << get + "Content-Length: 0, 0\r\n\r\n";
        QTest::newRow("content-length conflicting")
            << get + "Content-Length: 0\r\nContent-Length: 2\r\n\r\nab";
        QTest::newRow("whitespace before colon") << get + "X-Thing : 1\r\n\r\n";
        QTest::newRow("obs-fold") << get + "X-Thing: 1\r\n X-Folded: 2\r\n\r\n";
        QTest::newRow("bare CR") << get + "X-Thing: 1\rX-Other: 2\r\n\r\n";
        QTest::newRow("bare LF") << get + "X-Thing: 1\nX-Other: 2\r\n\r\n";
        QTest::newRow("control character") << get
                + "X-Thing: a\x01"
                  "b\r\n\r\n";
        QTest::newRow("two spaces in request line")
            << QByteArray("GET  /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QTest::newRow("no host") << QByteArray("GET /api/health HTTP/1.1\r\n\r\n");
    }
    void strictParsing()
    {
        QFETCH(QByteArray, request);
        QByteArray reply;
        QCOMPARE(rawStatus(request, &reply), 400);
        QVERIFY2(reply.contains("Connection: close"), reply.constData());
        QVERIFY2(reply.contains("\"bad_request\""), reply.constData());
    }

    // Bound to loopback, the server answers only loopback Host names (DNS rebinding): 421.
    void hostCheckedOnLoopback_data()
    {
        QTest::addColumn<QByteArray>("host");
        QTest::addColumn<int>("status");
        QTest::newRow("rebound name") << QByteArray("evil.example:8765") << 421;
        QTest::newRow("public address") << QByteArray("203.0.113.7") << 421;
        QTest::newRow("localhost lookalike") << QByteArray("localhost.evil.example") << 421;
        QTest::newRow("localhost") << QByteArray("localhost:8765") << 200;
        QTest::newRow("loopback v4") << QByteArray("127.0.0.1") << 200;
        QTest::newRow("loopback v6") << QByteArray("[::1]:8765") << 200;
    }
    void hostCheckedOnLoopback()
    {
        QFETCH(QByteArray, host);
        QFETCH(int, status);
        QByteArray reply;
        QCOMPARE(rawStatus("GET /api/health HTTP/1.1\r\nHost: " + host + "\r\n\r\n", &reply), status);
        if (status == 421)
            QVERIFY2(reply.contains("\"misdirected_request\""), reply.constData());
    }

    // Routing and authentication come before 100 Continue: a refused request never invites
    // its body.
    void continueOnlyWhenAdmitted_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QString>("token");
        QTest::addColumn<int>("status");
        QTest::newRow("no token") << QByteArray("/api/agents/echo/test") << QString() << 401;
        QTest::newRow("bad token") << QByteArray("/api/agents/echo/test")
                                   << QStringLiteral("wrong-token-1234") << 401;
        QTest::newRow("no route") << QByteArray("/api/nothing") << kAlphaToken << 404;
        QTest::newRow("admitted") << QByteArray("/api/agents/echo/test") << kAlphaToken << 100;
    }
    void continueOnlyWhenAdmitted()
    {
        QFETCH(QByteArray, path);
        QFETCH(QString, token);
        QFETCH(int, status);
        QByteArray request = "POST " + path
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              "Content-Length: 2\r\nExpect: 100-continue\r\n";
        if (!token.isEmpty())
            request += "Authorization: Bearer " + token.toUtf8() + "\r\n";
        request += "\r\n"; // the body is held back until the server says 100 Continue
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, quint16(m_server.url.port()));
        QVERIFY(s.waitForConnected(5000));
        s.write(request);
        QByteArray reply;
        QTRY_VERIFY_WITH_TIMEOUT((reply += s.readAll()).contains("\r\n\r\n"), 10000);
        QCOMPARE(reply.left(reply.indexOf("\r\n")).split(' ').value(1).toInt(), status);
        if (status == 100) {
            s.write("{}");
            QTRY_VERIFY_WITH_TIMEOUT((reply += s.readAll()).count("HTTP/1.1 ") == 2, 10000);
        }
    }

    // HEAD is per request: an error answer after a HEAD on the same connection keeps its body.
    void headFlagIsPerRequest()
    {
        QByteArray reply;
        rawStatus("HEAD /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                  "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: x1\r\n\r\n",
            &reply);
        const qsizetype second = reply.indexOf("HTTP/1.1 400");
        QVERIFY2(second > 0, reply.constData());
        const qsizetype headEnd = reply.indexOf("\r\n\r\n", second);
        QVERIFY(headEnd > 0);
        const QByteArray head = reply.mid(second, headEnd - second);
        const qsizetype cl = head.indexOf("Content-Length: ");
        QVERIFY(cl > 0);
        const int length = head.mid(cl + 16, head.indexOf("\r\n", cl) - cl - 16).toInt();
        QVERIFY(length > 0);
        QCOMPARE(reply.mid(headEnd + 4).size(), qsizetype(length));
        QVERIFY(reply.mid(headEnd + 4).contains("Content-Length"));
    }

    void listAndFilters()
    {
        const QString a = startAgent(QStringLiteral("echo"), QStringLiteral("platypus habitat"));
        const QString b = startAgent(QStringLiteral("echo"), QStringLiteral("another subject"));
        QVERIFY(waitFinished(a));
        QVERIFY(waitFinished(b));
        HttpResult r = get(QStringLiteral(
            "/api/executions?agent_id=echo&status=completed&execution_type=agent&test_mode=single_agent"));
        QCOMPARE(r.status, 200);
        QStringList ids;
        for (const QJsonValue &v : r.json.value(QLatin1String("items")).toArray())
            ids << v.toObject().value(QLatin1String("id")).toString();
        QVERIFY(ids.contains(a));
        QVERIFY(ids.contains(b));
        QVERIFY(r.json.contains(QLatin1String("next_cursor")));

        r = get(QStringLiteral("/api/executions?q=platypus"));
        QCOMPARE(r.status, 200);
        ids.clear();
        for (const QJsonValue &v : r.json.value(QLatin1String("items")).toArray())
            ids << v.toObject().value(QLatin1String("id")).toString();
        QCOMPARE(ids, QStringList { a });

        // Paging: limit=1 gives a cursor; following it gives other items, never the same one.
        r = get(QStringLiteral("/api/executions?limit=1"));
        QCOMPARE(r.json.value(QLatin1String("items")).toArray().size(), 1);
        const QString cursor = r.json.value(QLatin1String("next_cursor")).toString();
        QVERIFY(!cursor.isEmpty());
        const QString first = r.json.value(QLatin1String("items"))
                                  .toArray()
                                  .at(0)
                                  .toObject()
                                  .value(QLatin1String("id"))
                                  .toString();
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("limit"), QStringLiteral("1"));
        q.addQueryItem(QStringLiteral("cursor"), cursor);
        r = get(QStringLiteral("/api/executions?") + q.toString(QUrl::FullyEncoded));
        QCOMPARE(r.status, 200);
        const QString second = r.json.value(QLatin1String("items"))
                                   .toArray()
                                   .at(0)
                                   .toObject()
                                   .value(QLatin1String("id"))
                                   .toString();
        QVERIFY(!second.isEmpty());
        QVERIFY(second != first);

        r = get(
            QStringLiteral("/api/executions?since=2000-01-01T00:00:00.000Z&until=2999-01-01T00:00:00.000Z"));
        QCOMPARE(r.status, 200);
        QVERIFY(!r.json.value(QLatin1String("items")).toArray().isEmpty());
        r = get(QStringLiteral("/api/executions?since=2999-01-01T00:00:00.000Z"));
        QCOMPARE(r.json.value(QLatin1String("items")).toArray().size(), 0);
        r = get(
            QStringLiteral("/api/executions?min_latency_ms=0&max_latency_ms=600000&min_cost=0&sort=latency"));
        QCOMPARE(r.status, 200);
        QVERIFY(!r.json.value(QLatin1String("items")).toArray().isEmpty());
        r = get(QStringLiteral("/api/executions?min_latency_ms=99999999"));
        QCOMPARE(r.json.value(QLatin1String("items")).toArray().size(), 0);
    }

    void listBadFilters_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("field");
        QTest::newRow("status") << QStringLiteral("status=bogus") << QStringLiteral("status");
        QTest::newRow("execution_type")
            << QStringLiteral("execution_type=x") << QStringLiteral("execution_type");
        QTest::newRow("test_mode") << QStringLiteral("test_mode=x") << QStringLiteral("test_mode");
        QTest::newRow("since") << QStringLiteral("since=yesterday") << QStringLiteral("since");
        QTest::newRow("until") << QStringLiteral("until=13") << QStringLiteral("until");
        QTest::newRow("limit text") << QStringLiteral("limit=abc") << QStringLiteral("limit");
        QTest::newRow("limit zero") << QStringLiteral("limit=0") << QStringLiteral("limit");
        QTest::newRow("cursor") << QStringLiteral("cursor=!!!") << QStringLiteral("cursor");
        QTest::newRow("min_cost") << QStringLiteral("min_cost=cheap") << QStringLiteral("min_cost");
        QTest::newRow("max_latency_ms")
            << QStringLiteral("max_latency_ms=-5") << QStringLiteral("max_latency_ms");
        QTest::newRow("unknown") << QStringLiteral("colour=red") << QStringLiteral("colour");
    }
    void listBadFilters()
    {
        QFETCH(QString, query);
        QFETCH(QString, field);
        const HttpResult r = get(QStringLiteral("/api/executions?") + query);
        QCOMPARE(r.status, 400);
        QVERIFY2(r.json.value(QLatin1String("error"))
                     .toObject()
                     .value(QLatin1String("message"))
                     .toString()
                     .startsWith(field),
            r.body.constData());
    }

    // A token reaches only its workspace: the other workspace's execution is absent (404) on
    // every endpoint, including the WebSocket and the list.
    void isolation()
    {
        const QString betaRun
            = startAgent(QStringLiteral("echo"), QStringLiteral("beta secret topic"), kBetaToken);
        QVERIFY(!betaRun.isEmpty());
        QVERIFY(waitFinishedAs(betaRun, kBetaToken));
        QCOMPARE(get(QStringLiteral("/api/executions/") + betaRun, kBetaToken).status, 200);

        for (const QString &token : { kAlphaToken, kGammaToken }) {
            HttpResult r = get(QStringLiteral("/api/executions/") + betaRun, token);
            QCOMPARE(r.status, 404);
            QCOMPARE(errorCode(r), QStringLiteral("not_found"));
            QCOMPARE(post(QStringLiteral("/api/executions/%1/cancel").arg(betaRun), {}, token).status, 404);
            r = get(QStringLiteral("/api/executions?limit=500"), token);
            QCOMPARE(r.status, 200);
            QVERIFY(!r.body.contains(betaRun.toUtf8()));
            r = get(QStringLiteral("/api/executions?q=secret"), token);
            QCOMPARE(r.json.value(QLatin1String("items")).toArray().size(), 0);
            QCOMPARE(post(QStringLiteral("/api/agents/beta_only/test"), R"({"inputs":{"text":"x"}})", token)
                         .status,
                404);

            WsRecorder ws;
            ws.open(m_server.wsUrl(QStringLiteral("/ws/execution/") + betaRun), token);
            QTRY_VERIFY_WITH_TIMEOUT(ws.closed, 10000);
            QCOMPARE(ws.messages.size(), 1);
            QCOMPARE(ws.last().value(QLatin1String("type")).toString(), QStringLiteral("error"));
            QCOMPARE(ws.last().value(QLatin1String("code")).toString(), QStringLiteral("not_found"));
        }
        // And a running execution of beta cannot be cancelled by alpha.
        const QString slowBeta
            = startAgent(QStringLiteral("slow"), QStringLiteral("keep running"), kBetaToken);
        QCOMPARE(
            post(QStringLiteral("/api/executions/%1/cancel").arg(slowBeta), {}, kAlphaToken).status, 404);
        QCOMPARE(post(QStringLiteral("/api/executions/%1/cancel").arg(slowBeta), {}, kBetaToken).status, 202);
        QVERIFY(waitFinishedAs(slowBeta, kBetaToken));
        QCOMPARE(get(QStringLiteral("/api/executions/") + slowBeta, kBetaToken)
                     .json.value(QLatin1String("status"))
                     .toString(),
            QStringLiteral("cancelled"));
    }

    // Two served workspaces with the same orchestration id "pipe" on one database: a Node in
    // Context run in bravo takes its upstream from bravo's runs only, never from alpha's, and
    // bravo cannot read alpha's run back.
    void nodeInContextStaysInItsWorkspace()
    {
        QTemporaryDir dir;
        QJsonObject bravo = QJsonDocument::fromJson(alphaWorkspace()).object();
        bravo.insert(QStringLiteral("organization_id"), QStringLiteral("beta"));
        bravo.insert(QStringLiteral("workspace_id"), QStringLiteral("bravo"));
        ServerProcess server;
        QString error;
        QVERIFY2(
            server.startRaw(
                { QStringLiteral("--workspace"),
                    testsupport::writeFile(dir.path(), QStringLiteral("a.agents.json"), alphaWorkspace()),
                    QStringLiteral("--workspace"),
                    testsupport::writeFile(
                        dir.path(), QStringLiteral("b.agents.json"), QJsonDocument(bravo).toJson()),
                    QStringLiteral("--tokens"),
                    testsupport::writeFile(dir.path(), QStringLiteral("t.json"), tokensFile()),
                    QStringLiteral("--db"), dir.filePath(QStringLiteral("executions.db")),
                    QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0") },
                &error),
            qPrintable(error));
        const auto call = [&](const QByteArray &method, const QString &path, const QString &token,
                              const QByteArray &body = {}) {
            QUrl u = server.url;
            u.setPath(path);
            return http(m_nam, method, u, token, body);
        };
        const auto finished = [&](const QString &id, const QString &token) { // as waitFinishedAs()
            QElapsedTimer t;
            t.start();
            QJsonObject record;
            while (t.elapsed() < 60000) {
                record = call("GET", QStringLiteral("/api/executions/") + id, token).json;
                const QString s = record.value(QLatin1String("status")).toString();
                if (s == QLatin1String("completed") || s == QLatin1String("failed"))
                    break;
                QTest::qWait(20);
            }
            return record;
        };
        const HttpResult secret = call("POST", QStringLiteral("/api/orchestrations/pipe/execute"),
            kAlphaToken, R"({"inputs":{"text":"alpha secret topic"}})");
        QCOMPARE(secret.status, 202);
        const QString secretId = secret.json.value(QLatin1String("execution_id")).toString();
        QCOMPARE(finished(secretId, kAlphaToken).value(QLatin1String("status")).toString(),
            QStringLiteral("completed"));

        const HttpResult node = call("POST", QStringLiteral("/api/orchestrations/pipe/execute"), kBetaToken,
            R"({"inputs":{},"node_id":"second"})");
        QCOMPARE(node.status, 202);
        const QJsonObject record
            = finished(node.json.value(QLatin1String("execution_id")).toString(), kBetaToken);
        QCOMPARE(record.value(QLatin1String("status")).toString(), QStringLiteral("failed"));
        QVERIFY2(!QJsonDocument(record).toJson().contains("alpha secret"),
            QJsonDocument(record).toJson().constData());
        QCOMPARE(call("GET", QStringLiteral("/api/executions/") + secretId, kBetaToken).status, 404);
        QCOMPARE(server.terminate(), 0);
    }

    void cancelOverRest()
    {
        const QString id = startAgent(QStringLiteral("slow"), QStringLiteral("cancel me"));
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(id), QStringLiteral("running"), 20000);
        const HttpResult r = post(QStringLiteral("/api/executions/%1/cancel").arg(id), {});
        QCOMPARE(r.status, 202);
        QVERIFY(waitFinished(id));
        QCOMPARE(statusOf(id), QStringLiteral("cancelled"));
        QCOMPARE(post(QStringLiteral("/api/executions/%1/cancel").arg(id), {}).status, 409);
        QCOMPARE(post(QStringLiteral("/api/executions/no-such-id/cancel"), {}).status, 404);
        QCOMPARE(get(QStringLiteral("/api/executions/no-such-id")).status, 404);
    }

    // Replay from the start, after a seq, and live.
    void wsReplayAndLive()
    {
        const QString id = startAgent(QStringLiteral("echo"), QStringLiteral("replay me"));
        QVERIFY(waitFinished(id));
        WsRecorder all;
        all.open(m_server.wsUrl(QStringLiteral("/ws/execution/") + id), kAlphaToken);
        QTRY_VERIFY_WITH_TIMEOUT(all.hasComplete(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(all.closed, 10000);
        QCOMPARE(all.closeCode, 1000);
        for (qsizetype i = 0; i < all.messages.size(); ++i)
            QCOMPARE(all.messages[i].value(QLatin1String("seq")).toInteger(), i + 1);
        QCOMPARE(all.messages.first().value(QLatin1String("type")).toString(), QStringLiteral("status"));
        QCOMPARE(all.last().value(QLatin1String("status")).toString(), QStringLiteral("completed"));
        QVERIFY(all.messages.size() >= 5);

        const qint64 after = 3;
        WsRecorder tail;
        tail.open(
            m_server.wsUrl(QStringLiteral("/ws/execution/%1?after_seq=%2").arg(id).arg(after)), kAlphaToken);
        QTRY_VERIFY_WITH_TIMEOUT(tail.hasComplete(), 10000);
        QCOMPARE(tail.messages.size(), all.messages.size() - after);
        QCOMPARE(tail.messages.first(), all.messages.at(after));

        // A token in the URL (?token=) is not accepted: it would end up in logs and history.
        WsRecorder browser;
        browser.open(
            m_server.wsUrl(QStringLiteral("/ws/execution/%1?token=%2").arg(id, kAlphaToken)), QString());
        QTRY_VERIFY_WITH_TIMEOUT(browser.errored || browser.closed, 10000);
        QVERIFY(!browser.connected);
        QVERIFY(browser.messages.isEmpty());

        // Live: subscribe while it streams; the events are the same as a later replay.
        const QString live = startAgent(QStringLiteral("streamer"), QStringLiteral("live stream"));
        WsRecorder liveWs;
        liveWs.open(m_server.wsUrl(QStringLiteral("/ws/execution/") + live), kAlphaToken);
        QTRY_VERIFY_WITH_TIMEOUT(liveWs.hasComplete(), 60000);
        int chunks = 0;
        for (qsizetype i = 0; i < liveWs.messages.size(); ++i) {
            QCOMPARE(liveWs.messages[i].value(QLatin1String("seq")).toInteger(), i + 1);
            chunks += liveWs.messages[i].value(QLatin1String("type")).toString() == QLatin1String("chunk");
        }
        QVERIFY2(chunks >= 2500, qPrintable(QString::number(chunks)));
        WsRecorder again;
        again.open(m_server.wsUrl(QStringLiteral("/ws/execution/") + live), kAlphaToken);
        QTRY_VERIFY_WITH_TIMEOUT(again.hasComplete(), 20000);
        QCOMPARE(again.messages, liveWs.messages);
    }

    void wsSubscriptionErrors_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<bool>("unknownExecution");
        QTest::addColumn<QString>("code");
        QTest::newRow("unknown execution") << QString() << true << QStringLiteral("not_found");
        QTest::newRow("after_seq text")
            << QStringLiteral("?after_seq=abc") << false << QStringLiteral("bad_after_seq");
        QTest::newRow("after_seq negative")
            << QStringLiteral("?after_seq=-1") << false << QStringLiteral("bad_after_seq");
        QTest::newRow("after_seq beyond end")
            << QStringLiteral("?after_seq=999999") << false << QStringLiteral("bad_after_seq");
    }
    void wsSubscriptionErrors()
    {
        QFETCH(QString, query);
        QFETCH(bool, unknownExecution);
        QFETCH(QString, code);
        static QString finished;
        if (finished.isEmpty()) {
            finished = startAgent(QStringLiteral("echo"), QStringLiteral("for errors"));
            QVERIFY(waitFinished(finished));
        }
        const QString id
            = unknownExecution ? QStringLiteral("11111111-2222-3333-4444-555555555555") : finished;
        WsRecorder ws;
        ws.open(m_server.wsUrl(QStringLiteral("/ws/execution/") + id + query), kAlphaToken);
        QTRY_VERIFY_WITH_TIMEOUT(ws.closed, 10000);
        QCOMPARE(ws.messages.size(), 1);
        QCOMPARE(ws.last().value(QLatin1String("type")).toString(), QStringLiteral("error"));
        QCOMPARE(ws.last().value(QLatin1String("code")).toString(), code);
        QVERIFY(!ws.last().value(QLatin1String("message")).toString().isEmpty());
    }

    void wsAuth()
    {
        const QString id = startAgent(QStringLiteral("echo"), QStringLiteral("auth"));
        for (const QString &token : { QString(), QStringLiteral("wrong-token-abcdef") }) {
            WsRecorder ws;
            ws.open(m_server.wsUrl(QStringLiteral("/ws/execution/") + id), token);
            QTRY_VERIFY_WITH_TIMEOUT(ws.errored || ws.closed, 10000);
            QVERIFY(!ws.connected); // the upgrade was refused (HTTP 401)
        }
        QByteArray reply;
        const int status = rawStatus("GET /ws/execution/" + id.toUtf8()
                + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n",
            &reply);
        QCOMPARE(status, 401);
    }

    void wsCancel()
    {
        const QString id = startAgent(QStringLiteral("slow"), QStringLiteral("cancel over websocket"));
        WsRecorder ws;
        bool sent = false;
        ws.onMessage = [&](const QJsonObject &m) {
            if (!sent && m.value(QLatin1String("type")).toString() == QLatin1String("chunk")) {
                sent = true;
                ws.socket.sendTextMessage(QStringLiteral("{\"type\":\"cancel\"}"));
            }
        };
        ws.open(m_server.wsUrl(QStringLiteral("/ws/execution/") + id), kAlphaToken);
        QTRY_VERIFY_WITH_TIMEOUT(ws.hasComplete(), 30000);
        QCOMPARE(ws.last().value(QLatin1String("status")).toString(), QStringLiteral("cancelled"));
        QCOMPARE(statusOf(id), QStringLiteral("cancelled"));
    }

    // Malformed client messages get an error message; the stream goes on. An oversized one
    // closes the socket (1009) without harming the server.
    void wsMalformedMessages()
    {
        const QString id = startAgent(QStringLiteral("slow"), QStringLiteral("malformed"));
        WsRecorder ws;
        ws.open(m_server.wsUrl(QStringLiteral("/ws/execution/") + id), kAlphaToken);
        QTRY_VERIFY_WITH_TIMEOUT(ws.connected, 10000);
        for (const char *bad : { "not json", "[1,2]", "{\"type\":\"bogus\"}", "{\"seq\":1}",
                 "{\"type\":\"ack\",\"seq\":\"x\"}", "{\"type\":\"ack\",\"seq\":99999999}" })
            ws.socket.sendTextMessage(QString::fromLatin1(bad));
        ws.socket.sendBinaryMessage(QByteArray("\x01\x02", 2));
        auto errors = [&ws] {
            int n = 0;
            for (const QJsonObject &m : ws.messages)
                n += m.value(QLatin1String("type")).toString() == QLatin1String("error")
                    && m.value(QLatin1String("code")).toString() == QLatin1String("bad_message");
            return n;
        };
        QTRY_COMPARE_WITH_TIMEOUT(errors(), 7, 10000);
        QVERIFY(!ws.closed);
        ws.socket.sendTextMessage(QStringLiteral("{\"type\":\"ack\",\"seq\":1}")); // valid
        ws.socket.sendTextMessage(QString(100 * 1024, QLatin1Char('x'))); // over the 64 KiB limit
        QTRY_VERIFY_WITH_TIMEOUT(ws.closed, 10000);
        QCOMPARE(ws.closeCode, 1009);
        QCOMPARE(get(QStringLiteral("/api/health")).status, 200);
        QCOMPARE(post(QStringLiteral("/api/executions/%1/cancel").arg(id), {}).status, 202);
        QVERIFY(waitFinished(id));
    }

    // At least 100 forced disconnects at random points over long streaming executions; every
    // event (and so every chunk) arrives exactly once and in order, and the chunks add up to
    // the recorded reply.
    void wsResumeAfterRandomDisconnects()
    {
        int cycles = 0;
        int runs = 0;
        while (cycles < 100 && runs < 20) {
            const QString id
                = startAgent(QStringLiteral("streamer"), QStringLiteral("resume run %1").arg(runs));
            QVERIFY(!id.isEmpty());
            const Follow f = follow(id, 60, 100 - cycles);
            QVERIFY2(f.failure.isEmpty(), qPrintable(f.failure));
            QCOMPARE(f.finalStatus, QStringLiteral("completed"));
            cycles += f.cycles;
            ++runs;
            // Compare with the recorded reply.
            const HttpResult e = get(QStringLiteral("/api/executions/") + id);
            QString recorded;
            for (const QJsonValue &v : e.json.value(QLatin1String("steps")).toArray()) {
                const QJsonObject s = v.toObject();
                if (s.value(QLatin1String("kind")).toString() == QLatin1String("llm"))
                    recorded = s.value(QLatin1String("output_data"))
                                   .toObject()
                                   .value(QLatin1String("text"))
                                   .toString();
            }
            QCOMPARE(f.chunks, recorded);
            QVERIFY(f.chunkCount >= 2500);
        }
        qInfo("forced disconnects: %d over %d executions", cycles, runs);
        QVERIFY(cycles >= 100);
    }

    // A subscriber that stops reading is dropped (close 4001) once it is more than --max-lag
    // events behind; the engine and another subscriber carry on; the dropped one can resume.
    void slowSubscriberIsDropped()
    {
        const QString id = startAgent(QStringLiteral("flood"), QStringLiteral("flood"));
        // A client that stops reading: the server's writes back up.
        QTcpSocket stalled;
        QVERIFY(connectStalledReader(stalled, quint16(m_server.url.port()), 4096));
        stalled.write("GET /ws/execution/" + id.toUtf8()
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer "
            + kAlphaToken.toUtf8() + "\r\n\r\n");
        QVERIFY(stalled.waitForBytesWritten(5000));

        const Follow healthy = follow(id, 0); // reads everything (resuming if it lags too)
        QVERIFY2(healthy.failure.isEmpty(), qPrintable(healthy.failure));
        QCOMPARE(healthy.finalStatus, QStringLiteral("completed"));
        QVERIFY(healthy.chunkCount >= 59000);

        // Now read what the stalled socket got: frames, then a close frame with code 4001.
        stalled.setReadBufferSize(0);
        QByteArray data;
        QElapsedTimer t;
        t.start();
        int closeCode = 0;
        while (t.elapsed() < 30000 && closeCode == 0) {
            stalled.waitForReadyRead(200);
            data += stalled.readAll();
            const qsizetype start = data.indexOf("\r\n\r\n");
            if (start < 0)
                continue;
            qsizetype pos = start + 4;
            while (pos + 2 <= data.size()) {
                const quint8 opcode = quint8(data[pos]) & 0x0f;
                quint64 len = quint8(data[pos + 1]) & 0x7f;
                qsizetype header = 2;
                if (len == 126) {
                    if (pos + 4 > data.size())
                        break;
                    len = (quint64(quint8(data[pos + 2])) << 8) | quint8(data[pos + 3]);
                    header = 4;
                } else if (len == 127) {
                    if (pos + 10 > data.size())
                        break;
                    len = 0;
                    for (int i = 0; i < 8; ++i)
                        len = (len << 8) | quint8(data[pos + 2 + i]);
                    header = 10;
                }
                if (pos + header + qsizetype(len) > data.size())
                    break;
                if (opcode == 0x8 && len >= 2)
                    closeCode = (quint8(data[pos + header]) << 8) | quint8(data[pos + header + 1]);
                pos += header + qsizetype(len);
            }
        }
        QCOMPARE(closeCode, 4001);
    }

    // TLS when given a certificate and key (skipped when openssl is not installed).
    void tls()
    {
        const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
        if (openssl.isEmpty())
            QSKIP("openssl not found: cannot make a test certificate");
        QTemporaryDir dir;
        const QString cert = dir.filePath(QStringLiteral("cert.pem"));
        const QString key = dir.filePath(QStringLiteral("key.pem"));
        const auto made = testsupport::runProcess(openssl,
            { QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-keyout"), key,
                QStringLiteral("-out"), cert, QStringLiteral("-days"), QStringLiteral("2"),
                QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1") });
        QCOMPARE(made.exitCode, 0);
        ServerProcess server;
        QString error;
        QVERIFY2(server.start(dir.path(),
                     { QStringLiteral("--tls-cert"), cert, QStringLiteral("--tls-key"), key }, &error),
            qPrintable(error));
        QCOMPARE(server.url.scheme(), QStringLiteral("https"));
        QNetworkAccessManager nam;
        QNetworkRequest request(QUrl(server.url.toString() + QStringLiteral("/api/workspace")));
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.setCaCertificates(QSslCertificate::fromPath(cert));
        ssl.setPeerVerifyMode(QSslSocket::VerifyNone); // CN is an IP; we only test that TLS works
        request.setSslConfiguration(ssl);
        request.setRawHeader("Authorization", "Bearer " + kAlphaToken.toUtf8());
        QNetworkReply *reply = nam.get(request);
        QSignalSpy finished(reply, &QNetworkReply::finished);
        QVERIFY(finished.wait(20000));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QVERIFY(reply->readAll().contains("\"alpha\""));
        delete reply;
        // And a WebSocket over TLS.
        const HttpResult started = [&] {
            QNetworkRequest r(QUrl(server.url.toString() + QStringLiteral("/api/agents/echo/test")));
            r.setSslConfiguration(ssl);
            r.setRawHeader("Authorization", "Bearer " + kAlphaToken.toUtf8());
            r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
            QNetworkReply *p = nam.post(r, QByteArray(R"({"inputs":{"text":"tls"}})"));
            QEventLoop loop;
            QObject::connect(p, &QNetworkReply::finished, &loop, &QEventLoop::quit);
            loop.exec();
            HttpResult h;
            h.status = p->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            h.json = QJsonDocument::fromJson(p->readAll()).object();
            delete p;
            return h;
        }();
        QCOMPARE(started.status, 202);
        WsRecorder ws;
        ws.socket.setSslConfiguration(ssl);
        ws.open(server.wsUrl(QStringLiteral("/ws/execution/")
                    + started.json.value(QLatin1String("execution_id")).toString()),
            kAlphaToken);
        QTRY_VERIFY_WITH_TIMEOUT(ws.hasComplete(), 20000);
        QCOMPARE(server.terminate(), 0);
    }

    // SIGTERM: running executions are cancelled and recorded, subscribers get the final event,
    // the process exits 0, and nothing is left `running` in the database.
    void gracefulShutdown()
    {
        QTemporaryDir dir;
        ServerProcess server;
        QString error;
        QVERIFY2(server.start(dir.path(), {}, &error), qPrintable(error));
        QNetworkAccessManager nam;
        QStringList ids;
        for (int i = 0; i < 3; ++i) {
            const HttpResult r
                = http(nam, "POST", QUrl(server.url.toString() + QStringLiteral("/api/agents/slow/test")),
                    kAlphaToken, R"({"inputs":{"text":"shutdown"}})");
            QCOMPARE(r.status, 202);
            ids << r.json.value(QLatin1String("execution_id")).toString();
        }
        WsRecorder ws;
        ws.open(server.wsUrl(QStringLiteral("/ws/execution/") + ids.first()), kAlphaToken);
        QTRY_VERIFY_WITH_TIMEOUT(ws.messages.size() >= 3, 20000); // it is running
        QCOMPARE(server.terminate(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(ws.closed, 10000);
        QVERIFY(ws.hasComplete());
        QCOMPARE(ws.last().value(QLatin1String("status")).toString(), QStringLiteral("cancelled"));

        ExecutionStore store(server.dbPath);
        int recovered = -1;
        QVERIFY(store.open(&recovered).ok());
        QCOMPARE(recovered, 0); // nothing was left running or queued
        for (const QString &id : std::as_const(ids)) {
            const Result<ExecutionRecord> r = store.execution(StoreScope::everyWorkspace(), id, true);
            QVERIFY(r.ok());
            QCOMPARE(r->status, ExecutionStatus::Cancelled);
            for (const StepRecord &s : r->steps)
                QVERIFY2(s.status != StepStatus::Running, qPrintable(s.name));
        }
    }

private:
    bool waitFinishedAs(const QString &id, const QString &token)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 60000) {
            const QString s = get(QStringLiteral("/api/executions/") + id, token)
                                  .json.value(QLatin1String("status"))
                                  .toString();
            if (s == QLatin1String("completed") || s == QLatin1String("failed")
                || s == QLatin1String("cancelled"))
                return true;
            QTest::qWait(20);
        }
        return false;
    }
};

QTEST_GUILESS_MAIN(TestServerE2E)
#include "tst_server_e2e.moc"
