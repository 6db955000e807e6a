#include "core/engine/LocalBackend.h"
#include "core/mcpserver/McpToolServer.h"
#include "tests/mcpserver/McpServerWorkspace.h"
#include "tests/support/BackendReplies.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;

// McpToolServer in-process against a real LocalBackend (engine thread, SQLite history) on the
// offline workspace of McpServerWorkspace.h: every message it sends is collected with its
// related request and final flag.
class TestMcpToolServer : public QObject
{
    Q_OBJECT

private:
    struct Sent
    {
        QJsonObject message;
        QJsonValue related;
        bool final = false;
    };

    QTemporaryDir m_dir;
    std::unique_ptr<LocalBackend> m_backend;
    std::unique_ptr<McpToolServer> m_server;
    QList<Sent> m_sent;
    int m_nextId = 100;

    void makeServer(McpToolServer::Options options = {})
    {
        m_server.reset();
        m_sent.clear();
        m_server = std::make_unique<McpToolServer>(m_backend.get(), mcpserver::workspace(), options,
            [this](const QJsonObject &m, const QJsonValue &related, bool final) {
                m_sent.append({ m, related, final });
            });
    }

    QJsonValue send(const QString &method, const QJsonObject &params = {}, QJsonValue id = QJsonValue())
    {
        if (id.isUndefined() || id.isNull())
            id = m_nextId++;
        QJsonObject m { { u"jsonrpc"_s, u"2.0"_s }, { u"id"_s, id }, { u"method"_s, method } };
        if (!params.isEmpty())
            m.insert(u"params"_s, params);
        m_server->handle(m);
        return id;
    }

    // The response to `id` (waits up to 20 s); an empty object when none came.
    QJsonObject response(const QJsonValue &id)
    {
        QJsonObject found;
        (void)QTest::qWaitFor(
            [&] {
                for (const Sent &s : std::as_const(m_sent))
                    if (s.message.value(u"id"_s) == id
                        && (s.message.contains(u"result"_s) || s.message.contains(u"error"_s)))
                        found = s.message;
                return !found.isEmpty();
            },
            20000);
        return found;
    }

    QJsonObject initialize(const QString &version = u"2025-11-25"_s)
    {
        const QJsonValue id = send(u"initialize"_s,
            { { u"protocolVersion"_s, version }, { u"capabilities"_s, QJsonObject() },
                { u"clientInfo"_s, QJsonObject { { u"name"_s, u"unit"_s }, { u"version"_s, u"1"_s } } } });
        m_server->handle({ { u"jsonrpc"_s, u"2.0"_s }, { u"method"_s, u"notifications/initialized"_s } });
        return response(id);
    }

    QList<QJsonObject> notifications(const QString &method) const
    {
        QList<QJsonObject> out;
        for (const Sent &s : m_sent)
            if (s.message.value(u"method"_s) == method)
                out.append(s.message.value(u"params"_s).toObject());
        return out;
    }

    QJsonObject call(const QString &tool, const QJsonObject &arguments, const QJsonValue &progressToken = {})
    {
        QJsonObject params { { u"name"_s, tool }, { u"arguments"_s, arguments } };
        if (!progressToken.isUndefined())
            params.insert(u"_meta"_s, QJsonObject { { u"progressToken"_s, progressToken } });
        return response(send(u"tools/call"_s, params)).value(u"result"_s).toObject();
    }

    ExecutionRecord record(const QString &executionId)
    {
        const auto answer = awaitReply<ExecutionRecord>(
            [&](QObject *context, auto cb) { m_backend->fetchExecution(executionId, context, cb); });
        return answer ? answer->first : ExecutionRecord();
    }

    static QString text(const QJsonObject &result)
    {
        return result.value(u"content"_s).toArray().first().toObject().value(u"text"_s).toString();
    }
    static QJsonObject toolNamed(const QJsonArray &tools, const QString &name)
    {
        for (const QJsonValue &t : tools)
            if (t.toObject().value(u"name"_s) == name)
                return t.toObject();
        return {};
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        EngineSettings settings;
        settings.databasePath = m_dir.filePath(u"history.db"_s);
        m_backend = std::make_unique<LocalBackend>(mcpserver::workspace(), settings);
    }
    void init() { makeServer(); }
    void cleanupTestCase()
    {
        m_server.reset();
        m_backend.reset();
    }

    // The client's version when we speak it, else our newest; capabilities and serverInfo.
    void negotiatesTheVersion_data()
    {
        QTest::addColumn<QString>("asked");
        QTest::addColumn<QString>("agreed");
        QTest::newRow("newest") << u"2025-11-25"_s << u"2025-11-25"_s;
        QTest::newRow("2025-06-18") << u"2025-06-18"_s << u"2025-06-18"_s;
        QTest::newRow("old") << u"2024-11-05"_s << u"2024-11-05"_s;
        QTest::newRow("unknown") << u"2099-01-01"_s << u"2025-11-25"_s;
    }
    void negotiatesTheVersion()
    {
        QFETCH(QString, asked);
        QFETCH(QString, agreed);
        McpToolServer::Options options;
        options.serverName = u"agentstudio"_s;
        options.serverVersion = u"9.9"_s;
        makeServer(options);
        const QJsonObject result = initialize(asked).value(u"result"_s).toObject();
        QCOMPARE(result.value(u"protocolVersion"_s).toString(), agreed);
        QCOMPARE(m_server->protocolVersion(), agreed);
        QCOMPARE(m_server->clientName(), u"unit"_s);
        QVERIFY(result.value(u"capabilities"_s).toObject().contains(u"tools"_s));
        QVERIFY(result.value(u"capabilities"_s).toObject().contains(u"logging"_s));
        QCOMPARE(result.value(u"serverInfo"_s).toObject().value(u"version"_s).toString(), u"9.9"_s);
        QCOMPARE(result.value(u"serverInfo"_s).toObject().value(u"name"_s).toString(), u"agentstudio"_s);
    }

    // Nothing but ping and initialize before initialize; initialize only once.
    void refusesRequestsBeforeInitialize()
    {
        const QJsonObject early = response(send(u"tools/list"_s));
        QCOMPARE(early.value(u"error"_s).toObject().value(u"code"_s).toInt(), -32600);
        QVERIFY(response(send(u"ping"_s)).value(u"result"_s).isObject());
        QVERIFY(!m_server->isInitialized());
        initialize();
        QVERIFY(m_server->isInitialized());
        const QJsonObject again
            = response(send(u"initialize"_s, { { u"protocolVersion"_s, u"2025-11-25"_s } }));
        QCOMPARE(again.value(u"error"_s).toObject().value(u"code"_s).toInt(), -32600);
    }

    // One tool per agent and workflow; the workflow named like an agent is workflow.<id>;
    // types, enums, bounds, defaults, descriptions and required in inputSchema; outputSchema
    // only for structured outputs.
    void listsAgentsAndWorkflowsWithSchemas()
    {
        initialize();
        const QJsonArray tools = response(send(u"tools/list"_s)).value(u"result"_s)[u"tools"_s].toArray();
        QStringList names;
        for (const QJsonValue &t : tools)
            names.append(t[u"name"_s].toString());
        QCOMPARE(
            names, (QStringList { u"writer"_s, u"grader"_s, u"slow"_s, u"broken"_s, u"workflow.writer"_s }));

        const QJsonObject writer = toolNamed(tools, u"writer"_s);
        QCOMPARE(writer.value(u"title"_s).toString(), u"Writer"_s);
        QCOMPARE(writer.value(u"description"_s).toString(), u"Writes a short text."_s);
        QVERIFY(!writer.contains(u"outputSchema"_s)); // one free-text output
        QCOMPARE(writer[u"inputSchema"_s][u"properties"_s][u"topic"_s][u"description"_s].toString(),
            u"what to write about"_s);

        const QJsonObject grader = toolNamed(tools, u"grader"_s);
        QCOMPARE(grader.value(u"description"_s).toString(), u"Grade the essay."_s); // the instructions
        const QJsonObject in = grader.value(u"inputSchema"_s).toObject();
        QCOMPARE(in.value(u"type"_s).toString(), u"object"_s);
        QCOMPARE(in.value(u"additionalProperties"_s), QJsonValue(false));
        QCOMPARE(in.value(u"required"_s).toArray(), (QJsonArray { u"essay"_s, u"tone"_s }));
        const QJsonObject scale = in[u"properties"_s][u"scale"_s].toObject();
        QCOMPARE(scale,
            (QJsonObject { { u"type"_s, u"integer"_s }, { u"minimum"_s, 1 }, { u"maximum"_s, 10 },
                { u"default"_s, 5 }, { u"description"_s, u"highest score"_s } }));
        QCOMPARE(
            in[u"properties"_s][u"tone"_s][u"enum"_s].toArray(), (QJsonArray { u"kind"_s, u"strict"_s }));
        QCOMPARE(in[u"properties"_s][u"essay"_s][u"maxLength"_s].toInt(), 2000);
        const QJsonObject out = grader.value(u"outputSchema"_s).toObject();
        QCOMPARE(out.value(u"required"_s).toArray(), (QJsonArray { u"score"_s, u"verdict"_s, u"notes"_s }));
        QCOMPARE(out[u"properties"_s][u"notes"_s][u"type"_s].toString(), u"array"_s);

        const QJsonObject flow = toolNamed(tools, u"workflow.writer"_s);
        QCOMPARE(flow[u"inputSchema"_s][u"required"_s].toArray(), (QJsonArray { u"topic"_s, u"tone"_s }));
        QCOMPARE(flow[u"outputSchema"_s][u"properties"_s][u"score"_s][u"type"_s].toString(), u"integer"_s);
        QCOMPARE(flow[u"outputSchema"_s][u"properties"_s][u"text"_s][u"type"_s].toString(), u"string"_s);
    }

    // Pages of two with an opaque nextCursor until the end; a bad cursor is -32602.
    void paginatesWithNextCursor()
    {
        McpToolServer::Options options;
        options.pageSize = 2;
        makeServer(options);
        initialize();
        QStringList names;
        QJsonObject params;
        for (int page = 0; page < 10; ++page) {
            const QJsonObject result = response(send(u"tools/list"_s, params)).value(u"result"_s).toObject();
            for (const QJsonValue &t : result.value(u"tools"_s).toArray())
                names.append(t[u"name"_s].toString());
            if (!result.contains(u"nextCursor"_s))
                break;
            params = { { u"cursor"_s, result.value(u"nextCursor"_s) } };
        }
        QCOMPARE(names.size(), 5);
        const QJsonObject bad = response(send(u"tools/list"_s, { { u"cursor"_s, u"bm9wZQ=="_s } }));
        QCOMPARE(bad.value(u"error"_s).toObject().value(u"code"_s).toInt(), -32602);
    }

    // A typed agent: structuredContent is the parsed output, the text block its JSON, the run is
    // in the history with trigger_type mcp and the validated inputs (default filled in).
    void callReturnsStructuredContentAndIsRecorded()
    {
        initialize();
        const QJsonObject result
            = call(u"grader"_s, { { u"essay"_s, u"An essay."_s }, { u"tone"_s, u"kind"_s } });
        QCOMPARE(result.value(u"isError"_s), QJsonValue(false));
        const QJsonObject expected { { u"score"_s, 7 }, { u"verdict"_s, u"pass"_s },
            { u"notes"_s, QJsonArray { u"clear"_s, u"short"_s } } };
        QCOMPARE(result.value(u"structuredContent"_s).toObject(), expected);
        QCOMPARE(QJsonDocument::fromJson(text(result).toUtf8()).object(), expected);
        const QString id = result[u"_meta"_s][u"agentstudio/execution_id"_s].toString();
        const ExecutionRecord r = record(id);
        QCOMPARE(r.id, id);
        QCOMPARE(r.triggerType, TriggerType::Mcp);
        QCOMPARE(r.status, ExecutionStatus::Completed);
        QCOMPARE(r.agentId, u"grader"_s);
        QCOMPARE(r.inputData.value(u"scale"_s).toInt(), 5);
        QCOMPARE(m_server->runningCalls(), 0);
    }

    // A free-text agent: the text itself, no structuredContent. A workflow: its outputs.
    void callReturnsTextAndWorkflowOutputs()
    {
        initialize();
        const QJsonObject writer = call(u"writer"_s, { { u"topic"_s, u"cats"_s } });
        QCOMPARE(text(writer), u"Cats sleep most of the day and hunt at dusk."_s);
        QVERIFY(!writer.contains(u"structuredContent"_s));
        const QJsonObject flow
            = call(u"workflow.writer"_s, { { u"topic"_s, u"cats"_s }, { u"tone"_s, u"kind"_s } });
        QCOMPARE(flow.value(u"isError"_s), QJsonValue(false));
        QCOMPARE(flow.value(u"structuredContent"_s).toObject(),
            (QJsonObject {
                { u"text"_s, u"Cats sleep most of the day and hunt at dusk."_s }, { u"score"_s, 7 } }));
        const ExecutionRecord r = record(flow[u"_meta"_s][u"agentstudio/execution_id"_s].toString());
        QCOMPARE(r.orchestrationId, u"writer"_s);
        QCOMPARE(r.triggerType, TriggerType::Mcp);
    }

    // Invalid arguments are a tool error naming the field; nothing runs.
    void invalidArgumentsNameTheField_data()
    {
        QTest::addColumn<QJsonObject>("arguments");
        QTest::addColumn<QString>("field");
        QTest::newRow("missing") << QJsonObject { { u"tone"_s, u"kind"_s } } << u"essay: required"_s;
        QTest::newRow("enum") << QJsonObject { { u"essay"_s, u"e"_s }, { u"tone"_s, u"mean"_s } }
                              << u"tone: "_s;
        QTest::newRow("max") << QJsonObject { { u"essay"_s, u"e"_s }, { u"tone"_s, u"kind"_s },
            { u"scale"_s, 11 } }
                             << u"scale: "_s;
        QTest::newRow("type") << QJsonObject { { u"essay"_s, 3 }, { u"tone"_s, u"kind"_s } } << u"essay: "_s;
        QTest::newRow("unknown") << QJsonObject { { u"essay"_s, u"e"_s }, { u"tone"_s, u"kind"_s },
            { u"x"_s, 1 } } << u"x: unknown input field"_s;
    }
    void invalidArgumentsNameTheField()
    {
        QFETCH(QJsonObject, arguments);
        QFETCH(QString, field);
        initialize();
        const int before = m_backend->runningCount() + m_backend->queuedCount();
        const QJsonObject result = call(u"grader"_s, arguments);
        QCOMPARE(result.value(u"isError"_s), QJsonValue(true));
        // Refused by the session itself, before any start reaches the backend.
        QVERIFY2(
            text(result).startsWith(u"invalid arguments for tool 'grader': "_s), qPrintable(text(result)));
        QVERIFY2(text(result).contains(field), qPrintable(text(result)));
        QCOMPARE(m_server->runningCalls(), 0);
        QCOMPARE(m_backend->runningCount() + m_backend->queuedCount(), before);
    }

    // Protocol errors: unknown tool -32602, unknown method -32601, malformed -32600, bad JSON
    // -32700 (id null); ping answers {}.
    void protocolErrors()
    {
        initialize();
        QCOMPARE(response(send(u"tools/call"_s, { { u"name"_s, u"nope"_s } }))[u"error"_s][u"code"_s].toInt(),
            -32602);
        QCOMPARE(response(send(u"resources/list"_s))[u"error"_s][u"code"_s].toInt(), -32601);
        QCOMPARE(response(send(u"ping"_s)).value(u"result"_s).toObject(), QJsonObject());
        m_server->handle({ { u"id"_s, 7 }, { u"method"_s, u"ping"_s } }); // no jsonrpc
        QCOMPARE(response(7)[u"error"_s][u"code"_s].toInt(), -32600);
        m_server->handle({ { u"jsonrpc"_s, u"2.0"_s }, { u"id"_s, 8 } }); // no method
        QCOMPARE(response(8)[u"error"_s][u"code"_s].toInt(), -32600);
        m_sent.clear();
        m_server->handleParseError(u"unexpected end"_s);
        QCOMPARE(m_sent.size(), 1);
        QCOMPARE(m_sent.first().message[u"error"_s][u"code"_s].toInt(), -32700);
        QVERIFY(m_sent.first().message.value(u"id"_s).isNull());
    }

    // Batches: answered member by member for 2025-03-26, refused for 2025-06-18 and later.
    void batchesFollowTheVersion()
    {
        const QJsonArray batch { QJsonObject {
                                     { u"jsonrpc"_s, u"2.0"_s }, { u"id"_s, 1 }, { u"method"_s, u"ping"_s } },
            QJsonObject { { u"jsonrpc"_s, u"2.0"_s }, { u"id"_s, 2 }, { u"method"_s, u"tools/list"_s } } };
        initialize(u"2025-03-26"_s);
        m_server->handleBatch(batch);
        QVERIFY(response(1).contains(u"result"_s));
        QVERIFY(response(2).value(u"result"_s)[u"tools"_s].isArray());
        makeServer();
        initialize(u"2025-06-18"_s);
        m_sent.clear();
        m_server->handleBatch(batch);
        QCOMPARE(m_sent.size(), 1);
        QCOMPARE(m_sent.first().message[u"error"_s][u"code"_s].toInt(), -32600);
    }

    // With a progressToken: one notification per chunk, progress strictly increasing, message
    // the text so far (the last one is the whole text), all related to the call and before it.
    void progressCarriesTheStreamedText()
    {
        initialize();
        const QJsonObject result = call(u"writer"_s, { { u"topic"_s, u"cats"_s } }, u"tok"_s);
        const QList<QJsonObject> progress = notifications(u"notifications/progress"_s);
        QVERIFY(progress.size() > 3);
        double last = 0;
        for (const QJsonObject &p : progress) {
            QCOMPARE(p.value(u"progressToken"_s).toString(), u"tok"_s);
            QVERIFY(p.value(u"progress"_s).toDouble() > last);
            last = p.value(u"progress"_s).toDouble();
        }
        QCOMPARE(progress.last().value(u"message"_s).toString(), text(result));
        for (const Sent &s : std::as_const(m_sent))
            if (s.message.value(u"method"_s) == u"notifications/progress"_s)
                QVERIFY(!s.final && s.related.isDouble());
        // Without a token: none.
        m_sent.clear();
        call(u"writer"_s, { { u"topic"_s, u"dogs"_s } });
        QVERIFY(notifications(u"notifications/progress"_s).isEmpty());
    }

    // A failed run is a tool error with its message, recorded as failed.
    void failedRunIsAToolError()
    {
        initialize();
        const QJsonObject result = call(u"broken"_s, { { u"x"_s, u"y"_s } });
        QCOMPARE(result.value(u"isError"_s), QJsonValue(true));
        QVERIFY2(text(result).contains(u"the model is on strike"_s), qPrintable(text(result)));
        QCOMPARE(record(result[u"_meta"_s][u"agentstudio/execution_id"_s].toString()).status,
            ExecutionStatus::Failed);
    }

    // notifications/cancelled: the execution ends cancelled in the history, and nothing at all
    // is sent for that request afterwards.
    void cancelStopsTheRunSilently()
    {
        initialize();
        const QJsonValue id = send(u"tools/call"_s,
            { { u"name"_s, u"slow"_s }, { u"arguments"_s, QJsonObject { { u"n"_s, 1 } } },
                { u"_meta"_s, QJsonObject { { u"progressToken"_s, 1 } } } });
        QTRY_VERIFY_WITH_TIMEOUT(!notifications(u"notifications/progress"_s).isEmpty(), 20000);
        QCOMPARE(m_server->runningCalls(), 1);
        m_server->handle({ { u"jsonrpc"_s, u"2.0"_s }, { u"method"_s, u"notifications/cancelled"_s },
            { u"params"_s, QJsonObject { { u"requestId"_s, id }, { u"reason"_s, u"stop"_s } } } });
        const qsizetype sentAtCancel = m_sent.size();
        QTRY_COMPARE_WITH_TIMEOUT(m_server->runningCalls(), 0, 20000);
        QCOMPARE(m_sent.size(), sentAtCancel);
        const auto page = awaitReply<HistoryPage>([&](QObject *context, auto cb) {
            HistoryQuery q;
            q.agentId = u"slow"_s;
            m_backend->queryHistory(q, context, cb);
        });
        QVERIFY(page);
        QVERIFY(!page->first.items.isEmpty());
        QCOMPARE(page->first.items.first().status, ExecutionStatus::Cancelled);
        QCOMPARE(page->first.items.first().triggerType, TriggerType::Mcp);
    }

    // logging/setLevel: warning (the default) sends no info lines; info sends started and
    // finished; error lines come at error; a bad level is -32602.
    void loggingFollowsTheLevel()
    {
        initialize();
        call(u"writer"_s, { { u"topic"_s, u"a"_s } });
        QVERIFY(notifications(u"notifications/message"_s).isEmpty());
        QVERIFY(response(send(u"logging/setLevel"_s, { { u"level"_s, u"info"_s } }))
                    .value(u"result"_s)
                    .isObject());
        call(u"writer"_s, { { u"topic"_s, u"b"_s } });
        QList<QJsonObject> logs = notifications(u"notifications/message"_s);
        QCOMPARE(logs.size(), 2);
        QVERIFY(logs.at(0).value(u"data"_s).toString().contains(u"started"_s));
        QVERIFY(logs.at(1).value(u"data"_s).toString().contains(u"finished"_s));
        QCOMPARE(logs.at(0).value(u"level"_s).toString(), u"info"_s);
        QCOMPARE(response(send(u"logging/setLevel"_s, { { u"level"_s, u"error"_s } }))
                     .value(u"result"_s)
                     .toObject(),
            QJsonObject());
        m_sent.clear();
        call(u"writer"_s, { { u"topic"_s, u"c"_s } });
        call(u"broken"_s, { { u"x"_s, u"y"_s } });
        logs = notifications(u"notifications/message"_s);
        QCOMPARE(logs.size(), 1);
        QCOMPARE(logs.first().value(u"level"_s).toString(), u"error"_s);
        QCOMPARE(response(send(u"logging/setLevel"_s, { { u"level"_s, u"loud"_s } }))[u"error"_s][u"code"_s]
                     .toInt(),
            -32602);
    }

    // Destroying the session cancels the executions of its running calls.
    void destructionCancelsRunningCalls()
    {
        initialize();
        send(u"tools/call"_s,
            { { u"name"_s, u"slow"_s }, { u"arguments"_s, QJsonObject { { u"n"_s, 2 } } },
                { u"_meta"_s, QJsonObject { { u"progressToken"_s, 1 } } } });
        QTRY_VERIFY_WITH_TIMEOUT(!notifications(u"notifications/progress"_s).isEmpty(), 20000);
        m_server.reset();
        QTRY_COMPARE_WITH_TIMEOUT(m_backend->runningCount() + m_backend->queuedCount(), 0, 20000);
        const auto page = awaitReply<HistoryPage>([&](QObject *context, auto cb) {
            HistoryQuery q;
            q.agentId = u"slow"_s;
            m_backend->queryHistory(q, context, cb);
        });
        QVERIFY(page);
        QCOMPARE(page->first.items.first().status, ExecutionStatus::Cancelled);
        QCOMPARE(page->first.items.first().inputData.value(u"n"_s).toInt(), 2);
    }
};

QTEST_GUILESS_MAIN(TestMcpToolServer)
#include "tst_mcptoolserver.moc"
