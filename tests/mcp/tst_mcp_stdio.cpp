// The MCP client over stdio against a fault server written for the purpose
// (fault_stdio_server.py, a real child process): framing, version negotiation, pagination,
// list_changed, content kept as sent, and every fault the client must survive (a crash, a
// malformed line, a hang, 5 MB on one line, a server that ignores EOF and SIGTERM).
#include "McpTestSupport.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace mcptest;
using namespace Qt::StringLiterals;

class TestMcpStdio : public QObject
{
    Q_OBJECT

private:
    static ToolSourceSpec faultSpec(const QStringList &extra = {})
    {
        return stdioSpec(QStringLiteral("fault"), QStringLiteral("python3"),
            QStringList { sourceFile(QStringLiteral("tests/mcp/fault_stdio_server.py")) } + extra);
    }
    static McpSource::Timing shortTiming()
    {
        McpSource::Timing t;
        t.initializeTimeoutMs = 10000;
        t.shutdownGraceMs = 200;
        t.listChangedDebounceMs = 20;
        return t;
    }
    static qint64 pidOf(McpSource &source)
    {
        const auto who = call(source, QStringLiteral("whoami"));
        if (!QTest::qWaitFor([&] { return who->result.has_value(); }, 20000))
            return 0;
        return qint64(who->result->structuredContent.toObject().value(u"pid").toDouble());
    }

private slots:
    // Three tools a page: the client follows nextCursor to the end; the task-only tool is hidden.
    void listsEveryPageAndHidesTaskOnlyTools()
    {
        McpSource source(faultSpec(), QString(), nullptr);
        const auto listed = list(source);
        QTRY_VERIFY_WITH_TIMEOUT(listed->done, 20000);
        QCOMPARE(listed->error, QString());
        QCOMPARE(names(listed->tools),
            (QStringList { u"echo"_s, u"crash"_s, u"malformed"_s, u"hang"_s, u"big"_s, u"rpc_error"_s,
                u"blocks"_s, u"change_tools"_s, u"ask_client"_s, u"whoami"_s }));
        QCOMPARE(listed->tools.first().source, QStringLiteral("fault"));
        const ToolSourceStatus s = source.status();
        QCOMPARE(s.state, ToolSourceState::Connected);
        QCOMPARE(s.serverName, QStringLiteral("fault-stdio"));
        QCOMPARE(s.serverVersion, QStringLiteral("1.0"));
        QCOMPARE(s.protocolVersion, QStringLiteral("2025-11-25"));
        QVERIFY2(s.target.startsWith(QStringLiteral("python3 "))
                && s.target.endsWith(QStringLiteral("fault_stdio_server.py")),
            qPrintable(s.target));
        QVERIFY(logContains(source, QStringLiteral("fault server: initialized")));
    }

    void negotiatesTheProtocolVersion_data()
    {
        QTest::addColumn<QString>("answered");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("2025-11-25") << u"2025-11-25"_s << true;
        QTest::newRow("2025-06-18") << u"2025-06-18"_s << true;
        QTest::newRow("2025-03-26") << u"2025-03-26"_s << true;
        QTest::newRow("2024-11-05 refused") << u"2024-11-05"_s << false;
        QTest::newRow("1999-01-01 refused") << u"1999-01-01"_s << false;
    }
    void negotiatesTheProtocolVersion()
    {
        QFETCH(QString, answered);
        QFETCH(bool, accepted);
        McpSource source(faultSpec({ QStringLiteral("--version"), answered }), QString(), nullptr);
        const auto listed = list(source);
        QTRY_VERIFY_WITH_TIMEOUT(listed->done, 20000);
        const ToolSourceStatus s = source.status();
        if (accepted) {
            QCOMPARE(listed->error, QString());
            QCOMPARE(s.protocolVersion, answered);
            QCOMPARE(s.state, ToolSourceState::Connected);
        } else {
            QVERIFY2(listed->error.contains(QStringLiteral("protocol version '%1'").arg(answered)),
                qPrintable(listed->error));
            QCOMPARE(s.state, ToolSourceState::Failed);
            QCOMPARE(s.error, listed->error);
        }
    }

    // A text result; every call carries _meta.progressToken.
    void callsAToolWithAProgressToken()
    {
        McpSource source(faultSpec(), QString(), nullptr);
        const auto echoed
            = call(source, QStringLiteral("echo"), QJsonObject { { u"text"_s, u"hi there"_s } });
        QTRY_VERIFY_WITH_TIMEOUT(echoed->result.has_value(), 20000);
        QVERIFY(!echoed->result->isError);
        QCOMPARE(echoed->result->text(), QStringLiteral("echo: hi there"));
        QVERIFY(echoed->result->structuredContent.isUndefined());
        QTRY_VERIFY(logContains(source, QStringLiteral("fault server: progressToken ")));
    }

    void keepsContentBlocksAsSent()
    {
        McpSource source(faultSpec(), QString(), nullptr);
        const auto r = call(source, QStringLiteral("blocks"));
        QTRY_VERIFY_WITH_TIMEOUT(r->result.has_value(), 20000);
        QVERIFY(!r->result->isError);
        const QJsonArray expected = QJsonDocument::fromJson( // (moc 6.4 cannot read raw strings)
            "["
            "{\"type\":\"text\",\"text\":\"all "
            "kinds\",\"annotations\":{\"audience\":[\"user\"],\"priority\":0.5}},"
            "{\"type\":\"image\",\"data\":\"iVBORw0KGgo=\",\"mimeType\":\"image/png\"},"
            "{\"type\":\"audio\",\"data\":\"UklGRg==\",\"mimeType\":\"audio/wav\"},"
            "{\"type\":\"resource\",\"resource\":{\"uri\":\"file:///tmp/a.txt\",\"mimeType\":\"text/"
            "plain\",\"text\":\"A\"}},"
            "{\"type\":\"resource_link\",\"uri\":\"demo://x\",\"name\":\"X\"}]")
                                        .array();
        QCOMPARE(r->result->content, expected);
        QCOMPARE(r->result->structuredContent.toObject(), (QJsonObject { { u"n"_s, 5 }, { u"ok"_s, true } }));
    }

    void aJsonRpcErrorIsAnErrorResult()
    {
        McpSource source(faultSpec(), QString(), nullptr);
        const auto r = call(source, QStringLiteral("rpc_error"));
        QTRY_VERIFY_WITH_TIMEOUT(r->result.has_value(), 20000);
        QVERIFY(r->result->isError);
        QVERIFY(!r->result->cancelled);
        QCOMPARE(r->result->text(), QStringLiteral("bad things happened (JSON-RPC error -32602)"));
    }

    // The server exits in the middle of a call: the call ends with an error naming the exit code
    // and the last stderr lines, the source is Failed, and the next use starts a new server.
    void aCrashFailsTheCallAndTheNextUseRestarts()
    {
        McpSource source(faultSpec(), QString(), nullptr);
        source.setTiming(shortTiming());
        const qint64 firstPid = pidOf(source);
        QVERIFY(firstPid > 0);
        const auto crashed = call(source, QStringLiteral("crash"));
        QTRY_VERIFY_WITH_TIMEOUT(crashed->result.has_value(), 20000);
        QVERIFY(crashed->result->isError);
        const QString text = crashed->result->text();
        QVERIFY2(text.contains(QStringLiteral("MCP server 'fault': the server process exited with code 3")),
            qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("fault server: about to crash")), qPrintable(text));
        QCOMPARE(source.status().state, ToolSourceState::Failed);
        QCOMPARE(source.status().error, text);
        QTRY_VERIFY(processGone(firstPid));

        const qint64 secondPid = pidOf(source);
        QVERIFY(secondPid > 0);
        QVERIFY(secondPid != firstPid);
        QCOMPARE(source.status().state, ToolSourceState::Connected);
        QCOMPARE(source.status().error, QString());
    }

    void aMalformedLineIsLoggedAndSkipped()
    {
        McpSource source(faultSpec(), QString(), nullptr);
        const auto r = call(source, QStringLiteral("malformed"));
        QTRY_VERIFY_WITH_TIMEOUT(r->result.has_value(), 20000);
        QVERIFY(!r->result->isError);
        QCOMPARE(r->result->text(), QStringLiteral("answered after a malformed line"));
        QVERIFY(logContains(source, QStringLiteral("malformed line from the server on stdout")));
        QVERIFY(logContains(source, QStringLiteral("this is not JSON {")));
        QCOMPARE(source.status().state, ToolSourceState::Connected);
    }

    // A server that never answers: the call times out, the server is told (notifications/cancelled)
    // and the session goes on.
    void aHangHitsTheCallTimeout()
    {
        McpSource source(faultSpec(), QString(), nullptr);
        const auto hung = call(source, QStringLiteral("hang"), {}, 300);
        QTRY_VERIFY_WITH_TIMEOUT(hung->result.has_value(), 20000);
        QVERIFY(hung->result->isError);
        QCOMPARE(hung->result->text(), QStringLiteral("MCP tool 'hang': tools/call timed out after 300 ms"));
        QTRY_VERIFY(logContains(source, QStringLiteral("(tools/call timed out after 300 ms)")));
        const auto echoed
            = call(source, QStringLiteral("echo"), QJsonObject { { u"text"_s, u"still here"_s } });
        QTRY_VERIFY_WITH_TIMEOUT(echoed->result.has_value(), 20000);
        QCOMPARE(echoed->result->text(), QStringLiteral("echo: still here"));
    }

    void initializeHasItsOwnTimeout()
    {
        McpSource source(faultSpec({ QStringLiteral("--no-init-answer") }), QString(), nullptr);
        McpSource::Timing timing = shortTiming();
        timing.initializeTimeoutMs = 300;
        source.setTiming(timing);
        const auto listed = list(source);
        const auto called = call(source, QStringLiteral("echo"));
        QTRY_VERIFY_WITH_TIMEOUT(listed->done && called->result.has_value(), 20000);
        QVERIFY2(listed->error.startsWith(QStringLiteral(
                     "MCP server 'fault': initialize failed: initialize timed out after 300 ms")),
            qPrintable(listed->error));
        QVERIFY(called->result->isError);
        QCOMPARE(called->result->text(), listed->error);
        QCOMPARE(source.status().state, ToolSourceState::Failed);
    }

    void readsAFiveMegabyteLine()
    {
        McpSource source(faultSpec(), QString(), nullptr);
        const auto r = call(source, QStringLiteral("big"), QJsonObject { { u"size"_s, 5 * 1000 * 1000 } });
        QTRY_VERIFY_WITH_TIMEOUT(r->result.has_value(), 30000);
        QVERIFY(!r->result->isError);
        QCOMPARE(r->result->text().size(), 5 * 1000 * 1000);
        QCOMPARE(r->result->text().count(QLatin1Char('x')), 5 * 1000 * 1000);
    }

    void listChangedRefreshesTheTools()
    {
        McpSource source(faultSpec(), QString(), nullptr);
        source.setTiming(shortTiming());
        const auto listed = list(source);
        QTRY_VERIFY_WITH_TIMEOUT(listed->done, 20000);
        QVERIFY(!names(listed->tools).contains(QStringLiteral("added_tool")));
        QSignalSpy changed(&source, &ToolSource::statusChanged);
        const auto r = call(source, QStringLiteral("change_tools"));
        QTRY_VERIFY_WITH_TIMEOUT(names(source.status().tools).contains(QStringLiteral("added_tool")), 20000);
        QVERIFY(changed.count() >= 1);
        QCOMPARE(source.status().tools.size(), 11);
        const auto again = list(source);
        QTRY_VERIFY(again->done);
        QCOMPARE(names(again->tools).first(), QStringLiteral("added_tool"));
    }

    // The server asks the client things: ping gets {}, roots/list (not declared) gets -32601.
    void answersTheServersRequests()
    {
        McpSource source(faultSpec(), QString(), nullptr);
        const auto r = call(source, QStringLiteral("ask_client"));
        QTRY_VERIFY_WITH_TIMEOUT(r->result.has_value(), 20000);
        QVERIFY(!r->result->isError);
        const QJsonObject answers = r->result->structuredContent.toObject();
        QCOMPARE(answers.value(u"ping").toObject(),
            (QJsonObject { { u"id"_s, 0 }, { u"result"_s, QJsonObject() } }));
        const QJsonObject roots = answers.value(u"roots").toObject();
        QCOMPARE(roots.value(u"id").toInt(), 1);
        QCOMPARE(roots.value(u"error").toObject().value(u"code").toInt(), -32601);
        QCOMPARE(roots.value(u"error").toObject().value(u"message").toString(),
            QStringLiteral("Method not found: roots/list"));
    }

    // cancel() ends the call at once (no waiting for the server) and tells the server.
    void cancelEndsTheCallAtOnceAndTellsTheServer()
    {
        McpSource source(faultSpec(), QString(), nullptr);
        const auto hung = call(source, QStringLiteral("hang"));
        QTRY_VERIFY_WITH_TIMEOUT(
            logContains(source, QStringLiteral("fault server: hanging on request")), 20000);
        source.cancel(hung->handle);
        QVERIFY(!hung->result.has_value()); // answered later, never inside cancel()
        QTRY_VERIFY_WITH_TIMEOUT(hung->result.has_value(), 1000);
        QVERIFY(hung->result->cancelled);
        QVERIFY(hung->result->isError);
        QCOMPARE(hung->result->text(), QStringLiteral("MCP tool 'hang' was cancelled"));
        QTRY_VERIFY(logContains(source, QStringLiteral("(cancelled by the user)")));
        source.cancel(hung->handle); // finished: ignored
    }

    // cwd relative to the workspace folder, configured env on top of a small base: the host's
    // other variables (API keys) are not passed on.
    void startsInTheWorkspaceFolderWithItsEnvironment()
    {
        QTemporaryDir dir;
        QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("sub")));
        ToolSourceSpec spec = faultSpec();
        spec.cwd = QStringLiteral("sub");
        spec.env.insert(QStringLiteral("FOO"), QStringLiteral("bar"));
        qputenv("AGENTSTUDIO_SECRET", "do-not-pass");
        McpSource source(spec, dir.path(), nullptr);
        const auto r = call(source, QStringLiteral("whoami"));
        QTRY_VERIFY_WITH_TIMEOUT(r->result.has_value(), 20000);
        qunsetenv("AGENTSTUDIO_SECRET");
        const QJsonObject who = r->result->structuredContent.toObject();
        QCOMPARE(QDir(who.value(u"cwd").toString()).canonicalPath(),
            QDir(dir.path() + QStringLiteral("/sub")).canonicalPath());
        QCOMPARE(who.value(u"FOO").toString(), QStringLiteral("bar"));
        QCOMPARE(who.value(u"has_AGENTSTUDIO_SECRET").toBool(), false);
    }

    void aProgramThatCannotStartFails()
    {
        McpSource source(stdioSpec(QStringLiteral("nope"), QStringLiteral("/nonexistent/mcp-server"), {}),
            QString(), nullptr);
        const auto listed = list(source);
        QTRY_VERIFY_WITH_TIMEOUT(listed->done, 20000);
        QVERIFY2(listed->error.startsWith(
                     QStringLiteral("MCP server 'nope': cannot start '/nonexistent/mcp-server'")),
            qPrintable(listed->error));
        QCOMPARE(source.status().state, ToolSourceState::Failed);
    }

    // Shutdown closes stdin first: a well-behaved server exits on EOF long before the (here
    // 30 s) grace would send SIGTERM.
    void shutdownClosesStdinFirst()
    {
        McpSource source(faultSpec(), QString(), nullptr);
        McpSource::Timing timing = shortTiming();
        timing.shutdownGraceMs = 30000;
        source.setTiming(timing);
        const qint64 pid = pidOf(source);
        QVERIFY(pid > 0);
        const auto running = call(source, QStringLiteral("hang"));
        QTRY_VERIFY_WITH_TIMEOUT(logContains(source, QStringLiteral("hanging")), 20000);
        source.shutdown();
        QCOMPARE(source.status().state, ToolSourceState::Idle);
        QTRY_VERIFY_WITH_TIMEOUT(processGone(pid), 10000);
        QTRY_VERIFY(running->result.has_value());
        QVERIFY(running->result->cancelled);
        source.shutdown(); // twice is fine
    }

    // A server that ignores EOF and SIGTERM is killed after the grace periods, and reaped.
    void shutdownEscalatesToKill()
    {
        McpSource source(faultSpec({ QStringLiteral("--stubborn") }), QString(), nullptr);
        source.setTiming(shortTiming());
        const qint64 pid = pidOf(source);
        QVERIFY(pid > 0);
        source.shutdown();
        QVERIFY(!processGone(pid));
        QTRY_VERIFY_WITH_TIMEOUT(processGone(pid), 10000);
    }

    // Destroying the source with the server running leaves no process and no zombie behind.
    void theDestructorLeavesNoZombie()
    {
        auto *source = new McpSource(faultSpec({ QStringLiteral("--stubborn") }), QString(), nullptr);
        source->setTiming(shortTiming());
        const qint64 pid = pidOf(*source);
        QVERIFY(pid > 0);
        delete source;
        QTRY_VERIFY_WITH_TIMEOUT(processGone(pid), 10000);
    }

    // The source on a worker thread (as in the engine): shut down, then the thread ends at
    // once. No event loop is left to run the grace timers (here 30 s), so the server, which
    // ignores EOF and SIGTERM, is killed as the thread finishes, not left running.
    void aServerDoesNotOutliveItsThread()
    {
        QThread thread;
        QObject context;
        context.moveToThread(&thread);
        thread.start();
        McpSource *source = nullptr;
        std::atomic<qint64> pid = 0;
        QMetaObject::invokeMethod(
            &context,
            [&] {
                source = new McpSource(faultSpec({ QStringLiteral("--stubborn") }), QString(), nullptr);
                McpSource::Timing timing = shortTiming();
                timing.shutdownGraceMs = 30000;
                source->setTiming(timing);
                source->callTool(
                    QStringLiteral("whoami"), {}, ToolCallOptions(), nullptr, [&pid](const ToolResult &r) {
                        pid = qint64(r.structuredContent.toObject().value(u"pid").toDouble());
                    });
            },
            Qt::BlockingQueuedConnection);
        QTRY_VERIFY_WITH_TIMEOUT(pid > 0, 20000);
        QMetaObject::invokeMethod(
            &context,
            [&] {
                source->shutdown();
                delete source;
            },
            Qt::BlockingQueuedConnection);
        QVERIFY(!processGone(pid));
        thread.quit();
        QVERIFY(thread.wait(10000));
        QTRY_VERIFY_WITH_TIMEOUT(processGone(pid), 5000);
    }
};

QTEST_GUILESS_MAIN(TestMcpStdio)
#include "tst_mcp_stdio.moc"
