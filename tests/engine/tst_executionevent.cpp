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
        QTest::newRow("status") << QByteArray(
            R"({"type":"status","execution_id":"e1","seq":1,"status":"running","queue_ms":12})")
                                << int(ExecutionEvent::Type::Status);
        QTest::newRow("step_started") << QByteArray(
            R"({"type":"step_started","execution_id":"e1","seq":2,"step":{"id":"s1","name":"draft","kind":"node"}})")
                                      << int(ExecutionEvent::Type::StepStarted);
        QTest::newRow("chunk") << QByteArray(
            R"({"type":"chunk","execution_id":"e1","seq":3,"step_id":"s1","content":"Hel","tokens":1})")
                               << int(ExecutionEvent::Type::Chunk);
        QTest::newRow("step_completed") << QByteArray(
            R"({"type":"step_completed","execution_id":"e1","seq":9,"step":{"id":"s1","status":"completed","output_data":{}}})")
                                        << int(ExecutionEvent::Type::StepCompleted);
        QTest::newRow("complete") << QByteArray(
            R"({"type":"complete","execution_id":"e1","seq":10,"status":"completed","output_data":{"a":1},"input_tokens":52,"output_tokens":18,"cached_tokens":0,"tokens_estimated":false,"cost_usd":0.0000186,"execution_time_ms":840,"ttft_ms":210,"queue_ms":3,"error_message":null})")
                                  << int(ExecutionEvent::Type::Complete);
        QTest::newRow("complete, unknown cost") << QByteArray(
            R"({"type":"complete","execution_id":"e1","seq":4,"status":"failed","cost_usd":null,"error_message":"node 'review' failed: x"})")
                                                << int(ExecutionEvent::Type::Complete);
        QTest::newRow("error") << QByteArray(
            R"({"type":"error","code":"not_found","message":"unknown execution"})")
                               << int(ExecutionEvent::Type::Error);
    }
    void roundTrip()
    {
        QFETCH(QByteArray, json);
        QFETCH(int, type);
        const QJsonObject o = QJsonDocument::fromJson(json).object();
        QVERIFY(!o.isEmpty());
        const Result<ExecutionEvent> e = ExecutionEvent::fromJson(o);
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
        QCOMPARE(complete->status, QStringLiteral("cancelled"));
        QCOMPARE(complete->data.value(QLatin1String("output_data"))
                     .toObject()
                     .value(QLatin1String("text"))
                     .toString(),
            QStringLiteral("par"));

        const auto step = ExecutionEvent::fromJson(
            parse(R"({"type":"step_started","execution_id":"e","seq":2,"step":{"id":"s9","kind":"llm"}})"));
        QVERIFY(step.ok());
        QCOMPARE(step->stepId, QStringLiteral("s9"));
        QCOMPARE(step->step.value(QLatin1String("kind")).toString(), QStringLiteral("llm"));
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
        QCOMPARE(complete->status, QStringLiteral("completed"));
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
        const ExecutionEvent s = ExecutionEvent::makeStatus(QStringLiteral("e"), QStringLiteral("queued"));
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
        r.triggerType = QStringLiteral("cli");
        r.rerunOf = QStringLiteral("old");
        const ExecutionRequest back = ExecutionRequest::fromJson(r.toJson());
        QCOMPARE(back.orchestrationId, r.orchestrationId);
        QCOMPARE(back.nodeId, r.nodeId);
        QCOMPARE(back.inputs, r.inputs);
        QCOMPARE(back.upstream, r.upstream);
        QCOMPARE(back.triggerType, r.triggerType);
        QCOMPARE(back.rerunOf, r.rerunOf);
        QCOMPARE(back.effectiveTestMode(), QStringLiteral("node_in_context"));
        ExecutionRequest a;
        a.agentId = QStringLiteral("x");
        QCOMPARE(a.effectiveTestMode(), QStringLiteral("single_agent"));
        QCOMPARE(ExecutionRequest::fromJson(a.toJson()).triggerType, QStringLiteral("test_panel"));
        ExecutionRequest w;
        w.orchestrationId = QStringLiteral("o");
        QCOMPARE(w.effectiveTestMode(), QStringLiteral("full_workflow"));
    }
};

QTEST_GUILESS_MAIN(TestExecutionEvent)
#include "tst_executionevent.moc"
