#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

// Incremental splitter for newline-delimited JSON (application/x-ndjson, Ollama's /api/chat).
// Bytes may be split anywhere; only complete lines are returned, without their "\n" or "\r\n";
// blank lines are skipped. The caller parses each line as JSON. Not thread-safe.
class NdjsonParser
{
public:
    QList<QByteArray> feed(QByteArrayView bytes);
    // End of stream: returns the last line when it had no terminating newline (else empty).
    QByteArray finish();
    bool hasPendingData() const { return !m_buffer.isEmpty(); }

private:
    QByteArray m_buffer; // bytes of the current, incomplete line
};
