#include "core/model/Prompt.h"
#include "core/providers/LlmCall.h"

#include <QTest>

// The scripted provider's `echo` option (promptfoo's echo provider, used by imported configs that
// run offline): the reply is the last user message, exactly, whatever else is set.
class TestScriptedEcho final : public QObject
{
    Q_OBJECT

private slots:
    void echoesTheLastUserMessage_data();
    void echoesTheLastUserMessage();
    void promptAgentEchoesItsRenderedTemplate();
};

namespace {

LlmResult run(const LlmRequest &r, QString *streamed)
{
    QString err;
    LlmCall *call = createLlmCall(r, nullptr, nullptr, &err);
    if (!call)
        qFatal("no scripted call: %s", qPrintable(err));
    LlmResult result;
    bool done = false;
    QObject::connect(call, &LlmCall::chunk, call, [&](const QString &c, int) { *streamed += c; });
    QObject::connect(call, &LlmCall::finished, call, [&](const LlmResult &res) {
        result = res;
        done = true;
    });
    call->start();
    if (!QTest::qWaitFor([&] { return done; }, 10000))
        qFatal("scripted call did not finish");
    delete call;
    return result;
}

LlmRequest request(const QJsonObject &providerOptions, const QList<ChatMessage> &messages)
{
    LlmRequest r;
    r.provider.id = QStringLiteral("pf-echo");
    r.provider.kind = QStringLiteral("scripted");
    r.provider.raw = providerOptions;
    r.model.provider = r.provider.id;
    r.model.name = QStringLiteral("echo");
    r.messages = messages;
    FieldSpec out;
    out.name = QStringLiteral("output");
    r.signature.outputs.append(out);
    return r;
}

} // namespace

void TestScriptedEcho::echoesTheLastUserMessage_data()
{
    QTest::addColumn<QJsonObject>("options");
    QTest::addColumn<QString>("expected");
    const QJsonObject fast { { QStringLiteral("ttft_ms"), 0 }, { QStringLiteral("tokens_per_second"), 0 } };
    QJsonObject echo = fast;
    echo.insert(QStringLiteral("echo"), true);
    QJsonObject echoOverReplies = echo;
    echoOverReplies.insert(QStringLiteral("replies"), QJsonArray { QStringLiteral("scripted") });
    QJsonObject replies = fast;
    replies.insert(QStringLiteral("replies"), QJsonArray { QStringLiteral("scripted") });
    QTest::newRow("echo") << echo << QStringLiteral("  second\n  question, spaces kept ");
    QTest::newRow("echo wins over replies")
        << echoOverReplies << QStringLiteral("  second\n  question, spaces kept ");
    QTest::newRow("without echo: replies as before") << replies << QStringLiteral("scripted");
}

void TestScriptedEcho::echoesTheLastUserMessage()
{
    QFETCH(QJsonObject, options);
    QFETCH(QString, expected);
    const LlmRequest r = request(options,
        { ChatMessage { QStringLiteral("system"), QStringLiteral("Be brief.") },
            ChatMessage { QStringLiteral("user"), QStringLiteral("first") },
            ChatMessage { QStringLiteral("assistant"), QStringLiteral("ok") },
            ChatMessage { QStringLiteral("user"), QStringLiteral("  second\n  question, spaces kept ") } });
    QString streamed;
    const LlmResult result = run(r, &streamed);
    QVERIFY2(result.ok, qPrintable(result.error));
    QCOMPARE(result.text, expected);
    QCOMPARE(streamed, expected);
}

// A prompt agent sends its template rendered with the inputs as the only user message, so an
// echo provider answers with exactly that text (what promptfoo's echo does).
void TestScriptedEcho::promptAgentEchoesItsRenderedTemplate()
{
    AgentSpec agent;
    agent.promptTemplate = QStringLiteral("Greet {{ who.name }} in {{lang}}.");
    const QList<ChatMessage> messages = buildPrompt(agent,
        QJsonObject {
            { QStringLiteral("who"), QJsonObject { { QStringLiteral("name"), QStringLiteral("Ann") } } },
            { QStringLiteral("lang"), QStringLiteral("French") } });
    const QJsonObject options { { QStringLiteral("echo"), true }, { QStringLiteral("ttft_ms"), 0 },
        { QStringLiteral("tokens_per_second"), 0 } };
    QString streamed;
    const LlmResult result = run(request(options, messages), &streamed);
    QVERIFY2(result.ok, qPrintable(result.error));
    QCOMPARE(result.text, QStringLiteral("Greet Ann in French."));
}

QTEST_GUILESS_MAIN(TestScriptedEcho)
#include "tst_scripted_echo.moc"
