#include "core/eval/EvalRecorder.h"

#include "core/api/ExecutionBackend.h"
#include "core/store/ExecutionStore.h"

#include <QMutex>
#include <QPointer>
#include <QSemaphore>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>

// The recorder's worker (docs/eval-store.md, "Recorder"). Lives on its own QThread and owns the
// ExecutionStore, opened there (a connection is used only on the thread that opened it).
//
// Jobs are queued in call order under a mutex. Writes wait up to kBatchWindowMs for company and
// then go to disk together, in one transaction: an eval that finishes 10,000 cases commits a
// few dozen times, not 10,000. A read, a flush or the shutdown drains the queue at once (in
// order, so a read sees every write queued before it).
namespace {

constexpr int kBatchWindowMs = 20;

struct Job
{
    enum Kind { Write, Read, Barrier };
    Kind kind = Write;
    std::function<void(ExecutionStore *store, const QString &openError)> run;
};

// error() is emitted on the recorder's own thread, from its event loop (also for the open,
// which runs before anyone could have connected).
void report(EvalRecorder *owner, const QString &message)
{
    QMetaObject::invokeMethod(
        owner, [owner, message] { emit owner->error(message); }, Qt::QueuedConnection);
}

} // namespace

class EvalRecorderWorker : public QObject
{
public:
    EvalRecorderWorker(QString path, EvalRecorder *owner)
        : m_path(std::move(path))
        , m_owner(owner)
    {
    }

    // Called from any thread.
    void post(Job job)
    {
        const bool urgent = job.kind != Job::Write;
        {
            QMutexLocker lock(&m_mutex);
            m_jobs.push_back(std::move(job));
            if (m_drainPosted && !urgent)
                return;
            m_drainPosted = true;
        }
        QMetaObject::invokeMethod(
            this, [this, urgent] { scheduleDrain(urgent); }, Qt::QueuedConnection);
    }

    // Worker thread only, from here on.
    void openStore()
    {
        m_store = std::make_unique<ExecutionStore>(m_path);
        if (const Result<void> r = m_store->open(); !r) {
            m_openError = r.error();
            m_store.reset();
            report(m_owner, m_openError);
        }
        m_timer = new QTimer(this);
        m_timer->setSingleShot(true);
        connect(m_timer, &QTimer::timeout, this, &EvalRecorderWorker::drain);
    }
    void closeStore()
    {
        drain();
        m_store.reset();
    }
    qint64 transactions() const { return m_transactions.load(); }

private:
    void scheduleDrain(bool urgent)
    {
        if (urgent)
            drain();
        else if (!m_timer->isActive())
            m_timer->start(kBatchWindowMs);
    }

    void drain()
    {
        m_timer->stop();
        std::deque<Job> jobs;
        {
            QMutexLocker lock(&m_mutex);
            jobs.swap(m_jobs);
            m_drainPosted = false;
        }
        bool inTransaction = false;
        auto commitWrites = [this, &inTransaction] {
            if (!inTransaction)
                return;
            inTransaction = false;
            ++m_transactions;
            if (const Result<void> r = m_store->commit(); !r)
                report(m_owner, r.error());
        };
        for (Job &job : jobs) {
            if (job.kind == Job::Write && m_store && !inTransaction) {
                if (const Result<void> r = m_store->begin(); r)
                    inTransaction = true;
                else
                    report(m_owner, r.error());
            } else if (job.kind != Job::Write) {
                commitWrites(); // a read or a flush sees every earlier write on disk
            }
            job.run(m_store.get(), m_openError);
        }
        commitWrites();
    }

    QString m_path;
    EvalRecorder *m_owner;
    std::unique_ptr<ExecutionStore> m_store;
    QString m_openError;
    QTimer *m_timer = nullptr;
    QMutex m_mutex;
    std::deque<Job> m_jobs;
    bool m_drainPosted = false;
    std::atomic<qint64> m_transactions { 0 };
};

struct EvalRecorder::Private
{
    QString path;
    QThread thread;
    EvalRecorderWorker *worker = nullptr;

    void write(EvalRecorder *owner, std::function<Result<void>(ExecutionStore &)> apply)
    {
        worker->post(Job { Job::Write, [owner, apply](ExecutionStore *store, const QString &openError) {
                              if (!store) {
                                  report(owner, QStringLiteral("eval records: %1").arg(openError));
                                  return;
                              }
                              if (const Result<void> r = apply(*store); !r)
                                  report(owner, r.error());
                          } });
    }
};

EvalRecorder::EvalRecorder(const QString &dbPath, QObject *parent)
    : QObject(parent)
    , d(new Private)
{
    d->path = dbPath;
    d->thread.setObjectName(QStringLiteral("eval-recorder"));
    d->worker = new EvalRecorderWorker(dbPath, this);
    d->worker->moveToThread(&d->thread);
    d->thread.start();
    EvalRecorderWorker *worker = d->worker;
    QMetaObject::invokeMethod(
        worker, [worker] { worker->openStore(); }, Qt::QueuedConnection);
}

EvalRecorder::~EvalRecorder()
{
    // Every queued write reaches the disk, then the connection closes on its own thread.
    EvalRecorderWorker *worker = d->worker;
    QMetaObject::invokeMethod(
        worker, [worker] { worker->closeStore(); }, Qt::BlockingQueuedConnection);
    d->thread.quit();
    d->thread.wait();
    delete d->worker;
    delete d;
}

QString EvalRecorder::path() const
{
    return d->path;
}

void EvalRecorder::beginRun(const EvalRunRecord &run)
{
    d->write(this, [run](ExecutionStore &store) { return store.insertEvalRun(run); });
}

void EvalRecorder::recordResult(const EvalResultRecord &result)
{
    d->write(this, [result](ExecutionStore &store) { return store.upsertEvalResult(result); });
}

void EvalRecorder::finishRun(const EvalRunRecord &run)
{
    d->write(this, [run](ExecutionStore &store) { return store.updateEvalRun(run); });
}

void EvalRecorder::listRuns(
    const StoreScope &scope, int limit, const QString &datasetPath, QObject *context, RunsCallback callback)
{
    // Answered on this (the caller's) thread, through `context` when given, else this recorder.
    QPointer<QObject> receiver = context ? context : static_cast<QObject *>(this);
    BackendReply<const QList<EvalRunRecord> &, const QString &> reply(context, std::move(callback));
    d->worker->post(Job { Job::Read, [=](ExecutionStore *store, const QString &openError) mutable {
                             QList<EvalRunRecord> runs;
                             QString error
                                 = store ? QString() : QStringLiteral("eval records: %1").arg(openError);
                             if (store) {
                                 Result<QList<EvalRunRecord>> r = store->evalRuns(scope, limit, datasetPath);
                                 if (r)
                                     runs = r.take();
                                 else
                                     error = r.error();
                             }
                             if (receiver)
                                 QMetaObject::invokeMethod(
                                     receiver.data(), [reply, runs, error]() mutable { reply(runs, error); },
                                     Qt::QueuedConnection);
                         } });
}

namespace {

// The run `runId` names: an id, or "latest" = the newest finished (completed or cancelled)
// run of `datasetPath` within `scope`.
Result<EvalRunRecord> resolveRun(
    ExecutionStore &store, const StoreScope &scope, const QString &runId, const QString &datasetPath)
{
    if (runId != QLatin1String("latest"))
        return store.evalRun(scope, runId);
    Result<QList<EvalRunRecord>> runs = store.evalRuns(scope, 0, datasetPath);
    if (!runs)
        return Failure { runs.error() };
    for (const EvalRunRecord &r : *runs)
        if (r.status == EvalRunStatus::Completed || r.status == EvalRunStatus::Cancelled)
            return r;
    return Failure { datasetPath.isEmpty()
            ? QStringLiteral("no finished eval run to use as \"latest\"")
            : QStringLiteral("no finished eval run of %1 to use as \"latest\"").arg(datasetPath) };
}

} // namespace

void EvalRecorder::loadRun(const StoreScope &scope, const QString &runId, const QString &datasetPath,
    QObject *context, RunCallback callback)
{
    QPointer<QObject> receiver = context ? context : static_cast<QObject *>(this);
    BackendReply<const EvalRunRecord &, const QList<EvalResultRecord> &, const QString &> reply(
        context, std::move(callback));
    d->worker->post(Job {
        Job::Read, [=](ExecutionStore *store, const QString &openError) mutable {
            EvalRunRecord run;
            QList<EvalResultRecord> results;
            QString error = store ? QString() : QStringLiteral("eval records: %1").arg(openError);
            if (store) {
                Result<EvalRunRecord> r = resolveRun(*store, scope, runId, datasetPath);
                Result<QList<EvalResultRecord>> rows
                    = r ? store->evalResults(r->id) : Result<QList<EvalResultRecord>>(Failure { r.error() });
                if (r && rows) {
                    run = r.take();
                    results = rows.take();
                } else {
                    error = r ? rows.error() : r.error();
                }
            }
            if (receiver)
                QMetaObject::invokeMethod(
                    receiver.data(), [reply, run, results, error]() mutable { reply(run, results, error); },
                    Qt::QueuedConnection);
        } });
}

void EvalRecorder::flush()
{
    // Blocks the caller until the queue is on disk: for the runner before it exits and tests,
    // never the GUI thread.
    auto done = std::make_shared<QSemaphore>();
    d->worker->post(Job { Job::Barrier, [done](ExecutionStore *, const QString &) { done->release(); } });
    done->acquire();
}

qint64 EvalRecorder::transactions() const
{
    return d->worker->transactions();
}
