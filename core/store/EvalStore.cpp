#include "core/store/ExecutionStore.h"
#include "core/store/PgStore.h"

#include "core/common/Util.h"
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
using storeschema::columnList;
using storeschema::evalResultColumns;
using storeschema::evalRunColumns;

namespace {

QVariant nullIfEmpty(const QString &s)
{
    return s.isEmpty() ? QVariant() : QVariant(s);
}

// NOT NULL text columns: a null QString would bind as NULL.
QString text(const QString &s)
{
    return s.isNull() ? QStringLiteral("") : s;
}

QVariant isoOrNull(const QDateTime &t)
{
    return t.isValid() ? QVariant(as::isoTime(t)) : QVariant();
}

QVariant numberOrNull(const std::optional<double> &v)
{
    return v ? QVariant(*v) : QVariant();
}

QVariant nonNegativeOrNull(qint64 v)
{
    return v < 0 ? QVariant() : QVariant(v);
}

std::optional<double> readOptional(const QVariant &v)
{
    return v.isNull() ? std::nullopt : std::optional<double>(v.toDouble());
}

QDateTime readTime(const QVariant &v)
{
    return v.isNull() ? QDateTime() : as::parseIsoTime(v.toString());
}

// Values in the order of storeschema::evalRunColumns().
QVariantList runValues(const EvalRunRecord &r)
{
    return { r.id, text(r.name), text(r.datasetPath), text(r.datasetSha256), as::compactJson(r.dataset),
        as::compactJson(r.target), as::compactJson(QJsonArray::fromStringList(r.variants)), r.repeat,
        r.concurrency, toWire(r.cacheMode), toWire(r.status), nullIfEmpty(r.error),
        r.organizationId.isEmpty() ? QStringLiteral("local") : r.organizationId,
        r.workspaceId.isNull() ? QStringLiteral("") : r.workspaceId,
        r.backend.isEmpty() ? QStringLiteral("local") : r.backend, nullIfEmpty(r.baselineId),
        r.startedAt.isValid() ? as::isoTime(r.startedAt) : as::nowIso(), isoOrNull(r.completedAt), r.total,
        r.passed, r.failed, r.errored, r.skipped, r.tokens, numberOrNull(r.costUsd), r.judgeTokens,
        numberOrNull(r.judgeCostUsd), nonNegativeOrNull(r.wallMs) };
}

EvalRunRecord runFromRow(const QSqlQuery &q)
{
    EvalRunRecord r;
    int i = 0;
    r.id = q.value(i++).toString();
    r.name = q.value(i++).toString();
    r.datasetPath = q.value(i++).toString();
    r.datasetSha256 = q.value(i++).toString();
    r.dataset = as::parseJsonValue(q.value(i++).toString()).toObject();
    r.target = as::parseJsonValue(q.value(i++).toString()).toObject();
    for (const QJsonValue &v : as::parseJsonValue(q.value(i++).toString()).toArray())
        r.variants.append(v.toString());
    r.repeat = q.value(i++).toInt();
    r.concurrency = q.value(i++).toInt();
    r.cacheMode = cacheModeFromWire(q.value(i++).toString()).value_or(CacheMode::Off);
    r.status = evalRunStatusFromWire(q.value(i++).toString()).value_or(EvalRunStatus::Failed);
    r.error = q.value(i++).toString();
    r.organizationId = q.value(i++).toString();
    r.workspaceId = q.value(i++).toString();
    r.backend = q.value(i++).toString();
    r.baselineId = q.value(i++).toString();
    r.startedAt = readTime(q.value(i++));
    r.completedAt = readTime(q.value(i++));
    r.total = q.value(i++).toInt();
    r.passed = q.value(i++).toInt();
    r.failed = q.value(i++).toInt();
    r.errored = q.value(i++).toInt();
    r.skipped = q.value(i++).toInt();
    r.tokens = q.value(i++).toLongLong();
    r.costUsd = readOptional(q.value(i++));
    r.judgeTokens = q.value(i++).toLongLong();
    r.judgeCostUsd = readOptional(q.value(i++));
    const QVariant wall = q.value(i++);
    r.wallMs = wall.isNull() ? -1 : wall.toLongLong();
    return r;
}

// Values in the order of storeschema::evalResultColumns().
QVariantList resultValues(const EvalResultRecord &r)
{
    QJsonArray assertions;
    for (const AssertionOutcome &a : r.assertions)
        assertions.append(a.toJson());
    // The output keeps its JSON type (object, text, number…) in a one-element array.
    const QVariant output = r.output.isNull() || r.output.isUndefined()
        ? QVariant()
        : QVariant(as::compactJson(QJsonArray { r.output }));
    return { r.evalRunId, r.caseId, text(r.variant), r.repeatIndex, r.caseOrder, nullIfEmpty(r.executionId),
        toWire(r.outcome), r.score, nullIfEmpty(r.errorKind), nullIfEmpty(r.error), nullIfEmpty(r.status),
        nonNegativeOrNull(r.latencyMs), r.tokens, numberOrNull(r.costUsd), r.judgeTokens,
        numberOrNull(r.judgeCostUsd), int(r.cached), as::compactJson(assertions), output,
        isoOrNull(r.completedAt) };
}

EvalResultRecord resultFromRow(const QSqlQuery &q)
{
    EvalResultRecord r;
    int i = 0;
    r.evalRunId = q.value(i++).toString();
    r.caseId = q.value(i++).toString();
    r.variant = q.value(i++).toString();
    r.repeatIndex = q.value(i++).toInt();
    r.caseOrder = q.value(i++).toInt();
    r.executionId = q.value(i++).toString();
    r.outcome = evalOutcomeFromWire(q.value(i++).toString()).value_or(EvalOutcome::Error);
    r.score = q.value(i++).toDouble();
    r.errorKind = q.value(i++).toString();
    r.error = q.value(i++).toString();
    r.status = q.value(i++).toString();
    const QVariant latency = q.value(i++);
    r.latencyMs = latency.isNull() ? -1 : latency.toLongLong();
    r.tokens = q.value(i++).toLongLong();
    r.costUsd = readOptional(q.value(i++));
    r.judgeTokens = q.value(i++).toLongLong();
    r.judgeCostUsd = readOptional(q.value(i++));
    r.cached = q.value(i++).toInt() != 0;
    for (const QJsonValue &a : as::parseJsonValue(q.value(i++).toString()).toArray())
        r.assertions.append(AssertionOutcome::fromJson(a.toObject()));
    const QVariant output = q.value(i++);
    r.output = output.isNull() ? QJsonValue() : as::parseJsonValue(output.toString()).toArray().at(0);
    r.completedAt = readTime(q.value(i++));
    return r;
}

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
