#include "core/api/ToolTypes.h"
#include "core/common/Util.h"
#include "core/store/ExecutionStore.h"
#include "core/store/PgConnection.h"
#include "core/store/PgStore.h"
#include "tests/support/PgCluster.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <fcntl.h>
#include <memory>
#include <sys/file.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

// One suite, two backends: built once as tst_executionstore (a SQLite file per test) and once
// with STORE_BACKEND_POSTGRESQL as tst_executionstore_pg (a fresh database per test on one
// throwaway cluster). Tests of SQLite internals (files, PRAGMAs, owner locks, FTS5 tables) skip
// on PostgreSQL; tst_pgstore holds PostgreSQL's own.
#ifdef STORE_BACKEND_POSTGRESQL
constexpr bool kPostgres = true;
#else
constexpr bool kPostgres = false;
#endif
#define SQLITE_ONLY()                                                                                        \
    do {                                                                                                     \
        if (kPostgres)                                                                                       \
            QSKIP("SQLite file internals; the PostgreSQL schema is tested in tst_pgstore");                  \
    } while (false)

namespace {

const QDateTime kBase = QDateTime(QDate(2026, 11, 1), QTime(9, 0, 0, 125), Qt::UTC);
// The tests of one behaviour read the whole file; tenantScope*() tests read through scopes.
const StoreScope kEvery = StoreScope::everyWorkspace();

ExecutionRecord makeExecution(
    const QString &agent, ExecutionStatus status, int minutesAfterBase, const QString &outputText = u"done"_s)
{
    ExecutionRecord e;
    e.id = as::newId();
    e.workspaceId = u"demo"_s;
    e.executionType = ExecutionType::Agent;
    e.agentId = agent;
    e.version = u"1.0.0"_s;
    e.triggeredBy = u"tester"_s;
    e.triggerType = TriggerType::TestPanel;
    e.inputData
        = QJsonObject { { u"text"_s, u"please summarize the quarterly report"_s }, { u"max_words"_s, 30 } };
    e.outputData = QJsonObject { { u"summary"_s, outputText } };
    e.status = status;
    e.queuedAt = kBase.addSecs(60 * minutesAfterBase);
    e.startedAt = e.queuedAt.addMSecs(12);
    if (isTerminal(status))
        e.completedAt = e.startedAt.addMSecs(800);
    e.executionTimeMs = 800;
    e.inputTokens = 52;
    e.outputTokens = 18;
    e.costUsd = 0.0000186;
    e.traceId = as::newTraceId();
    e.testMode = TestMode::SingleAgent;
    e.provider = u"offline"_s;
    e.model = u"scripted"_s;
    e.queueMs = 12;
    e.ttftMs = 210;
    e.tokensEstimated = true;
    return e;
}

StepRecord makeStep(const ExecutionRecord &e, int number, StepStatus status)
{
    StepRecord s;
    s.id = as::newId();
    s.executionId = e.id;
    s.agentId = e.agentId;
    s.stepNumber = number;
    s.inputData = QJsonObject { { u"messages"_s, QJsonArray { QJsonObject { { u"role"_s, u"user"_s } } } } };
    s.outputData = QJsonObject { { u"text"_s, u"raw reply"_s } };
    s.status = status;
    s.startedAt = e.startedAt.addMSecs(number);
    s.kind = number == 1 ? StepKind::Node : StepKind::Llm;
    s.name = u"step %1"_s.arg(number);
    s.spanId = as::newSpanId();
    s.provider = u"offline"_s;
    s.model = u"scripted"_s;
    s.inputTokens = 10;
    s.outputTokens = 5;
    s.tokensUsed = 15;
    s.ttftMs = 33;
    s.attempt = 1;
    return s;
}

QStringList ids(const QList<ExecutionRecord> &items)
{
    QStringList out;
    for (const ExecutionRecord &e : items)
        out.append(e.id);
    return out;
}

// A raw connection for looking at the file the way another tool would.
class RawDb
{
public:
    explicit RawDb(const QString &path)
        : m_name(u"raw-%1"_s.arg(as::newId()))
    {
        if (PgStore::isUri(path)) {
            const Result<void> opened = pgconn::open(m_name, path, u"raw"_s);
            if (!opened)
                qWarning() << opened.error();
            return;
        }
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_name);
        db.setDatabaseName(path);
        db.open();
    }
    ~RawDb()
    {
        QSqlDatabase::database(m_name, false).close();
        QSqlDatabase::removeDatabase(m_name);
    }
    QVariantList column(const QString &sql) const
    {
        QVariantList out;
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        if (!q.exec(sql))
            qWarning() << sql << q.lastError().text();
        while (q.next())
            out.append(q.value(0));
        return out;
    }
    QVariant scalar(const QString &sql) const
    {
        const QVariantList c = column(sql);
        return c.isEmpty() ? QVariant() : c.first();
    }
    bool exec(const QString &sql) const
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        const bool ok = q.exec(sql);
        if (!ok)
            qWarning() << sql << q.lastError().text();
        return ok;
    }

private:
    QString m_name;
};

QStringList asStrings(const QVariantList &values)
{
    QStringList out;
    for (const QVariant &v : values)
        out.append(v.toString());
    return out;
}

} // namespace

class TestExecutionStore : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    // The schema is the contract of docs/store.md: other tools read this file.
    void schemaHasEveryColumn();
    void indicesServeTheHistoryFilters_data();
    void indicesServeTheHistoryFilters();
    // A database written by the Python prototype (user_version 0) keeps its rows.
    void migratesSeedShapedDatabase();
    void reopenDoesNotMigrateAgain();
    void migratesVersion2Database();
    void toolColumnsRoundTrip();
    void fullTextSearchFindsToolSteps();
    void insertUpdateAndRead();
    void updateOfUnknownIdFails();
    void costNullRoundTrip();
    void jsonRoundTrip();
    void filters_data();
    void filters();
    void paginationIsStableWhileRowsArrive();
    void paginationForEverySort_data();
    void paginationForEverySort();
    void invalidCursorIsAnError();
    void fullTextSearch_data();
    void fullTextSearch();
    void fullTextIndexFollowsUpdatesAndDeletes();
    void fullTextSearchWithManyMatches();
    void fullTextSearchPagesByRowid_data();
    void fullTextSearchPagesByRowid();
    void migrationFindsRowsOutOfOrder();
    void ftsMatchExpression_data();
    void ftsMatchExpression();
    void recoversInterruptedRuns();
    void doesNotInterruptRunsOfAnotherLiveStore();
    void twoThreadsWriteAtOnce();
    void nestedTransactions();
    void removeCascadesToSteps();
    void retention();
    void latestSuccessfulRun();

    // Tenants: one file, many workspaces. Workspace B shares an orchestration id with A and
    // must not see A's runs through any read, delete or retention.
    void tenantScopeHidesOtherWorkspaces_data();
    void tenantScopeHidesOtherWorkspaces();
    void tenantScopeFullTextSearchWithManyMatches();
    void tenantScopeDeletesAndRetainsOnlyItsOwn();

    // Crash recovery decides liveness by an OS lock, never by PID: a lock file left by a
    // killed process whose PID is alive again (here: our own) is recognised as dead.
    void staleLockWithThisProcessPidIsDead();
    void unusableOwnersFolderFailsLoudly();
    void killedOwnerIsRecoveredOnReopen();
    void secondProcessLeavesLiveRunsAlone();
    void restartAsSamePidInPidNamespace();
    // The close of a store that only read skips PRAGMA optimize; one that wrote bounds it.
    void closeBoundsOptimize();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    PgCluster m_cluster; // PostgreSQL backend only
    QString m_uri; // this test's database on it
    QString dbPath() const { return kPostgres ? m_uri : m_dir->filePath(u"history/executions.db"_s); }
    // A store with a fixed fixture used by the filter tests.
    QHash<QString, QString> fillFixture(ExecutionStore &store);
};

void TestExecutionStore::initTestCase()
{
    if (!kPostgres)
        return;
    // Fails (never skips) without PostgreSQL: CI installs it.
    const Result<void> started = m_cluster.start();
    QVERIFY2(started, qPrintable(started ? QString() : started.error()));
}

void TestExecutionStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    if (kPostgres) {
        const Result<QString> db = m_cluster.createDatabase(u"store"_s);
        QVERIFY2(db, qPrintable(db ? QString() : db.error()));
        m_uri = m_cluster.uri(*db);
    }
}

void TestExecutionStore::cleanup()
{
    m_dir.reset();
}

void TestExecutionStore::schemaHasEveryColumn()
{
    SQLITE_ONLY();
    ExecutionStore store(dbPath());
    const Result<void> opened = store.open();
    QVERIFY2(opened.ok(), qPrintable(opened.error()));
    QVERIFY(store.isOpen());

    RawDb raw(dbPath());
    const QStringList execColumns
        = asStrings(raw.column(u"SELECT name FROM pragma_table_info('executions')"_s));
    const QStringList expectedExec = { u"id"_s, u"organization_id"_s, u"workspace_id"_s, u"gateway_id"_s,
        u"execution_type"_s, u"agent_id"_s, u"orchestration_id"_s, u"version"_s, u"triggered_by"_s,
        u"trigger_type"_s, u"input_data"_s, u"output_data"_s, u"status"_s, u"error_message"_s, u"queued_at"_s,
        u"started_at"_s, u"completed_at"_s, u"execution_time_ms"_s, u"input_tokens"_s, u"output_tokens"_s,
        u"cost_usd"_s, u"trace_id"_s, u"test_mode"_s, u"node_id"_s, u"provider"_s, u"model"_s, u"queue_ms"_s,
        u"ttft_ms"_s, u"cached_tokens"_s, u"tokens_estimated"_s, u"rerun_of"_s, u"conversation_id"_s,
        u"turn"_s, u"tool_overrides"_s, u"budget"_s };
    for (const QString &c : expectedExec)
        QVERIFY2(execColumns.contains(c), qPrintable(u"executions lacks "_s + c));

    const QStringList stepCols
        = asStrings(raw.column(u"SELECT name FROM pragma_table_info('execution_steps')"_s));
    const QStringList expectedSteps = { u"id"_s, u"execution_id"_s, u"agent_id"_s, u"step_number"_s,
        u"input_data"_s, u"output_data"_s, u"status"_s, u"started_at"_s, u"completed_at"_s,
        u"execution_time_ms"_s, u"tokens_used"_s, u"cost_usd"_s, u"parent_step_id"_s, u"span_id"_s, u"kind"_s,
        u"name"_s, u"node_id"_s, u"provider"_s, u"model"_s, u"input_tokens"_s, u"output_tokens"_s,
        u"ttft_ms"_s, u"attempt"_s, u"error_message"_s, u"tool_call_id"_s };
    for (const QString &c : expectedSteps)
        QVERIFY2(stepCols.contains(c), qPrintable(u"execution_steps lacks "_s + c));

    QCOMPARE(raw.scalar(u"PRAGMA user_version"_s).toInt(), ExecutionStore::SchemaVersion);
    QCOMPARE(raw.scalar(u"PRAGMA journal_mode"_s).toString(), u"wal"_s);
    // The steps' execution_id references executions(id) with ON DELETE CASCADE.
    QCOMPARE(
        raw.scalar(u"SELECT \"table\" || '/' || on_delete FROM pragma_foreign_key_list('execution_steps')"_s)
            .toString(),
        u"executions/CASCADE"_s);
    QCOMPARE(raw.scalar(u"SELECT COUNT(*) FROM sqlite_master WHERE name = 'executions_fts'"_s).toInt(), 1);
}

void TestExecutionStore::indicesServeTheHistoryFilters_data()
{
    QTest::addColumn<QString>("where");
    QTest::addColumn<QString>("index");
    QTest::newRow("status") << u"status = 'failed'"_s << u"idx_executions_status"_s;
    QTest::newRow("agent") << u"agent_id = 'a'"_s << u"idx_executions_agent"_s;
    QTest::newRow("status and agent")
        << u"agent_id = 'a' AND status = 'failed'"_s << u"idx_executions_agent_status"_s;
    QTest::newRow("orchestration") << u"orchestration_id = 'o'"_s << u"idx_executions_orchestration"_s;
    QTest::newRow("execution type") << u"execution_type = 'agent'"_s << u"idx_executions_type"_s;
    QTest::newRow("test mode") << u"test_mode = 'full_workflow'"_s << u"idx_executions_test_mode"_s;
    QTest::newRow("trigger type") << u"trigger_type = 'cli'"_s << u"idx_executions_trigger"_s;
    QTest::newRow("workspace") << u"workspace_id = 'demo'"_s << u"idx_executions_workspace"_s;
    QTest::newRow("since") << u"queued_at >= '2026-01-01'"_s << u"idx_executions_queued"_s;
}

void TestExecutionStore::indicesServeTheHistoryFilters()
{
    SQLITE_ONLY();
    QFETCH(QString, where);
    QFETCH(QString, index);
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    QStringList details;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"plan"_s);
        db.setDatabaseName(dbPath());
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(
            u"EXPLAIN QUERY PLAN SELECT id FROM executions WHERE %1 ORDER BY queued_at DESC, id DESC LIMIT 51"_s
                .arg(where)));
        while (q.next())
            details.append(q.value(3).toString());
    }
    QSqlDatabase::removeDatabase(u"plan"_s);
    const QString text = details.join(u" | "_s);
    QVERIFY2(text.contains(index), qPrintable(text));
    QVERIFY2(!text.contains(u"TEMP B-TREE FOR ORDER BY"_s), qPrintable(text));
}

void TestExecutionStore::migratesSeedShapedDatabase()
{
    SQLITE_ONLY();
    QDir().mkpath(QFileInfo(dbPath()).absolutePath());
    {
        // The prototype's tables (Execution, ExecutionStep) with only the prototype's columns,
        // no user_version, the way the Python prototype left them.
        RawDb raw(dbPath());
        QVERIFY(raw.exec(
            u"CREATE TABLE executions (id TEXT PRIMARY KEY, organization_id TEXT, workspace_id TEXT, "
            "gateway_id TEXT, execution_type TEXT, agent_id TEXT, orchestration_id TEXT, version TEXT, "
            "triggered_by TEXT, trigger_type TEXT, input_data TEXT, output_data TEXT, status TEXT, "
            "error_message TEXT, queued_at TEXT, started_at TEXT, completed_at TEXT, "
            "execution_time_ms INTEGER, input_tokens INTEGER, output_tokens INTEGER, cost_usd REAL, "
            "trace_id TEXT)"_s));
        QVERIFY(
            raw.exec(u"CREATE TABLE execution_steps (id TEXT PRIMARY KEY, execution_id TEXT, agent_id TEXT, "
                     "step_number INTEGER, input_data TEXT, output_data TEXT, status TEXT, started_at TEXT, "
                     "completed_at TEXT, execution_time_ms INTEGER, tokens_used INTEGER, cost_usd REAL)"_s));
        QVERIFY(raw.exec(
            u"INSERT INTO executions VALUES ('e1', 'acme', 'ws', NULL, 'agent', 'summarizer', NULL, '1', "
            "'alice', 'api', '{\"text\":\"lighthouse keepers\"}', '{\"summary\":\"ok\"}', 'completed', NULL, "
            "'2025-03-01T10:00:00.000Z', '2025-03-01T10:00:00.100Z', '2025-03-01T10:00:01.000Z', 900, "
            "40, 12, 0.00021, 'abc')"_s));
        QVERIFY(raw.exec(
            u"INSERT INTO executions VALUES ('e2', 'acme', 'ws', NULL, 'orchestration', NULL, 'brief', '1', "
            "'bob', 'cli', '{}', '{}', 'failed', 'quota exceeded for zanzibar', "
            "'2025-03-02T10:00:00.000Z', NULL, NULL, 0, 0, 0, NULL, 'def')"_s));
        QVERIFY(raw.exec(
            u"INSERT INTO executions VALUES ('e3', 'acme', 'ws', NULL, 'agent', 'writer', NULL, '1', "
            "'bob', 'cli', '{}', '{}', 'running', NULL, '2025-03-03T10:00:00.000Z', NULL, NULL, NULL, NULL, "
            "NULL, NULL, NULL)"_s));
        QVERIFY(raw.exec(
            u"INSERT INTO execution_steps VALUES ('s1', 'e1', 'summarizer', 1, '{}', '{\"text\":\"ok\"}', "
            "'completed', '2025-03-01T10:00:00.100Z', '2025-03-01T10:00:01.000Z', 900, 52, 0.00021)"_s));
        QVERIFY(raw.exec(
            u"INSERT INTO execution_steps VALUES ('s2', 'gone', 'x', 1, '{}', '{}', 'completed', NULL, "
            "NULL, 0, 0, NULL)"_s));
        QCOMPARE(raw.scalar(u"PRAGMA user_version"_s).toInt(), 0);
    }

    ExecutionStore store(dbPath());
    int recovered = -1;
    const Result<void> opened = store.open(&recovered);
    QVERIFY2(opened.ok(), qPrintable(opened.error()));
    QCOMPARE(recovered, 1); // e3 was left running

    HistoryQuery all;
    const Result<HistoryPage> page = store.query(kEvery, all);
    QVERIFY2(page.ok(), qPrintable(page.error()));
    QCOMPARE(ids(page->items), (QStringList { u"e3"_s, u"e2"_s, u"e1"_s }));

    const Result<ExecutionRecord> e1 = store.execution(kEvery, u"e1"_s);
    QVERIFY(e1.ok());
    QCOMPARE(e1->organizationId, u"acme"_s);
    QCOMPARE(e1->triggeredBy, u"alice"_s);
    QCOMPARE(e1->inputData.value(u"text"_s).toString(), u"lighthouse keepers"_s);
    QCOMPARE(e1->executionTimeMs, 900);
    QCOMPARE(e1->costUsd.value_or(-1), 0.00021);
    QCOMPARE(e1->queuedAt, QDateTime(QDate(2025, 3, 1), QTime(10, 0), Qt::UTC));
    QCOMPARE(e1->ttftMs, -1);
    QCOMPARE(e1->testMode, TestMode::Unset);
    QCOMPARE(e1->steps.size(), 1);
    QCOMPARE(e1->steps.first().tokensUsed, 52);
    QCOMPARE(e1->steps.first().attempt, 1);

    const Result<ExecutionRecord> e2 = store.execution(kEvery, u"e2"_s);
    QVERIFY(!e2->costUsd.has_value());
    QCOMPARE(store.execution(kEvery, u"e3"_s)->status, ExecutionStatus::Interrupted);

    // The old rows are in the full-text index, from inputs and errors alike.
    HistoryQuery search;
    search.search = u"lighthouse"_s;
    QCOMPARE(ids(store.query(kEvery, search)->items), QStringList { u"e1"_s });
    search.search = u"zanzibar"_s;
    QCOMPARE(ids(store.query(kEvery, search)->items), QStringList { u"e2"_s });

    // New columns work on old rows, and the new foreign key cascades.
    ExecutionRecord changed = *e1;
    changed.testMode = TestMode::SingleAgent;
    changed.cachedTokens = 7;
    QVERIFY(store.updateExecution(changed).ok());
    QCOMPARE(store.execution(kEvery, u"e1"_s)->cachedTokens, 7);
    QCOMPARE(store.remove(kEvery, { u"e1"_s }).value(), 1);

    RawDb raw(dbPath());
    QCOMPARE(raw.scalar(u"PRAGMA user_version"_s).toInt(), ExecutionStore::SchemaVersion);
    QCOMPARE(
        raw.scalar(u"SELECT COUNT(*) FROM execution_steps"_s).toInt(), 0); // s1 cascaded, s2 orphan dropped
    QCOMPARE(raw.scalar(u"SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%_v0'"_s).toInt(), 0);
    QVERIFY(
        asStrings(raw.column(u"SELECT name FROM pragma_table_info('executions')"_s)).contains(u"rerun_of"_s));
}

void TestExecutionStore::reopenDoesNotMigrateAgain()
{
    SQLITE_ONLY();
    const ExecutionRecord e = makeExecution(u"a"_s, ExecutionStatus::Completed, 1);
    {
        ExecutionStore store(dbPath());
        QVERIFY(store.open().ok());
        QVERIFY(store.insertExecution(e).ok());
    }
    ExecutionStore again(dbPath());
    int recovered = -1;
    QVERIFY(again.open(&recovered).ok());
    QCOMPARE(recovered, 0);
    QCOMPARE(again.count(kEvery, {}).value(), 1);
    QCOMPARE(again.execution(kEvery, e.id)->toJson(true), e.toJson(true));
}

// A database file written by the version-2 schema (tests/store/data/store_v2.db: no conversation
// or tool columns, no tool step index) opens, migrates to the current version and keeps its rows.
void TestExecutionStore::migratesVersion2Database()
{
    SQLITE_ONLY();
    QDir().mkpath(QFileInfo(dbPath()).path());
    QVERIFY(QFile::copy(QStringLiteral(STORE_V2_FIXTURE), dbPath()));
    QFile::setPermissions(dbPath(), QFile::ReadOwner | QFile::WriteOwner);
    {
        RawDb before(dbPath());
        QCOMPARE(before.scalar(u"PRAGMA user_version"_s).toInt(), 2);
    }
    ExecutionStore store(dbPath());
    const Result<void> opened = store.open();
    QVERIFY2(opened.ok(), qPrintable(opened.error()));
    const Result<ExecutionRecord> old
        = store.execution(kEvery, u"11111111-1111-4111-8111-111111111111"_s, true);
    QVERIFY2(old.ok(), qPrintable(old.error()));
    QCOMPARE(old->agentId, u"summarizer"_s);
    QCOMPARE(old->outputData.value(u"summary"_s).toString(), u"tides were low"_s);
    QCOMPARE(old->conversationId, QString());
    QCOMPARE(old->turn, 0);
    QVERIFY(old->toolOverrides.isEmpty());
    QCOMPARE(old->steps.size(), 1);
    QCOMPARE(old->steps.first().toolCallId, QString());
    // The old full-text index still answers, and the new columns take values.
    HistoryQuery q;
    q.search = u"harbour"_s;
    QCOMPARE(store.query(kEvery, q)->items.size(), 1);
    ExecutionRecord next = *old;
    next.id = as::newId();
    next.conversationId = old->id;
    next.turn = 2;
    next.steps.clear();
    QVERIFY(store.insertExecution(next).ok());
    QCOMPARE(store.execution(kEvery, next.id)->turn, 2);
    RawDb raw(dbPath());
    QCOMPARE(raw.scalar(u"PRAGMA user_version"_s).toInt(), ExecutionStore::SchemaVersion);
    QCOMPARE(raw.scalar(u"SELECT COUNT(*) FROM sqlite_master WHERE name = 'tool_steps_fts'"_s).toInt(), 1);
}

void TestExecutionStore::toolColumnsRoundTrip()
{
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    ExecutionRecord e = makeExecution(u"a"_s, ExecutionStatus::Completed, 1);
    e.conversationId = as::newId();
    e.turn = 3;
    e.toolOverrides = QJsonObject { { u"weather"_s, QJsonObject { { u"error"_s, u"offline"_s } } } };
    e.budget = QJsonObject { { u"max_tool_calls"_s, 4 } };
    QVERIFY(store.insertExecution(e).ok());
    StepRecord s = makeStep(e, 2, StepStatus::Completed);
    s.kind = StepKind::Tool;
    s.toolCallId = u"call_7"_s;
    QVERIFY(store.insertStep(s).ok());
    e.steps = { s };
    const Result<ExecutionRecord> back = store.execution(kEvery, e.id, true);
    QVERIFY(back.ok());
    QCOMPARE(back->toJson(true), e.toJson(true));
}

// Tool arguments, results and errors are found by full-text search, and follow updates and
// deletes like the execution's own text.
void TestExecutionStore::fullTextSearchFindsToolSteps()
{
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    ExecutionRecord e = makeExecution(u"a"_s, ExecutionStatus::Completed, 1);
    QVERIFY(store.insertExecution(e).ok());
    StepRecord s = makeStep(e, 2, StepStatus::Running);
    s.kind = StepKind::Tool;
    s.name = u"weather"_s;
    s.inputData = QJsonObject { { u"city"_s, u"Reykjavik"_s } };
    s.outputData = {};
    QVERIFY(store.insertStep(s).ok());
    s.status = StepStatus::Completed; // indexed once it has ended
    QVERIFY(store.updateStep(s).ok());
    auto found = [&store](const QString &text) {
        HistoryQuery q;
        q.search = text;
        const Result<HistoryPage> page = store.query(kEvery, q);
        return page.ok() ? int(page->items.size()) : -1;
    };
    QCOMPARE(found(u"reykjavik"_s), 1);
    QCOMPARE(found(u"drizzle"_s), 0);
    s.outputData = ToolResult::fromText(u"light drizzle"_s).toJson();
    s.errorMessage = u"gateway flaky"_s;
    QVERIFY(store.updateStep(s).ok());
    QCOMPARE(found(u"drizzle"_s), 1);
    QCOMPARE(found(u"flaky"_s), 1);
    // an llm step's text is not a tool step's
    StepRecord llm = makeStep(e, 3, StepStatus::Completed);
    llm.outputData = QJsonObject { { u"text"_s, u"zanzibar"_s } };
    QVERIFY(store.insertStep(llm).ok());
    QCOMPARE(found(u"zanzibar"_s), 0);
    QCOMPARE(store.remove(kEvery, { e.id }).value(), 1);
    QCOMPARE(found(u"drizzle"_s), 0);
    if (kPostgres) // the words live in a generated column of the step row, gone with it
        return;
    RawDb raw(dbPath());
    QCOMPARE(
        raw.scalar(u"SELECT COUNT(*) FROM tool_steps_fts WHERE tool_steps_fts MATCH 'drizzle'"_s).toInt(), 0);
}

void TestExecutionStore::insertUpdateAndRead()
{
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());

    ExecutionRecord e = makeExecution(u"summarizer"_s, ExecutionStatus::Queued, 0);
    e.gatewayId = u"gw-1"_s;
    e.rerunOf = as::newId();
    e.cachedTokens = 4;
    QVERIFY(store.insertExecution(e).ok());
    QCOMPARE(store.execution(kEvery, e.id)->toJson(true), e.toJson(true));

    // Written as it happens: running, a step, its completion, then the end.
    e.status = ExecutionStatus::Running;
    QVERIFY(store.updateExecution(e).ok());
    StepRecord node = makeStep(e, 1, StepStatus::Running);
    StepRecord llm = makeStep(e, 2, StepStatus::Running);
    llm.parentStepId = node.id;
    llm.costUsd = 0.5;
    QVERIFY(store.insertStep(node).ok());
    QVERIFY(store.insertStep(llm).ok());
    llm.status = StepStatus::Completed;
    llm.completedAt = llm.startedAt.addMSecs(400);
    llm.outputData = QJsonObject { { u"text"_s, u"{\"summary\": \"short\"}"_s } };
    llm.reasoningTokens = 3;
    llm.cachedTokens = 2;
    llm.tokensEstimated = true;
    llm.errorMessage = u"retried once"_s;
    llm.attempt = 2;
    QVERIFY(store.updateStep(llm).ok());
    e.status = ExecutionStatus::Completed;
    e.completedAt = e.startedAt.addMSecs(900);
    e.outputData = QJsonObject { { u"summary"_s, u"short"_s }, { u"confidence"_s, 0.75 } };
    QVERIFY(store.updateExecution(e).ok());

    const Result<ExecutionRecord> read = store.execution(kEvery, e.id);
    QVERIFY2(read.ok(), qPrintable(read.error()));
    QCOMPARE(read->steps.size(), 2);
    QCOMPARE(read->steps.at(0).toJson(), node.toJson());
    QCOMPARE(read->steps.at(1).toJson(), llm.toJson());
    e.steps = { node, llm };
    QCOMPARE(read->toJson(true), e.toJson(true));
    QCOMPARE(store.execution(kEvery, e.id, false)->steps.size(), 0);
    QVERIFY(!store.execution(kEvery, u"nope"_s).ok());
}

void TestExecutionStore::updateOfUnknownIdFails()
{
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    const ExecutionRecord e = makeExecution(u"a"_s, ExecutionStatus::Running, 0);
    QVERIFY(!store.updateExecution(e).ok());
    QVERIFY(!store.insertStep(makeStep(e, 1, StepStatus::Running)).ok()); // foreign key
    QVERIFY(store.insertExecution(e).ok());
    QVERIFY(!store.insertExecution(e).ok()); // duplicate id
    QVERIFY(!store.updateStep(makeStep(e, 1, StepStatus::Running)).ok());
}

void TestExecutionStore::costNullRoundTrip()
{
    SQLITE_ONLY();
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    ExecutionRecord unknown = makeExecution(u"a"_s, ExecutionStatus::Completed, 0);
    unknown.costUsd.reset();
    ExecutionRecord free = makeExecution(u"a"_s, ExecutionStatus::Completed, 1);
    free.costUsd = 0.0;
    QVERIFY(store.insertExecution(unknown).ok());
    QVERIFY(store.insertExecution(free).ok());

    RawDb raw(dbPath());
    QCOMPARE(
        raw.scalar(u"SELECT typeof(cost_usd) FROM executions WHERE id = '%1'"_s.arg(unknown.id)).toString(),
        u"null"_s);
    QCOMPARE(raw.scalar(u"SELECT typeof(cost_usd) FROM executions WHERE id = '%1'"_s.arg(free.id)).toString(),
        u"real"_s);

    QVERIFY(!store.execution(kEvery, unknown.id)->costUsd.has_value());
    QCOMPARE(store.execution(kEvery, free.id)->costUsd.value_or(-1), 0.0);
    QVERIFY(store.execution(kEvery, unknown.id)->toJson(false).value(u"cost_usd"_s).isNull());
    QCOMPARE(store.execution(kEvery, free.id)->toJson(false).value(u"cost_usd"_s), QJsonValue(0.0));
}

void TestExecutionStore::jsonRoundTrip()
{
    ExecutionRecord e = makeExecution(u"summarizer"_s, ExecutionStatus::Failed, 3);
    e.errorMessage = u"confidence: must be ≤ 1"_s;
    e.costUsd.reset();
    e.ttftMs = -1;
    e.steps = { makeStep(e, 1, StepStatus::Failed) };
    const QJsonObject json = e.toJson(true);
    QVERIFY(json.value(u"cost_usd"_s).isNull());
    QVERIFY(json.value(u"ttft_ms"_s).isNull());
    QVERIFY(json.value(u"input_data"_s).isObject());
    QVERIFY(json.value(u"tokens_estimated"_s).isBool());
    QCOMPARE(json.value(u"queued_at"_s).toString(), u"2026-11-01T09:03:00.125Z"_s);
    QCOMPARE(json.value(u"steps"_s).toArray().size(), 1);
    QVERIFY(!e.toJson(false).contains(u"steps"_s));
    QCOMPARE(ExecutionRecord::fromJson(json).toJson(true), json);
    const QJsonObject step = e.steps.first().toJson();
    for (const char *key : { "parent_step_id", "span_id", "kind", "name", "node_id", "provider", "model",
             "input_tokens", "output_tokens", "ttft_ms", "attempt", "error_message", "tokens_used",
             "step_number", "execution_id" })
        QVERIFY2(step.contains(QLatin1String(key)), key);
    QCOMPARE(StepRecord::fromJson(step).toJson(), step);
}

QHash<QString, QString> TestExecutionStore::fillFixture(ExecutionStore &store)
{
    // name -> id; queued one minute apart in this order.
    QHash<QString, QString> byName;
    auto add = [&](const QString &name, ExecutionRecord e) {
        byName.insert(name, e.id);
        const Result<void> r = store.insertExecution(e);
        if (!r)
            qWarning() << r.error();
    };
    ExecutionRecord a1 = makeExecution(u"summarizer"_s, ExecutionStatus::Completed, 1);
    ExecutionRecord a2 = makeExecution(u"summarizer"_s, ExecutionStatus::Failed, 2);
    a2.errorMessage = u"summary: expected a string"_s;
    a2.costUsd = 0.5;
    a2.executionTimeMs = 5000;
    ExecutionRecord b1 = makeExecution(u"writer"_s, ExecutionStatus::Completed, 3);
    b1.triggerType = TriggerType::Cli;
    b1.costUsd.reset();
    ExecutionRecord b2 = makeExecution(u"writer"_s, ExecutionStatus::Cancelled, 4);
    b2.workspaceId = u"other"_s;
    b2.organizationId = u"acme"_s;
    ExecutionRecord o1 = makeExecution({}, ExecutionStatus::Completed, 5);
    o1.executionType = ExecutionType::Orchestration;
    o1.orchestrationId = u"brief"_s;
    o1.testMode = TestMode::FullWorkflow;
    o1.executionTimeMs = 20;
    ExecutionRecord o2 = makeExecution(u"writer"_s, ExecutionStatus::Completed, 6);
    o2.executionType = ExecutionType::Orchestration;
    o2.orchestrationId = u"brief"_s;
    o2.testMode = TestMode::NodeInContext;
    o2.nodeId = u"draft"_s;
    o2.triggerType = TriggerType::Api;
    add(u"a1"_s, a1);
    add(u"a2"_s, a2);
    add(u"b1"_s, b1);
    add(u"b2"_s, b2);
    add(u"o1"_s, o1);
    add(u"o2"_s, o2);
    return byName;
}

void TestExecutionStore::filters_data()
{
    QTest::addColumn<QString>("filter");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QStringList>("expected"); // fixture names, newest first

    QTest::newRow("no filter") << u""_s << u""_s
                               << QStringList { u"o2"_s, u"o1"_s, u"b2"_s, u"b1"_s, u"a2"_s, u"a1"_s };
    QTest::newRow("status") << u"status"_s << u"failed"_s << QStringList { u"a2"_s };
    QTest::newRow("two statuses") << u"status"_s << u"failed,cancelled"_s << QStringList { u"b2"_s, u"a2"_s };
    QTest::newRow("agent") << u"agent"_s << u"writer"_s << QStringList { u"o2"_s, u"b2"_s, u"b1"_s };
    QTest::newRow("status and agent")
        << u"status+agent"_s << u"completed,writer"_s << QStringList { u"o2"_s, u"b1"_s };
    QTest::newRow("orchestration") << u"orchestration"_s << u"brief"_s << QStringList { u"o2"_s, u"o1"_s };
    QTest::newRow("execution type") << u"type"_s << u"agent"_s
                                    << QStringList { u"b2"_s, u"b1"_s, u"a2"_s, u"a1"_s };
    QTest::newRow("test mode") << u"mode"_s << u"node_in_context"_s << QStringList { u"o2"_s };
    QTest::newRow("trigger type") << u"trigger"_s << u"cli"_s << QStringList { u"b1"_s };
    QTest::newRow("workspace") << u"workspace"_s << u"other"_s << QStringList { u"b2"_s };
    QTest::newRow("organization") << u"organization"_s << u"acme"_s << QStringList { u"b2"_s };
    QTest::newRow("since") << u"since"_s << u"4"_s << QStringList { u"o2"_s, u"o1"_s, u"b2"_s };
    QTest::newRow("until") << u"until"_s << u"3"_s << QStringList { u"a2"_s, u"a1"_s };
    QTest::newRow("min cost") << u"mincost"_s << u"0.1"_s << QStringList { u"a2"_s };
    QTest::newRow("max cost") << u"maxcost"_s << u"0.1"_s
                              << QStringList { u"o2"_s, u"o1"_s, u"b2"_s, u"a1"_s };
    QTest::newRow("min latency") << u"minlatency"_s << u"1000"_s << QStringList { u"a2"_s };
    QTest::newRow("max latency") << u"maxlatency"_s << u"100"_s << QStringList { u"o1"_s };
    QTest::newRow("search error text") << u"search"_s << u"expected"_s << QStringList { u"a2"_s };
    QTest::newRow("search and agent")
        << u"search+agent"_s << u"quarterly,writer"_s << QStringList { u"o2"_s, u"b2"_s, u"b1"_s };
}

void TestExecutionStore::filters()
{
    QFETCH(QString, filter);
    QFETCH(QString, value);
    QFETCH(QStringList, expected);

    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    const QHash<QString, QString> byName = fillFixture(store);
    QHash<QString, QString> nameOf;
    for (auto it = byName.cbegin(); it != byName.cend(); ++it)
        nameOf.insert(it.value(), it.key());

    HistoryQuery q;
    const QStringList parts = value.split(u',');
    QList<ExecutionStatus> statuses;
    for (const QString &part : parts)
        statuses << fromWireOr(part, ExecutionStatus::Queued);
    if (filter == u"status"_s)
        q.statuses = statuses;
    else if (filter == u"agent"_s)
        q.agentId = value;
    else if (filter == u"status+agent"_s) {
        q.statuses = { statuses.at(0) };
        q.agentId = parts.at(1);
    } else if (filter == u"orchestration"_s)
        q.orchestrationId = value;
    else if (filter == u"type"_s)
        q.executionType = fromWire<ExecutionType>(value);
    else if (filter == u"mode"_s)
        q.testMode = fromWire<TestMode>(value);
    else if (filter == u"trigger"_s)
        q.triggerType = fromWire<TriggerType>(value);
    else if (filter == u"workspace"_s)
        q.workspaceId = value;
    else if (filter == u"organization"_s)
        q.organizationId = value;
    else if (filter == u"since"_s)
        q.since = kBase.addSecs(60 * value.toInt());
    else if (filter == u"until"_s)
        q.until = kBase.addSecs(60 * value.toInt());
    else if (filter == u"mincost"_s)
        q.minCost = value.toDouble();
    else if (filter == u"maxcost"_s)
        q.maxCost = value.toDouble();
    else if (filter == u"minlatency"_s)
        q.minLatencyMs = value.toLongLong();
    else if (filter == u"maxlatency"_s)
        q.maxLatencyMs = value.toLongLong();
    else if (filter == u"search"_s)
        q.search = value;
    else if (filter == u"search+agent"_s) {
        q.search = parts.at(0);
        q.agentId = parts.at(1);
    }

    const Result<HistoryPage> page = store.query(kEvery, q);
    QVERIFY2(page.ok(), qPrintable(page.error()));
    QStringList got;
    for (const ExecutionRecord &e : page->items)
        got.append(nameOf.value(e.id));
    QCOMPARE(got, expected);
    QVERIFY(page->nextCursor.isEmpty());
    QCOMPARE(store.count(kEvery, q).value(), expected.size());
}

void TestExecutionStore::paginationIsStableWhileRowsArrive()
{
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    QStringList inserted;
    QVERIFY(store.begin().ok());
    for (int i = 0; i < 25; ++i) {
        // Pairs of rows share a queued_at, so the id must break the tie.
        ExecutionRecord e = makeExecution(u"a"_s, ExecutionStatus::Completed, i / 2);
        inserted.append(e.id);
        QVERIFY(store.insertExecution(e).ok());
    }
    QVERIFY(store.commit().ok());

    HistoryQuery q;
    q.limit = 10;
    QStringList seen;
    int pages = 0;
    forever
    {
        const Result<HistoryPage> page = store.query(kEvery, q);
        QVERIFY2(page.ok(), qPrintable(page.error()));
        seen += ids(page->items);
        ++pages;
        // Newer runs arrive while the user scrolls: they belong before the first page and
        // must not shift the pages still to come.
        QVERIFY(store.insertExecution(makeExecution(u"a"_s, ExecutionStatus::Running, 100 + pages)).ok());
        if (page->nextCursor.isEmpty())
            break;
        q.cursor = page->nextCursor;
    }
    QCOMPARE(pages, 3);
    QCOMPARE(seen.size(), 25);
    QCOMPARE(QSet<QString>(seen.cbegin(), seen.cend()).size(), 25);
    QCOMPARE(QSet<QString>(seen.cbegin(), seen.cend()), QSet<QString>(inserted.cbegin(), inserted.cend()));

    // And the order is queued_at DESC, id DESC.
    QStringList sortedExpected = seen;
    QList<ExecutionRecord> records;
    for (const QString &id : seen)
        records.append(store.execution(kEvery, id, false).value());
    for (qsizetype i = 1; i < records.size(); ++i) {
        const ExecutionRecord &a = records.at(i - 1), &b = records.at(i);
        QVERIFY(a.queuedAt > b.queuedAt || (a.queuedAt == b.queuedAt && a.id > b.id));
    }
}

void TestExecutionStore::paginationForEverySort_data()
{
    QTest::addColumn<int>("sort");
    QTest::newRow("newest first") << int(HistoryQuery::Sort::NewestFirst);
    QTest::newRow("oldest first") << int(HistoryQuery::Sort::OldestFirst);
    QTest::newRow("cost") << int(HistoryQuery::Sort::CostDesc);
    QTest::newRow("latency") << int(HistoryQuery::Sort::LatencyDesc);
}

void TestExecutionStore::paginationForEverySort()
{
    QFETCH(int, sort);
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    QVERIFY(store.begin().ok());
    for (int i = 0; i < 23; ++i) {
        ExecutionRecord e = makeExecution(u"a"_s, ExecutionStatus::Completed, i);
        e.executionTimeMs = (i * 7) % 5 * 100; // many ties
        if (i % 4 == 0)
            e.costUsd.reset(); // unknown cost sorts last
        else
            e.costUsd = (i % 3) * 0.25;
        QVERIFY(store.insertExecution(e).ok());
    }
    QVERIFY(store.commit().ok());

    HistoryQuery q;
    q.sort = HistoryQuery::Sort(sort);
    q.limit = 4;
    QList<ExecutionRecord> seen;
    forever
    {
        const Result<HistoryPage> page = store.query(kEvery, q);
        QVERIFY2(page.ok(), qPrintable(page.error()));
        seen += page->items;
        if (page->nextCursor.isEmpty())
            break;
        q.cursor = page->nextCursor;
    }
    QCOMPARE(seen.size(), 23);
    QSet<QString> unique;
    for (const ExecutionRecord &e : seen)
        unique.insert(e.id);
    QCOMPARE(unique.size(), 23);
    for (qsizetype i = 1; i < seen.size(); ++i) {
        const ExecutionRecord &a = seen.at(i - 1), &b = seen.at(i);
        switch (q.sort) {
        case HistoryQuery::Sort::NewestFirst:
            QVERIFY(a.queuedAt > b.queuedAt);
            break;
        case HistoryQuery::Sort::OldestFirst:
            QVERIFY(a.queuedAt < b.queuedAt);
            break;
        case HistoryQuery::Sort::CostDesc:
            QVERIFY(a.costUsd.value_or(-1) > b.costUsd.value_or(-1)
                || (a.costUsd.value_or(-1) == b.costUsd.value_or(-1) && a.id > b.id));
            break;
        case HistoryQuery::Sort::LatencyDesc:
            QVERIFY(a.executionTimeMs > b.executionTimeMs
                || (a.executionTimeMs == b.executionTimeMs && a.id > b.id));
            break;
        }
    }
}

void TestExecutionStore::invalidCursorIsAnError()
{
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    HistoryQuery q;
    q.cursor = u"not a cursor!"_s;
    QVERIFY(!store.query(kEvery, q).ok());
    q.cursor = QString::fromLatin1(QByteArray("[1,2]").toBase64(QByteArray::Base64UrlEncoding));
    QVERIFY(!store.query(kEvery, q).ok());
}

void TestExecutionStore::fullTextSearch_data()
{
    QTest::addColumn<QString>("search");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("word of an input") << u"marmalade"_s << QStringList { u"in"_s };
    QTest::newRow("word of an output") << u"pelican"_s << QStringList { u"out"_s };
    QTest::newRow("word of an error") << u"throttled"_s << QStringList { u"err"_s };
    QTest::newRow("case insensitive") << u"PELICAN"_s << QStringList { u"out"_s };
    QTest::newRow("number value") << u"4242"_s << QStringList { u"in"_s };
    QTest::newRow("two words, both needed") << u"pelican harbour"_s << QStringList { u"out"_s };
    QTest::newRow("two words, one missing") << u"pelican marmalade"_s << QStringList {};
    QTest::newRow("prefix") << u"pelic*"_s << QStringList { u"out"_s };
    QTest::newRow("hyphenated") << u"rate-limit"_s << QStringList { u"err"_s };
    QTest::newRow("quotes are text") << u"\"pelican"_s << QStringList { u"out"_s };
    QTest::newRow("fts operators are text") << u"pelican OR marmalade"_s << QStringList {};
    QTest::newRow("keys are not indexed") << u"summary"_s << QStringList {};
    QTest::newRow("column filter syntax") << u"output_text:pelican"_s << QStringList {};
    QTest::newRow("only punctuation") << u"- ( ) *"_s << QStringList { u"err"_s, u"out"_s, u"in"_s };
}

void TestExecutionStore::fullTextSearch()
{
    QFETCH(QString, search);
    QFETCH(QStringList, expected);
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    ExecutionRecord in = makeExecution(u"a"_s, ExecutionStatus::Completed, 1, u"plain"_s);
    in.inputData = QJsonObject { { u"text"_s, u"orange marmalade recipe"_s }, { u"n"_s, 4242 } };
    ExecutionRecord out = makeExecution(u"a"_s, ExecutionStatus::Completed, 2, u"a pelican in the harbour"_s);
    ExecutionRecord err = makeExecution(u"a"_s, ExecutionStatus::Failed, 3, u""_s);
    err.errorMessage = u"openai: 429 rate-limit: throttled"_s;
    QVERIFY(store.insertExecution(in).ok());
    QVERIFY(store.insertExecution(out).ok());
    QVERIFY(store.insertExecution(err).ok());
    const QHash<QString, QString> nameOf { { in.id, u"in"_s }, { out.id, u"out"_s }, { err.id, u"err"_s } };

    HistoryQuery q;
    q.search = search;
    const Result<HistoryPage> page = store.query(kEvery, q);
    QVERIFY2(page.ok(), qPrintable(page.error()));
    QStringList got;
    for (const ExecutionRecord &e : page->items)
        got.append(nameOf.value(e.id));
    QCOMPARE(got, expected);
}

void TestExecutionStore::fullTextIndexFollowsUpdatesAndDeletes()
{
    SQLITE_ONLY();
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    ExecutionRecord e = makeExecution(u"a"_s, ExecutionStatus::Running, 1, u"first draft about walruses"_s);
    QVERIFY(store.insertExecution(e).ok());
    HistoryQuery walrus;
    walrus.search = u"walruses"_s;
    HistoryQuery narwhal;
    narwhal.search = u"narwhals"_s;
    QCOMPARE(store.count(kEvery, walrus).value(), 1);

    e.outputData = QJsonObject { { u"summary"_s, u"final text about narwhals"_s } };
    e.status = ExecutionStatus::Completed;
    QVERIFY(store.updateExecution(e).ok());
    QCOMPARE(store.count(kEvery, walrus).value(), 0);
    QCOMPARE(store.count(kEvery, narwhal).value(), 1);

    // A status-only update leaves the index as it is.
    e.status = ExecutionStatus::Cancelled;
    QVERIFY(store.updateExecution(e).ok());
    QCOMPARE(store.count(kEvery, narwhal).value(), 1);

    QCOMPARE(store.remove(kEvery, { e.id }).value(), 1);
    QCOMPARE(store.count(kEvery, narwhal).value(), 0);

    // The contentless index stays consistent: FTS5's own check agrees.
    RawDb raw(dbPath());
    QVERIFY(raw.exec(u"INSERT INTO executions_fts (executions_fts, rank) VALUES ('integrity-check', 0)"_s));
}

// A common word takes the other query plan (walk the history in order, test each row against
// the match set): results, order and cursors must be the same as for a rare word.
void TestExecutionStore::fullTextSearchWithManyMatches()
{
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    QVERIFY(store.begin().ok());
    QStringList withWord; // oldest first
    for (int i = 0; i < 1300; ++i) {
        const bool has = i % 13 != 0;
        ExecutionRecord e = makeExecution(
            u"a"_s, ExecutionStatus::Completed, i / 3, has ? u"the albatross again"_s : u"nothing here"_s);
        if (has)
            withWord.append(e.id);
        QVERIFY(store.insertExecution(e).ok());
    }
    QVERIFY(store.commit().ok());
    QVERIFY(withWord.size() >= 1000);

    HistoryQuery q;
    q.search = u"albatross"_s;
    q.limit = 300;
    QCOMPARE(store.count(kEvery, q).value(), withWord.size());
    QList<ExecutionRecord> seen;
    forever
    {
        const Result<HistoryPage> page = store.query(kEvery, q);
        QVERIFY2(page.ok(), qPrintable(page.error()));
        seen += page->items;
        if (page->nextCursor.isEmpty())
            break;
        q.cursor = page->nextCursor;
    }
    QCOMPARE(seen.size(), withWord.size());
    QSet<QString> unique;
    for (qsizetype i = 0; i < seen.size(); ++i) {
        unique.insert(seen.at(i).id);
        QCOMPARE(seen.at(i).outputData.value(u"summary"_s).toString(), u"the albatross again"_s);
        if (i > 0) {
            const ExecutionRecord &a = seen.at(i - 1), &b = seen.at(i);
            QVERIFY(a.queuedAt > b.queuedAt || (a.queuedAt == b.queuedAt && a.id > b.id));
        }
    }
    QCOMPARE(unique, QSet<QString>(withWord.cbegin(), withWord.cend()));
}

// A common word (>= 1000 matches) searched newest first is paged by rowid (see queryByRowid in
// ExecutionStore.cpp). Every shape of the table must give every match exactly once, in
// (queued_at DESC, id DESC) order: rows inserted in order (the rowid walk alone), older rows
// imported half way and a row whose queued_at is raised (both push the watermark up, so part or
// all of the walk falls back to the ordinary plan), with and without a status filter.
void TestExecutionStore::fullTextSearchPagesByRowid_data()
{
    QTest::addColumn<QString>("shape");
    QTest::addColumn<QString>("status");
    QTest::addColumn<bool>("watermarkZero");
    QTest::newRow("in order") << u"in order"_s << QString() << true;
    QTest::newRow("in order, status failed") << u"in order"_s << u"failed"_s << true;
    QTest::newRow("older rows imported") << u"imported"_s << QString() << false;
    QTest::newRow("older rows imported, status failed") << u"imported"_s << u"failed"_s << false;
    QTest::newRow("queued_at raised, status failed") << u"raised"_s << u"failed"_s << false;
}

void TestExecutionStore::fullTextSearchPagesByRowid()
{
    SQLITE_ONLY();
    QFETCH(QString, shape);
    QFETCH(QString, status);
    QFETCH(bool, watermarkZero);
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    QList<ExecutionRecord> all;
    auto add = [&](int i, int minute) {
        const bool has = i % 11 != 0;
        ExecutionRecord e
            = makeExecution(u"a"_s, i % 3 == 0 ? ExecutionStatus::Failed : ExecutionStatus::Completed, minute,
                has ? u"the albatross again"_s : u"nothing here"_s);
        e.id = u"x%1"_s.arg(i, 5, 10, QLatin1Char('0'));
        all.append(e);
        return store.insertExecution(e).ok();
    };
    QVERIFY(store.begin().ok());
    for (int i = 0; i < 3000; ++i) {
        if (i == 1500 && shape == u"imported"_s) { // 200 rows queued before all, inserted half way
            for (int j = 3000; j < 3200; ++j)
                QVERIFY(add(j, j - 3000));
        }
        QVERIFY(add(i, 200 + i));
    }
    QVERIFY(store.commit().ok());
    if (shape == u"raised"_s) { // an old row now queued after every other
        ExecutionRecord e = all[1501];
        e.queuedAt = kBase.addSecs(60 * 5000);
        QVERIFY(store.updateExecution(e).ok());
        all[1501] = e;
    }
    {
        RawDb raw(dbPath());
        QCOMPARE(raw.scalar(u"SELECT late_rowid FROM executions_order"_s).toLongLong() == 0, watermarkZero);
    }

    QList<ExecutionRecord> expected;
    for (const ExecutionRecord &e : std::as_const(all))
        if (e.outputData.value(u"summary"_s).toString().contains(u"albatross"_s)
            && (status.isEmpty() || toWire(e.status) == status))
            expected.append(e);
    std::sort(expected.begin(), expected.end(), [](const ExecutionRecord &a, const ExecutionRecord &b) {
        return a.queuedAt != b.queuedAt ? a.queuedAt > b.queuedAt : a.id > b.id;
    });

    HistoryQuery q;
    q.search = u"albatross"_s;
    if (!status.isEmpty())
        q.statuses = { fromWire<ExecutionStatus>(status).value() };
    q.limit = 37;
    QCOMPARE(store.count(kEvery, q).value(), expected.size());
    QStringList seen;
    int pages = 0;
    forever
    {
        const Result<HistoryPage> page = store.query(kEvery, q);
        QVERIFY2(page.ok(), qPrintable(page.error()));
        QVERIFY(page->items.size() <= 37);
        for (const ExecutionRecord &e : page->items) {
            QVERIFY(status.isEmpty() || toWire(e.status) == status);
            seen.append(e.id);
        }
        ++pages;
        if (page->nextCursor.isEmpty())
            break;
        QCOMPARE(page->items.size(), 37);
        q.cursor = page->nextCursor;
    }
    QVERIFY(pages > 2);
    QCOMPARE(seen, ids(expected)); // each match once, newest first

    // A cursor from the middle continues exactly where that page ended.
    q.cursor.clear();
    q.limit = 500;
    const Result<HistoryPage> big = store.query(kEvery, q);
    QVERIFY(big.ok());
    QCOMPARE(ids(big->items), ids(expected).mid(0, 500));
}

void TestExecutionStore::migrationFindsRowsOutOfOrder()
{
    SQLITE_ONLY();
    {
        ExecutionStore store(dbPath());
        QVERIFY(store.open().ok());
        QVERIFY(store.insertExecution(makeExecution(u"a"_s, ExecutionStatus::Completed, 5)).ok());
        QVERIFY(store.insertExecution(makeExecution(u"a"_s, ExecutionStatus::Completed, 1))
                    .ok()); // rowid 2: late
        QVERIFY(store.insertExecution(makeExecution(u"a"_s, ExecutionStatus::Completed, 9)).ok());
    }
    {
        // Back to a version-1 file: migration 2 must find rowid 2 from the rows alone.
        RawDb raw(dbPath());
        QCOMPARE(raw.scalar(u"SELECT late_rowid FROM executions_order"_s).toLongLong(), 2);
        QVERIFY(raw.exec(u"DROP TRIGGER executions_order_insert"_s));
        QVERIFY(raw.exec(u"DROP TRIGGER executions_order_update"_s));
        QVERIFY(raw.exec(u"DROP TABLE executions_order"_s));
        QVERIFY(raw.exec(u"PRAGMA user_version = 1"_s));
    }
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    RawDb raw(dbPath());
    QCOMPARE(raw.scalar(u"PRAGMA user_version"_s).toInt(), ExecutionStore::SchemaVersion);
    QCOMPARE(raw.scalar(u"SELECT late_rowid FROM executions_order"_s).toLongLong(), 2);
    // In-order inserts leave it; a late one raises it.
    QVERIFY(store.insertExecution(makeExecution(u"a"_s, ExecutionStatus::Completed, 10)).ok());
    QCOMPARE(raw.scalar(u"SELECT late_rowid FROM executions_order"_s).toLongLong(), 2);
    QVERIFY(store.insertExecution(makeExecution(u"a"_s, ExecutionStatus::Completed, 2)).ok());
    QCOMPARE(raw.scalar(u"SELECT late_rowid FROM executions_order"_s).toLongLong(), 5);
}

void TestExecutionStore::ftsMatchExpression_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expression");
    QTest::newRow("empty") << u""_s << u""_s;
    QTest::newRow("word") << u"hello"_s << u"\"hello\""_s;
    QTest::newRow("two words") << u"  hello   world "_s << u"\"hello\" \"world\""_s;
    QTest::newRow("hyphen") << u"foo-bar"_s << u"\"foo-bar\""_s;
    QTest::newRow("quote doubled") << u"say\"hi"_s << u"\"say\"\"hi\""_s;
    QTest::newRow("prefix") << u"sum*"_s << u"\"sum\"*"_s;
    QTest::newRow("operator") << u"NOT"_s << u"\"NOT\""_s;
    QTest::newRow("punctuation only") << u"( - )"_s << u""_s;
}

void TestExecutionStore::ftsMatchExpression()
{
    QFETCH(QString, text);
    QFETCH(QString, expression);
    QCOMPARE(ExecutionStore::ftsMatchExpression(text), expression);
}

void TestExecutionStore::recoversInterruptedRuns()
{
    SQLITE_ONLY();
    ExecutionRecord running = makeExecution(u"a"_s, ExecutionStatus::Running, 1);
    ExecutionRecord queued = makeExecution(u"a"_s, ExecutionStatus::Queued, 2);
    ExecutionRecord done = makeExecution(u"a"_s, ExecutionStatus::Completed, 3);
    StepRecord runningStep = makeStep(running, 1, StepStatus::Running);
    StepRecord finishedStep = makeStep(running, 2, StepStatus::Completed);
    {
        ExecutionStore store(dbPath());
        QVERIFY(store.open().ok());
        for (const ExecutionRecord &e : { running, queued, done })
            QVERIFY(store.insertExecution(e).ok());
        QVERIFY(store.insertStep(runningStep).ok());
        QVERIFY(store.insertStep(finishedStep).ok());
    } // the "crash": the process stops with these rows still running

    ExecutionStore store(dbPath());
    int recovered = -1;
    QVERIFY(store.open(&recovered).ok());
    QCOMPARE(recovered, 2);
    const ExecutionRecord r = store.execution(kEvery, running.id).value();
    QCOMPARE(r.status, ExecutionStatus::Interrupted);
    QCOMPARE(r.errorMessage, u"interrupted: the app stopped during the run"_s);
    {
        RawDb raw(dbPath());
        QCOMPARE(raw.scalar(u"SELECT status FROM execution_steps WHERE id = '%1'"_s.arg(runningStep.id))
                     .toString(),
            u"interrupted"_s);
    }
    QCOMPARE(r.steps.at(0).status, StepStatus::Interrupted);
    QCOMPARE(r.steps.at(0).errorMessage, u"interrupted: the app stopped during the run"_s);
    QCOMPARE(r.steps.at(1).status, StepStatus::Completed);
    QCOMPARE(store.execution(kEvery, queued.id)->status, ExecutionStatus::Interrupted);
    QCOMPARE(store.execution(kEvery, done.id)->status, ExecutionStatus::Completed);
    QVERIFY(store.execution(kEvery, done.id)->errorMessage.isEmpty());
}

void TestExecutionStore::doesNotInterruptRunsOfAnotherLiveStore()
{
    // The app's engine is running something while the runner opens the same file.
    ExecutionStore engine(dbPath());
    QVERIFY(engine.open().ok());
    const ExecutionRecord running = makeExecution(u"a"_s, ExecutionStatus::Running, 1);
    QVERIFY(engine.insertExecution(running).ok());

    ExecutionStore runner(dbPath());
    int recovered = -1;
    QVERIFY(runner.open(&recovered).ok());
    QCOMPARE(recovered, 0);
    QCOMPARE(runner.execution(kEvery, running.id)->status, ExecutionStatus::Running);
}

void TestExecutionStore::twoThreadsWriteAtOnce()
{
    // Two engines (threads, each with its own store on the same file) write at full speed:
    // the busy timeout and IMMEDIATE transactions make one wait for the other, nothing is lost.
    constexpr int perThread = 400;
    const QString path = dbPath();
    {
        ExecutionStore first(path); // creates the file so both threads race on writes only
        QVERIFY(first.open().ok());
    }
    auto writer = [path](QString agent, QStringList *errors) {
        ExecutionStore store(path);
        if (auto r = store.open(); !r) {
            errors->append(r.error());
            return;
        }
        for (int i = 0; i < perThread; ++i) {
            ExecutionRecord e = makeExecution(agent, ExecutionStatus::Running, i);
            const bool batched = i % 2 == 0;
            if (batched)
                if (auto r = store.begin(); !r)
                    errors->append(r.error());
            if (auto r = store.insertExecution(e); !r)
                errors->append(r.error());
            StepRecord s = makeStep(e, 1, StepStatus::Completed);
            if (auto r = store.insertStep(s); !r)
                errors->append(r.error());
            e.status = ExecutionStatus::Completed;
            if (auto r = store.updateExecution(e); !r)
                errors->append(r.error());
            if (batched)
                if (auto r = store.commit(); !r)
                    errors->append(r.error());
        }
    };
    QStringList errorsA, errorsB;
    std::unique_ptr<QThread> a(QThread::create(writer, u"agent-a"_s, &errorsA));
    std::unique_ptr<QThread> b(QThread::create(writer, u"agent-b"_s, &errorsB));
    a->start();
    b->start();
    QVERIFY(a->wait(120000));
    QVERIFY(b->wait(120000));
    QVERIFY2(errorsA.isEmpty(), qPrintable(errorsA.join(u'\n')));
    QVERIFY2(errorsB.isEmpty(), qPrintable(errorsB.join(u'\n')));

    ExecutionStore store(path);
    QVERIFY(store.open().ok());
    HistoryQuery q;
    q.agentId = u"agent-a"_s;
    QCOMPARE(store.count(kEvery, q).value(), perThread);
    q.agentId = u"agent-b"_s;
    QCOMPARE(store.count(kEvery, q).value(), perThread);
    q = {};
    q.statuses = { ExecutionStatus::Completed };
    QCOMPARE(store.count(kEvery, q).value(), 2 * perThread);
    RawDb raw(path);
    QCOMPARE(raw.scalar(u"SELECT COUNT(*) FROM execution_steps"_s).toInt(), 2 * perThread);
}

void TestExecutionStore::nestedTransactions()
{
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    ExecutionStore reader(dbPath());
    QVERIFY(reader.open().ok());

    QVERIFY(store.begin().ok());
    QVERIFY(store.insertExecution(makeExecution(u"a"_s, ExecutionStatus::Completed, 1)).ok());
    QVERIFY(store.begin().ok());
    QVERIFY(store.insertExecution(makeExecution(u"a"_s, ExecutionStatus::Completed, 2)).ok());
    QVERIFY(store.commit().ok());
    QCOMPARE(reader.count(kEvery, {}).value(), 0); // inner commit: nothing visible yet
    QVERIFY(store.commit().ok());
    QCOMPARE(reader.count(kEvery, {}).value(), 2);

    QVERIFY(store.begin().ok());
    QVERIFY(store.insertExecution(makeExecution(u"a"_s, ExecutionStatus::Completed, 3)).ok());
    QVERIFY(store.rollback().ok());
    QCOMPARE(reader.count(kEvery, {}).value(), 2);
    QVERIFY(!store.commit().ok());
}

void TestExecutionStore::removeCascadesToSteps()
{
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    const ExecutionRecord a = makeExecution(u"a"_s, ExecutionStatus::Completed, 1);
    const ExecutionRecord b = makeExecution(u"a"_s, ExecutionStatus::Completed, 2);
    QVERIFY(store.insertExecution(a).ok());
    QVERIFY(store.insertExecution(b).ok());
    QVERIFY(store.insertStep(makeStep(a, 1, StepStatus::Completed)).ok());
    QVERIFY(store.insertStep(makeStep(b, 1, StepStatus::Completed)).ok());
    QCOMPARE(store.remove(kEvery, { a.id, u"unknown"_s }).value(), 1);
    QVERIFY(!store.execution(kEvery, a.id).ok());
    RawDb raw(dbPath());
    QCOMPARE(raw.scalar(u"SELECT COUNT(*) FROM execution_steps"_s).toInt(), 1);
    QCOMPARE(store.remove(kEvery, {}).value(), 0);
}

void TestExecutionStore::retention()
{
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    QStringList order; // oldest first
    for (int i = 0; i < 10; ++i) {
        const ExecutionRecord e
            = makeExecution(u"a"_s, i == 0 ? ExecutionStatus::Running : ExecutionStatus::Completed, i);
        order.append(e.id);
        QVERIFY(store.insertExecution(e).ok());
    }
    // Keep the newest 6: 1..3 go, 0 stays because it is still running.
    QCOMPARE(store.applyRetention(kEvery, 6, {}).value(), 3);
    QCOMPARE(store.count(kEvery, {}).value(), 7);
    QVERIFY(store.execution(kEvery, order.at(0)).ok());
    QVERIFY(!store.execution(kEvery, order.at(3)).ok());
    QVERIFY(store.execution(kEvery, order.at(4)).ok());
    // Drop anything queued before minute 6: 4 and 5 go.
    QCOMPARE(store.applyRetention(kEvery, 0, kBase.addSecs(6 * 60)).value(), 2);
    QCOMPARE(store.count(kEvery, {}).value(), 5);
    QCOMPARE(store.applyRetention(kEvery, 0, {}).value(), 0);
}

void TestExecutionStore::latestSuccessfulRun()
{
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    QVERIFY(!store.latestSuccessfulRun(kEvery, u"brief"_s).ok());
    auto orchestration = [](TestMode mode, ExecutionStatus status, int minute) {
        ExecutionRecord e = makeExecution({}, status, minute);
        e.executionType = ExecutionType::Orchestration;
        e.orchestrationId = u"brief"_s;
        e.testMode = mode;
        if (mode == TestMode::NodeInContext)
            e.nodeId = u"draft"_s;
        return e;
    };
    const ExecutionRecord full = orchestration(TestMode::FullWorkflow, ExecutionStatus::Completed, 1);
    QVERIFY(store.insertExecution(full).ok());
    QVERIFY(store.insertStep(makeStep(full, 1, StepStatus::Completed)).ok());
    QVERIFY(store.insertExecution(orchestration(TestMode::FullWorkflow, ExecutionStatus::Failed, 2)).ok());
    QVERIFY(
        store.insertExecution(orchestration(TestMode::NodeInContext, ExecutionStatus::Completed, 3)).ok());
    const Result<ExecutionRecord> latest = store.latestSuccessfulRun(kEvery, u"brief"_s);
    QVERIFY2(latest.ok(), qPrintable(latest.error()));
    QCOMPARE(latest->id, full.id);
    QCOMPARE(latest->steps.size(), 1);

    // A seed-era row (no test_mode) counts when it ran the whole orchestration.
    ExecutionRecord old = orchestration(TestMode::Unset, ExecutionStatus::Completed, 4);
    QVERIFY(store.insertExecution(old).ok());
    QCOMPARE(store.latestSuccessfulRun(kEvery, u"brief"_s)->id, old.id);
}

namespace {

// Workspace "alpha" and workspace "beta" of one organization both have an orchestration
// "research_brief"; a third pair differs from alpha's only where "/" would join the ids.
ExecutionRecord briefRun(const QString &org, const QString &workspace, const QString &topic, int minute)
{
    ExecutionRecord e = makeExecution({}, ExecutionStatus::Completed, minute, topic);
    e.organizationId = org;
    e.workspaceId = workspace;
    e.executionType = ExecutionType::Orchestration;
    e.orchestrationId = u"research_brief"_s;
    e.testMode = TestMode::FullWorkflow;
    e.inputData = QJsonObject { { u"topic"_s, topic } };
    return e;
}

} // namespace

void TestExecutionStore::tenantScopeHidesOtherWorkspaces_data()
{
    QTest::addColumn<QString>("org");
    QTest::addColumn<QString>("workspace");
    QTest::newRow("another workspace of the organization") << u"local"_s << u"beta"_s;
    QTest::newRow("another organization, same workspace id") << u"acme"_s << u"alpha"_s;
    QTest::newRow("ids that join to the same org/workspace") << u"local/alpha"_s << u""_s;
}

void TestExecutionStore::tenantScopeHidesOtherWorkspaces()
{
    QFETCH(QString, org);
    QFETCH(QString, workspace);
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    const StoreScope alpha = StoreScope::workspace(u"local"_s, u"alpha"_s);
    const StoreScope other = StoreScope::workspace(org, workspace);
    const ExecutionRecord secret = briefRun(u"local"_s, u"alpha"_s, u"secret merger of alpha"_s, 1);
    QVERIFY(store.insertExecution(secret).ok());
    QVERIFY(store.insertStep(makeStep(secret, 1, StepStatus::Completed)).ok());

    // Alpha sees its run through every read.
    QCOMPARE(store.latestSuccessfulRun(alpha, u"research_brief"_s)->id, secret.id);
    QCOMPARE(store.execution(alpha, secret.id)->steps.size(), 1);
    QCOMPARE(store.query(alpha, {})->items.size(), 1);
    QCOMPARE(store.count(alpha, {}).value(), 1);

    // The other tenant sees nothing, and a missing id reads the same as alpha's.
    const Result<ExecutionRecord> latest = store.latestSuccessfulRun(other, u"research_brief"_s);
    QVERIFY(!latest.ok());
    QVERIFY2(latest.error().startsWith(u"no completed full run of orchestration 'research_brief'"_s),
        qPrintable(latest.error()));
    const Result<ExecutionRecord> read = store.execution(other, secret.id);
    QVERIFY(!read.ok());
    QCOMPARE(read.error(), u"no execution with id '%1'"_s.arg(secret.id));
    QCOMPARE(store.execution(other, u"no-such-id"_s).error(), u"no execution with id 'no-such-id'"_s);
    QVERIFY(store.query(other, {})->items.isEmpty());
    QCOMPARE(store.count(other, {}).value(), 0);
    HistoryQuery search;
    search.search = u"merger"_s;
    QCOMPARE(store.query(alpha, search)->items.size(), 1);
    QVERIFY(store.query(other, search)->items.isEmpty());
    HistoryQuery byOrchestration;
    byOrchestration.orchestrationId = u"research_brief"_s;
    QVERIFY(store.query(other, byOrchestration)->items.isEmpty());
    // A query's own workspace filter narrows within the scope, it never widens it.
    HistoryQuery widen;
    widen.organizationId = u"local"_s;
    widen.workspaceId = u"alpha"_s;
    QVERIFY(store.query(other, widen)->items.isEmpty());
    QCOMPARE(store.count(other, widen).value(), 0);
    QCOMPARE(store.query(alpha, widen)->items.size(), 1);
}

void TestExecutionStore::tenantScopeFullTextSearchWithManyMatches()
{
    // Over 1000 matches takes the rowid walk (queryByRowid), which filters each chunk itself.
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    QVERIFY(store.begin().ok());
    for (int i = 0; i < 1100; ++i)
        QVERIFY(store.insertExecution(briefRun(u"local"_s, u"alpha"_s, u"common secret"_s, i)).ok());
    QVERIFY(store.commit().ok());
    const ExecutionRecord own = briefRun(u"local"_s, u"beta"_s, u"common but public"_s, 0);
    QVERIFY(store.insertExecution(own).ok());
    HistoryQuery q;
    q.search = u"common"_s;
    q.limit = 20;
    const Result<HistoryPage> page = store.query(StoreScope::workspace(u"local"_s, u"beta"_s), q);
    QVERIFY2(page.ok(), qPrintable(page.error()));
    QCOMPARE(ids(page->items), QStringList { own.id });
    QCOMPARE(store.query(StoreScope::workspace(u"local"_s, u"alpha"_s), q)->items.size(), 20);
}

void TestExecutionStore::tenantScopeDeletesAndRetainsOnlyItsOwn()
{
    ExecutionStore store(dbPath());
    QVERIFY(store.open().ok());
    const StoreScope alpha = StoreScope::workspace(u"local"_s, u"alpha"_s);
    const StoreScope beta = StoreScope::workspace(u"local"_s, u"beta"_s);
    QStringList alphaIds, betaIds; // oldest first
    for (int i = 0; i < 4; ++i) {
        const ExecutionRecord a = briefRun(u"local"_s, u"alpha"_s, u"a"_s, 2 * i);
        const ExecutionRecord b = briefRun(u"local"_s, u"beta"_s, u"b"_s, 2 * i + 1);
        QVERIFY(store.insertExecution(a).ok());
        QVERIFY(store.insertExecution(b).ok());
        alphaIds.append(a.id);
        betaIds.append(b.id);
    }
    // Beta cannot delete alpha's rows, by id or by retention.
    QCOMPARE(store.remove(beta, alphaIds).value(), 0);
    QCOMPARE(store.applyRetention(beta, 0, kBase.addSecs(3600)).value(), 4);
    QCOMPARE(store.count(kEvery, {}).value(), 4);
    QCOMPARE(store.count(alpha, {}).value(), 4);
    // Keep-last counts the scope's own rows only: alpha keeps its newest 3 of 4.
    QCOMPARE(store.applyRetention(alpha, 3, {}).value(), 1);
    QVERIFY(!store.execution(alpha, alphaIds.first()).ok());
    QCOMPARE(store.remove(alpha, alphaIds).value(), 3);
    QCOMPARE(store.count(kEvery, {}).value(), 0);
}

// The lock file of store `path` (its only owner): one "*.lock" in "<path>.owners".
static QString onlyOwnerLockFile(const QString &path)
{
    const QDir owners(path + u".owners"_s);
    const QStringList files = owners.entryList({ u"*.lock"_s }, QDir::Files);
    return files.size() == 1 ? owners.absoluteFilePath(files.first()) : QString();
}

void TestExecutionStore::staleLockWithThisProcessPidIsDead()
{
    SQLITE_ONLY();
    // A process killed with SIGKILL leaves its lock file behind; its PID is then reused, here
    // by this very process (as a restarted container's PID 1 reuses its predecessor's PID).
    const ExecutionRecord running = makeExecution(u"a"_s, ExecutionStatus::Running, 1);
    QString lockFile;
    QByteArray lockText;
    {
        ExecutionStore crashed(dbPath());
        QVERIFY(crashed.open().ok());
        QVERIFY(crashed.insertExecution(running).ok());
        lockFile = onlyOwnerLockFile(dbPath());
        QVERIFY(!lockFile.isEmpty());
        QFile f(lockFile);
        QVERIFY(f.open(QIODevice::ReadOnly));
        lockText = f.readAll(); // names this process's PID, program and host
    }
    // What SIGKILL leaves: the same file with the same text, and no process holding it.
    QFile left(lockFile);
    QVERIFY(left.open(QIODevice::WriteOnly));
    QCOMPARE(left.write(lockText), lockText.size());
    left.close();

    ExecutionStore restarted(dbPath());
    int recovered = -1;
    QVERIFY(restarted.open(&recovered).ok());
    QCOMPARE(recovered, 1);
    QCOMPARE(restarted.execution(kEvery, running.id)->status, ExecutionStatus::Interrupted);
    QVERIFY2(!QFile::exists(lockFile), "the dead owner's lock file is cleaned up");
}

void TestExecutionStore::unusableOwnersFolderFailsLoudly()
{
    SQLITE_ONLY();
    // The owners folder cannot be made (a file is in its place): opening fails and says where,
    // rather than running unannounced where another process could interrupt our runs.
    QVERIFY(QDir().mkpath(QFileInfo(dbPath()).absolutePath()));
    QFile blocker(dbPath() + u".owners"_s);
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    ExecutionStore store(dbPath());
    const Result<void> r = store.open();
    QVERIFY(!r.ok());
    QVERIFY2(r.error().contains(dbPath() + u".owners"_s), qPrintable(r.error()));
    QVERIFY2(r.error().contains(u"live owner"_s), qPrintable(r.error()));
    QVERIFY(!store.isOpen());
}

namespace {

// store_owner_helper as a running process: `hold` holds the store with one `running` run.
struct Helper
{
    QProcess process;

    // Starts `program args…` and waits for its first line; returns it.
    QString start(const QString &program, const QStringList &args)
    {
        process.setProgram(program);
        process.setArguments(args);
        process.setProcessChannelMode(QProcess::SeparateChannels);
        process.start();
        if (!process.waitForStarted(10000))
            return u"<did not start: %1>"_s.arg(process.errorString());
        while (!process.canReadLine()) {
            if (process.state() == QProcess::NotRunning || !process.waitForReadyRead(20000)) {
                process.waitForFinished(1000);
                return u"<no line; stderr: %1>"_s.arg(QString::fromUtf8(process.readAllStandardError()));
            }
        }
        return QString::fromUtf8(process.readLine()).trimmed();
    }
    ~Helper()
    {
        if (process.state() != QProcess::NotRunning) {
            process.closeWriteChannel();
            if (!process.waitForFinished(5000)) {
                process.kill();
                process.waitForFinished(5000);
            }
        }
    }
};

const QString kHelper = QStringLiteral(STORE_OWNER_HELPER);

// Whether nobody holds the OS lock of `path` (taken and released at once; the file stays).
bool lockIsFree(const QString &path)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    ::close(fd);
    return free;
}

} // namespace

void TestExecutionStore::killedOwnerIsRecoveredOnReopen()
{
    SQLITE_ONLY();
    Helper owner;
    QCOMPARE(owner.start(kHelper, { u"hold"_s, dbPath(), u"run-1"_s }), u"ready 0"_s);
    owner.process.kill(); // SIGKILL: no destructor, the lock file stays
    QVERIFY(owner.process.waitForFinished(10000));
    QVERIFY(!onlyOwnerLockFile(dbPath()).isEmpty());

    ExecutionStore next(dbPath());
    int recovered = -1;
    QVERIFY(next.open(&recovered).ok());
    QCOMPARE(recovered, 1);
    QCOMPARE(next.execution(kEvery, u"run-1"_s)->status, ExecutionStatus::Interrupted);
}

void TestExecutionStore::secondProcessLeavesLiveRunsAlone()
{
    SQLITE_ONLY();
    // A server is running a run; `agentstudio-run history` opens the same file meanwhile.
    Helper server;
    QCOMPARE(server.start(kHelper, { u"hold"_s, dbPath(), u"live-run"_s }), u"ready 0"_s);
    Helper history;
    QCOMPARE(history.start(kHelper, { u"open"_s, dbPath() }), u"recovered 0"_s);
    ExecutionStore reader(dbPath());
    int recovered = -1;
    QVERIFY(reader.open(&recovered).ok());
    QCOMPARE(recovered, 0);
    QCOMPARE(reader.execution(kEvery, u"live-run"_s)->status, ExecutionStatus::Running);
}

void TestExecutionStore::restartAsSamePidInPidNamespace()
{
    SQLITE_ONLY();
    // A server in a container is PID 1 of its PID namespace every time it starts. Killed and
    // restarted, it is PID 1 again: it must recover its predecessor's run, and a process
    // outside the namespace (where PID 1 is another program) must leave its live run alone.
    const QStringList ns = { u"--pid"_s, u"--fork"_s, u"--mount-proc"_s, u"--kill-child=SIGKILL"_s, kHelper };
    {
        QProcess probe;
        probe.start(u"unshare"_s, { u"--pid"_s, u"--fork"_s, u"--mount-proc"_s, u"true"_s });
        if (!probe.waitForFinished(10000) || probe.exitStatus() != QProcess::NormalExit
            || probe.exitCode() != 0)
            QSKIP("unshare --pid --fork --mount-proc is not permitted here (needs root or user namespaces)");
    }
    {
        Helper first;
        QCOMPARE(first.start(u"unshare"_s, ns + QStringList { u"hold"_s, dbPath(), u"before-crash"_s }),
            u"ready 0"_s);
        first.process.kill(); // SIGKILL to unshare; --kill-child takes the PID 1 with it
        QVERIFY(first.process.waitForFinished(10000));
    }
    // Its lock file stays; its lock goes once the kernel has ended the namespace's PID 1 too.
    const QString left = onlyOwnerLockFile(dbPath());
    QVERIFY(!left.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(lockIsFree(left), 10000);

    Helper restarted;
    QCOMPARE(restarted.start(u"unshare"_s, ns + QStringList { u"hold"_s, dbPath(), u"after-restart"_s }),
        u"ready 1"_s);

    Helper outside;
    QCOMPARE(outside.start(kHelper, { u"open"_s, dbPath() }), u"recovered 0"_s);
    ExecutionStore reader(dbPath());
    QVERIFY(reader.open().ok());
    QCOMPARE(reader.execution(kEvery, u"before-crash"_s)->status, ExecutionStatus::Interrupted);
    QCOMPARE(reader.execution(kEvery, u"after-restart"_s)->status, ExecutionStatus::Running);
}

void TestExecutionStore::closeBoundsOptimize()
{
    SQLITE_ONLY();
    // Statistics written by the last close tell how it ran: a store that only read writes
    // none; one that wrote runs optimize with analysis_limit, whose ANALYZE samples an index
    // (sqlite_stat1 rows) instead of reading it whole.
    {
        ExecutionStore writer(dbPath());
        QVERIFY(writer.open().ok());
        QVERIFY(writer.begin().ok());
        for (int i = 0; i < 2000; ++i)
            QVERIFY(writer.insertExecution(makeExecution(u"a"_s, ExecutionStatus::Completed, i)).ok());
        QVERIFY(writer.commit().ok());
        QVERIFY(writer.query(kEvery, {}).ok());
    }
    RawDb raw(dbPath());
    const QVariant stat = raw.scalar(u"SELECT stat FROM sqlite_stat1 WHERE idx = 'idx_executions_queued'"_s);
    QVERIFY2(stat.isValid(), "optimize ran ANALYZE after the writes");
    // An exact ANALYZE states the 2000 rows; a bounded one states its estimate.
    QVERIFY2(!stat.toString().startsWith(u"2000 "_s), qPrintable(stat.toString()));
    QVERIFY(raw.exec(u"DELETE FROM sqlite_stat1"_s));
    {
        ExecutionStore reader(dbPath());
        QVERIFY(reader.open().ok());
        QVERIFY(reader.query(kEvery, {}).ok());
    }
    QCOMPARE(raw.scalar(u"SELECT COUNT(*) FROM sqlite_stat1"_s).toInt(), 0);
}

QTEST_GUILESS_MAIN(TestExecutionStore)
#include "tst_executionstore.moc"
