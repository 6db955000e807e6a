#pragma once

#include "core/api/ExecutionEvent.h"

#include <QHash>
#include <QList>
#include <QMutex>
#include <QObject>

#include <functional>

// The engine's event journal (docs/architecture.md, "Events"): gives every event of an
// execution its gap-free seq from 1, collects events in a pending batch flushed as ONE
// eventsReady() per event-loop turn (or inline every kFlushEveryEvents), and keeps the replay
// buffer that other threads read through eventsSince().
//
// Threading: lives on the engine thread; everything runs there except open() and eventsSince(),
// which are thread-safe (the replay buffer is behind a mutex). Every event is in the replay
// buffer before the batch holding it is emitted, so a subscriber that connects to
// eventsReady() first and then calls eventsSince() misses nothing.
//
// Retention: the events of a finished execution stay for retentionMs, and at most
// maxRetainedEvents events of finished executions are kept in all (oldest dropped first);
// events of executions not finished are always kept.
class EventJournal final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventJournal)
public:
    static constexpr int kFlushEveryEvents = 8192;

    EventJournal(int retentionMs, qint64 maxRetainedEvents, QObject *parent = nullptr);

    // Called on every flush before the batch is emitted, with whether it holds a `complete`
    // event (the engine commits the store there).
    void setBeforeFlush(std::function<void(bool holdsComplete)> hook) { m_beforeFlush = std::move(hook); }

    // Thread-safe. Starts the journal of a new execution; false when the id is known already
    // (running, or finished and still retained).
    bool open(const QString &executionId);
    // Gives `event` the execution's next seq and queues it for the next batch.
    void append(const QString &executionId, ExecutionEvent &&event);
    // The execution ended (its `complete` is appended): its events now count for retention.
    void finish(const QString &executionId);
    // Emits the pending batch now (if any) and drops what retention says.
    void flush();
    // Flushes in a later turn of the event loop (once, however often it is asked).
    void scheduleFlush();

    // Thread-safe: the buffered events of an execution with seq > afterSeq, in seq order.
    // *known is false when the journal has no events for that id.
    ExecutionEventList eventsSince(const QString &executionId, qint64 afterSeq, bool *known = nullptr) const;
    // Thread-safe: events of finished executions held for replay (for tests).
    qint64 retainedFinishedEvents() const;

signals:
    void eventsReady(const ExecutionEventList &events);

private:
    struct Replay
    {
        ExecutionEventList events;
        bool finished = false;
        qint64 finishedAtMs = 0;
    };
    void flushQueued();
    void evictFinished();

    const int m_retentionMs;
    const qint64 m_maxRetainedEvents;
    std::function<void(bool)> m_beforeFlush;
    QHash<QString, qint64> m_nextSeq; // engine thread: executions not finished
    ExecutionEventList m_pending; // engine thread
    bool m_pendingComplete = false;
    bool m_flushScheduled = false;

    mutable QMutex m_mutex; // guards the three below
    QHash<QString, Replay> m_replay;
    QList<QString> m_finishedOrder; // finished executions, oldest first
    qint64 m_retainedFinishedEvents = 0;
};
