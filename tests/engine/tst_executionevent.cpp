#include "core/api/ExecutionEvent.h"
#include "core/api/ExecutionRequest.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

// The event shapes are a wire contract (docs/wire-protocol.md): the server, the remote client and the
// runner's jsonl output all depend on them.
class TestExecutionEvent : public QObject
{
    Q_OBJECT

private:
    static QJsonObject parse(const char *json) { return QJsonDocument::fromJson(QByteArray(json)).object(); }

private slots:
    // Each wire object of docs/wire-protocol.md parses and serialises back to exactly the same object.
    void roundTrip_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<int>("type");
        // The object toJson() writes back when `json` is partial (typed payloads fill every field);
        // empty: `json` itself.
        QTest::addColumn<QByteArray>("canonical");
        QTest::newRow("status") << QByteArray(
            R"({"type":"status","execution_id":"e1","seq":1,"status":"running","queue_ms":12})")
                                << int(ExecutionEvent::Type::Status) << QByteArray();
        QTest::newRow("step_started")
            << QByteArray(
                   R"({"type":"step_started","execution_id":"e1","seq":2,"step":{"id":"s1","name":"draft","kind":"node"}})")
            << int(ExecutionEvent::Type::StepStarted)
            << QByteArray(
                   R"({"execution_id":"e1","seq":2,"step":{"agent_id":null,"attempt":1,"cached_tokens":0,"completed_at":null,"cost_usd":null,"error_message":null,"execution_id":"","execution_time_ms":0,"id":"s1","input_data":{},"input_tokens":0,"kind":"node","model":null,"name":"draft","node_id":null,"output_data":{},"output_tokens":0,"parent_step_id":null,"provider":null,"reasoning_tokens":0,"span_id":"","started_at":null,"status":"running","step_number":0,"tokens_estimated":false,"tokens_used":0,"ttft_ms":null},"type":"step_started"})");
        QTest::newRow("chunk") << QByteArray(
            R"({"type":"chunk","execution_id":"e1","seq":3,"step_id":"s1","content":"Hel","tokens":1})")
                               << int(ExecutionEvent::Type::Chunk) << QByteArray();
        QTest::newRow("step_completed")
            << QByteArray(
                   R"({"type":"step_completed","execution_id":"e1","seq":9,"step":{"id":"s1","status":"completed","output_data":{}}})")
            << int(ExecutionEvent::Type::StepCompleted)
            << QByteArray(
                   R"({"execution_id":"e1","seq":9,"step":{"agent_id":null,"attempt":1,"cached_tokens":0,"completed_at":null,"cost_usd":null,"error_message":null,"execution_id":"","execution_time_ms":0,"id":"s1","input_data":{},"input_tokens":0,"kind":"llm","model":null,"name":"","node_id":null,"output_data":{},"output_tokens":0,"parent_step_id":null,"provider":null,"reasoning_tokens":0,"span_id":"","started_at":null,"status":"completed","step_number":0,"tokens_estimated":false,"tokens_used":0,"ttft_ms":null},"type":"step_completed"})");
        QTest::newRow("complete") << QByteArray(
            R"({"type":"complete","execution_id":"e1","seq":10,"status":"completed","output_data":{"a":1},"input_tokens":52,"output_tokens":18,"cached_tokens":0,"tokens_estimated":false,"cost_usd":0.0000186,"execution_time_ms":840,"ttft_ms":210,"queue_ms":3,"error_message":null})")
                                  << int(ExecutionEvent::Type::Complete) << QByteArray();
        QTest::newRow("complete, unknown cost")
            << QByteArray(
                   R"({"type":"complete","execution_id":"e1","seq":4,"status":"failed","cost_usd":null,"error_message":"node 'review' failed: x"})")
            << int(ExecutionEvent::Type::Complete)
            << QByteArray(
                   R"({"cached_tokens":0,"cost_usd":null,"error_message":"node 'review' failed: x","execution_id":"e1","execution_time_ms":0,"input_tokens":0,"output_data":{},"output_tokens":0,"queue_ms":0,"seq":4,"status":"failed","tokens_estimated":false,"ttft_ms":null,"type":"complete"})");
        QTest::newRow("error") << QByteArray(
            R"({"type":"error","code":"not_found","message":"unknown execution"})")
                               << int(ExecutionEvent::Type::Error) << QByteArray();
    }
    void roundTrip()
    {
        QFETCH(QByteArray, json);
        QFETCH(int, type);
        QFETCH(QByteArray, canonical);
        const QJsonObject in = QJsonDocument::fromJson(json).object();
        QVERIFY(!in.isEmpty());
        const QJsonObject o = canonical.isEmpty() ? in : QJsonDocument::fromJson(canonical).object();
        QVERIFY(!o.isEmpty());
        const Result<ExecutionEvent> e = ExecutionEvent::fromJson(in);
        QVERIFY2(e.ok(), qPrintable(e.error()));
        QCOMPARE(int(e->type), type);
        QCOMPARE(e->toJson(), o);
        // And once more through the struct.
        const Result<ExecutionEvent> again = ExecutionEvent::fromJson(e->toJson());
        QVERIFY(again.ok());
        QCOMPARE(again->toJson(), o);
    }

    void fields()
    {
        const auto chunk = ExecutionEvent::fromJson(
            parse(R"({"type":"chunk","execution_id":"e","seq":3,"step_id":"s","content":"Hi","tokens":2})"));
        QVERIFY(chunk.ok());
        QCOMPARE(chunk->executionId, QStringLiteral("e"));
        QCOMPARE(chunk->seq, qint64(3));
        QCOMPARE(chunk->stepId, QStringLiteral("s"));
        QCOMPARE(chunk->content, QStringLiteral("Hi"));
        QCOMPARE(chunk->tokens, 2);
        QVERIFY(!chunk->isTerminal());

        const auto complete = ExecutionEvent::fromJson(parse(
            R"({"type":"complete","execution_id":"e","seq":9,"status":"cancelled","output_data":{"text":"par"}})"));
        QVERIFY(complete.ok());
        QVERIFY(complete->isTerminal());
        QCOMPARE(complete->status, ExecutionStatus::Cancelled);
        QCOMPARE(
            complete->summary->outputData.value(QLatin1String("text")).toString(), QStringLiteral("par"));

        const auto step = ExecutionEvent::fromJson(
            parse(R"({"type":"step_started","execution_id":"e","seq":2,"step":{"id":"s9","kind":"llm"}})"));
        QVERIFY(step.ok());
        QCOMPARE(step->stepId, QStringLiteral("s9"));
        QCOMPARE(step->step->kind, StepKind::Llm);
    }

    // The partial wire objects of roundTrip() (written back in full) parse to the values they carry.
    void partialObjectsParse()
    {
        const auto started = ExecutionEvent::fromJson(parse(
            R"({"type":"step_started","execution_id":"e1","seq":2,"step":{"id":"s1","name":"draft","kind":"node"}})"));
        QVERIFY2(started.ok(), qPrintable(started.error()));
        QCOMPARE(started->type, ExecutionEvent::Type::StepStarted);
        QCOMPARE(started->executionId, QStringLiteral("e1"));
        QCOMPARE(started->seq, qint64(2));
        QCOMPARE(started->stepId, QStringLiteral("s1"));
        QCOMPARE(started->step->id, QStringLiteral("s1"));
        QCOMPARE(started->step->name, QStringLiteral("draft"));
        QCOMPARE(started->step->kind, StepKind::Node);
        QCOMPARE(started->step->status, StepStatus::Running);

        const auto completed = ExecutionEvent::fromJson(parse(
            R"({"type":"step_completed","execution_id":"e1","seq":9,"step":{"id":"s1","status":"completed","output_data":{}}})"));
        QVERIFY2(completed.ok(), qPrintable(completed.error()));
        QCOMPARE(completed->type, ExecutionEvent::Type::StepCompleted);
        QCOMPARE(completed->seq, qint64(9));
        QCOMPARE(completed->stepId, QStringLiteral("s1"));
        QCOMPARE(completed->step->id, QStringLiteral("s1"));
        QCOMPARE(completed->step->status, StepStatus::Completed);
        QVERIFY(completed->step->outputData.isEmpty());

        const auto failed = ExecutionEvent::fromJson(parse(
            R"({"type":"complete","execution_id":"e1","seq":4,"status":"failed","cost_usd":null,"error_message":"node 'review' failed: x"})"));
        QVERIFY2(failed.ok(), qPrintable(failed.error()));
        QCOMPARE(failed->type, ExecutionEvent::Type::Complete);
        QCOMPARE(failed->seq, qint64(4));
        QCOMPARE(failed->status, ExecutionStatus::Failed);
        QVERIFY(!failed->summary->costUsd.has_value());
        QCOMPARE(failed->summary->errorMessage, QStringLiteral("node 'review' failed: x"));
        QCOMPARE(failed->summary->ttftMs, qint64(-1));
        QCOMPARE(failed->summary->inputTokens, qint64(0));
        QCOMPARE(failed->summary->outputTokens, qint64(0));
        QVERIFY(failed->summary->outputData.isEmpty());
    }

    // A minimal server: no seq, no step id, complete without status.
    void seedMinimalMessages()
    {
        const auto chunk
            = ExecutionEvent::fromJson(parse(R"({"type":"chunk","content":"Hello","tokens":1})"));
        QVERIFY2(chunk.ok(), qPrintable(chunk.error()));
        QCOMPARE(chunk->type, ExecutionEvent::Type::Chunk);
        QCOMPARE(chunk->seq, qint64(0));
        QCOMPARE(chunk->content, QStringLiteral("Hello"));
        QCOMPARE(chunk->tokens, 1);
        QVERIFY(chunk->executionId.isEmpty());

        const auto complete = ExecutionEvent::fromJson(parse(R"({"type":"complete","execution_id":"abc"})"));
        QVERIFY2(complete.ok(), qPrintable(complete.error()));
        QCOMPARE(complete->type, ExecutionEvent::Type::Complete);
        QCOMPARE(complete->seq, qint64(0));
        QCOMPARE(complete->executionId, QStringLiteral("abc"));
        QCOMPARE(complete->status, ExecutionStatus::Completed);
        QVERIFY(complete->isTerminal());
        // Unsequenced events serialise without a seq.
        QVERIFY(!chunk->toJson().contains(QLatin1String("seq")));
    }

    void rejects_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("message");
        QTest::newRow("no type") << QByteArray(R"({"seq":1})") << QStringLiteral("type");
        QTest::newRow("unknown type") << QByteArray(R"({"type":"bogus"})") << QStringLiteral("bogus");
        QTest::newRow("negative seq")
            << QByteArray(R"({"type":"chunk","content":"x","seq":-1})") << QStringLiteral("seq");
        QTest::newRow("fractional seq")
            << QByteArray(R"({"type":"chunk","content":"x","seq":1.5})") << QStringLiteral("seq");
        QTest::newRow("chunk without content")
            << QByteArray(R"({"type":"chunk","seq":1})") << QStringLiteral("content");
        QTest::newRow("chunk tokens not a number")
            << QByteArray(R"({"type":"chunk","content":"x","tokens":"1"})") << QStringLiteral("tokens");
        QTest::newRow("step not an object")
            << QByteArray(R"({"type":"step_started","step":3})") << QStringLiteral("step");
        QTest::newRow("status without status")
            << QByteArray(R"({"type":"status","execution_id":"e","seq":1})") << QStringLiteral("status");
        QTest::newRow("execution id not a string")
            << QByteArray(R"({"type":"chunk","content":"x","execution_id":5})")
            << QStringLiteral("execution_id");
    }
    void rejects()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, message);
        const auto e = ExecutionEvent::fromJson(QJsonDocument::fromJson(json).object());
        QVERIFY(!e.ok());
        QVERIFY2(e.error().contains(message), qPrintable(e.error()));
    }

    void makers()
    {
        const ExecutionEvent s = ExecutionEvent::makeStatus(QStringLiteral("e"), ExecutionStatus::Queued);
        QCOMPARE(s.toJson(), parse(R"({"type":"status","execution_id":"e","status":"queued"})"));
        ExecutionEvent c
            = ExecutionEvent::makeChunk(QStringLiteral("e"), QStringLiteral("s"), QStringLiteral("ab"), 1);
        c.seq = 7;
        QCOMPARE(c.toJson(),
            parse(R"({"type":"chunk","execution_id":"e","seq":7,"step_id":"s","content":"ab","tokens":1})"));
        QCOMPARE(
            ExecutionEvent::typeName(ExecutionEvent::Type::StepCompleted), QStringLiteral("step_completed"));
    }

    void requestRoundTrip()
    {
        ExecutionRequest r;
        r.orchestrationId = QStringLiteral("brief");
        r.nodeId = QStringLiteral("review");
        r.inputs = QJsonObject { { QStringLiteral("strict"), true } };
        r.upstream = QJsonObject { { QStringLiteral("draft"), QStringLiteral("text") } };
        r.triggerType = TriggerType::Cli;
        r.rerunOf = QStringLiteral("old");
        const ExecutionRequest back = ExecutionRequest::fromJson(r.toJson());
        QCOMPARE(back.orchestrationId, r.orchestrationId);
        QCOMPARE(back.nodeId, r.nodeId);
        QCOMPARE(back.inputs, r.inputs);
        QCOMPARE(back.upstream, r.upstream);
        QCOMPARE(back.triggerType, r.triggerType);
        QCOMPARE(back.rerunOf, r.rerunOf);
        QCOMPARE(back.effectiveTestMode(), TestMode::NodeInContext);
        ExecutionRequest a;
        a.agentId = QStringLiteral("x");
        QCOMPARE(a.effectiveTestMode(), TestMode::SingleAgent);
        QCOMPARE(ExecutionRequest::fromJson(a.toJson()).triggerType, TriggerType::TestPanel);
        ExecutionRequest w;
        w.orchestrationId = QStringLiteral("o");
        QCOMPARE(w.effectiveTestMode(), TestMode::FullWorkflow);
    }
};

QTEST_GUILESS_MAIN(TestExecutionEvent)
#include "tst_executionevent.moc"
