#pragma once

#include "core/server/HttpMessage.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

// The strict HTTP/1.1 request-head parser of agentstudio-server, without sockets so that it can
// be fuzzed (tests/fuzz/fuzz_http.cpp) and reasoned about alone. What it accepts and refuses is
// listed in docs/server.md ("Request parsing"). Pure functions; any thread.
namespace httpparser {

struct Head
{
    HttpRequest request; // method, target, path, segments, query, headers (no body, no peer)
    QByteArray version; // "HTTP/1.0" or "HTTP/1.1"
    qint64 contentLength = 0; // 0 when absent
    bool hasTransferEncoding = false;
    bool expectContinue = false; // "Expect: 100-continue"
    bool keepAlive = true; // after the answer, per version and Connection
    bool webSocketUpgrade = false; // GET with "Upgrade: websocket"
};

struct Outcome
{
    enum class Kind { NeedMore, Ready, Error };
    Kind kind = Kind::NeedMore;
    qsizetype headLength = 0; // bytes of the head including the final CRLF CRLF (Ready)
    int status = 0; // 400, 431, 505 (Error)
    QString problem; // names the line or header that was refused (Error)
    Head head; // (Ready)
};

// Looks for one complete request head at the start of `buffer`. NeedMore while no blank line has
// arrived and the buffer is within maxHeaderBytes; 431 past it. Never reads past the head.
Outcome parse(QByteArrayView buffer, qsizetype maxHeaderBytes);

// The host part of a Host header value ("127.0.0.1:8765" -> "127.0.0.1", "[::1]:80" -> "::1"),
// lower-cased; empty when malformed.
QString hostName(const QByteArray &hostHeader);
// True for "localhost", "*.localhost", 127.0.0.0/8 and ::1: the names a DNS-rebinding page
// cannot make a browser send to a loopback server.
bool isLoopbackHost(const QString &host);

} // namespace httpparser
