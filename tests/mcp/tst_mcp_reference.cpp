// The MCP client against the published reference servers (npm @modelcontextprotocol/
// server-everything over stdio and over Streamable HTTP, server-filesystem on a temp folder),
// pinned in tests/mcp/package-lock.json and installed by scripts/npm-deps.sh. Servers this
// project did not write: list, text and structured results, error results, progress, cancel.
#include "McpTestSupport.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QTemporaryDir>
#include <QTest>

using namespace mcptest;
using namespace Qt::StringLiterals;

class TestMcpReference : public QObject
{
    Q_OBJECT

private:
    LoopbackNodeServer m_http; // server-everything in streamableHttp mode, for the whole run
    QNetworkAccessManager m_network;
    QTemporaryDir m_dir;

    // server-everything over the transport of the current row; over stdio behind stdio_tap.py,
    // which records what the client sent into `tapLog`.
    std::unique_ptr<McpSource> everything(const QString &transport, const QString &tapLog = QString())
    {
        ToolSourceSpec spec = transport == u"http" ? httpSpec(u"everything"_s, m_http.url(u"/mcp"_s))
            : tapLog.isEmpty() ? stdioSpec(u"everything"_s, u"node"_s, { everythingScript(), u"stdio"_s })
                               : stdioSpec(u"everything"_s, u"python3"_s,
                                   { sourceFile(u"tests/mcp/stdio_tap.py"_s), tapLog, u"node"_s,
                                       everythingScript(), u"stdio"_s });
        return std::make_unique<McpSource>(spec, m_dir.path(), &m_network);
    }
    static void addTransports()
    {
        QTest::addColumn<QString>("transport");
        QTest::newRow("stdio") << u"stdio"_s;
        QTest::newRow("streamable http") << u"http"_s;
    }

private slots:
    void initTestCase()
    {
        const QString problem = nodeModulesProblem();
        if (!problem.isEmpty())
            QFAIL(qPrintable(problem)); // never skipped: the setup installs them
        QString error;
        QVERIFY2(m_http.start({ everythingScript(), u"streamableHttp"_s }, &error), qPrintable(error));
    }

    void listsTools_data() { addTransports(); }
    void listsTools()
    {
        QFETCH(QString, transport);
        const auto source = everything(transport);
        const auto listed = list(*source);
        QTRY_VERIFY_WITH_TIMEOUT(listed->done, 30000);
        QCOMPARE(listed->error, QString());
        const QStringList tools = names(listed->tools);
        for (const QString &name : { u"echo"_s, u"get-sum"_s, u"get-structured-content"_s,
                 u"get-tiny-image"_s, u"trigger-long-running-operation"_s })
            QVERIFY2(tools.contains(name), qPrintable(tools.join(u", "_s)));
        QVERIFY2(!tools.contains(u"simulate-research-query"_s), "a task-only tool is hidden");
        const ToolDefinition sum = listed->tools.at(tools.indexOf(u"get-sum"_s));
        QCOMPARE(sum.title, u"Get Sum Tool"_s);
        QCOMPARE(sum.inputSchema.value(u"required").toArray(), (QJsonArray { u"a"_s, u"b"_s }));
        QCOMPARE(sum.annotations.value(u"readOnlyHint").toBool(), true);
        const ToolSourceStatus s = source->status();
        QCOMPARE(s.state, ToolSourceState::Connected);
        QCOMPARE(s.serverName, u"mcp-servers/everything"_s);
        QCOMPARE(s.protocolVersion, u"2025-11-25"_s);
        QCOMPARE(s.target,
            transport == u"http" ? m_http.url(u"/mcp"_s) : u"node "_s + everythingScript() + u" stdio"_s);
    }

    void callsWithTextResult_data() { addTransports(); }
    void callsWithTextResult()
    {
        QFETCH(QString, transport);
        const auto source = everything(transport);
        const auto r = call(*source, u"echo"_s, QJsonObject { { u"message"_s, u"multi\nline"_s } });
        QTRY_VERIFY_WITH_TIMEOUT(r->result.has_value(), 30000);
        QVERIFY(!r->result->isError);
        QCOMPARE(r->result->content,
            (QJsonArray { QJsonObject { { u"type"_s, u"text"_s }, { u"text"_s, u"Echo: multi\nline"_s } } }));
        QVERIFY(r->result->latencyMs >= 0);
    }

    void callsWithStructuredResult_data() { addTransports(); }
    void callsWithStructuredResult()
    {
        QFETCH(QString, transport);
        const auto source = everything(transport);
        const auto r
            = call(*source, u"get-structured-content"_s, QJsonObject { { u"location"_s, u"Chicago"_s } });
        QTRY_VERIFY_WITH_TIMEOUT(r->result.has_value(), 30000);
        QVERIFY(!r->result->isError);
        const QJsonObject weather = r->result->structuredContent.toObject();
        QVERIFY2(weather.contains(u"temperature") && weather.contains(u"conditions")
                && weather.contains(u"humidity"),
            qPrintable(r->result->text()));
        QCOMPARE(r->result->modelValue().toObject(), weather);
    }

    void keepsAnImageBlock_data() { addTransports(); }
    void keepsAnImageBlock()
    {
        QFETCH(QString, transport);
        const auto source = everything(transport);
        const auto r = call(*source, u"get-tiny-image"_s);
        QTRY_VERIFY_WITH_TIMEOUT(r->result.has_value(), 30000);
        QVERIFY(!r->result->isError);
        bool image = false;
        for (const QJsonValue &block : r->result->content) {
            const QJsonObject o = block.toObject();
            if (o.value(u"type").toString() == u"image") {
                QCOMPARE(o.value(u"mimeType").toString(), u"image/png"_s);
                QVERIFY(QByteArray::fromBase64(o.value(u"data").toString().toLatin1()).startsWith("\x89PNG"));
                image = true;
            }
        }
        QVERIFY(image);
    }

    void errorResults_data() { addTransports(); }
    void errorResults()
    {
        QFETCH(QString, transport);
        const auto source = everything(transport);
        const auto bad = call(*source, u"get-sum"_s, QJsonObject { { u"a"_s, u"x"_s } });
        const auto unknown = call(*source, u"no-such-tool"_s);
        QTRY_VERIFY_WITH_TIMEOUT(bad->result.has_value() && unknown->result.has_value(), 30000);
        QVERIFY(bad->result->isError);
        QVERIFY2(bad->result->text().contains(u"Input validation error"_s), qPrintable(bad->result->text()));
        QVERIFY(unknown->result->isError);
        QVERIFY2(unknown->result->text().contains(u"no-such-tool"_s), qPrintable(unknown->result->text()));
        QCOMPARE(source->status().state, ToolSourceState::Connected);
    }

    void reportsProgress_data() { addTransports(); }
    void reportsProgress()
    {
        QFETCH(QString, transport);
        const auto source = everything(transport);
        const auto r = call(*source, u"trigger-long-running-operation"_s,
            QJsonObject { { u"duration"_s, 0.6 }, { u"steps"_s, 3 } });
        QTRY_VERIFY_WITH_TIMEOUT(r->result.has_value(), 30000);
        QVERIFY(!r->result->isError);
        QCOMPARE(r->progress, (QList<double> { 1, 2, 3 }));
        QCOMPARE(r->totals, (QList<std::optional<double>> { 3.0, 3.0, 3.0 }));
        QVERIFY2(r->result->text().startsWith(u"Long running operation completed"_s),
            qPrintable(r->result->text()));
    }

    // Cancel in the middle of a long call: it ends cancelled at once; over stdio the tap shows
    // the server received notifications/cancelled for that request.
    void cancelsMidCall_data() { addTransports(); }
    void cancelsMidCall()
    {
        QFETCH(QString, transport);
        const QString tap
            = m_dir.filePath(u"tap-"_s + QString::fromLatin1(QTest::currentDataTag()) + u".jsonl"_s);
        const auto source = everything(transport, transport == u"stdio" ? tap : QString());
        const auto r = call(*source, u"trigger-long-running-operation"_s,
            QJsonObject { { u"duration"_s, 30 }, { u"steps"_s, 60 } });
        QTRY_VERIFY_WITH_TIMEOUT(!r->progress.isEmpty(), 30000);
        source->cancel(r->handle);
        QTRY_VERIFY_WITH_TIMEOUT(r->result.has_value(), 1000);
        QVERIFY(r->result->cancelled);
        const int progressSeen = r->progress.size();
        QTest::qWait(700); // the server goes on sending progress for it: dropped
        QCOMPARE(r->progress.size(), progressSeen);
        if (transport == u"stdio") {
            const auto tapped = [&tap] {
                QFile file(tap);
                return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
            };
            QTRY_VERIFY(tapped().contains("notifications/cancelled"));
            qint64 callId = -1;
            QJsonObject cancelled;
            for (const QByteArray &line : tapped().split('\n')) {
                const QJsonObject m = QJsonDocument::fromJson(line).object();
                if (m.value(u"method").toString() == u"tools/call")
                    callId = m.value(u"id").toInteger();
                if (m.value(u"method").toString() == u"notifications/cancelled")
                    cancelled = m.value(u"params").toObject();
            }
            QVERIFY(callId >= 0);
            QCOMPARE(cancelled.value(u"requestId").toInteger(), callId);
            QCOMPARE(cancelled.value(u"reason").toString(), u"cancelled by the user"_s);
        }
        // The session is still good.
        const auto echoed = call(*source, u"echo"_s, QJsonObject { { u"message"_s, u"after"_s } });
        QTRY_VERIFY_WITH_TIMEOUT(echoed->result.has_value(), 30000);
        QCOMPARE(echoed->result->text(), u"Echo: after"_s);
    }

    // The host's environment is not handed to the server: only a small base plus `env`.
    void passesOnlyTheConfiguredEnvironment()
    {
        ToolSourceSpec spec = stdioSpec(u"everything"_s, u"node"_s, { everythingScript(), u"stdio"_s });
        spec.env.insert(u"MCP_TEST_VALUE"_s, u"configured"_s);
        qputenv("AGENTSTUDIO_HOST_SECRET", "not-for-servers");
        McpSource source(spec, m_dir.path(), nullptr);
        const auto r = call(source, u"get-env"_s);
        QTRY_VERIFY_WITH_TIMEOUT(r->result.has_value(), 30000);
        qunsetenv("AGENTSTUDIO_HOST_SECRET");
        const QString env = r->result->text();
        QVERIFY2(env.contains(u"\"MCP_TEST_VALUE\":\"configured\""_s)
                || env.contains(u"\"MCP_TEST_VALUE\": \"configured\""_s),
            qPrintable(env.left(500)));
        QVERIFY(!env.contains(u"AGENTSTUDIO_HOST_SECRET"_s));
    }

    // server-filesystem on a temp folder: list, text + structured result, an error result.
    void filesystemServer()
    {
        QTemporaryDir root;
        QVERIFY(root.isValid());
        QFile hello(root.filePath(u"hello.txt"_s));
        QVERIFY(hello.open(QIODevice::WriteOnly));
        hello.write("Hello, MCP\n");
        hello.close();
        const QString canonical = QDir(root.path()).canonicalPath();
        McpSource source(
            stdioSpec(u"files"_s, u"node"_s, { filesystemScript(), canonical }), m_dir.path(), nullptr);
        const auto listed = list(source);
        QTRY_VERIFY_WITH_TIMEOUT(listed->done, 30000);
        QCOMPARE(listed->error, QString());
        const QStringList tools = names(listed->tools);
        for (const QString &name : { u"read_text_file"_s, u"list_directory"_s, u"write_file"_s })
            QVERIFY2(tools.contains(name), qPrintable(tools.join(u", "_s)));
        QCOMPARE(source.status().serverName, u"secure-filesystem-server"_s);

        const auto read = call(
            source, u"read_text_file"_s, QJsonObject { { u"path"_s, QString(canonical + u"/hello.txt"_s) } });
        const auto dir = call(source, u"list_directory"_s, QJsonObject { { u"path"_s, canonical } });
        const auto outside
            = call(source, u"read_text_file"_s, QJsonObject { { u"path"_s, u"/etc/hostname"_s } });
        const auto write = call(source, u"write_file"_s,
            QJsonObject { { u"path"_s, QString(canonical + u"/new.txt"_s) },
                { u"content"_s, u"written by a test"_s } });
        QTRY_VERIFY_WITH_TIMEOUT(read->result && dir->result && outside->result && write->result, 30000);
        QVERIFY(!read->result->isError);
        QCOMPARE(read->result->text(), u"Hello, MCP\n"_s);
        QCOMPARE(read->result->structuredContent.toObject().value(u"content").toString(), u"Hello, MCP\n"_s);
        QVERIFY2(dir->result->text().contains(u"[FILE] hello.txt"_s), qPrintable(dir->result->text()));
        QVERIFY(outside->result->isError);
        QVERIFY2(outside->result->text().contains(u"Access denied"_s), qPrintable(outside->result->text()));
        QVERIFY(!write->result->isError);
        QFile written(canonical + u"/new.txt"_s);
        QVERIFY(written.open(QIODevice::ReadOnly));
        QCOMPARE(written.readAll(), QByteArray("written by a test"));
    }
};

QTEST_GUILESS_MAIN(TestMcpReference)
#include "tst_mcp_reference.moc"
