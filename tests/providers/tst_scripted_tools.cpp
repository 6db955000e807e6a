#include "core/model/Prompt.h"
#include "core/providers/LlmCall.h"
#include "core/providers/SchemaSample.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

// The scripted provider with tools (docs/tool-calls.md): offline tool use by default, tool
// turns scripted in `replies`, and arguments that fit the tool's schema.
class TestScriptedTools : public QObject
{
    Q_OBJECT

private slots:
    void defaultCallsEachToolThenAnswers();
    void defaultArgumentsUseTheRequest();
    void defaultCallsAgainAfterANewUserMessage();
    void scriptedToolTurns();
    void scriptedTurnChosenByAssistantTurns();
    void scriptedArgumentsLeftOutOrRaw();
    void badScriptedToolTurn_data();
    void badScriptedToolTurn();
    void withoutToolsRepliesStillCycle();
    void sampleFitsSchema_data();
    void sampleFitsSchema();
};

namespace {

QJsonObject json(const char *text)
{
    return QJsonDocument::fromJson(text).object();
}

ToolDefinition tool(const QString &name, const char *schema)
{
    ToolDefinition t;
    t.source = QStringLiteral("shop");
    t.name = name;
    t.inputSchema = json(schema);
    return t;
}

const char *kOrdersSchema = R"({"type": "object", "properties": {
    "order_id": {"type": "string", "minLength": 3},
    "include_items": {"type": "boolean"}}, "required": ["order_id"], "additionalProperties": false})";
const char *kForecastSchema = R"({"type": "object", "properties": {
    "city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    "days": {"type": "integer", "minimum": 1, "maximum": 7}}, "required": ["city", "days"]})";

Signature signature()
{
    Signature s;
    QStringList problems;
    s.inputs.append(*FieldSpec::fromJson(
        json(R"({"name": "question", "type": "str"})"), QStringLiteral("inputs[0]"), &problems));
    s.outputs.append(
        *FieldSpec::fromJson(json(R"({"name": "status", "type": "enum", "choices": ["shipped", "late"]})"),
            QStringLiteral("outputs[0]"), &problems));
    s.outputs.append(*FieldSpec::fromJson(
        json(R"({"name": "summary", "type": "str"})"), QStringLiteral("outputs[1]"), &problems));
    return s;
}

LlmRequest request(const QJsonObject &model = {})
{
    LlmRequest r;
    r.provider.id = QStringLiteral("offline");
    r.provider.kind = QStringLiteral("scripted");
    r.model.provider = QStringLiteral("offline");
    r.model.name = QStringLiteral("scripted");
    r.model.raw = model;
    r.model.raw.insert(QStringLiteral("ttft_ms"), 0);
    r.model.raw.insert(QStringLiteral("tokens_per_second"), 0);
    r.signature = signature();
    r.messages = { ChatMessage { QStringLiteral("system"), QStringLiteral("Answer about orders.") },
        ChatMessage { QStringLiteral("user"), QStringLiteral("question: Where is order #A-1042?") } };
    r.tools = { tool(QStringLiteral("orders"), kOrdersSchema),
        tool(QStringLiteral("forecast"), kForecastSchema) };
    return r;
}

struct Outcome
{
    LlmResult result;
    QString streamed;
};

Outcome run(const LlmRequest &r)
{
    QString err;
    LlmCall *call = createLlmCall(r, nullptr, nullptr, &err);
    if (!call)
        qFatal("no scripted call: %s", qPrintable(err));
    Outcome o;
    bool done = false;
    QObject::connect(call, &LlmCall::chunk, call, [&](const QString &c, int) { o.streamed += c; });
    QObject::connect(call, &LlmCall::finished, call, [&](const LlmResult &res) {
        o.result = res;
        done = true;
    });
    call->start();
    if (!QTest::qWaitFor([&] { return done; }, 10000))
        qFatal("scripted call did not finish");
    delete call;
    return o;
}

// The next request of the loop: the reply's turn, then a result per call.
void continueWith(LlmRequest &r, const LlmResult &reply)
{
    r.messages.append(reply.assistantMessage());
    for (const ModelToolCall &c : reply.toolCalls)
        r.messages.append(ChatMessage::toolResult(c, QStringLiteral(R"({"ok":true})")));
}

// What the tests need of JSON Schema validation: type, enum, const, required,
// additionalProperties: false, string length, numeric bounds, array items and length.
QString violation(const QJsonValue &v, const QJsonObject &s, const QString &at = QStringLiteral("$"))
{
    const QString type = s.value(u"type").toString();
    auto fail = [&](const QString &why) -> QString { return at + QStringLiteral(": ") + why; };
    if (s.contains(u"const") && v != s.value(u"const"))
        return fail(QStringLiteral("not the const"));
    if (s.contains(u"enum") && !s.value(u"enum").toArray().contains(v))
        return fail(QStringLiteral("not in enum"));
    if (type == u"object") {
        if (!v.isObject())
            return fail(QStringLiteral("not an object"));
        const QJsonObject o = v.toObject(), props = s.value(u"properties").toObject();
        for (const QJsonValue &r : s.value(u"required").toArray())
            if (!o.contains(r.toString()))
                return fail(QStringLiteral("missing ") + r.toString());
        for (auto it = o.begin(); it != o.end(); ++it) {
            if (!props.contains(it.key())) {
                if (s.value(u"additionalProperties") == QJsonValue(false))
                    return fail(QStringLiteral("extra ") + it.key());
                continue;
            }
            const QString why = violation(it.value(), props.value(it.key()).toObject(), at + u'.' + it.key());
            if (!why.isEmpty())
                return why;
        }
    } else if (type == u"array") {
        if (!v.isArray())
            return fail(QStringLiteral("not an array"));
        const QJsonArray a = v.toArray();
        if (a.size() < s.value(u"minItems").toInt(0) || a.size() > s.value(u"maxItems").toInt(1 << 30))
            return fail(QStringLiteral("wrong length"));
        for (int i = 0; i < a.size(); ++i) {
            const QString why
                = violation(a.at(i), s.value(u"items").toObject(), at + QStringLiteral("[%1]").arg(i));
            if (!why.isEmpty())
                return why;
        }
    } else if (type == u"string") {
        if (!v.isString())
            return fail(QStringLiteral("not a string"));
        const qsizetype n = v.toString().size();
        if (n < s.value(u"minLength").toInt(0) || n > s.value(u"maxLength").toInt(1 << 30))
            return fail(QStringLiteral("wrong length"));
    } else if (type == u"integer" || type == u"number") {
        const double d = v.toDouble();
        if (!v.isDouble() || (type == u"integer" && d != std::floor(d)))
            return fail(QStringLiteral("not a ") + type);
        if ((s.contains(u"minimum") && d < s.value(u"minimum").toDouble())
            || (s.contains(u"maximum") && d > s.value(u"maximum").toDouble())
            || (s.value(u"exclusiveMinimum").isDouble() && d <= s.value(u"exclusiveMinimum").toDouble())
            || (s.value(u"exclusiveMaximum").isDouble() && d >= s.value(u"exclusiveMaximum").toDouble()))
            return fail(QStringLiteral("out of range"));
    } else if (type == u"boolean" && !v.isBool()) {
        return fail(QStringLiteral("not a boolean"));
    }
    return {};
}

} // namespace

// No replies: turn 1 calls every tool once, arguments fitting each schema; with the results
// in the messages, turn 2 gives the usual answer, which parses into the output signature.
void TestScriptedTools::defaultCallsEachToolThenAnswers()
{
    LlmRequest r = request();
    const Outcome first = run(r);
    QVERIFY2(first.result.ok, qPrintable(first.result.error));
    QVERIFY(first.result.wantsTools());
    QCOMPARE(first.result.finishReason, QStringLiteral("tool_calls"));
    QCOMPARE(first.result.text, QString());
    QCOMPARE(first.streamed, QString());
    QCOMPARE(first.result.toolCalls.size(), 2);
    for (int i = 0; i < 2; ++i) {
        const ModelToolCall &c = first.result.toolCalls.at(i);
        QCOMPARE(c.name, r.tools.at(i).name);
        QCOMPARE(c.id, QStringLiteral("call_0_%1").arg(i));
        QCOMPARE(c.argumentsError, QString());
        QCOMPARE(QJsonDocument::fromJson(c.argumentsText.toUtf8()).object(), c.arguments);
        const QString why = violation(c.arguments, r.tools.at(i).inputSchema);
        QVERIFY2(why.isEmpty(), qPrintable(c.name + QStringLiteral(": ") + why));
    }
    QVERIFY(first.result.usage.outputTokens > 0); // the calls are output

    continueWith(r, first.result);
    const Outcome second = run(r);
    QVERIFY2(second.result.ok, qPrintable(second.result.error));
    QVERIFY(!second.result.wantsTools());
    QCOMPARE(second.result.finishReason, QStringLiteral("stop"));
    QCOMPARE(second.streamed, second.result.text);
    const Result<QJsonObject> parsed = parseReply(r.signature, second.result.text);
    QVERIFY2(parsed.ok(), qPrintable(parsed.error()));
    QVERIFY(second.result.usage.inputTokens > first.result.usage.inputTokens); // calls and results are input

    // Deterministic: the same request, the same calls.
    LlmRequest again = request();
    QCOMPARE(run(again).result.toolCalls.at(0).toJson(), first.result.toolCalls.at(0).toJson());
}

// An id-like string takes the id the user mentioned; an enum its first choice; a bounded
// integer a value inside the bounds.
void TestScriptedTools::defaultArgumentsUseTheRequest()
{
    const LlmResult r = run(request()).result;
    QCOMPARE(r.toolCalls.size(), 2);
    QCOMPARE(r.toolCalls.at(0).arguments.value(u"order_id").toString(), QStringLiteral("A-1042"));
    QCOMPARE(r.toolCalls.at(1).arguments.value(u"unit").toString(), QStringLiteral("celsius"));
    QCOMPARE(r.toolCalls.at(1).arguments.value(u"days").toInt(), 4);
}

// A continued conversation: a new user message after the results starts a new exchange.
void TestScriptedTools::defaultCallsAgainAfterANewUserMessage()
{
    LlmRequest r = request();
    const LlmResult first = run(r).result;
    continueWith(r, first);
    const LlmResult answer = run(r).result;
    QVERIFY(!answer.wantsTools());
    r.messages.append(answer.assistantMessage());
    r.messages.append(ChatMessage { QStringLiteral("user"), QStringLiteral("question: And order #B-7?") });
    const LlmResult next = run(r).result;
    QCOMPARE(next.toolCalls.size(), 2);
    QCOMPARE(next.toolCalls.at(0).id, QStringLiteral("call_2_0")); // two assistant turns before
    QCOMPARE(
        next.toolCalls.at(0).arguments.value(u"order_id").toString(), QStringLiteral("B-7")); // the new one
}

void TestScriptedTools::scriptedToolTurns()
{
    LlmRequest r = request(json(R"({"replies": [
        {"content": "Looking it up.", "tool_calls": [{"name": "orders", "arguments": {"order_id": "A-1042"}},
                                                      {"name": "forecast", "id": "mine", "arguments": {"city": "Oslo", "days": 2}}]},
        {"status": "late", "summary": "Held by the weather in Oslo."}]})"));
    const Outcome first = run(r);
    QVERIFY2(first.result.ok, qPrintable(first.result.error));
    QCOMPARE(first.result.text, QStringLiteral("Looking it up."));
    QCOMPARE(first.streamed, QStringLiteral("Looking it up.")); // said before the calls
    QCOMPARE(first.result.toolCalls.size(), 2);
    QCOMPARE(first.result.toolCalls.at(0).toJson(),
        json(R"({"id": "call_0_0", "name": "orders", "arguments": {"order_id": "A-1042"}})"));
    QCOMPARE(first.result.toolCalls.at(1).id, QStringLiteral("mine"));
    QCOMPARE(first.result.toolCalls.at(1).arguments, json(R"({"city": "Oslo", "days": 2})"));

    continueWith(r, first.result);
    const Outcome second = run(r);
    QVERIFY(!second.result.wantsTools());
    QCOMPARE(
        second.result.text, QStringLiteral(R"({"status":"late","summary":"Held by the weather in Oslo."})"));
}

// With tools, the reply is the one for this turn, not the next of a per-process counter:
// running the same first turn again gives the tool turn again.
void TestScriptedTools::scriptedTurnChosenByAssistantTurns()
{
    const QJsonObject model = json(
        R"({"replies": [{"tool_calls": [{"name": "orders", "arguments": {"order_id": "X-1"}}]}, "done"]})");
    for (int i = 0; i < 3; ++i) {
        const LlmResult r = run(request(model)).result;
        QCOMPARE(r.toolCalls.size(), 1);
        QCOMPARE(r.toolCalls.at(0).arguments.value(u"order_id").toString(), QStringLiteral("X-1"));
    }
    LlmRequest r = request(model);
    continueWith(r, run(r).result);
    QCOMPARE(run(r).result.text, QStringLiteral("done"));
    continueWith(r, run(r).result); // a third turn wraps around: replies[2 % 2]
    QCOMPARE(run(r).result.toolCalls.size(), 1);
}

// Arguments left out are sampled from the named tool's schema; a string is the raw text a
// model wrote, invalid JSON included (the loop answers it with an error result).
void TestScriptedTools::scriptedArgumentsLeftOutOrRaw()
{
    const LlmResult r = run(request(json(R"({"replies": [{"tool_calls": [
        {"name": "forecast"}, {"name": "orders", "arguments": "{\"order_id\": "}, {"name": "nosuch"}]}]})")))
                            .result;
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.toolCalls.size(), 3);
    QVERIFY2(violation(r.toolCalls.at(0).arguments, json(kForecastSchema)).isEmpty(),
        qPrintable(r.toolCalls.at(0).argumentsText));
    QCOMPARE(r.toolCalls.at(1).argumentsText, QStringLiteral(R"({"order_id": )"));
    QVERIFY(!r.toolCalls.at(1).argumentsError.isEmpty());
    QCOMPARE(r.toolCalls.at(2).arguments, QJsonObject()); // a tool it was not offered
}

void TestScriptedTools::badScriptedToolTurn_data()
{
    QTest::addColumn<QByteArray>("model");
    QTest::addColumn<QString>("error");
    QTest::newRow("no name")
        << QByteArray(R"({"replies": [{"tool_calls": [{"arguments": {}}]}]})")
        << QStringLiteral("scripted: replies[0].tool_calls[0]: expected an object with a \"name\" string");
    QTest::newRow("not an array") << QByteArray(R"({"replies": [{"tool_calls": "orders"}]})")
                                  << QStringLiteral(
                                         "scripted: replies[0].tool_calls: expected an array of calls");
    QTest::newRow("bad arguments")
        << QByteArray(
               R"({"replies": [{"tool_calls": [{"name": "orders"}, {"name": "orders", "arguments": 3}]}]})")
        << QStringLiteral("scripted: replies[0].tool_calls[1].arguments: expected an object or a JSON text");
}

void TestScriptedTools::badScriptedToolTurn()
{
    QFETCH(QByteArray, model);
    QFETCH(QString, error);
    const LlmResult r = run(request(QJsonDocument::fromJson(model).object())).result;
    QVERIFY(!r.ok);
    QVERIFY(!r.cancelled);
    QCOMPARE(r.error, error);
    QVERIFY(r.toolCalls.isEmpty());
}

// No tools and no assistant turn: replies still cycle per call, as before.
void TestScriptedTools::withoutToolsRepliesStillCycle()
{
    LlmRequest r = request(json(R"({"replies": ["one", "two"], "tag": "cycle"})"));
    r.tools.clear();
    QCOMPARE(run(r).result.text, QStringLiteral("one"));
    QCOMPARE(run(r).result.text, QStringLiteral("two"));
    QCOMPARE(run(r).result.text, QStringLiteral("one"));
    QVERIFY(!run(r).result.wantsTools());
}

void TestScriptedTools::sampleFitsSchema_data()
{
    QTest::addColumn<QByteArray>("schema");
    QTest::addColumn<QByteArray>("expected"); // empty: only "fits"
    QTest::newRow("empty") << QByteArray("{}") << QByteArray("{}");
    QTest::newRow("no properties") << QByteArray(R"({"type": "object"})") << QByteArray("{}");
    QTest::newRow("formats") << QByteArray(R"({"type": "object", "properties": {
        "when": {"type": "string", "format": "date-time"}, "mail": {"type": "string", "format": "email"},
        "short": {"type": "string", "maxLength": 4}, "long": {"type": "string", "minLength": 20}}})")
                             << QByteArray();
    QTest::newRow("numbers") << QByteArray(R"({"type": "object", "properties": {
        "a": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 3},
        "b": {"type": "number", "minimum": -1.5, "maximum": -0.5},
        "c": {"type": "integer", "minimum": 10, "multipleOf": 5}, "d": {"type": "number"}}})")
                             << QByteArray(R"({"a": 2, "b": -1, "c": 10, "d": 1})");
    QTest::newRow("arrays and nesting") << QByteArray(R"({"type": "object", "properties": {
        "tags": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]}, "minItems": 2},
        "where": {"type": "object", "properties": {"lat": {"type": "number"}}, "required": ["lat"]}},
        "required": ["tags", "where"]})")
                                        << QByteArray(R"({"tags": ["x", "x"], "where": {"lat": 1}})");
    QTest::newRow("ref, allOf, anyOf, const, default")
        << QByteArray(R"({"type": "object",
        "$defs": {"unit": {"type": "string", "enum": ["kg", "lb"]}},
        "properties": {"unit": {"$ref": "#/$defs/unit"}, "kind": {"const": "parcel"},
                       "count": {"type": "integer", "default": 3},
                       "maybe": {"anyOf": [{"type": "null"}, {"type": "boolean"}]},
                       "both": {"allOf": [{"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
                                          {"properties": {"y": {"type": "string"}}, "required": ["y"]}]}}})")
        << QByteArray(R"({"unit": "kg", "kind": "parcel", "count": 3,
        "maybe": true, "both": {"x": 1, "y": "example y"}})");
    QTest::newRow("type list") << QByteArray(
        R"({"type": "object", "properties": {"n": {"type": ["null", "integer"]}}})")
                               << QByteArray(R"({"n": 1})");
    QTest::newRow("self reference ends")
        << QByteArray(R"({"type": "object", "$defs": {"node": {"type": "object",
        "properties": {"next": {"$ref": "#/$defs/node"}}}}, "properties": {"root": {"$ref": "#/$defs/node"}}})")
        << QByteArray();
}

void TestScriptedTools::sampleFitsSchema()
{
    QFETCH(QByteArray, schema);
    QFETCH(QByteArray, expected);
    const QJsonObject s = QJsonDocument::fromJson(schema).object();
    const QJsonValue v = schemasample::sampleFor(s);
    QVERIFY2(v.isObject(), qPrintable(QString::fromUtf8(QJsonDocument(QJsonArray { v }).toJson())));
    if (!expected.isEmpty())
        QCOMPARE(v.toObject(), QJsonDocument::fromJson(expected).object());
    if (!s.contains(u"$defs")) {
        const QString why = violation(v, s);
        QVERIFY2(why.isEmpty(), qPrintable(why));
    }
    QCOMPARE(schemasample::sampleFor(s), v); // deterministic
}

QTEST_GUILESS_MAIN(TestScriptedTools)
#include "tst_scripted_tools.moc"
