#pragma once

#include "core/providers/NdjsonParser.h"
#include "core/providers/SseParser.h"

#include <QByteArray>
#include <QList>

// What the fuzz targets and the corpus replay test check for any input: the parsers never
// crash, and the result does not depend on where the bytes were split. Returns an empty
// string when the invariants hold, else what broke.
namespace parserinvariants {

inline QList<QByteArray> sseEvents(const QByteArray &input, const QList<qsizetype> &splits)
{
    SseParser p;
    QList<QByteArray> out;
    qsizetype from = 0;
    QList<qsizetype> bounds = splits;
    bounds.append(input.size());
    for (qsizetype to : bounds) {
        to = qBound(from, to, input.size());
        for (const SseParser::Event &e : p.feed(QByteArrayView(input).sliced(from, to - from)))
            out.append(e.event.toUtf8() + '\x01' + e.data + '\x01' + e.id.toUtf8());
        from = to;
    }
    p.finish();
    return out;
}

inline QList<QByteArray> ndjsonLines(const QByteArray &input, const QList<qsizetype> &splits)
{
    NdjsonParser p;
    QList<QByteArray> out;
    qsizetype from = 0;
    QList<qsizetype> bounds = splits;
    bounds.append(input.size());
    for (qsizetype to : bounds) {
        to = qBound(from, to, input.size());
        out += p.feed(QByteArrayView(input).sliced(from, to - from));
        from = to;
    }
    out.append(p.finish());
    return out;
}

// Split points derived from the input itself, so a fuzzer explores them too.
inline QList<qsizetype> derivedSplits(const QByteArray &input)
{
    QList<qsizetype> splits;
    if (input.isEmpty())
        return splits;
    const int step = 1 + (static_cast<unsigned char>(input.at(0)) % 7);
    for (qsizetype i = step; i < input.size(); i += step)
        splits.append(i);
    return splits;
}

inline const char *check(const QByteArray &input, const QList<qsizetype> &splits)
{
    if (sseEvents(input, {}) != sseEvents(input, splits))
        return "SSE events depend on the split points";
    for (const QByteArray &line : ndjsonLines(input, splits))
        if (line.contains('\n'))
            return "an NDJSON line contains a newline";
    if (ndjsonLines(input, {}) != ndjsonLines(input, splits))
        return "NDJSON lines depend on the split points";
    return nullptr;
}

} // namespace parserinvariants
