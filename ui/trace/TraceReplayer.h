#pragma once

#include "core/api/EventSynthesizer.h"
#include "core/api/ExecutionEvent.h"
#include "core/api/ExecutionRecord.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

// Plays a stored execution back: the events synthesizeEvents() derives from
// the record, released on a frame timer at the recorded pace times `speed` — no provider, no
// engine. Each tick sends every event that is due as one batch, so 100× over a 30,000-step
// trace costs one model update per frame. GUI thread only.
class TraceReplayer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TraceReplayer)
public:
    explicit TraceReplayer(QObject *parent = nullptr);

    // speed: 1 = recorded pace, 10 = ten times faster; <= 0 = everything at once.
    void start(const ExecutionRecord &record, double speed);
    void stop();
    bool isRunning() const { return m_timer.isActive(); }
    double speed() const { return m_speed; }
    qint64 durationMs() const { return m_events.isEmpty() ? 0 : m_events.last().atMs; }

signals:
    void eventsReady(const ExecutionEventList &events);
    void clockChanged(qint64 ms); // position on the recorded time axis
    void finished();

private:
    void tick();

    QList<TimedEvent> m_events;
    qsizetype m_next = 0;
    double m_speed = 1;
    QElapsedTimer m_elapsed;
    QTimer m_timer;
};
