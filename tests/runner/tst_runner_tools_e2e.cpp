#include "tests/support/TestSupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

// `agentstudio-run tools list|call` (docs/cli.md, "tools"): the BUILT runner as a process, on a
// workspace with a mock and a command source (tests/tools/command_tool.py), on ad-hoc MCP
// servers (--mcp-command: the MCP client's in-test stdio server and the reference
// server-everything from tests/mcp/node_modules; --mcp: its Streamable HTTP transport), with
// every exit code: 0 ok, 1 tool error, 2 bad arguments / invalid workspace / unknown tool /
// untrusted token, 3 a server that cannot be started or reached.

using namespace Qt::StringLiterals;

class TestRunnerToolsE2E : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_workspace; // orders (mock), weather (command), search (MCP over HTTP with a token)
    QString m_plain; // orders and weather only
    testsupport::ProcessResult runner(const QStringList &args, int timeoutMs = 60000)
    {
        return testsupport::runProcess(testsupport::binaryPath(u"run/agentstudio-run"_s), args, timeoutMs,
            { u"HOME="_s + m_dir.path(), u"AS_E2E_TOKEN=e2e-secret"_s });
    }
    static QJsonObject json(const testsupport::ProcessResult &r)
    {
        QJsonParseError e;
        const QJsonDocument doc = QJsonDocument::fromJson(r.out, &e);
        if (e.error != QJsonParseError::NoError)
            qWarning("not JSON: %s", r.out.constData());
        return doc.object();
    }
    QStringList ws(const QStringList &args) const
    {
        return args + QStringList { u"--workspace"_s, m_workspace };
    }
    static QString everything()
    {
        return testsupport::sourcePath(
            u"tests/mcp/node_modules/@modelcontextprotocol/server-everything/dist/index.js"_s);
    }

private slots:
    void initTestCase();
    void listText();
    void listJson();
    void callMockText();
    void callMockJson();
    void callToolErrorExitsOne();
    void callCommand();
    void callWithArgsFile();
    void refusalsExitTwo_data();
    void refusalsExitTwo();
    void invalidWorkspaceExitsTwo();
    void untrustedTokenExitsTwo();
    void runWithAnUntrustedToolTokenExitsTwo();
    void unreachableExitsThree_data();
    void unreachableExitsThree();
    void mcpCommandInTestServer();
    void mcpCommandServerEverything();
    void mcpUrlServerEverything();
    void runShowsToolCalls();
};

void TestRunnerToolsE2E::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(QFile::exists(testsupport::binaryPath(u"run/agentstudio-run"_s)));
    const QJsonObject orderId { { u"type"_s, u"string"_s }, { u"description"_s, u"The order's id"_s } };
    const QJsonObject orders { { u"kind"_s, u"mock"_s }, { u"description"_s, u"Look up an order by id"_s },
        { u"parameters"_s,
            QJsonObject { { u"type"_s, u"object"_s },
                { u"properties"_s, QJsonObject { { u"order_id"_s, orderId } } },
                { u"required"_s, QJsonArray { u"order_id"_s } } } },
        { u"responses"_s,
            QJsonArray { QJsonObject { { u"when"_s, QJsonObject { { u"order_id"_s, u"A1"_s } } },
                             { u"result"_s, QJsonObject { { u"status"_s, u"shipped"_s } } } },
                QJsonObject { { u"error"_s, u"order not found"_s } } } } };
    const QJsonObject weather { { u"kind"_s, u"command"_s }, { u"description"_s, u"Current weather"_s },
        { u"command"_s, u"python3"_s },
        { u"args"_s, QJsonArray { testsupport::sourcePath(u"tests/tools/command_tool.py"_s), u"text"_s } } };
    const QJsonObject search { { u"kind"_s, u"mcp"_s }, { u"url"_s, u"http://127.0.0.1:1/mcp"_s },
        { u"bearer_token_env"_s, u"AS_E2E_TOKEN"_s } };
    const QJsonObject root { { u"format"_s, u"agentstudio/1"_s }, { u"workspace_id"_s, u"tools"_s },
        { u"providers"_s, QJsonObject { { u"offline"_s, QJsonObject { { u"kind"_s, u"scripted"_s } } } } },
        { u"agents"_s, QJsonArray {} },
        { u"tools"_s,
            QJsonObject { { u"orders"_s, orders }, { u"weather"_s, weather }, { u"search"_s, search } } } };
    m_workspace = testsupport::writeFile(m_dir.path(), u"tools.agents.json"_s, QJsonDocument(root).toJson());
    QJsonObject plain = root;
    plain.insert(u"tools"_s, QJsonObject { { u"orders"_s, orders }, { u"weather"_s, weather } });
    m_plain = testsupport::writeFile(m_dir.path(), u"plain.agents.json"_s, QJsonDocument(plain).toJson());
    testsupport::writeFile(m_dir.path(), u"args.json"_s, R"({"order_id": "A1"})");
}

// One source by --source (the others are not started): its tools with their parameters.
void TestRunnerToolsE2E::listText()
{
    const auto r = runner(ws({ u"tools"_s, u"list"_s, u"--source"_s, u"orders"_s }));
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(QString::fromUtf8(r.out),
        u"orders (mock, connected): mock (2 responses)\n"
        "  orders — Look up an order by id\n"
        "      order_id: string, required — The order's id\n"_s);
    const auto w = runner(ws({ u"tools"_s, u"list"_s, u"--source"_s, u"weather"_s }));
    QCOMPARE(w.exitCode, 0);
    QVERIFY2(w.out.startsWith("weather (command, connected): python3 "), w.out.constData());
    QVERIFY2(w.out.contains("\n  weather — Current weather\n"), w.out.constData());
}

void TestRunnerToolsE2E::listJson()
{
    const auto r
        = runner(ws({ u"tools"_s, u"list"_s, u"--format"_s, u"json"_s, u"--source"_s, u"orders"_s }));
    QCOMPARE(r.exitCode, 0);
    const QJsonArray sources = json(r).value(u"sources").toArray();
    QCOMPARE(sources.size(), 1);
    const QJsonObject s = sources.at(0).toObject();
    QCOMPARE(s.value(u"id").toString(), u"orders"_s);
    QCOMPARE(s.value(u"kind").toString(), u"mock"_s);
    QCOMPARE(s.value(u"state").toString(), u"connected"_s);
    const QJsonObject tool = s.value(u"tools").toArray().at(0).toObject();
    QCOMPARE(tool.value(u"name").toString(), u"orders"_s);
    QCOMPARE(
        tool.value(u"inputSchema").toObject().value(u"required").toArray(), QJsonArray { u"order_id"_s });
}

void TestRunnerToolsE2E::callMockText()
{
    const auto r = runner(ws({ u"tools"_s, u"call"_s, u"orders"_s, u"--args"_s, uR"({"order_id":"A1"})"_s }));
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(QString::fromUtf8(r.out), u"{\n    \"status\": \"shipped\"\n}\n"_s);
    QVERIFY2(r.err.startsWith("orders/orders: ok in "), r.err.constData());
}

void TestRunnerToolsE2E::callMockJson()
{
    const auto r = runner(ws({ u"tools"_s, u"call"_s, u"orders/orders"_s, u"--args"_s,
        uR"({"order_id":"A1"})"_s, u"--format"_s, u"json"_s }));
    QCOMPARE(r.exitCode, 0);
    const QJsonObject o = json(r);
    QCOMPARE(o.value(u"result").toObject().value(u"isError").toBool(true), false);
    QCOMPARE(o.value(u"result").toObject().value(u"structuredContent").toObject().value(u"status").toString(),
        u"shipped"_s);
    QVERIFY(o.value(u"latency_ms").isDouble());
    QCOMPARE(r.err, QByteArray()); // JSON on stdout and nothing else
}

void TestRunnerToolsE2E::callToolErrorExitsOne()
{
    const auto r = runner(ws({ u"tools"_s, u"call"_s, u"orders"_s, u"--args"_s, uR"({"order_id":"Z9"})"_s }));
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.out, QByteArray());
    QVERIFY2(r.err.startsWith("error: order not found\norders/orders: tool error in "), r.err.constData());
    const auto j = runner(ws({ u"tools"_s, u"call"_s, u"orders"_s, u"--args"_s, uR"({"order_id":"Z9"})"_s,
        u"--format"_s, u"json"_s }));
    QCOMPARE(j.exitCode, 1);
    QCOMPARE(json(j).value(u"result").toObject().value(u"isError").toBool(), true);
}

void TestRunnerToolsE2E::callCommand()
{
    const auto r = runner(ws({ u"tools"_s, u"call"_s, u"weather"_s, u"--args"_s, uR"({"city":"Oslo"})"_s }));
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("weather in Oslo: sunny\n"));
}

void TestRunnerToolsE2E::callWithArgsFile()
{
    const auto r = runner(
        ws({ u"tools"_s, u"call"_s, u"orders"_s, u"--args-file"_s, m_dir.filePath(u"args.json"_s) }));
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains("shipped"));
}

void TestRunnerToolsE2E::refusalsExitTwo_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("err");
    QTest::newRow("unknown tool of a source")
        << QStringList { u"tools"_s, u"call"_s, u"refund"_s, u"--source"_s, u"orders"_s }
        << u"agentstudio-run: tools call: tool source 'orders' offers no tool 'refund' (offers: orders)\n"_s;
    QTest::newRow("no source offers it") << QStringList {
        u"tools"_s, u"call"_s, u"refund"_s, u"--workspace"_s, u"PLAIN"_s
    } << u"agentstudio-run: tools call: no source offers a tool 'refund' (tools: orders/orders, weather/weather)\n"_s;
    QTest::newRow("arguments that do not fit")
        << QStringList { u"tools"_s, u"call"_s, u"orders"_s, u"--args"_s, uR"({"order_id":3})"_s }
        << u"agentstudio-run: tools call: arguments: $.order_id: expected a string, got 3\n"_s;
    QTest::newRow("required argument missing") << QStringList { u"tools"_s, u"call"_s,
        u"orders"_s } << u"agentstudio-run: tools call: arguments: $.order_id: missing (required)\n"_s;
}

void TestRunnerToolsE2E::refusalsExitTwo()
{
    QFETCH(QStringList, args);
    QFETCH(QString, err);
    args.replaceInStrings(u"PLAIN"_s, m_plain);
    const auto r = runner(args.contains(u"--workspace"_s) ? args : ws(args));
    QCOMPARE(r.exitCode, 2);
    QCOMPARE(QString::fromUtf8(r.err), err);
    QCOMPARE(r.out, QByteArray());
}

void TestRunnerToolsE2E::invalidWorkspaceExitsTwo()
{
    const QString bad = testsupport::writeFile(m_dir.path(), u"bad.agents.json"_s,
        R"({"format": "agentstudio/1", "tools": {"x": {"kind": "rpc"}}, "agents": []})");
    const auto r = runner({ u"tools"_s, u"list"_s, u"--workspace"_s, bad });
    QCOMPARE(r.exitCode, 2);
    QCOMPARE(QString::fromUtf8(r.err),
        u"tools.x.kind: unknown kind 'rpc' (expected mcp, command or mock)\nagentstudio-run: invalid workspace %1\n"_s
            .arg(bad));
}

void TestRunnerToolsE2E::untrustedTokenExitsTwo()
{
    // A source names a token variable: without --trust-workspace nothing starts.
    const auto r = runner(ws({ u"tools"_s, u"list"_s }));
    QCOMPARE(r.exitCode, 2);
    QCOMPARE(QString::fromUtf8(r.err),
        u"agentstudio-run: tool source 'search' (mcp) would send AS_E2E_TOKEN to host 127.0.0.1:1 (an MCP "
        u"server's "
        "bearer token goes only to a trusted workspace's servers); this workspace is not trusted\n"
        "agentstudio-run: if you trust %1, run again with --trust-workspace\n"_s.arg(m_workspace));
    QCOMPARE(r.out, QByteArray());
    // Trusted, it is tried (nothing listens there: 3); the other sources are listed all the same.
    const auto t = runner(ws({ u"tools"_s, u"list"_s, u"--trust-workspace"_s, u"--format"_s, u"json"_s }));
    QCOMPARE(t.exitCode, 3);
    const QJsonArray sources = json(t).value(u"sources").toArray();
    QCOMPARE(sources.size(), 3);
    QCOMPARE(sources.at(0).toObject().value(u"id").toString(), u"orders"_s);
    QCOMPARE(sources.at(0).toObject().value(u"state").toString(), u"connected"_s);
    QCOMPARE(sources.at(1).toObject().value(u"id").toString(), u"search"_s);
    QCOMPARE(sources.at(1).toObject().value(u"state").toString(), u"failed"_s);
    QVERIFY(!t.out.contains("e2e-secret")); // the token is never printed
    QVERIFY(!t.err.contains("e2e-secret"));
}

// `run` asks for trust for the tool sources of the agents it runs, as for their providers.
void TestRunnerToolsE2E::runWithAnUntrustedToolTokenExitsTwo()
{
    QFile f(m_workspace);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonObject root = QJsonDocument::fromJson(f.readAll()).object();
    const QJsonObject agent {
        { u"id"_s, u"finder"_s },
        { u"model"_s, QJsonObject { { u"provider"_s, u"offline"_s }, { u"name"_s, u"scripted"_s } } },
        { u"instructions"_s, u"Find."_s }, { u"tools"_s, QJsonArray { u"search/find"_s, u"orders"_s } },
        { u"signature"_s,
            QJsonObject { { u"inputs"_s, QJsonArray {} },
                { u"outputs"_s,
                    QJsonArray { QJsonObject { { u"name"_s, u"answer"_s }, { u"type"_s, u"str"_s } } } } } }
    };
    root.insert(u"agents"_s, QJsonArray { agent });
    const QString path
        = testsupport::writeFile(m_dir.path(), u"agent.agents.json"_s, QJsonDocument(root).toJson());
    const auto r = runner({ u"run"_s, u"--workspace"_s, path, u"--agent"_s, u"finder"_s, u"--no-history"_s });
    QCOMPARE(r.exitCode, 2);
    QCOMPARE(QString::fromUtf8(r.err),
        u"agentstudio-run: tool source 'search' (mcp) would send AS_E2E_TOKEN to host 127.0.0.1:1 (an MCP "
        u"server's "
        "bearer token goes only to a trusted workspace's servers); this workspace is not trusted\n"
        "agentstudio-run: if you trust %1, run again with --trust-workspace\n"_s.arg(path));
}

void TestRunnerToolsE2E::unreachableExitsThree_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("list: nothing listens at --mcp")
        << QStringList { u"tools"_s, u"list"_s, u"--mcp"_s, u"http://127.0.0.1:1/mcp"_s };
    QTest::newRow("call: nothing listens at --mcp")
        << QStringList { u"tools"_s, u"call"_s, u"echo"_s, u"--mcp"_s, u"http://127.0.0.1:1/mcp"_s };
    QTest::newRow("list: --mcp-command that does not exist")
        << QStringList { u"tools"_s, u"list"_s, u"--mcp-command"_s, u"/nonexistent/mcp-server --stdio"_s };
    QTest::newRow("call: --mcp-command that does not exist")
        << QStringList { u"tools"_s, u"call"_s, u"x"_s, u"--mcp-command"_s, u"/nonexistent/mcp-server"_s };
    // Not found among the sources that answered, and one did not: it may be there.
    QTest::newRow("call: a source that might offer it cannot be reached") << QStringList { u"tools"_s,
        u"call"_s, u"refund"_s, u"--trust-workspace"_s, u"--workspace"_s, u"WS"_s };
}

void TestRunnerToolsE2E::unreachableExitsThree()
{
    QFETCH(QStringList, args);
    args.replaceInStrings(u"WS"_s, m_workspace);
    const auto r = runner(args);
    QCOMPARE(r.exitCode, 3);
    QCOMPARE(r.out.isEmpty(), args.at(1) == u"call"_s); // a list still shows the failed source
}

void TestRunnerToolsE2E::mcpCommandInTestServer()
{
    const QString server = u"python3 "_s + testsupport::sourcePath(u"tests/mcp/fault_stdio_server.py"_s);
    const auto l = runner({ u"tools"_s, u"list"_s, u"--mcp-command"_s, server });
    QCOMPARE(l.exitCode, 0);
    QVERIFY2(l.out.startsWith("mcp (mcp, connected): python3 "), l.out.constData());
    QVERIFY2(l.out.contains("\n  echo — Echoes text\n      text: string\n"), l.out.constData());
    const auto c = runner({ u"tools"_s, u"call"_s, u"echo"_s, u"--args"_s, uR"({"text":"hello there"})"_s,
        u"--mcp-command"_s, server });
    QCOMPARE(c.exitCode, 0);
    QCOMPARE(c.out, QByteArray("echo: hello there\n"));
    const auto e = runner({ u"tools"_s, u"call"_s, u"rpc_error"_s, u"--mcp-command"_s, server });
    QCOMPARE(e.exitCode, 1);
}

void TestRunnerToolsE2E::mcpCommandServerEverything()
{
    QVERIFY2(QFile::exists(everything()), "run scripts/npm-deps.sh (the pinned reference servers)");
    const QString server = u"node "_s + everything();
    const auto l = runner({ u"tools"_s, u"list"_s, u"--mcp-command"_s, server, u"--format"_s, u"json"_s });
    QCOMPARE(l.exitCode, 0);
    const QJsonObject s = json(l).value(u"sources").toArray().at(0).toObject();
    QCOMPARE(s.value(u"state").toString(), u"connected"_s);
    QStringList names;
    for (const QJsonValue &t : s.value(u"tools").toArray())
        names.append(t.toObject().value(u"name").toString());
    QVERIFY2(names.contains(u"get-sum"_s), qPrintable(names.join(u", "_s)));
    const auto c = runner({ u"tools"_s, u"call"_s, u"get-sum"_s, u"--args"_s, uR"({"a":2,"b":3})"_s,
        u"--mcp-command"_s, server });
    QCOMPARE(c.exitCode, 0);
    QVERIFY2(c.out.contains("5"), c.out.constData());
    // Checked against the server's own schema before any call.
    const auto bad = runner({ u"tools"_s, u"call"_s, u"get-sum"_s, u"--args"_s, uR"({"a":"two"})"_s,
        u"--mcp-command"_s, server });
    QCOMPARE(bad.exitCode, 2);
    QVERIFY2(bad.err.startsWith("agentstudio-run: tools call: arguments: "), bad.err.constData());
}

void TestRunnerToolsE2E::mcpUrlServerEverything()
{
    QVERIFY2(QFile::exists(everything()), "run scripts/npm-deps.sh (the pinned reference servers)");
    QProcess server;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"PORT"_s, u"0"_s);
    server.setProcessEnvironment(env);
    server.setProcessChannelMode(QProcess::MergedChannels);
    // loopback.cjs (the MCP tests' helper) binds it to 127.0.0.1 and prints the port it got.
    server.start(u"node"_s,
        { u"--require"_s, testsupport::sourcePath(u"tests/mcp/loopback.cjs"_s), everything(),
            u"streamableHttp"_s });
    QVERIFY(server.waitForStarted());
    static const QRegularExpression listening(u"AGENTSTUDIO_LISTENING (\\d+)"_s);
    QByteArray seen;
    QTRY_VERIFY_WITH_TIMEOUT(
        (seen += server.readAll(), listening.match(QString::fromUtf8(seen)).hasMatch()), 30000);
    const QString port = listening.match(QString::fromUtf8(seen)).captured(1);
    const auto c = runner({ u"tools"_s, u"call"_s, u"echo"_s, u"--args"_s, uR"({"message":"over http"})"_s,
        u"--mcp"_s, u"http://127.0.0.1:%1/mcp"_s.arg(port) });
    server.kill();
    server.waitForFinished();
    QCOMPARE(c.exitCode, 0);
    QVERIFY2(c.out.contains("over http"), c.out.constData());
}

// `run` in text mode: each finished tool call is one line of the output, before the reply.
void TestRunnerToolsE2E::runShowsToolCalls()
{
    const auto r = runner(
        { u"run"_s, u"--workspace"_s, testsupport::sourcePath(u"resources/examples/example.agents.json"_s),
            u"--agent"_s, u"order_support"_s, u"--input"_s, u"question=Where is A1?"_s, u"--no-history"_s });
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("tool orders {\"order_id\":\"A1\"} -> {\"carrier\":\"DHL\""), r.out.constData());
    QVERIFY2(r.out.contains("tool refund_policy {\"category\":"), r.out.constData());
    QVERIFY(r.out.indexOf("tool orders") < r.out.indexOf("{\"answer\""));
}

QTEST_GUILESS_MAIN(TestRunnerToolsE2E)
#include "tst_runner_tools_e2e.moc"
