#include "core/engine/StoreWriter.h"

#include "core/store/ExecutionStore.h"

StoreWriter::StoreWriter(int partialFlushMs, QObject *parent)
    : QObject(parent)
    , m_commitTimer(this)
    , m_partialTimer(this)
{
    m_commitTimer.setSingleShot(true);
    m_commitTimer.setInterval(kMaxTransactionMs);
    connect(&m_commitTimer, &QTimer::timeout, this, &StoreWriter::commit);
    m_partialTimer.setInterval(qMax(10, partialFlushMs));
    connect(&m_partialTimer, &QTimer::timeout, this, &StoreWriter::flushPartials);
}

StoreWriter::~StoreWriter() = default;

void StoreWriter::open(const QString &path)
{
    if (m_store || path.isEmpty())
        return;
    m_store = std::make_unique<ExecutionStore>(path);
    const Result<void> r = m_store->open();
    if (!r.ok()) {
        m_store.reset();
        report("cannot open the execution store", r.error());
    }
}

void StoreWriter::close()
{
    m_partialTimer.stop();
    commit();
    m_store.reset();
}

void StoreWriter::report(const char *what, const QString &error)
{
    if (m_failureReported)
        return;
    m_failureReported = true;
    qWarning("engine: %s: %s", what, qPrintable(error));
    emit storeFailed(error);
}

void StoreWriter::write(const std::function<Result<void>(ExecutionStore &)> &write)
{
    if (!m_store)
        return;
    if (!m_txOpen) {
        m_txOpen = m_store->begin().ok();
        if (m_txOpen) {
            m_txClock.start();
            m_commitTimer.start();
        }
        if (m_onBegin)
            m_onBegin();
    }
    const Result<void> r = write(*m_store);
    if (!r.ok())
        report("store write failed", r.error());
}

void StoreWriter::commit()
{
    m_commitTimer.stop();
    if (!m_txOpen)
        return;
    m_txOpen = false;
    if (!m_store)
        return;
    const Result<void> r = m_store->commit();
    if (!r.ok())
        report("store commit failed", r.error());
}

void StoreWriter::commitIfDue(bool force)
{
    if (m_txOpen && (force || m_txClock.elapsed() >= kMaxTransactionMs))
        commit();
}

void StoreWriter::addPartialSource(PartialSource *source)
{
    m_partials.insert(source);
    if (m_store && !m_partialTimer.isActive())
        m_partialTimer.start();
}

void StoreWriter::removePartialSource(PartialSource *source)
{
    m_partials.remove(source);
    if (m_partials.isEmpty())
        m_partialTimer.stop();
}

void StoreWriter::flushPartials()
{
    if (!m_store)
        return;
    for (PartialSource *source : std::as_const(m_partials))
        if (const StepRecord *s = source->takeDirtyPartial())
            write([s](ExecutionStore &st) { return st.updateStep(*s); });
}
