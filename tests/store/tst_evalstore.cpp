#include "core/common/Util.h"
#include "core/store/ExecutionStore.h"
#include "core/store/PgConnection.h"
#include "core/store/PgStore.h"
#include "tests/support/PgCluster.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;

// One suite, two backends: built as tst_evalstore (SQLite) and, with STORE_BACKEND_POSTGRESQL,
// as tst_evalstore_pg (a fresh PostgreSQL database per test). Tests of SQLite files skip there.
#ifdef STORE_BACKEND_POSTGRESQL
constexpr bool kPostgres = true;
#else
constexpr bool kPostgres = false;
#endif
#define SQLITE_ONLY()                                                                                        \
    do {                                                                                                     \
        if (kPostgres)                                                                                       \
            QSKIP("SQLite file internals");                                                                  \
    } while (false)

namespace {

const StoreScope kEvery = StoreScope::everyWorkspace();
const QDateTime kStart = QDateTime(QDate(2026, 11, 2), QTime(8, 30, 0, 250), Qt::UTC);

EvalRunRecord makeRun(
    const QString &id, int minutesAfterStart, const QString &dataset = u"/data/critic.eval.json"_s)
{
    EvalRunRecord r;
    r.id = id;
    r.name = u"critic regression"_s;
    r.datasetPath = dataset;
    r.datasetSha256 = u"ab12"_s;
    r.dataset = QJsonObject { { u"format"_s, u"agentstudio-eval/1"_s }, { u"cases"_s, QJsonArray { 1, 2 } } };
    r.target = QJsonObject { { u"agent"_s, u"critic"_s } };
    r.variants = { u"strict"_s, u"baseline"_s };
    r.repeat = 2;
    r.concurrency = 3;
    r.cacheMode = CacheMode::ReadWrite;
    r.workspaceId = u"demo"_s;
    r.backend = u"local"_s;
    r.baselineId = u"older"_s;
    r.startedAt = kStart.addSecs(60 * minutesAfterStart);
    r.total = 8;
    r.costUsd = 0.0125;
    r.tokens = 900;
    r.judgeTokens = 40;
    return r;
}

EvalResultRecord makeResult(
    const QString &runId, const QString &caseId, int order, const QString &variant, int repeat)
{
    EvalResultRecord r;
    r.evalRunId = runId;
    r.caseId = caseId;
    r.caseOrder = order;
    r.variant = variant;
    r.repeatIndex = repeat;
    r.executionId = as::newId();
    r.outcome = EvalOutcome::Fail;
    r.score = 0.5;
    r.status = u"completed"_s;
    r.latencyMs = 420;
    r.tokens = 77;
    r.costUsd = 0.001;
    r.cached = true;
    AssertionOutcome a;
    a.index = 0;
    a.type = u"equals"_s;
    a.label = u"equals(verdict)"_s;
    a.reason = u"expected \"revise\", got \"accept\" (at $.verdict)"_s;
    JudgeSample s;
    s.executionId = u"judge-1"_s;
    s.parsed = true;
    s.reason = u"too long"_s;
    AssertionOutcome j;
    j.index = 1;
    j.type = u"judge"_s;
    j.judgeSamples = { s };
    j.judgeTokens = 12;
    r.assertions = { a, j };
    r.output = QJsonObject { { u"verdict"_s, u"accept"_s } };
    r.completedAt = kStart.addSecs(30);
    return r;
}

QString rawScalar(const QString &path, const QString &sql)
{
    const QString name = u"raw-%1"_s.arg(as::newId());
    QString value;
    {
        if (PgStore::isUri(path) && !pgconn::open(name, path, u"raw"_s))
            return u"<cannot connect>"_s;
        QSqlDatabase db = PgStore::isUri(path) ? QSqlDatabase::database(name, false)
                                               : QSqlDatabase::addDatabase(u"QSQLITE"_s, name);
        if (!PgStore::isUri(path))
            db.setDatabaseName(path);
        if (db.isOpen() || db.open()) {
            QSqlQuery q(db);
            if (q.exec(sql) && q.next())
                value = q.value(0).toString();
            else
                value = u"<error: %1>"_s.arg(q.lastError().text());
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return value;
}

// store_owner_helper holding an eval run open in another process.
class EvalOwner
{
public:
    QString start(const QString &db, const QString &runId, int results)
    {
        m_process.start(
            QStringLiteral(STORE_OWNER_HELPER), { u"hold-eval"_s, db, runId, QString::number(results) });
        if (!m_process.waitForStarted(10000))
            return u"<did not start>"_s;
        while (!m_process.canReadLine())
            if (!m_process.waitForReadyRead(20000))
                return u"<no line: %1>"_s.arg(QString::fromUtf8(m_process.readAllStandardError()));
        return QString::fromUtf8(m_process.readLine()).trimmed();
    }
    bool killHard()
    {
        m_process.kill(); // SIGKILL: no destructor runs, the owner lock file stays behind
        return m_process.waitForFinished(10000);
    }
    ~EvalOwner()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.closeWriteChannel();
        if (!m_process.waitForFinished(5000)) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

private:
    QProcess m_process;
};

} // namespace

class TestEvalStore : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void schemaVersion4Tables();
    void runRoundTrip();
    void listNewestFirstWithinScopeAndDataset();
    void resultsUpsertAndOrder();
    void outputKeepsItsJsonType_data();
    void outputKeepsItsJsonType();
    void deletingARunDeletesItsResults();
    void migratesVersion3Database();
    void killedEvalRunIsInterruptedWithResultsKept();
    void liveEvalRunIsNotInterrupted();

private:
    QString dbPath() const { return kPostgres ? m_uri : m_dir->filePath(u"h/executions.db"_s); }
    std::unique_ptr<QTemporaryDir> m_dir;
    PgCluster m_cluster; // PostgreSQL backend only
    QString m_uri;
};

void TestEvalStore::initTestCase()
{
    if (!kPostgres)
        return;
    const Result<void> started = m_cluster.start(); // fails, never skips, without PostgreSQL
    QVERIFY2(started, qPrintable(started ? QString() : started.error()));
}

void TestEvalStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    if (kPostgres) {
        const Result<QString> db = m_cluster.createDatabase(u"eval"_s);
        QVERIFY2(db, qPrintable(db ? QString() : db.error()));
        m_uri = m_cluster.uri(*db);
    }
}

void TestEvalStore::schemaVersion4Tables()
{
    SQLITE_ONLY();
    {
        ExecutionStore store(dbPath());
        QVERIFY(store.open().ok());
    }
    QCOMPARE(rawScalar(dbPath(), u"PRAGMA user_version"_s), u"4"_s);
    QCOMPARE(rawScalar(dbPath(),
                 u"SELECT \"table\" || '/' || on_delete FROM pragma_foreign_key_list('eval_results')"_s),
        u"eval_runs/CASCADE"_s);
    QCOMPARE(rawScalar(dbPath(), u"SELECT COUNT(*) FROM sqlite_master WHERE name = 'idx_eval_results_run'"_s),
        u"1"_s);
    // The row key is unique: a second row for the same case run is refused by SQLite itself.
    QCOMPARE(
        rawScalar(dbPath(),
            u"SELECT COUNT(*) FROM pragma_index_list('eval_results') WHERE \"unique\" = 1 AND origin = 'u'"_s),
        u"1"_s);
    QCOMPARE(rawScalar(dbPath(), u"SELECT COUNT(*) FROM pragma_table_info('response_cache')"_s), u"9"_s);
    const QStringList runColumns = { u"id"_s, u"name"_s, u"dataset_path"_s, u"dataset_sha256"_s, u"dataset"_s,
        u"target"_s, u"variants"_s, u"repeat"_s, u"concurrency"_s, u"cache_mode"_s, u"status"_s, u"error"_s,
        u"organization_id"_s, u"workspace_id"_s, u"backend"_s, u"baseline_id"_s, u"started_at"_s,
        u"completed_at"_s, u"total"_s, u"passed"_s, u"failed"_s, u"errored"_s, u"skipped"_s, u"tokens"_s,
        u"cost_usd"_s, u"judge_tokens"_s, u"judge_cost_usd"_s, u"wall_ms"_s };
    QCOMPARE(rawScalar(dbPath(), u"SELECT group_concat(name, ',') FROM pragma_table_info('eval_runs')"_s),
        runColumns.join(u','));
}

void TestEvalStore::runRoundTrip()
{
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    EvalRunRecord run = makeRun(u"run-1"_s, 0);
    QVERIFY2(store.insertEvalRun(run).ok(), "insert");
    QCOMPARE(store.evalRun(kEvery, run.id)->toJson(), run.toJson());

    run.status = EvalRunStatus::Completed;
    run.completedAt = run.startedAt.addSecs(9);
    run.passed = 6;
    run.failed = 2;
    run.costUsd.reset(); // an unknown price stays unknown, not 0
    run.judgeCostUsd = 0.0004;
    run.wallMs = 9000;
    run.error = u"two failed"_s;
    QVERIFY(store.updateEvalRun(run).ok());
    QCOMPARE(store.evalRun(kEvery, run.id)->toJson(), run.toJson());
    if (!kPostgres) { // the text forms of the SQLite file
        QCOMPARE(rawScalar(dbPath(), u"SELECT started_at FROM eval_runs"_s), u"2026-11-02T08:30:00.250Z"_s);
        QCOMPARE(rawScalar(dbPath(), u"SELECT variants FROM eval_runs"_s), u"[\"strict\",\"baseline\"]"_s);
    }

    const Result<void> missing = store.updateEvalRun(makeRun(u"nope"_s, 1));
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error(), u"store: no eval run nope to update"_s);
    QCOMPARE(store.evalRun(kEvery, u"nope"_s).error(), u"no eval run with id nope"_s);
}

void TestEvalStore::listNewestFirstWithinScopeAndDataset()
{
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    QVERIFY(store.insertEvalRun(makeRun(u"a"_s, 1)).ok());
    QVERIFY(store.insertEvalRun(makeRun(u"b"_s, 3, u"/data/other.eval.json"_s)).ok());
    QVERIFY(store.insertEvalRun(makeRun(u"c"_s, 2)).ok());
    EvalRunRecord elsewhere = makeRun(u"d"_s, 4);
    elsewhere.workspaceId = u"another"_s;
    QVERIFY(store.insertEvalRun(elsewhere).ok());

    auto ids = [](const QList<EvalRunRecord> &runs) {
        QStringList out;
        for (const EvalRunRecord &r : runs)
            out.append(r.id);
        return out;
    };
    QCOMPARE(ids(*store.evalRuns(kEvery, 0)), (QStringList { u"d"_s, u"b"_s, u"c"_s, u"a"_s }));
    const StoreScope demo = StoreScope::workspace(u"local"_s, u"demo"_s);
    QCOMPARE(ids(*store.evalRuns(demo, 0)), (QStringList { u"b"_s, u"c"_s, u"a"_s }));
    QCOMPARE(ids(*store.evalRuns(demo, 1)), (QStringList { u"b"_s }));
    QCOMPARE(ids(*store.evalRuns(demo, 0, u"/data/critic.eval.json"_s)), (QStringList { u"c"_s, u"a"_s }));
    QVERIFY(!store.evalRun(demo, u"d"_s).ok()); // another workspace's run is absent
}

void TestEvalStore::resultsUpsertAndOrder()
{
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    QVERIFY(store.insertEvalRun(makeRun(u"run"_s, 0)).ok());
    // Written in completion order; read in result order: variant order of the run (strict
    // first), case order, repeat.
    const QList<EvalResultRecord> written = {
        makeResult(u"run"_s, u"second"_s, 2, u"baseline"_s, 1),
        makeResult(u"run"_s, u"first"_s, 1, u"baseline"_s, 2),
        makeResult(u"run"_s, u"first"_s, 1, u"strict"_s, 1),
        makeResult(u"run"_s, u"first"_s, 1, u"baseline"_s, 1),
        makeResult(u"run"_s, u"second"_s, 2, u"strict"_s, 1),
    };
    for (const EvalResultRecord &r : written)
        QVERIFY(store.upsertEvalResult(r).ok());
    QList<EvalResultRecord> read = *store.evalResults(u"run"_s);
    QStringList order;
    for (const EvalResultRecord &r : read)
        order.append(u"%1/%2/%3"_s.arg(r.variant, r.caseId).arg(r.repeatIndex));
    QCOMPARE(order,
        (QStringList { u"strict/first/1"_s, u"strict/second/1"_s, u"baseline/first/1"_s,
            u"baseline/first/2"_s, u"baseline/second/1"_s }));
    QCOMPARE(read.at(0).toJson(), written.at(2).toJson()); // every field, assertions included

    // The same case run again replaces its row.
    EvalResultRecord again = written.at(2);
    again.outcome = EvalOutcome::Pass;
    again.score = 1;
    again.assertions.clear();
    again.costUsd.reset();
    QVERIFY(store.upsertEvalResult(again).ok());
    read = *store.evalResults(u"run"_s);
    QCOMPARE(read.size(), written.size());
    QCOMPARE(read.at(0).toJson(), again.toJson());
    QCOMPARE(rawScalar(dbPath(), u"SELECT COUNT(*) FROM eval_results"_s), u"5"_s);

    // A result of a run that does not exist breaks the foreign key.
    QVERIFY(!store.upsertEvalResult(makeResult(u"ghost"_s, u"x"_s, 1, u"baseline"_s, 1)).ok());
}

void TestEvalStore::outputKeepsItsJsonType_data()
{
    QTest::addColumn<QJsonValue>("output");
    QTest::newRow("object") << QJsonValue(QJsonObject { { u"a"_s, 1 } });
    QTest::newRow("text") << QJsonValue(u"plain reply"_s);
    QTest::newRow("number") << QJsonValue(3.5);
    QTest::newRow("array") << QJsonValue(QJsonArray { u"x"_s, false });
    QTest::newRow("null") << QJsonValue();
}

void TestEvalStore::outputKeepsItsJsonType()
{
    QFETCH(QJsonValue, output);
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    QVERIFY(store.insertEvalRun(makeRun(u"run"_s, 0)).ok());
    EvalResultRecord r = makeResult(u"run"_s, u"c"_s, 1, u"baseline"_s, 1);
    r.output = output;
    QVERIFY(store.upsertEvalResult(r).ok());
    QCOMPARE(store.evalResults(u"run"_s)->first().output, output);
}

void TestEvalStore::deletingARunDeletesItsResults()
{
    SQLITE_ONLY();
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    QVERIFY(store.insertEvalRun(makeRun(u"run"_s, 0)).ok());
    QVERIFY(store.upsertEvalResult(makeResult(u"run"_s, u"c"_s, 1, u"baseline"_s, 1)).ok());
    store.close();
    const QString name = u"raw-delete"_s;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, name);
        db.setDatabaseName(dbPath());
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(u"PRAGMA foreign_keys = ON"_s));
        QVERIFY(q.exec(u"DELETE FROM eval_runs WHERE id = 'run'"_s));
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    QCOMPARE(rawScalar(dbPath(), u"SELECT COUNT(*) FROM eval_results"_s), u"0"_s);
}

// tests/store/data/store_v3.db was written by the release before eval records (make_store_v3.sh):
// three executions with their steps. It opens, migrates to version 4, keeps every row and
// takes eval runs.
void TestEvalStore::migratesVersion3Database()
{
    SQLITE_ONLY();
    QDir().mkpath(QFileInfo(dbPath()).path());
    QVERIFY(QFile::copy(QStringLiteral(STORE_V3_FIXTURE), dbPath()));
    QFile::setPermissions(dbPath(), QFile::ReadOwner | QFile::WriteOwner);
    QCOMPARE(rawScalar(dbPath(), u"PRAGMA user_version"_s), u"3"_s);
    const QString stepsBefore = rawScalar(dbPath(), u"SELECT COUNT(*) FROM execution_steps"_s);

    ExecutionStore store(dbPath());
    const Result<void> opened = store.open();
    QVERIFY2(opened.ok(), qPrintable(opened.error()));
    QCOMPARE(store.count(kEvery, {}).value(), 3);
    const Result<ExecutionRecord> critic = store.execution(kEvery, u"77ccf4ca-aaad-429c-aecd-e75daf4abe43"_s);
    QVERIFY2(critic.ok(), qPrintable(critic.error()));
    QCOMPARE(critic->agentId, u"critic"_s);
    QCOMPARE(critic->status, ExecutionStatus::Completed);
    QVERIFY(!critic->steps.isEmpty());
    HistoryQuery q;
    q.search = u"harbour"_s; // the critic's input: the full-text index still answers
    QCOMPARE(store.query(kEvery, q)->items.size(), 1);
    QCOMPARE(rawScalar(dbPath(), u"SELECT COUNT(*) FROM execution_steps"_s), stepsBefore);
    QCOMPARE(rawScalar(dbPath(), u"PRAGMA user_version"_s), u"4"_s);

    QVERIFY(store.insertEvalRun(makeRun(u"run"_s, 0)).ok());
    EvalResultRecord r = makeResult(u"run"_s, u"c"_s, 1, u"baseline"_s, 1);
    r.executionId = critic->id;
    QVERIFY(store.upsertEvalResult(r).ok());
    QCOMPARE(store.evalResults(u"run"_s)->first().executionId, critic->id);
}

void TestEvalStore::killedEvalRunIsInterruptedWithResultsKept()
{
    SQLITE_ONLY();
    QDir().mkpath(QFileInfo(dbPath()).path());
    EvalOwner owner;
    QCOMPARE(owner.start(dbPath(), u"eval-1"_s, 3), u"ready 0"_s);
    QVERIFY(owner.killHard());

    ExecutionStore next(dbPath());
    QVERIFY(next.open().ok());
    const Result<EvalRunRecord> run = next.evalRun(kEvery, u"eval-1"_s);
    QVERIFY2(run.ok(), qPrintable(run.error()));
    QCOMPARE(run->status, EvalRunStatus::Interrupted);
    QCOMPARE(run->error, u"interrupted: the app stopped during the run"_s);
    const QList<EvalResultRecord> results = *next.evalResults(u"eval-1"_s);
    QCOMPARE(results.size(), 3);
    for (const EvalResultRecord &r : results)
        QCOMPARE(r.outcome, EvalOutcome::Pass);
}

void TestEvalStore::liveEvalRunIsNotInterrupted()
{
    SQLITE_ONLY();
    QDir().mkpath(QFileInfo(dbPath()).path());
    EvalOwner owner;
    QCOMPARE(owner.start(dbPath(), u"live"_s, 2), u"ready 0"_s);
    ExecutionStore reader(dbPath());
    QVERIFY(reader.open().ok());
    QCOMPARE(reader.evalRun(kEvery, u"live"_s)->status, EvalRunStatus::Running);
    QCOMPARE(reader.evalResults(u"live"_s)->size(), 2);
}

QTEST_GUILESS_MAIN(TestEvalStore)
#include "tst_evalstore.moc"
