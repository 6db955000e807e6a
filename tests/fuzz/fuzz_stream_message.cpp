// libFuzzer target for the client-message handler of the execution stream WebSocket
// (core/server/StreamMessage): the first 8 input bytes are the seq last sent to the client, the
// rest is the text message. No crash or sanitizer report, and: an ack is within 0..lastSent and
// the JSON range, a bad message always says why, and parsing is deterministic.
#include "core/server/StreamMessage.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    qint64 lastSent = 0;
    if (size >= sizeof lastSent) {
        std::memcpy(&lastSent, data, sizeof lastSent);
        data += sizeof lastSent;
        size -= sizeof lastSent;
    }
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const StreamMessage m = StreamMessage::parse(text, lastSent);
    const StreamMessage again = StreamMessage::parse(text, lastSent);
    if (m.kind != again.kind || m.seq != again.seq || m.problem != again.problem) {
        std::fputs("parsing is not deterministic\n", stderr);
        std::abort();
    }
    if (m.kind == StreamMessage::Kind::Ack
        && (m.seq < 0 || m.seq > lastSent || m.seq > StreamMessage::kMaxSeq)) {
        std::fputs("an ack outside 0..lastSent\n", stderr);
        std::abort();
    }
    if (m.kind == StreamMessage::Kind::Bad && m.problem.isEmpty()) {
        std::fputs("a bad message without a reason\n", stderr);
        std::abort();
    }
    return 0;
}
