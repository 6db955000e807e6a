#pragma once

#include "core/common/Result.h"
#include "core/store/ExecutionRecord.h"

#include <QString>

// The execution store (DESIGN.md §6): SQLite through Qt Sql, WAL, foreign keys, migrations by
// PRAGMA user_version, FTS5 over inputs, outputs and errors.
//
// Threading: an ExecutionStore is used from ONE thread, the one that called open(); it owns
// its own QSqlDatabase connection (unique connection name per instance). Other threads open
// their own ExecutionStore on the same file. Not a QObject.
class ExecutionStore
{
public:
    explicit ExecutionStore(QString path);
    ~ExecutionStore();
    ExecutionStore(const ExecutionStore &) = delete;
    ExecutionStore &operator=(const ExecutionStore &) = delete;

    static QString defaultPath();          // AppDataLocation/executions.db
    static constexpr int SchemaVersion = 1;

    // Opens (creating folders and the file), migrates, and marks executions left `running`
    // or `queued` by a crash as `interrupted`. Returns how many were recovered via *recovered.
    Result<void> open(int *recovered = nullptr);
    bool isOpen() const;
    QString path() const { return m_path; }

    // Writes as things happen: insert at queue time, update on each state change.
    Result<void> insertExecution(const ExecutionRecord &e);
    Result<void> updateExecution(const ExecutionRecord &e);   // all columns by id
    Result<void> insertStep(const StepRecord &s);
    Result<void> updateStep(const StepRecord &s);

    // Groups many writes into one transaction (nestable; commits at the outermost end).
    Result<void> begin();
    Result<void> commit();

    Result<ExecutionRecord> execution(const QString &id, bool withSteps = true) const;
    Result<HistoryPage> query(const HistoryQuery &q) const;
    Result<qint64> count(const HistoryQuery &q) const;

    Result<int> remove(const QStringList &ids);
    // Retention: keep only the newest `keepLast` (if > 0) and drop anything queued before
    // `olderThan` (if valid). Returns how many were deleted.
    Result<int> applyRetention(int keepLast, const QDateTime &olderThan);

    // The latest completed full run of an orchestration (for Node in Context prefill).
    Result<ExecutionRecord> latestSuccessfulRun(const QString &orchestrationId) const;

private:
    QString m_path;
    QString m_connection;
    int m_txDepth = 0;
};
