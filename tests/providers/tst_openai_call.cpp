#include "ProviderTestUtil.h"

#include "core/providers/HttpStreamCall.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QTimer>

using namespace providertest;
using Transfer = ScriptedHttpServer::Transfer;

// The openai provider against a real HTTP/1.1 server on loopback that writes the Chat
// Completions SSE wire byte for byte. Also covers what every network provider shares
// (HttpStreamCall): retries, Retry-After, timeouts, cancel, key redaction.
class TestOpenAiCall : public QObject
{
    Q_OBJECT

private slots:
    void textDeltas_data();
    void textDeltas();
    void requestBody();
    void jsonSchemaAndMaxTokens();
    void usageWithCachedAndReasoning();
    void noUsageIsEstimated();
    void toolCallDeltas();
    void splitAtEveryByteBoundary();
    void everyByteItsOwnChunk();
    void cutStream_data();
    void cutStream();
    void invalidJsonEvent();
    void midStreamErrorChunk();
    void http401WithErrorBody();
    void retryAfter429ThenSuccess();
    void retry500ThenSuccess();
    void retriesExhausted();
    void noRetryForQuotaOrShouldRetryFalse_data();
    void noRetryForQuotaOrShouldRetryFalse();
    void retryDelay_data();
    void retryDelay();
    void idleTimeoutOnStalledStream();
    void noResponseHitsIdleTimeout();
    void connectionRefused();
    void totalTimeout();
    void cancelMidStream();
    void apiKeyNeverInMessages();
    void missingApiKey();
    void crossOriginRedirectNeverCarriesTheKey();
    void sameOriginRedirectIsFollowed();
};

// Shaped like the recorded gpt-4o streams of openai-python's .inline-snapshot (one chunk per
// delta, usage on a last chunk with empty choices, then [DONE]), plus a proxy keep-alive
// comment, non-ASCII and an astral character (split UTF-8 when delivered byte by byte).
static const QByteArray kTextStream
    = "data: "
      "{\"id\":\"chatcmpl-A1\",\"object\":\"chat.completion.chunk\",\"created\":1727346178,\"model\":\"gpt-"
      "4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
      "\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n"
      "\n"
      ": keep-alive\n"
      "\n"
      "data: "
      "{\"id\":\"chatcmpl-A1\",\"object\":\"chat.completion.chunk\",\"created\":1727346178,\"model\":\"gpt-"
      "4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"logprobs\":null,"
      "\"finish_reason\":null}]}\n"
      "\n"
      "data: "
      "{\"id\":\"chatcmpl-A1\",\"object\":\"chat.completion.chunk\",\"created\":1727346178,\"model\":\"gpt-"
      "4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo, "
      "w\xc3\xb6rld\"},\"logprobs\":null,\"finish_reason\":null}]}\n"
      "\n"
      "data: "
      "{\"id\":\"chatcmpl-A1\",\"object\":\"chat.completion.chunk\",\"created\":1727346178,\"model\":\"gpt-"
      "4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" "
      "\xf0\x9f\x9a\x80\"},\"logprobs\":null,\"finish_reason\":null}]}\n"
      "\n"
      "data: "
      "{\"id\":\"chatcmpl-A1\",\"object\":\"chat.completion.chunk\",\"created\":1727346178,\"model\":\"gpt-"
      "4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":"
      "\"stop\"}]}\n"
      "\n"
      "data: "
      "{\"id\":\"chatcmpl-A1\",\"object\":\"chat.completion.chunk\",\"created\":1727346178,\"model\":\"gpt-"
      "4o-mini-2024-07-18\",\"choices\":[],\"usage\":{\"prompt_tokens\":28,\"completion_tokens\":9,\"total_"
      "tokens\":37,\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{"
      "\"reasoning_tokens\":0}}}\n"
      "\n"
      "data: [DONE]\n"
      "\n";
static const QString kText = QStringLiteral("Hello, w\u00f6rld \U0001F680");

static QByteArray contentEvent(const QByteArray &text)
{
    return "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
        + text + "\"},\"finish_reason\":null}]}\n\n";
}

void TestOpenAiCall::textDeltas_data()
{
    QTest::addColumn<int>("transfer");
    QTest::addColumn<bool>("crlf");
    QTest::newRow("connection close, LF") << int(Transfer::Close) << false;
    QTest::newRow("connection close, CRLF") << int(Transfer::Close) << true;
    QTest::newRow("chunked, LF") << int(Transfer::Chunked) << false;
    QTest::newRow("chunked, CRLF") << int(Transfer::Chunked) << true;
    QTest::newRow("content-length, LF") << int(Transfer::ContentLength) << false;
}

void TestOpenAiCall::textDeltas()
{
    QFETCH(int, transfer);
    QFETCH(bool, crlf);
    ScriptedHttpServer server;
    auto response = sseResponse(crlf ? providertest::crlf(kTextStream) : kTextStream, Transfer(transfer));
    response.splits = { 100, 400, 700 };
    response.gapMs = 5;
    server.enqueue(response);
    CallRun run(makeRequest(QStringLiteral("openai"), server.url()));
    run.start();
    WAIT_FINISHED(run);

    const LlmResult &r = run.result();
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.text, kText);
    QCOMPARE(run.chunks,
        QStringList(
            { QStringLiteral("Hel"), QStringLiteral("lo, w\u00f6rld"), QStringLiteral(" \U0001F680") }));
    QVERIFY(run.chunkTokens >= 3);
    QCOMPARE(r.usage.inputTokens, 28);
    QCOMPARE(r.usage.outputTokens, 9);
    QCOMPARE(r.usage.cachedTokens, 0);
    QVERIFY(!r.usage.estimated);
    QCOMPARE(r.finishReason, QStringLiteral("stop"));
    QCOMPARE(r.responseModel, QStringLiteral("gpt-4o-mini-2024-07-18"));
    QCOMPARE(r.attempts, 1);
    QVERIFY(r.ttftMs >= 0);
    QVERIFY(!r.cancelled);
    QVERIFY(run.attempts.isEmpty());
}

void TestOpenAiCall::requestBody()
{
    ScriptedHttpServer server;
    server.enqueue(sseResponse(kTextStream));
    LlmRequest request = makeRequest(QStringLiteral("openai"), server.url());
    request.model.temperature = 0.25;
    CallRun run(request);
    run.start();
    WAIT_FINISHED(run);

    QCOMPARE(server.requests.size(), 1);
    const ScriptedHttpServer::Request &req = server.requests.first();
    QCOMPARE(req.method, QByteArray("POST"));
    QCOMPARE(req.path, QByteArray("/v1/chat/completions"));
    QCOMPARE(req.headers.value("authorization"), "Bearer " + kApiKey.toUtf8());
    QCOMPARE(req.headers.value("content-type"), QByteArray("application/json"));
    const QJsonObject body = jsonBody(req);
    QCOMPARE(body.value(u"model").toString(), QStringLiteral("gpt-4o-mini"));
    QCOMPARE(body.value(u"stream").toBool(), true);
    QCOMPARE(body.value(u"stream_options").toObject().value(u"include_usage").toBool(), true);
    QCOMPARE(body.value(u"temperature").toDouble(), 0.25);
    QVERIFY(!body.contains(u"response_format"));
    QVERIFY(!body.contains(u"max_tokens") && !body.contains(u"max_completion_tokens"));
    const QJsonArray messages = body.value(u"messages").toArray();
    QCOMPARE(messages.size(), 2);
    QCOMPARE(messages.at(0).toObject().value(u"role").toString(), QStringLiteral("system"));
    QCOMPARE(messages.at(1).toObject().value(u"content").toString(), QStringLiteral("Say hello."));
}

void TestOpenAiCall::jsonSchemaAndMaxTokens()
{
    ScriptedHttpServer server;
    server.enqueue(sseResponse(kTextStream));
    LlmRequest request = makeRequest(QStringLiteral("openai"), server.url());
    request.model.maxTokens = 256;
    request.schemaName = QStringLiteral("my agent!");
    request.outputSchema = QJsonDocument::fromJson(R"({"type": "object", "additionalProperties": false,
        "properties": {"summary": {"type": "string"}, "confidence": {"type": "number"}},
        "required": ["summary", "confidence"]})")
                               .object();
    CallRun run(request);
    run.start();
    WAIT_FINISHED(run);
    const QJsonObject body = jsonBody(server.requests.first());
    // A compatible server (not api.openai.com) gets the widely supported max_tokens.
    QCOMPARE(body.value(u"max_tokens").toInt(), 256);
    const QJsonObject format = body.value(u"response_format").toObject();
    QCOMPARE(format.value(u"type").toString(), QStringLiteral("json_schema"));
    const QJsonObject schema = format.value(u"json_schema").toObject();
    QCOMPARE(schema.value(u"name").toString(), QStringLiteral("my_agent_"));
    QCOMPARE(schema.value(u"strict").toBool(), true);
    QCOMPARE(schema.value(u"schema").toObject(), request.outputSchema);

    // An optional output (not in "required") is outside strict mode: sent non-strict.
    ScriptedHttpServer server2;
    server2.enqueue(sseResponse(kTextStream));
    request.provider.baseUrl = server2.url().toString() + QStringLiteral("/v1");
    request.outputSchema[QStringLiteral("required")] = QJsonArray { QStringLiteral("summary") };
    CallRun run2(request);
    run2.start();
    WAIT_FINISHED(run2);
    const QJsonObject schema2 = jsonBody(server2.requests.first())
                                    .value(u"response_format")
                                    .toObject()
                                    .value(u"json_schema")
                                    .toObject();
    QCOMPARE(schema2.value(u"strict").toBool(), false);
}

void TestOpenAiCall::usageWithCachedAndReasoning()
{
    ScriptedHttpServer server;
    server.enqueue(sseResponse(contentEvent("ok")
        + "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
          "data: "
          "{\"choices\":[],\"usage\":{\"prompt_tokens\":2048,\"completion_tokens\":300,\"total_tokens\":2348,"
          "\"prompt_tokens_details\":{\"cached_tokens\":1920,\"audio_tokens\":0},"
          "\"completion_tokens_details\":{\"reasoning_tokens\":256,\"audio_tokens\":0}}}\n\n"
          "data: [DONE]\n\n"));
    CallRun run(makeRequest(QStringLiteral("openai"), server.url(), QStringLiteral("o3")));
    run.start();
    WAIT_FINISHED(run);
    const LlmResult &r = run.result();
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.usage.inputTokens, 2048); // includes the cached ones
    QCOMPARE(r.usage.cachedTokens, 1920);
    QCOMPARE(r.usage.outputTokens, 300); // includes the reasoning ones
    QCOMPARE(r.usage.reasoningTokens, 256);
    QVERIFY(!r.usage.estimated);
}

void TestOpenAiCall::noUsageIsEstimated()
{
    // Some compatible servers send no usage chunk (and no [DONE]): a finish_reason ends it.
    ScriptedHttpServer server;
    server.enqueue(sseResponse(contentEvent("The quick brown fox")
        + "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"));
    CallRun run(makeRequest(QStringLiteral("openai"), server.url(), QStringLiteral("llama3.2")));
    run.start();
    WAIT_FINISHED(run);
    const LlmResult &r = run.result();
    QVERIFY2(r.ok, qPrintable(r.error));
    QVERIFY(r.usage.estimated);
    QCOMPARE(r.usage.outputTokens, 4);
    QVERIFY(r.usage.inputTokens > 5);
}

void TestOpenAiCall::toolCallDeltas()
{
    // The shape of the recorded parallel tool-call stream of OpenAI.
    const QByteArray stream
        = "data: "
          "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{"
          "\"index\":0,\"id\":\"call_A\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
          "\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n"
          "data: "
          "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{"
          "\\\"\"}}]},\"finish_reason\":null}]}\n\n"
          "data: "
          "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
          "\"city\\\":\\\"Paris\\\"}\"}}]},\"finish_reason\":null}]}\n\n"
          "data: "
          "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_B\",\"type\":"
          "\"function\",\"function\":{\"name\":\"get_stock_price\",\"arguments\":\"\"}}]},\"finish_reason\":"
          "null}]}\n\n"
          "data: "
          "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"{"
          "\\\"ticker\\\":\\\"AAPL\\\"}\"}}]},\"finish_reason\":null}]}\n\n"
          "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
          "data: "
          "{\"choices\":[],\"usage\":{\"prompt_tokens\":149,\"completion_tokens\":60,\"total_tokens\":209,"
          "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n\n"
          "data: [DONE]\n\n";
    ScriptedHttpServer server;
    server.enqueue(sseResponse(stream, Transfer::Chunked));
    CallRun run(makeRequest(QStringLiteral("openai"), server.url()));
    run.start();
    WAIT_FINISHED(run);
    const LlmResult &r = run.result();
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.text, QString());
    QVERIFY(run.chunks.isEmpty());
    QCOMPARE(r.finishReason, QStringLiteral("tool_calls"));
    QCOMPARE(r.toolCalls.size(), 2);
    const ModelToolCall &a = r.toolCalls.at(0), &b = r.toolCalls.at(1);
    QCOMPARE(a.id, QStringLiteral("call_A"));
    QCOMPARE(a.name, QStringLiteral("get_weather"));
    QCOMPARE(a.argumentsText, QStringLiteral("{\"city\":\"Paris\"}"));
    QCOMPARE(b.name, QStringLiteral("get_stock_price"));
    QCOMPARE(b.argumentsText, QStringLiteral("{\"ticker\":\"AAPL\"}"));
    QCOMPARE(r.usage.inputTokens, 149);
}

void TestOpenAiCall::splitAtEveryByteBoundary()
{
    // One request per split point: the body arrives in two writes, cut at byte k (inside
    // "data:", inside a JSON string, inside a UTF-8 sequence, between \r and \n...).
    replayAtEverySplit(makeRequest(QStringLiteral("openai"), QUrl()), crlf(kTextStream), "text/event-stream",
        [](int k, const LlmResult &r, const QString &text) {
            QVERIFY2(r.ok, qPrintable(QStringLiteral("split at %1: %2").arg(k).arg(r.error)));
            QCOMPARE(r.text, kText);
            QCOMPARE(text, kText);
            QCOMPARE(r.usage.inputTokens, 28);
            QCOMPARE(r.usage.outputTokens, 9);
        });
}

void TestOpenAiCall::everyByteItsOwnChunk()
{
    ScriptedHttpServer server;
    auto response = sseResponse(kTextStream, Transfer::Chunked);
    for (int k = 1; k < kTextStream.size(); ++k)
        response.splits.append(k);
    server.enqueue(response);
    CallRun run(makeRequest(QStringLiteral("openai"), server.url()));
    run.start();
    WAIT_FINISHED(run);
    QVERIFY2(run.result().ok, qPrintable(run.result().error));
    QCOMPARE(run.result().text, kText);
    QCOMPARE(run.chunks.join(QString()), kText);
}

void TestOpenAiCall::cutStream_data()
{
    QTest::addColumn<int>("transfer");
    QTest::addColumn<bool>("midEvent");
    QTest::newRow("close after an event") << int(Transfer::Close) << false;
    QTest::newRow("close inside an event") << int(Transfer::Close) << true;
    QTest::newRow("chunked, cut after an event") << int(Transfer::Chunked) << false;
    QTest::newRow("chunked, cut inside an event") << int(Transfer::Chunked) << true;
}

void TestOpenAiCall::cutStream()
{
    QFETCH(int, transfer);
    QFETCH(bool, midEvent);
    // Cut right after the "lo, wörld" event, or 10 bytes into the next one.
    const qsizetype afterSecond = kTextStream.indexOf("data:", kTextStream.indexOf("lo, w"));
    ScriptedHttpServer server;
    auto response = sseResponse(kTextStream, Transfer(transfer));
    response.cutAt = int(afterSecond + (midEvent ? 10 : 0));
    server.enqueue(response);
    CallRun run(makeRequest(QStringLiteral("openai"), server.url()));
    run.start();
    WAIT_FINISHED(run);
    const LlmResult &r = run.result();
    QVERIFY(!r.ok);
    QVERIFY(!r.cancelled);
    QCOMPARE(r.text, QStringLiteral("Hello, w\u00f6rld")); // the text so far is kept
    QVERIFY2(r.error.startsWith(QStringLiteral("openai: stream")), qPrintable(r.error));
    QVERIFY(r.usage.estimated);
    QVERIFY(r.usage.outputTokens > 0);
    QVERIFY(run.attempts.isEmpty()); // text was delivered: never retried
    QCOMPARE(server.requests.size(), 1);
}

void TestOpenAiCall::invalidJsonEvent()
{
    ScriptedHttpServer server;
    server.enqueue(sseResponse(contentEvent("Hi") + "data: {\"choices\": [oops\n\n" + contentEvent("never")));
    CallRun run(makeRequest(QStringLiteral("openai"), server.url()));
    run.start();
    WAIT_FINISHED(run);
    const LlmResult &r = run.result();
    QVERIFY(!r.ok);
    QCOMPARE(r.error, QStringLiteral("openai: invalid JSON in stream event: {\"choices\": [oops"));
    QCOMPARE(r.text, QStringLiteral("Hi"));
}

void TestOpenAiCall::midStreamErrorChunk()
{
    ScriptedHttpServer server;
    server.enqueue(sseResponse(contentEvent("Hi")
        + "data: {\"error\":{\"message\":\"The server had an "
          "error\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"));
    CallRun run(makeRequest(QStringLiteral("openai"), server.url()));
    run.start();
    WAIT_FINISHED(run);
    QVERIFY(!run.result().ok);
    QCOMPARE(
        run.result().error, QStringLiteral("openai: stream error: server_error: The server had an error"));
    QCOMPARE(run.result().text, QStringLiteral("Hi"));
}

void TestOpenAiCall::http401WithErrorBody()
{
    ScriptedHttpServer server;
    server.enqueue(jsonError(401,
        R"({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}})"));
    CallRun run(makeRequest(QStringLiteral("openai"), server.url()));
    run.start();
    WAIT_FINISHED(run);
    QVERIFY(!run.result().ok);
    QCOMPARE(run.result().error, QStringLiteral("openai: 401 invalid_api_key: Incorrect API key provided"));
    QCOMPARE(run.result().attempts, 1);
    QVERIFY(run.attempts.isEmpty());
    QCOMPARE(server.requests.size(), 1);
}

void TestOpenAiCall::retryAfter429ThenSuccess()
{
    ScriptedHttpServer server;
    server.enqueue(jsonError(429,
        R"({"error": {"message": "Rate limit reached for gpt-4o-mini", "type": "requests", "param": null, "code": "rate_limit_exceeded"}})",
        { { "Retry-After", "1" } }));
    server.enqueue(sseResponse(kTextStream));
    CallRun run(makeRequest(QStringLiteral("openai"), server.url()));
    QElapsedTimer clock;
    clock.start();
    run.start();
    WAIT_FINISHED(run);
    const LlmResult &r = run.result();
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.text, kText);
    QCOMPARE(r.attempts, 2);
    QCOMPARE(run.attempts.size(), 1);
    QCOMPARE(run.attempts.first().attempt, 1);
    QCOMPARE(run.attempts.first().delayMs, 1000);
    QCOMPARE(run.attempts.first().error,
        QStringLiteral("openai: 429 rate_limit_exceeded: Rate limit reached for gpt-4o-mini"));
    QCOMPARE(server.requests.size(), 2);
    QVERIFY(clock.elapsed() >= 950); // the wait really happened (a lower bound, not a timing assertion)
}

void TestOpenAiCall::retry500ThenSuccess()
{
    ScriptedHttpServer server;
    server.enqueue(jsonError(500,
        R"({"error": {"message": "The server had an error while processing your request.", "type": "server_error", "param": null, "code": null}})"));
    server.enqueue(sseResponse(kTextStream, Transfer::Chunked));
    CallRun run(makeRequest(QStringLiteral("openai"), server.url()));
    run.start();
    WAIT_FINISHED(run);
    QVERIFY2(run.result().ok, qPrintable(run.result().error));
    QCOMPARE(run.result().attempts, 2);
    QCOMPARE(run.attempts.size(), 1);
    // No Retry-After: 0.5 s × (1 − 0.25·random).
    QVERIFY2(run.attempts.first().delayMs >= 375 && run.attempts.first().delayMs <= 500,
        qPrintable(QString::number(run.attempts.first().delayMs)));
    QCOMPARE(run.attempts.first().error,
        QStringLiteral("openai: 500 server_error: The server had an error while processing your request."));
}

void TestOpenAiCall::retriesExhausted()
{
    ScriptedHttpServer server;
    for (int i = 0; i < 2; ++i)
        server.enqueue(jsonError(503, "upstream unavailable", { { "retry-after-ms", "20" } }));
    LlmRequest request = makeRequest(QStringLiteral("openai"), server.url());
    request.maxRetries = 1;
    CallRun run(request);
    run.start();
    WAIT_FINISHED(run);
    QVERIFY(!run.result().ok);
    QCOMPARE(run.result().error, QStringLiteral("openai: 503 upstream unavailable"));
    QCOMPARE(run.result().attempts, 2);
    QCOMPARE(run.attempts.size(), 1);
    QCOMPARE(run.attempts.first().delayMs, 20);
    QCOMPARE(server.requests.size(), 2);
}

void TestOpenAiCall::noRetryForQuotaOrShouldRetryFalse_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("shouldRetry");
    QTest::newRow("insufficient_quota")
        << 429
        << QByteArray(
               R"({"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}})")
        << QByteArray();
    QTest::newRow("x-should-retry false")
        << 500 << QByteArray(R"({"error":{"message":"nope","type":"server_error"}})") << QByteArray("false");
    QTest::newRow("400 bad request")
        << 400
        << QByteArray(
               R"({"error":{"message":"context too long","type":"invalid_request_error","code":"context_length_exceeded"}})")
        << QByteArray();
}

void TestOpenAiCall::noRetryForQuotaOrShouldRetryFalse()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, shouldRetry);
    ScriptedHttpServer server;
    QList<QPair<QByteArray, QByteArray>> headers;
    if (!shouldRetry.isEmpty())
        headers.append({ "x-should-retry", shouldRetry });
    server.enqueue(jsonError(status, body, headers));
    CallRun run(makeRequest(QStringLiteral("openai"), server.url()));
    run.start();
    WAIT_FINISHED(run);
    QVERIFY(!run.result().ok);
    QVERIFY(run.result().error.startsWith(QStringLiteral("openai: %1 ").arg(status)));
    QVERIFY(run.attempts.isEmpty());
    QCOMPARE(server.requests.size(), 1);
}

void TestOpenAiCall::retryDelay_data()
{
    QTest::addColumn<int>("retry");
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<bool>("capMeansNoRetry");
    QTest::addColumn<int>("expected");
    // random = 0 below: the backoff is exactly min(0.5 × 2^(retry-1), 8) s.
    QTest::newRow("backoff 1") << 1 << QByteArray() << QByteArray() << false << 500;
    QTest::newRow("backoff 2") << 2 << QByteArray() << QByteArray() << false << 1000;
    QTest::newRow("backoff capped at 8 s") << 10 << QByteArray() << QByteArray() << false << 8000;
    QTest::newRow("retry-after seconds")
        << 1 << QByteArray("Retry-After") << QByteArray("2") << false << 2000;
    QTest::newRow("retry-after fraction")
        << 1 << QByteArray("retry-after") << QByteArray("0.25") << false << 250;
    QTest::newRow("retry-after-ms wins")
        << 1 << QByteArray("retry-after-ms") << QByteArray("644") << false << 644;
    QTest::newRow("retry-after zero -> backoff")
        << 1 << QByteArray("retry-after") << QByteArray("0") << false << 500;
    QTest::newRow("retry-after garbage -> backoff")
        << 2 << QByteArray("retry-after") << QByteArray("soon") << false << 1000;
    QTest::newRow("beyond cap -> backoff")
        << 1 << QByteArray("retry-after") << QByteArray("600") << false << 500;
    QTest::newRow("beyond cap -> no retry")
        << 1 << QByteArray("retry-after") << QByteArray("600") << true << -1;
}

void TestOpenAiCall::retryDelay()
{
    QFETCH(int, retry);
    QFETCH(QByteArray, header);
    QFETCH(QByteArray, value);
    QFETCH(bool, capMeansNoRetry);
    QFETCH(int, expected);
    QList<QNetworkReply::RawHeaderPair> headers;
    if (!header.isEmpty())
        headers.append({ header, value });
    QCOMPARE(HttpStreamCall::retryDelayMs(retry, headers, 60000, capMeansNoRetry, 0.0), expected);
    // Jitter only ever shortens the backoff, by at most a quarter.
    if (header.isEmpty()) {
        const int jittered = HttpStreamCall::retryDelayMs(retry, headers, 60000, capMeansNoRetry, 1.0);
        QCOMPARE(jittered, expected * 3 / 4);
    }
}

void TestOpenAiCall::idleTimeoutOnStalledStream()
{
    ScriptedHttpServer server;
    auto response = sseResponse(kTextStream);
    response.stallAt = int(kTextStream.indexOf("data:", kTextStream.indexOf("Hel"))); // after "Hel"
    server.enqueue(response);
    LlmRequest request = makeRequest(QStringLiteral("openai"), server.url());
    request.idleTimeoutMs = 1000; // generous: under CI load the first bytes must beat it
    CallRun run(request);
    run.start();
    WAIT_FINISHED(run);
    const LlmResult &r = run.result();
    QVERIFY(!r.ok);
    QCOMPARE(r.error, QStringLiteral("openai: stream idle for 1000 ms (idle timeout)"));
    QCOMPARE(r.text, QStringLiteral("Hel"));
    QVERIFY(run.attempts.isEmpty());
    QVERIFY(r.usage.estimated);
}

void TestOpenAiCall::noResponseHitsIdleTimeout()
{
    // The server takes the request but never answers: once the request is sent, the idle
    // timeout covers the wait for the response; nothing was delivered, so it is retried once.
    // (The connect timeout proper — TCP/TLS not done — cannot be provoked on loopback, where
    // the kernel completes the handshake even when the server never accepts.)
    ScriptedHttpServer server;
    for (int i = 0; i < 2; ++i)
        server.enqueueScript({ { ScriptedHttpServer::Step::Stall, {}, 0 } });
    LlmRequest request = makeRequest(QStringLiteral("openai"), server.url());
    request.idleTimeoutMs = 200;
    request.maxRetries = 1;
    CallRun run(request);
    run.start();
    WAIT_FINISHED(run);
    QVERIFY(!run.result().ok);
    QCOMPARE(run.result().error, QStringLiteral("openai: stream idle for 200 ms (idle timeout)"));
    QCOMPARE(run.attempts.size(), 1);
    QCOMPARE(run.result().attempts, 2);
    QCOMPARE(server.requests.size(), 2);
}

void TestOpenAiCall::connectionRefused()
{
    QUrl url;
    {
        ScriptedHttpServer gone;
        url = gone.url();
    } // closed: nothing listens on that port any more
    LlmRequest request = makeRequest(QStringLiteral("openai"), url);
    request.maxRetries = 1; // a connection error is retried like the SDKs do
    CallRun run(request);
    run.start();
    WAIT_FINISHED(run);
    QVERIFY(!run.result().ok);
    QVERIFY2(run.result().error.startsWith(QStringLiteral("openai: connection failed: ")),
        qPrintable(run.result().error));
    QCOMPARE(run.attempts.size(), 1);
    QCOMPARE(run.result().attempts, 2);
}

void TestOpenAiCall::totalTimeout()
{
    // A stream that trickles forever: each gap is short (no idle timeout) but the whole
    // reply takes too long.
    QByteArray body;
    for (int i = 0; i < 50; ++i)
        body += contentEvent("x");
    ScriptedHttpServer server;
    auto response = sseResponse(body);
    for (int i = 1; i < 50; ++i)
        response.splits.append(int(contentEvent("x").size()) * i);
    response.gapMs = 100; // 5 s in all
    server.enqueue(response);
    LlmRequest request = makeRequest(QStringLiteral("openai"), server.url());
    request.totalTimeoutMs = 1000;
    CallRun run(request);
    run.start();
    WAIT_FINISHED(run);
    const LlmResult &r = run.result();
    QVERIFY(!r.ok);
    QCOMPARE(r.error, QStringLiteral("openai: no complete reply within 1000 ms (total timeout)"));
    QVERIFY(!r.text.isEmpty());
    QVERIFY(r.text.size() < 50);
}

void TestOpenAiCall::cancelMidStream()
{
    ScriptedHttpServer server;
    auto response = sseResponse(kTextStream);
    response.stallAt = int(kTextStream.indexOf("data:", kTextStream.indexOf("lo, w")));
    server.enqueue(response);
    CallRun run(makeRequest(QStringLiteral("openai"), server.url()));
    QSignalSpy chunkSpy(run.call, &LlmCall::chunk);
    QSignalSpy finishedSpy(run.call, &LlmCall::finished);
    QVERIFY(finishedSpy.isValid());
    run.start();
    QTRY_COMPARE(chunkSpy.count(), 2);
    QCOMPARE(chunkSpy.at(1).at(0).toString(), QStringLiteral("lo, w\u00f6rld"));
    run.call->cancel();
    QCOMPARE(finishedSpy.count(), 1); // finished at once, inside cancel()
    QCOMPARE(run.results.size(), 1);
    const LlmResult &r = run.result();
    QVERIFY(r.cancelled);
    QVERIFY(!r.ok);
    QCOMPARE(r.text, QStringLiteral("Hello, w\u00f6rld"));
    QVERIFY(r.usage.estimated);
    run.call->cancel(); // idempotent: finished stays exactly once
    // The server seeing the connection closed is the later event: by then the aborted reply
    // has delivered everything it was going to, so a second finished would be counted.
    QTRY_COMPARE(server.stalledClosedByClient, 1); // the connection really was aborted
    QCOMPARE(finishedSpy.count(), 1);
    QCOMPARE(run.results.size(), 1);
    QCOMPARE(server.requests.size(), 1);
}

void TestOpenAiCall::apiKeyNeverInMessages()
{
    // A hostile or careless server echoes the key back, in an error body, in a retried
    // attempt's error, and mid-stream.
    const QByteArray echoed = R"({"error": {"message": "Incorrect API key provided: )" + kApiKey.toUtf8()
        + R"(", "type": "invalid_request_error", "code": "invalid_api_key"}})";
    ScriptedHttpServer server;
    server.enqueue(jsonError(500, echoed, { { "retry-after-ms", "10" } }));
    server.enqueue(jsonError(401, echoed));
    CallRun run(makeRequest(QStringLiteral("openai"), server.url()));
    run.start();
    WAIT_FINISHED(run);
    QCOMPARE(run.attempts.size(), 1);
    QVERIFY(!run.attempts.first().error.contains(kApiKey));
    QVERIFY(run.attempts.first().error.contains(QStringLiteral("***")));
    QCOMPARE(
        run.result().error, QStringLiteral("openai: 401 invalid_api_key: Incorrect API key provided: ***"));

    ScriptedHttpServer server2;
    server2.enqueue(sseResponse(
        "data: {\"error\":{\"message\":\"bad key " + kApiKey.toUtf8() + "\",\"type\":\"auth\"}}\n\n"));
    CallRun run2(makeRequest(QStringLiteral("openai"), server2.url()));
    run2.start();
    WAIT_FINISHED(run2);
    QCOMPARE(run2.result().error, QStringLiteral("openai: stream error: auth: bad key ***"));
}

void TestOpenAiCall::missingApiKey()
{
    ScriptedHttpServer server;
    LlmRequest request = makeRequest(QStringLiteral("openai"), server.url());
    request.apiKey.clear();
    request.provider.apiKeyEnv = QStringLiteral("OPENAI_API_KEY");
    CallRun run(request);
    run.start();
    WAIT_FINISHED(run);
    QCOMPARE(run.result().error, QStringLiteral("openai: no API key: set OPENAI_API_KEY"));
    QCOMPARE(server.requests.size(), 0);
}

// Qt's default policy follows a 307 to another origin and replays Authorization there.
void TestOpenAiCall::crossOriginRedirectNeverCarriesTheKey()
{
    providertest::expectCrossOriginRedirectRefused(
        QStringLiteral("openai"), "/v1/chat/completions", "authorization");
}

// A redirect on the same origin (a moved path) still works, with the key.
void TestOpenAiCall::sameOriginRedirectIsFollowed()
{
    ScriptedHttpServer server;
    server.enqueue(providertest::redirectTo(
        307, QUrl(server.url().toString() + QStringLiteral("/v2/chat/completions"))));
    server.enqueue(sseResponse(kTextStream));
    CallRun run(makeRequest(QStringLiteral("openai"), server.url()));
    run.start();
    WAIT_FINISHED(run);
    QVERIFY2(run.result().ok, qPrintable(run.result().error));
    QCOMPARE(run.result().text, kText);
    QCOMPARE(server.requests.size(), 2);
    QCOMPARE(server.requests.at(1).path, QByteArray("/v2/chat/completions"));
    QCOMPARE(server.requests.at(1).headers.value("authorization"), QByteArray("Bearer " + kApiKey.toUtf8()));
}

QTEST_GUILESS_MAIN(TestOpenAiCall)
#include "tst_openai_call.moc"
