#pragma once

#include <QString>

// A client message on /ws/execution/{id} (docs/server.md, "WebSocket"): {"type":"ack","seq":N}
// or {"type":"cancel"}; anything else is Bad with a message naming the field. Parsing is kept
// apart from StreamSession (no socket) so that it can be fuzzed. Pure; any thread.
struct StreamMessage
{
    enum class Kind { Ack, Cancel, Bad };
    Kind kind = Kind::Bad;
    qint64 seq = 0; // Ack
    QString problem; // Bad

    // Sequence numbers travel as JSON numbers: beyond 2^53 - 1 they are not exact.
    static constexpr qint64 kMaxSeq = (qint64(1) << 53) - 1;

    // lastSent: the highest seq sent to this client (an ack beyond it is Bad).
    static StreamMessage parse(const QString &text, qint64 lastSent);
};
