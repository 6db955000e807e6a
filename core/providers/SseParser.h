#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

// Incremental parser for text/event-stream (WHATWG HTML "Server-sent events", section 9.2.6).
// Bytes may be split anywhere, including inside a CRLF pair or a UTF-8 sequence: bytes are
// buffered and only complete lines are decoded. Lines end with CRLF, LF or CR; lines starting
// with ':' are comments (keep-alives); "data" lines are joined with '\n'; one space after the
// colon is stripped; a blank line dispatches the event. A leading UTF-8 BOM is skipped.
// Not thread-safe; one instance per stream.
class SseParser
{
public:
    struct Event
    {
        QString event; // "event:" field; empty means the default type "message"
        QByteArray data; // UTF-8, complete lines only (a multi-byte sequence is never cut)
        QString id; // last event id seen so far (WHATWG: persists across events)
    };

    // Feeds more bytes; returns the events completed by them, in order.
    QList<Event> feed(QByteArrayView bytes);
    // End of stream: an event without its terminating blank line is discarded (per the spec);
    // returns true when such incomplete data was pending, so callers can report a cut stream.
    bool finish();
    // True when some bytes or fields of an unfinished event are buffered.
    bool hasPendingData() const;
    void reset();

private:
    void processLine(QByteArrayView line, QList<Event> *out);

    QByteArray m_buffer; // bytes of the current, incomplete line
    QByteArray m_data; // data buffer of the event being built
    QString m_eventType;
    QString m_lastEventId;
    bool m_hasData = false; // a data field was seen for the event being built
    bool m_fieldSeen = false; // any field line was seen for the event being built
    bool m_skipLeadingLf = false; // the previous chunk ended with CR: a following LF is part of it
    bool m_bomChecked = false;
};
