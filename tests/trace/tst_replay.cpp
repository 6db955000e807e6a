#include "core/api/EventSynthesizer.h"
#include "tests/support/TraceTestData.h"

#include <QTest>

// Replay synthesis: the events a stored run would have produced, in time order with gap-free
// seq, so the trace viewer can play it back with no provider call.
class TestReplay : public QObject
{
    Q_OBJECT

private:
    static QDateTime t(qint64 ms)
    {
        return QDateTime::fromMSecsSinceEpoch(1'790'000'000'000LL + ms, Qt::UTC);
    }

    static ExecutionRecord record()
    {
        ExecutionRecord e;
        e.id = QStringLiteral("exec");
        e.status = ExecutionStatus::Completed;
        e.queuedAt = t(0);
        e.startedAt = t(10);
        e.completedAt = t(1010);
        e.executionTimeMs = 1000;
        e.inputTokens = 7;
        e.outputTokens = 12;
        e.costUsd = 0.25;
        StepRecord node;
        node.id = QStringLiteral("n");
        node.kind = StepKind::Node;
        node.name = QStringLiteral("draft");
        node.startedAt = t(10);
        node.completedAt = t(1000);
        node.status = StepStatus::Completed;
        node.stepNumber = 1;
        StepRecord llm;
        llm.id = QStringLiteral("l");
        llm.parentStepId = node.id;
        llm.kind = StepKind::Llm;
        llm.name = QStringLiteral("chat");
        llm.startedAt = t(20);
        llm.completedAt = t(900);
        llm.ttftMs = 200;
        llm.outputTokens = 12;
        llm.outputData = QJsonObject { { QStringLiteral("text"), QStringLiteral("Hello there, world!") } };
        llm.status = StepStatus::Completed;
        llm.stepNumber = 2;
        e.steps = { node, llm };
        return e;
    }

private slots:
    void orderAndSeq()
    {
        SynthesisOptions options;
        options.maxChunksPerStep = 4;
        const QList<TimedEvent> events = synthesizeEvents(record(), options);
        // queued, running, node started, llm started, 4 chunks, llm done, node done, complete
        QCOMPARE(events.size(), 11);
        for (int i = 0; i < events.size(); ++i) {
            QCOMPARE(events[i].event.seq, qint64(i + 1));
            QCOMPARE(events[i].event.executionId, QStringLiteral("exec"));
            if (i > 0)
                QVERIFY(events[i].atMs >= events[i - 1].atMs);
        }
        QCOMPARE(events[0].event.status, ExecutionStatus::Queued);
        QCOMPARE(events[1].event.status, ExecutionStatus::Running);
        QCOMPARE(events[1].atMs, 10);
        QCOMPARE(events[2].event.type, ExecutionEvent::Type::StepStarted);
        QCOMPARE(events[2].event.step->id, QStringLiteral("n"));
        QCOMPARE(events[2].event.step->status, StepStatus::Running);
        QCOMPARE(events[3].event.step->id, QStringLiteral("l"));
        QCOMPARE(events[4].event.type, ExecutionEvent::Type::Chunk);
        QCOMPARE(events[4].atMs, 220); // first token at start + ttft
        QString text;
        int tokens = 0;
        for (int i = 4; i < 8; ++i) {
            QCOMPARE(events[i].event.stepId, QStringLiteral("l"));
            text += events[i].event.content;
            tokens += events[i].event.tokens;
        }
        QCOMPARE(text, QStringLiteral("Hello there, world!"));
        QCOMPARE(tokens, 12);
        QCOMPARE(events[8].event.type, ExecutionEvent::Type::StepCompleted);
        QCOMPARE(events[8].atMs, 900);
        QCOMPARE(events[8].event.step->status, StepStatus::Completed);
        QCOMPARE(events[10].event.type, ExecutionEvent::Type::Complete);
        QCOMPARE(events[10].atMs, 1010);
        QCOMPARE(events[10].event.summary->costUsd, std::optional<double>(0.25));
        QCOMPARE(events[10].event.summary->outputTokens, 12);
    }

    // Tool steps replay as they ran: step_started already names the tool, its source, its
    // arguments and tool_call_id (what the live view shows while a call runs), no chunks;
    // step_completed carries the result and the latency; llm and tool steps keep their order.
    void toolSteps()
    {
        const ExecutionRecord e = makeToolTraceRecord(2, 2);
        SynthesisOptions options;
        options.maxChunksPerStep = 4;
        const QList<TimedEvent> events = synthesizeEvents(e, options);
        QStringList order;
        const StepRecord *started = nullptr;
        const StepRecord *completed = nullptr;
        for (const TimedEvent &t : events) {
            if (t.event.type == ExecutionEvent::Type::Chunk)
                QVERIFY(t.event.stepId.contains(QLatin1String("-l"))); // only llm steps stream
            if (t.event.type != ExecutionEvent::Type::StepStarted
                && t.event.type != ExecutionEvent::Type::StepCompleted)
                continue;
            const bool isStart = t.event.type == ExecutionEvent::Type::StepStarted;
            if (isStart)
                order << t.event.step->id;
            if (t.event.step->id == QLatin1String("exec-tools-t1"))
                (isStart ? started : completed) = &*t.event.step;
        }
        QCOMPARE(order,
            (QStringList { QStringLiteral("exec-tools-l0"), QStringLiteral("exec-tools-t0"),
                QStringLiteral("exec-tools-l1"), QStringLiteral("exec-tools-t1") }));
        QVERIFY(started && completed);
        QCOMPARE(started->kind, StepKind::Tool);
        QCOMPARE(started->name, QStringLiteral("lookup_order"));
        QCOMPARE(started->provider, QStringLiteral("orders"));
        QCOMPARE(started->toolCallId, QStringLiteral("call_1"));
        QCOMPARE(started->inputData.value(u"order_id").toInt(), 43);
        QVERIFY(started->outputData.isEmpty());
        QCOMPARE(completed->status, StepStatus::Failed);
        QCOMPARE(completed->toolCallId, QStringLiteral("call_1"));
        QCOMPARE(completed->executionTimeMs, 20);
        QVERIFY(completed->outputData.value(u"isError").toBool());
    }

    // Unknown cost replays as null, never 0; steps without times are spread over the run.
    void missingTimesAndUnknownCost()
    {
        ExecutionRecord e = record();
        e.costUsd.reset();
        e.steps[1].startedAt = {};
        e.steps[1].completedAt = {};
        SynthesisOptions options;
        options.maxChunksPerStep = 0;
        const QList<TimedEvent> events = synthesizeEvents(e, options);
        QCOMPARE(events.size(), 7);
        QVERIFY(!events.last().event.summary->costUsd.has_value());
        for (const TimedEvent &te : events)
            QVERIFY(te.atMs >= 0 && te.atMs <= 1010);
    }
};

QTEST_GUILESS_MAIN(TestReplay)
#include "tst_replay.moc"
