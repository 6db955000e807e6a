#include "core/engine/EventJournal.h"

#include "core/common/Util.h"

#include <QMutexLocker>

EventJournal::EventJournal(int retentionMs, qint64 maxRetainedEvents, QObject *parent)
    : QObject(parent)
    , m_retentionMs(retentionMs)
    , m_maxRetainedEvents(maxRetainedEvents)
{
}

bool EventJournal::open(const QString &executionId)
{
    QMutexLocker lock(&m_mutex);
    if (m_replay.contains(executionId))
        return false;
    m_replay.insert(executionId, Replay {});
    return true;
}

void EventJournal::append(const QString &executionId, ExecutionEvent &&event)
{
    event.executionId = executionId;
    qint64 &next = m_nextSeq[executionId];
    event.seq = ++next;
    if (event.type == ExecutionEvent::Type::Complete)
        m_pendingComplete = true;
    m_pending.append(std::move(event));
    if (m_pending.size() >= kFlushEveryEvents)
        flush();
    else
        scheduleFlush();
}

void EventJournal::finish(const QString &executionId)
{
    m_nextSeq.remove(executionId);
    QMutexLocker lock(&m_mutex);
    auto it = m_replay.find(executionId);
    if (it == m_replay.end() || it->finished)
        return;
    it->finished = true;
    it->finishedAtMs = as::nowMs();
    m_retainedFinishedEvents += it->events.size();
    m_finishedOrder.append(executionId);
}

void EventJournal::scheduleFlush()
{
    if (m_flushScheduled)
        return;
    m_flushScheduled = true;
    QMetaObject::invokeMethod(this, &EventJournal::flushQueued, Qt::QueuedConnection);
}

void EventJournal::flushQueued()
{
    m_flushScheduled = false;
    flush();
}

void EventJournal::flush()
{
    // An inline flush (big batch) leaves m_flushScheduled set: the queued one still comes.
    const bool holdsComplete = m_pendingComplete;
    m_pendingComplete = false;
    if (m_beforeFlush)
        m_beforeFlush(holdsComplete);
    if (!m_pending.isEmpty()) {
        ExecutionEventList batch;
        batch.swap(m_pending);
        m_pending.reserve(qMin<qsizetype>(batch.size(), kFlushEveryEvents));
        {
            QMutexLocker lock(&m_mutex);
            const QString *lastId = nullptr;
            Replay *replay = nullptr;
            for (const ExecutionEvent &e : std::as_const(batch)) {
                if (!lastId || *lastId != e.executionId) {
                    lastId = &e.executionId;
                    auto it = m_replay.find(e.executionId);
                    replay = it == m_replay.end() ? nullptr : &it.value();
                }
                if (!replay)
                    continue;
                replay->events.append(e);
                if (replay->finished)
                    ++m_retainedFinishedEvents;
            }
        }
        emit eventsReady(batch);
    }
    evictFinished();
}

void EventJournal::evictFinished()
{
    // Only this thread changes m_finishedOrder, so reading it unlocked here is safe (and keeps
    // the mutex out of the common case: nothing finished).
    if (m_finishedOrder.isEmpty())
        return;
    const qint64 now = as::nowMs();
    QMutexLocker lock(&m_mutex);
    while (!m_finishedOrder.isEmpty()) {
        auto it = m_replay.find(m_finishedOrder.first());
        if (it == m_replay.end()) {
            m_finishedOrder.removeFirst();
            continue;
        }
        const bool old = now - it->finishedAtMs > m_retentionMs;
        const bool tooMany = m_retainedFinishedEvents > m_maxRetainedEvents;
        if (!old && !tooMany)
            break;
        m_retainedFinishedEvents -= it->events.size();
        m_replay.erase(it);
        m_finishedOrder.removeFirst();
    }
}

ExecutionEventList EventJournal::eventsSince(const QString &executionId, qint64 afterSeq, bool *known) const
{
    QMutexLocker lock(&m_mutex);
    const auto it = m_replay.constFind(executionId);
    if (known)
        *known = it != m_replay.constEnd();
    if (it == m_replay.constEnd())
        return {};
    // The buffer holds seq 1..n in order: seq k sits at index k-1.
    const qint64 from = qMax<qint64>(0, afterSeq);
    if (from >= it->events.size())
        return {};
    return it->events.mid(from);
}

qint64 EventJournal::retainedFinishedEvents() const
{
    QMutexLocker lock(&m_mutex);
    return m_retainedFinishedEvents;
}
