#include "core/api/ExecutionFold.h"
#include "core/api/ExecutionTypes.h"

#include <QJsonDocument>
#include <QTest>

#include <algorithm>

namespace {

const QString kId = QStringLiteral("exec-1");

ExecutionEvent withSeq(ExecutionEvent e, qint64 seq)
{
    e.seq = seq;
    return e;
}

ExecutionEvent status(ExecutionStatus s, qint64 seq)
{
    return withSeq(ExecutionEvent::makeStatus(kId, s), seq);
}

ExecutionHeader header()
{
    ExecutionHeader h;
    h.workspaceId = QStringLiteral("ws");
    h.agentId = QStringLiteral("writer");
    h.orchestrationId = QStringLiteral("pipeline");
    h.nodeId = QStringLiteral("node-a");
    h.testMode = TestMode::NodeInContext;
    h.executionType = ExecutionType::Test;
    h.triggerType = TriggerType::TestPanel;
    h.inputData = QJsonObject { { QStringLiteral("topic"), QStringLiteral("tides") } };
    h.queuedAt = QDateTime(QDate(2026, 1, 2), QTime(3, 4, 5), Qt::UTC);
    return h;
}

StepRecord startedStep(const QString &id, int number)
{
    StepRecord s;
    s.id = id;
    s.executionId = kId;
    s.agentId = QStringLiteral("writer");
    s.stepNumber = number;
    s.kind = StepKind::Llm;
    s.name = QStringLiteral("call %1").arg(number);
    s.nodeId = QStringLiteral("node-a");
    s.provider = QStringLiteral("openai");
    s.model = QStringLiteral("gpt-x");
    s.spanId = QStringLiteral("00000000000000%1").arg(number, 2, 10, QLatin1Char('0'));
    s.inputData = QJsonObject { { QStringLiteral("model"), QStringLiteral("gpt-x") } };
    s.startedAt = QDateTime(QDate(2026, 1, 2), QTime(3, 4, 6), Qt::UTC);
    s.status = StepStatus::Running;
    return s;
}

StepRecord completedStep(const QString &id, int number)
{
    StepRecord s = startedStep(id, number);
    s.status = StepStatus::Completed;
    s.outputData = QJsonObject { { QStringLiteral("text"), QStringLiteral("reply %1").arg(number) } };
    s.completedAt = QDateTime(QDate(2026, 1, 2), QTime(3, 4, 7), Qt::UTC);
    s.inputTokens = 10;
    s.outputTokens = 5;
    s.tokensUsed = 15;
    return s;
}

// One whole execution, seq 1..n: queued (with header), running, two steps with chunks, complete.
ExecutionEventList fullRun()
{
    ExecutionEventList out;
    ExecutionEvent queued = status(ExecutionStatus::Queued, 0);
    queued.header = header();
    out << queued;
    ExecutionEvent running = status(ExecutionStatus::Running, 0);
    running.queueMs = 12;
    out << running;
    out << ExecutionEvent::makeStep(ExecutionEvent::Type::StepStarted, startedStep(QStringLiteral("s1"), 1));
    out << ExecutionEvent::makeChunk(kId, QStringLiteral("s1"), QStringLiteral("rep"), 1);
    out << ExecutionEvent::makeChunk(kId, QStringLiteral("s1"), QStringLiteral("ly 1"), 1);
    out << ExecutionEvent::makeStep(
        ExecutionEvent::Type::StepCompleted, completedStep(QStringLiteral("s1"), 1));
    out << ExecutionEvent::makeStep(ExecutionEvent::Type::StepStarted, startedStep(QStringLiteral("s2"), 2));
    out << ExecutionEvent::makeChunk(kId, QStringLiteral("s2"), QStringLiteral("reply 2"), 2);
    out << ExecutionEvent::makeStep(
        ExecutionEvent::Type::StepCompleted, completedStep(QStringLiteral("s2"), 2));
    ExecutionSummary sum;
    sum.outputData = QJsonObject { { QStringLiteral("text"), QStringLiteral("reply 2") } };
    sum.inputTokens = 20;
    sum.outputTokens = 10;
    sum.costUsd = 0.25;
    sum.executionTimeMs = 900;
    sum.ttftMs = 40;
    sum.queueMs = 12;
    out << ExecutionEvent::makeComplete(kId, ExecutionStatus::Completed, sum);
    for (int i = 0; i < out.size(); ++i) {
        out[i].executionId = kId;
        out[i].seq = i + 1;
    }
    return out;
}

ExecutionRecord foldAll(const ExecutionEventList &events)
{
    ExecutionFold fold(kId);
    for (const ExecutionEvent &e : events)
        fold.apply(e);
    return fold.record();
}

// The record as a canonical JSON text (with steps) for whole-record comparisons. record().steps
// is in arrival order (stepIndex() is stable for views that append rows), so the steps are put in
// step-number order here; outOfOrderSameRecord() checks the arrival order on its own.
QByteArray canon(ExecutionRecord r)
{
    std::stable_sort(r.steps.begin(), r.steps.end(),
        [](const StepRecord &a, const StepRecord &b) { return a.stepNumber < b.stepNumber; });
    return QJsonDocument(r.toJson(true)).toJson(QJsonDocument::Compact);
}

template <typename E> void checkRoundTrip(std::initializer_list<E> values)
{
    QStringList seen;
    for (E v : values) {
        const QString wire = toWire(v);
        const std::optional<E> back = fromWire<E>(wire);
        QVERIFY2(back.has_value(), qPrintable(wire));
        QCOMPARE(*back, v);
        QCOMPARE(fromWireOr<E>(wire, *std::prev(values.end())), v);
        QVERIFY2(!seen.contains(wire), qPrintable(wire));
        seen << wire;
    }
    QVERIFY(!fromWire<E>(u"no_such_value").has_value());
    QVERIFY(!fromWire<E>(u"Completed").has_value()); // case matters
    QVERIFY(!fromWire<E>(u" running").has_value());
    seen.removeAll(QString());
    QCOMPARE(wireNames<E>(), seen);
}

} // namespace

class TestExecutionFold : public QObject
{
    Q_OBJECT

private slots:
    void typesRoundTrip()
    {
        checkRoundTrip({ ExecutionStatus::Queued, ExecutionStatus::Running, ExecutionStatus::Completed,
            ExecutionStatus::Failed, ExecutionStatus::Cancelled, ExecutionStatus::Interrupted });
        checkRoundTrip({ StepStatus::Running, StepStatus::Completed, StepStatus::Failed,
            StepStatus::Cancelled, StepStatus::Skipped, StepStatus::Interrupted });
        checkRoundTrip({ StepKind::Node, StepKind::Llm, StepKind::Tool, StepKind::Parse });
        checkRoundTrip(
            { TestMode::Unset, TestMode::SingleAgent, TestMode::NodeInContext, TestMode::FullWorkflow });
        checkRoundTrip({ ExecutionType::Agent, ExecutionType::Orchestration, ExecutionType::Test });
        checkRoundTrip({ TriggerType::Api, TriggerType::Cli, TriggerType::Mcp, TriggerType::TestPanel });
        // Unknown text: nullopt, and the lenient reader falls back.
        QVERIFY(!fromWire<ExecutionStatus>(u"").has_value());
        QVERIFY(!fromWire<StepKind>(u"").has_value());
        QCOMPARE(fromWireOr(u"bogus", ExecutionStatus::Interrupted), ExecutionStatus::Interrupted);
        QCOMPARE(toWire(TestMode::Unset), QString());
        QCOMPARE(toWire(TriggerType::TestPanel), QStringLiteral("test_panel"));
        QCOMPARE(toWire(TestMode::NodeInContext), QStringLiteral("node_in_context"));
    }

    void inOrderFold()
    {
        const ExecutionRecord r = foldAll(fullRun());
        QCOMPARE(r.status, ExecutionStatus::Completed);
        QCOMPARE(r.steps.size(), 2);
        QCOMPARE(r.steps[0].status, StepStatus::Completed);
        QCOMPARE(r.steps[1].status, StepStatus::Completed);
        QCOMPARE(r.queueMs, 12);
        QCOMPARE(r.ttftMs, 40);
        QCOMPARE(r.costUsd, std::optional<double>(0.25));
    }

    void duplicateSeqDropped()
    {
        const ExecutionEventList events = fullRun();
        ExecutionFold fold(kId);
        for (const ExecutionEvent &e : events)
            QCOMPARE(fold.apply(e), ExecutionFold::Outcome::Applied);
        const QByteArray once = canon(fold.record());
        for (const ExecutionEvent &e : events)
            QCOMPARE(fold.apply(e), ExecutionFold::Outcome::Duplicate);
        QCOMPARE(canon(fold.record()), once);
        QCOMPARE(fold.lastSeq(), qint64(events.size()));
        QCOMPARE(fold.contiguousSeq(), qint64(events.size()));

        // A duplicated chunk is not streamed twice.
        ExecutionFold live(kId);
        for (int i = 0; i < 4; ++i)
            live.apply(events[i]);
        QCOMPARE(live.apply(events[3]), ExecutionFold::Outcome::Duplicate);
        QCOMPARE(live.streamedText(QStringLiteral("s1")), QStringLiteral("rep"));
        QCOMPARE(live.streamedTokens(), 1);
    }

    void outOfOrderSameRecord()
    {
        const ExecutionEventList events = fullRun();
        const QByteArray inOrder = canon(foldAll(events));

        ExecutionEventList reversed = events;
        std::reverse(reversed.begin(), reversed.end());
        const ExecutionRecord backwards = foldAll(reversed);
        QCOMPARE(canon(backwards), inOrder);
        QCOMPARE(backwards.steps.size(), 2);
        QCOMPARE(backwards.steps[0].id, QStringLiteral("s2")); // arrival order
        QCOMPARE(backwards.steps[1].id, QStringLiteral("s1"));

        // Each adjacent pair swapped.
        ExecutionEventList swapped = events;
        for (int i = 0; i + 1 < swapped.size(); i += 2)
            std::swap(swapped[i], swapped[i + 1]);
        QCOMPARE(canon(foldAll(swapped)), inOrder);

        // A fixed shuffle.
        const QList<int> order { 5, 0, 9, 2, 7, 1, 8, 3, 6, 4 };
        QCOMPARE(order.size(), events.size());
        ExecutionEventList shuffled;
        for (int i : order)
            shuffled << events[i];
        ExecutionFold fold(kId);
        for (const ExecutionEvent &e : shuffled)
            fold.apply(e);
        QCOMPARE(canon(fold.record()), inOrder);
        QVERIFY(!fold.hasGap());
        QCOMPARE(fold.contiguousSeq(), qint64(events.size()));
    }

    void replayAfterLiveFillsEarly()
    {
        const ExecutionEventList events = fullRun();
        const QByteArray whole = canon(foldAll(events));
        const int k = 6; // live from seq 6 (step s1 completed) on
        ExecutionFold fold(kId);
        for (int i = k - 1; i < events.size(); ++i)
            fold.apply(events[i]);
        QVERIFY(fold.hasGap());
        QCOMPARE(fold.contiguousSeq(), 0);
        const ExecutionRecord live = fold.record();
        QCOMPARE(live.status, ExecutionStatus::Completed);
        QVERIFY(live.agentId.isEmpty()); // the header has not come yet

        // The catch-up replay 1..n arrives afterwards.
        for (int i = 0; i < events.size(); ++i) {
            const ExecutionFold::Outcome o = fold.apply(events[i]);
            if (i < k - 1)
                QVERIFY(o != ExecutionFold::Outcome::Duplicate);
            else
                QCOMPARE(o, ExecutionFold::Outcome::Duplicate);
        }
        const ExecutionRecord after = fold.record();
        // What live events set is unchanged.
        QCOMPARE(after.status, ExecutionStatus::Completed);
        QCOMPARE(after.steps.size(), 2);
        QCOMPARE(after.steps[0].status, StepStatus::Completed);
        QCOMPARE(after.steps[1].status, StepStatus::Completed);
        QCOMPARE(after.steps[0].outputData, live.steps[0].outputData);
        QCOMPARE(after.costUsd, live.costUsd);
        QCOMPARE(after.ttftMs, live.ttftMs);
        // The early ones filled in.
        QCOMPARE(after.agentId, QStringLiteral("writer"));
        QCOMPARE(after.inputData, header().inputData);
        QCOMPARE(after.queueMs, 12);
        QVERIFY(!fold.hasGap());
        QCOMPARE(fold.contiguousSeq(), qint64(events.size()));
        QCOMPARE(canon(after), whole);
    }

    void lateRunningNeverUndoesCompleted()
    {
        ExecutionFold fold(kId);
        fold.apply(status(ExecutionStatus::Queued, 1));
        ExecutionSummary sum;
        sum.executionTimeMs = 5;
        fold.apply(withSeq(ExecutionEvent::makeComplete(kId, ExecutionStatus::Completed, sum), 4));
        QCOMPARE(fold.record().status, ExecutionStatus::Completed);
        QCOMPARE(fold.apply(status(ExecutionStatus::Running, 2)), ExecutionFold::Outcome::Stale);
        QCOMPARE(fold.record().status, ExecutionStatus::Completed);
        // Even a status with a higher seq, or an unsequenced one, does not reopen it.
        QCOMPARE(fold.apply(status(ExecutionStatus::Running, 9)), ExecutionFold::Outcome::Stale);
        QCOMPARE(fold.apply(status(ExecutionStatus::Running, 0)), ExecutionFold::Outcome::Stale);
        QCOMPARE(fold.record().status, ExecutionStatus::Completed);
        QVERIFY(fold.isFinished());

        // An older status never replaces a newer one before the end either.
        ExecutionFold open(kId);
        open.apply(status(ExecutionStatus::Running, 3));
        QCOMPARE(open.apply(status(ExecutionStatus::Queued, 1)), ExecutionFold::Outcome::Stale);
        QCOMPARE(open.record().status, ExecutionStatus::Running);
    }

    void replayedStartNeverReopensStep()
    {
        ExecutionFold fold(kId);
        const ExecutionEvent start = withSeq(
            ExecutionEvent::makeStep(ExecutionEvent::Type::StepStarted, startedStep(QStringLiteral("s1"), 1)),
            3);
        ExecutionEvent done = withSeq(ExecutionEvent::makeStep(ExecutionEvent::Type::StepCompleted,
                                          completedStep(QStringLiteral("s1"), 1)),
            5);
        fold.apply(start);
        fold.apply(done);
        QCOMPARE(fold.record().steps.size(), 1);
        QCOMPARE(fold.record().steps[0].status, StepStatus::Completed);
        // The same start replayed under a new seq (a resumed stream renumbered by another server).
        QCOMPARE(fold.apply(withSeq(start, 0)), ExecutionFold::Outcome::Stale);
        QCOMPARE(fold.apply(withSeq(start, 7)), ExecutionFold::Outcome::Stale);
        QCOMPARE(fold.record().steps.size(), 1);
        QCOMPARE(fold.record().steps[0].status, StepStatus::Completed);
        QCOMPARE(fold.record().steps[0].outputData, done.step->outputData);
        QCOMPARE(fold.stepIndex(QStringLiteral("s1")), 0);
    }

    void chunksOfCompletedStepDropped()
    {
        ExecutionFold fold(kId);
        fold.apply(withSeq(
            ExecutionEvent::makeStep(ExecutionEvent::Type::StepStarted, startedStep(QStringLiteral("s1"), 1)),
            1));
        fold.apply(withSeq(ExecutionEvent::makeChunk(kId, QStringLiteral("s1"), QStringLiteral("ab"), 1), 2));
        QCOMPARE(fold.streamedText(QStringLiteral("s1")), QStringLiteral("ab"));
        fold.apply(withSeq(ExecutionEvent::makeStep(
                               ExecutionEvent::Type::StepCompleted, completedStep(QStringLiteral("s1"), 1)),
            4));
        QVERIFY(fold.streamedText(QStringLiteral("s1")).isEmpty());
        const qint64 tokens = fold.streamedTokens();
        // A chunk arriving late (seq 3) or unsequenced after the step completed is dropped.
        QCOMPARE(fold.apply(withSeq(
                     ExecutionEvent::makeChunk(kId, QStringLiteral("s1"), QStringLiteral("cd"), 1), 3)),
            ExecutionFold::Outcome::Stale);
        QCOMPARE(fold.apply(ExecutionEvent::makeChunk(kId, QStringLiteral("s1"), QStringLiteral("ef"), 1)),
            ExecutionFold::Outcome::Stale);
        QVERIFY(fold.streamedText(QStringLiteral("s1")).isEmpty());
        QCOMPARE(fold.streamedTokens(), tokens);
        QCOMPARE(fold.record().steps[0].outputData.value(u"text").toString(), QStringLiteral("reply 1"));
    }

    void partialStepCompletedKeepsIdentity()
    {
        ExecutionFold fold(kId);
        const StepRecord started = startedStep(QStringLiteral("s1"), 1);
        StepRecord startedTool = started;
        startedTool.kind = StepKind::Tool;
        fold.apply(withSeq(ExecutionEvent::makeStep(ExecutionEvent::Type::StepStarted, startedTool), 1));
        fold.apply(withSeq(ExecutionEvent::makeChunk(kId, QStringLiteral("s1"), QStringLiteral("x"), 1), 2));

        // A step_completed that carries only its id, status and figures (from the wire).
        const QJsonObject wire { { QStringLiteral("type"), QStringLiteral("step_completed") },
            { QStringLiteral("execution_id"), kId }, { QStringLiteral("seq"), 3 },
            { QStringLiteral("step"),
                QJsonObject { { QStringLiteral("id"), QStringLiteral("s1") },
                    { QStringLiteral("status"), QStringLiteral("failed") },
                    { QStringLiteral("execution_time_ms"), 77 },
                    { QStringLiteral("error_message"), QStringLiteral("boom") } } } };
        const Result<ExecutionEvent> parsed = ExecutionEvent::fromJson(wire);
        QVERIFY(parsed.ok());
        QCOMPARE(fold.apply(parsed.value()), ExecutionFold::Outcome::Applied);

        QCOMPARE(fold.record().steps.size(), 1);
        const StepRecord &s = fold.record().steps[0];
        QCOMPARE(s.id, started.id);
        QCOMPARE(s.status, StepStatus::Failed);
        QCOMPARE(s.executionTimeMs, 77);
        QCOMPARE(s.errorMessage, QStringLiteral("boom"));
        // Identity from the start.
        QCOMPARE(s.kind, StepKind::Tool);
        QCOMPARE(s.executionId, kId);
        QCOMPARE(s.agentId, started.agentId);
        QCOMPARE(s.stepNumber, started.stepNumber);
        QCOMPARE(s.name, started.name);
        QCOMPARE(s.nodeId, started.nodeId);
        QCOMPARE(s.provider, started.provider);
        QCOMPARE(s.model, started.model);
        QCOMPARE(s.spanId, started.spanId);
        QCOMPARE(s.inputData, started.inputData);
        QCOMPARE(s.startedAt, started.startedAt);
    }

    void headerOfFirstStatusFillsRecord()
    {
        ExecutionFold fold(kId);
        ExecutionEvent queued = status(ExecutionStatus::Queued, 1);
        queued.header = header();
        QCOMPARE(fold.apply(queued), ExecutionFold::Outcome::Applied);
        const ExecutionRecord &r = fold.record();
        QCOMPARE(r.id, kId);
        QCOMPARE(r.status, ExecutionStatus::Queued);
        QCOMPARE(r.workspaceId, QStringLiteral("ws"));
        QCOMPARE(r.agentId, QStringLiteral("writer"));
        QCOMPARE(r.orchestrationId, QStringLiteral("pipeline"));
        QCOMPARE(r.nodeId, QStringLiteral("node-a"));
        QCOMPARE(r.testMode, TestMode::NodeInContext);
        QCOMPARE(r.executionType, ExecutionType::Test);
        QCOMPARE(r.triggerType, TriggerType::TestPanel);
        QCOMPARE(r.inputData, header().inputData);
        QCOMPARE(r.queuedAt, header().queuedAt);

        // The header also fills a record whose later status arrived first, without making it stale.
        ExecutionFold late(kId);
        late.apply(status(ExecutionStatus::Running, 2));
        QCOMPARE(late.apply(queued), ExecutionFold::Outcome::Applied);
        QCOMPARE(late.record().status, ExecutionStatus::Running);
        QCOMPARE(late.record().agentId, QStringLiteral("writer"));
        QCOMPARE(late.record().testMode, TestMode::NodeInContext);
        QCOMPARE(late.record().inputData, header().inputData);
    }

    void foreignEventIgnored()
    {
        ExecutionFold fold(kId);
        QCOMPARE(fold.apply(ExecutionEvent::makeStatus(QStringLiteral("other"), ExecutionStatus::Failed)),
            ExecutionFold::Outcome::Foreign);
        QCOMPARE(fold.record().status, ExecutionStatus::Queued);
    }
};

QTEST_GUILESS_MAIN(TestExecutionFold)
#include "tst_executionfold.moc"
