#include "ProviderTestUtil.h"

#include "tests/support/ParserInvariants.h"
#include "tests/support/TestSupport.h"

#include <QFile>
#include <QJsonArray>

using namespace providertest;

// Tool calls on every network provider against a real HTTP server on loopback: the recorded
// tool-call streams (tests/providers/streams) whole and split at every byte boundary, the
// tools in each provider's request shape, and a full two-turn exchange per provider — turn 1
// asks for tools, turn 2 carries the assistant's calls and the tool results back in that
// provider's shape (checked on the body the server received) and gets the final text.
class TestToolCalls : public QObject
{
    Q_OBJECT

private slots:
    void openAiParallelCalls();
    void openAiParallelCallsAtEverySplit();
    void anthropicToolUse();
    void anthropicToolUseAtEverySplit();
    void ollamaToolCalls();
    void ollamaToolCallsAtEverySplit();
    void recordedStreamsParseAlikeAtEverySplit();
    void toolDefinitionsPerProvider();
    void openAiTwoTurns();
    void anthropicTwoTurns();
    void anthropicToolResultsMergeIntoOneUserMessage();
    void ollamaTwoTurns();
    void ollamaKeepsIdsItIsGiven();
    void argumentsThatAreNotAnObject();
    void jsonModesWithTools();
};

namespace {

QByteArray recorded(const char *name)
{
    QFile f(testsupport::sourcePath(QStringLiteral("tests/providers/streams/") + QLatin1String(name)));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing stream %s", name);
    return f.readAll();
}

QJsonObject json(const char *text)
{
    return QJsonDocument::fromJson(text).object();
}

ToolDefinition tool(const QString &name, const QString &description, const QJsonObject &schema)
{
    ToolDefinition t;
    t.source = QStringLiteral("test");
    t.name = name;
    t.description = description;
    t.inputSchema = schema;
    return t;
}

// The tools of the recorded OpenAI stream; get_stock_price's schema is empty on purpose.
QList<ToolDefinition> openAiTools()
{
    return { tool(QStringLiteral("GetWeatherArgs"), QStringLiteral("Weather for a city"),
                 json(R"({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                   "properties": {"city": {"type": "string"}, "country": {"type": "string"},
                   "units": {"type": "string", "enum": ["c", "f"]}}, "required": ["city", "country", "units"]})")),
        tool(QStringLiteral("get_stock_price"), QString(), {}) };
}

QList<ToolDefinition> weatherTool()
{
    return { tool(QStringLiteral("get_weather"), QStringLiteral("Current weather for a city"),
        json(
            R"({"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]})")) };
}

QByteArray openAiText(const QByteArray &text)
{
    return "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"" + text
        + "\"},\"finish_reason\":null}]}\n\n"
          "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
          "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":240,\"completion_tokens\":12}}\n\n"
          "data: [DONE]\n\n";
}

QByteArray anthropicEvent(const QByteArray &type, const QByteArray &data)
{
    return "event: " + type + "\ndata: " + data + "\n\n";
}

QByteArray anthropicText(const QByteArray &text)
{
    return anthropicEvent("message_start",
               R"({"type":"message_start","message":{"model":"claude-sonnet-4-5","usage":{"input_tokens":420,"output_tokens":1}}})")
        + anthropicEvent("content_block_start",
            R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})")
        + anthropicEvent("content_block_delta",
            R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":")" + text
                + "\"}}")
        + anthropicEvent("content_block_stop", R"({"type":"content_block_stop","index":0})")
        + anthropicEvent("message_delta",
            R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}})")
        + anthropicEvent("message_stop", R"({"type":"message_stop"})");
}

ScriptedHttpServer::Response ndjsonResponse(const QByteArray &body)
{
    ScriptedHttpServer::Response r;
    r.headers = { { "Content-Type", "application/x-ndjson" } };
    r.body = body;
    r.transfer = ScriptedHttpServer::Transfer::Chunked;
    return r;
}

LlmResult runOnce(const LlmRequest &request)
{
    CallRun run(request);
    run.start();
    if (!QTest::qWaitFor([&] { return !run.results.isEmpty(); }, 15000))
        qFatal("call did not finish");
    return run.result();
}

void checkOpenAiRecorded(const LlmResult &r, const QString &streamed)
{
    QVERIFY2(r.ok, qPrintable(r.error));
    QVERIFY(r.wantsTools());
    QCOMPARE(r.finishReason, QStringLiteral("tool_calls"));
    QCOMPARE(r.text, QString());
    QCOMPARE(streamed, QString());
    QCOMPARE(r.toolCalls.size(), 2);
    const ModelToolCall &a = r.toolCalls.at(0), &b = r.toolCalls.at(1);
    QCOMPARE(a.id, QStringLiteral("call_JMW1whyEaYG438VE1OIflxA2"));
    QCOMPARE(a.name, QStringLiteral("GetWeatherArgs"));
    QCOMPARE(a.argumentsText, QStringLiteral(R"({"city": "Edinburgh", "country": "GB", "units": "c"})"));
    QCOMPARE(a.arguments, json(R"({"city": "Edinburgh", "country": "GB", "units": "c"})"));
    QCOMPARE(a.argumentsError, QString());
    QCOMPARE(b.id, QStringLiteral("call_DNYTawLBoN8fj3KN6qU9N1Ou"));
    QCOMPARE(b.name, QStringLiteral("get_stock_price"));
    QCOMPARE(b.arguments, json(R"({"ticker": "AAPL", "exchange": "NASDAQ"})"));
    QCOMPARE(r.usage.inputTokens, 149);
    QCOMPARE(r.usage.outputTokens, 60);
    QVERIFY(!r.usage.estimated);
}

void checkAnthropicRecorded(const LlmResult &r, const QString &streamed)
{
    QVERIFY2(r.ok, qPrintable(r.error));
    QVERIFY(r.wantsTools());
    QCOMPARE(r.finishReason, QStringLiteral("tool_use"));
    QCOMPARE(r.text, QStringLiteral("I'll check the current weather in Paris for you."));
    QCOMPARE(streamed, r.text); // the text before the call still streams
    QCOMPARE(r.toolCalls.size(), 1);
    const ModelToolCall &c = r.toolCalls.at(0);
    QCOMPARE(c.id, QStringLiteral("toolu_01NRLabsLyVHZPKxbKvkfSMn"));
    QCOMPARE(c.name, QStringLiteral("get_weather"));
    QCOMPARE(c.arguments, json(R"({"location": "Paris"})"));
    QCOMPARE(c.argumentsText, QStringLiteral(R"({"location": "Paris"})"));
    QCOMPARE(r.usage.inputTokens, 377);
    QCOMPARE(r.usage.outputTokens, 65);
    QVERIFY(!r.usage.estimated);
}

void checkOllamaRecorded(const LlmResult &r, const QString &streamed)
{
    QVERIFY2(r.ok, qPrintable(r.error));
    QVERIFY(r.wantsTools());
    QCOMPARE(r.finishReason, QStringLiteral("tool_calls")); // Ollama says "stop"
    QCOMPARE(r.text, QStringLiteral("Checking both."));
    QCOMPARE(streamed, r.text);
    QCOMPARE(r.reasoning, QStringLiteral("Two cities, one call each."));
    QCOMPARE(r.toolCalls.size(), 2);
    QCOMPARE(r.toolCalls.at(0).id, QStringLiteral("call_0")); // made up: Ollama sent none
    QCOMPARE(r.toolCalls.at(0).name, QStringLiteral("get_weather"));
    QCOMPARE(r.toolCalls.at(0).arguments, json(R"({"city": "Tokyo"})"));
    QCOMPARE(r.toolCalls.at(1).id, QStringLiteral("call_1"));
    QCOMPARE(r.toolCalls.at(1).arguments, json("{\"city\": \"M\xc3\xbcnchen\", \"unit\": \"celsius\"}"));
    QCOMPARE(r.usage.inputTokens, 212);
    QCOMPARE(r.usage.outputTokens, 41);
    QVERIFY(!r.usage.estimated);
}

// A message of a request body by index.
QJsonObject message(const QJsonObject &body, int i)
{
    return body.value(u"messages").toArray().at(i).toObject();
}

QStringList roles(const QJsonObject &body)
{
    QStringList out;
    for (const QJsonValue &m : body.value(u"messages").toArray())
        out.append(m.toObject().value(u"role").toString());
    return out;
}

} // namespace

void TestToolCalls::openAiParallelCalls()
{
    ScriptedHttpServer server;
    server.enqueue(
        sseResponse(recorded("openai_parallel_tool_calls.txt"), ScriptedHttpServer::Transfer::Chunked));
    CallRun run(makeRequest(QStringLiteral("openai"), server.url(), QStringLiteral("gpt-4o")));
    run.start();
    WAIT_FINISHED(run);
    checkOpenAiRecorded(run.result(), run.chunks.join(QString()));
}

void TestToolCalls::openAiParallelCallsAtEverySplit()
{
    replayAtEverySplit(
        makeRequest(QStringLiteral("openai"), QUrl(), QStringLiteral("gpt-4o")),
        recorded("openai_parallel_tool_calls.txt"), "text/event-stream",
        [](int k, const LlmResult &r, const QString &streamed) {
            checkOpenAiRecorded(r, streamed);
            if (QTest::currentTestFailed())
                qWarning("split at %d", k);
        },
        32); // 7727 boundaries: 242 requests of 32 cuts each
}

void TestToolCalls::anthropicToolUse()
{
    ScriptedHttpServer server;
    server.enqueue(sseResponse(recorded("anthropic_tool_use.txt")));
    CallRun run(makeRequest(QStringLiteral("anthropic"), server.url(), QStringLiteral("claude-sonnet-4-0")));
    run.start();
    WAIT_FINISHED(run);
    checkAnthropicRecorded(run.result(), run.chunks.join(QString()));
}

void TestToolCalls::anthropicToolUseAtEverySplit()
{
    replayAtEverySplit(
        makeRequest(QStringLiteral("anthropic"), QUrl(), QStringLiteral("claude-sonnet-4-0")),
        crlf(recorded("anthropic_tool_use.txt")), "text/event-stream",
        [](int k, const LlmResult &r, const QString &streamed) {
            checkAnthropicRecorded(r, streamed);
            if (QTest::currentTestFailed())
                qWarning("split at %d", k);
        },
        8);
}

void TestToolCalls::ollamaToolCalls()
{
    ScriptedHttpServer server;
    server.enqueue(ndjsonResponse(recorded("ollama_tool_calls.ndjson")));
    CallRun run(makeRequest(QStringLiteral("ollama"), server.url(), QStringLiteral("qwen3")));
    run.start();
    WAIT_FINISHED(run);
    checkOllamaRecorded(run.result(), run.chunks.join(QString()));
}

void TestToolCalls::ollamaToolCallsAtEverySplit()
{
    replayAtEverySplit(makeRequest(QStringLiteral("ollama"), QUrl(), QStringLiteral("qwen3")),
        recorded("ollama_tool_calls.ndjson"), "application/x-ndjson",
        [](int k, const LlmResult &r, const QString &streamed) {
            checkOllamaRecorded(r, streamed);
            if (QTest::currentTestFailed())
                qWarning("split at %d", k);
        });
}

// The same streams straight into the parsers: the events and lines do not depend on where
// the bytes were cut.
void TestToolCalls::recordedStreamsParseAlikeAtEverySplit()
{
    for (const char *name :
        { "openai_parallel_tool_calls.txt", "anthropic_tool_use.txt", "ollama_tool_calls.ndjson" }) {
        const QByteArray input = recorded(name);
        for (qsizetype k = 0; k <= input.size(); ++k) {
            const char *broken = parserinvariants::check(input, { k });
            QVERIFY2(!broken,
                qPrintable(QStringLiteral("%1, split at %2: %3")
                               .arg(QLatin1String(name))
                               .arg(k)
                               .arg(QLatin1String(broken))));
        }
    }
}

// Each provider gets the tools in its own shape; a schema without type or properties is made
// a valid object schema, and the $schema keyword is left out.
void TestToolCalls::toolDefinitionsPerProvider()
{
    ScriptedHttpServer server;
    server.enqueue(sseResponse(openAiText("ok")));
    server.enqueue(sseResponse(anthropicText("ok")));
    server.enqueue(
        ndjsonResponse("{\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"done\":true}\n"));
    const QJsonObject weatherParameters
        = json(R"({"type": "object", "properties": {"city": {"type": "string"},
        "country": {"type": "string"}, "units": {"type": "string", "enum": ["c", "f"]}},
        "required": ["city", "country", "units"]})");
    const QJsonObject emptyParameters = json(R"({"type": "object", "properties": {}})");
    for (const QString &kind :
        { QStringLiteral("openai"), QStringLiteral("anthropic"), QStringLiteral("ollama") }) {
        LlmRequest request = makeRequest(kind, server.url());
        request.tools = openAiTools();
        QVERIFY(runOnce(request).ok);
    }
    QCOMPARE(server.requests.size(), 3);
    for (int i : { 0, 2 }) { // OpenAI and Ollama: function tools
        const QJsonArray tools = jsonBody(server.requests.at(i)).value(u"tools").toArray();
        QCOMPARE(tools.size(), 2);
        QCOMPARE(tools.at(0).toObject(),
            QJsonObject({ { QStringLiteral("type"), QStringLiteral("function") },
                { QStringLiteral("function"),
                    QJsonObject({ { QStringLiteral("name"), QStringLiteral("GetWeatherArgs") },
                        { QStringLiteral("description"), QStringLiteral("Weather for a city") },
                        { QStringLiteral("parameters"), weatherParameters } }) } }));
        const QJsonObject stock = tools.at(1).toObject().value(u"function").toObject();
        QCOMPARE(stock.value(u"name").toString(), QStringLiteral("get_stock_price"));
        QVERIFY(!stock.contains(u"description"));
        QCOMPARE(stock.value(u"parameters").toObject(), emptyParameters);
    }
    const QJsonArray tools = jsonBody(server.requests.at(1)).value(u"tools").toArray();
    QCOMPARE(tools.size(), 2);
    QCOMPARE(tools.at(0).toObject(),
        QJsonObject({ { QStringLiteral("name"), QStringLiteral("GetWeatherArgs") },
            { QStringLiteral("description"), QStringLiteral("Weather for a city") },
            { QStringLiteral("input_schema"), weatherParameters } }));
    QCOMPARE(tools.at(1).toObject(),
        QJsonObject({ { QStringLiteral("name"), QStringLiteral("get_stock_price") },
            { QStringLiteral("input_schema"), emptyParameters } }));

    // Without tools, no `tools` key at all.
    server.enqueue(sseResponse(openAiText("ok")));
    QVERIFY(runOnce(makeRequest(QStringLiteral("openai"), server.url())).ok);
    QVERIFY(!jsonBody(server.requests.at(3)).contains(u"tools"));
}

void TestToolCalls::openAiTwoTurns()
{
    ScriptedHttpServer server;
    server.enqueue(sseResponse(recorded("openai_parallel_tool_calls.txt")));
    server.enqueue(sseResponse(openAiText("Edinburgh is 11 C; AAPL is unknown.")));
    LlmRequest request = makeRequest(QStringLiteral("openai"), server.url(), QStringLiteral("gpt-4o"));
    request.tools = openAiTools();
    const LlmResult first = runOnce(request);
    QVERIFY(first.wantsTools());
    QCOMPARE(first.toolCalls.size(), 2);

    // Turn 2 as the loop builds it: the assistant's calls, then one result per call.
    request.messages.append(first.assistantMessage());
    request.messages.append(
        ChatMessage::toolResult(first.toolCalls.at(0), QStringLiteral(R"({"temp_c":11})")));
    request.messages.append(
        ChatMessage::toolResult(first.toolCalls.at(1), QStringLiteral("unknown ticker"), true));
    const LlmResult second = runOnce(request);
    QVERIFY2(second.ok, qPrintable(second.error));
    QVERIFY(!second.wantsTools());
    QCOMPARE(second.text, QStringLiteral("Edinburgh is 11 C; AAPL is unknown."));
    QCOMPARE(second.usage.inputTokens, 240);

    QCOMPARE(server.requests.size(), 2);
    const QJsonObject body = jsonBody(server.requests.at(1));
    QCOMPARE(roles(body),
        QStringList({ QStringLiteral("system"), QStringLiteral("user"), QStringLiteral("assistant"),
            QStringLiteral("tool"), QStringLiteral("tool") }));
    QCOMPARE(body.value(u"tools").toArray().size(), 2); // still offered
    const QJsonObject assistant = message(body, 2);
    QVERIFY(assistant.value(u"content").isNull()); // null, not "", beside tool calls
    QCOMPARE(assistant.value(u"tool_calls").toArray(),
        QJsonDocument::fromJson(R"([
            {"id": "call_JMW1whyEaYG438VE1OIflxA2", "type": "function", "function": {"name": "GetWeatherArgs",
             "arguments": "{\"city\": \"Edinburgh\", \"country\": \"GB\", \"units\": \"c\"}"}},
            {"id": "call_DNYTawLBoN8fj3KN6qU9N1Ou", "type": "function", "function": {"name": "get_stock_price",
             "arguments": "{\"ticker\": \"AAPL\", \"exchange\": \"NASDAQ\"}"}}])")
            .array());
    QCOMPARE(message(body, 3),
        json(
            R"({"role": "tool", "tool_call_id": "call_JMW1whyEaYG438VE1OIflxA2", "content": "{\"temp_c\":11}"})"));
    QCOMPARE(message(body, 4),
        json(
            R"({"role": "tool", "tool_call_id": "call_DNYTawLBoN8fj3KN6qU9N1Ou", "content": "unknown ticker"})"));
}

void TestToolCalls::anthropicTwoTurns()
{
    // Turn 1: text, then two tool_use blocks (parallel calls), input streamed in pieces.
    const QByteArray toolTurn
        = anthropicEvent("message_start",
              R"({"type":"message_start","message":{"model":"claude-sonnet-4-5","usage":{"input_tokens":300,"cache_read_input_tokens":100,"output_tokens":1}}})")
        + anthropicEvent("content_block_start",
            R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})")
        + anthropicEvent("content_block_delta",
            R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Both cities."}})")
        + anthropicEvent("content_block_stop", R"({"type":"content_block_stop","index":0})")
        + anthropicEvent("content_block_start",
            R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_A","name":"get_weather","input":{}}})")
        + anthropicEvent("content_block_delta",
            R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"Pa"}})")
        + anthropicEvent("content_block_start",
            R"({"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_B","name":"get_weather","input":{}}})")
        + anthropicEvent("content_block_delta",
            R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ris\"}"}})")
        + anthropicEvent("content_block_delta",
            R"({"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"Rome\"}"}})")
        + anthropicEvent("content_block_stop", R"({"type":"content_block_stop","index":1})")
        + anthropicEvent("content_block_stop", R"({"type":"content_block_stop","index":2})")
        + anthropicEvent("message_delta",
            R"({"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":70}})")
        + anthropicEvent("message_stop", R"({"type":"message_stop"})");
    ScriptedHttpServer server;
    server.enqueue(sseResponse(toolTurn));
    server.enqueue(sseResponse(anthropicText("Paris 12 C, Rome unavailable.")));
    LlmRequest request
        = makeRequest(QStringLiteral("anthropic"), server.url(), QStringLiteral("claude-sonnet-4-5"));
    request.tools = weatherTool();
    const LlmResult first = runOnce(request);
    QVERIFY2(first.ok, qPrintable(first.error));
    QCOMPARE(first.finishReason, QStringLiteral("tool_use"));
    QCOMPARE(first.toolCalls.size(), 2);
    QCOMPARE(first.toolCalls.at(0).arguments, json(R"({"location": "Paris"})"));
    QCOMPARE(first.toolCalls.at(1).arguments, json(R"({"location": "Rome"})"));
    QCOMPARE(first.usage.inputTokens, 400);
    QCOMPARE(first.usage.outputTokens, 70);

    request.messages.append(first.assistantMessage());
    request.messages.append(ChatMessage::toolResult(first.toolCalls.at(0), QStringLiteral("12 C, cloudy")));
    request.messages.append(ChatMessage::toolResult(first.toolCalls.at(1), QStringLiteral("timeout"), true));
    const LlmResult second = runOnce(request);
    QVERIFY2(second.ok, qPrintable(second.error));
    QVERIFY(!second.wantsTools());
    QCOMPARE(second.text, QStringLiteral("Paris 12 C, Rome unavailable."));

    QCOMPARE(server.requests.size(), 2);
    const QJsonObject body = jsonBody(server.requests.at(1));
    QCOMPARE(body.value(u"system").toString(), QStringLiteral("You are terse."));
    QCOMPARE(body.value(u"tools").toArray().size(), 1);
    // user, assistant (text + tool_use blocks), ONE user message with both results.
    QCOMPARE(roles(body),
        QStringList({ QStringLiteral("user"), QStringLiteral("assistant"), QStringLiteral("user") }));
    QCOMPARE(message(body, 0).value(u"content").toString(), QStringLiteral("Say hello."));
    QCOMPARE(message(body, 1).value(u"content").toArray(),
        QJsonDocument::fromJson(R"([{"type": "text", "text": "Both cities."},
            {"type": "tool_use", "id": "toolu_A", "name": "get_weather", "input": {"location": "Paris"}},
            {"type": "tool_use", "id": "toolu_B", "name": "get_weather", "input": {"location": "Rome"}}])")
            .array());
    QCOMPARE(message(body, 2).value(u"content").toArray(),
        QJsonDocument::fromJson(R"([
            {"type": "tool_result", "tool_use_id": "toolu_A", "content": "12 C, cloudy", "is_error": false},
            {"type": "tool_result", "tool_use_id": "toolu_B", "content": "timeout", "is_error": true}])")
            .array());
}

// A user message right after tool results (a conversation continued after a tool turn) joins
// the results' user message: Anthropic wants the roles to alternate.
void TestToolCalls::anthropicToolResultsMergeIntoOneUserMessage()
{
    ScriptedHttpServer server;
    server.enqueue(sseResponse(anthropicText("ok")));
    LlmRequest request
        = makeRequest(QStringLiteral("anthropic"), server.url(), QStringLiteral("claude-sonnet-4-5"));
    ChatMessage assistant { QStringLiteral("assistant"), QString() };
    assistant.toolCalls
        = { ModelToolCall::fromObject(QStringLiteral("toolu_1"), QStringLiteral("lookup"), {}) };
    request.messages.append(assistant);
    request.messages.append(ChatMessage::toolResult(assistant.toolCalls.at(0), QString()));
    request.messages.append(ChatMessage { QStringLiteral("user"), QStringLiteral("And now?") });
    QVERIFY(runOnce(request).ok);
    const QJsonObject body = jsonBody(server.requests.at(0));
    QCOMPARE(roles(body),
        QStringList({ QStringLiteral("user"), QStringLiteral("assistant"), QStringLiteral("user") }));
    QCOMPARE(message(body, 1).value(u"content").toArray(),
        QJsonDocument::fromJson(R"([{"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}}])")
            .array());
    QCOMPARE(message(body, 2).value(u"content").toArray(),
        QJsonDocument::fromJson(R"([{"type": "tool_result", "tool_use_id": "toolu_1", "is_error": false},
            {"type": "text", "text": "And now?"}])")
            .array());
}

void TestToolCalls::ollamaTwoTurns()
{
    ScriptedHttpServer server;
    server.enqueue(ndjsonResponse(recorded("ollama_tool_calls.ndjson")));
    server.enqueue(
        ndjsonResponse("{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"Tokyo 18 C, "
                       "M\xc3\xbcnchen 4 C.\"},\"done\":false}\n"
                       "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},"
                       "\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":300,\"eval_count\":"
                       "9}\n"));
    LlmRequest request = makeRequest(QStringLiteral("ollama"), server.url(), QStringLiteral("qwen3"));
    request.apiKey.clear();
    request.tools = weatherTool();
    const LlmResult first = runOnce(request);
    QVERIFY(first.wantsTools());
    request.messages.append(first.assistantMessage());
    for (const ModelToolCall &c : first.toolCalls)
        request.messages.append(
            ChatMessage::toolResult(c, c.arguments.value(u"city").toString() + QStringLiteral(": ok")));
    const LlmResult second = runOnce(request);
    QVERIFY2(second.ok, qPrintable(second.error));
    QVERIFY(!second.wantsTools());
    QCOMPARE(second.finishReason, QStringLiteral("stop"));
    QCOMPARE(second.text, QStringLiteral("Tokyo 18 C, M\u00fcnchen 4 C."));

    QCOMPARE(server.requests.size(), 2);
    const QJsonObject body = jsonBody(server.requests.at(1));
    QCOMPARE(roles(body),
        QStringList({ QStringLiteral("system"), QStringLiteral("user"), QStringLiteral("assistant"),
            QStringLiteral("tool"), QStringLiteral("tool") }));
    QCOMPARE(message(body, 2),
        QJsonDocument::fromJson(
            "{\"role\": \"assistant\", \"content\": \"Checking both.\", \"tool_calls\": ["
            "{\"function\": {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Tokyo\"}}},"
            "{\"function\": {\"name\": \"get_weather\", \"arguments\": {\"city\": "
            "\"M\xc3\xbcnchen\", \"unit\": \"celsius\"}}}]}")
            .object());
    QCOMPARE(
        message(body, 3), json(R"({"role": "tool", "content": "Tokyo: ok", "tool_name": "get_weather"})"));
    QCOMPARE(message(body, 4).value(u"content").toString(), QStringLiteral("M\u00fcnchen: ok"));
}

// Newer Ollama servers send ids; they are kept. Arguments given as a JSON text (some
// compatible servers) are parsed.
void TestToolCalls::ollamaKeepsIdsItIsGiven()
{
    ScriptedHttpServer server;
    server.enqueue(ndjsonResponse(
        R"({"message":{"role":"assistant","content":"","tool_calls":[{"id":"call_x1","function":{"index":0,"name":"a","arguments":{"n":1}}},{"function":{"index":1,"name":"b","arguments":"{\"m\":2}"}}]},"done":false})"
        "\n"
        R"({"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"})"
        "\n"));
    LlmRequest request = makeRequest(QStringLiteral("ollama"), server.url(), QStringLiteral("qwen3"));
    request.apiKey.clear();
    const LlmResult r = runOnce(request);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.toolCalls.size(), 2);
    QCOMPARE(r.toolCalls.at(0).id, QStringLiteral("call_x1"));
    QCOMPARE(r.toolCalls.at(1).id, QStringLiteral("call_1"));
    QCOMPARE(r.toolCalls.at(1).arguments, json(R"({"m": 2})"));
    QVERIFY(r.usage.estimated); // no counts on the done line
    QVERIFY(r.usage.outputTokens > 0); // the calls count as output
}

// Arguments that are not a JSON object keep their text and say why; the call is still
// returned so the loop can answer the model with an error result. A call without an id (some
// compatible servers) gets one, so its result can answer it.
void TestToolCalls::argumentsThatAreNotAnObject()
{
    const QByteArray stream
        = "data: "
          "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":"
          "\"function\",\"function\":{\"name\":\"a\",\"arguments\":\"{\\\"city\\\": \\\"Par\"}}]}}]}\n\n"
          "data: "
          "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_2\",\"type\":"
          "\"function\",\"function\":{\"name\":\"b\",\"arguments\":\"[1, 2]\"}}]}}]}\n\n"
          "data: "
          "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":2,\"type\":"
          "\"function\",\"function\":{\"name\":\"c\",\"arguments\":\"\"}}]}}]}\n\n"
          "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n"
          "data: [DONE]\n\n";
    ScriptedHttpServer server;
    server.enqueue(sseResponse(stream));
    const LlmResult r = runOnce(makeRequest(QStringLiteral("openai"), server.url()));
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.finishReason, QStringLiteral("length"));
    QCOMPARE(r.toolCalls.size(), 3);
    QCOMPARE(r.toolCalls.at(0).argumentsText, QStringLiteral(R"({"city": "Par)"));
    QCOMPARE(r.toolCalls.at(0).arguments, QJsonObject());
    QVERIFY2(r.toolCalls.at(0).argumentsError.startsWith(QStringLiteral("invalid JSON at offset")),
        qPrintable(r.toolCalls.at(0).argumentsError));
    QCOMPARE(r.toolCalls.at(1).argumentsError, QStringLiteral("arguments are not a JSON object: got [1,2]"));
    QCOMPARE(r.toolCalls.at(2).id, QStringLiteral("call_2")); // a server that sent no id
    QCOMPARE(r.toolCalls.at(2).argumentsError, QString()); // no arguments: {}
    QCOMPARE(r.toolCalls.at(2).argumentsJson(), QStringLiteral("{}"));
}

// OpenAI keeps Structured Outputs beside tools. Ollama's `format` would stop the model from
// ever calling a tool, so it is sent only without tools.
void TestToolCalls::jsonModesWithTools()
{
    const QJsonObject schema = json(R"({"type": "object", "properties": {"answer": {"type": "string"}},
        "required": ["answer"], "additionalProperties": false})");
    ScriptedHttpServer server;
    server.enqueue(sseResponse(openAiText("{}")));
    server.enqueue(
        ndjsonResponse("{\"message\":{\"role\":\"assistant\",\"content\":\"{}\"},\"done\":true}\n"));
    server.enqueue(
        ndjsonResponse("{\"message\":{\"role\":\"assistant\",\"content\":\"{}\"},\"done\":true}\n"));
    LlmRequest openai = makeRequest(QStringLiteral("openai"), server.url());
    openai.outputSchema = schema;
    openai.tools = weatherTool();
    QVERIFY(runOnce(openai).ok);
    LlmRequest ollama = makeRequest(QStringLiteral("ollama"), server.url());
    ollama.outputSchema = schema;
    ollama.tools = weatherTool();
    QVERIFY(runOnce(ollama).ok);
    ollama.tools.clear();
    QVERIFY(runOnce(ollama).ok);

    const QJsonObject openaiBody = jsonBody(server.requests.at(0));
    QCOMPARE(openaiBody.value(u"response_format")
                 .toObject()
                 .value(u"json_schema")
                 .toObject()
                 .value(u"schema")
                 .toObject(),
        schema);
    QCOMPARE(openaiBody.value(u"tools").toArray().size(), 1);
    const QJsonObject withTools = jsonBody(server.requests.at(1));
    QVERIFY(!withTools.contains(u"format"));
    QCOMPARE(withTools.value(u"tools").toArray().size(), 1);
    const QJsonObject withoutTools = jsonBody(server.requests.at(2));
    QCOMPARE(withoutTools.value(u"format").toObject(), schema);
    QVERIFY(!withoutTools.contains(u"tools"));
}

QTEST_GUILESS_MAIN(TestToolCalls)
#include "tst_tool_calls.moc"
