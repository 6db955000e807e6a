#include "core/engine/EventJournal.h"

#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;

// The event journal alone: seq, batching per event-loop turn, replay buffer, retention.
class TestEventJournal : public QObject
{
    Q_OBJECT
private slots:
    void seqGapFreePerExecution();
    void oneBatchPerTurn();
    void inlineFlushAtTheLimit();
    void replayHasTheBatchBeforeItIsEmitted();
    void openTwiceRefused();
    void retentionByCount();
    void retentionByAge();
    void beforeFlushSeesComplete();
};

namespace {

ExecutionEvent chunk(const QString &text)
{
    ExecutionEvent e;
    e.type = ExecutionEvent::Type::Chunk;
    e.content = text;
    return e;
}

ExecutionEvent complete()
{
    ExecutionEvent e;
    e.type = ExecutionEvent::Type::Complete;
    e.status = ExecutionStatus::Completed;
    return e;
}

} // namespace

void TestEventJournal::seqGapFreePerExecution()
{
    EventJournal j(60000, 1000);
    QVERIFY(j.open(u"a"_s));
    QVERIFY(j.open(u"b"_s));
    for (int i = 0; i < 5; ++i) {
        j.append(u"a"_s, chunk(u"x"_s));
        if (i % 2 == 0)
            j.append(u"b"_s, chunk(u"y"_s));
    }
    j.flush();
    const ExecutionEventList a = j.eventsSince(u"a"_s, 0);
    const ExecutionEventList b = j.eventsSince(u"b"_s, 0);
    QCOMPARE(a.size(), 5);
    QCOMPARE(b.size(), 3);
    for (int i = 0; i < a.size(); ++i) {
        QCOMPARE(a.at(i).seq, qint64(i + 1));
        QCOMPARE(a.at(i).executionId, u"a"_s);
    }
    for (int i = 0; i < b.size(); ++i)
        QCOMPARE(b.at(i).seq, qint64(i + 1));
    QCOMPARE(j.eventsSince(u"a"_s, 3).first().seq, qint64(4));
    QVERIFY(j.eventsSince(u"a"_s, 5).isEmpty());
}

void TestEventJournal::oneBatchPerTurn()
{
    EventJournal j(60000, 1000);
    QSignalSpy batches(&j, &EventJournal::eventsReady);
    j.open(u"a"_s);
    j.append(u"a"_s, chunk(u"1"_s));
    j.append(u"a"_s, chunk(u"2"_s));
    j.append(u"a"_s, chunk(u"3"_s));
    QCOMPARE(batches.size(), 0); // nothing before the loop turns
    QVERIFY(batches.wait());
    QCOMPARE(batches.size(), 1);
    QCOMPARE(batches.first().first().value<ExecutionEventList>().size(), 3);
}

void TestEventJournal::inlineFlushAtTheLimit()
{
    EventJournal j(60000, 100000);
    QSignalSpy batches(&j, &EventJournal::eventsReady);
    j.open(u"a"_s);
    for (int i = 0; i < EventJournal::kFlushEveryEvents; ++i)
        j.append(u"a"_s, chunk(u"x"_s));
    QCOMPARE(batches.size(), 1); // flushed inline, without a loop turn
    QCOMPARE(batches.first().first().value<ExecutionEventList>().size(), EventJournal::kFlushEveryEvents);
}

void TestEventJournal::replayHasTheBatchBeforeItIsEmitted()
{
    EventJournal j(60000, 1000);
    j.open(u"a"_s);
    qsizetype seen = -1;
    connect(&j, &EventJournal::eventsReady, this, [&](const ExecutionEventList &batch) {
        seen = j.eventsSince(u"a"_s, 0).size();
        QCOMPARE(batch.last().seq, qint64(seen));
    });
    j.append(u"a"_s, chunk(u"1"_s));
    j.append(u"a"_s, chunk(u"2"_s));
    j.flush();
    QCOMPARE(seen, 2);
}

void TestEventJournal::openTwiceRefused()
{
    EventJournal j(60000, 1000);
    QVERIFY(j.open(u"a"_s));
    QVERIFY(!j.open(u"a"_s));
    bool known = true;
    QVERIFY(j.eventsSince(u"nobody"_s, 0, &known).isEmpty());
    QVERIFY(!known);
    j.eventsSince(u"a"_s, 0, &known);
    QVERIFY(known);
}

void TestEventJournal::retentionByCount()
{
    EventJournal j(60000, 3); // at most 3 events of finished executions
    j.open(u"old"_s);
    j.append(u"old"_s, chunk(u"x"_s));
    j.append(u"old"_s, complete());
    j.finish(u"old"_s);
    j.flush();
    bool known = false;
    j.eventsSince(u"old"_s, 0, &known);
    QVERIFY(known); // 2 <= 3
    j.open(u"new"_s);
    j.append(u"new"_s, chunk(u"y"_s));
    j.append(u"new"_s, complete());
    j.finish(u"new"_s);
    j.flush();
    j.eventsSince(u"old"_s, 0, &known);
    QVERIFY(!known); // 4 > 3: the oldest went
    j.eventsSince(u"new"_s, 0, &known);
    QVERIFY(known);
    QCOMPARE(j.retainedFinishedEvents(), 2);
    // A running execution is kept whatever the count.
    j.open(u"running"_s);
    for (int i = 0; i < 10; ++i)
        j.append(u"running"_s, chunk(u"z"_s));
    j.flush();
    QCOMPARE(j.eventsSince(u"running"_s, 0).size(), 10);
}

void TestEventJournal::retentionByAge()
{
    EventJournal j(0, 1000); // finished executions leave at the first flush after they end
    j.open(u"a"_s);
    j.append(u"a"_s, complete());
    j.flush();
    j.finish(u"a"_s);
    bool known = false;
    j.eventsSince(u"a"_s, 0, &known);
    QVERIFY(known); // not flushed since it finished
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            j.flush();
            bool k = true;
            j.eventsSince(u"a"_s, 0, &k);
            return !k;
        }(),
        2000);
}

void TestEventJournal::beforeFlushSeesComplete()
{
    EventJournal j(60000, 1000);
    QList<bool> calls;
    j.setBeforeFlush([&](bool holdsComplete) { calls << holdsComplete; });
    j.open(u"a"_s);
    j.append(u"a"_s, chunk(u"x"_s));
    j.flush();
    j.append(u"a"_s, complete());
    j.flush();
    j.flush();
    QCOMPARE(calls, (QList<bool> { false, true, false }));
}

QTEST_GUILESS_MAIN(TestEventJournal)
#include "tst_eventjournal.moc"
