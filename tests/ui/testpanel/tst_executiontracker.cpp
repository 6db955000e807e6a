#include "FeedBackend.h"
#include "ui/testpanel/ExecutionTracker.h"

#include <QSignalSpy>
#include <QTest>

namespace {
ExecutionEvent status(const QString &id, qint64 seq, ExecutionStatus s)
{
    ExecutionEvent e = ExecutionEvent::makeStatus(id, s);
    e.seq = seq;
    return e;
}
ExecutionEvent chunk(const QString &id, qint64 seq, const QString &text, int tokens = 1)
{
    ExecutionEvent e = ExecutionEvent::makeChunk(id, QStringLiteral("step-1"), text, tokens);
    e.seq = seq;
    return e;
}
ExecutionEvent complete(const QString &id, qint64 seq, ExecutionStatus s)
{
    ExecutionEvent e;
    e.type = ExecutionEvent::Type::Complete;
    e.executionId = id;
    e.seq = seq;
    e.status = s;
    e.summary.edit().outputData = QJsonObject { { QStringLiteral("text"), toWire(s) } };
    return e;
}
} // namespace

// The tracker folds one execution's events into signals and RunMetrics: each event once (by
// seq), only events of the followed execution, and nothing after its terminal event.
class TestExecutionTracker : public QObject
{
    Q_OBJECT

private slots:
    void init()
    {
        m_backend = std::make_unique<FeedBackend>(nullptr);
        m_tracker = std::make_unique<ExecutionTracker>(m_backend.get(), nullptr);
        ExecutionRequest request;
        request.agentId = QStringLiteral("writer");
        m_id = m_tracker->start(request);
    }
    void cleanup()
    {
        m_tracker.reset();
        m_backend.reset();
    }

    // A replay after a reconnect sends again what the live stream already gave: a chunk with a
    // seq already seen is dropped, so the text and the token count are not doubled.
    void duplicateSeqIsDroppedOnce()
    {
        QSignalSpy chunks(m_tracker.get(), &ExecutionTracker::chunkReceived);
        m_backend->feed({ status(m_id, 1, ExecutionStatus::Running), chunk(m_id, 2, QStringLiteral("Hel")),
            chunk(m_id, 2, QStringLiteral("Hel")) });
        m_backend->feed({ chunk(m_id, 1, QStringLiteral("stale")), chunk(m_id, 2, QStringLiteral("Hel")),
            chunk(m_id, 3, QStringLiteral("lo")) });
        QCOMPARE(chunks.size(), 2);
        QCOMPARE(chunks.at(0).at(2).toString(), QStringLiteral("Hel"));
        QCOMPARE(chunks.at(1).at(2).toString(), QStringLiteral("lo"));
        QCOMPARE(m_tracker->metrics().outputTokens, 2);
    }

    // Events out of order: one older than the newest already handled is dropped, a gap in the
    // numbering is not waited for (events the journal coalesced never come).
    void outOfOrderAndGaps()
    {
        QSignalSpy statuses(m_tracker.get(), &ExecutionTracker::statusChanged);
        QSignalSpy chunks(m_tracker.get(), &ExecutionTracker::chunkReceived);
        m_backend->feed({ status(m_id, 1, ExecutionStatus::Queued), status(m_id, 4, ExecutionStatus::Running),
            status(m_id, 3, ExecutionStatus::Queued), chunk(m_id, 9, QStringLiteral("x")) });
        QCOMPARE(m_tracker->metrics().status, QStringLiteral("running"));
        QCOMPARE(statuses.size(), 2); // queued, running; the late "queued" (seq 3) is dropped
        QCOMPARE(chunks.size(), 1); // seq 9 after 4: the gap is fine
    }

    // Events of other executions on the same backend (another tab's run) are not this run's.
    void otherExecutionsAreIgnored()
    {
        QSignalSpy chunks(m_tracker.get(), &ExecutionTracker::chunkReceived);
        m_backend->feed({ chunk(QStringLiteral("someone-else"), 1, QStringLiteral("no")),
            chunk(m_id, 1, QStringLiteral("yes")) });
        QCOMPARE(chunks.size(), 1);
        QCOMPARE(chunks.first().at(2).toString(), QStringLiteral("yes"));
    }

    // The complete event is terminal: finished() once with its status and outputs, the tracker
    // idle, and whatever arrives after it (even with a higher seq) is not applied.
    void completeIsTerminal()
    {
        QSignalSpy finished(m_tracker.get(), &ExecutionTracker::finished);
        QSignalSpy chunks(m_tracker.get(), &ExecutionTracker::chunkReceived);
        m_backend->feed({ status(m_id, 1, ExecutionStatus::Running),
            complete(m_id, 2, ExecutionStatus::Completed), chunk(m_id, 3, QStringLiteral("late")) });
        m_backend->feed(
            { complete(m_id, 4, ExecutionStatus::Failed), chunk(m_id, 5, QStringLiteral("later")) });
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.first().at(0).toString(), QStringLiteral("completed"));
        QCOMPARE(finished.first().at(1).toJsonObject().value(QStringLiteral("text")).toString(),
            QStringLiteral("completed"));
        QVERIFY(!m_tracker->isActive());
        QCOMPARE(m_tracker->metrics().status, QStringLiteral("completed"));
        QCOMPARE(chunks.size(), 0);
    }

    // The first event under the run's id confirms it, once, even before the backend's own
    // answer to start() (which then does not confirm it again).
    void firstEventConfirmsOnce()
    {
        QSignalSpy confirmed(m_tracker.get(), &ExecutionTracker::runConfirmed);
        m_backend->feed({ status(m_id, 1, ExecutionStatus::Running) });
        m_backend->answerStart(m_id);
        m_backend->feed({ chunk(m_id, 2, QStringLiteral("a")) });
        QCOMPARE(confirmed.size(), 1);
        QCOMPARE(confirmed.first().at(0).toString(), m_id);
    }

private:
    std::unique_ptr<FeedBackend> m_backend;
    std::unique_ptr<ExecutionTracker> m_tracker;
    QString m_id;
};

QTEST_GUILESS_MAIN(TestExecutionTracker)
#include "tst_executiontracker.moc"
