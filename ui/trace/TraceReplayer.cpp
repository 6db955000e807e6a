#include "ui/trace/TraceReplayer.h"

TraceReplayer::TraceReplayer(QObject *parent)
    : QObject(parent)
{
    m_timer.setInterval(16);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &TraceReplayer::tick);
}

void TraceReplayer::start(const ExecutionRecord &record, double speed)
{
    stop();
    m_events = synthesizeEvents(record);
    m_next = 0;
    m_speed = speed;
    m_elapsed.start();
    m_timer.start();
}

void TraceReplayer::stop()
{
    m_timer.stop();
    m_events.clear();
    m_next = 0;
}

void TraceReplayer::tick()
{
    const qint64 position
        = m_speed <= 0 ? std::numeric_limits<qint64>::max() : qint64(double(m_elapsed.elapsed()) * m_speed);
    ExecutionEventList batch;
    while (m_next < m_events.size() && m_events[m_next].atMs <= position)
        batch.append(m_events[m_next++].event);
    const bool done = m_next >= m_events.size();
    const qint64 clock = done ? (m_events.isEmpty() ? 0 : m_events.last().atMs) : position;
    if (!batch.isEmpty())
        emit eventsReady(batch);
    emit clockChanged(clock);
    if (done) {
        m_timer.stop();
        m_events.clear(); // the synthesized events of a big run are large; keep nothing
        m_events.squeeze();
        m_next = 0;
        emit finished();
    }
}
