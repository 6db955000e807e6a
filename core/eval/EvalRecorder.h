#pragma once

#include "core/api/EvalTypes.h"
#include "core/common/Result.h"
#include "core/store/StoreScope.h"

#include <QObject>
#include <QString>

#include <functional>

class QThread;

// Where eval runs are recorded (docs/evaluations.md, "Records"): the eval_runs / eval_results
// tables of a history database, written and read on a worker thread of its own with its own
// connection, so the GUI (or the runner's main thread) never waits on the disk.
//
// Writes are queued in call order and never block; reads answer on the caller's thread through
// the callback, only while `context` lives. An eval run left `running` by a process that died
// is marked `interrupted` when a store is next opened (with the finished results kept).
class EvalRecorder : public QObject
{
    Q_OBJECT
public:
    using RunsCallback = std::function<void(const QList<EvalRunRecord> &runs, const QString &error)>;
    using RunCallback = std::function<void(
        const EvalRunRecord &run, const QList<EvalResultRecord> &results, const QString &error)>;

    // Opens `dbPath` on the worker thread (created and migrated when needed); open errors reach
    // error() and every later read's callback.
    explicit EvalRecorder(const QString &dbPath, QObject *parent = nullptr);
    ~EvalRecorder() override; // finishes the queued writes, then stops the thread

    QString path() const;

    void beginRun(const EvalRunRecord &run); // inserts the eval_runs row (status running)
    void recordResult(const EvalResultRecord &result); // upserts by (run, case, variant, repeat)
    void finishRun(const EvalRunRecord &run); // updates the row: status, totals, completed_at

    // Newest first, within `scope`; `datasetPath` non-empty narrows to one dataset file.
    void listRuns(const StoreScope &scope, int limit, const QString &datasetPath, QObject *context,
        RunsCallback callback);
    // One run with its results (in result order). "latest" names the newest run of
    // `datasetPath` in `scope` that finished (completed or cancelled).
    void loadRun(const StoreScope &scope, const QString &runId, const QString &datasetPath, QObject *context,
        RunCallback callback);

    // Waits until every queued write is on disk (the runner before it exits; tests).
    void flush();

    // Write transactions committed so far (writes are batched: tests and benchmarks read it).
    qint64 transactions() const;

signals:
    void error(const QString &message); // a write or the open failed (the message names it)

private:
    struct Private;
    Private *d;
};
