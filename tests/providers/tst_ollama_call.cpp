#include "ProviderTestUtil.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QTimer>

using namespace providertest;
using Transfer = ScriptedHttpServer::Transfer;

// The ollama provider against a loopback server speaking /api/chat NDJSON.
class TestOllamaCall : public QObject
{
    Q_OBJECT

private slots:
    void crossOriginRedirectNeverCarriesTheKey();
    void textAndCounts_data();
    void textAndCounts();
    void requestShape();
    void missingCountsAreEstimated();
    void toolCallsWhole();
    void errorLineMidStream();
    void modelNotFound404();
    void splitAtEveryByteBoundary();
    void cutStream();
};

static const QByteArray kStream
    = "{\"model\":\"llama3.2\",\"created_at\":\"2026-11-24T19:02:11.615693Z\",\"message\":{\"role\":"
      "\"assistant\",\"content\":\"The\"},\"done\":false}\n"
      "{\"model\":\"llama3.2\",\"created_at\":\"2026-11-24T19:02:11.7Z\",\"message\":{\"role\":\"assistant\","
      "\"content\":\" sky \xc3\xa9 \xf0\x9f\x9a\x80\"},\"done\":false}\n"
      "{\"model\":\"llama3.2\",\"created_at\":\"2026-11-24T19:02:11.8Z\",\"message\":{\"role\":\"assistant\","
      "\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"total_duration\":433489895,\"load_"
      "duration\":21348917,\"prompt_eval_count\":31,\"prompt_eval_duration\":96412083,\"eval_count\":21,"
      "\"eval_duration\":312514337}\n";
static const QString kText = QStringLiteral("The sky \u00e9 \U0001F680");

static ScriptedHttpServer::Response ndjson(const QByteArray &body, Transfer transfer = Transfer::Chunked)
{
    ScriptedHttpServer::Response r;
    r.headers = { { "Content-Type", "application/x-ndjson" } };
    r.body = body;
    r.transfer = transfer;
    return r;
}

static LlmRequest ollamaRequest(const QUrl &url)
{
    LlmRequest r = makeRequest(QStringLiteral("ollama"), url, QStringLiteral("llama3.2"));
    r.apiKey.clear(); // a local server needs none
    return r;
}

void TestOllamaCall::textAndCounts_data()
{
    QTest::addColumn<int>("transfer");
    QTest::addColumn<bool>("crlf");
    QTest::newRow("chunked, LF") << int(Transfer::Chunked) << false;
    QTest::newRow("close, CRLF") << int(Transfer::Close) << true;
}

void TestOllamaCall::textAndCounts()
{
    QFETCH(int, transfer);
    QFETCH(bool, crlf);
    ScriptedHttpServer server;
    auto response = ndjson(crlf ? providertest::crlf(kStream) : kStream, Transfer(transfer));
    response.splits = { 40, 150, 200 };
    response.gapMs = 3;
    server.enqueue(response);
    CallRun run(ollamaRequest(server.url()));
    run.start();
    WAIT_FINISHED(run);
    const LlmResult &r = run.result();
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.text, kText);
    QCOMPARE(run.chunks.size(), 2);
    QCOMPARE(r.usage.inputTokens, 31);
    QCOMPARE(r.usage.outputTokens, 21);
    QVERIFY(!r.usage.estimated);
    QCOMPARE(r.finishReason, QStringLiteral("stop"));
    QCOMPARE(r.responseModel, QStringLiteral("llama3.2"));
}

void TestOllamaCall::requestShape()
{
    ScriptedHttpServer server;
    server.enqueue(ndjson(kStream));
    LlmRequest request = ollamaRequest(server.url());
    request.model.temperature = 0.1;
    request.model.maxTokens = 64;
    request.outputSchema = QJsonObject { { QStringLiteral("type"), QStringLiteral("object") } };
    CallRun run(request);
    run.start();
    WAIT_FINISHED(run);
    const ScriptedHttpServer::Request &req = server.requests.first();
    QCOMPARE(req.path, QByteArray("/api/chat"));
    QVERIFY(!req.headers.contains("authorization"));
    const QJsonObject body = jsonBody(req);
    QCOMPARE(body.value(u"model").toString(), QStringLiteral("llama3.2"));
    QCOMPARE(body.value(u"stream").toBool(), true);
    QCOMPARE(body.value(u"options").toObject().value(u"temperature").toDouble(), 0.1);
    QCOMPARE(body.value(u"options").toObject().value(u"num_predict").toInt(), 64);
    QCOMPARE(body.value(u"format").toObject(), request.outputSchema);
    QCOMPARE(body.value(u"messages").toArray().size(), 2);
}

void TestOllamaCall::missingCountsAreEstimated()
{
    // Metric fields are omitempty: both missing means nothing was reported.
    ScriptedHttpServer server;
    server.enqueue(ndjson(
        "{\"message\":{\"role\":\"assistant\",\"content\":\"Hello there\"},\"done\":false}\n"
        "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\"}\n"));
    CallRun run(ollamaRequest(server.url()));
    run.start();
    WAIT_FINISHED(run);
    const LlmResult &r = run.result();
    QVERIFY2(r.ok, qPrintable(r.error));
    QVERIFY(r.usage.estimated);
    QCOMPARE(r.usage.outputTokens, 2);
    QVERIFY(r.usage.inputTokens > 0);

    // Only prompt_eval_count missing (prompt served from the KV cache): 0, as reported.
    ScriptedHttpServer server2;
    server2.enqueue(ndjson("{\"message\":{\"content\":\"Hi\"},\"done\":true,\"eval_count\":3}\n"));
    CallRun run2(ollamaRequest(server2.url()));
    run2.start();
    WAIT_FINISHED(run2);
    QVERIFY(!run2.result().usage.estimated);
    QCOMPARE(run2.result().usage.inputTokens, 0);
    QCOMPARE(run2.result().usage.outputTokens, 3);
}

void TestOllamaCall::toolCallsWhole()
{
    ScriptedHttpServer server;
    server.enqueue(
        ndjson("{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{"
               "\"function\":{\"index\":0,\"name\":\"get_weather\",\"arguments\":{\"city\":\"Tokyo\"}}}]},"
               "\"done\":false}\n"
               "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
               "\"done_reason\":\"stop\",\"prompt_eval_count\":10,\"eval_count\":5}"));
    CallRun run(ollamaRequest(server.url()));
    run.start();
    WAIT_FINISHED(run);
    const LlmResult &r = run.result();
    QVERIFY2(r.ok, qPrintable(r.error)); // the last line had no newline: still read
    QCOMPARE(r.toolCalls.size(), 1);
    QCOMPARE(r.toolCalls.at(0).name, QStringLiteral("get_weather"));
    QCOMPARE(r.toolCalls.at(0).argumentsText, QStringLiteral("{\"city\":\"Tokyo\"}"));
    QCOMPARE(r.usage.outputTokens, 5);
}

void TestOllamaCall::errorLineMidStream()
{
    ScriptedHttpServer server;
    server.enqueue(ndjson("{\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n"
                          "{\"error\":\"an error was encountered while running the model\"}\n"));
    CallRun run(ollamaRequest(server.url()));
    run.start();
    WAIT_FINISHED(run);
    QVERIFY(!run.result().ok);
    QCOMPARE(run.result().error, QStringLiteral("ollama: an error was encountered while running the model"));
    QCOMPARE(run.result().text, QStringLiteral("Hi"));
}

void TestOllamaCall::modelNotFound404()
{
    ScriptedHttpServer server;
    server.enqueue(jsonError(404, R"({"error":"model 'x' not found"})"));
    LlmRequest request = ollamaRequest(server.url());
    request.model.name = QStringLiteral("x");
    CallRun run(request);
    run.start();
    WAIT_FINISHED(run);
    QVERIFY(!run.result().ok);
    QCOMPARE(run.result().error, QStringLiteral("ollama: 404 model 'x' not found"));
    QVERIFY(run.attempts.isEmpty());
}

void TestOllamaCall::splitAtEveryByteBoundary()
{
    replayAtEverySplit(ollamaRequest(QUrl()), kStream, "application/x-ndjson",
        [](int k, const LlmResult &r, const QString &) {
            QVERIFY2(r.ok, qPrintable(QStringLiteral("split at %1: %2").arg(k).arg(r.error)));
            QCOMPARE(r.text, kText);
            QCOMPARE(r.usage.outputTokens, 21);
        });
}

void TestOllamaCall::cutStream()
{
    ScriptedHttpServer server;
    auto response = ndjson(kStream, Transfer::Close);
    response.cutAt = int(kStream.indexOf("{\"model\"", 10) + 20); // inside the second line
    server.enqueue(response);
    CallRun run(ollamaRequest(server.url()));
    run.start();
    WAIT_FINISHED(run);
    const LlmResult &r = run.result();
    QVERIFY(!r.ok);
    QCOMPARE(r.error, QStringLiteral("ollama: stream cut in the middle of a line"));
    QCOMPARE(r.text, QStringLiteral("The"));
    QVERIFY(r.usage.estimated);
}

// Qt's default policy follows a 307 to another origin and replays the key header there.
void TestOllamaCall::crossOriginRedirectNeverCarriesTheKey()
{
    providertest::expectCrossOriginRedirectRefused(QStringLiteral("ollama"), "/api/chat", "authorization");
}

QTEST_GUILESS_MAIN(TestOllamaCall)
#include "tst_ollama_call.moc"
