#include "core/store/ExecutionStore.h"
#include "core/store/ResponseCacheStore.h"
#include "tests/providers/ProviderTestUtil.h"

#include <QDirIterator>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <memory>

using namespace providertest;
using namespace Qt::StringLiterals;

namespace {

// A complete Chat Completions stream whose reply is `text`, with a usage report.
QByteArray openAiStream(const QByteArray &text)
{
    return "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"" + text
        + "\"},\"finish_reason\":null}]}\n\n"
          "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":"
          "{\"prompt_tokens\":11,\"completion_tokens\":3,\"total_tokens\":14}}\n\n"
          "data: [DONE]\n\n";
}

const QByteArray kAnthropicStream
    = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":"
      "\"message\",\"role\":\"assistant\",\"model\":\"claude-test\",\"content\":[],\"usage\":{\"input_"
      "tokens\":9,\"output_tokens\":1}}}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
      "{\"type\":\"text\",\"text\":\"\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
      "\"text_delta\",\"text\":\"Bonjour\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
      "\"usage\":{\"output_tokens\":2}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

const QByteArray kOllamaStream
    = "{\"model\":\"llama3\",\"message\":{\"role\":\"assistant\",\"content\":\"Hallo\"},\"done\":false}\n"
      "{\"model\":\"llama3\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
      "\"done_reason\":\"stop\",\"prompt_eval_count\":7,\"eval_count\":2}\n";

ScriptedHttpServer::Response sse(const QByteArray &body, const QByteArray &type = "text/event-stream")
{
    ScriptedHttpServer::Response r;
    r.headers = { { "Content-Type", type } };
    r.body = body;
    return r;
}

// Every byte of the cache file and its WAL / journal companions.
QByteArray fileBytes(const QString &dbPath)
{
    QByteArray all;
    for (const QString &suffix : { u""_s, u"-wal"_s, u"-journal"_s, u"-shm"_s }) {
        QFile f(dbPath + suffix);
        if (f.open(QIODevice::ReadOnly))
            all += f.readAll();
    }
    return all;
}

} // namespace

Q_DECLARE_METATYPE(ScriptedHttpServer::Response)

class TestResponseCache : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void storeRoundTripAndReplace();
    void writeThenReadWithTheServerGone();
    void noKeyMaterialInTheFile();
    void readMissFailsWithoutARequest();
    void readwriteFillsGaps();
    void errorAnswersAreNotStored_data();
    void errorAnswersAreNotStored();
    void cancelledStreamIsNotStored();
    void namespaceSeparatesRepeats();
    void anthropicAndOllamaReplay_data();
    void anthropicAndOllamaReplay();
    void historyDatabaseHoldsTheCacheTable();

private:
    QString cachePath() const { return m_dir->filePath(u"cassettes/cache.db"_s); }
    std::shared_ptr<ResponseCacheStore> openCache()
    {
        auto cache = std::make_shared<ResponseCacheStore>(cachePath());
        const Result<void> r = cache->open();
        if (!r.ok())
            qWarning("%s", qPrintable(r.error()));
        return cache;
    }
    static LlmRequest cachedRequest(const LlmRequest &base, const std::shared_ptr<ResponseCache> &cache,
        CacheMode mode, const QString &ns = {})
    {
        LlmRequest r = base;
        r.cache = cache;
        r.cacheMode = mode;
        r.cacheNamespace = ns;
        r.maxRetries = 0;
        return r;
    }
    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestResponseCache::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestResponseCache::storeRoundTripAndReplace()
{
    auto cache = openCache();
    QCOMPARE(cache->count().value(), 0);
    CachedResponse e;
    e.body = QByteArray("data: x\n\n\x00\xff", 11); // bytes as received, binary-safe
    e.httpStatus = 200;
    e.request = QJsonObject { { u"model"_s, u"m"_s } };
    e.provider = u"openai"_s;
    e.model = u"m"_s;
    e.latencyMs = 120;
    e.ttftMs = 30;
    e.recordedAt = u"2026-11-02T08:30:00.250Z"_s;
    QString error;
    QVERIFY2(cache->store("k1", e, &error), qPrintable(error));
    const std::optional<CachedResponse> back = cache->lookup("k1");
    QVERIFY(back);
    QCOMPARE(back->body, e.body);
    QCOMPARE(back->request, e.request);
    QCOMPARE(back->latencyMs, 120);
    QCOMPARE(back->ttftMs, 30);
    QCOMPARE(back->recordedAt, e.recordedAt);
    QVERIFY(!cache->lookup("k2"));
    e.body = "second";
    QVERIFY(cache->store("k1", e, &error));
    QCOMPARE(cache->lookup("k1")->body, QByteArray("second"));
    QCOMPARE(cache->count().value(), 1);
    // A second connection (another thread or process) sees the entry.
    ResponseCacheStore other(cachePath());
    QVERIFY(other.open().ok());
    QCOMPARE(other.lookup("k1")->body, QByteArray("second"));
}

void TestResponseCache::writeThenReadWithTheServerGone()
{
    auto cache = openCache();
    LlmRequest base;
    {
        ScriptedHttpServer server;
        base = makeRequest(u"openai"_s, server.url());
        server.enqueue(sse(openAiStream("Hello from the wire")));
        CallRun write(cachedRequest(base, cache, CacheMode::Write));
        write.start();
        WAIT_FINISHED(write);
        QVERIFY2(write.result().ok, qPrintable(write.result().error));
        QVERIFY(!write.result().cached);
        QCOMPARE(server.requests.size(), 1);
    } // the server is gone: any request would be refused
    QCOMPARE(cache->count().value(), 1);

    CallRun read(cachedRequest(base, cache, CacheMode::Read));
    read.start();
    QVERIFY(read.results.isEmpty()); // replayed from the event loop, never inside start()
    WAIT_FINISHED(read);
    QVERIFY2(read.result().ok, qPrintable(read.result().error));
    QVERIFY(read.result().cached);
    QCOMPARE(read.result().text, u"Hello from the wire"_s);
    QCOMPARE(read.chunks.join(QString()), u"Hello from the wire"_s);
    QCOMPARE(read.result().usage.inputTokens, 11); // the recorded usage report
    QVERIFY(!read.result().usage.estimated);
    QCOMPARE(read.results.size(), 1);
}

void TestResponseCache::noKeyMaterialInTheFile()
{
    auto cache = openCache();
    ScriptedHttpServer server;
    const LlmRequest base = makeRequest(u"openai"_s, server.url());
    server.enqueue(sse(openAiStream("fine")));
    CallRun write(cachedRequest(base, cache, CacheMode::Write));
    write.start();
    WAIT_FINISHED(write);
    QVERIFY(write.result().ok);
    QVERIFY(server.requests.first().headers.value("authorization").contains(kApiKey.toUtf8()));
    const QByteArray bytes = fileBytes(cachePath());
    QVERIFY(bytes.contains("Say hello.")); // the request is recorded…
    QVERIFY(!bytes.contains(kApiKey.toUtf8())); // …without the key or any header
    QVERIFY(!bytes.contains("0123456789abcdef"));
    QVERIFY(!bytes.toLower().contains("authorization"));
    QVERIFY(!bytes.toLower().contains("bearer"));
}

void TestResponseCache::readMissFailsWithoutARequest()
{
    auto cache = openCache();
    ScriptedHttpServer server;
    server.enqueue(sse(openAiStream("never asked")));
    LlmRequest r = cachedRequest(makeRequest(u"openai"_s, server.url()), cache, CacheMode::Read);
    r.apiKey.clear(); // replaying needs no key; a miss must not be reported as a missing key
    r.provider.apiKeyEnv = u"OPENAI_API_KEY"_s;
    CallRun read(r);
    read.start();
    QVERIFY(read.results.isEmpty());
    WAIT_FINISHED(read);
    QVERIFY(!read.result().ok);
    QVERIFY(!read.result().cached);
    static const QRegularExpression shape(u"^cache miss: openai gpt-4o-mini \\(key [0-9a-f]{12}\\)$"_s);
    QVERIFY2(shape.match(read.result().error).hasMatch(), qPrintable(read.result().error));
    QVERIFY(server.requests.isEmpty());
    QCOMPARE(server.pendingScripts(), 1);
    QCOMPARE(cache->count().value(), 0);
}

void TestResponseCache::readwriteFillsGaps()
{
    auto cache = openCache();
    ScriptedHttpServer server;
    LlmRequest first = makeRequest(u"openai"_s, server.url());
    LlmRequest second = first;
    second.messages.last().content = u"Say goodbye."_s;
    server.enqueue(sse(openAiStream("hello")));
    {
        CallRun w(cachedRequest(first, cache, CacheMode::Write));
        w.start();
        WAIT_FINISHED(w);
        QVERIFY(w.result().ok);
    }
    server.enqueue(sse(openAiStream("goodbye")));
    {
        CallRun hit(cachedRequest(first, cache, CacheMode::ReadWrite));
        hit.start();
        WAIT_FINISHED(hit);
        QVERIFY(hit.result().cached);
        QCOMPARE(hit.result().text, u"hello"_s);
        QCOMPARE(server.requests.size(), 1); // nothing sent for a hit
    }
    {
        CallRun gap(cachedRequest(second, cache, CacheMode::ReadWrite));
        gap.start();
        WAIT_FINISHED(gap);
        QVERIFY2(gap.result().ok, qPrintable(gap.result().error));
        QVERIFY(!gap.result().cached);
        QCOMPARE(gap.result().text, u"goodbye"_s);
        QCOMPARE(server.requests.size(), 2);
    }
    QCOMPARE(cache->count().value(), 2);
    CallRun again(cachedRequest(second, cache, CacheMode::Read));
    again.start();
    WAIT_FINISHED(again);
    QVERIFY(again.result().cached);
    QCOMPARE(again.result().text, u"goodbye"_s);
    QCOMPARE(server.requests.size(), 2);
}

void TestResponseCache::errorAnswersAreNotStored_data()
{
    QTest::addColumn<ScriptedHttpServer::Response>("response");
    QTest::newRow("http 500") << ScriptedHttpServer::jsonResponse(
        500, R"({"error":{"message":"boom","type":"server_error"}})");
    QTest::newRow("http 400") << ScriptedHttpServer::jsonResponse(
        400, R"({"error":{"message":"bad","type":"invalid_request_error"}})");
    ScriptedHttpServer::Response cut = sse(openAiStream("half a reply"));
    cut.cutAt = 60;
    QTest::newRow("cut stream") << cut;
    QTest::newRow("error event in a 200 stream")
        << sse("data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n");
    QTest::newRow("truncated: no end of stream")
        << sse("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"par");
}

void TestResponseCache::errorAnswersAreNotStored()
{
    QFETCH(ScriptedHttpServer::Response, response);
    auto cache = openCache();
    ScriptedHttpServer server;
    server.enqueue(response);
    CallRun w(cachedRequest(makeRequest(u"openai"_s, server.url()), cache, CacheMode::ReadWrite));
    w.start();
    WAIT_FINISHED(w);
    QVERIFY(!w.result().ok);
    QCOMPARE(cache->count().value(), 0);
}

void TestResponseCache::cancelledStreamIsNotStored()
{
    auto cache = openCache();
    ScriptedHttpServer server;
    ScriptedHttpServer::Response stalled = sse(openAiStream("slow"));
    stalled.stallAt = 40;
    server.enqueue(stalled);
    CallRun w(cachedRequest(makeRequest(u"openai"_s, server.url()), cache, CacheMode::ReadWrite));
    w.start();
    QTRY_VERIFY_WITH_TIMEOUT(server.requests.size() == 1, 10000);
    w.call->cancel();
    WAIT_FINISHED(w);
    QVERIFY(w.result().cancelled);
    QCOMPARE(cache->count().value(), 0);
}

void TestResponseCache::namespaceSeparatesRepeats()
{
    auto cache = openCache();
    ScriptedHttpServer server;
    const LlmRequest base = makeRequest(u"openai"_s, server.url());
    server.enqueue(sse(openAiStream("first take")));
    server.enqueue(sse(openAiStream("second take")));
    for (const QString &ns : { u"r1"_s, u"r2"_s }) {
        CallRun w(cachedRequest(base, cache, CacheMode::Write, ns));
        w.start();
        WAIT_FINISHED(w);
        QVERIFY(w.result().ok);
    }
    QCOMPARE(cache->count().value(), 2);
    const QStringList expected = { u"first take"_s, u"second take"_s };
    for (int i = 0; i < 2; ++i) {
        CallRun r(cachedRequest(base, cache, CacheMode::Read, u"r%1"_s.arg(i + 1)));
        r.start();
        WAIT_FINISHED(r);
        QCOMPARE(r.result().text, expected.at(i));
    }
    CallRun third(cachedRequest(base, cache, CacheMode::Read, u"r3"_s));
    third.start();
    WAIT_FINISHED(third);
    QVERIFY(third.result().error.startsWith(u"cache miss: "_s));
    CallRun none(cachedRequest(base, cache, CacheMode::Read)); // no namespace is its own key too
    none.start();
    WAIT_FINISHED(none);
    QVERIFY(!none.result().ok);
    QCOMPARE(server.requests.size(), 2);
}

void TestResponseCache::anthropicAndOllamaReplay_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QString>("text");
    QTest::newRow("anthropic") << u"anthropic"_s << kAnthropicStream << QByteArray("text/event-stream")
                               << u"Bonjour"_s;
    QTest::newRow("ollama") << u"ollama"_s << kOllamaStream << QByteArray("application/x-ndjson")
                            << u"Hallo"_s;
}

void TestResponseCache::anthropicAndOllamaReplay()
{
    QFETCH(QString, kind);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, contentType);
    QFETCH(QString, text);
    auto cache = openCache();
    LlmRequest base;
    {
        ScriptedHttpServer server;
        base = makeRequest(kind, server.url(), u"test-model"_s);
        server.enqueue(sse(body, contentType));
        CallRun w(cachedRequest(base, cache, CacheMode::Write));
        w.start();
        WAIT_FINISHED(w);
        QVERIFY2(w.result().ok, qPrintable(w.result().error));
    }
    QVERIFY(!fileBytes(cachePath()).contains(kApiKey.toUtf8()));
    CallRun r(cachedRequest(base, cache, CacheMode::Read));
    r.start();
    WAIT_FINISHED(r);
    QVERIFY2(r.result().ok, qPrintable(r.result().error));
    QVERIFY(r.result().cached);
    QCOMPARE(r.result().text, text);
}

void TestResponseCache::historyDatabaseHoldsTheCacheTable()
{
    // The history database (schema version 4) and a cache store on the same file.
    const QString path = m_dir->filePath(u"executions.db"_s);
    ExecutionStore history(path);
    QVERIFY(history.open().ok());
    ResponseCacheStore cache(path);
    QVERIFY(cache.open().ok());
    CachedResponse e;
    e.body = "x";
    e.provider = u"openai"_s;
    e.model = u"m"_s;
    QString error;
    QVERIFY2(cache.store("k", e, &error), qPrintable(error));
    QCOMPARE(cache.count().value(), 1);
    ResponseCacheStore bad(m_dir->filePath(u"file/cache.db"_s));
    QFile blocker(m_dir->filePath(u"file"_s));
    QVERIFY(blocker.open(QIODevice::WriteOnly)); // a file where the folder should be
    blocker.close();
    const Result<void> r = bad.open();
    QVERIFY(!r.ok());
    QVERIFY2(r.error().startsWith(u"response cache: "_s), qPrintable(r.error()));
}

QTEST_GUILESS_MAIN(TestResponseCache)
#include "tst_responsecache.moc"
