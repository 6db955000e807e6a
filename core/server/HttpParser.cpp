#include "core/server/HttpParser.h"

#include <QHostAddress>
#include <QUrl>

namespace httpparser {

namespace {

// RFC 9110 tchar: the characters of a method or a header name.
bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

bool isToken(QByteArrayView s)
{
    if (s.isEmpty())
        return false;
    for (char c : s)
        if (!isTokenChar(c))
            return false;
    return true;
}

// Field values: visible characters, obs-text, SP and HTAB; no other control character.
bool isFieldValue(QByteArrayView s)
{
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f)
            return false;
    }
    return true;
}

// Request targets: visible ASCII only (no spaces, no controls, no raw non-ASCII).
bool isTargetText(QByteArrayView s)
{
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f)
            return false;
    }
    return true;
}

QByteArrayView trimmedOws(QByteArrayView s)
{
    while (!s.isEmpty() && (s.front() == ' ' || s.front() == '\t'))
        s = s.sliced(1);
    while (!s.isEmpty() && (s.back() == ' ' || s.back() == '\t'))
        s = s.chopped(1);
    return s;
}

bool hasToken(const QByteArray &commaList, QByteArrayView token)
{
    for (const QByteArray &part : commaList.split(','))
        if (part.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

Outcome error(int status, const QString &problem)
{
    Outcome o;
    o.kind = Outcome::Kind::Error;
    o.status = status;
    o.problem = problem;
    return o;
}

} // namespace

Outcome parse(QByteArrayView buffer, qsizetype maxHeaderBytes)
{
    // Lines end in CRLF; a CR not followed by LF or an LF without its CR is refused (both are
    // request-smuggling vectors between parsers that disagree on line ends).
    const qsizetype limit = qMin(buffer.size(), maxHeaderBytes + 4);
    qsizetype end = -1;
    for (qsizetype i = 0; i < limit; ++i) {
        const char c = buffer[i];
        if (c == '\r') {
            if (i + 1 >= buffer.size())
                break; // its LF may still come
            if (buffer[i + 1] != '\n')
                return error(400, QStringLiteral("bare CR in the request head"));
            if (i + 3 < buffer.size() && buffer[i + 2] == '\r' && buffer[i + 3] == '\n') {
                end = i;
                break;
            }
            ++i; // skip the LF
        } else if (c == '\n') {
            return error(400, QStringLiteral("line ended by LF without CR in the request head"));
        }
    }
    if (end < 0) {
        // 431 only once no head within the limit can still complete (so that a prefix of an
        // acceptable head is never refused).
        if (buffer.size() >= maxHeaderBytes + 4)
            return error(431, QStringLiteral("request headers exceed %1 bytes").arg(maxHeaderBytes));
        return {};
    }
    if (end > maxHeaderBytes)
        return error(431, QStringLiteral("request headers exceed %1 bytes").arg(maxHeaderBytes));

    Outcome out;
    out.kind = Outcome::Kind::Ready;
    out.headLength = end + 4;
    Head &h = out.head;
    HttpRequest &r = h.request;
    const QByteArrayView head = buffer.first(end);

    qsizetype lineEnd = head.indexOf(QByteArrayView("\r\n"));
    const QByteArrayView requestLine = lineEnd < 0 ? head : head.first(lineEnd);
    // method SP target SP version, single spaces, nothing else.
    const qsizetype sp1 = requestLine.indexOf(' ');
    const qsizetype sp2 = sp1 < 0 ? -1 : requestLine.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 < 0 || requestLine.indexOf(' ', sp2 + 1) >= 0)
        return error(400, QStringLiteral("malformed request line"));
    const QByteArrayView method = requestLine.first(sp1);
    const QByteArrayView target = requestLine.sliced(sp1 + 1, sp2 - sp1 - 1);
    const QByteArrayView version = requestLine.sliced(sp2 + 1);
    if (!isToken(method))
        return error(400, QStringLiteral("malformed request line: bad method"));
    if (version != QByteArrayView("HTTP/1.1") && version != QByteArrayView("HTTP/1.0")) {
        if (version.startsWith("HTTP/") && version.size() == 8)
            return error(505, QStringLiteral("HTTP version not supported"));
        return error(400, QStringLiteral("malformed request line: bad version"));
    }
    if (target.isEmpty() || target.front() != '/' || !isTargetText(target))
        return error(400, QStringLiteral("request target must be an absolute path"));
    r.method = method.toByteArray();
    h.version = version.toByteArray();
    r.target = QString::fromLatin1(target);
    const qsizetype q = target.indexOf('?');
    const QByteArrayView rawPath = q < 0 ? target : target.first(q);
    if (q >= 0)
        r.query = QUrlQuery(QString::fromLatin1(target.sliced(q + 1)));
    r.path = QUrl::fromPercentEncoding(rawPath.toByteArray());
    for (const QByteArray &segment : rawPath.toByteArray().split('/'))
        if (!segment.isEmpty())
            r.segments.append(QUrl::fromPercentEncoding(segment));

    bool haveLength = false;
    int hosts = 0;
    qsizetype pos = lineEnd < 0 ? head.size() : lineEnd + 2;
    int lineNo = 1;
    while (pos < head.size()) {
        ++lineNo;
        lineEnd = head.indexOf(QByteArrayView("\r\n"), pos);
        const QByteArrayView line = head.sliced(pos, (lineEnd < 0 ? head.size() : lineEnd) - pos);
        pos = lineEnd < 0 ? head.size() : lineEnd + 2;
        if (line.isEmpty())
            return error(400, QStringLiteral("header line %1: empty").arg(lineNo));
        if (line.front() == ' ' || line.front() == '\t')
            return error(400, QStringLiteral("header line %1: folded (obs-fold) header").arg(lineNo));
        const qsizetype colon = line.indexOf(':');
        if (colon < 0)
            return error(400, QStringLiteral("header line %1: no colon").arg(lineNo));
        const QByteArrayView rawName = line.first(colon);
        if (!rawName.isEmpty() && (rawName.back() == ' ' || rawName.back() == '\t'))
            return error(400, QStringLiteral("header line %1: whitespace before the colon").arg(lineNo));
        if (!isToken(rawName))
            return error(400, QStringLiteral("header line %1: malformed name").arg(lineNo));
        const QByteArrayView value = trimmedOws(line.sliced(colon + 1));
        if (!isFieldValue(value))
            return error(400, QStringLiteral("header line %1: control character in the value").arg(lineNo));
        const QByteArray name = rawName.toByteArray().toLower();
        if (name == "content-length") {
            // Digits only: no sign, no spaces inside, no list; a repeat must agree.
            if (value.isEmpty() || value.size() > 18)
                return error(400, QStringLiteral("Content-Length: expected 1 to 18 digits"));
            for (char c : value)
                if (c < '0' || c > '9')
                    return error(400, QStringLiteral("Content-Length: expected digits only"));
            const qint64 n = value.toLongLong();
            if (haveLength && n != h.contentLength)
                return error(400, QStringLiteral("Content-Length: conflicting values"));
            haveLength = true;
            h.contentLength = n;
            r.headers.insert(name, value.toByteArray());
            continue;
        }
        if (name == "host")
            ++hosts;
        if (name == "transfer-encoding")
            h.hasTransferEncoding = true;
        auto it = r.headers.find(name);
        if (it == r.headers.end())
            r.headers.insert(name, value.toByteArray());
        else
            *it += ", " + value.toByteArray();
    }
    if (hosts > 1)
        return error(400, QStringLiteral("Host: given more than once"));
    if (hosts == 0 && h.version == "HTTP/1.1")
        return error(400, QStringLiteral("Host: missing"));
    if (h.hasTransferEncoding && haveLength)
        return error(400, QStringLiteral("Transfer-Encoding and Content-Length together"));

    const QByteArray connection = r.header("connection");
    h.keepAlive
        = h.version == "HTTP/1.0" ? hasToken(connection, "keep-alive") : !hasToken(connection, "close");
    h.expectContinue = r.header("expect").compare("100-continue", Qt::CaseInsensitive) == 0;
    h.webSocketUpgrade = r.method == "GET" && hasToken(r.header("upgrade"), "websocket");
    return out;
}

QString hostName(const QByteArray &hostHeader)
{
    const QString v = QString::fromLatin1(hostHeader.trimmed()).toLower();
    if (v.startsWith(QLatin1Char('['))) {
        const qsizetype close = v.indexOf(QLatin1Char(']'));
        if (close < 0)
            return {};
        const QString rest = v.mid(close + 1);
        if (!rest.isEmpty() && !rest.startsWith(QLatin1Char(':')))
            return {};
        return v.mid(1, close - 1);
    }
    const qsizetype colon = v.indexOf(QLatin1Char(':'));
    if (colon >= 0 && v.indexOf(QLatin1Char(':'), colon + 1) >= 0)
        return {}; // an IPv6 literal must be bracketed
    return colon < 0 ? v : v.left(colon);
}

bool isLoopbackHost(const QString &host)
{
    if (host.isEmpty())
        return false;
    if (host == QLatin1String("localhost") || host.endsWith(QLatin1String(".localhost")))
        return true;
    QHostAddress a;
    return a.setAddress(host) && a.isLoopback();
}

} // namespace httpparser
