#include "core/common/Util.h"
#include "core/engine/LocalBackend.h"
#include "core/model/Workspace.h"
#include "core/providers/ApiKeyLookup.h"
#include "core/store/ExecutionStore.h"
#include "tests/keychain/KeychainTestEnv.h"
#include "tests/support/ScriptedHttpServer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

// A run on an `openai` provider pointing at a real loopback server: the engine resolves the key
// before the call (environment first, then the keychain, which in this test has no session bus
// to talk to) and the key reaches the server and nothing else. A loopback server is not the
// provider's official host, so the workspace needs trust (docs/credentials.md): without it
// the run fails before any request, naming provider, host and variable.
namespace {

const QByteArray kKey = "sk-kc-engine-SECRET-0123456789";

QByteArray workspaceJson(const QUrl &server, const QString &kind = QStringLiteral("openai"),
    const QString &keyVariable = QStringLiteral("AS_KC_ENGINE_KEY"))
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
    QJsonObject cloud { { QStringLiteral("kind"), kind },
        { QStringLiteral("base_url"),
            QString(server.toString() + (kind == u"openai" ? QStringLiteral("/v1") : QString())) } };
    if (!keyVariable.isEmpty())
        cloud.insert(QStringLiteral("api_key_env"), keyVariable);
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
            all += e.content + e.errorMessage + e.summary->errorMessage
                + QString::fromUtf8(QJsonDocument(e.toJson()).toJson());
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

    static Workspace workspace(const QByteArray &json)
    {
        QStringList problems;
        Result<Workspace> ws = Workspace::fromJson(json, &problems);
        if (!ws.ok())
            qFatal("workspace invalid: %s", qPrintable(ws.error()));
        return ws.take();
    }

    // The test's own loopback workspace, trusted unless said otherwise.
    std::unique_ptr<LocalBackend> backend(
        const QUrl &server, const CredentialTrust &trust = CredentialTrust::everything())
    {
        return backend(workspace(workspaceJson(server)), trust);
    }

    std::unique_ptr<LocalBackend> backend(const Workspace &ws, const CredentialTrust &trust)
    {
        EngineSettings s;
        s.databasePath = m_dir.filePath(QStringLiteral("engine.db"));
        s.credentialTrust = trust;
        return std::make_unique<LocalBackend>(ws, s);
    }

    static ScriptedHttpServer::Response okResponse()
    {
        ScriptedHttpServer::Response ok;
        ok.headers = { { "Content-Type", "text/event-stream" } };
        ok.body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi there\"}}]}\n\n"
                  "data: [DONE]\n\n";
        return ok;
    }

    QString start(ExecutionBackend &b)
    {
        ExecutionRequest r;
        r.executionId = as::newId();
        r.agentId = QStringLiteral("cloudy");
        r.inputs = QJsonObject { { QStringLiteral("in"), QStringLiteral("hello") } };
        b.start(r, nullptr, {}); // the events say how it goes
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
        QString all = toWire(rec.status) + rec.errorMessage
            + QString::fromUtf8(QJsonDocument(rec.inputData).toJson())
            + QString::fromUtf8(QJsonDocument(rec.outputData).toJson());
        for (const StepRecord &s : rec.steps)
            all += toWire(s.status) + s.errorMessage + QString::fromUtf8(QJsonDocument(s.inputData).toJson())
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
        QCOMPARE(log.complete(id).status, ExecutionStatus::Completed);
        QCOMPARE(server.requests.size(), 1);
        QCOMPARE(server.requests.first().headers.value("authorization"), QByteArray("Bearer " + kKey));
        QVERIFY(!log.everything(id).contains(QString::fromLatin1(kKey)));
        QTRY_COMPARE_WITH_TIMEOUT(storedText(id).startsWith(QLatin1String("completed")), true, 10000);
        QVERIFY(!storedText(id).contains(QString::fromLatin1(kKey)));
        qunsetenv("AS_KC_ENGINE_KEY");
    }

    // Not trusted: a named variable to a loopback host fails the run before any request, with
    // a message naming the provider, the host and the variable — and the key is never read.
    void untrustedHostFailsBeforeAnyRequest()
    {
        ScriptedHttpServer server;
        server.enqueue(okResponse());
        qputenv("AS_KC_ENGINE_KEY", kKey);
        auto b = backend(server.url(), CredentialTrust());
        EventLog log(b.get());
        const QString id = start(*b);
        QTRY_VERIFY_WITH_TIMEOUT(log.finished(id), 20000);
        QCOMPARE(log.complete(id).status, ExecutionStatus::Failed);
        const QString error = log.complete(id).summary->errorMessage;
        QCOMPARE(error,
            QStringLiteral(
                "provider 'cloud' (openai) would send AS_KC_ENGINE_KEY to host %1 (not the official "
                "host api.openai.com); this workspace is not trusted")
                .arg(server.url().authority()));
        QCOMPARE(server.requests.size(), 0);
        qunsetenv("AS_KC_ENGINE_KEY");
    }

    // api_key_env may name any variable; one that is not the kind's default (a GitHub token
    // here) is never sent without trust.
    void foreignVariableNeedsTrust()
    {
        ScriptedHttpServer server;
        server.enqueue(okResponse());
        qputenv("GITHUB_TOKEN", kKey);
        auto b = backend(
            workspace(workspaceJson(server.url(), QStringLiteral("openai"), QStringLiteral("GITHUB_TOKEN"))),
            CredentialTrust());
        EventLog log(b.get());
        const QString id = start(*b);
        QTRY_VERIFY_WITH_TIMEOUT(log.finished(id), 20000);
        QCOMPARE(log.complete(id).status, ExecutionStatus::Failed);
        const QString error = log.complete(id).summary->errorMessage;
        QVERIFY2(error.contains(QLatin1String("GITHUB_TOKEN")) && error.contains(server.url().authority())
                && error.contains(QLatin1String("'cloud'")),
            qPrintable(error));
        QCOMPARE(server.requests.size(), 0);
        QVERIFY(!log.everything(id).contains(QString::fromLatin1(kKey)));
        qunsetenv("GITHUB_TOKEN");
    }

    // The implicit ANTHROPIC_API_KEY goes to api.anthropic.com only: an anthropic provider
    // pointing anywhere else runs keyless (no trust asked: it sends nothing).
    void anthropicDefaultKeyStaysHome()
    {
        ScriptedHttpServer server;
        server.enqueue(ScriptedHttpServer::jsonResponse(401,
            R"({"type":"error","error":{"type":"authentication_error","message":"x-api-key header is required"}})"));
        qputenv("ANTHROPIC_API_KEY", kKey);
        auto b = backend(workspace(workspaceJson(server.url(), QStringLiteral("anthropic"), QString())),
            CredentialTrust());
        EventLog log(b.get());
        const QString id = start(*b);
        QTRY_VERIFY_WITH_TIMEOUT(log.finished(id), 20000);
        qunsetenv("ANTHROPIC_API_KEY");
        QCOMPARE(server.requests.size(), 1);
        QVERIFY2(!server.requests.first().headers.contains("x-api-key"),
            server.requests.first().headers.value("x-api-key").constData());
        for (const QByteArray &value : std::as_const(server.requests.first().headers))
            QVERIFY(!value.contains(kKey));
    }

    // Trust in the app is exactly the uses the user saw: approving this provider's use sends
    // the key; the same approval does not cover the provider once it points elsewhere.
    void approvedUseOnly()
    {
        ScriptedHttpServer server;
        ScriptedHttpServer other;
        server.enqueue(okResponse());
        other.enqueue(okResponse());
        qputenv("AS_KC_ENGINE_KEY", kKey);
        const Workspace ws = workspace(workspaceJson(server.url()));
        const CredentialTrust approved { false, credentials::usesNeedingTrust(ws) };
        QCOMPARE(approved.approved.size(), 1);
        auto b = backend(ws, approved);
        EventLog log(b.get());
        const QString id = start(*b);
        QTRY_VERIFY_WITH_TIMEOUT(log.finished(id), 20000);
        QCOMPARE(log.complete(id).status, ExecutionStatus::Completed);
        QCOMPARE(server.requests.size(), 1);
        QCOMPARE(server.requests.first().headers.value("authorization"), QByteArray("Bearer " + kKey));

        b->setWorkspace(workspace(workspaceJson(other.url())));
        const QString moved = start(*b);
        QTRY_VERIFY_WITH_TIMEOUT(log.finished(moved), 20000);
        QCOMPARE(log.complete(moved).status, ExecutionStatus::Failed);
        QCOMPARE(other.requests.size(), 0);
        qunsetenv("AS_KC_ENGINE_KEY");
    }

    // No variable and no secret service: the run fails with the message naming the variable,
    // without contacting the server. The keychain is never asked for a non-official host.
    void noKeyAnywhereFails()
    {
        ScriptedHttpServer server;
        qunsetenv("AS_KC_ENGINE_KEY");
        auto b = backend(server.url());
        EventLog log(b.get());
        const QString id = start(*b);
        QTRY_VERIFY_WITH_TIMEOUT(log.finished(id), 20000);
        QCOMPARE(log.complete(id).status, ExecutionStatus::Failed);
        const QString error = log.complete(id).summary->errorMessage;
        qInfo("run error: %s", qPrintable(error));
        QCOMPARE(error, QStringLiteral("openai: no API key: set AS_KC_ENGINE_KEY"));
        QCOMPARE(server.requests.size(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(storedText(id).startsWith(QLatin1String("failed")), true, 10000);
    }

    // A cancel while the key is being looked up ends the run cancelled, and the engine goes on.
    // The loopback server stands in for the official host, so the keychain is asked.
    void cancelDuringLookup()
    {
        ScriptedHttpServer server;
        qunsetenv("AS_KC_ENGINE_KEY");
        credentials::setOfficialOriginForTesting(QStringLiteral("openai"), server.url());
        auto b = backend(server.url());
        EventLog log(b.get());
        const QString id = start(*b);
        b->cancel(id);
        QTRY_VERIFY_WITH_TIMEOUT(log.finished(id), 20000);
        QCOMPARE(log.complete(id).status, ExecutionStatus::Cancelled);
        QCOMPARE(server.requests.size(), 0);
        const QString next = start(*b);
        QTRY_VERIFY_WITH_TIMEOUT(log.finished(next), 20000);
        credentials::setOfficialOriginForTesting(QStringLiteral("openai"), QUrl());
        QCOMPARE(log.complete(next).status, ExecutionStatus::Failed);
        const QString error = log.complete(next).summary->errorMessage;
        QVERIFY2(error.contains(QLatin1String("system keychain")), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestEngineApiKeys)
#include "tst_engine_apikeys.moc"
