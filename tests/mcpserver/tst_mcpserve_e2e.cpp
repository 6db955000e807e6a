#include "core/mcp/McpSource.h"
#include "tests/mcp/McpTestSupport.h"
#include "tests/mcpserver/McpServerWorkspace.h"
#include "tests/support/TestSupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;

// `agentstudio-run mcp serve` end to end: the BUILT runner as a child process on the offline
// workspace, driven over stdio by our own MCP client (core/mcp McpSource), by raw JSON-RPC
// lines, and by the official TypeScript SDK client (tests/mcp/node_modules). The history is
// read back with `agentstudio-run history`, as a user would.
class TestMcpServeE2e : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_runner, m_workspace;
    int m_dbCount = 0;

    QString newDb() { return m_dir.filePath(u"history%1.db"_s.arg(++m_dbCount)); }
    QStringList serveArgs(const QString &db) const
    {
        return { u"mcp"_s, u"serve"_s, u"--workspace"_s, m_workspace, u"--db"_s, db };
    }

    // The history rows of one agent, newest first (`agentstudio-run history --format json`).
    QJsonArray history(const QString &db, const QString &agent)
    {
        const testsupport::ProcessResult r = testsupport::runProcess(
            m_runner, { u"history"_s, u"--db"_s, db, u"--agent"_s, agent, u"--format"_s, u"json"_s }, 30000);
        if (r.exitCode != 0)
            qWarning() << "history failed:" << r.err;
        return QJsonDocument::fromJson(r.out).array();
    }

    // A server process spoken to in raw lines. Every stdout line must be one JSON object.
    struct Raw
    {
        std::unique_ptr<QProcess> process = std::make_unique<QProcess>();
        QList<QJsonObject> received;
        QStringList notJson;

        void start(const QString &program, const QStringList &args)
        {
            process->setProcessChannelMode(QProcess::SeparateChannels);
            process->setReadChannel(QProcess::StandardOutput);
            QObject::connect(process.get(), &QProcess::readyReadStandardOutput, process.get(), [this] {
                while (process->canReadLine()) {
                    const QByteArray line = process->readLine().trimmed();
                    QJsonParseError e;
                    const QJsonDocument d = QJsonDocument::fromJson(line, &e);
                    if (e.error != QJsonParseError::NoError || !d.isObject())
                        notJson.append(QString::fromUtf8(line));
                    else
                        received.append(d.object());
                }
            });
            process->start(program, args);
        }
        void write(const QByteArray &line) { process->write(line + '\n'); }
        void request(int id, const QString &method, const QJsonObject &params = {})
        {
            QJsonObject m { { u"jsonrpc"_s, u"2.0"_s }, { u"id"_s, id }, { u"method"_s, method } };
            if (!params.isEmpty())
                m.insert(u"params"_s, params);
            write(QJsonDocument(m).toJson(QJsonDocument::Compact));
        }
        // The response to `id` (waits up to 20 s); empty when none came.
        QJsonObject response(int id)
        {
            QJsonObject found;
            (void)QTest::qWaitFor(
                [&] {
                    for (const QJsonObject &m : std::as_const(received))
                        if (m.value(u"id"_s) == QJsonValue(id) && !m.contains(u"method"_s))
                            found = m;
                    return !found.isEmpty();
                },
                20000);
            return found;
        }
        QList<QJsonObject> notifications(const QString &method) const
        {
            QList<QJsonObject> out;
            for (const QJsonObject &m : received)
                if (m.value(u"method"_s) == method)
                    out.append(m.value(u"params"_s).toObject());
            return out;
        }
        QJsonObject initialize(const QString &version)
        {
            request(0, u"initialize"_s,
                { { u"protocolVersion"_s, version }, { u"capabilities"_s, QJsonObject() },
                    { u"clientInfo"_s, QJsonObject { { u"name"_s, u"raw"_s }, { u"version"_s, u"1"_s } } } });
            const QJsonObject answer = response(0);
            write(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
            return answer;
        }
    };

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_runner = testsupport::binaryPath(u"run/agentstudio-run"_s);
        QVERIFY2(QFile::exists(m_runner), qPrintable(m_runner));
        m_workspace = testsupport::writeFile(m_dir.path(), u"mcp.agents.json"_s, mcpserver::workspaceJson());
    }

    // Our own MCP client lists the tools with their schemas and calls agents: structured
    // content, text, progress; the runs are in the history with trigger_type mcp.
    void ourClientListsAndCalls()
    {
        const QString db = newDb();
        McpSource source(mcptest::stdioSpec(u"studio"_s, m_runner, serveArgs(db)), QString(), nullptr);
        const auto listed = mcptest::list(source);
        QTRY_VERIFY_WITH_TIMEOUT(listed->done, 30000);
        QCOMPARE(listed->error, QString());
        QCOMPARE(mcptest::names(listed->tools),
            (QStringList { u"writer"_s, u"grader"_s, u"slow"_s, u"broken"_s, u"workflow.writer"_s }));
        const ToolDefinition grader = listed->tools.at(1);
        QCOMPARE(grader.title, u"Grader"_s);
        QCOMPARE(grader.inputSchema[u"properties"_s][u"scale"_s][u"default"_s].toInt(), 5);
        QCOMPARE(grader.inputSchema[u"required"_s].toArray(), (QJsonArray { u"essay"_s, u"tone"_s }));
        QCOMPARE(grader.outputSchema[u"properties"_s][u"verdict"_s][u"enum"_s].toArray(),
            (QJsonArray { u"pass"_s, u"fail"_s }));
        QVERIFY(listed->tools.at(0).outputSchema.isEmpty());
        QCOMPARE(source.status().serverName, u"agentstudio"_s);

        const auto graded
            = mcptest::call(source, u"grader"_s, { { u"essay"_s, u"E."_s }, { u"tone"_s, u"kind"_s } });
        QTRY_VERIFY_WITH_TIMEOUT(graded->result.has_value(), 30000);
        QVERIFY(!graded->result->isError);
        QCOMPARE(graded->result->structuredContent.toObject(),
            (QJsonObject { { u"score"_s, 7 }, { u"verdict"_s, u"pass"_s },
                { u"notes"_s, QJsonArray { u"clear"_s, u"short"_s } } }));

        const auto written = mcptest::call(source, u"writer"_s, { { u"topic"_s, u"cats"_s } });
        QTRY_VERIFY_WITH_TIMEOUT(written->result.has_value(), 30000);
        QVERIFY(written->progress.size() > 3);
        QCOMPARE(written->result->content.first()[u"text"_s].toString(),
            u"Cats sleep most of the day and hunt at dusk."_s);
        QVERIFY(written->result->structuredContent.isUndefined());

        const QJsonArray rows = history(db, u"grader"_s);
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.first()[u"trigger_type"_s].toString(), u"mcp"_s);
        QCOMPARE(rows.first()[u"triggered_by"_s].toString(), u"mcp:agentstudio"_s);
        QCOMPARE(rows.first()[u"status"_s].toString(), u"completed"_s);
        QCOMPARE(rows.first()[u"input_data"_s][u"scale"_s].toInt(), 5);
        QCOMPARE(history(db, u"writer"_s).first()[u"trigger_type"_s].toString(), u"mcp"_s);
    }

    // The official TypeScript SDK client: listTools, callTool with structuredContent (validated
    // by the SDK against outputSchema), progress carrying the streamed text, an invalid argument
    // named, and an AbortSignal that ends the execution cancelled while the server still runs.
    void officialSdkClient()
    {
        const QString problem = mcptest::nodeModulesProblem();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        const QString db = newDb();
        QProcess node;
        node.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        node.start(u"node"_s,
            { mcptest::sourceFile(u"tests/mcpserver/sdk_client.mjs"_s), mcptest::nodeModules(), m_runner,
                m_workspace, db });
        QTRY_VERIFY_WITH_TIMEOUT(node.canReadLine() || node.state() == QProcess::NotRunning, 60000);
        const QJsonObject report = QJsonDocument::fromJson(node.readLine()).object();
        QVERIFY2(!report.isEmpty(), "the SDK client printed no report");
        QCOMPARE(report[u"server"_s][u"name"_s].toString(), u"agentstudio"_s);
        QCOMPARE(report[u"tools"_s].toArray().size(), 5);
        QCOMPARE(report[u"grader"_s][u"structuredContent"_s][u"verdict"_s].toString(), u"pass"_s);
        QCOMPARE(report[u"grader"_s][u"isError"_s], QJsonValue(false));

        const QString text = report[u"writer"_s][u"text"_s].toString();
        QCOMPARE(text, u"Cats sleep most of the day and hunt at dusk."_s);
        const QJsonArray progress = report[u"writer"_s][u"progress"_s].toArray();
        // SDK 1.32.2 handles notifications a microtask later than responses: a progress that
        // arrives in the same read as the result is dropped ("unknown token"), so the last ones
        // may be missing here. The text so far grows with every one that arrives.
        QVERIFY(progress.size() > 3);
        for (qsizetype i = 1; i < progress.size(); ++i) {
            QVERIFY(progress.at(i)[u"progress"_s].toDouble() > progress.at(i - 1)[u"progress"_s].toDouble());
            QVERIFY(text.startsWith(progress.at(i)[u"message"_s].toString()));
        }
        QCOMPARE(report[u"invalid"_s][u"isError"_s], QJsonValue(true));
        QVERIFY(report[u"invalid"_s][u"text"_s].toString().contains(u"tone: "_s));
        QVERIFY2(report[u"aborted"_s].toString().contains(u"enough"_s),
            qPrintable(report[u"aborted"_s].toString()));
        QCOMPARE(report[u"logs"_s].toArray().first()[u"level"_s].toString(), u"info"_s);

        // The server is still running (the client waits for the end of its stdin): the cancel came from
        // the abort, not from the end of the session.
        QTRY_COMPARE_WITH_TIMEOUT(
            history(db, u"slow"_s).first()[u"status"_s].toString(), u"cancelled"_s, 30000);
        QCOMPARE(node.state(), QProcess::Running);
        QCOMPARE(history(db, u"slow"_s).first()[u"trigger_type"_s].toString(), u"mcp"_s);
        node.closeWriteChannel();
        QTRY_COMPARE_WITH_TIMEOUT(node.state(), QProcess::NotRunning, 30000);
        QCOMPARE(node.exitCode(), 0);
    }

    // Version negotiation over the real process, and nothing but JSON objects on stdout.
    void negotiatesTheVersion_data()
    {
        QTest::addColumn<QString>("asked");
        QTest::addColumn<QString>("agreed");
        QTest::newRow("2025-06-18") << u"2025-06-18"_s << u"2025-06-18"_s;
        QTest::newRow("old 2024-11-05") << u"2024-11-05"_s << u"2024-11-05"_s;
        QTest::newRow("unknown") << u"2099-01-01"_s << u"2025-11-25"_s;
    }
    void negotiatesTheVersion()
    {
        QFETCH(QString, asked);
        QFETCH(QString, agreed);
        Raw raw;
        raw.start(m_runner, { u"mcp"_s, u"serve"_s, u"--workspace"_s, m_workspace, u"--no-history"_s });
        QCOMPARE(raw.initialize(asked)[u"result"_s][u"protocolVersion"_s].toString(), agreed);
        raw.process->closeWriteChannel();
        QTRY_COMPARE_WITH_TIMEOUT(raw.process->state(), QProcess::NotRunning, 20000);
        QCOMPARE(raw.process->exitStatus(), QProcess::NormalExit);
        QCOMPARE(raw.process->exitCode(), 0);
        QCOMPARE(raw.notJson, QStringList());
    }

    // ping, logging/setLevel, unknown method and tool, bad JSON, invalid arguments, a batch
    // under 2025-06-18; then the end of stdin ends the process with 0.
    void protocolOverStdio()
    {
        Raw raw;
        raw.start(m_runner, serveArgs(newDb()));
        raw.request(1, u"ping"_s); // allowed before initialize
        QCOMPARE(raw.response(1)[u"result"_s].toObject(), QJsonObject());
        raw.request(2, u"tools/list"_s);
        QCOMPARE(raw.response(2)[u"error"_s][u"code"_s].toInt(), -32600);
        QCOMPARE(
            raw.initialize(u"2025-06-18"_s)[u"result"_s][u"protocolVersion"_s].toString(), u"2025-06-18"_s);
        raw.request(3, u"prompts/list"_s);
        QCOMPARE(raw.response(3)[u"error"_s][u"code"_s].toInt(), -32601);
        raw.request(4, u"tools/call"_s, { { u"name"_s, u"nobody"_s } });
        QCOMPARE(raw.response(4)[u"error"_s][u"code"_s].toInt(), -32602);
        raw.request(5, u"tools/call"_s,
            { { u"name"_s, u"slow"_s }, { u"arguments"_s, QJsonObject { { u"n"_s, u"x"_s } } } });
        QCOMPARE(raw.response(5)[u"result"_s][u"isError"_s], QJsonValue(true));
        QVERIFY(raw.response(5)[u"result"_s][u"content"_s][0][u"text"_s].toString().contains(
            u"n: expected an integer"_s));
        raw.write("{not json");
        raw.write(R"([{"jsonrpc":"2.0","id":6,"method":"ping"}])"); // no batches in 2025-06-18
        raw.request(7, u"logging/setLevel"_s, { { u"level"_s, u"info"_s } });
        QCOMPARE(raw.response(7)[u"result"_s].toObject(), QJsonObject());
        // Lines are answered in order: both answers to the lines before 7 are in.
        int parseErrors = 0, batchRefusals = 0, answersTo6 = 0;
        for (const QJsonObject &m : std::as_const(raw.received)) {
            const int code = m[u"error"_s][u"code"_s].toInt();
            parseErrors += code == -32700 && m.value(u"id"_s).isNull() ? 1 : 0;
            batchRefusals += code == -32600 && m.value(u"id"_s).isNull() ? 1 : 0;
            answersTo6 += m.value(u"id"_s) == QJsonValue(6) ? 1 : 0;
        }
        QCOMPARE(parseErrors, 1);
        QCOMPARE(batchRefusals, 1);
        QCOMPARE(answersTo6, 0);
        raw.request(8, u"tools/call"_s,
            { { u"name"_s, u"writer"_s }, { u"arguments"_s, QJsonObject { { u"topic"_s, u"a"_s } } } });
        QCOMPARE(raw.response(8)[u"result"_s][u"isError"_s], QJsonValue(false));
        const QList<QJsonObject> logs = raw.notifications(u"notifications/message"_s);
        QCOMPARE(logs.size(), 2); // started, finished
        QVERIFY(logs.last()[u"data"_s].toString().contains(u"finished"_s));
        raw.process->closeWriteChannel();
        QTRY_COMPARE_WITH_TIMEOUT(raw.process->state(), QProcess::NotRunning, 20000);
        QCOMPARE(raw.process->exitCode(), 0);
        QCOMPARE(raw.notJson, QStringList());
    }

    // The end of stdin or SIGTERM during a call: the execution is cancelled (recorded so) and the
    // process exits 0; no response is written for the call.
    void endOfSessionCancelsRunningCalls_data()
    {
        QTest::addColumn<bool>("sigterm");
        QTest::newRow("stdin EOF") << false;
        QTest::newRow("SIGTERM") << true;
    }
    void endOfSessionCancelsRunningCalls()
    {
        QFETCH(bool, sigterm);
        const QString db = newDb();
        Raw raw;
        raw.start(m_runner, serveArgs(db));
        raw.initialize(u"2025-11-25"_s);
        raw.request(1, u"tools/call"_s,
            { { u"name"_s, u"slow"_s }, { u"arguments"_s, QJsonObject { { u"n"_s, 9 } } },
                { u"_meta"_s, QJsonObject { { u"progressToken"_s, u"p"_s } } } });
        QTRY_VERIFY_WITH_TIMEOUT(!raw.notifications(u"notifications/progress"_s).isEmpty(), 20000);
        if (sigterm)
            raw.process->terminate();
        else
            raw.process->closeWriteChannel();
        QTRY_COMPARE_WITH_TIMEOUT(raw.process->state(), QProcess::NotRunning, 20000);
        QCOMPARE(raw.process->exitStatus(), QProcess::NormalExit);
        QCOMPARE(raw.process->exitCode(), 0);
        for (const QJsonObject &m : std::as_const(raw.received))
            QVERIFY(m.value(u"id"_s) != QJsonValue(1));
        const QJsonArray rows = history(db, u"slow"_s);
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.first()[u"status"_s].toString(), u"cancelled"_s);
        QCOMPARE(rows.first()[u"input_data"_s][u"n"_s].toInt(), 9);
    }

    // Bad command lines exit 2 with the reason on stderr and nothing on stdout.
    void badArguments()
    {
        const testsupport::ProcessResult noWs = testsupport::runProcess(m_runner, { u"mcp"_s, u"serve"_s });
        QCOMPARE(noWs.exitCode, 2);
        QVERIFY(noWs.err.contains("--workspace FILE is required"));
        QVERIFY(noWs.out.isEmpty());
        const testsupport::ProcessResult both = testsupport::runProcess(m_runner,
            { u"mcp"_s, u"serve"_s, u"--workspace"_s, m_workspace, u"--db"_s, u"x.db"_s, u"--no-history"_s });
        QCOMPARE(both.exitCode, 2);
        const testsupport::ProcessResult verb = testsupport::runProcess(m_runner, { u"mcp"_s, u"list"_s });
        QCOMPARE(verb.exitCode, 2);
        QVERIFY(verb.err.contains("mcp serve"));
    }
};

QTEST_GUILESS_MAIN(TestMcpServeE2e)
#include "tst_mcpserve_e2e.moc"
