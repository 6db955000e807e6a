#include "core/trace/OtlpExport.h"
#include "tests/support/TraceTestData.h"

#include <QJsonDocument>
#include <QRegularExpression>
#include <QTest>

// OTLP/JSON export (OTLP/JSON encoding): the structure Jaeger / Langfuse / a Collector read.
// Each test checks one rule of the encoding or one GenAI attribute mapping.
class TestOtlpExport : public QObject
{
    Q_OBJECT

private:
    static QDateTime t(qint64 ms)
    {
        return QDateTime::fromMSecsSinceEpoch(1'790'000'000'000LL + ms, Qt::UTC);
    }

    static ExecutionRecord workflowRecord()
    {
        ExecutionRecord e;
        e.id = QStringLiteral("11111111-2222-3333-4444-555555555555");
        e.workspaceId = QStringLiteral("demo");
        e.executionType = ExecutionType::Orchestration;
        e.orchestrationId = QStringLiteral("brief");
        e.status = ExecutionStatus::Completed;
        e.queuedAt = t(0);
        e.startedAt = t(5);
        e.completedAt = t(905);
        e.executionTimeMs = 900;
        e.inputTokens = 120;
        e.outputTokens = 40;
        e.cachedTokens = 20;
        e.costUsd = 0.00042;
        e.traceId = QStringLiteral("0af7651916cd43dd8448eb211c80319c");
        e.ttftMs = 210;
        e.testMode = TestMode::FullWorkflow;

        StepRecord node;
        node.id = QStringLiteral("step-node");
        node.kind = StepKind::Node;
        node.name = QStringLiteral("draft");
        node.nodeId = QStringLiteral("draft");
        node.agentId = QStringLiteral("writer");
        node.stepNumber = 1;
        node.status = StepStatus::Completed;
        node.startedAt = t(5);
        node.completedAt = t(600);
        node.spanId = QStringLiteral("b7ad6b7169203331");

        StepRecord llm;
        llm.id = QStringLiteral("step-llm");
        llm.kind = StepKind::Llm;
        llm.name = QStringLiteral("chat");
        llm.nodeId = QStringLiteral("draft");
        llm.parentStepId = node.id;
        llm.stepNumber = 2;
        llm.status = StepStatus::Completed;
        llm.provider = QStringLiteral("openai");
        llm.model = QStringLiteral("gpt-4o-mini");
        llm.startedAt = t(6);
        llm.completedAt = t(580);
        llm.inputTokens = 100;
        llm.outputTokens = 30;
        llm.cachedTokens = 20;
        llm.reasoningTokens = 5;
        llm.ttftMs = 412;
        llm.costUsd = 0.0003;
        llm.inputData = QJsonObject { { QStringLiteral("messages"),
            QJsonArray { QJsonObject { { QStringLiteral("role"), QStringLiteral("user") },
                { QStringLiteral("content"), QStringLiteral("hi") } } } } };
        llm.outputData = QJsonObject { { QStringLiteral("text"), QStringLiteral("hello") } };
        llm.spanId = QString(); // missing: derived deterministically

        StepRecord failed;
        failed.id = QStringLiteral("step-fail");
        failed.kind = StepKind::Llm;
        failed.name = QStringLiteral("chat");
        failed.parentStepId = QStringLiteral("no-such-parent"); // dangling: parented to root
        failed.stepNumber = 3;
        failed.status = StepStatus::Failed;
        failed.model = QStringLiteral("gpt-4o-mini");
        failed.startedAt = t(600);
        failed.completedAt = t(700);
        failed.errorMessage = QStringLiteral("openai: 429 rate_limit_exceeded: slow down");
        failed.attempt = 2;

        e.steps = { node, llm, failed };
        return e;
    }

    static QJsonArray spansOf(const QJsonObject &root)
    {
        return root[u"resourceSpans"][0][u"scopeSpans"][0][u"spans"].toArray();
    }

    static QJsonObject spanNamed(const QJsonArray &spans, const QString &stepId)
    {
        for (const QJsonValue &v : spans) {
            const QJsonObject s = v.toObject();
            for (const QJsonValue &a : s[u"attributes"].toArray())
                if (a[u"key"] == QLatin1String("agentstudio.step_id")
                    && a[u"value"][u"stringValue"] == stepId)
                    return s;
        }
        return {};
    }

    static QJsonObject attrValue(const QJsonObject &span, const QString &key)
    {
        for (const QJsonValue &a : span[u"attributes"].toArray())
            if (a[u"key"] == key)
                return a[u"value"].toObject();
        return {};
    }

private slots:
    // resourceSpans → resource (service.name) → scopeSpans → spans: root + one per step.
    void envelope()
    {
        const QJsonObject out = exportOtlp(workflowRecord());
        const QJsonArray rs = out[u"resourceSpans"].toArray();
        QCOMPARE(rs.size(), 1);
        bool hasService = false;
        for (const QJsonValue &a : rs[0][u"resource"][u"attributes"].toArray())
            if (a[u"key"] == QLatin1String("service.name"))
                hasService = a[u"value"][u"stringValue"] == QLatin1String("agentstudio");
        QVERIFY(hasService);
        QCOMPARE(rs[0][u"scopeSpans"][0][u"scope"][u"name"].toString(), QStringLiteral("agentstudio"));
        QCOMPARE(spansOf(out).size(), 4);
    }

    // traceId is 32 hex (the record's), spanIds 16 hex, all unique; one trace id throughout.
    void idsAreHex()
    {
        const QJsonArray spans = spansOf(exportOtlp(workflowRecord()));
        static const QRegularExpression hex16(QStringLiteral("^[0-9a-f]{16}$"));
        QSet<QString> ids;
        for (const QJsonValue &v : spans) {
            QCOMPARE(v[u"traceId"].toString(), QStringLiteral("0af7651916cd43dd8448eb211c80319c"));
            const QString id = v[u"spanId"].toString();
            QVERIFY2(hex16.match(id).hasMatch(), qPrintable(id));
            ids.insert(id);
        }
        QCOMPARE(ids.size(), spans.size());
        // The step's own span id is kept.
        QCOMPARE(spanNamed(spans, QStringLiteral("step-node"))[u"spanId"].toString(),
            QStringLiteral("b7ad6b7169203331"));
    }

    // Missing ids are derived deterministically: the same record exports identically.
    void derivedIdsAreStable()
    {
        ExecutionRecord e = workflowRecord();
        e.traceId.clear();
        const QJsonObject a = exportOtlp(e);
        const QJsonObject b = exportOtlp(e);
        QCOMPARE(a, b);
        const QString traceId = spansOf(a)[0][u"traceId"].toString();
        QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{32}$")).match(traceId).hasMatch());
        ExecutionRecord other = e;
        other.id = QStringLiteral("another");
        QVERIFY(spansOf(exportOtlp(other))[0][u"traceId"].toString() != traceId);
    }

    // Root: no parentSpanId, invoke_workflow {orchestration}. Steps: parent step or root.
    void parentLinks()
    {
        const QJsonArray spans = spansOf(exportOtlp(workflowRecord()));
        const QJsonObject root = spans[0].toObject();
        QVERIFY(!root.contains(u"parentSpanId") || root[u"parentSpanId"].toString().isEmpty());
        QCOMPARE(root[u"name"].toString(), QStringLiteral("invoke_workflow brief"));
        const QString rootId = root[u"spanId"].toString();
        const QJsonObject node = spanNamed(spans, QStringLiteral("step-node"));
        const QJsonObject llm = spanNamed(spans, QStringLiteral("step-llm"));
        const QJsonObject failed = spanNamed(spans, QStringLiteral("step-fail"));
        QCOMPARE(node[u"parentSpanId"].toString(), rootId);
        QCOMPARE(llm[u"parentSpanId"].toString(), node[u"spanId"].toString());
        QCOMPARE(failed[u"parentSpanId"].toString(), rootId);
        QCOMPARE(node[u"name"].toString(), QStringLiteral("invoke_agent writer"));
        QCOMPARE(llm[u"name"].toString(), QStringLiteral("chat gpt-4o-mini"));
        QCOMPARE(llm[u"kind"].toInt(), 3); // CLIENT
        QCOMPARE(node[u"kind"].toInt(), 1); // INTERNAL
    }

    // Times: decimal strings of nanoseconds since the epoch.
    void nanoTimesAreStrings()
    {
        const QJsonArray spans = spansOf(exportOtlp(workflowRecord()));
        const QJsonObject llm = spanNamed(spans, QStringLiteral("step-llm"));
        QVERIFY(llm[u"startTimeUnixNano"].isString());
        QVERIFY(llm[u"endTimeUnixNano"].isString());
        QCOMPARE(
            llm[u"startTimeUnixNano"].toString(), QString::number((1'790'000'000'000LL + 6) * 1'000'000LL));
        QCOMPARE(
            llm[u"endTimeUnixNano"].toString(), QString::number((1'790'000'000'000LL + 580) * 1'000'000LL));
        const QJsonObject root = spans[0].toObject();
        QCOMPARE(
            root[u"startTimeUnixNano"].toString(), QString::number((1'790'000'000'000LL + 5) * 1'000'000LL));
    }

    // GenAI attributes with their OTLP value types (intValue as a string, doubles as numbers).
    void genAiAttributes()
    {
        const QJsonArray spans = spansOf(exportOtlp(workflowRecord()));
        const QJsonObject llm = spanNamed(spans, QStringLiteral("step-llm"));
        QCOMPARE(attrValue(llm, QStringLiteral("gen_ai.operation.name"))[u"stringValue"].toString(),
            QStringLiteral("chat"));
        QCOMPARE(attrValue(llm, QStringLiteral("gen_ai.provider.name"))[u"stringValue"].toString(),
            QStringLiteral("openai"));
        QCOMPARE(attrValue(llm, QStringLiteral("gen_ai.request.model"))[u"stringValue"].toString(),
            QStringLiteral("gpt-4o-mini"));
        QCOMPARE(attrValue(llm, QStringLiteral("gen_ai.usage.input_tokens"))[u"intValue"].toString(),
            QStringLiteral("100"));
        QCOMPARE(attrValue(llm, QStringLiteral("gen_ai.usage.output_tokens"))[u"intValue"].toString(),
            QStringLiteral("30"));
        QCOMPARE(
            attrValue(llm, QStringLiteral("gen_ai.usage.cache_read.input_tokens"))[u"intValue"].toString(),
            QStringLiteral("20"));
        QCOMPARE(
            attrValue(llm, QStringLiteral("gen_ai.usage.reasoning.output_tokens"))[u"intValue"].toString(),
            QStringLiteral("5"));
        QCOMPARE(
            attrValue(llm, QStringLiteral("gen_ai.response.time_to_first_chunk"))[u"doubleValue"].toDouble(),
            0.412);
        QCOMPARE(attrValue(llm, QStringLiteral("agentstudio.cost_usd"))[u"doubleValue"].toDouble(), 0.0003);
        QCOMPARE(attrValue(llm, QStringLiteral("agentstudio.node_id"))[u"stringValue"].toString(),
            QStringLiteral("draft"));
        QCOMPARE(
            attrValue(llm, QStringLiteral("agentstudio.tokens_estimated"))[u"boolValue"].toBool(), false);
        // Prompt messages in the conventions' parts format.
        const QJsonArray messages = QJsonDocument::fromJson(
            attrValue(llm, QStringLiteral("gen_ai.input.messages"))[u"stringValue"].toString().toUtf8())
                                        .array();
        QCOMPARE(messages[0][u"role"].toString(), QStringLiteral("user"));
        QCOMPARE(messages[0][u"parts"][0][u"content"].toString(), QStringLiteral("hi"));

        const QJsonObject root = spans[0].toObject();
        QCOMPARE(attrValue(root, QStringLiteral("gen_ai.operation.name"))[u"stringValue"].toString(),
            QStringLiteral("invoke_workflow"));
        QCOMPARE(attrValue(root, QStringLiteral("gen_ai.usage.input_tokens"))[u"intValue"].toString(),
            QStringLiteral("120"));
        QCOMPARE(
            attrValue(root, QStringLiteral("gen_ai.response.time_to_first_chunk"))[u"doubleValue"].toDouble(),
            0.21);
        // Deprecated names are not emitted.
        QVERIFY(attrValue(llm, QStringLiteral("gen_ai.system")).isEmpty());
        QVERIFY(attrValue(llm, QStringLiteral("gen_ai.usage.prompt_tokens")).isEmpty());
    }

    // Content is opt-out.
    void contentOptOut()
    {
        OtlpOptions options;
        options.includeContent = false;
        const QJsonObject llm
            = spanNamed(spansOf(exportOtlp(workflowRecord(), options)), QStringLiteral("step-llm"));
        QVERIFY(attrValue(llm, QStringLiteral("gen_ai.input.messages")).isEmpty());
        QVERIFY(attrValue(llm, QStringLiteral("gen_ai.output.messages")).isEmpty());
    }

    // Failure: status {code 2, message} and error.type; success leaves the status unset.
    void errorStatus()
    {
        ExecutionRecord e = workflowRecord();
        e.status = ExecutionStatus::Failed;
        e.errorMessage = QStringLiteral("node draft failed");
        const QJsonArray spans = spansOf(exportOtlp(e));
        const QJsonObject failed = spanNamed(spans, QStringLiteral("step-fail"));
        QCOMPARE(failed[u"status"][u"code"].toInt(), 2);
        QCOMPARE(failed[u"status"][u"message"].toString(),
            QStringLiteral("openai: 429 rate_limit_exceeded: slow down"));
        QCOMPARE(attrValue(failed, QStringLiteral("error.type"))[u"stringValue"].toString(),
            QStringLiteral("rate_limit_exceeded"));
        QCOMPARE(attrValue(failed, QStringLiteral("agentstudio.attempt"))[u"intValue"].toString(),
            QStringLiteral("2"));
        const QJsonObject root = spans[0].toObject();
        QCOMPARE(root[u"status"][u"code"].toInt(), 2);
        QCOMPARE(root[u"status"][u"message"].toString(), QStringLiteral("node draft failed"));
        QCOMPARE(attrValue(root, QStringLiteral("error.type"))[u"stringValue"].toString(),
            QStringLiteral("_OTHER"));
        const QJsonObject ok = spanNamed(spans, QStringLiteral("step-llm"));
        QVERIFY(!ok[u"status"].toObject().contains(u"code"));
        QVERIFY(attrValue(ok, QStringLiteral("error.type")).isEmpty());
    }

    // A tool step is an `execute_tool {tool}` INTERNAL span with the GenAI tool attributes: name,
    // call id, type (extension for an MCP / command source, function otherwise), arguments and
    // result; a tool error result is a span with status error even without an error message.
    // The workspace's sources give the tool type: mcp and command are extensions, mock a
    // function (what the runner's `show --workspace` and the trace viewer's export pass).
    void toolTypeFromTheWorkspace()
    {
        Workspace ws;
        ToolSourceSpec orders;
        orders.id = QStringLiteral("orders");
        orders.kind = QStringLiteral("command");
        ws.tools = { orders };
        const OtlpOptions options = OtlpOptions::forWorkspace(ws);
        QCOMPARE(options.toolSourceKinds.value(QStringLiteral("orders")), QStringLiteral("command"));
        const ExecutionRecord e = makeToolTraceRecord(3, 2);
        const QJsonObject tool = spanNamed(spansOf(exportOtlp(e, options)), e.steps[1].id);
        QCOMPARE(attrValue(tool, QStringLiteral("gen_ai.tool.type"))[u"stringValue"].toString(),
            QStringLiteral("extension"));
        const QJsonObject plain = spanNamed(spansOf(exportOtlp(e, OtlpOptions())), e.steps[1].id);
        QCOMPARE(attrValue(plain, QStringLiteral("gen_ai.tool.type"))[u"stringValue"].toString(),
            QStringLiteral("function"));
    }

    void toolStepsAreExecuteToolSpans()
    {
        ExecutionRecord e = makeToolTraceRecord(3, 2);
        e.steps[3].errorMessage.clear(); // the error result alone marks the span
        e.steps[3].status = StepStatus::Completed;
        OtlpOptions options;
        options.toolSourceKinds.insert(QStringLiteral("orders"), QStringLiteral("mcp"));
        const QJsonArray spans = spansOf(exportOtlp(e, options));
        const QJsonObject tool = spanNamed(spans, e.steps[1].id);
        QCOMPARE(tool[u"name"].toString(), QStringLiteral("execute_tool lookup_order"));
        QCOMPARE(tool[u"kind"].toInt(), 1);
        QCOMPARE(tool[u"parentSpanId"].toString(), otlpRootSpanId(e));
        const auto text = [&](const QJsonObject &span, const char *key) {
            return attrValue(span, QString::fromLatin1(key))[u"stringValue"].toString();
        };
        QCOMPARE(text(tool, "gen_ai.operation.name"), QStringLiteral("execute_tool"));
        QCOMPARE(text(tool, "gen_ai.tool.name"), QStringLiteral("lookup_order"));
        QCOMPARE(text(tool, "gen_ai.tool.call.id"), QStringLiteral("call_0"));
        QCOMPARE(text(tool, "gen_ai.tool.type"), QStringLiteral("extension"));
        QCOMPARE(text(tool, "agentstudio.tool.source"), QStringLiteral("orders"));
        QCOMPARE(text(tool, "gen_ai.tool.call.arguments"), QStringLiteral("{\"order_id\":42}"));
        const QJsonObject result
            = QJsonDocument::fromJson(text(tool, "gen_ai.tool.call.result").toUtf8()).object();
        QCOMPARE(result[u"structuredContent"][u"status"].toString(), QStringLiteral("shipped"));
        QVERIFY(!tool[u"status"].toObject().contains(u"code"));
        QVERIFY(attrValue(tool, QStringLiteral("gen_ai.usage.input_tokens")).isEmpty());

        const QJsonObject failed = spanNamed(spans, e.steps[3].id);
        QCOMPARE(failed[u"status"][u"code"].toInt(), 2);
        QCOMPARE(failed[u"status"][u"message"].toString(), QStringLiteral("order 43 not found"));
        QCOMPARE(text(failed, "error.type"), QStringLiteral("_OTHER"));

        // Without the source's kind the tool is a function; without content, no arguments.
        OtlpOptions bare;
        bare.includeContent = false;
        const QJsonObject plain = spanNamed(spansOf(exportOtlp(e, bare)), e.steps[1].id);
        QCOMPARE(text(plain, "gen_ai.tool.type"), QStringLiteral("function"));
        QVERIFY(attrValue(plain, QStringLiteral("gen_ai.tool.call.arguments")).isEmpty());
        QVERIFY(attrValue(plain, QStringLiteral("gen_ai.tool.call.result")).isEmpty());
    }

    // A single agent run is invoke_agent {agent}; unknown cost is absent, never 0.
    void agentRootAndUnknownCost()
    {
        ExecutionRecord e;
        e.id = QStringLiteral("x");
        e.executionType = ExecutionType::Agent;
        e.agentId = QStringLiteral("summarizer");
        e.status = ExecutionStatus::Completed;
        e.startedAt = t(0);
        e.completedAt = t(10);
        e.tokensEstimated = true;
        const QJsonObject root = spansOf(exportOtlp(e))[0].toObject();
        QCOMPARE(root[u"name"].toString(), QStringLiteral("invoke_agent summarizer"));
        QVERIFY(attrValue(root, QStringLiteral("agentstudio.cost_usd")).isEmpty());
        QCOMPARE(attrValue(root, QStringLiteral("agentstudio.cost_known"))[u"boolValue"].toBool(), false);
        QCOMPARE(
            attrValue(root, QStringLiteral("agentstudio.tokens_estimated"))[u"boolValue"].toBool(), true);
        QCOMPARE(attrValue(root, QStringLiteral("gen_ai.agent.name"))[u"stringValue"].toString(),
            QStringLiteral("summarizer"));
    }

    // error.type classification, data-driven.
    void errorType_data()
    {
        QTest::addColumn<ExecutionStatus>("status");
        QTest::addColumn<QString>("message");
        QTest::addColumn<QString>("expected");
        QTest::newRow("http code and name")
            << ExecutionStatus::Failed << "openai: 401 invalid_api_key: Incorrect API key"
            << "invalid_api_key";
        QTest::newRow("http code only") << ExecutionStatus::Failed << "anthropic: 529 "
                                        << "529";
        QTest::newRow("timeout") << ExecutionStatus::Failed << "ollama: idle stream timeout after 30 s"
                                 << "timeout";
        QTest::newRow("interrupted") << ExecutionStatus::Interrupted << ""
                                     << "interrupted";
        QTest::newRow("other") << ExecutionStatus::Failed << "reply does not fit: summary missing"
                               << "_OTHER";
    }
    void errorType()
    {
        QFETCH(ExecutionStatus, status);
        QFETCH(QString, message);
        QFETCH(QString, expected);
        ExecutionRecord e;
        e.id = QStringLiteral("e");
        e.executionType = ExecutionType::Agent;
        e.status = status;
        e.errorMessage = message;
        e.startedAt = t(0);
        const QJsonObject root = spansOf(exportOtlp(e))[0].toObject();
        QCOMPARE(attrValue(root, QStringLiteral("error.type"))[u"stringValue"].toString(), expected);
    }

    // CSV: header + one line per row, quoting of commas, quotes and newlines.
    void historyCsv()
    {
        ExecutionRecord a = workflowRecord();
        a.errorMessage = QStringLiteral("said \"no\", then\nleft");
        ExecutionRecord b;
        b.id = QStringLiteral("b");
        const QString csv = QString::fromUtf8(exportHistoryCsv({ a, b }));
        const QStringList lines = csv.split(QStringLiteral("\r\n"), Qt::SkipEmptyParts);
        QVERIFY(lines[0].startsWith(QLatin1String("id,organization_id,workspace_id,")));
        QVERIFY(csv.contains(QLatin1String("\"said \"\"no\"\", then\nleft\"")));
        QVERIFY(lines.last().startsWith(QLatin1String("b,local,")));
        // Unknown cost is an empty cell, known cost a number.
        QVERIFY(csv.contains(QLatin1String(",0.00042,")));
    }

    void historyJson()
    {
        const QJsonArray a = exportHistoryJson({ workflowRecord() });
        QCOMPARE(a.size(), 1);
        QCOMPARE(a[0][u"id"].toString(), workflowRecord().id);
        QVERIFY(!a[0].toObject().contains(u"steps"));
    }
};

QTEST_GUILESS_MAIN(TestOtlpExport)
#include "tst_otlpexport.moc"
