#pragma once

#include "core/common/Result.h"

#include <QElapsedTimer>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <functional>
#include <memory>

class ExecutionStore;
struct StepRecord;

// The engine's writes to its ExecutionStore (docs/architecture.md, "Store"). Writes are grouped
// into one transaction for at most kMaxTransactionMs (the commit timer ends an idle one; the
// engine commits earlier through commitIfDue(), always before a batch holding a `complete`
// event is emitted, so whoever sees an execution end finds it complete in the store). The
// partial text of running LLM steps is written every partialFlushMs from the registered
// PartialSources. The first failure (open, write or commit) is reported once as storeFailed();
// the runs go on without it.
//
// Threading: lives and is used on the engine thread only.
class StoreWriter final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StoreWriter)
public:
    static constexpr int kMaxTransactionMs = 100;

    // Something whose partial output is written every partialFlushMs (a running agent call).
    class PartialSource
    {
    public:
        virtual ~PartialSource() = default;
        // The step to write now when its output changed since the last call, else nullptr.
        virtual const StepRecord *takeDirtyPartial() = 0;
    };

    explicit StoreWriter(int partialFlushMs, QObject *parent = nullptr);
    ~StoreWriter() override;

    // Opens the store at `path`; on failure reports storeFailed() and stays without one.
    void open(const QString &path);
    // Commits, stops the timers and closes the store.
    void close();
    bool isOpen() const { return bool(m_store); }
    ExecutionStore *store() const { return m_store.get(); } // for reads on this thread

    // Runs `write` inside the open transaction (beginning one if needed). onBegin is called
    // when a transaction begins, so the engine can schedule the flush that commits it.
    void write(const std::function<Result<void>(ExecutionStore &)> &write);
    void setOnBegin(std::function<void()> hook) { m_onBegin = std::move(hook); }
    // Commits the open transaction now.
    void commit();
    // Commits when a transaction is open and `force` or it is kMaxTransactionMs old.
    void commitIfDue(bool force);
    bool transactionOpen() const { return m_txOpen; }

    void addPartialSource(PartialSource *source);
    void removePartialSource(PartialSource *source);
    // Writes every dirty partial output now.
    void flushPartials();

signals:
    void storeFailed(const QString &message);

private:
    void report(const char *what, const QString &error);

    std::unique_ptr<ExecutionStore> m_store;
    bool m_txOpen = false;
    QElapsedTimer m_txClock; // since the open transaction began
    QTimer m_commitTimer; // commits an idle open transaction
    QTimer m_partialTimer; // writes partial outputs
    QSet<PartialSource *> m_partials; // Not owned.
    bool m_failureReported = false;
    std::function<void()> m_onBegin;
};
