#pragma once

#include "core/api/EvalTypes.h"
#include "core/api/ExecutionRecord.h"
#include "core/common/Result.h"
#include "core/store/StoreScope.h"

#include <QString>

#include <memory>

class QSqlDatabase;
class StoreOwnerLock;
class PgStore;
// The execution store (docs/store.md): SQLite through Qt Sql, WAL, foreign keys, migrations by
// PRAGMA user_version, FTS5 over inputs, outputs and errors. A path that is a libpq URI
// ("postgresql://…") selects the PostgreSQL store instead (core/store/PgStore.h,
// docs/postgres-store.md): every method below then forwards to it, with the same meaning.
//
// Threading: an ExecutionStore is used from ONE thread, the one that called open(); it owns
// its own QSqlDatabase connection (unique connection name per instance). Other threads open
// their own ExecutionStore on the same file. Not a QObject.
//
// Tenants: one file holds the executions of many workspaces (the app and the runner share it
// across workspace files; the server serves several). Every read, delete and retention takes
// the StoreScope it may see; rows outside it behave as if absent. Writes carry their own
// organization_id / workspace_id.
class ExecutionStore
{
public:
    explicit ExecutionStore(QString path);
    ~ExecutionStore();
    ExecutionStore(const ExecutionStore &) = delete;
    ExecutionStore &operator=(const ExecutionStore &) = delete;

    // GenericDataLocation/agentstudio/executions.db (~/.local/share/agentstudio/executions.db):
    // the AppDataLocation of an app named "agentstudio", the same file for the app, the runner
    // and the server whatever their own application names.
    static QString defaultPath();
    static constexpr int SchemaVersion = 4;

    // Opens (creating folders and the file), migrates, and marks executions left `running`
    // or `queued` by a crash as `interrupted`. Returns how many were recovered via *recovered.
    // Recovery is skipped while another store (in this or another process) has the same file
    // open: each open store holds an OS-locked file in "<path>.owners/" for its lifetime
    // (StoreOwnerLock), announcing that its running executions are alive. Files whose lock is
    // free (their process ended, however) are cleaned up here. Fails, naming the folder, when
    // that announcement cannot be made: a store never runs unannounced.
    Result<void> open(int *recovered = nullptr);
    bool isOpen() const;
    QString path() const { return m_path; }
    // "sqlite" or "postgresql" (from the path; known before open()).
    QString kind() const;
    // The path for messages and logs: a PostgreSQL URI without its password.
    QString displayPath() const;

    // The server instance this process is (docs/team-server.md, "Leases"): executions inserted
    // into a PostgreSQL store from now on record it as their owner, so other instances can
    // tell whose lease they live under. Process-wide (one server instance per process); set
    // before any store opens. Empty (the default): no owner is recorded.
    static void setProcessInstanceId(const QString &instanceId);
    static QString processInstanceId();
    // How many stores (connections) of this process are open now, per kind ("sqlite",
    // "postgresql"): the database pool state of /metrics. Any thread.
    static int openConnections(const QString &kind);

    // Writes as things happen: insert at queue time, update on each state change.
    Result<void> insertExecution(const ExecutionRecord &e);
    Result<void> updateExecution(const ExecutionRecord &e); // all columns by id
    Result<void> insertStep(const StepRecord &s);
    Result<void> updateStep(const StepRecord &s);

    // Groups many writes into one transaction (nestable; commits at the outermost end).
    Result<void> begin();
    Result<void> commit();
    // Undoes the whole outermost transaction (any depth), e.g. after a failed write in a batch.
    Result<void> rollback();

    // "no execution with id …" also when the execution exists outside `scope`.
    Result<ExecutionRecord> execution(
        const StoreScope &scope, const QString &id, bool withSteps = true) const;
    // Keyset-paged history. A full-text search with many matches, newest first, walks the
    // matches in rowid order (fast however common the word); exact because rows are inserted
    // when queued, and falls back to the ordinary plan where rows are out of order (schema v2's
    // executions_order watermark). Cursors are the same in both plans. The query's own
    // organization / workspace filters narrow within `scope`, never widen it.
    Result<HistoryPage> query(const StoreScope &scope, const HistoryQuery &q) const;
    Result<qint64> count(const StoreScope &scope, const HistoryQuery &q) const;

    // Deletes the executions among `ids` that lie in `scope`; returns how many.
    Result<int> remove(const StoreScope &scope, const QStringList &ids);
    // Retention within `scope`: keep only its newest `keepLast` (if > 0) and drop anything of
    // it queued before `olderThan` (if valid). Returns how many were deleted.
    Result<int> applyRetention(const StoreScope &scope, int keepLast, const QDateTime &olderThan);

    // The latest completed full run of an orchestration in `scope` (Node in Context prefill:
    // another workspace's run of an orchestration with the same id is never seen).
    Result<ExecutionRecord> latestSuccessfulRun(
        const StoreScope &scope, const QString &orchestrationId) const;

    // Turns text typed by a user into a safe FTS5 MATCH expression: each whitespace-separated
    // term becomes a quoted phrase (so "foo-bar", quotes or AND/OR/NEAR are plain text), terms
    // are ANDed, and a trailing '*' on a term keeps prefix search. Empty -> empty.
    static QString ftsMatchExpression(const QString &userText);

    // Eval runs and their results (docs/evaluations.md, "Records"; core/store/EvalStore.cpp).
    // A run left `running` is marked `interrupted` by open() under the same rule as executions.
    Result<void> insertEvalRun(const EvalRunRecord &run);
    Result<void> updateEvalRun(const EvalRunRecord &run); // every column by id
    // Inserts or replaces the row of (eval_run_id, case_id, variant, repeat_index).
    Result<void> upsertEvalResult(const EvalResultRecord &result);
    // Newest first; `datasetPath` non-empty narrows to that dataset file.
    Result<QList<EvalRunRecord>> evalRuns(
        const StoreScope &scope, int limit, const QString &datasetPath = {}) const;
    Result<EvalRunRecord> evalRun(const StoreScope &scope, const QString &id) const;
    // In result order (variant order of the run, case order, repeat).
    Result<QList<EvalResultRecord>> evalResults(const QString &evalRunId) const;

    // Closes the connection (also done by the destructor). A connection that wrote runs a
    // bounded PRAGMA optimize first (analysis_limit): a close never re-reads the whole file.
    void close();

private:
    struct Statements;
    Result<void> openConnection(int *recovered);
    Result<void> migrate();
    Result<int> recoverInterrupted();
    bool otherOwnersAlive() const;
    QString ownersFolder() const; // "<path>.owners", the StoreOwnerLock files of this database
    static void optimizeBeforeClose(QSqlDatabase &db);

    QString m_path;
    QString m_connection;
    int m_txDepth = 0;
    // Cached prepared statements of this connection; destroyed before the connection.
    std::unique_ptr<Statements> m_stmts;
    // Set when the path is a PostgreSQL URI: every call goes there.
    std::unique_ptr<PgStore> m_pg;
    bool m_counted = false; // counted in openConnections()
    // Held while open: tells other stores on the same file (in any process) that the
    // executions this one writes are alive, so they must not be marked `interrupted`.
    std::unique_ptr<StoreOwnerLock> m_ownerLock;
};
