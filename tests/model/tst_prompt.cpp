#include "core/common/Util.h"
#include "core/model/Prompt.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

// What the model is told and how its reply becomes output fields. Replies come from real
// models, so the parser is exercised with the shapes they actually produce: fences, prose
// around the object, numbers as 3.0, wrong types. (No \" inside raw strings here: moc 6.4
// misreads them and drops the test class.)
namespace {

FieldSpec field(const char *json)
{
    QStringList problems;
    const auto f
        = FieldSpec::fromJson(QJsonDocument::fromJson(json).object(), QStringLiteral("f"), &problems);
    if (!f)
        qFatal("bad field %s: %s", json, qPrintable(problems.join(QLatin1Char('\n'))));
    return *f;
}

Signature rawSignature()
{
    Signature s;
    s.inputs = { field(R"({"name":"topic","type":"str"})") };
    s.outputs = { field(R"({"name":"text","type":"str","max_length":40})") };
    return s;
}

Signature structuredSignature()
{
    Signature s;
    s.outputs = { field(R"({"name":"summary","type":"str"})"),
        field(R"({"name":"confidence","type":"float","min":0,"max":1})"),
        field(R"({"name":"count","type":"int","min":0,"max":100})"),
        field(R"({"name":"tags","type":"list[str]","required":false})"),
        field(R"({"name":"mood","type":"enum","choices":["calm","tense"],"default":"calm"})") };
    return s;
}

Signature singleEnumSignature()
{
    Signature s;
    s.outputs = { field(R"({"name":"verdict","type":"enum","choices":["approve","reject"]})") };
    return s;
}

Signature singleIntSignature()
{
    Signature s;
    s.outputs = { field(R"({"name":"score","type":"int","min":0,"max":10})") };
    return s;
}

} // namespace

class TestPrompt final : public QObject
{
    Q_OBJECT

private slots:
    // `expected` is the compact JSON of the parsed outputs, or empty when parsing must fail
    // with a message containing `error`.
    void parseReply_data()
    {
        QTest::addColumn<QString>("signature");
        QTest::addColumn<QString>("reply");
        QTest::addColumn<QString>("expected");
        QTest::addColumn<QString>("error");

        const QString raw = QStringLiteral("raw"), st = QStringLiteral("structured"),
                      one = QStringLiteral("single int");
        const QString good = QStringLiteral(R"({"confidence":0.5,"count":3,"mood":"calm","summary":"ok"})");

        QTest::newRow("raw text") << raw << QStringLiteral("Hello world")
                                  << QStringLiteral(R"({"text":"Hello world"})") << QString();
        QTest::newRow("raw text trimmed") << raw << QStringLiteral("\n  Hello\nworld \n")
                                          << QStringLiteral(R"({"text":"Hello\nworld"})") << QString();
        QTest::newRow("raw text that looks like JSON")
            << raw << QStringLiteral(R"({"a": 1})") << QStringLiteral("{\"text\":\"{\\\"a\\\": 1}\"}")
            << QString();
        QTest::newRow("raw text wrapped in its own key")
            << raw << QStringLiteral(R"({"text": "Hi"})") << QStringLiteral(R"({"text":"Hi"})") << QString();
        QTest::newRow("raw text too long") << raw << QString(41, QLatin1Char('x')) << QString()
                                           << QStringLiteral("output 'text': longer than 40 characters");

        QTest::newRow("json") << st << QStringLiteral(R"({"summary":"ok","confidence":0.5,"count":3})")
                              << good << QString();
        QTest::newRow("json fenced")
            << st << QStringLiteral("```json\n{\"summary\":\"ok\",\"confidence\":0.5,\"count\":3}\n```")
            << good << QString();
        QTest::newRow("json fenced without language")
            << st << QStringLiteral("```\n{\"summary\":\"ok\",\"confidence\":0.5,\"count\":3}\n```") << good
            << QString();
        QTest::newRow("json fenced with prose")
            << st
            << QStringLiteral(
                   "Here you "
                   "go:\n```json\n{\"summary\":\"ok\",\"confidence\":0.5,\"count\":3}\n```\nAnything else?")
            << good << QString();
        QTest::newRow("json with prose around")
            << st
            << QStringLiteral(
                   R"(Sure! Here it is: {"summary":"ok","confidence":0.5,"count":3} Hope this helps.)")
            << good << QString();
        QTest::newRow("json after braces in prose")
            << st << QStringLiteral(R"(Use {braces} like this: {"summary":"ok","confidence":0.5,"count":3})")
            << good << QString();
        QTest::newRow("braces inside strings")
            << st << QStringLiteral(R"(x {"summary":"a } { b","confidence":0.5,"count":3} y)")
            << QStringLiteral(R"({"confidence":0.5,"count":3,"mood":"calm","summary":"a } { b"})")
            << QString();
        QTest::newRow("int given 3.0")
            << st << QStringLiteral(R"({"summary":"ok","confidence":0.5,"count":3.0})") << good << QString();
        QTest::newRow("float given integer")
            << st << QStringLiteral(R"({"summary":"ok","confidence":1,"count":3})")
            << QStringLiteral(R"({"confidence":1,"count":3,"mood":"calm","summary":"ok"})") << QString();
        QTest::newRow("extra fields dropped")
            << st << QStringLiteral(R"({"summary":"ok","confidence":0.5,"count":3,"reasoning":"…","x":[1]})")
            << good << QString();
        QTest::newRow("optional given")
            << st
            << QStringLiteral(R"({"summary":"ok","confidence":0.5,"count":3,"tags":["a"],"mood":"tense"})")
            << QStringLiteral(R"({"confidence":0.5,"count":3,"mood":"tense","summary":"ok","tags":["a"]})")
            << QString();
        QTest::newRow("optional null dropped")
            << st << QStringLiteral(R"({"summary":"ok","confidence":0.5,"count":3,"tags":null})") << good
            << QString();

        QTest::newRow("wrong type") << st
                                    << QStringLiteral(R"({"summary":"ok","confidence":"high","count":3})")
                                    << QString()
                                    << QStringLiteral(
                                           R"(output 'confidence': expected a number, got "high")");
        QTest::newRow("int with fraction")
            << st << QStringLiteral(R"({"summary":"ok","confidence":0.5,"count":3.5})") << QString()
            << QStringLiteral("output 'count': expected an integer, got 3.5");
        QTest::newRow("missing field") << st << QStringLiteral(R"({"summary":"ok","confidence":0.5})")
                                       << QString() << QStringLiteral("output 'count': missing");
        QTest::newRow("required null")
            << st << QStringLiteral(R"({"summary":null,"confidence":0.5,"count":1})") << QString()
            << QStringLiteral("output 'summary': missing");
        QTest::newRow("out of range")
            << st << QStringLiteral(R"({"summary":"ok","confidence":1.5,"count":3})") << QString()
            << QStringLiteral("output 'confidence': must be ≤ 1 (got 1.5)");
        QTest::newRow("not a choice")
            << st << QStringLiteral(R"({"summary":"ok","confidence":0.5,"count":3,"mood":"angry"})")
            << QString() << QStringLiteral("output 'mood': must be one of calm, tense");
        QTest::newRow("bad list item")
            << st << QStringLiteral(R"({"summary":"ok","confidence":0.5,"count":3,"tags":["a",2]})")
            << QString() << QStringLiteral("output 'tags': item 1: expected a string, got 2");
        QTest::newRow("every problem named")
            << st << QStringLiteral(R"({"summary":1,"confidence":"high"})") << QString()
            << QStringLiteral(
                   R"(output 'summary': expected a string, got 1; output 'confidence': expected a number, got "high"; output 'count': missing)");
        QTest::newRow("not json") << st << QStringLiteral("I cannot answer that.") << QString()
                                  << QStringLiteral("reply is not a JSON object: I cannot answer that.");
        QTest::newRow("truncated json") << st << QStringLiteral(R"({"summary":"ok","confidence":0.5)")
                                        << QString() << QStringLiteral("reply is not a JSON object");
        QTest::newRow("json array") << st << QStringLiteral("[1, 2]") << QString()
                                    << QStringLiteral("reply is not a JSON object: got [1,2]");
        QTest::newRow("empty reply") << st << QString() << QString()
                                     << QStringLiteral("reply is not a JSON object: the reply is empty");

        const QString en = QStringLiteral("single enum");
        QTest::newRow("single enum as object") << en << QStringLiteral(R"({"verdict":"reject"})")
                                               << QStringLiteral(R"({"verdict":"reject"})") << QString();
        QTest::newRow("single enum bare word") << en << QStringLiteral(" **approve.**\n")
                                               << QStringLiteral(R"({"verdict":"approve"})") << QString();
        QTest::newRow("single enum bare non-choice") << en << QStringLiteral("maybe") << QString()
                                                     << QStringLiteral("reply is not a JSON object: maybe");
        QTest::newRow("single output as object")
            << one << QStringLiteral(R"({"score": 7})") << QStringLiteral(R"({"score":7})") << QString();
        QTest::newRow("single output bare value")
            << one << QStringLiteral("7") << QStringLiteral(R"({"score":7})") << QString();
        QTest::newRow("single output bare out of range")
            << one << QStringLiteral("11") << QString() << QStringLiteral("output 'score': must be ≤ 10");
    }

    void parseReply()
    {
        QFETCH(QString, signature);
        QFETCH(QString, reply);
        QFETCH(QString, expected);
        QFETCH(QString, error);
        const Signature sig = signature == u"raw" ? rawSignature()
            : signature == u"structured"          ? structuredSignature()
            : signature == u"single enum"         ? singleEnumSignature()
                                                  : singleIntSignature();
        const Result<QJsonObject> out = ::parseReply(sig, reply);
        if (expected.isEmpty()) {
            QVERIFY2(!out.ok(), qPrintable(out.ok() ? as::compactJson(out.value()) : QString()));
            QVERIFY2(out.error().startsWith(error), qPrintable(QStringLiteral("got: ") + out.error()));
        } else {
            QVERIFY2(out.ok(), qPrintable(out.error()));
            QCOMPARE(as::compactJson(out.value()), expected);
        }
    }

    void intOutputIsWrittenAsInteger()
    {
        const Result<QJsonObject> out = ::parseReply(
            structuredSignature(), QStringLiteral(R"({"summary":"ok","confidence":0.5,"count":3.0})"));
        QVERIFY(out.ok());
        QCOMPARE(QJsonDocument(out.value()).toJson(QJsonDocument::Compact).contains("\"count\":3,"), true);
    }

    void structuredPrompt()
    {
        AgentSpec agent;
        agent.id = QStringLiteral("a");
        agent.instructions = QStringLiteral("Summarize the text.");
        agent.signature = structuredSignature();
        agent.signature.inputs = { field(R"({"name":"text","type":"str","multiline":true})"),
            field(R"({"name":"max_words","type":"int"})"), field(R"({"name":"keywords","type":"list[str]"})"),
            field(R"({"name":"title","type":"str"})") };
        const QList<ChatMessage> messages = buildPrompt(agent,
            QJsonObject {
                { QStringLiteral("text"), QStringLiteral("Line one.\nLine two.") },
                { QStringLiteral("max_words"), 30 },
                { QStringLiteral("keywords"), QJsonArray { QStringLiteral("a"), QStringLiteral("b") } },
                { QStringLiteral("title"), QStringLiteral("Report") },
            });
        QCOMPARE(messages.size(), 2);
        QCOMPARE(messages.at(0).role, QStringLiteral("system"));
        QCOMPARE(messages.at(1).role, QStringLiteral("user"));
        const QString &system = messages.at(0).content;
        QVERIFY(system.startsWith(QStringLiteral("Summarize the text.")));
        QVERIFY(system.contains(QStringLiteral("Reply with one JSON object with exactly these keys")));
        QVERIFY2(system.contains(QStringLiteral(R"(- "confidence" (number from 0 to 1, required))")),
            qPrintable(system));
        QVERIFY2(system.contains(QStringLiteral(R"(- "count" (integer from 0 to 100, required))")),
            qPrintable(system));
        QVERIFY2(
            system.contains(QStringLiteral(R"(- "tags" (list of strings, optional))")), qPrintable(system));
        QVERIFY2(system.contains(QStringLiteral(R"(- "mood" (one of "calm", "tense", optional))")),
            qPrintable(system));
        const QString &user = messages.at(1).content;
        QVERIFY2(user.contains(QStringLiteral("text:\nLine one.\nLine two.")), qPrintable(user));
        QVERIFY2(user.contains(QStringLiteral("max_words: 30")), qPrintable(user));
        QVERIFY2(user.contains(QStringLiteral(R"(keywords: ["a","b"])")), qPrintable(user));
        QVERIFY2(user.contains(QStringLiteral("title: Report")), qPrintable(user));
        // Inputs appear in signature order.
        QVERIFY(user.indexOf(QStringLiteral("text:")) < user.indexOf(QStringLiteral("title:")));
    }

    void rawPrompt()
    {
        AgentSpec agent;
        agent.instructions = QStringLiteral("Write a haiku.");
        agent.signature = rawSignature();
        const QList<ChatMessage> messages
            = buildPrompt(agent, QJsonObject { { QStringLiteral("topic"), QStringLiteral("rain") } });
        QVERIFY(!messages.at(0).content.contains(QStringLiteral("JSON object with exactly")));
        QVERIFY(messages.at(0).content.contains(QStringLiteral("plain text")));
        QVERIFY(messages.at(0).content.contains(QStringLiteral("At most 40 characters")));
        QCOMPARE(messages.at(1).content, QStringLiteral("topic: rain"));
    }

    void promptWithoutInputs()
    {
        AgentSpec agent;
        agent.signature = rawSignature();
        QCOMPARE(buildPrompt(agent, {}).at(1).content, QStringLiteral("(no inputs)"));
    }
};

QTEST_GUILESS_MAIN(TestPrompt)
#include "tst_prompt.moc"
