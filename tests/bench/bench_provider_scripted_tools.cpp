// What one scripted call costs at unlimited pace (tokens_per_second 0, ttft_ms 0) in an agent
// loop, the provider's share of the loop's per-call overhead: createLlmCall -> start ->
// finished, event loop included. Printed, µs per call (median of the runs):
//   - tool turn: the default turn of an agent with `tools` tools (arguments sampled from
//     their schemas), and a scripted `replies` tool turn with as many calls;
//   - answer turn: the default answer once the tool results are in the messages;
//   - per tool call: the tool turn divided by the calls it makes.
// Usage: bench_provider_scripted_tools [calls=2000] [tools=4] [runs=5]
#include "core/providers/LlmCall.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cstdio>

namespace {

LlmRequest baseRequest(int tools, bool scripted)
{
    LlmRequest r;
    r.provider.id = QStringLiteral("offline");
    r.provider.kind = QStringLiteral("scripted");
    r.model.name = QStringLiteral("scripted");
    r.model.raw
        = QJsonObject { { QStringLiteral("tokens_per_second"), 0 }, { QStringLiteral("ttft_ms"), 0 } };
    QStringList problems;
    r.signature.inputs.append(
        *FieldSpec::fromJson(QJsonObject { { QStringLiteral("name"), QStringLiteral("question") },
                                 { QStringLiteral("type"), QStringLiteral("str") } },
            QStringLiteral("inputs[0]"), &problems));
    r.signature.outputs.append(
        *FieldSpec::fromJson(QJsonObject { { QStringLiteral("name"), QStringLiteral("status") },
                                 { QStringLiteral("type"), QStringLiteral("str") } },
            QStringLiteral("outputs[0]"), &problems));
    r.messages = { ChatMessage { QStringLiteral("system"), QStringLiteral("Answer about orders.") },
        ChatMessage { QStringLiteral("user"), QStringLiteral("question: Where is order #A-1042?") } };
    const QJsonObject schema = QJsonDocument::fromJson(R"({"type": "object", "properties": {
        "order_id": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["order_id"]})")
                                   .object();
    QJsonArray calls;
    for (int i = 0; i < tools; ++i) {
        ToolDefinition t;
        t.name = QStringLiteral("tool_%1").arg(i);
        t.inputSchema = schema;
        r.tools.append(t);
        calls.append(QJsonObject { { QStringLiteral("name"), t.name },
            { QStringLiteral("arguments"),
                QJsonObject { { QStringLiteral("order_id"), QStringLiteral("A-1042") } } } });
    }
    if (scripted)
        r.model.raw.insert(QStringLiteral("replies"),
            QJsonArray { QJsonObject { { QStringLiteral("tool_calls"), calls } },
                QStringLiteral("{\"status\":\"ok\"}") });
    return r;
}

// µs per call over `calls` sequential calls; *toolCalls gets the calls of the last reply.
double perCall(const LlmRequest &request, int calls, int *toolCalls)
{
    QEventLoop loop;
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < calls; ++i) {
        LlmCall *call = createLlmCall(request, nullptr, nullptr, nullptr);
        QObject::connect(call, &LlmCall::finished, call, [&](const LlmResult &r) {
            if (!r.ok)
                std::printf("  call failed: %s\n", qPrintable(r.error));
            *toolCalls = int(r.toolCalls.size());
            loop.quit();
        });
        call->start();
        loop.exec();
        delete call;
    }
    return double(clock.nsecsElapsed()) / 1000.0 / calls;
}

double median(QList<double> v)
{
    std::sort(v.begin(), v.end());
    return v.at(v.size() / 2);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int calls = argc > 1 ? QByteArray(argv[1]).toInt() : 2000;
    const int tools = argc > 2 ? QByteArray(argv[2]).toInt() : 4;
    const int runs = argc > 3 ? QByteArray(argv[3]).toInt() : 5;
    std::printf("bench_provider_scripted_tools: %d calls per run, %d tools, %d runs\n", calls, tools, runs);

    const LlmRequest toolTurn = baseRequest(tools, false);
    const LlmRequest scriptedTurn = baseRequest(tools, true);
    LlmRequest answerTurn = toolTurn;
    {
        ChatMessage assistant { QStringLiteral("assistant"), QString() };
        for (int i = 0; i < tools; ++i)
            assistant.toolCalls.append(
                ModelToolCall::fromObject(QStringLiteral("call_0_%1").arg(i), toolTurn.tools.at(i).name,
                    QJsonObject { { QStringLiteral("order_id"), QStringLiteral("A-1042") } }));
        answerTurn.messages.append(assistant);
        for (const ModelToolCall &c : std::as_const(assistant.toolCalls))
            answerTurn.messages.append(
                ChatMessage::toolResult(c, QStringLiteral("{\"status\":\"shipped\"}")));
    }
    QList<double> def, scripted, answer;
    int defCalls = 0, scriptedCalls = 0, answerCalls = 0;
    for (int run = 0; run < runs; ++run) {
        def.append(perCall(toolTurn, calls, &defCalls));
        scripted.append(perCall(scriptedTurn, calls, &scriptedCalls));
        answer.append(perCall(answerTurn, calls, &answerCalls));
        std::printf("  run %d: default tool turn %.1f us, scripted tool turn %.1f us, answer turn %.1f us\n",
            run, def.last(), scripted.last(), answer.last());
    }
    if (defCalls != tools || scriptedCalls != tools || answerCalls != 0) {
        std::printf("unexpected replies: %d, %d, %d tool calls\n", defCalls, scriptedCalls, answerCalls);
        return 1;
    }
    std::printf(
        "RESULT scripted default tool turn (%d calls): median %.1f us per turn, %.1f us per tool call\n",
        tools, median(def), median(def) / tools);
    std::printf(
        "RESULT scripted replies tool turn (%d calls): median %.1f us per turn, %.1f us per tool call\n",
        tools, median(scripted), median(scripted) / tools);
    std::printf("RESULT scripted answer turn after the results: median %.1f us\n", median(answer));
    return 0;
}
