// libFuzzer target for the request-head parser of agentstudio-server (core/server/HttpParser):
// no crash or sanitizer report on any input, and these invariants —
//  * a Ready head ends with CRLF CRLF within the buffer and the limit, and has a method, an
//    absolute-path target, an HTTP/1.x version and a non-negative Content-Length;
//  * parsing exactly the head again gives the same request;
//  * every prefix of a Ready head is NeedMore (bytes arriving in pieces never change the result);
//  * pipelined requests (head + Content-Length body, repeated) parse the same way.
#include "core/server/HttpParser.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

constexpr qsizetype kMaxHeader = 1024; // small, so that the 431 paths are reached too

[[noreturn]] void broken(const char *what)
{
    std::fputs(what, stderr);
    std::fputc('\n', stderr);
    std::abort();
}

bool sameHead(const httpparser::Head &a, const httpparser::Head &b)
{
    return a.request.method == b.request.method && a.request.target == b.request.target
        && a.request.path == b.request.path && a.request.segments == b.request.segments
        && a.request.headers == b.request.headers && a.version == b.version
        && a.contentLength == b.contentLength && a.keepAlive == b.keepAlive
        && a.expectContinue == b.expectContinue && a.webSocketUpgrade == b.webSocketUpgrade
        && a.hasTransferEncoding == b.hasTransferEncoding;
}

void checkOne(QByteArrayView input)
{
    const httpparser::Outcome o = httpparser::parse(input, kMaxHeader);
    if (o.kind == httpparser::Outcome::Kind::Error && (o.status < 400 || o.problem.isEmpty()))
        broken("an error without a 4xx/5xx status or a message");
    if (o.kind != httpparser::Outcome::Kind::Ready)
        return;
    if (o.headLength < 4 || o.headLength > input.size() || o.headLength > kMaxHeader + 4)
        broken("head length out of range");
    if (input.sliced(o.headLength - 4, 4) != QByteArrayView("\r\n\r\n"))
        broken("head does not end with CRLF CRLF");
    const httpparser::Head &h = o.head;
    if (h.request.method.isEmpty() || !h.request.target.startsWith(QLatin1Char('/'))
        || (h.version != "HTTP/1.1" && h.version != "HTTP/1.0") || h.contentLength < 0)
        broken("a Ready head without method, target, version or with a negative length");
    const httpparser::Outcome again = httpparser::parse(input.first(o.headLength), kMaxHeader);
    if (again.kind != httpparser::Outcome::Kind::Ready || again.headLength != o.headLength
        || !sameHead(again.head, h))
        broken("the head alone parses differently");
    // Prefixes: a few cut points (all of them would make every input quadratic).
    for (qsizetype cut : { qsizetype(0), o.headLength / 2, o.headLength - 2, o.headLength - 1 }) {
        if (cut < 0 || cut >= o.headLength)
            continue;
        if (httpparser::parse(input.first(cut), kMaxHeader).kind != httpparser::Outcome::Kind::NeedMore)
            broken("a prefix of an acceptable head is not NeedMore");
    }
    (void)httpparser::isLoopbackHost(httpparser::hostName(h.request.header("host")));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));
    // Pipelined requests: head, body of Content-Length bytes, next head...
    for (int i = 0; i < 16 && !input.isEmpty(); ++i) {
        checkOne(input);
        const httpparser::Outcome o = httpparser::parse(input, kMaxHeader);
        if (o.kind != httpparser::Outcome::Kind::Ready)
            break;
        const qint64 next = qint64(o.headLength) + o.head.contentLength;
        if (next >= input.size())
            break;
        input = input.sliced(qsizetype(next));
    }
    return 0;
}
