#include "core/model/Prompt.h"
#include "core/model/PromptTemplate.h"
#include "core/model/Workspace.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

// Prompt templates (`{{ name }}`, `{{ a.b }}`) and prompt agents, the agent `prompt` key
// (docs/workspace-format.md): what is a valid template, how it renders, how a workspace reads,
// validates and writes the key back, and what a prompt agent sends.
class TestPromptTemplate final : public QObject
{
    Q_OBJECT

private slots:
    void placeholders_data();
    void placeholders();
    void render_data();
    void render();
    void workspaceReadsAndWritesPrompt();
    void workspaceValidatesPrompt_data();
    void workspaceValidatesPrompt();
    void promptAgentMessages();
};

namespace {

QByteArray workspaceWith(const QString &prompt)
{
    QJsonObject agent { { QStringLiteral("id"), QStringLiteral("greeter") },
        { QStringLiteral("model"),
            QJsonObject { { QStringLiteral("provider"), QStringLiteral("offline") },
                { QStringLiteral("name"), QStringLiteral("scripted") } } },
        { QStringLiteral("instructions"), QStringLiteral("Be kind.") },
        { QStringLiteral("signature"),
            QJsonObject { { QStringLiteral("inputs"),
                              QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("who") },
                                               { QStringLiteral("type"), QStringLiteral("json") } },
                                  QJsonObject { { QStringLiteral("name"), QStringLiteral("lang") },
                                      { QStringLiteral("type"), QStringLiteral("str") } } } },
                { QStringLiteral("outputs"),
                    QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("output") },
                        { QStringLiteral("type"), QStringLiteral("str") } } } } } } };
    if (!prompt.isNull())
        agent.insert(QStringLiteral("prompt"), prompt);
    const QJsonObject root { { QStringLiteral("format"), QStringLiteral("agentstudio/1") },
        { QStringLiteral("providers"),
            QJsonObject { { QStringLiteral("offline"),
                QJsonObject { { QStringLiteral("kind"), QStringLiteral("scripted") } } } } },
        { QStringLiteral("agents"), QJsonArray { agent } } };
    return QJsonDocument(root).toJson();
}

} // namespace

void TestPromptTemplate::placeholders_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("paths");
    QTest::addColumn<QString>("error");
    auto row = [](const char *name, const QString &text, const QStringList &paths, const QString &error) {
        QTest::newRow(name) << text << paths << error;
    };
    row("none", QStringLiteral("plain { text }"), {}, {});
    row("name and dotted path", QStringLiteral("{{a}} and {{  b.c.d  }} and {{a}}"),
        { QStringLiteral("a"), QStringLiteral("b.c.d"), QStringLiteral("a") }, {});
    row("index", QStringLiteral("{{ items.0 }}"), { QStringLiteral("items.0") }, {});
    row("tag", QStringLiteral("x {% for i in xs %}{{i}}{% endfor %}"), {},
        QStringLiteral("'{% for i in xs %}': Nunjucks tags are not supported"));
    row("comment", QStringLiteral("{# hidden #}"), {},
        QStringLiteral("'{# hidden #}': Nunjucks comments are not supported"));
    row("filter", QStringLiteral("{{ x | dump }}"), {},
        QStringLiteral("'{{ x | dump }}': filters are not supported"));
    row("expression", QStringLiteral("{{ x + 1 }}"), {},
        QStringLiteral("'{{ x + 1 }}': only {{ name }} and {{ name.key }} placeholders are supported"));
    row("unclosed", QStringLiteral("ab {{ x"), {}, QStringLiteral("'{{' at offset 3 is never closed"));
}

void TestPromptTemplate::placeholders()
{
    QFETCH(QString, text);
    QFETCH(QStringList, paths);
    QFETCH(QString, error);
    QString why;
    QStringList found;
    for (const prompttemplate::Placeholder &p : prompttemplate::placeholders(text, &why))
        found.append(p.path);
    QCOMPARE(why, error);
    if (error.isEmpty())
        QCOMPARE(found, paths);
}

void TestPromptTemplate::render_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("string, spaces inside braces")
        << QStringLiteral("Hi {{ name }}!") << QStringLiteral("Hi Ann!");
    QTest::newRow("dotted path") << QStringLiteral("{{person.city}}") << QStringLiteral("Oslo");
    QTest::newRow("list index") << QStringLiteral("{{ tags.1 }}") << QStringLiteral("b");
    QTest::newRow("number and bool") << QStringLiteral("{{n}} {{ok}}") << QStringLiteral("3 true");
    QTest::newRow("object as JSON") << QStringLiteral("{{person}}") << QStringLiteral(R"({"city":"Oslo"})");
    QTest::newRow("missing and null are empty")
        << QStringLiteral("[{{nope}}][{{none}}][{{person.x.y}}]") << QStringLiteral("[][][]");
    QTest::newRow("no placeholder") << QStringLiteral("{ not one }") << QStringLiteral("{ not one }");
    QTest::newRow("invalid template unchanged")
        << QStringLiteral("{{ name | upper }}") << QStringLiteral("{{ name | upper }}");
}

void TestPromptTemplate::render()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    const QJsonObject values { { QStringLiteral("name"), QStringLiteral("Ann") },
        { QStringLiteral("person"), QJsonObject { { QStringLiteral("city"), QStringLiteral("Oslo") } } },
        { QStringLiteral("tags"), QJsonArray { QStringLiteral("a"), QStringLiteral("b") } },
        { QStringLiteral("n"), 3 }, { QStringLiteral("ok"), true },
        { QStringLiteral("none"), QJsonValue::Null } };
    QCOMPARE(prompttemplate::render(text, values), expected);
}

// The key is read into promptTemplate, written back by toJson and the writer (after the
// instructions), and absent when not set.
void TestPromptTemplate::workspaceReadsAndWritesPrompt()
{
    const QString prompt = QStringLiteral("Greet {{ who.name }} in {{lang}}.");
    const Result<Workspace> ws = Workspace::fromJson(workspaceWith(prompt));
    QVERIFY2(ws.ok(), qPrintable(ws.error()));
    QCOMPARE(ws->agents.at(0).promptTemplate, prompt);
    QCOMPARE(ws->toJson().value(u"agents").toArray().at(0).toObject().value(u"prompt").toString(), prompt);
    const QString text = QString::fromUtf8(ws->toJsonText());
    QVERIFY2(text.indexOf(QLatin1String("\"instructions\"")) < text.indexOf(QLatin1String("\"prompt\"")),
        qPrintable(text));
    const Result<Workspace> again = Workspace::fromJson(ws->toJsonText());
    QVERIFY2(again.ok(), qPrintable(again.error()));
    QCOMPARE(again->agents.at(0).promptTemplate, prompt);

    Workspace edited = *ws;
    edited.agents[0].promptTemplate = QStringLiteral("Bonjour {{lang}}");
    QCOMPARE(edited.toJson().value(u"agents").toArray().at(0).toObject().value(u"prompt").toString(),
        QStringLiteral("Bonjour {{lang}}"));

    const Result<Workspace> plain = Workspace::fromJson(workspaceWith(QString()));
    QVERIFY2(plain.ok(), qPrintable(plain.error()));
    QVERIFY(plain->agents.at(0).promptTemplate.isEmpty());
    QVERIFY(!plain->toJson().value(u"agents").toArray().at(0).toObject().contains(u"prompt"));
}

void TestPromptTemplate::workspaceValidatesPrompt_data()
{
    QTest::addColumn<QJsonValue>("prompt");
    QTest::addColumn<QString>("expected");
    QTest::newRow("placeholder names no input")
        << QJsonValue(QStringLiteral("{{ lang }} {{ topic.x }}"))
        << QStringLiteral("agents[0].prompt: '{{ topic }}' names no input of the agent (inputs: who, lang)");
    QTest::newRow("filter") << QJsonValue(QStringLiteral("{{ lang | upper }}"))
                            << QStringLiteral(
                                   "agents[0].prompt: '{{ lang | upper }}': filters are not supported");
    QTest::newRow("tag") << QJsonValue(QStringLiteral("{% if lang %}x{% endif %}"))
                         << QStringLiteral(
                                "agents[0].prompt: '{% if lang %}': Nunjucks tags are not supported");
    QTest::newRow("not a string") << QJsonValue(3)
                                  << QStringLiteral("agents[0].prompt: expected a string, got 3");
}

void TestPromptTemplate::workspaceValidatesPrompt()
{
    QFETCH(QJsonValue, prompt);
    QFETCH(QString, expected);
    QJsonObject root = QJsonDocument::fromJson(workspaceWith(QString())).object();
    QJsonArray agents = root.value(u"agents").toArray();
    QJsonObject agent = agents.at(0).toObject();
    agent.insert(QStringLiteral("prompt"), prompt);
    agents[0] = agent;
    root.insert(QStringLiteral("agents"), agents);
    QStringList problems;
    const Result<Workspace> ws = Workspace::fromJson(QJsonDocument(root).toJson(), &problems);
    QVERIFY(!ws.ok());
    QCOMPARE(problems, QStringList { expected });
}

// A prompt agent: the instructions alone as the system message (none when empty), the rendered
// template as the only user message; no output description is added.
void TestPromptTemplate::promptAgentMessages()
{
    const Result<Workspace> ws
        = Workspace::fromJson(workspaceWith(QStringLiteral("Greet {{ who.name }} in {{lang}}.")));
    QVERIFY2(ws.ok(), qPrintable(ws.error()));
    AgentSpec agent = ws->agents.at(0);
    const QJsonObject inputs { { QStringLiteral("who"),
                                   QJsonObject { { QStringLiteral("name"), QStringLiteral("Ann") } } },
        { QStringLiteral("lang"), QStringLiteral("French") } };
    QList<ChatMessage> messages = buildPrompt(agent, inputs);
    QCOMPARE(messages.size(), 2);
    QCOMPARE(messages.at(0).role, QStringLiteral("system"));
    QCOMPARE(messages.at(0).content, QStringLiteral("Be kind."));
    QCOMPARE(messages.at(1).role, QStringLiteral("user"));
    QCOMPARE(messages.at(1).content, QStringLiteral("Greet Ann in French."));
    agent.instructions.clear();
    messages = buildPrompt(agent, inputs);
    QCOMPARE(messages.size(), 1);
    QCOMPARE(messages.at(0).content, QStringLiteral("Greet Ann in French."));
}

QTEST_GUILESS_MAIN(TestPromptTemplate)
#include "tst_prompttemplate.moc"
