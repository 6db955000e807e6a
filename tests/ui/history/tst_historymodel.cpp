#include "HistoryTestBackend.h"

#include "ui/history/HistoryModel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

// HistoryModel: lazy paging through the backend's cursor, stale answers dropped, live updates
// from execution events. Every case runs the model under QAbstractItemModelTester, so a broken
// insert/reset sequence fails here.
class TestHistoryModel : public QObject
{
    Q_OBJECT

private slots:
    void init()
    {
        m_backend = std::make_unique<HistoryTestBackend>();
        m_backend->records = makeHistoryRecords(250);
        m_model = std::make_unique<HistoryModel>(m_backend.get());
        m_model->setPageSize(100);
        m_tester = std::make_unique<QAbstractItemModelTester>(
            m_model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        // Paging is checked step by step below, so this tester leaves fetchMore to the tests;
        // testerDrivesFetchMore() runs one that fetches greedily.
        m_tester->setUseFetchMore(false);
    }

    void cleanup()
    {
        m_tester.reset();
        m_model.reset();
        m_backend.reset();
    }

    // A tester that calls fetchMore itself (as views do) walks every page to the end.
    void testerDrivesFetchMore()
    {
        m_tester.reset();
        QAbstractItemModelTester tester(
            m_model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        tester.setUseFetchMore(true);
        m_model->setQuery(HistoryQuery {});
        QTRY_COMPARE(m_model->rowCount(), 250);
        QTRY_VERIFY(!m_model->isLoading());
        QCOMPARE(m_backend->queries.size(), 3);
        QVERIFY(!m_model->canFetchMore({}));
    }

    // First page newest first; fetchMore follows the cursor to the end, then stops.
    void pagesLazily()
    {
        m_model->setQuery(HistoryQuery {});
        QTRY_COMPARE(m_model->rowCount(), 100);
        QCOMPARE(m_model->data(m_model->index(0, 0), HistoryModel::ExecutionIdRole).toString(),
            QStringLiteral("exec-0249"));
        QVERIFY(m_model->canFetchMore({}));
        m_model->fetchMore({});
        QVERIFY(!m_model->canFetchMore({})); // one request in flight at a time
        QTRY_COMPARE(m_model->rowCount(), 200);
        m_model->fetchMore({});
        QTRY_COMPARE(m_model->rowCount(), 250);
        QTRY_VERIFY(!m_model->isLoading());
        QVERIFY(!m_model->canFetchMore({}));
        QCOMPARE(m_backend->queries.last().cursor, QStringLiteral("200"));
        QCOMPARE(m_backend->queries.last().limit, 100);
        QCOMPARE(m_model->data(m_model->index(249, 0), HistoryModel::ExecutionIdRole).toString(),
            QStringLiteral("exec-0000"));
    }

    // A filter change while a page is in flight: the old answer is dropped, whatever order
    // the answers arrive in.
    void dropsStaleAnswers()
    {
        m_backend->holdReplies = true;
        m_model->setQuery(HistoryQuery {});
        HistoryQuery failedOnly;
        failedOnly.statuses = { ExecutionStatus::Failed };
        m_model->setQuery(failedOnly);
        QCOMPARE(m_backend->heldCount(), 2);
        m_backend->releaseReplies(); // newest first, then the stale one
        QCOMPARE(m_model->rowCount(), 50);
        for (int row = 0; row < m_model->rowCount(); ++row)
            QCOMPARE(m_model->data(m_model->index(row, 0), HistoryModel::StatusRole).toString(),
                QStringLiteral("failed"));
    }

    void filtersReachTheBackend()
    {
        HistoryQuery q;
        q.agentId = QStringLiteral("writer");
        q.search = QStringLiteral("number 248");
        m_model->setQuery(q);
        QTRY_COMPARE(m_model->rowCount(), 1);
        QCOMPARE(m_backend->queries.last().agentId, QStringLiteral("writer"));
        QCOMPARE(m_model->record(0).id, QStringLiteral("exec-0248"));
    }

    // Sorting by a column re-queries with the store's order.
    void sortRequeries()
    {
        m_model->setQuery(HistoryQuery {});
        QTRY_COMPARE(m_model->rowCount(), 100);
        m_model->sort(HistoryModel::LatencyColumn, Qt::DescendingOrder);
        QCOMPARE(m_backend->queries.last().sort, HistoryQuery::Sort::LatencyDesc);
        QTRY_COMPARE(m_model->rowCount(), 100);
        m_model->sort(HistoryModel::TimeColumn, Qt::AscendingOrder);
        QCOMPARE(m_backend->queries.last().sort, HistoryQuery::Sort::OldestFirst);
        QTRY_COMPARE(m_model->rowCount(), 100);
        QCOMPARE(m_model->record(0).id, QStringLiteral("exec-0000"));
    }

    // Display: unknown price is said so, never $0; estimated tokens are marked.
    void display()
    {
        m_backend->records = makeHistoryRecords(7); // exec-0006 has no price
        m_backend->records[6].tokensEstimated = true;
        m_model->setQuery(HistoryQuery {});
        QTRY_COMPARE(m_model->rowCount(), 7);
        QCOMPARE(
            m_model->index(0, HistoryModel::CostColumn).data().toString(), QStringLiteral("price unknown"));
        QVERIFY(!m_model->index(0, 0).data(HistoryModel::CostRole).isValid());
        QCOMPARE(m_model->index(0, HistoryModel::TokensColumn).data().toString(), QStringLiteral("~16 → ~5"));
        QCOMPARE(m_model->index(1, HistoryModel::CostColumn).data().toString(), QStringLiteral("$0.006"));
        QCOMPARE(m_model->index(1, HistoryModel::LatencyColumn).data().toString(), QStringLiteral("105 ms"));
        QCOMPARE(m_model->index(1, HistoryModel::NameColumn).data().toString(), QStringLiteral("summarizer"));
    }

    // Live: a new run appears at the top once, its status and metrics follow the events, and
    // repeated events change nothing.
    void liveUpdates()
    {
        m_model->setQuery(HistoryQuery {});
        QTRY_COMPARE(m_model->rowCount(), 100);

        ExecutionRecord fresh;
        fresh.id = QStringLiteral("live-1");
        fresh.executionType = ExecutionType::Agent;
        fresh.agentId = QStringLiteral("writer");
        fresh.status = ExecutionStatus::Queued;
        fresh.queuedAt = QDateTime::currentDateTimeUtc();
        m_backend->records.append(fresh);

        ExecutionEvent queued = ExecutionEvent::makeStatus(fresh.id, ExecutionStatus::Queued);
        queued.seq = 1;
        ExecutionEvent running = ExecutionEvent::makeStatus(fresh.id, ExecutionStatus::Running);
        running.seq = 2;
        m_backend->emitEvents({ queued });
        m_backend->emitEvents({ running }); // arrives while the record is being fetched
        m_backend->emitEvents({ queued, running });
        QTRY_COMPARE(m_model->rowCount(), 101);
        QCOMPARE(m_backend->fetched.count(fresh.id), 1);
        QCOMPARE(m_model->record(0).id, fresh.id);
        QCOMPARE(m_model->record(0).status, ExecutionStatus::Running);
        QCOMPARE(m_model->index(0, HistoryModel::LatencyColumn).data().toString(), QStringLiteral("…"));

        ExecutionEvent done;
        done.type = ExecutionEvent::Type::Complete;
        done.executionId = fresh.id;
        done.seq = 9;
        done.status = ExecutionStatus::Completed;
        done.summary.edit().inputTokens = 52;
        done.summary.edit().outputTokens = 18;
        done.summary.edit().costUsd = 0.0000186;
        done.summary.edit().executionTimeMs = 840;
        done.summary.edit().ttftMs = 210;
        QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
        m_backend->emitEvents({ done });
        QCOMPARE(changed.size(), 1);
        QCOMPARE(
            m_model->index(0, HistoryModel::StatusColumn).data().toString(), QStringLiteral("completed"));
        QCOMPARE(m_model->index(0, HistoryModel::TokensColumn).data().toString(), QStringLiteral("52 → 18"));
        QCOMPARE(m_model->index(0, HistoryModel::LatencyColumn).data().toString(), QStringLiteral("840 ms"));
        QCOMPARE(m_model->index(0, HistoryModel::CostColumn).data().toString(), QStringLiteral("$0.0000186"));
        m_backend->emitEvents({ running }); // a late duplicate never undoes the final status
        QCOMPARE(m_model->record(0).status, ExecutionStatus::Completed);
        QCOMPARE(m_model->rowCount(), 101);
    }

    // A new run that does not fit the filters is not inserted.
    void liveInsertRespectsFilters()
    {
        HistoryQuery q;
        q.agentId = QStringLiteral("summarizer");
        m_model->setQuery(q);
        QTRY_COMPARE(m_model->rowCount(), 100);
        ExecutionRecord other;
        other.id = QStringLiteral("live-2");
        other.agentId = QStringLiteral("writer");
        other.status = ExecutionStatus::Queued;
        m_backend->records.append(other);
        m_backend->holdReplies = true; // the fetch answer is delivered below, not by a timer
        m_backend->emitEvents({ ExecutionEvent::makeStatus(other.id, ExecutionStatus::Queued) });
        QCOMPARE(m_backend->fetched.count(other.id), 1);
        QCOMPARE(m_backend->heldCount(), 1);
        m_backend->releaseReplies(); // the answer has arrived (it must not insert)
        QCOMPARE(m_backend->heldCount(), 0);
        QCOMPARE(m_model->rowCount(), 100);
        QCOMPARE(m_model->rowOf(other.id), -1);
        // Its later events do not fetch it again. A run the model has never seen, in the same
        // batch after them, is fetched: once its fetch is asked for, the events before it have
        // been handled too.
        m_backend->holdReplies = false;
        const QString marker = QStringLiteral("live-3");
        m_backend->emitEvents({ ExecutionEvent::makeStatus(other.id, ExecutionStatus::Running),
            ExecutionEvent::makeStatus(marker, ExecutionStatus::Queued) });
        QTRY_COMPARE(m_backend->fetched.count(marker), 1);
        QCOMPARE(m_backend->fetched.count(other.id), 1);
    }

    // With a status filter, a new run is listed once it ends in a listed status, not before.
    void liveInsertWaitsForListedStatus()
    {
        HistoryQuery q;
        q.statuses = { ExecutionStatus::Failed };
        m_model->setQuery(q);
        QTRY_COMPARE(m_model->rowCount(), 50);
        QTRY_VERIFY(!m_model->isLoading());
        for (const QString &id : { QStringLiteral("will-fail"), QStringLiteral("will-pass") }) {
            ExecutionRecord r;
            r.id = id;
            r.agentId = QStringLiteral("writer");
            r.status = ExecutionStatus::Running;
            m_backend->records.append(r);
        }
        m_backend->holdReplies = true; // both fetch answers are delivered below, not by a timer
        for (const QString &id : { QStringLiteral("will-fail"), QStringLiteral("will-pass") })
            m_backend->emitEvents({ ExecutionEvent::makeStatus(id, ExecutionStatus::Running) });
        QCOMPARE(m_backend->fetched.size(), 2);
        QCOMPARE(m_backend->heldCount(), 2);
        m_backend->releaseReplies(); // both records have arrived, still running: not listed yet
        QCOMPARE(m_backend->heldCount(), 0);
        QCOMPARE(m_model->rowCount(), 50);
        m_backend->holdReplies = false;
        ExecutionEvent failed;
        failed.type = ExecutionEvent::Type::Complete;
        failed.executionId = QStringLiteral("will-fail");
        failed.status = ExecutionStatus::Failed;
        ExecutionEvent passed = failed;
        passed.executionId = QStringLiteral("will-pass");
        passed.status = ExecutionStatus::Completed;
        m_backend->emitEvents({ failed, passed });
        QCOMPARE(m_model->rowCount(), 51);
        QCOMPARE(m_model->record(0).id, QStringLiteral("will-fail"));
        QCOMPARE(m_model->rowOf(QStringLiteral("will-pass")), -1);
    }

    void removeRows()
    {
        m_model->setQuery(HistoryQuery {});
        QTRY_COMPARE(m_model->rowCount(), 100);
        m_model->removeExecutions(
            { QStringLiteral("exec-0249"), QStringLiteral("exec-0200"), QStringLiteral("nope") });
        QCOMPARE(m_model->rowCount(), 98);
        QCOMPARE(m_model->rowOf(QStringLiteral("exec-0248")), 0);
        QCOMPARE(m_model->rowOf(QStringLiteral("exec-0200")), -1);
    }

    // A query the backend answers with an error: reported once with its message, loading
    // ends, and no retry loop through fetchMore (refresh() tries again).
    void failureIsReported()
    {
        m_backend->failQueries = QStringLiteral("history store unavailable");
        QSignalSpy failed(m_model.get(), &HistoryModel::loadFailed);
        m_model->setQuery(HistoryQuery {});
        QVERIFY(m_model->isLoading());
        QVERIFY(failed.wait(5000));
        QCOMPARE(failed.size(), 1);
        QCOMPARE(failed.first().first().toString(), QStringLiteral("history store unavailable"));
        QCOMPARE(m_model->lastError(), QStringLiteral("history store unavailable"));
        QCOMPARE(m_model->rowCount(), 0);
        QVERIFY(!m_model->isLoading());
        QVERIFY(!m_model->canFetchMore({}));
        QCOMPARE(m_backend->queries.size(), 1);
        // A later query that succeeds clears the error.
        m_backend->failQueries.clear();
        m_model->refresh();
        QTRY_COMPARE(m_model->rowCount(), 100);
        QVERIFY(m_model->lastError().isEmpty());
        QCOMPARE(failed.size(), 1);
    }

    // The backend goes away: the model empties its pending state and reports nothing.
    void backendGoneEndsLoading()
    {
        QSignalSpy failed(m_model.get(), &HistoryModel::loadFailed);
        m_backend.reset();
        m_model->setQuery(HistoryQuery {});
        QCOMPARE(m_model->rowCount(), 0);
        QVERIFY(!m_model->isLoading());
        QVERIFY(!m_model->canFetchMore({}));
        QCOMPARE(failed.size(), 0);
    }

private:
    std::unique_ptr<HistoryTestBackend> m_backend;
    std::unique_ptr<HistoryModel> m_model;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
};

QTEST_MAIN(TestHistoryModel)
#include "tst_historymodel.moc"
