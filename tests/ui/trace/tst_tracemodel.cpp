#include "tests/support/TraceTestData.h"

#include "core/api/EventSynthesizer.h"
#include "ui/trace/TraceModel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

// TraceModel: the step tree of a stored execution and of a live one, fed idempotently by
// events. Every case runs under QAbstractItemModelTester.
class TestTraceModel : public QObject
{
    Q_OBJECT

private:
    static ExecutionEvent stepEvent(
        ExecutionEvent::Type type, const QString &exec, qint64 seq, const StepRecord &step)
    {
        ExecutionEvent e;
        e.type = type;
        e.executionId = exec;
        e.seq = seq;
        e.step = step;
        return e;
    }

    static StepRecord stepOf(
        const QString &id, StepKind kind, const QString &name, const QString &parent = {})
    {
        StepRecord s;
        s.id = id;
        s.kind = kind;
        s.name = name;
        s.parentStepId = parent;
        s.status = StepStatus::Running;
        return s;
    }

    // Every node index reachable from the top, for structure comparisons.
    static QStringList flatten(const QAbstractItemModel &m, const QModelIndex &parent = {}, int depth = 0)
    {
        QStringList out;
        for (int r = 0; r < m.rowCount(parent); ++r) {
            const QModelIndex i = m.index(r, 0, parent);
            out << QStringLiteral("%1%2|%3|%4")
                       .arg(QString(depth, u' '), i.data().toString(),
                           i.siblingAtColumn(TraceModel::KindColumn).data().toString(),
                           i.siblingAtColumn(TraceModel::StatusColumn).data().toString());
            out += flatten(m, i, depth + 1);
        }
        return out;
    }

private slots:
    void init()
    {
        m_model = std::make_unique<TraceModel>();
        m_tester = std::make_unique<QAbstractItemModelTester>(
            m_model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    }
    void cleanup()
    {
        m_tester.reset();
        m_model.reset();
    }

    // execution → nodes → llm (attempts) / parse, in step order.
    void buildsTreeFromRecord()
    {
        const ExecutionRecord record = makeTraceRecord(3, /*retryEvery=*/2);
        m_model->setExecution(record);
        QCOMPARE(m_model->rowCount(), 1);
        const QModelIndex root = m_model->index(0, 0);
        QCOMPARE(root.data().toString(), QStringLiteral("brief"));
        QCOMPARE(root.data(TraceModel::KindRole).toString(), QStringLiteral("execution"));
        QCOMPARE(m_model->rowCount(root), 3);
        const QModelIndex node0 = m_model->index(0, 0, root);
        QCOMPARE(node0.data().toString(), QStringLiteral("node0"));
        QCOMPARE(m_model->rowCount(node0), 3); // failed attempt, retry, parse
        QCOMPARE(m_model->index(0, 0, node0).data().toString(), QStringLiteral("chat"));
        QCOMPARE(
            m_model->index(0, TraceModel::StatusColumn, node0).data().toString(), QStringLiteral("failed"));
        QCOMPARE(m_model->index(1, 0, node0).data().toString(), QStringLiteral("chat (attempt 2)"));
        QCOMPARE(m_model->index(2, TraceModel::KindColumn, node0).data().toString(), QStringLiteral("parse"));
        QCOMPARE(m_model->rowCount(m_model->index(1, 0, root)), 2);
        QCOMPARE(m_model->nodeCount(), 1 + int(record.steps.size()));

        // Columns: latency, tokens (in → out), cost; parse steps show no cost.
        const QModelIndex llm = m_model->index(1, 0, node0);
        QCOMPARE(llm.siblingAtColumn(TraceModel::LatencyColumn).data().toString(), QStringLiteral("90 ms"));
        QCOMPARE(llm.siblingAtColumn(TraceModel::TokensColumn).data().toString(), QStringLiteral("50 → 20"));
        QCOMPARE(llm.siblingAtColumn(TraceModel::CostColumn).data().toString(), QStringLiteral("$0.00002"));
        QVERIFY(m_model->index(2, TraceModel::CostColumn, node0).data().toString().isEmpty());
        // Times are offsets from queued_at.
        QCOMPARE(root.data(TraceModel::StartMsRole).toLongLong(), 12);
        QCOMPARE(llm.data(TraceModel::TtftMsRole).toLongLong(), 40);
        QCOMPARE(m_model->indexForStep(record.steps[2].id), llm);
        // The payload is reachable for the details pane.
        QCOMPARE(m_model->step(llm)->inputData.value(u"messages").toArray().size(), 2);
        QVERIFY(m_model->step(root) == nullptr);
    }

    // A step whose parent is not in the record hangs under the execution; unknown price shows.
    void orphansAndUnknownPrice()
    {
        ExecutionRecord record = makeTraceRecord(1);
        record.steps[1].parentStepId = QStringLiteral("missing");
        record.steps[1].costUsd.reset();
        m_model->setExecution(record);
        const QModelIndex root = m_model->index(0, 0);
        QCOMPARE(m_model->rowCount(root), 2);
        QCOMPARE(m_model->index(1, TraceModel::CostColumn, root).data().toString(),
            QStringLiteral("price unknown"));
    }

    // Live: steps appear as events arrive; re-delivered events (same seq) change nothing.
    void liveEventsAreIdempotent()
    {
        const QString exec = QStringLiteral("live");
        m_model->startLive(exec);
        QCOMPARE(m_model->rowCount(), 1);
        QCOMPARE(m_model->index(0, TraceModel::StatusColumn).data().toString(), QStringLiteral("queued"));

        ExecutionEventList events;
        ExecutionEvent running = ExecutionEvent::makeStatus(exec, ExecutionStatus::Running);
        running.seq = 1;
        events << running;
        events << stepEvent(ExecutionEvent::Type::StepStarted, exec, 2,
            stepOf(QStringLiteral("n1"), StepKind::Node, QStringLiteral("draft")));
        events << stepEvent(ExecutionEvent::Type::StepStarted, exec, 3,
            stepOf(QStringLiteral("l1"), StepKind::Llm, QStringLiteral("chat"), QStringLiteral("n1")));
        ExecutionEvent c1 = ExecutionEvent::makeChunk(exec, QStringLiteral("l1"), QStringLiteral("Hel"), 1);
        c1.seq = 4;
        ExecutionEvent c2 = ExecutionEvent::makeChunk(exec, QStringLiteral("l1"), QStringLiteral("lo"), 1);
        c2.seq = 5;
        events << c1 << c2;

        QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
        QSignalSpy status(m_model.get(), &TraceModel::executionStatusChanged);
        m_model->applyEvents(events);
        QCOMPARE(inserted.size(), 2);
        QCOMPARE(status.size(), 1);
        const QModelIndex root = m_model->index(0, 0);
        const QModelIndex node = m_model->index(0, 0, root);
        const QModelIndex llm = m_model->index(0, 0, node);
        QCOMPARE(node.data().toString(), QStringLiteral("draft"));
        QCOMPARE(llm.siblingAtColumn(TraceModel::StatusColumn).data().toString(), QStringLiteral("running"));
        QCOMPARE(llm.siblingAtColumn(TraceModel::TokensColumn).data().toString(), QStringLiteral("… → 2"));
        QCOMPARE(m_model->streamedText(QStringLiteral("l1")), QStringLiteral("Hello"));
        QCOMPARE(m_model->lastSeq(), 5);
        QVERIFY(m_model->isLive());

        // The same batch again (a reconnect replaying from the start): nothing changes.
        QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
        m_model->applyEvents(events);
        QCOMPARE(inserted.size(), 2);
        QCOMPARE(changed.size(), 0);
        QCOMPARE(m_model->streamedText(QStringLiteral("l1")), QStringLiteral("Hello"));

        // step_completed with only some keys merges into the step; the streamed text becomes
        // the raw reply.
        ExecutionEventList done;
        StepRecord l1Done;
        l1Done.id = QStringLiteral("l1");
        l1Done.status = StepStatus::Completed;
        l1Done.inputTokens = 7;
        l1Done.outputTokens = 2;
        l1Done.executionTimeMs = 120;
        l1Done.costUsd = 0.5;
        done << stepEvent(ExecutionEvent::Type::StepCompleted, exec, 6, l1Done);
        ExecutionEvent complete;
        complete.type = ExecutionEvent::Type::Complete;
        complete.executionId = exec;
        complete.seq = 7;
        complete.status = ExecutionStatus::Completed;
        complete.summary.edit().inputTokens = 7;
        complete.summary.edit().outputTokens = 2;
        complete.summary.edit().costUsd.reset();
        complete.summary.edit().executionTimeMs = 150;
        done << complete;
        ExecutionEvent otherExecution
            = ExecutionEvent::makeStatus(QStringLiteral("other"), ExecutionStatus::Failed);
        otherExecution.seq = 8;
        done << otherExecution;
        m_model->applyEvents(done);
        QCOMPARE(
            llm.siblingAtColumn(TraceModel::StatusColumn).data().toString(), QStringLiteral("completed"));
        QCOMPARE(llm.siblingAtColumn(TraceModel::TokensColumn).data().toString(), QStringLiteral("7 → 2"));
        QCOMPARE(llm.siblingAtColumn(TraceModel::LatencyColumn).data().toString(), QStringLiteral("120 ms"));
        QCOMPARE(llm.siblingAtColumn(TraceModel::NameColumn).data().toString(), QStringLiteral("chat"));
        QCOMPARE(m_model->step(llm)->outputData.value(u"text").toString(), QStringLiteral("Hello"));
        QCOMPARE(
            root.siblingAtColumn(TraceModel::StatusColumn).data().toString(), QStringLiteral("completed"));
        QCOMPARE(
            root.siblingAtColumn(TraceModel::CostColumn).data().toString(), QStringLiteral("price unknown"));
        QCOMPARE(root.siblingAtColumn(TraceModel::LatencyColumn).data().toString(), QStringLiteral("150 ms"));
        QVERIFY(!m_model->isLive());
        QCOMPARE(m_model->nodeCount(), 3);
    }

    // A running execution opened from history, then its events from seq 1: steps it already
    // has are updated in place, never doubled.
    void eventsOverStoredRecord()
    {
        ExecutionRecord record = makeTraceRecord(2);
        record.status = ExecutionStatus::Running;
        m_model->setExecution(record);
        const int before = m_model->nodeCount();
        const QList<TimedEvent> replay = synthesizeEvents(makeTraceRecord(2));
        ExecutionEventList events;
        for (const TimedEvent &t : replay)
            events << t.event;
        m_model->applyEvents(events);
        QCOMPARE(m_model->nodeCount(), before);
        QCOMPARE(m_model->index(0, TraceModel::StatusColumn).data().toString(), QStringLiteral("completed"));
    }

    // Replaying the synthesized events into an empty model rebuilds the stored tree.
    void replayRebuildsTheTree()
    {
        const ExecutionRecord record = makeTraceRecord(4, 3);
        TraceModel stored;
        stored.setExecution(record);
        m_model->startReplay(record);
        ExecutionEventList events;
        for (const TimedEvent &t : synthesizeEvents(record))
            events << t.event;
        // Delivered in several batches, the way the replayer's frames do.
        for (qsizetype i = 0; i < events.size(); i += 5)
            m_model->applyEvents(events.mid(i, 5));
        QCOMPARE(flatten(*m_model), flatten(stored));
        QCOMPARE(m_model->index(0, TraceModel::CostColumn).data().toString(),
            stored.index(0, TraceModel::CostColumn).data().toString());
    }

    // After a reconnect the replay (from seq 1) can arrive after later live events: children
    // seen before their parent move under it, and the end result is the stored tree.
    void outOfOrderDelivery_data()
    {
        QTest::addColumn<int>("splitAt");
        QTest::newRow("late half first") << 20;
        QTest::newRow("only the end first") << 40;
        QTest::newRow("almost everything first") << 3;
    }
    void outOfOrderDelivery()
    {
        QFETCH(int, splitAt);
        const ExecutionRecord record = makeTraceRecord(4, 3);
        TraceModel stored;
        stored.setExecution(record);
        m_model->startReplay(record);
        ExecutionEventList events;
        for (const TimedEvent &t : synthesizeEvents(record))
            events << t.event;
        QVERIFY(splitAt < events.size());
        m_model->applyEvents(events.mid(splitAt));
        m_model->applyEvents(events); // the replay from the start
        QCOMPARE(flatten(*m_model), flatten(stored));
        QCOMPARE(m_model->lastSeq(), events.last().seq);
    }

    void search()
    {
        m_model->setExecution(makeTraceRecord(10, 5));
        QCOMPARE(m_model->setSearchText(QStringLiteral("rate_limit")), 2); // the two failed attempts
        QCOMPARE(int(m_model->matches().size()), 2);
        const int first = m_model->matches().front();
        QVERIFY(m_model->isMatch(first));
        QVERIFY(m_model->subtreeMatches(0));
        QVERIFY(m_model->subtreeMatches(m_model->nodeAt(first).parent));
        QVERIFY(m_model->indexOfNode(first).data(TraceModel::SearchMatchRole).toBool());
        QVERIFY(m_model->indexOfNode(first).data(Qt::BackgroundRole).isValid());
        QCOMPARE(m_model->setSearchText(QStringLiteral("NODE7")), 3); // the node and its two steps (node_id)
        QCOMPARE(m_model->setSearchText(QString()), 0);
        QVERIFY(m_model->subtreeMatches(5));
    }

    // Big traces build in one reset (no per-row signals).
    void largeTrace()
    {
        QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
        QSignalSpy reset(m_model.get(), &QAbstractItemModel::modelReset);
        m_model->setExecution(makeTraceRecord(10000));
        QCOMPARE(m_model->nodeCount(), 30001);
        QCOMPARE(inserted.size(), 0);
        QCOMPARE(reset.size(), 1);
        QCOMPARE(m_model->rowCount(m_model->index(0, 0)), 10000);
    }

private:
    std::unique_ptr<TraceModel> m_model;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
};

QTEST_MAIN(TestTraceModel)
#include "tst_tracemodel.moc"
