#pragma once

#include "core/api/EvalTypes.h"
#include "core/api/ExecutionRecord.h"
#include "core/common/Result.h"
#include "core/store/StoreScope.h"

#include <QDateTime>
#include <QString>

// The execution store on PostgreSQL (docs/postgres-store.md): the same tables and meaning as
// the SQLite store (docs/store.md) through Qt's QPSQL driver. JSON columns are jsonb, times
// timestamptz(3), full-text search a generated tsvector ('simple' config) with a GIN index and
// the same query semantics as the SQLite store's FTS5 search (words ANDed, `word*` prefixes,
// "quoted phrases", highlights), keyset paging on (queued_at, id). Migrations are versioned in
// a schema_version table and run in one transaction under an advisory lock, so instances
// starting together never race. The cluster tables (docs/team-server.md: server_instances,
// execution_events) are part of the same migrations.
//
// `uri` is a libpq URI: postgresql://user[:password]@host[:port]/dbname?sslmode=…&host=/socket
// &connect_timeout=…; a password not in the URI comes from PGPASSWORD or the password file
// (PGPASSFILE, ~/.pgpass), as libpq does. No message, log line or error ever contains the
// password: see redactedUri().
//
// ExecutionStore forwards every call here when its path is such a URI, so callers (the engine,
// the history reader, the server, the eval recorder) use one interface for both backends.
//
// Threading: as ExecutionStore: one thread, the one that called open(); its own connection.
class PgStore
{
public:
    explicit PgStore(QString uri);
    ~PgStore();
    PgStore(const PgStore &) = delete;
    PgStore &operator=(const PgStore &) = delete;

    // "postgresql://" or "postgres://".
    static bool isUri(const QString &path);
    // The URI without its password (and without a password query item), for messages and logs.
    static QString redactedUri(const QString &uri);

    // Connects, migrates (advisory lock), then marks `interrupted` the executions left queued
    // or running by instances whose lease has expired (docs/team-server.md, "Leases"), or by
    // no instance at all. Errors name the problem: unreachable (host, port and libpq's
    // reason), authentication failed (user), database missing, schema newer than this binary
    // (both versions).
    Result<void> open(int *recovered = nullptr);
    bool isOpen() const;
    void close();

    Result<void> insertExecution(const ExecutionRecord &e);
    Result<void> updateExecution(const ExecutionRecord &e);
    Result<void> insertStep(const StepRecord &s);
    Result<void> updateStep(const StepRecord &s);
    Result<void> begin();
    Result<void> commit();
    Result<void> rollback();
    Result<ExecutionRecord> execution(const StoreScope &scope, const QString &id, bool withSteps) const;
    Result<HistoryPage> query(const StoreScope &scope, const HistoryQuery &q) const;
    Result<qint64> count(const StoreScope &scope, const HistoryQuery &q) const;
    Result<int> remove(const StoreScope &scope, const QStringList &ids);
    Result<int> applyRetention(const StoreScope &scope, int keepLast, const QDateTime &olderThan);
    Result<ExecutionRecord> latestSuccessfulRun(
        const StoreScope &scope, const QString &orchestrationId) const;
    Result<void> insertEvalRun(const EvalRunRecord &run);
    Result<void> updateEvalRun(const EvalRunRecord &run);
    Result<void> upsertEvalResult(const EvalResultRecord &result);
    Result<QList<EvalRunRecord>> evalRuns(
        const StoreScope &scope, int limit, const QString &datasetPath) const;
    Result<EvalRunRecord> evalRun(const StoreScope &scope, const QString &id) const;
    Result<QList<EvalResultRecord>> evalResults(const QString &evalRunId) const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};
