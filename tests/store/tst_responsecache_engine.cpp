#include "core/engine/LocalBackend.h"
#include "core/store/ExecutionStore.h"
#include "core/store/ResponseCacheStore.h"
#include "tests/support/BackendReplies.h"
#include "tests/support/ScriptedHttpServer.h"

#include <QJsonDocument>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;

// The response cache through the embedded engine: a request's response_cache reaches every
// LLM call of the run, "" means the engine's history database, and a replayed step says so.
namespace {

const char *const kKeyVariable = "AGENTSTUDIO_TEST_CACHE_KEY";

// A Chat Completions stream whose reply text is the JSON object {"answer": answer}.
QByteArray answerStream(const QString &answer)
{
    const QString content = QString::fromUtf8(
        QJsonDocument(QJsonObject { { u"answer"_s, answer } }).toJson(QJsonDocument::Compact));
    const QJsonObject chunk { { u"choices"_s,
        QJsonArray { QJsonObject { { u"index"_s, 0 },
            { u"delta"_s, QJsonObject { { u"role"_s, u"assistant"_s }, { u"content"_s, content } } } } } } };
    return "data: " + QJsonDocument(chunk).toJson(QJsonDocument::Compact)
        + "\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":"
          "{\"prompt_tokens\":20,\"completion_tokens\":6,\"total_tokens\":26}}\n\ndata: [DONE]\n\n";
}

} // namespace

class TestResponseCacheEngine : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void writeThenReadReplaysWithoutNetworkOrKey();
    void readMissFailsTheRunWithoutARequest();
    void cacheFileOfItsOwn();
    void noHistoryNeedsAFile();

private:
    void startBackend(bool withHistory = true);
    ExecutionRecord run(
        const ResponseCacheOptions &cache, const QString &question, QString *startError = nullptr);
    ExecutionRecord stored(const QString &id);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ScriptedHttpServer> m_server;
    std::unique_ptr<LocalBackend> m_backend;
    ExecutionEventList m_events;
    QString m_db;
};

void TestResponseCacheEngine::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_db = m_dir->filePath(u"executions.db"_s);
    m_server = std::make_unique<ScriptedHttpServer>();
    qputenv(kKeyVariable, "sk-engine-cache-SECRET-42");
}

void TestResponseCacheEngine::cleanup()
{
    m_backend.reset();
    m_server.reset();
    m_dir.reset();
    qunsetenv(kKeyVariable);
}

void TestResponseCacheEngine::startBackend(bool withHistory)
{
    const QString json = uR"({"format": "agentstudio/1", "workspace_id": "cache",
        "providers": {"cloud": {"kind": "openai", "base_url": "%1/v1", "api_key_env": "%2"}},
        "agents": [{"id": "chat", "name": "chat", "version": "1",
           "model": {"provider": "cloud", "name": "gpt-4o-mini"}, "instructions": "Answer briefly.",
           "signature": {"inputs": [{"name": "question", "type": "str"}],
                         "outputs": [{"name": "answer", "type": "str"}]}}]})"_s.arg(
        m_server->url().toString(), QString::fromLatin1(kKeyVariable));
    Result<Workspace> ws = Workspace::fromJson(json.toUtf8());
    if (!ws.ok())
        qFatal("workspace: %s", qPrintable(ws.error()));
    EngineSettings s;
    s.databasePath = withHistory ? m_db : QString();
    m_backend = std::make_unique<LocalBackend>(ws.value(), s);
    connect(m_backend.get(), &ExecutionBackend::eventsReceived, this,
        [this](const ExecutionEventList &events) { m_events += events; });
    m_backend->setCredentialTrust(CredentialTrust::everything()); // a loopback host
}

ExecutionRecord TestResponseCacheEngine::run(
    const ResponseCacheOptions &cache, const QString &question, QString *startError)
{
    ExecutionRequest r;
    r.agentId = u"chat"_s;
    r.inputs = QJsonObject { { u"question"_s, question } };
    r.responseCache = cache;
    const auto [id, error] = startAndWait(*m_backend, r);
    if (startError)
        *startError = error.message;
    if (id.isEmpty())
        return {};
    const bool ended = QTest::qWaitFor(
        [&] {
            for (const ExecutionEvent &e : std::as_const(m_events))
                if (e.executionId == id && e.isTerminal())
                    return true;
            return false;
        },
        20000);
    if (!ended)
        qWarning("run %s did not end", qPrintable(id));
    return stored(id);
}

ExecutionRecord TestResponseCacheEngine::stored(const QString &id)
{
    ExecutionStore store(m_db);
    if (!store.open().ok())
        return {};
    Result<ExecutionRecord> r = store.execution(StoreScope::everyWorkspace(), id, true);
    return r.ok() ? r.take() : ExecutionRecord();
}

static const StepRecord *llmStep(const ExecutionRecord &r)
{
    for (const StepRecord &s : r.steps)
        if (s.kind == StepKind::Llm)
            return &s;
    return nullptr;
}

void TestResponseCacheEngine::writeThenReadReplaysWithoutNetworkOrKey()
{
    startBackend();
    m_server->enqueue({ 200, { { "Content-Type", "text/event-stream" } }, answerStream(u"from the wire"_s) });
    ResponseCacheOptions write;
    write.mode = CacheMode::Write;
    const ExecutionRecord first = run(write, u"what is up?"_s);
    QCOMPARE(first.status, ExecutionStatus::Completed);
    QCOMPARE(m_server->requests.size(), 1);
    QVERIFY(!llmStep(first)->outputData.contains(u"cached"_s));

    m_server.reset(); // no network: any request would be refused
    qunsetenv(kKeyVariable); // and no key: a replay sends nothing
    ResponseCacheOptions read;
    read.mode = CacheMode::Read;
    const ExecutionRecord again = run(read, u"what is up?"_s);
    QVERIFY2(again.status == ExecutionStatus::Completed, qPrintable(again.errorMessage));
    QCOMPARE(again.outputData.value(u"answer"_s).toString(), u"from the wire"_s);
    const StepRecord *llm = llmStep(again);
    QVERIFY(llm);
    QCOMPARE(llm->outputData.value(u"cached"_s), QJsonValue(true));
    QCOMPARE(llm->inputTokens, 20); // the recorded usage
}

void TestResponseCacheEngine::readMissFailsTheRunWithoutARequest()
{
    startBackend();
    m_server->enqueue({ 200, { { "Content-Type", "text/event-stream" } }, answerStream(u"unused"_s) });
    ResponseCacheOptions read;
    read.mode = CacheMode::Read;
    read.nameSpace = u"r1"_s;
    const ExecutionRecord r = run(read, u"never recorded"_s);
    QCOMPARE(r.status, ExecutionStatus::Failed);
    static const QRegularExpression shape(u"cache miss: openai gpt-4o-mini \\(key [0-9a-f]{12}\\)"_s);
    QVERIFY2(shape.match(r.errorMessage).hasMatch(), qPrintable(r.errorMessage));
    QVERIFY(m_server->requests.isEmpty());
}

void TestResponseCacheEngine::cacheFileOfItsOwn()
{
    startBackend();
    m_server->enqueue({ 200, { { "Content-Type", "text/event-stream" } }, answerStream(u"kept apart"_s) });
    ResponseCacheOptions write;
    write.mode = CacheMode::ReadWrite;
    write.file = m_dir->filePath(u"dataset/cache.db"_s);
    QCOMPARE(run(write, u"q"_s).status, ExecutionStatus::Completed);
    QCOMPARE(run(write, u"q"_s).status, ExecutionStatus::Completed); // the second one replays
    QCOMPARE(m_server->requests.size(), 1);
    m_backend.reset();
    ResponseCacheStore file(write.file);
    QVERIFY(file.open().ok());
    QCOMPARE(file.count().value(), 1);
    ResponseCacheStore history(m_db);
    QVERIFY(history.open().ok());
    QCOMPARE(history.count().value(), 0);
}

void TestResponseCacheEngine::noHistoryNeedsAFile()
{
    startBackend(false);
    ResponseCacheOptions read;
    read.mode = CacheMode::Read;
    QString error;
    run(read, u"q"_s, &error);
    QCOMPARE(error,
        u"response_cache: no history database to keep the cache in (history is off): give response_cache.file"_s);
}

QTEST_GUILESS_MAIN(TestResponseCacheEngine)
#include "tst_responsecache_engine.moc"
