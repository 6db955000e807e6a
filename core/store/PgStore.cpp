#include "core/store/PgStore.h"

#include "core/api/ErrorCode.h"
#include "core/common/Util.h"
#include "core/store/ExecutionStore.h"
#include "core/store/PgConnection.h"
#include "core/store/PgQuery.h"
#include "core/store/PgSchema.h"
#include "core/store/StoreRows.h"
#include "core/store/StoreSchema.h"

#include <QJsonArray>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <algorithm>
#include <atomic>

// The PostgreSQL store (docs/postgres-store.md). One QPSQL connection per PgStore, opened and
// used on the thread that called open() (Qt 6.4 connections are bound to their thread). Rows
// go in and out through core/store/StoreRows.h like the SQLite store's, so both backends hold
// the same records; this file only speaks PostgreSQL's dialect.
using storeschema::columnList;
using storeschema::evalResultColumns;
using storeschema::evalRunColumns;
using storeschema::executionColumns;
using storeschema::stepColumns;

namespace {

std::atomic<quint64> g_pgConnections { 0 };

const QString kExecutions = QStringLiteral("executions");
const QString kSteps = QStringLiteral("execution_steps");

QString marks(qsizetype n)
{
    QStringList m;
    for (qsizetype i = 0; i < n; ++i)
        m.append(QStringLiteral("?"));
    return m.join(QStringLiteral(", "));
}

QString setList(const QList<storeschema::Column> &columns, qsizetype from)
{
    QStringList sets;
    for (qsizetype i = from; i < columns.size(); ++i)
        sets.append(QLatin1String(columns.at(i).name) + QStringLiteral(" = ?"));
    return sets.join(QStringLiteral(", "));
}

Failure sqlFailure(const QString &what, const QSqlQuery &q)
{
    return Failure { QStringLiteral("store: %1: %2").arg(what, q.lastError().text()) };
}

Failure notOpen()
{
    return Failure { QStringLiteral("store: not open") };
}

} // namespace

struct PgStore::Private
{
    QString uri;
    QString connection;
    int txDepth = 0;
    bool open = false;
    // Prepared once per connection; destroyed before it.
    std::unique_ptr<QSqlQuery> insertExecution, updateExecution, insertStep, updateStep, selectExecution,
        selectSteps;

    QSqlDatabase db() const { return QSqlDatabase::database(connection, false); }

    // A write inside an explicit transaction runs under a savepoint: PostgreSQL aborts the
    // whole transaction on any failed statement, SQLite only fails that statement, and callers
    // (the engine's batches) expect the SQLite meaning.
    bool write(QSqlQuery &q, const QVariantList &values)
    {
        if (txDepth == 0)
            return pgquery::execBound(q, values);
        QSqlQuery sp(db());
        if (!sp.exec(QStringLiteral("SAVEPOINT agentstudio_write")))
            return pgquery::execBound(q, values); // fails too, with the transaction's error
        if (pgquery::execBound(q, values)) {
            sp.exec(QStringLiteral("RELEASE SAVEPOINT agentstudio_write"));
            return true;
        }
        sp.exec(QStringLiteral("ROLLBACK TO SAVEPOINT agentstudio_write"));
        return false;
    }

    Result<void> prepareStatements();
};

Result<void> PgStore::Private::prepareStatements()
{
    const QSqlDatabase handle = db();
    for (auto *slot :
        { &insertExecution, &updateExecution, &insertStep, &updateStep, &selectExecution, &selectSteps })
        *slot = std::make_unique<QSqlQuery>(handle);
    const std::pair<QSqlQuery *, QString> all[] = {
        { insertExecution.get(),
            QStringLiteral("INSERT INTO executions (%1, instance_id) VALUES (%2, ?)")
                .arg(columnList(executionColumns()), marks(executionColumns().size())) },
        { updateExecution.get(),
            QStringLiteral("UPDATE executions SET %1 WHERE id = ?").arg(setList(executionColumns(), 1)) },
        { insertStep.get(),
            QStringLiteral("INSERT INTO execution_steps (%1) VALUES (%2)")
                .arg(columnList(stepColumns()), marks(stepColumns().size())) },
        { updateStep.get(),
            QStringLiteral("UPDATE execution_steps SET %1 WHERE id = ?").arg(setList(stepColumns(), 1)) },
        { selectExecution.get(),
            QStringLiteral("SELECT %1 FROM executions WHERE id = ?")
                .arg(pgschema::selectList(kExecutions, executionColumns())) },
        // NULL start times first, as SQLite orders them.
        { selectSteps.get(),
            QStringLiteral("SELECT %1 FROM execution_steps WHERE execution_id = ? ORDER BY step_number, "
                           "started_at NULLS FIRST, row_seq")
                .arg(pgschema::selectList(kSteps, stepColumns())) },
    };
    for (const auto &[query, sql] : all)
        if (!query->prepare(sql))
            return Failure {
                QStringLiteral("store: cannot prepare statements: %1").arg(query->lastError().text())
            };
    return {};
}

PgStore::PgStore(QString uri)
    : d(std::make_unique<Private>())
{
    d->uri = std::move(uri);
    d->connection = QStringLiteral("agentstudio-pgstore-%1").arg(++g_pgConnections);
}

PgStore::~PgStore()
{
    close();
}

bool PgStore::isUri(const QString &path)
{
    return path.startsWith(QLatin1String("postgresql://")) || path.startsWith(QLatin1String("postgres://"));
}

QString PgStore::redactedUri(const QString &uri)
{
    return pgconn::redactedUri(uri);
}

Result<void> PgStore::open(int *recovered)
{
    if (recovered)
        *recovered = 0;
    if (d->open)
        return {};
    if (auto r = pgconn::open(d->connection, d->uri, QStringLiteral("store")); !r)
        return r;
    QSqlDatabase db = d->db();
    Result<void> ready = pgschema::migrate(db);
    if (ready)
        ready = d->prepareStatements();
    int n = 0;
    if (ready) {
        // Executions whose owner instance stopped renewing its lease (docs/postgres-store.md).
        QSqlQuery q(db);
        if (q.exec(QStringLiteral("SELECT count(*) FROM agentstudio_interrupt_expired()")) && q.next())
            n = q.value(0).toInt();
        else
            ready = sqlFailure(QStringLiteral("recovering interrupted executions"), q);
    }
    db = QSqlDatabase();
    if (!ready) {
        close();
        return ready;
    }
    d->open = true;
    if (recovered)
        *recovered = n;
    return {};
}

bool PgStore::isOpen() const
{
    return d->open;
}

void PgStore::close()
{
    for (auto *slot : { &d->insertExecution, &d->updateExecution, &d->insertStep, &d->updateStep,
             &d->selectExecution, &d->selectSteps })
        slot->reset();
    pgconn::close(d->connection);
    d->open = false;
    d->txDepth = 0;
}

Result<void> PgStore::insertExecution(const ExecutionRecord &e)
{
    if (!d->open)
        return notOpen();
    if (e.id.isEmpty())
        return Failure { QStringLiteral("store: execution without an id") };
    QVariantList values = storerows::executionValues(e);
    const QString owner = ExecutionStore::processInstanceId();
    values.append(owner.isEmpty() ? QVariant() : QVariant(owner));
    if (!d->write(*d->insertExecution, values))
        return sqlFailure(QStringLiteral("inserting execution %1").arg(e.id), *d->insertExecution);
    return {};
}

Result<void> PgStore::updateExecution(const ExecutionRecord &e)
{
    if (!d->open)
        return notOpen();
    QVariantList values = storerows::executionValues(e);
    values.append(values.takeFirst()); // id goes last, into WHERE
    QSqlQuery &q = *d->updateExecution;
    if (!d->write(q, values))
        return sqlFailure(QStringLiteral("updating execution %1").arg(e.id), q);
    if (q.numRowsAffected() != 1)
        return Failure { QStringLiteral("store: no execution %1 to update").arg(e.id) };
    return {};
}

Result<void> PgStore::insertStep(const StepRecord &s)
{
    if (!d->open)
        return notOpen();
    if (s.id.isEmpty() || s.executionId.isEmpty())
        return Failure { QStringLiteral("store: step without an id or execution id") };
    if (!d->write(*d->insertStep, storerows::stepValues(s)))
        return sqlFailure(QStringLiteral("inserting step %1").arg(s.id), *d->insertStep);
    return {};
}

Result<void> PgStore::updateStep(const StepRecord &s)
{
    if (!d->open)
        return notOpen();
    QVariantList values = storerows::stepValues(s);
    values.append(values.takeFirst());
    QSqlQuery &q = *d->updateStep;
    if (!d->write(q, values))
        return sqlFailure(QStringLiteral("updating step %1").arg(s.id), q);
    if (q.numRowsAffected() != 1)
        return Failure { QStringLiteral("store: no step %1 to update").arg(s.id) };
    return {};
}

Result<void> PgStore::begin()
{
    if (!d->open)
        return notOpen();
    if (d->txDepth == 0) {
        QSqlDatabase db = d->db();
        if (!db.transaction())
            return Failure { QStringLiteral("store: begin: %1").arg(db.lastError().text()) };
    }
    ++d->txDepth;
    return {};
}

Result<void> PgStore::commit()
{
    if (d->txDepth <= 0)
        return Failure { QStringLiteral("store: commit without begin") };
    if (--d->txDepth > 0)
        return {};
    QSqlDatabase db = d->db();
    // A transaction PostgreSQL has aborted answers COMMIT with ROLLBACK: commit() is false.
    if (!db.commit()) {
        const QString error = db.lastError().text();
        db.rollback();
        return Failure { QStringLiteral("store: commit: %1").arg(error) };
    }
    return {};
}

Result<void> PgStore::rollback()
{
    if (d->txDepth <= 0)
        return Failure { QStringLiteral("store: rollback without begin") };
    d->txDepth = 0;
    QSqlDatabase db = d->db();
    if (!db.rollback())
        return Failure { QStringLiteral("store: rollback: %1").arg(db.lastError().text()) };
    return {};
}

Result<ExecutionRecord> PgStore::execution(const StoreScope &scope, const QString &id, bool withSteps) const
{
    if (!d->open)
        return notOpen();
    QSqlQuery &q = *d->selectExecution;
    q.bindValue(0, id);
    if (!q.exec())
        return sqlFailure(QStringLiteral("reading execution %1").arg(id), q);
    const bool found = q.next();
    ExecutionRecord e = found ? storerows::executionFromRow(q) : ExecutionRecord();
    q.finish();
    // Another tenant's execution reads exactly as a missing one.
    if (!found || !scope.contains(e))
        return Failure { QStringLiteral("no execution with id '%1'").arg(id), ErrorCode::NotFound };
    if (withSteps) {
        QSqlQuery &s = *d->selectSteps;
        s.bindValue(0, id);
        if (!s.exec())
            return sqlFailure(QStringLiteral("reading steps of %1").arg(id), s);
        while (s.next())
            e.steps.append(storerows::stepFromRow(s));
        s.finish();
    }
    return e;
}

Result<HistoryPage> PgStore::query(const StoreScope &scope, const HistoryQuery &request) const
{
    if (!d->open)
        return notOpen();
    return pgquery::historyPage(d->db(), scope, request);
}

Result<qint64> PgStore::count(const StoreScope &scope, const HistoryQuery &request) const
{
    if (!d->open)
        return notOpen();
    return pgquery::historyCount(d->db(), scope, request);
}

Result<int> PgStore::remove(const StoreScope &scope, const QStringList &ids)
{
    if (!d->open)
        return notOpen();
    if (ids.isEmpty())
        return 0;
    if (auto r = begin(); !r)
        return Failure { r.error() };
    QSqlQuery q(d->db());
    int removed = 0;
    const pgquery::Where inScope = pgquery::scopeClause(scope);
    constexpr qsizetype chunk = 500;
    for (qsizetype at = 0; at < ids.size(); at += chunk) {
        const QStringList part = ids.mid(at, chunk);
        pgquery::Where where = inScope;
        where.terms.prepend(QStringLiteral("id IN (%1)").arg(marks(part.size())));
        where.values = QVariantList(part.cbegin(), part.cend()) + inScope.values;
        if (!q.prepare(QStringLiteral("DELETE FROM executions") + where.sql())
            || !pgquery::execBound(q, where.values)) {
            const Failure f = sqlFailure(QStringLiteral("removing executions"), q);
            (void)rollback();
            return f;
        }
        removed += q.numRowsAffected();
    }
    if (auto r = commit(); !r)
        return Failure { r.error() };
    return removed;
}

Result<int> PgStore::applyRetention(const StoreScope &scope, int keepLast, const QDateTime &olderThan)
{
    if (!d->open)
        return notOpen();
    // Queued and running executions are never deleted: the engine is still writing them.
    if (auto r = begin(); !r)
        return Failure { r.error() };
    QSqlQuery q(d->db());
    int removed = 0;
    pgquery::Where finished = pgquery::scopeClause(scope);
    finished.terms.prepend(QStringLiteral("status NOT IN ('queued', 'running')"));
    auto run = [&](const pgquery::Where &where, const QString &what) -> std::optional<Failure> {
        if (!q.prepare(QStringLiteral("DELETE FROM executions") + where.sql())
            || !pgquery::execBound(q, where.values)) {
            const Failure f = sqlFailure(what, q);
            (void)rollback();
            return f;
        }
        removed += q.numRowsAffected();
        return std::nullopt;
    };
    if (keepLast > 0) {
        // The newest `keepLast` of the scope are kept, whatever other workspaces hold.
        const pgquery::Where inScope = pgquery::scopeClause(scope);
        pgquery::Where where = finished;
        where.terms.append(
            QStringLiteral("id IN (SELECT id FROM executions%1 ORDER BY queued_at DESC, id DESC OFFSET ?)")
                .arg(inScope.sql()));
        where.values << inScope.values << keepLast;
        if (auto f = run(where, QStringLiteral("retention by count")))
            return *f;
    }
    if (olderThan.isValid()) {
        pgquery::Where where = finished;
        where.terms.append(QStringLiteral("queued_at < ?::timestamptz"));
        where.values << as::isoTime(olderThan);
        if (auto f = run(where, QStringLiteral("retention by age")))
            return *f;
    }
    if (auto r = commit(); !r)
        return Failure { r.error() };
    return removed;
}

Result<ExecutionRecord> PgStore::latestSuccessfulRun(
    const StoreScope &scope, const QString &orchestrationId) const
{
    if (!d->open)
        return notOpen();
    pgquery::Where where = pgquery::scopeClause(scope);
    where.terms.prepend(QStringLiteral("orchestration_id = ? AND status = 'completed' AND "
                                       "(test_mode = 'full_workflow' OR (test_mode IS NULL AND "
                                       "execution_type = 'orchestration' AND coalesce(node_id, '') = ''))"));
    where.values.prepend(orchestrationId);
    QSqlQuery q(d->db());
    if (!q.prepare(QStringLiteral("SELECT id FROM executions%1 ORDER BY queued_at DESC, id DESC LIMIT 1")
                       .arg(where.sql()))
        || !pgquery::execBound(q, where.values))
        return sqlFailure(QStringLiteral("latest run of %1").arg(orchestrationId), q);
    if (!q.next())
        return Failure { QStringLiteral("no completed full run of orchestration '%1' in %2")
                             .arg(orchestrationId, scope.describe()) };
    const QString id = q.value(0).toString();
    q.finish();
    return execution(scope, id, true);
}

// Eval runs and results: the SQLite store's meaning (core/store/EvalStore.cpp); row_seq stands in
// for SQLite's rowid in the orders.

Result<void> PgStore::insertEvalRun(const EvalRunRecord &run)
{
    if (!d->open)
        return notOpen();
    if (run.id.isEmpty())
        return Failure { QStringLiteral("store: eval run without an id") };
    QSqlQuery q(d->db());
    if (!q.prepare(QStringLiteral("INSERT INTO eval_runs (%1) VALUES (%2)")
                       .arg(columnList(evalRunColumns()), marks(evalRunColumns().size())))
        || !d->write(q, storerows::runValues(run)))
        return sqlFailure(QStringLiteral("inserting eval run %1").arg(run.id), q);
    return {};
}

Result<void> PgStore::updateEvalRun(const EvalRunRecord &run)
{
    if (!d->open)
        return notOpen();
    QVariantList values = storerows::runValues(run);
    values.append(values.takeFirst());
    QSqlQuery q(d->db());
    if (!q.prepare(QStringLiteral("UPDATE eval_runs SET %1 WHERE id = ?").arg(setList(evalRunColumns(), 1)))
        || !d->write(q, values))
        return sqlFailure(QStringLiteral("updating eval run %1").arg(run.id), q);
    if (q.numRowsAffected() != 1)
        return Failure { QStringLiteral("store: no eval run %1 to update").arg(run.id) };
    return {};
}

Result<void> PgStore::upsertEvalResult(const EvalResultRecord &result)
{
    if (!d->open)
        return notOpen();
    if (result.evalRunId.isEmpty() || result.caseId.isEmpty())
        return Failure { QStringLiteral("store: eval result without a run id or case id") };
    // Like SQLite's INSERT OR REPLACE: the row key stays unique and a replaced row moves to
    // the end of the insertion order (a new row_seq).
    QStringList sets;
    for (const storeschema::Column &c : evalResultColumns())
        sets.append(QStringLiteral("%1 = excluded.%1").arg(QLatin1String(c.name)));
    sets.append(QStringLiteral("row_seq = DEFAULT"));
    QSqlQuery q(d->db());
    if (!q.prepare(
            QStringLiteral("INSERT INTO eval_results (%1) VALUES (%2) ON CONFLICT (eval_run_id, case_id, "
                           "variant, repeat_index) DO UPDATE SET %3")
                .arg(columnList(evalResultColumns()), marks(evalResultColumns().size()),
                    sets.join(QStringLiteral(", "))))
        || !d->write(q, storerows::resultValues(result)))
        return sqlFailure(QStringLiteral("writing eval result %1/%2 of run %3")
                              .arg(result.caseId, result.variant, result.evalRunId),
            q);
    return {};
}

Result<QList<EvalRunRecord>> PgStore::evalRuns(
    const StoreScope &scope, int limit, const QString &datasetPath) const
{
    if (!d->open)
        return notOpen();
    pgquery::Where where = pgquery::scopeClause(scope);
    if (!datasetPath.isEmpty()) {
        where.terms << QStringLiteral("dataset_path = ?");
        where.values << datasetPath;
    }
    QString sql = QStringLiteral("SELECT %1 FROM eval_runs%2 ORDER BY started_at DESC, row_seq DESC")
                      .arg(pgschema::selectList(QStringLiteral("eval_runs"), evalRunColumns()), where.sql());
    if (limit > 0)
        sql += QStringLiteral(" LIMIT %1").arg(limit);
    QSqlQuery q(d->db());
    if (!q.prepare(sql) || !pgquery::execBound(q, where.values))
        return sqlFailure(QStringLiteral("listing eval runs"), q);
    QList<EvalRunRecord> runs;
    while (q.next())
        runs.append(storerows::runFromRow(q));
    return runs;
}

Result<EvalRunRecord> PgStore::evalRun(const StoreScope &scope, const QString &id) const
{
    if (!d->open)
        return notOpen();
    QSqlQuery q(d->db());
    if (!q.prepare(QStringLiteral("SELECT %1 FROM eval_runs WHERE id = ?")
                       .arg(pgschema::selectList(QStringLiteral("eval_runs"), evalRunColumns())))
        || !pgquery::execBound(q, { id }))
        return sqlFailure(QStringLiteral("reading eval run %1").arg(id), q);
    if (!q.next())
        return Failure { QStringLiteral("no eval run with id %1").arg(id) };
    EvalRunRecord run = storerows::runFromRow(q);
    if (!scope.isEveryWorkspace()
        && (run.organizationId != scope.organizationId() || run.workspaceId != scope.workspaceId()))
        return Failure { QStringLiteral("no eval run with id %1").arg(id) };
    return run;
}

Result<QList<EvalResultRecord>> PgStore::evalResults(const QString &evalRunId) const
{
    if (!d->open)
        return notOpen();
    QStringList variants;
    QSqlQuery q(d->db());
    if (!q.prepare(QStringLiteral("SELECT variants::text FROM eval_runs WHERE id = ?"))
        || !pgquery::execBound(q, { evalRunId }))
        return sqlFailure(QStringLiteral("reading eval run %1").arg(evalRunId), q);
    if (q.next())
        for (const QJsonValue &name : as::parseJsonValue(q.value(0).toString()).toArray())
            variants.append(name.toString());
    if (!q.prepare(QStringLiteral("SELECT %1 FROM eval_results WHERE eval_run_id = ? ORDER BY case_order, "
                                  "repeat_index, row_seq")
                       .arg(pgschema::selectList(QStringLiteral("eval_results"), evalResultColumns())))
        || !pgquery::execBound(q, { evalRunId }))
        return sqlFailure(QStringLiteral("reading the results of eval run %1").arg(evalRunId), q);
    QList<EvalResultRecord> results;
    while (q.next())
        results.append(storerows::resultFromRow(q));
    // Variant order of the run first (a variant the run does not name goes last).
    auto rank = [&variants](const EvalResultRecord &r) {
        const qsizetype i = variants.indexOf(r.variant);
        return i < 0 ? variants.size() : i;
    };
    std::stable_sort(results.begin(), results.end(),
        [&rank](const EvalResultRecord &a, const EvalResultRecord &b) { return rank(a) < rank(b); });
    return results;
}
