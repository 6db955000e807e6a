#include "core/eval/EvalRecorder.h"
#include "core/store/ExecutionStore.h"

#include <QFile>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <memory>

using namespace Qt::StringLiterals;

namespace {

const QDateTime kT0 = QDateTime(QDate(2026, 11, 3), QTime(10, 0, 0, 5), Qt::UTC);

EvalRunRecord run(
    const QString &id, int minute, EvalRunStatus status, const QString &dataset = u"/d/a.eval.json"_s)
{
    EvalRunRecord r;
    r.id = id;
    r.name = u"recorder test"_s;
    r.datasetPath = dataset;
    r.workspaceId = u"demo"_s;
    r.variants = { u"baseline"_s };
    r.status = status;
    r.startedAt = kT0.addSecs(60 * minute);
    return r;
}

EvalResultRecord result(const QString &runId, int i)
{
    EvalResultRecord r;
    r.evalRunId = runId;
    r.caseId = u"case-%1"_s.arg(i, 5, 10, QLatin1Char('0'));
    r.caseOrder = i;
    r.variant = u"baseline"_s;
    r.outcome = i % 3 == 0 ? EvalOutcome::Fail : EvalOutcome::Pass;
    r.score = i % 3 == 0 ? 0 : 1;
    return r;
}

struct Loaded
{
    bool answered = false;
    QThread *thread = nullptr;
    EvalRunRecord run;
    QList<EvalResultRecord> results;
    QString error;
};

// loadRun, waiting (event loop running) for its answer.
Loaded load(EvalRecorder &recorder, const QString &id, const QString &dataset = {})
{
    Loaded out;
    QObject context;
    recorder.loadRun(StoreScope::workspace(u"local"_s, u"demo"_s), id, dataset, &context,
        [&out](const EvalRunRecord &r, const QList<EvalResultRecord> &results, const QString &error) {
            out.answered = true;
            out.thread = QThread::currentThread();
            out.run = r;
            out.results = results;
            out.error = error;
        });
    QTest::qWaitFor([&out] { return out.answered; }, 30000);
    return out;
}

} // namespace

class TestEvalRecorder : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void writesInOrderAndReadsOnTheCallersThread();
    void tenThousandResultsAreBatched();
    void latestIsTheNewestFinishedRunOfTheDataset();
    void deadContextIsNeverCalled();
    void callsReturnWhileTheDatabaseIsLocked();
    void destructorFinishesQueuedWrites();
    void openErrorReachesSignalAndReads();

private:
    QString dbPath() const { return m_dir->filePath(u"executions.db"_s); }
    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestEvalRecorder::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestEvalRecorder::writesInOrderAndReadsOnTheCallersThread()
{
    EvalRecorder recorder(dbPath());
    QSignalSpy errors(&recorder, &EvalRecorder::error);
    EvalRunRecord r = run(u"r1"_s, 0, EvalRunStatus::Running);
    recorder.beginRun(r);
    for (int i = 1; i <= 3; ++i)
        recorder.recordResult(result(r.id, i));
    r.status = EvalRunStatus::Completed;
    r.passed = 2;
    r.failed = 1;
    recorder.finishRun(r); // queued behind the insert: an update before it would find no row
    const Loaded loaded = load(recorder, r.id);
    QVERIFY(loaded.answered);
    QCOMPARE(loaded.thread, QThread::currentThread());
    QCOMPARE(loaded.error, QString());
    QCOMPARE(loaded.run.status, EvalRunStatus::Completed);
    QCOMPARE(loaded.run.passed, 2);
    QCOMPARE(loaded.results.size(), 3);
    QCOMPARE(loaded.results.at(2).caseId, u"case-00003"_s);
    QCOMPARE(errors.size(), 0);
}

void TestEvalRecorder::tenThousandResultsAreBatched()
{
    EvalRecorder recorder(dbPath());
    recorder.beginRun(run(u"big"_s, 0, EvalRunStatus::Running));
    for (int i = 1; i <= 10000; ++i)
        recorder.recordResult(result(u"big"_s, i));
    recorder.flush();
    // Batched into transactions: far fewer commits (and fsyncs) than results.
    QVERIFY2(recorder.transactions() < 1000, qPrintable(QString::number(recorder.transactions())));
    qInfo("10,000 results in %lld transactions", recorder.transactions());
    ExecutionStore check(dbPath());
    QVERIFY(check.open().ok());
    QCOMPARE(check.evalResults(u"big"_s)->size(), 10000);
}

void TestEvalRecorder::latestIsTheNewestFinishedRunOfTheDataset()
{
    EvalRecorder recorder(dbPath());
    recorder.beginRun(run(u"old-completed"_s, 0, EvalRunStatus::Completed));
    recorder.beginRun(run(u"cancelled"_s, 1, EvalRunStatus::Cancelled));
    recorder.beginRun(run(u"failed"_s, 2, EvalRunStatus::Failed));
    recorder.beginRun(run(u"interrupted"_s, 3, EvalRunStatus::Interrupted));
    recorder.beginRun(run(u"other-dataset"_s, 4, EvalRunStatus::Completed, u"/d/b.eval.json"_s));
    recorder.beginRun(run(u"running"_s, 5, EvalRunStatus::Running));
    QCOMPARE(load(recorder, u"latest"_s, u"/d/a.eval.json"_s).run.id, u"cancelled"_s);
    QCOMPARE(load(recorder, u"latest"_s, u"/d/b.eval.json"_s).run.id, u"other-dataset"_s);
    const Loaded none = load(recorder, u"latest"_s, u"/d/c.eval.json"_s);
    QCOMPARE(none.error, u"no finished eval run of /d/c.eval.json to use as \"latest\""_s);
    QCOMPARE(load(recorder, u"nope"_s).error, u"no eval run with id nope"_s);
}

void TestEvalRecorder::deadContextIsNeverCalled()
{
    EvalRecorder recorder(dbPath());
    recorder.beginRun(run(u"r"_s, 0, EvalRunStatus::Completed));
    bool deadCalled = false;
    auto context = std::make_unique<QObject>();
    recorder.listRuns(StoreScope::everyWorkspace(), 10, {}, context.get(),
        [&deadCalled](const QList<EvalRunRecord> &, const QString &) { deadCalled = true; });
    context.reset(); // the view went away before the answer
    QList<EvalRunRecord> runs;
    bool liveCalled = false;
    QObject live;
    recorder.listRuns(
        StoreScope::everyWorkspace(), 10, {}, &live, [&](const QList<EvalRunRecord> &r, const QString &) {
            liveCalled = true;
            runs = r;
        });
    QTRY_VERIFY_WITH_TIMEOUT(liveCalled, 30000); // answered in order: the first one came before
    QVERIFY(!deadCalled);
    QCOMPARE(runs.size(), 1);
}

void TestEvalRecorder::callsReturnWhileTheDatabaseIsLocked()
{
    {
        ExecutionStore create(dbPath());
        QVERIFY(create.open().ok());
    }
    EvalRecorder recorder(dbPath());
    // Another process holds the write lock: a recorder call that waited for the disk would not
    // return until it was released (below, only after every call returned).
    const QString name = u"locker"_s;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, name);
        db.setDatabaseName(dbPath());
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(u"BEGIN IMMEDIATE"_s));
        recorder.beginRun(run(u"locked"_s, 0, EvalRunStatus::Running));
        for (int i = 1; i <= 50; ++i)
            recorder.recordResult(result(u"locked"_s, i));
        bool answered = false;
        QObject context;
        recorder.listRuns(StoreScope::everyWorkspace(), 5, {}, &context,
            [&answered](const QList<EvalRunRecord> &, const QString &) { answered = true; });
        QVERIFY(!answered); // the read waits on the worker, not here
        QVERIFY(q.exec(u"COMMIT"_s));
        QTRY_VERIFY_WITH_TIMEOUT(answered, 30000);
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    QCOMPARE(load(recorder, u"locked"_s).results.size(), 50);
}

void TestEvalRecorder::destructorFinishesQueuedWrites()
{
    {
        EvalRecorder recorder(dbPath());
        recorder.beginRun(run(u"r"_s, 0, EvalRunStatus::Running));
        for (int i = 1; i <= 200; ++i)
            recorder.recordResult(result(u"r"_s, i));
    }
    ExecutionStore check(dbPath());
    QVERIFY(check.open().ok());
    QCOMPARE(check.evalResults(u"r"_s)->size(), 200);
    // The recorder closed its store: this one is the only owner and recovers the run.
    QCOMPARE(check.evalRun(StoreScope::everyWorkspace(), u"r"_s)->status, EvalRunStatus::Interrupted);
}

void TestEvalRecorder::openErrorReachesSignalAndReads()
{
    QFile blocker(m_dir->filePath(u"not-a-folder"_s));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    EvalRecorder recorder(m_dir->filePath(u"not-a-folder/executions.db"_s));
    QSignalSpy errors(&recorder, &EvalRecorder::error);
    QVERIFY(errors.wait(30000));
    QVERIFY2(errors.first().first().toString().contains(u"not-a-folder"_s),
        qPrintable(errors.first().first().toString()));
    const Loaded loaded = load(recorder, u"latest"_s);
    QVERIFY(loaded.answered);
    QVERIFY2(loaded.error.startsWith(u"eval records: "_s), qPrintable(loaded.error));
}

QTEST_GUILESS_MAIN(TestEvalRecorder)
#include "tst_evalrecorder.moc"
