#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

// The two SSE fields a resumable MCP stream needs that SseParser (core/providers) does not hand
// out: the last event id, also of events that carry no data, and the `retry` reconnection
// time. WHATWG applies both as soon as the field line is parsed, not when an event is
// dispatched, so this scanner looks at lines only. It buffers just the start of a line (enough
// for an "id:" or "retry:" line); SseParser still does the events.
//
// Not thread-safe; one per stream, fed the same bytes as the stream's SseParser.
class SseCursor
{
public:
    void feed(QByteArrayView bytes);

    QString lastEventId() const { return m_lastEventId; }
    int retryMs() const { return m_retryMs; } // -1: the stream sent none

private:
    void processLine(QByteArrayView line);

    static constexpr qsizetype kMaxFieldLine = 1024;
    QByteArray m_line; // the start of the current line (at most kMaxFieldLine bytes)
    bool m_overlong = false; // the current line is longer: not one of ours
    QString m_lastEventId;
    int m_retryMs = -1;
};
