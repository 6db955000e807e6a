#include "core/common/Util.h"
#include "core/engine/LocalBackend.h"
#include "core/model/Workspace.h"
#include "core/providers/ApiKeyLookup.h"
#include "core/store/ExecutionStore.h"
#include "tests/keychain/KeychainTestEnv.h"
#include "tests/providers/ScriptedHttpServer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

// A run on an `openai` provider pointing at a real loopback server: the engine resolves the key
// before the call (environment first, then the keychain, which in this test has no session bus
// to talk to) and the key reaches the server and nothing else.
namespace {

const QByteArray kKey = "sk-kc-engine-SECRET-0123456789";

QByteArray workspaceJson(const QUrl &server)
{
    const QJsonObject field { { QStringLiteral("name"), QStringLiteral("in") },
        { QStringLiteral("type"), QStringLiteral("str") } };
    const QJsonObject out { { QStringLiteral("name"), QStringLiteral("out") },
        { QStringLiteral("type"), QStringLiteral("str") } };
    const QJsonObject agent {
        { QStringLiteral("id"), QStringLiteral("cloudy") },
        { QStringLiteral("name"), QStringLiteral("cloudy") },
        { QStringLiteral("version"), QStringLiteral("1") },
        { QStringLiteral("model"),
            QJsonObject { { QStringLiteral("provider"), QStringLiteral("cloud") },
                { QStringLiteral("name"), QStringLiteral("gpt-4o-mini") } } },
        { QStringLiteral("instructions"), QStringLiteral("Echo.") },
        { QStringLiteral("signature"),
            QJsonObject { { QStringLiteral("inputs"), QJsonArray { field } },
                { QStringLiteral("outputs"), QJsonArray { out } } } },
    };
    const QJsonObject cloud { { QStringLiteral("kind"), QStringLiteral("openai") },
        { QStringLiteral("base_url"), QString(server.toString() + QStringLiteral("/v1")) },
        { QStringLiteral("api_key_env"), QStringLiteral("AS_KC_ENGINE_KEY") } };
    QJsonObject providers;
    providers.insert(QStringLiteral("cloud"), cloud);
    QJsonObject ws;
    ws.insert(QStringLiteral("format"), QStringLiteral("agentstudio/1"));
    ws.insert(QStringLiteral("providers"), providers);
    ws.insert(QStringLiteral("agents"), QJsonArray { agent });
    return QJsonDocument(ws).toJson();
}

class EventLog : public QObject
{
public:
    explicit EventLog(ExecutionBackend *backend)
    {
        connect(backend, &ExecutionBackend::eventsReceived, this, [this](const ExecutionEventList &events) {
            for (const ExecutionEvent &e : events)
                byId[e.executionId].append(e);
        });
    }
    bool finished(const QString &id) const
    {
        const ExecutionEventList l = byId.value(id);
        return !l.isEmpty() && l.last().isTerminal();
    }
    ExecutionEvent complete(const QString &id) const { return byId.value(id).last(); }
    QString everything(const QString &id) const
    {
        QString all;
        for (const ExecutionEvent &e : byId.value(id))
            all += e.content + e.status + QString::fromUtf8(QJsonDocument(e.data).toJson())
                + QString::fromUtf8(QJsonDocument(e.step).toJson());
        return all;
    }
    QHash<QString, ExecutionEventList> byId;
};

} // namespace

class TestEngineApiKeys : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QTemporaryDir m_runtime;

    std::unique_ptr<LocalBackend> backend(const QUrl &server)
    {
        QStringList problems;
        Result<Workspace> ws = Workspace::fromJson(workspaceJson(server), &problems);
        if (!ws.ok())
            qFatal("workspace invalid: %s", qPrintable(ws.error()));
        EngineSettings s;
        s.databasePath = m_dir.filePath(QStringLiteral("engine.db"));
        return std::make_unique<LocalBackend>(ws.take(), s);
    }

    QString start(ExecutionBackend &b)
    {
        ExecutionRequest r;
        r.executionId = as::newId();
        r.agentId = QStringLiteral("cloudy");
        r.inputs = QJsonObject { { QStringLiteral("in"), QStringLiteral("hello") } };
        b.start(r);
        return r.executionId;
    }

    // Every text column of the stored execution and its steps.
    QString storedText(const QString &id)
    {
        ExecutionStore store(m_dir.filePath(QStringLiteral("engine.db")));
        if (!store.open().ok())
            return QStringLiteral("<store did not open>");
        Result<ExecutionRecord> r = store.execution(StoreScope::everyWorkspace(), id, true);
        if (!r.ok())
            return QStringLiteral("<no record>");
        const ExecutionRecord rec = r.value();
        QString all = rec.status + rec.errorMessage + QString::fromUtf8(QJsonDocument(rec.inputData).toJson())
            + QString::fromUtf8(QJsonDocument(rec.outputData).toJson());
        for (const StepRecord &s : rec.steps)
            all += s.status + s.errorMessage + QString::fromUtf8(QJsonDocument(s.inputData).toJson())
                + QString::fromUtf8(QJsonDocument(s.outputData).toJson());
        return all;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY(m_runtime.isValid());
        isolateFromSessionBus(m_runtime);
    }

    // The key from the environment variable reaches the server as a bearer token, and no event
    // or stored record contains it.
    void keyFromEnvironment()
    {
        ScriptedHttpServer server;
        ScriptedHttpServer::Response ok;
        ok.headers = { { "Content-Type", "text/event-stream" } };
        ok.body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi there\"}}]}\n\n"
                  "data: "
                  "{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}"
                  "}\n\n"
                  "data: [DONE]\n\n";
        server.enqueue(ok);
        qputenv("AS_KC_ENGINE_KEY", kKey);
        auto b = backend(server.url());
        EventLog log(b.get());
        const QString id = start(*b);
        QTRY_VERIFY_WITH_TIMEOUT(log.finished(id), 20000);
        QCOMPARE(log.complete(id).status, QStringLiteral("completed"));
        QCOMPARE(server.requests.size(), 1);
        QCOMPARE(server.requests.first().headers.value("authorization"), QByteArray("Bearer " + kKey));
        QVERIFY(!log.everything(id).contains(QString::fromLatin1(kKey)));
        QTRY_COMPARE_WITH_TIMEOUT(storedText(id).startsWith(QLatin1String("completed")), true, 10000);
        QVERIFY(!storedText(id).contains(QString::fromLatin1(kKey)));
        qunsetenv("AS_KC_ENGINE_KEY");
    }

    // No variable and no secret service: the run fails with the message naming both places,
    // without contacting the server.
    void noKeyAnywhereFails()
    {
        ScriptedHttpServer server;
        qunsetenv("AS_KC_ENGINE_KEY");
        auto b = backend(server.url());
        EventLog log(b.get());
        const QString id = start(*b);
        QTRY_VERIFY_WITH_TIMEOUT(log.finished(id), 20000);
        QCOMPARE(log.complete(id).status, QStringLiteral("failed"));
        const QString error = log.complete(id).data.value(QLatin1String("error_message")).toString();
        const QString expected = apikeys::keychainSupported()
            ? QStringLiteral("openai: no API key: set AS_KC_ENGINE_KEY or store one in the system keychain "
                             "(Settings > API Keys)")
            : QStringLiteral("openai: no API key: set AS_KC_ENGINE_KEY");
        qInfo("run error: %s", qPrintable(error));
        QVERIFY2(error.startsWith(expected), qPrintable(error));
        QCOMPARE(server.requests.size(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(storedText(id).startsWith(QLatin1String("failed")), true, 10000);
    }

    // A cancel while the key is being looked up ends the run cancelled, and the engine goes on.
    void cancelDuringLookup()
    {
        ScriptedHttpServer server;
        qunsetenv("AS_KC_ENGINE_KEY");
        auto b = backend(server.url());
        EventLog log(b.get());
        const QString id = start(*b);
        b->cancel(id);
        QTRY_VERIFY_WITH_TIMEOUT(log.finished(id), 20000);
        QCOMPARE(log.complete(id).status, QStringLiteral("cancelled"));
        QCOMPARE(server.requests.size(), 0);
        const QString next = start(*b);
        QTRY_VERIFY_WITH_TIMEOUT(log.finished(next), 20000);
        QCOMPARE(log.complete(next).status, QStringLiteral("failed"));
    }
};

QTEST_GUILESS_MAIN(TestEngineApiKeys)
#include "tst_engine_apikeys.moc"
