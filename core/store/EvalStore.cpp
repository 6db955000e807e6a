#include "core/store/ExecutionStore.h"
#include "core/store/PgStore.h"

#include "core/common/Util.h"
#include "core/store/StoreRows.h"
#include "core/store/StoreSchema.h"

#include <QJsonArray>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <algorithm>

// Eval runs and results in the history database (docs/eval-store.md, "Records"). The tables
// come from schema version 4 (StoreSchema.cpp); rows are written and read on the store's own
// thread like everything else of ExecutionStore. Statements are prepared per call: an eval
// writes one row per case run, far fewer than the step writes of its executions.
using storerows::resultFromRow;
using storerows::resultValues;
using storerows::runFromRow;
using storerows::runValues;
using storeschema::columnList;
using storeschema::evalResultColumns;
using storeschema::evalRunColumns;

namespace {

Failure evalFailure(const QString &what, const QSqlQuery &q)
{
    return Failure { QStringLiteral("store: %1: %2").arg(what, q.lastError().text()) };
}

bool runBound(QSqlQuery &q, const QString &sql, const QVariantList &values)
{
    if (!q.prepare(sql))
        return false;
    for (int i = 0; i < values.size(); ++i)
        q.bindValue(i, values.at(i));
    return q.exec();
}

QString marks(qsizetype n)
{
    QStringList m;
    for (qsizetype i = 0; i < n; ++i)
        m.append(QStringLiteral("?"));
    return m.join(QStringLiteral(", "));
}

} // namespace

Result<void> ExecutionStore::insertEvalRun(const EvalRunRecord &run)
{
    if (m_pg)
        return m_pg->insertEvalRun(run);
    if (!isOpen())
        return Failure { QStringLiteral("store: not open") };
    if (run.id.isEmpty())
        return Failure { QStringLiteral("store: eval run without an id") };
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    const QString sql = QStringLiteral("INSERT INTO eval_runs (%1) VALUES (%2)")
                            .arg(columnList(evalRunColumns()), marks(evalRunColumns().size()));
    if (!runBound(q, sql, runValues(run)))
        return evalFailure(QStringLiteral("inserting eval run %1").arg(run.id), q);
    return {};
}

Result<void> ExecutionStore::updateEvalRun(const EvalRunRecord &run)
{
    if (m_pg)
        return m_pg->updateEvalRun(run);
    if (!isOpen())
        return Failure { QStringLiteral("store: not open") };
    QStringList sets;
    for (qsizetype i = 1; i < evalRunColumns().size(); ++i) // column 0 is the id
        sets.append(QLatin1String(evalRunColumns().at(i).name) + QStringLiteral(" = ?"));
    QVariantList values = runValues(run);
    values.append(values.takeFirst());
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (!runBound(q,
            QStringLiteral("UPDATE eval_runs SET %1 WHERE id = ?").arg(sets.join(QStringLiteral(", "))),
            values))
        return evalFailure(QStringLiteral("updating eval run %1").arg(run.id), q);
    if (q.numRowsAffected() != 1)
        return Failure { QStringLiteral("store: no eval run %1 to update").arg(run.id) };
    return {};
}

Result<void> ExecutionStore::upsertEvalResult(const EvalResultRecord &result)
{
    if (m_pg)
        return m_pg->upsertEvalResult(result);
    if (!isOpen())
        return Failure { QStringLiteral("store: not open") };
    if (result.evalRunId.isEmpty() || result.caseId.isEmpty())
        return Failure { QStringLiteral("store: eval result without a run id or case id") };
    // REPLACE keeps the row key (run, case, variant, repeat) unique: a case run again replaces
    // its earlier outcome.
    const QString sql = QStringLiteral("INSERT OR REPLACE INTO eval_results (%1) VALUES (%2)")
                            .arg(columnList(evalResultColumns()), marks(evalResultColumns().size()));
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (!runBound(q, sql, resultValues(result)))
        return evalFailure(QStringLiteral("writing eval result %1/%2 of run %3")
                               .arg(result.caseId, result.variant, result.evalRunId),
            q);
    return {};
}

Result<QList<EvalRunRecord>> ExecutionStore::evalRuns(
    const StoreScope &scope, int limit, const QString &datasetPath) const
{
    if (m_pg)
        return m_pg->evalRuns(scope, limit, datasetPath);
    if (!isOpen())
        return Failure { QStringLiteral("store: not open") };
    QStringList terms;
    QVariantList values;
    if (!scope.isEveryWorkspace()) {
        terms << QStringLiteral("organization_id = ?") << QStringLiteral("workspace_id = ?");
        values << scope.organizationId() << scope.workspaceId();
    }
    if (!datasetPath.isEmpty()) {
        terms << QStringLiteral("dataset_path = ?");
        values << datasetPath;
    }
    QString sql = QStringLiteral("SELECT %1 FROM eval_runs").arg(columnList(evalRunColumns()));
    if (!terms.isEmpty())
        sql += QStringLiteral(" WHERE ") + terms.join(QStringLiteral(" AND "));
    sql += QStringLiteral(" ORDER BY started_at DESC, rowid DESC");
    if (limit > 0)
        sql += QStringLiteral(" LIMIT %1").arg(limit);
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.setForwardOnly(true);
    if (!runBound(q, sql, values))
        return evalFailure(QStringLiteral("listing eval runs"), q);
    QList<EvalRunRecord> runs;
    while (q.next())
        runs.append(runFromRow(q));
    return runs;
}

Result<EvalRunRecord> ExecutionStore::evalRun(const StoreScope &scope, const QString &id) const
{
    if (m_pg)
        return m_pg->evalRun(scope, id);
    if (!isOpen())
        return Failure { QStringLiteral("store: not open") };
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.setForwardOnly(true);
    if (!runBound(q,
            QStringLiteral("SELECT %1 FROM eval_runs WHERE id = ?").arg(columnList(evalRunColumns())),
            { id }))
        return evalFailure(QStringLiteral("reading eval run %1").arg(id), q);
    if (!q.next())
        return Failure { QStringLiteral("no eval run with id %1").arg(id) };
    EvalRunRecord run = runFromRow(q);
    if (!scope.isEveryWorkspace()
        && (run.organizationId != scope.organizationId() || run.workspaceId != scope.workspaceId()))
        return Failure { QStringLiteral("no eval run with id %1").arg(id) };
    return run;
}

Result<QList<EvalResultRecord>> ExecutionStore::evalResults(const QString &evalRunId) const
{
    if (m_pg)
        return m_pg->evalResults(evalRunId);
    if (!isOpen())
        return Failure { QStringLiteral("store: not open") };
    QStringList variants;
    {
        QSqlQuery v(QSqlDatabase::database(m_connection, false));
        if (!runBound(v, QStringLiteral("SELECT variants FROM eval_runs WHERE id = ?"), { evalRunId }))
            return evalFailure(QStringLiteral("reading eval run %1").arg(evalRunId), v);
        if (v.next())
            for (const QJsonValue &name : as::parseJsonValue(v.value(0).toString()).toArray())
                variants.append(name.toString());
    }
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.setForwardOnly(true);
    if (!runBound(q,
            QStringLiteral("SELECT %1 FROM eval_results WHERE eval_run_id = ? ORDER BY case_order, "
                           "repeat_index, rowid")
                .arg(columnList(evalResultColumns())),
            { evalRunId }))
        return evalFailure(QStringLiteral("reading the results of eval run %1").arg(evalRunId), q);
    QList<EvalResultRecord> results;
    while (q.next())
        results.append(resultFromRow(q));
    // Variant order of the run first (a variant the run does not name goes last).
    auto rank = [&variants](const EvalResultRecord &r) {
        const qsizetype i = variants.indexOf(r.variant);
        return i < 0 ? variants.size() : i;
    };
    std::stable_sort(results.begin(), results.end(),
        [&rank](const EvalResultRecord &a, const EvalResultRecord &b) { return rank(a) < rank(b); });
    return results;
}
