#include "tests/support/ScriptedHttpServer.h"
#include "tests/support/TestSupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

// Runs `agentstudio-run` as a user or a CI script would: a separate process, its stdout,
// stderr and exit code (docs/cli.md: 0 completed, 1 failed or cancelled, 2 bad arguments or
// invalid workspace, 3 provider or server unreachable). Everything runs offline on the example
// workspace's scripted provider, with a temporary database.
class TestRunnerE2E : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    void validateExample();
    void validateInvalidWorkspaceListsEveryProblem();
    void runJson();
    void runJsonWithoutHistory();
    void runToolOptionsAndContinue();
    void runToolOptionsRefused_data();
    void runToolOptionsRefused();
    void runJsonl();
    void runText();
    void historyFindsRunByWordOfItsOutput();
    void historyText();
    void showJsonAndText();
    void showOtlp();
    void historyAndShowScopedByWorkspace();
    void workflowFullRun();
    void nodeInContextWithUpstream();
    void badArguments_data();
    void badArguments();
    void invalidWorkspaceForRun();
    void failingAgentExitsOne();
    void unreachableProviderExitsThree();
    void remoteServer();
    void untrustedWorkspaceExitsTwoBeforeAnyRequest();
    void trustedWorkspaceSendsTheKey();
    void anthropicDefaultKeyStaysHome();

private:
    testsupport::ProcessResult runner(const QStringList &args, int timeoutMs = 60000);
    // The same, with this thread's event loop running meanwhile (an in-test server answers).
    testsupport::ProcessResult runnerServed(const QStringList &args, const QStringList &env);
    // A workspace with one agent "echo" (str in, str out) on provider "cloud" = `provider`.
    QString writeCloudWorkspace(const QString &name, const QJsonObject &provider);
    // --input NAME=VALUE for every required input of an agent, each value fitting its type.
    QStringList requiredInputs(const QJsonObject &agent, const QString &word) const;
    QString writeWorkspace(const QString &name, const QJsonObject &workspace);
    QJsonObject runToJson(const QStringList &extra, int expectedExit = 0);

    QTemporaryDir m_dir;
    QString m_example;
    QString m_db;
    QJsonObject m_workspace;
    QJsonObject m_agent; // the agent the runs use
    QString m_agentId;
};

testsupport::ProcessResult TestRunnerE2E::runner(const QStringList &args, int timeoutMs)
{
    return testsupport::runProcess(testsupport::binaryPath(u"run/agentstudio-run"_s), args, timeoutMs,
        { u"HOME="_s + m_dir.path(), u"XDG_DATA_HOME="_s + m_dir.filePath(u"xdg"_s) });
}

testsupport::ProcessResult TestRunnerE2E::runnerServed(const QStringList &args, const QStringList &env)
{
    return testsupport::runProcess(testsupport::binaryPath(u"run/agentstudio-run"_s), args, 60000,
        QStringList { u"HOME="_s + m_dir.path(), u"XDG_DATA_HOME="_s + m_dir.filePath(u"xdg"_s) } + env,
        testsupport::Wait::EventLoop);
}

QString TestRunnerE2E::writeCloudWorkspace(const QString &name, const QJsonObject &provider)
{
    const QJsonObject str { { u"name"_s, u"in"_s }, { u"type"_s, u"str"_s } };
    const QJsonObject out { { u"name"_s, u"out"_s }, { u"type"_s, u"str"_s } };
    const QJsonObject agent { { u"id"_s, u"echo"_s }, { u"name"_s, u"Echo"_s }, { u"version"_s, u"1"_s },
        { u"model"_s, QJsonObject { { u"provider"_s, u"cloud"_s }, { u"name"_s, u"m"_s } } },
        { u"instructions"_s, u"Echo."_s },
        { u"signature"_s,
            QJsonObject { { u"inputs"_s, QJsonArray { str } }, { u"outputs"_s, QJsonArray { out } } } } };
    const QJsonObject ws { { u"format"_s, u"agentstudio/1"_s },
        { u"providers"_s, QJsonObject { { u"cloud"_s, provider } } }, { u"agents"_s, QJsonArray { agent } } };
    return writeWorkspace(name, ws);
}

QStringList TestRunnerE2E::requiredInputs(const QJsonObject &agent, const QString &word) const
{
    QStringList args;
    const QJsonArray inputs = agent.value(u"signature"_s).toObject().value(u"inputs"_s).toArray();
    for (const QJsonValue &v : inputs) {
        const QJsonObject f = v.toObject();
        if (f.contains(u"default"_s) || f.value(u"required"_s) == QJsonValue(false))
            continue;
        const QString type = f.value(u"type"_s).toString();
        QString value;
        if (type == u"str"_s)
            value = u"notes on the %1 of lighthouse keepers"_s.arg(word);
        else if (type == u"int"_s)
            value = QString::number(f.contains(u"min"_s) ? f.value(u"min"_s).toInt() : 3);
        else if (type == u"float"_s)
            value = QString::number(f.contains(u"min"_s) ? f.value(u"min"_s).toDouble() : 0.5);
        else if (type == u"bool"_s)
            value = u"false"_s;
        else if (type == u"enum"_s)
            value = f.value(u"choices"_s).toArray().first().toString();
        else if (type == u"list[str]"_s)
            value = u"alpha,beta"_s;
        else if (type == u"list[int]"_s)
            value = u"1,2"_s;
        else if (type == u"list[float]"_s)
            value = u"0.5,1.5"_s;
        else
            value = u"{\"k\": \"v\"}"_s;
        args << u"--input"_s << f.value(u"name"_s).toString() + u'=' + value;
    }
    return args;
}

QString TestRunnerE2E::writeWorkspace(const QString &name, const QJsonObject &workspace)
{
    return testsupport::writeFile(m_dir.path(), name, QJsonDocument(workspace).toJson());
}

void TestRunnerE2E::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString binary = testsupport::binaryPath(u"run/agentstudio-run"_s);
    QVERIFY2(QFile::exists(binary), qPrintable(binary));
    m_example = testsupport::sourcePath(u"resources/examples/example.agents.json"_s);
    QFile f(m_example);
    QVERIFY(f.open(QIODevice::ReadOnly));
    m_workspace = QJsonDocument::fromJson(f.readAll()).object();
    // The first agent on the scripted provider (read from the file, not assumed).
    const QJsonObject providers = m_workspace.value(u"providers"_s).toObject();
    for (const QJsonValue &v : m_workspace.value(u"agents"_s).toArray()) {
        const QJsonObject a = v.toObject();
        const QString provider = a.value(u"model"_s).toObject().value(u"provider"_s).toString();
        if (providers.value(provider).toObject().value(u"kind"_s).toString() == u"scripted"_s) {
            m_agent = a;
            break;
        }
    }
    QVERIFY(!m_agent.isEmpty());
    m_agentId = m_agent.value(u"id"_s).toString();
    m_db = m_dir.filePath(u"history/executions.db"_s);
}

void TestRunnerE2E::validateExample()
{
    const auto r = runner({ u"validate"_s, u"--workspace"_s, m_example });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(QString::fromUtf8(r.out).trimmed(),
        u"ok: %1 agents, %2 orchestrations"_s.arg(m_workspace.value(u"agents"_s).toArray().size())
            .arg(m_workspace.value(u"orchestrations"_s).toArray().size()));
}

void TestRunnerE2E::validateInvalidWorkspaceListsEveryProblem()
{
    const auto r = runner({ u"validate"_s, u"--workspace"_s,
        testsupport::sourcePath(u"resources/examples/invalid.agents.json"_s) });
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.out.isEmpty());
    const QStringList lines = QString::fromUtf8(r.err).split(u'\n', Qt::SkipEmptyParts);
    QVERIFY2(lines.size() >= 3, r.err.constData());
    // Every problem line starts with its JSON path: agents[1].signature.inputs[0].type: …
    static const QRegularExpression path(u"^[a-z_]+(\\[\\d+\\])?(\\.[A-Za-z_0-9]+(\\[\\d+\\])?)*: "_s);
    for (qsizetype i = 0; i + 1 < lines.size(); ++i)
        QVERIFY2(path.match(lines.at(i)).hasMatch(), qPrintable(lines.at(i)));
    QVERIFY(lines.last().contains(u"invalid workspace"_s));
    QVERIFY(r.err.contains("agents["));
}

QJsonObject TestRunnerE2E::runToJson(const QStringList &extra, int expectedExit)
{
    const auto r
        = runner(QStringList { u"run"_s, u"--workspace"_s, m_example, u"--format"_s, u"json"_s } + extra);
    if (r.exitCode != expectedExit)
        qWarning() << "stderr:" << r.err;
    [&] { QCOMPARE(r.exitCode, expectedExit); }();
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(r.out, &error);
    [&] {
        QVERIFY2(
            doc.isObject(), qPrintable(error.errorString() + u": "_s + QString::fromUtf8(r.out.left(300))));
    }();
    return doc.object();
}

// --mock-tool and --max-cost are recorded in the execution; --continue --message runs the
// conversation's next turn (same conversation id, turn 2).
void TestRunnerE2E::runToolOptionsAndContinue()
{
    const QString mock = testsupport::writeFile(
        m_dir.path(), u"weather.json"_s, R"({"result": {"temp_c": 11}, "latency_ms": 5})");
    const QJsonObject first
        = runToJson(QStringList { u"--agent"_s, m_agentId, u"--db"_s, m_db, u"--mock-tool"_s,
                        u"weather="_s + mock, u"--max-cost"_s, u"0.25"_s }
            + requiredInputs(m_agent, u"petrels"_s));
    QVERIFY(!QTest::currentTestFailed());
    QCOMPARE(first.value(u"status"_s).toString(), u"completed"_s);
    QCOMPARE(first.value(u"tool_overrides"_s).toObject(),
        (QJsonObject { { u"weather"_s,
            QJsonObject {
                { u"result"_s, QJsonObject { { u"temp_c"_s, 11 } } }, { u"latency_ms"_s, 5 } } } }));
    QCOMPARE(first.value(u"budget"_s).toObject().value(u"max_cost_usd"_s).toDouble(), 0.25);

    const QString id = first.value(u"id"_s).toString();
    const QJsonObject next = runToJson({ u"--agent"_s, m_agentId, u"--db"_s, m_db, u"--continue"_s, id,
        u"--message"_s, u"And the gulls?"_s });
    QVERIFY(!QTest::currentTestFailed());
    QCOMPARE(next.value(u"status"_s).toString(), u"completed"_s);
    QCOMPARE(next.value(u"conversation_id"_s).toString(), id);
    QCOMPARE(next.value(u"turn"_s).toInt(), 2);
    QCOMPARE(next.value(u"input_data"_s).toObject().value(u"message"_s).toString(), u"And the gulls?"_s);
    // The replayed conversation is the next turn's first llm step's prompt.
    const QJsonArray steps = next.value(u"steps"_s).toArray();
    QVERIFY(!steps.isEmpty());
    const QJsonArray messages
        = steps.first().toObject().value(u"input_data"_s).toObject().value(u"messages"_s).toArray();
    QVERIFY(messages.size() >= 4);
    QCOMPARE(messages.at(messages.size() - 2).toObject().value(u"role"_s).toString(), u"assistant"_s);
    QCOMPARE(messages.last().toObject().value(u"content"_s).toString(), u"And the gulls?"_s);
}

void TestRunnerE2E::runToolOptionsRefused_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentioned");
    QTest::newRow("mock without file")
        << QStringList { u"--mock-tool"_s, u"weather"_s } << u"NAME=FILE.json"_s;
    QTest::newRow("mock file missing")
        << QStringList { u"--mock-tool"_s, u"weather=/nonexistent/w.json"_s } << u"--mock-tool weather"_s;
    QTest::newRow("bad cost") << QStringList { u"--max-cost"_s, u"lots"_s } << u"--max-cost 'lots'"_s;
    QTest::newRow("message alone") << QStringList { u"--message"_s, u"hi"_s }
                                   << u"--message needs --continue"_s;
    QTest::newRow("continue alone") << QStringList { u"--continue"_s, u"x"_s }
                                    << u"--continue needs --message"_s;
    QTest::newRow("continue unknown")
        << QStringList { u"--continue"_s, u"00000000-0000-4000-8000-000000000000"_s, u"--message"_s, u"hi"_s }
        << u"conversation_of: no execution"_s;
}

void TestRunnerE2E::runToolOptionsRefused()
{
    QFETCH(QStringList, args);
    QFETCH(QString, mentioned);
    const QString badMock = testsupport::writeFile(m_dir.path(), u"bad.json"_s, R"({"reslt": 1})");
    const auto r = runner(
        QStringList { u"run"_s, u"--workspace"_s, m_example, u"--agent"_s, m_agentId, u"--db"_s, m_db }
        + requiredInputs(m_agent, u"terns"_s) + args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(QString::fromUtf8(r.err).contains(mentioned), r.err.constData());
    // A file whose object is no override says which field.
    const auto bad = runner(QStringList { u"run"_s, u"--workspace"_s, m_example, u"--agent"_s, m_agentId,
                                u"--no-history"_s, u"--mock-tool"_s, u"weather="_s + badMock }
        + requiredInputs(m_agent, u"terns"_s));
    QCOMPARE(bad.exitCode, 2);
    QVERIFY2(bad.err.contains("reslt: unknown field"), bad.err.constData());
}

void TestRunnerE2E::runJson()
{
    const QJsonObject e = runToJson(
        QStringList { u"--agent"_s, m_agentId, u"--db"_s, m_db } + requiredInputs(m_agent, u"cormorants"_s));
    QVERIFY(!QTest::currentTestFailed());
    QCOMPARE(e.value(u"status"_s).toString(), u"completed"_s);
    QCOMPARE(e.value(u"agent_id"_s).toString(), m_agentId);
    QCOMPARE(e.value(u"execution_type"_s).toString(), u"agent"_s);
    QCOMPARE(e.value(u"test_mode"_s).toString(), u"single_agent"_s);
    QCOMPARE(e.value(u"trigger_type"_s).toString(), u"cli"_s);
    QVERIFY(e.value(u"input_data"_s).isObject());
    // Every output field of the signature is there.
    const QJsonObject output = e.value(u"output_data"_s).toObject();
    for (const QJsonValue &v : m_agent.value(u"signature"_s).toObject().value(u"outputs"_s).toArray())
        QVERIFY2(output.contains(v.toObject().value(u"name"_s).toString()),
            QJsonDocument(output).toJson().constData());
    // The scripted provider reports no usage: counted locally and flagged.
    QCOMPARE(e.value(u"tokens_estimated"_s), QJsonValue(true));
    QVERIFY(e.value(u"input_tokens"_s).toInt() > 0);
    QVERIFY(e.value(u"output_tokens"_s).toInt() > 0);
    QVERIFY(e.contains(u"cost_usd"_s));
    QVERIFY(e.value(u"execution_time_ms"_s).toInt() > 0);
    QCOMPARE(e.value(u"trace_id"_s).toString().size(), 32);
    const QJsonArray steps = e.value(u"steps"_s).toArray();
    QVERIFY(!steps.isEmpty());
    bool sawLlm = false;
    for (const QJsonValue &v : steps) {
        const QJsonObject s = v.toObject();
        QCOMPARE(s.value(u"execution_id"_s).toString(), e.value(u"id"_s).toString());
        QCOMPARE(s.value(u"status"_s).toString(), u"completed"_s);
        if (s.value(u"kind"_s).toString() == u"llm"_s) {
            sawLlm = true;
            QVERIFY(s.value(u"output_tokens"_s).toInt() > 0);
            QCOMPARE(s.value(u"span_id"_s).toString().size(), 16);
        }
    }
    QVERIFY(sawLlm);
}

void TestRunnerE2E::runJsonWithoutHistory()
{
    const QJsonObject e = runToJson(
        QStringList { u"--agent"_s, m_agentId, u"--no-history"_s } + requiredInputs(m_agent, u"puffins"_s));
    QVERIFY(!QTest::currentTestFailed());
    QCOMPARE(e.value(u"status"_s).toString(), u"completed"_s);
    QVERIFY(!e.value(u"output_data"_s).toObject().isEmpty());
    QVERIFY(!e.value(u"steps"_s).toArray().isEmpty());
    QCOMPARE(e.value(u"tokens_estimated"_s), QJsonValue(true));
    // Nothing written: neither the given nor the default database exists.
    QVERIFY(!QFile::exists(m_dir.filePath(u"xdg/agentstudio/executions.db"_s)));
}

void TestRunnerE2E::runJsonl()
{
    const auto r = runner(QStringList { u"run"_s, u"--workspace"_s, m_example, u"--agent"_s, m_agentId,
                              u"--db"_s, m_db, u"--format"_s, u"jsonl"_s }
        + requiredInputs(m_agent, u"gannets"_s));
    QCOMPARE(r.exitCode, 0);
    const QList<QByteArray> lines = r.out.split('\n');
    QList<QJsonObject> events;
    for (const QByteArray &line : lines) {
        if (line.isEmpty())
            continue;
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
        QVERIFY2(doc.isObject(), line.constData());
        events.append(doc.object());
    }
    QVERIFY(events.size() >= 4);
    const QString id = events.first().value(u"execution_id"_s).toString();
    QVERIFY(!id.isEmpty());
    int chunks = 0;
    for (qsizetype i = 0; i < events.size(); ++i) {
        QCOMPARE(events.at(i).value(u"execution_id"_s).toString(), id);
        QCOMPARE(events.at(i).value(u"seq"_s).toInteger(), i + 1); // gap-free from 1
        if (events.at(i).value(u"type"_s).toString() == u"chunk"_s)
            ++chunks;
    }
    QVERIFY(chunks > 0);
    QCOMPARE(events.first().value(u"type"_s).toString(), u"status"_s);
    QCOMPARE(events.last().value(u"type"_s).toString(), u"complete"_s);
    QCOMPARE(events.last().value(u"status"_s).toString(), u"completed"_s);
    QVERIFY(events.last().value(u"output_data"_s).isObject());
}

void TestRunnerE2E::runText()
{
    const auto r = runner(
        QStringList { u"run"_s, u"--workspace"_s, m_example, u"--agent"_s, m_agentId, u"--db"_s, m_db }
        + requiredInputs(m_agent, u"kittiwakes"_s));
    QCOMPARE(r.exitCode, 0);
    const QStringList lines = QString::fromUtf8(r.out).split(u'\n', Qt::SkipEmptyParts);
    QVERIFY(lines.size() >= 2); // the streamed reply, then the summary
    const QString summary = lines.last();
    // "completed · 455 ms · tokens ~177 in / ~42 out · $0.000000 · execution <id>"
    static const QRegularExpression shape(
        u"^completed · \\d+ ms · tokens ~\\d+ in / ~\\d+ out · (\\$\\d+\\.\\d+|\\$\\S+|price unknown) · execution [0-9a-f-]{36}$"_s);
    QVERIFY2(shape.match(summary).hasMatch(), qPrintable(summary));
    QVERIFY(!lines.first().isEmpty());
}

void TestRunnerE2E::historyFindsRunByWordOfItsOutput()
{
    const QJsonObject e = runToJson(
        QStringList { u"--agent"_s, m_agentId, u"--db"_s, m_db } + requiredInputs(m_agent, u"shearwaters"_s));
    QVERIFY(!QTest::currentTestFailed());
    // A word of the output that the inputs do not contain.
    const QString input
        = QString::fromUtf8(QJsonDocument(e.value(u"input_data"_s).toObject()).toJson()).toLower();
    QString word;
    const QString output = QString::fromUtf8(QJsonDocument(e.value(u"output_data"_s).toObject()).toJson());
    // Whole words only: not the letters after a JSON escape ("\\nYes").
    static const QRegularExpression letters(u"(?<![\\\\A-Za-z])[A-Za-z]{4,}"_s);
    for (auto it = letters.globalMatch(output); it.hasNext();) {
        const QString w = it.next().captured();
        const QJsonObject o = e.value(u"output_data"_s).toObject();
        if (!input.contains(w.toLower()) && !o.contains(w)) { // not an input word, not a key
            word = w;
            break;
        }
    }
    QVERIFY2(!word.isEmpty(), qPrintable(output));

    const auto r = runner({ u"history"_s, u"--db"_s, m_db, u"--search"_s, word, u"--format"_s, u"json"_s });
    QCOMPARE(r.exitCode, 0);
    const QJsonArray items = QJsonDocument::fromJson(r.out).array();
    QStringList ids;
    for (const QJsonValue &v : items) {
        QVERIFY(!v.toObject().contains(u"steps"_s));
        ids.append(v.toObject().value(u"id"_s).toString());
    }
    QVERIFY2(
        ids.contains(e.value(u"id"_s).toString()), qPrintable(word + u": "_s + QString::fromUtf8(r.out)));

    // Filters narrow it down; a word found nowhere finds nothing.
    const auto none = runner(
        { u"history"_s, u"--db"_s, m_db, u"--search"_s, u"xylophonequartz"_s, u"--format"_s, u"json"_s });
    QCOMPARE(none.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(none.out).array().size(), 0);
    const auto failed
        = runner({ u"history"_s, u"--db"_s, m_db, u"--status"_s, u"failed"_s, u"--format"_s, u"json"_s });
    QCOMPARE(failed.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(failed.out).array().size(), 0);
    const auto limited = runner({ u"history"_s, u"--db"_s, m_db, u"--agent"_s, m_agentId, u"--limit"_s,
        u"1"_s, u"--format"_s, u"json"_s });
    QCOMPARE(limited.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(limited.out).array().size(), 1);
}

void TestRunnerE2E::historyText()
{
    runToJson(QStringList { u"--agent"_s, m_agentId, u"--db"_s, m_db } + requiredInputs(m_agent, u"terns"_s));
    const auto r = runner({ u"history"_s, u"--db"_s, m_db, u"--since"_s, u"2000-01-01T00:00:00Z"_s });
    QCOMPARE(r.exitCode, 0);
    const QStringList lines = QString::fromUtf8(r.out).split(u'\n', Qt::SkipEmptyParts);
    QVERIFY(lines.size() >= 2);
    QVERIFY(lines.first().startsWith(u"ID"_s));
    QVERIFY(lines.at(1).contains(m_agentId));
    // An empty database folder: no rows, exit 0, and no file created.
    const auto empty
        = runner({ u"history"_s, u"--db"_s, m_dir.filePath(u"none.db"_s), u"--format"_s, u"json"_s });
    QCOMPARE(empty.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(empty.out).array().size(), 0);
    QVERIFY(!QFile::exists(m_dir.filePath(u"none.db"_s)));
}

void TestRunnerE2E::showJsonAndText()
{
    const QJsonObject e = runToJson(
        QStringList { u"--agent"_s, m_agentId, u"--db"_s, m_db } + requiredInputs(m_agent, u"guillemots"_s));
    QVERIFY(!QTest::currentTestFailed());
    const QString id = e.value(u"id"_s).toString();
    const auto json = runner({ u"show"_s, id, u"--db"_s, m_db, u"--format"_s, u"json"_s });
    QCOMPARE(json.exitCode, 0);
    const QJsonObject shown = QJsonDocument::fromJson(json.out).object();
    QCOMPARE(shown, e); // what `run --format json` printed is what is stored

    const auto text = runner({ u"show"_s, id, u"--db"_s, m_db });
    QCOMPARE(text.exitCode, 0);
    const QByteArray head = QByteArray("execution ") + id.toLatin1();
    QVERIFY(text.out.startsWith(head));
    QVERIFY(text.out.contains("steps:"));

    const auto unknown = runner({ u"show"_s, u"no-such-id"_s, u"--db"_s, m_db });
    QCOMPARE(unknown.exitCode, 2);
    QVERIFY(unknown.err.contains("no-such-id"));
}

void TestRunnerE2E::showOtlp()
{
    const QJsonObject e = runToJson(
        QStringList { u"--agent"_s, m_agentId, u"--db"_s, m_db } + requiredInputs(m_agent, u"petrels"_s));
    QVERIFY(!QTest::currentTestFailed());
    const auto r
        = runner({ u"show"_s, e.value(u"id"_s).toString(), u"--db"_s, m_db, u"--format"_s, u"otlp"_s });
    QCOMPARE(r.exitCode, 0);
    const QJsonObject otlp = QJsonDocument::fromJson(r.out).object();
    const QJsonArray spans = otlp.value(u"resourceSpans"_s)
                                 .toArray()
                                 .first()
                                 .toObject()
                                 .value(u"scopeSpans"_s)
                                 .toArray()
                                 .first()
                                 .toObject()
                                 .value(u"spans"_s)
                                 .toArray();
    QCOMPARE(spans.size(), e.value(u"steps"_s).toArray().size() + 1); // a root span plus one per step
    QCOMPARE(spans.first().toObject().value(u"traceId"_s).toString(), e.value(u"trace_id"_s).toString());
}

// Two workspace files on one database: --workspace FILE scopes history and show to that
// file's workspace; without it they read every workspace (docs/store.md, "Scope").
void TestRunnerE2E::historyAndShowScopedByWorkspace()
{
    QJsonObject a = m_workspace;
    a.insert(u"workspace_id"_s, u"scope-alpha"_s);
    QJsonObject b = m_workspace;
    b.insert(u"workspace_id"_s, u"scope-beta"_s);
    const QString alpha = writeWorkspace(u"alpha.agents.json"_s, a);
    const QString beta = writeWorkspace(u"beta.agents.json"_s, b);
    const QString db = m_dir.filePath(u"scoped/executions.db"_s);
    const auto run = runner(QStringList { u"run"_s, u"--workspace"_s, alpha, u"--agent"_s, m_agentId,
                                u"--db"_s, db, u"--format"_s, u"json"_s }
        + requiredInputs(m_agent, u"gannets"_s));
    QCOMPARE(run.exitCode, 0);
    const QString id = QJsonDocument::fromJson(run.out).object().value(u"id"_s).toString();
    QVERIFY(!id.isEmpty());

    auto history = [&](const QStringList &scope) {
        const auto r = runner(QStringList { u"history"_s, u"--db"_s, db, u"--format"_s, u"json"_s } + scope);
        [&] { QCOMPARE(r.exitCode, 0); }();
        return QJsonDocument::fromJson(r.out).array();
    };
    QCOMPARE(history({ u"--workspace"_s, beta }).size(), 0);
    QCOMPARE(history({ u"--workspace"_s, alpha }).size(), 1);
    QCOMPARE(history({}).size(), 1);

    const auto hidden = runner({ u"show"_s, id, u"--db"_s, db, u"--workspace"_s, beta });
    QCOMPARE(hidden.exitCode, 2);
    QCOMPARE(QString::fromUtf8(hidden.err).trimmed(), u"error: no execution with id '%1'"_s.arg(id));
    QCOMPARE(runner({ u"show"_s, id, u"--db"_s, db, u"--workspace"_s, alpha }).exitCode, 0);
    QCOMPARE(runner({ u"show"_s, id, u"--db"_s, db }).exitCode, 0);

    const auto remote
        = runner({ u"history"_s, u"--remote"_s, u"http://127.0.0.1:9"_s, u"--workspace"_s, alpha });
    QCOMPARE(remote.exitCode, 2);
    QVERIFY2(remote.err.contains("--workspace and --remote"), remote.err.constData());
}

void TestRunnerE2E::workflowFullRun()
{
    // Every orchestration of the example runs offline to completion with its required inputs.
    for (const QJsonValue &v : m_workspace.value(u"orchestrations"_s).toArray()) {
        const QJsonObject o = v.toObject();
        QJsonObject asAgent { { u"signature"_s, QJsonObject { { u"inputs"_s, o.value(u"inputs"_s) } } } };
        const QJsonObject e
            = runToJson(QStringList { u"--workflow"_s, o.value(u"id"_s).toString(), u"--db"_s, m_db }
                + requiredInputs(asAgent, u"albatrosses"_s));
        QVERIFY(!QTest::currentTestFailed());
        QCOMPARE(e.value(u"status"_s).toString(), u"completed"_s);
        QCOMPARE(e.value(u"execution_type"_s).toString(), u"orchestration"_s);
        QCOMPARE(e.value(u"test_mode"_s).toString(), u"full_workflow"_s);
        int nodes = 0;
        for (const QJsonValue &s : e.value(u"steps"_s).toArray())
            nodes += s.toObject().value(u"kind"_s).toString() == u"node"_s;
        QCOMPARE(nodes, o.value(u"nodes"_s).toArray().size());
        for (const QJsonValue &out : o.value(u"outputs"_s).toArray())
            QVERIFY(
                e.value(u"output_data"_s).toObject().contains(out.toObject().value(u"name"_s).toString()));
    }
}

void TestRunnerE2E::nodeInContextWithUpstream()
{
    // The last node of the first orchestration, its edge-fed inputs given by --upstream.
    const QJsonObject o = m_workspace.value(u"orchestrations"_s).toArray().first().toObject();
    const QJsonArray nodes = o.value(u"nodes"_s).toArray();
    const QJsonObject node = nodes.last().toObject();
    const QString nodeId = node.value(u"id"_s).toString();
    QJsonObject agent;
    for (const QJsonValue &a : m_workspace.value(u"agents"_s).toArray())
        if (a.toObject().value(u"id"_s) == node.value(u"agent"_s))
            agent = a.toObject();
    QJsonObject upstream;
    QStringList own;
    const QStringList all = requiredInputs(agent, u"skuas"_s);
    QStringList fed;
    for (const QJsonValue &edge : o.value(u"edges"_s).toArray()) {
        const QString to = edge.toObject().value(u"to"_s).toString();
        if (to.startsWith(nodeId + u'.'))
            fed.append(to.mid(nodeId.size() + 1));
    }
    for (qsizetype i = 0; i + 1 < all.size(); i += 2) {
        const QString name = all.at(i + 1).section(u'=', 0, 0);
        if (fed.contains(name))
            upstream.insert(name, u"upstream text about skuas"_s); // every example edge feeds a str here
        else
            own << all.at(i) << all.at(i + 1);
    }
    const QString upstreamFile
        = testsupport::writeFile(m_dir.path(), u"upstream.json"_s, QJsonDocument(upstream).toJson());
    const QJsonObject e = runToJson(QStringList { u"--workflow"_s, o.value(u"id"_s).toString(), u"--node"_s,
                                        nodeId, u"--upstream"_s, upstreamFile, u"--db"_s, m_db }
        + own);
    QVERIFY(!QTest::currentTestFailed());
    QCOMPARE(e.value(u"status"_s).toString(), u"completed"_s);
    QCOMPARE(e.value(u"test_mode"_s).toString(), u"node_in_context"_s);
    QCOMPARE(e.value(u"node_id"_s).toString(), nodeId);
}

void TestRunnerE2E::badArguments_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentioned"); // stderr names what is wrong
    const QString ws = testsupport::sourcePath(u"resources/examples/example.agents.json"_s);
    QTest::newRow("no command") << QStringList {} << u"command"_s;
    QTest::newRow("unknown command") << QStringList { u"fly"_s } << u"fly"_s;
    QTest::newRow("unknown option") << QStringList { u"run"_s, u"--workspace"_s, ws, u"--agent"_s, u"x"_s,
        u"--colour"_s } << u"--colour"_s;
    QTest::newRow("option without value") << QStringList { u"run"_s, u"--workspace"_s } << u"--workspace"_s;
    QTest::newRow("missing workspace")
        << QStringList { u"run"_s, u"--agent"_s, u"writer"_s } << u"--workspace"_s;
    QTest::newRow("agent and workflow") << QStringList { u"run"_s, u"--workspace"_s, ws, u"--agent"_s, u"a"_s,
        u"--workflow"_s, u"b"_s } << u"exactly one"_s;
    QTest::newRow("unknown agent") << QStringList { u"run"_s, u"--workspace"_s, ws, u"--agent"_s,
        u"no_such_agent"_s } << u"no_such_agent"_s;
    QTest::newRow("unknown workflow")
        << QStringList { u"run"_s, u"--workspace"_s, ws, u"--workflow"_s, u"nope_flow"_s } << u"nope_flow"_s;
    QTest::newRow("bad format") << QStringList { u"run"_s, u"--workspace"_s, ws, u"--agent"_s, u"x"_s,
        u"--format"_s, u"yaml"_s }
                                << u"yaml"_s;
    QTest::newRow("db and no-history") << QStringList { u"run"_s, u"--workspace"_s, ws, u"--agent"_s, u"x"_s,
        u"--db"_s, u"a.db"_s, u"--no-history"_s }
                                       << u"--no-history"_s;
    QTest::newRow("missing workspace file")
        << QStringList { u"run"_s, u"--workspace"_s, u"/nonexistent/w.agents.json"_s, u"--agent"_s, u"x"_s }
        << u"/nonexistent/w.agents.json"_s;
    QTest::newRow("history bad limit") << QStringList { u"history"_s, u"--limit"_s, u"many"_s } << u"many"_s;
    QTest::newRow("history bad status")
        << QStringList { u"history"_s, u"--status"_s, u"done"_s } << u"done"_s;
    QTest::newRow("history bad since")
        << QStringList { u"history"_s, u"--since"_s, u"yesterday"_s } << u"yesterday"_s;
    QTest::newRow("show without id") << QStringList { u"show"_s } << u"EXECUTION_ID"_s;
    QTest::newRow("show bad format") << QStringList { u"show"_s, u"x"_s, u"--format"_s, u"xml"_s }
                                     << u"xml"_s;
    QTest::newRow("validate without workspace") << QStringList { u"validate"_s } << u"--workspace"_s;
    QTest::newRow("remote without token")
        << QStringList { u"history"_s, u"--remote"_s, u"http://127.0.0.1:1"_s } << u"--token-file"_s;
}

void TestRunnerE2E::badArguments()
{
    QFETCH(QStringList, args);
    QFETCH(QString, mentioned);
    const auto r = runner(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(QString::fromUtf8(r.err).contains(mentioned), r.err.constData());
}

void TestRunnerE2E::invalidWorkspaceForRun()
{
    const auto r = runner(
        { u"run"_s, u"--workspace"_s, testsupport::sourcePath(u"resources/examples/invalid.agents.json"_s),
            u"--agent"_s, u"writer"_s, u"--db"_s, m_db });
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.err.contains("agents["));

    // Inputs are checked against the signature before anything runs.
    const auto name = runner({ u"run"_s, u"--workspace"_s, m_example, u"--agent"_s, m_agentId, u"--db"_s,
        m_db, u"--input"_s, u"no_such_field=1"_s });
    QCOMPARE(name.exitCode, 2);
    QVERIFY2(name.err.contains("no_such_field"), name.err.constData());
}

void TestRunnerE2E::failingAgentExitsOne()
{
    // The same agent, told by its model options to fail (`fail_with`).
    QJsonObject ws = m_workspace;
    QJsonArray agents = ws.value(u"agents"_s).toArray();
    for (qsizetype i = 0; i < agents.size(); ++i) {
        QJsonObject a = agents.at(i).toObject();
        if (a.value(u"id"_s).toString() != m_agentId)
            continue;
        QJsonObject model = a.value(u"model"_s).toObject();
        model.insert(u"fail_with"_s, u"the scripted provider was told to fail"_s);
        a.insert(u"model"_s, model);
        agents[i] = a;
    }
    ws.insert(u"agents"_s, agents);
    const QString path = writeWorkspace(u"failing.agents.json"_s, ws);
    const auto r = runner(QStringList { u"run"_s, u"--workspace"_s, path, u"--agent"_s, m_agentId, u"--db"_s,
                              m_db, u"--format"_s, u"json"_s }
        + requiredInputs(m_agent, u"fulmars"_s));
    QCOMPARE(r.exitCode, 1);
    const QJsonObject e = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(e.value(u"status"_s).toString(), u"failed"_s);
    QVERIFY(e.value(u"error_message"_s).toString().contains(u"told to fail"_s));
    QVERIFY(r.err.contains("told to fail"));
}

void TestRunnerE2E::unreachableProviderExitsThree()
{
    // An OpenAI-compatible provider on a port where nothing listens.
    QJsonObject ws = m_workspace;
    QJsonObject providers = ws.value(u"providers"_s).toObject();
    providers.insert(u"nowhere"_s,
        QJsonObject { { u"kind"_s, u"openai"_s }, { u"base_url"_s, u"http://127.0.0.1:1/v1"_s } });
    ws.insert(u"providers"_s, providers);
    QJsonArray agents = ws.value(u"agents"_s).toArray();
    for (qsizetype i = 0; i < agents.size(); ++i) {
        QJsonObject a = agents.at(i).toObject();
        if (a.value(u"id"_s).toString() != m_agentId)
            continue;
        a.insert(
            u"model"_s, QJsonObject { { u"provider"_s, u"nowhere"_s }, { u"name"_s, u"gpt-4o-mini"_s } });
        agents[i] = a;
    }
    ws.insert(u"agents"_s, agents);
    const QString path = writeWorkspace(u"unreachable.agents.json"_s, ws);
    const auto r
        = runner(QStringList { u"run"_s, u"--workspace"_s, path, u"--agent"_s, m_agentId, u"--db"_s, m_db }
            + requiredInputs(m_agent, u"boobies"_s));
    QCOMPARE(r.exitCode, 3);
    QVERIFY2(r.err.contains("error:"), r.err.constData());
    // The failed attempt is recorded like any other run.
    const auto h
        = runner({ u"history"_s, u"--db"_s, m_db, u"--status"_s, u"failed"_s, u"--format"_s, u"json"_s });
    QVERIFY(QJsonDocument::fromJson(h.out).array().size() >= 1);
}

static const QString kRunnerKey = u"sk-runner-SECRET-0123456789abcdef"_s;

// A workspace file that names a key variable and a host of its choosing is data from anywhere:
// without --trust-workspace the run stops before any request, exit code 2, naming the
// provider, the host and the variable (docs/credentials.md).
void TestRunnerE2E::untrustedWorkspaceExitsTwoBeforeAnyRequest()
{
    ScriptedHttpServer server;
    const QString path = writeCloudWorkspace(u"untrusted.agents.json"_s,
        QJsonObject { { u"kind"_s, u"openai"_s },
            { u"base_url"_s, QString(server.url().toString() + u"/v1"_s) },
            { u"api_key_env"_s, u"GITHUB_TOKEN"_s } });
    const auto r = runnerServed({ u"run"_s, u"--workspace"_s, path, u"--agent"_s, u"echo"_s, u"--input"_s,
                                    u"in=hi"_s, u"--no-history"_s },
        { u"GITHUB_TOKEN="_s + kRunnerKey });
    QCOMPARE(r.exitCode, 2);
    const QString err = QString::fromUtf8(r.err);
    QVERIFY2(err.contains(u"provider 'cloud' (openai) would send GITHUB_TOKEN to host %1"_s.arg(
                 server.url().authority())),
        r.err.constData());
    QVERIFY2(err.contains(u"--trust-workspace"_s), r.err.constData());
    QVERIFY(!r.out.contains(kRunnerKey.toUtf8()) && !r.err.contains(kRunnerKey.toUtf8()));
    QCOMPARE(server.requests.size(), 0);
}

// With --trust-workspace the same kind of file runs, and its key reaches its server.
void TestRunnerE2E::trustedWorkspaceSendsTheKey()
{
    ScriptedHttpServer server;
    ScriptedHttpServer::Response ok;
    ok.headers = { { "Content-Type", "text/event-stream" } };
    ok.body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi back\"}}]}\n\ndata: [DONE]\n\n";
    server.enqueue(ok);
    const QString path = writeCloudWorkspace(u"trusted.agents.json"_s,
        QJsonObject { { u"kind"_s, u"openai"_s },
            { u"base_url"_s, QString(server.url().toString() + u"/v1"_s) },
            { u"api_key_env"_s, u"AS_RUNNER_KEY"_s } });
    const auto r
        = runnerServed({ u"run"_s, u"--workspace"_s, path, u"--agent"_s, u"echo"_s, u"--input"_s, u"in=hi"_s,
                           u"--no-history"_s, u"--trust-workspace"_s, u"--format"_s, u"json"_s },
            { u"AS_RUNNER_KEY="_s + kRunnerKey });
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(
        QJsonDocument::fromJson(r.out).object().value(u"output_data"_s).toObject().value(u"out"_s).toString(),
        u"hi back"_s);
    QCOMPARE(server.requests.size(), 1);
    QCOMPARE(server.requests.first().headers.value("authorization"), "Bearer " + kRunnerKey.toUtf8());
    QVERIFY(!r.out.contains(kRunnerKey.toUtf8()) && !r.err.contains(kRunnerKey.toUtf8()));
}

// ANTHROPIC_API_KEY is for api.anthropic.com: an anthropic provider pointing anywhere else
// gets no key (and so needs no trust), whatever the environment holds.
void TestRunnerE2E::anthropicDefaultKeyStaysHome()
{
    ScriptedHttpServer server;
    server.enqueue(ScriptedHttpServer::jsonResponse(401,
        R"({"type":"error","error":{"type":"authentication_error","message":"x-api-key header is required"}})"));
    const QString path = writeCloudWorkspace(u"anthropic-elsewhere.agents.json"_s,
        QJsonObject { { u"kind"_s, u"anthropic"_s }, { u"base_url"_s, server.url().toString() } });
    const auto r = runnerServed({ u"run"_s, u"--workspace"_s, path, u"--agent"_s, u"echo"_s, u"--input"_s,
                                    u"in=hi"_s, u"--no-history"_s },
        { u"ANTHROPIC_API_KEY="_s + kRunnerKey });
    QCOMPARE(server.requests.size(), 1);
    QVERIFY2(!server.requests.first().headers.contains("x-api-key"),
        server.requests.first().headers.value("x-api-key").constData());
    for (const QByteArray &value : std::as_const(server.requests.first().headers))
        QVERIFY(!value.contains(kRunnerKey.toUtf8()));
    QCOMPARE(r.exitCode, 1); // the server's 401: failed, not a trust refusal
}

// The same commands against agentstudio-server on loopback (--remote): the server's workspace,
// its history, its records; a refused token is exit 2, a server that is gone exit 3.
void TestRunnerE2E::remoteServer()
{
    const QString serverBinary = testsupport::binaryPath(u"server/agentstudio-server"_s);
    if (!QFile::exists(serverBinary))
        QSKIP("agentstudio-server is not built");
    const QString tokens = testsupport::writeFile(m_dir.path(), u"tokens.json"_s,
        QJsonDocument(QJsonObject { { u"tokens"_s,
                          QJsonArray { QJsonObject { { u"token"_s, u"e2e-token-0123456789"_s },
                              { u"organization_id"_s, m_workspace.value(u"organization_id"_s) },
                              { u"workspace_id"_s, m_workspace.value(u"workspace_id"_s) } } } } })
            .toJson());
    const QString tokenFile = testsupport::writeFile(m_dir.path(), u"token"_s, "e2e-token-0123456789\n");
    const QString badTokenFile = testsupport::writeFile(m_dir.path(), u"bad-token"_s, "not-the-token\n");
    QProcess server;
    server.start(serverBinary,
        { u"--workspace"_s, m_example, u"--db"_s, m_dir.filePath(u"server.db"_s), u"--listen"_s,
            u"127.0.0.1:0"_s, u"--tokens"_s, tokens });
    QVERIFY(server.waitForStarted());
    QByteArray banner;
    QTRY_VERIFY_WITH_TIMEOUT((banner += server.readAllStandardOutput()).contains('\n'), 20000);
    const QString url = QString::fromUtf8(banner).section(u' ', 2, 2).trimmed(); // "listening on URL"
    QVERIFY2(url.startsWith(u"http://127.0.0.1:"_s), banner.constData());

    const auto run = runner(QStringList { u"run"_s, u"--remote"_s, url, u"--token-file"_s, tokenFile,
                                u"--agent"_s, m_agentId, u"--format"_s, u"json"_s }
        + requiredInputs(m_agent, u"razorbills"_s));
    QCOMPARE(run.exitCode, 0);
    const QJsonObject e = QJsonDocument::fromJson(run.out).object();
    QCOMPARE(e.value(u"status"_s).toString(), u"completed"_s);
    QVERIFY(!e.value(u"steps"_s).toArray().isEmpty());
    const QString id = e.value(u"id"_s).toString();

    const auto history = runner({ u"history"_s, u"--remote"_s, url, u"--token-file"_s, tokenFile,
        u"--search"_s, u"razorbills"_s, u"--format"_s, u"json"_s });
    QCOMPARE(history.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(history.out).array().first().toObject().value(u"id"_s).toString(), id);
    const auto show = runner(
        { u"show"_s, id, u"--remote"_s, url, u"--token-file"_s, tokenFile, u"--format"_s, u"json"_s });
    QCOMPARE(show.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(show.out).object().value(u"id"_s).toString(), id);
    const auto jsonl = runner(QStringList { u"run"_s, u"--remote"_s, url, u"--token-file"_s, tokenFile,
                                  u"--agent"_s, m_agentId, u"--format"_s, u"jsonl"_s }
        + requiredInputs(m_agent, u"auks"_s));
    QCOMPARE(jsonl.exitCode, 0);
    QVERIFY(jsonl.out.trimmed().split('\n').last().contains("\"complete\""));

    const auto refused = runner({ u"history"_s, u"--remote"_s, url, u"--token-file"_s, badTokenFile });
    QCOMPARE(refused.exitCode, 2);
    QVERIFY(refused.err.contains("401"));

    server.kill();
    server.waitForFinished();
    const auto gone = runner({ u"history"_s, u"--remote"_s, url, u"--token-file"_s, tokenFile });
    QCOMPARE(gone.exitCode, 3);
}

QTEST_GUILESS_MAIN(TestRunnerE2E)
#include "tst_runner_e2e.moc"
