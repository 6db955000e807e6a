#include "core/store/StoreSchema.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

namespace storeschema {

namespace {

Result<void> exec(QSqlDatabase &db, const QString &sql)
{
    QSqlQuery q(db);
    if (!q.exec(sql))
        return Failure {
            QStringLiteral("store migration: %1 (in: %2)").arg(q.lastError().text(), sql.left(120))
        };
    return {};
}

bool tableExists(QSqlDatabase &db, const QString &name)
{
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"));
    q.addBindValue(name);
    return q.exec() && q.next();
}

QStringList tableColumns(QSqlDatabase &db, const QString &table)
{
    QStringList names;
    QSqlQuery q(db);
    if (q.exec(QStringLiteral("PRAGMA table_info(%1)").arg(table)))
        while (q.next())
            names.append(q.value(1).toString());
    return names;
}

QString createTableSql(const QString &table, const QList<Column> &columns)
{
    QStringList defs;
    for (const Column &c : columns)
        defs.append(QLatin1String(c.name) + QLatin1Char(' ') + QLatin1String(c.decl));
    return QStringLiteral("CREATE TABLE %1 (\n  %2\n)").arg(table, defs.join(QStringLiteral(",\n  ")));
}

// Creates `table` with the full column set. When an older table of that name exists (the
// Python prototype's schema), its rows are copied over: columns it has are taken (NULLs replaced by the
// column's fallback), the others get their defaults. SQLite cannot add a foreign key or a
// NOT NULL column to an existing table, hence the rebuild instead of ALTER TABLE ADD COLUMN.
Result<void> createOrRebuild(
    QSqlDatabase &db, const QString &table, const QList<Column> &columns, const QString &copyFilter = {})
{
    if (!tableExists(db, table))
        return exec(db, createTableSql(table, columns));

    const QString old = table + QStringLiteral("_v0");
    if (auto r = exec(db, QStringLiteral("ALTER TABLE %1 RENAME TO %2").arg(table, old)); !r)
        return r;
    if (auto r = exec(db, createTableSql(table, columns)); !r)
        return r;
    const QStringList oldColumns = tableColumns(db, old);
    QStringList target, source;
    for (const Column &c : columns) {
        const QString name = QLatin1String(c.name);
        if (!oldColumns.contains(name))
            continue;
        target.append(name);
        source.append(
            c.fallback ? QStringLiteral("COALESCE(%1, %2)").arg(name, QLatin1String(c.fallback)) : name);
    }
    const QString copy = QStringLiteral("INSERT OR IGNORE INTO %1 (%2) SELECT %3 FROM %4 %5")
                             .arg(table, target.join(QStringLiteral(", ")), source.join(QStringLiteral(", ")),
                                 old, copyFilter);
    if (auto r = exec(db, copy); !r)
        return r;
    return exec(db, QStringLiteral("DROP TABLE %1").arg(old));
}

// Version 1: the full schema of the store, its indices and the full-text index.
Result<void> migration1(QSqlDatabase &db)
{
    if (auto r = createOrRebuild(db, QStringLiteral("executions"), executionColumns()); !r)
        return r;
    // Old steps whose execution is gone cannot satisfy the new foreign key: dropped.
    if (auto r = createOrRebuild(db, QStringLiteral("execution_steps"), stepColumns(),
            QStringLiteral("WHERE execution_id IN (SELECT id FROM executions)"));
        !r)
        return r;

    // One index per history filter, each ending in the NewestFirst sort key (queued_at, id) so
    // a filtered first page is read in index order and stops at LIMIT.
    const char *indices[] = {
        "CREATE INDEX idx_executions_queued ON executions (queued_at, id)",
        "CREATE INDEX idx_executions_workspace ON executions (workspace_id, queued_at DESC, id DESC)",
        "CREATE INDEX idx_executions_status ON executions (status, queued_at, id)",
        "CREATE INDEX idx_executions_agent ON executions (agent_id, queued_at, id)",
        "CREATE INDEX idx_executions_agent_status ON executions (agent_id, status, queued_at, id)",
        "CREATE INDEX idx_executions_orchestration ON executions (orchestration_id, queued_at, id)",
        "CREATE INDEX idx_executions_type ON executions (execution_type, queued_at, id)",
        "CREATE INDEX idx_executions_test_mode ON executions (test_mode, queued_at, id)",
        "CREATE INDEX idx_executions_trigger ON executions (trigger_type, queued_at, id)",
        "CREATE INDEX idx_executions_cost ON executions (IFNULL(cost_usd, -1.0), id)",
        "CREATE INDEX idx_executions_latency ON executions (execution_time_ms, id)",
        "CREATE INDEX idx_executions_rerun ON executions (rerun_of) WHERE rerun_of IS NOT NULL",
        "CREATE INDEX idx_steps_execution ON execution_steps (execution_id, step_number)",
    };
    for (const char *sql : indices)
        if (auto r = exec(db, QLatin1String(sql)); !r)
            return r;

    // Full-text search over inputs, outputs and errors. Contentless (content=''): the text is
    // already in `executions`; the index holds only the JSON *values* (keys like "text" would
    // match every row). Rows are tied by rowid. A contentless table deletes a row by being
    // given the same values again, which the triggers recompute from the old row.
    if (auto r = exec(db,
            QStringLiteral("CREATE VIRTUAL TABLE executions_fts USING fts5(input_text, output_text, "
                           "error_text, content='', tokenize='unicode61 remove_diacritics 2')"));
        !r)
        return r;
    const QString newValues = QStringLiteral("new.rowid, %1, %2, IFNULL(new.error_message, '')")
                                  .arg(ftsTextExpression(QStringLiteral("new.input_data")),
                                      ftsTextExpression(QStringLiteral("new.output_data")));
    const QString oldValues = QStringLiteral("old.rowid, %1, %2, IFNULL(old.error_message, '')")
                                  .arg(ftsTextExpression(QStringLiteral("old.input_data")),
                                      ftsTextExpression(QStringLiteral("old.output_data")));
    const QString insertNew = QStringLiteral(
        "INSERT INTO executions_fts (rowid, input_text, output_text, error_text) VALUES (%1);")
                                  .arg(newValues);
    const QString deleteOld = QStringLiteral(
        "INSERT INTO executions_fts (executions_fts, rowid, input_text, output_text, error_text) "
        "VALUES ('delete', %1);")
                                  .arg(oldValues);
    const QString triggers[] = {
        QStringLiteral("CREATE TRIGGER executions_fts_insert AFTER INSERT ON executions BEGIN %1 END")
            .arg(insertNew),
        QStringLiteral("CREATE TRIGGER executions_fts_delete AFTER DELETE ON executions BEGIN %1 END")
            .arg(deleteOld),
        // Status updates during a run do not touch the index; only changed text does.
        QStringLiteral("CREATE TRIGGER executions_fts_update AFTER UPDATE OF input_data, output_data, "
                       "error_message ON executions WHEN old.input_data IS NOT new.input_data OR "
                       "old.output_data IS NOT new.output_data OR old.error_message IS NOT "
                       "new.error_message BEGIN %1 %2 END")
            .arg(deleteOld, insertNew),
    };
    for (const QString &sql : triggers)
        if (auto r = exec(db, sql); !r)
            return r;
    // Rows kept from the Python prototype's schema.
    return exec(db,
        QStringLiteral("INSERT INTO executions_fts (rowid, input_text, output_text, error_text) "
                       "SELECT rowid, %1, %2, IFNULL(error_message, '') FROM executions")
            .arg(ftsTextExpression(QStringLiteral("input_data")),
                ftsTextExpression(QStringLiteral("output_data"))));
}

// Version 2: what full-text search needs to page a common word by rowid (ExecutionStore::query).
// Executions are inserted when queued, so rowid normally grows with the NewestFirst key
// (queued_at, id). executions_order.late_rowid is the highest rowid of a row that broke that
// ("late": inserted with a key below an existing row's — imports, prototype rows, two writers racing —
// or whose key was changed). Every row above late_rowid has a key above every row below it and
// the rows above it are in key order, so a rowid walk there is exact.
Result<void> migration2(QSqlDatabase &db)
{
    const char *statements[] = {
        "CREATE TABLE executions_order (id INTEGER PRIMARY KEY CHECK (id = 1), "
        "late_rowid INTEGER NOT NULL DEFAULT 0)",
        // Rows kept from before: in key order, a row is late when a row with a greater key has a
        // smaller rowid (read from idx_executions_queued alone).
        "INSERT INTO executions_order (id, late_rowid) SELECT 1, IFNULL(MAX(rowid), 0) FROM "
        "(SELECT rowid, MIN(rowid) OVER (ORDER BY queued_at DESC, id DESC ROWS BETWEEN UNBOUNDED "
        "PRECEDING AND 1 PRECEDING) AS before FROM executions) WHERE rowid > before",
        // A new row gets the highest rowid; it is late when any row has a greater key.
        "CREATE TRIGGER executions_order_insert AFTER INSERT ON executions WHEN EXISTS (SELECT 1 FROM "
        "executions WHERE queued_at >= new.queued_at AND (queued_at > new.queued_at OR id > new.id)) "
        "BEGIN UPDATE executions_order SET late_rowid = MAX(late_rowid, new.rowid); END",
        // A lowered key makes that row late; a raised one may overtake any newer row.
        "CREATE TRIGGER executions_order_update AFTER UPDATE OF queued_at, id ON executions WHEN "
        "old.queued_at IS NOT new.queued_at OR old.id IS NOT new.id BEGIN UPDATE executions_order SET "
        "late_rowid = MAX(late_rowid, CASE WHEN new.queued_at < old.queued_at OR (new.queued_at = "
        "old.queued_at AND new.id < old.id) THEN new.rowid ELSE (SELECT MAX(rowid) FROM executions) END); "
        "END",
    };
    for (const char *sql : statements)
        if (auto r = exec(db, QLatin1String(sql)); !r)
            return r;
    return {};
}

// Version 3: tools and conversations. New columns are added where missing (a database created
// at version 3 has them from migration 1). Tool steps get their own contentless full-text
// index keyed by the step's rowid, fed by triggers like executions_fts: a search finds an
// execution by its tool arguments, results and errors (ExecutionStore::query).
Result<void> migration3(QSqlDatabase &db)
{
    const struct
    {
        const char *table;
        const char *column;
        const char *decl;
    } added[] = {
        { "executions", "conversation_id", "TEXT" },
        { "executions", "turn", "INTEGER NOT NULL DEFAULT 0" },
        { "executions", "tool_overrides", "TEXT" },
        { "executions", "budget", "TEXT" },
        { "execution_steps", "tool_call_id", "TEXT" },
    };
    for (const auto &a : added) {
        if (tableColumns(db, QLatin1String(a.table)).contains(QLatin1String(a.column)))
            continue;
        if (auto r = exec(db,
                QStringLiteral("ALTER TABLE %1 ADD COLUMN %2 %3")
                    .arg(QLatin1String(a.table), QLatin1String(a.column), QLatin1String(a.decl)));
            !r)
            return r;
    }
    if (auto r = exec(db,
            QStringLiteral("CREATE INDEX IF NOT EXISTS idx_executions_conversation ON executions "
                           "(conversation_id, turn) WHERE conversation_id IS NOT NULL"));
        !r)
        return r;
    if (tableExists(db, QStringLiteral("tool_steps_fts"))) // a file taken back to an older version
        return {};
    if (auto r = exec(db,
            QStringLiteral("CREATE VIRTUAL TABLE tool_steps_fts USING fts5(input_text, output_text, "
                           "error_text, content='', tokenize='unicode61 remove_diacritics 2')"));
        !r)
        return r;
    // A tool step is indexed once it has ended (its row is written twice: started, ended): one
    // index write per call instead of three.
    auto values = [](const QString &row) {
        return QStringLiteral("%1.rowid, %2, %3, IFNULL(%1.error_message, '')")
            .arg(row, ftsTextExpression(row + QStringLiteral(".input_data")),
                ftsTextExpression(row + QStringLiteral(".output_data")));
    };
    auto insertOf = [&values](const QString &row) {
        return QStringLiteral(
            "INSERT INTO tool_steps_fts (rowid, input_text, output_text, error_text) SELECT %1 "
            "WHERE %2.status <> 'running';")
            .arg(values(row), row);
    };
    auto deleteOf = [&values](const QString &row) {
        return QStringLiteral("INSERT INTO tool_steps_fts (tool_steps_fts, rowid, input_text, output_text, "
                              "error_text) SELECT 'delete', %1 WHERE %2.status <> 'running';")
            .arg(values(row), row);
    };
    const QString oldRow = QStringLiteral("old"), newRow = QStringLiteral("new");
    const QString triggers[] = {
        QStringLiteral("CREATE TRIGGER tool_steps_fts_insert AFTER INSERT ON execution_steps WHEN "
                       "new.kind = 'tool' BEGIN %1 END")
            .arg(insertOf(newRow)),
        QStringLiteral("CREATE TRIGGER tool_steps_fts_delete AFTER DELETE ON execution_steps WHEN "
                       "old.kind = 'tool' BEGIN %1 END")
            .arg(deleteOf(oldRow)),
        QStringLiteral(
            "CREATE TRIGGER tool_steps_fts_update AFTER UPDATE OF input_data, output_data, "
            "error_message, status ON execution_steps WHEN new.kind = 'tool' AND old.kind = 'tool' AND "
            "(old.status IS NOT new.status OR old.input_data IS NOT new.input_data OR "
            "old.output_data IS NOT new.output_data OR old.error_message IS NOT new.error_message) "
            "BEGIN %1 %2 END")
            .arg(deleteOf(oldRow), insertOf(newRow)),
    };
    for (const QString &sql : triggers)
        if (auto r = exec(db, sql); !r)
            return r;
    return exec(db,
        QStringLiteral(
            "INSERT INTO tool_steps_fts (rowid, input_text, output_text, error_text) "
            "SELECT rowid, %1, %2, IFNULL(error_message, '') FROM execution_steps WHERE kind = 'tool' AND "
            "status <> 'running'")
            .arg(ftsTextExpression(QStringLiteral("input_data")),
                ftsTextExpression(QStringLiteral("output_data"))));
}

// Version 4: evaluations (docs/eval-store.md). eval_runs holds one row per eval run,
// eval_results one per case x variant x repeat (removed with their run), response_cache the
// recorded provider answers (docs/response-cache.md). Nothing older changes.
Result<void> migration4(QSqlDatabase &db)
{
    // IF NOT EXISTS throughout: a file taken back to an older version keeps its eval tables.
    const QString ifNew = QStringLiteral("CREATE TABLE IF NOT EXISTS ");
    QString runs = createTableSql(QStringLiteral("eval_runs"), evalRunColumns());
    if (auto r = exec(db, runs.replace(0, 13, ifNew)); !r)
        return r;
    QString results
        = createTableSql(QStringLiteral("eval_results"), evalResultColumns()).replace(0, 13, ifNew);
    results.chop(2); // "\n)": the row key goes last
    results += QStringLiteral(",\n  UNIQUE (eval_run_id, case_id, variant, repeat_index)\n)");
    if (auto r = exec(db, results); !r)
        return r;
    const char *statements[] = {
        "CREATE INDEX IF NOT EXISTS idx_eval_runs_started ON eval_runs (organization_id, workspace_id, "
        "started_at)",
        "CREATE INDEX IF NOT EXISTS idx_eval_runs_dataset ON eval_runs (dataset_path, started_at)",
        "CREATE INDEX IF NOT EXISTS idx_eval_runs_status ON eval_runs (status) WHERE status = 'running'",
        "CREATE INDEX IF NOT EXISTS idx_eval_results_run ON eval_results (eval_run_id, case_order, "
        "repeat_index)",
    };
    for (const char *sql : statements)
        if (auto r = exec(db, QLatin1String(sql)); !r)
            return r;
    return exec(db, responseCacheTableSql());
}

} // namespace

const QList<Column> &executionColumns()
{
    static const QList<Column> columns = {
        { "id", "TEXT PRIMARY KEY NOT NULL", nullptr },
        { "organization_id", "TEXT NOT NULL DEFAULT 'local'", "'local'" },
        { "workspace_id", "TEXT NOT NULL DEFAULT ''", "''" },
        { "gateway_id", "TEXT", nullptr },
        { "execution_type", "TEXT NOT NULL DEFAULT 'agent'", "'agent'" },
        { "agent_id", "TEXT", nullptr },
        { "orchestration_id", "TEXT", nullptr },
        { "version", "TEXT", nullptr },
        { "triggered_by", "TEXT", nullptr },
        { "trigger_type", "TEXT", nullptr },
        { "input_data", "TEXT NOT NULL DEFAULT '{}'", "'{}'" },
        { "output_data", "TEXT NOT NULL DEFAULT '{}'", "'{}'" },
        { "status", "TEXT NOT NULL DEFAULT 'queued'", "'queued'" },
        { "error_message", "TEXT", nullptr },
        { "queued_at", "TEXT NOT NULL DEFAULT ''", "''" },
        { "started_at", "TEXT", nullptr },
        { "completed_at", "TEXT", nullptr },
        { "execution_time_ms", "INTEGER NOT NULL DEFAULT 0", "0" },
        { "input_tokens", "INTEGER NOT NULL DEFAULT 0", "0" },
        { "output_tokens", "INTEGER NOT NULL DEFAULT 0", "0" },
        { "cost_usd", "REAL", nullptr },
        { "trace_id", "TEXT", nullptr },
        { "test_mode", "TEXT", nullptr },
        { "node_id", "TEXT", nullptr },
        { "provider", "TEXT", nullptr },
        { "model", "TEXT", nullptr },
        { "queue_ms", "INTEGER NOT NULL DEFAULT 0", "0" },
        { "ttft_ms", "INTEGER", nullptr },
        { "cached_tokens", "INTEGER NOT NULL DEFAULT 0", "0" },
        { "tokens_estimated", "INTEGER NOT NULL DEFAULT 0", "0" },
        { "rerun_of", "TEXT", nullptr },
        { "conversation_id", "TEXT", nullptr },
        { "turn", "INTEGER NOT NULL DEFAULT 0", "0" },
        { "tool_overrides", "TEXT", nullptr },
        { "budget", "TEXT", nullptr },
    };
    return columns;
}

const QList<Column> &stepColumns()
{
    static const QList<Column> columns = {
        { "id", "TEXT PRIMARY KEY NOT NULL", nullptr },
        { "execution_id", "TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE", nullptr },
        { "agent_id", "TEXT", nullptr },
        { "step_number", "INTEGER NOT NULL DEFAULT 0", "0" },
        { "input_data", "TEXT NOT NULL DEFAULT '{}'", "'{}'" },
        { "output_data", "TEXT NOT NULL DEFAULT '{}'", "'{}'" },
        { "status", "TEXT NOT NULL DEFAULT 'running'", "'completed'" },
        { "started_at", "TEXT", nullptr },
        { "completed_at", "TEXT", nullptr },
        { "execution_time_ms", "INTEGER NOT NULL DEFAULT 0", "0" },
        { "tokens_used", "INTEGER NOT NULL DEFAULT 0", "0" },
        { "cost_usd", "REAL", nullptr },
        { "parent_step_id", "TEXT", nullptr },
        { "span_id", "TEXT", nullptr },
        { "kind", "TEXT", nullptr },
        { "name", "TEXT", nullptr },
        { "node_id", "TEXT", nullptr },
        { "provider", "TEXT", nullptr },
        { "model", "TEXT", nullptr },
        { "input_tokens", "INTEGER NOT NULL DEFAULT 0", "0" },
        { "output_tokens", "INTEGER NOT NULL DEFAULT 0", "0" },
        { "cached_tokens", "INTEGER NOT NULL DEFAULT 0", "0" },
        { "reasoning_tokens", "INTEGER NOT NULL DEFAULT 0", "0" },
        { "tokens_estimated", "INTEGER NOT NULL DEFAULT 0", "0" },
        { "ttft_ms", "INTEGER", nullptr },
        { "attempt", "INTEGER NOT NULL DEFAULT 1", "1" },
        { "error_message", "TEXT", nullptr },
        { "tool_call_id", "TEXT", nullptr },
    };
    return columns;
}

const QList<Column> &evalRunColumns()
{
    static const QList<Column> columns = {
        { "id", "TEXT PRIMARY KEY NOT NULL", nullptr },
        { "name", "TEXT NOT NULL DEFAULT ''", nullptr },
        { "dataset_path", "TEXT NOT NULL DEFAULT ''", nullptr },
        { "dataset_sha256", "TEXT NOT NULL DEFAULT ''", nullptr },
        { "dataset", "TEXT NOT NULL DEFAULT '{}'", nullptr },
        { "target", "TEXT NOT NULL DEFAULT '{}'", nullptr },
        { "variants", "TEXT NOT NULL DEFAULT '[]'", nullptr },
        { "repeat", "INTEGER NOT NULL DEFAULT 1", nullptr },
        { "concurrency", "INTEGER NOT NULL DEFAULT 4", nullptr },
        { "cache_mode", "TEXT NOT NULL DEFAULT 'off'", nullptr },
        { "status", "TEXT NOT NULL DEFAULT 'running'", nullptr },
        { "error", "TEXT", nullptr },
        { "organization_id", "TEXT NOT NULL DEFAULT 'local'", nullptr },
        { "workspace_id", "TEXT NOT NULL DEFAULT ''", nullptr },
        { "backend", "TEXT NOT NULL DEFAULT 'local'", nullptr },
        { "baseline_id", "TEXT", nullptr },
        { "started_at", "TEXT NOT NULL DEFAULT ''", nullptr },
        { "completed_at", "TEXT", nullptr },
        { "total", "INTEGER NOT NULL DEFAULT 0", nullptr },
        { "passed", "INTEGER NOT NULL DEFAULT 0", nullptr },
        { "failed", "INTEGER NOT NULL DEFAULT 0", nullptr },
        { "errored", "INTEGER NOT NULL DEFAULT 0", nullptr },
        { "skipped", "INTEGER NOT NULL DEFAULT 0", nullptr },
        { "tokens", "INTEGER NOT NULL DEFAULT 0", nullptr },
        { "cost_usd", "REAL", nullptr },
        { "judge_tokens", "INTEGER NOT NULL DEFAULT 0", nullptr },
        { "judge_cost_usd", "REAL", nullptr },
        { "wall_ms", "INTEGER", nullptr },
    };
    return columns;
}

const QList<Column> &evalResultColumns()
{
    static const QList<Column> columns = {
        { "eval_run_id", "TEXT NOT NULL REFERENCES eval_runs (id) ON DELETE CASCADE", nullptr },
        { "case_id", "TEXT NOT NULL", nullptr },
        { "variant", "TEXT NOT NULL DEFAULT ''", nullptr },
        { "repeat_index", "INTEGER NOT NULL DEFAULT 1", nullptr },
        { "case_order", "INTEGER NOT NULL DEFAULT 0", nullptr },
        { "execution_id", "TEXT", nullptr },
        { "outcome", "TEXT NOT NULL", nullptr },
        { "score", "REAL NOT NULL DEFAULT 0", nullptr },
        { "error_kind", "TEXT", nullptr },
        { "error", "TEXT", nullptr },
        { "status", "TEXT", nullptr },
        { "latency_ms", "INTEGER", nullptr },
        { "tokens", "INTEGER NOT NULL DEFAULT 0", nullptr },
        { "cost_usd", "REAL", nullptr },
        { "judge_tokens", "INTEGER NOT NULL DEFAULT 0", nullptr },
        { "judge_cost_usd", "REAL", nullptr },
        { "cached", "INTEGER NOT NULL DEFAULT 0", nullptr },
        { "assertions", "TEXT NOT NULL DEFAULT '[]'", nullptr },
        { "output", "TEXT", nullptr },
        { "completed_at", "TEXT", nullptr },
    };
    return columns;
}

QString responseCacheTableSql()
{
    // IF NOT EXISTS: also run on a cache file of its own each time it is opened.
    return QStringLiteral("CREATE TABLE IF NOT EXISTS response_cache (key TEXT PRIMARY KEY NOT NULL, "
                          "provider TEXT NOT NULL, model TEXT NOT NULL, request TEXT NOT NULL, body BLOB NOT "
                          "NULL, http_status INTEGER NOT NULL DEFAULT 200, latency_ms INTEGER, ttft_ms "
                          "INTEGER, recorded_at TEXT NOT NULL)");
}

QString columnList(const QList<Column> &columns, const QString &prefix)
{
    QStringList names;
    for (const Column &c : columns)
        names.append(prefix + QLatin1String(c.name));
    return names.join(QStringLiteral(", "));
}

QString ftsTextExpression(const QString &column)
{
    return QStringLiteral("IFNULL(CASE WHEN json_valid(%1) THEN (SELECT group_concat(value, ' ') FROM "
                          "json_tree(%1) WHERE type IN ('text', 'integer', 'real')) ELSE %1 END, '')")
        .arg(column);
}

const QList<Migration> &migrations()
{
    static const QList<Migration> list = {
        { 1, "executions and execution_steps, history indices, full-text index", &migration1 },
        { 2, "history order watermark for full-text search by rowid", &migration2 },
        { 3, "conversations, tool overrides, budgets, tool_call_id, full-text index of tool steps",
            &migration3 },
        { 4, "eval_runs, eval_results, response_cache", &migration4 },
    };
    return list;
}

} // namespace storeschema
