#include "core/server/HttpParser.h"

#include <QTest>

// The request-head parser of agentstudio-server on bytes alone (docs/server.md, "Request
// parsing"): what it accepts, what it refuses with which status and message, and that it waits
// for more bytes rather than refusing a prefix of an acceptable head.

using httpparser::Outcome;
using namespace Qt::StringLiterals;

namespace {

constexpr qsizetype kMax = 16 * 1024;

Outcome parse(const QByteArray &bytes, qsizetype max = kMax)
{
    return httpparser::parse(bytes, max);
}

QByteArray get(const QByteArray &headers = "Host: 127.0.0.1:8765\r\n")
{
    return "GET /api/health HTTP/1.1\r\n" + headers + "\r\n";
}

const char *kindName(Outcome::Kind k)
{
    switch (k) {
    case Outcome::Kind::NeedMore:
        return "NeedMore";
    case Outcome::Kind::Ready:
        return "Ready";
    case Outcome::Kind::Error:
        return "Error";
    }
    return "?";
}

} // namespace

class TestHttpParser : public QObject
{
    Q_OBJECT

private slots:
    void readyRequest()
    {
        const QByteArray bytes = "POST /api/agents/a%20b/test?x=1&y=%C3%A9 HTTP/1.1\r\n"
                                 "Host: localhost\r\n"
                                 "Content-Type:\t application/json \t\r\n"
                                 "X-Many: one\r\n"
                                 "x-many: two\r\n"
                                 "Content-Length: 12\r\n"
                                 "\r\n";
        const Outcome o = parse(bytes + "{\"a\":\"b\"}xyz");
        QCOMPARE(kindName(o.kind), "Ready");
        QCOMPARE(o.headLength, bytes.size());
        const HttpRequest &r = o.head.request;
        QCOMPARE(r.method, QByteArray("POST"));
        QCOMPARE(r.target, QStringLiteral("/api/agents/a%20b/test?x=1&y=%C3%A9"));
        QCOMPARE(r.path, QStringLiteral("/api/agents/a b/test"));
        QCOMPARE(r.segments, (QStringList { u"api"_s, u"agents"_s, u"a b"_s, u"test"_s }));
        QCOMPARE(r.queryValue(QStringLiteral("x")), QStringLiteral("1"));
        QCOMPARE(r.queryValue(QStringLiteral("y")), QStringLiteral("é"));
        QCOMPARE(o.head.version, QByteArray("HTTP/1.1"));
        QCOMPARE(o.head.contentLength, 12);
        // Names lower-cased, optional whitespace around the value trimmed, repeats joined.
        QCOMPARE(r.header("content-type"), QByteArray("application/json"));
        QCOMPARE(r.header("x-many"), QByteArray("one, two"));
        QCOMPARE(r.header("content-length"), QByteArray("12"));
        QVERIFY(o.head.keepAlive);
        QVERIFY(!o.head.expectContinue);
        QVERIFY(!o.head.webSocketUpgrade);
        QVERIFY(!o.head.hasTransferEncoding);
        QVERIFY(o.problem.isEmpty());
    }

    // An encoded slash stays inside its segment: the execution id "a/b" is one segment.
    void segmentsSplitBeforeDecoding()
    {
        const Outcome o = parse("GET //api/executions/a%2Fb/ HTTP/1.1\r\nHost: h\r\n\r\n");
        QCOMPARE(kindName(o.kind), "Ready");
        QCOMPARE(o.head.request.segments, (QStringList { u"api"_s, u"executions"_s, u"a/b"_s }));
        QCOMPARE(o.head.request.path, QStringLiteral("//api/executions/a/b/"));
    }

    void obsTextInValuesIsKept()
    {
        const Outcome o = parse(get("Host: h\r\nX-Name: caf\xe9 \x80\xff\r\n"));
        QCOMPARE(kindName(o.kind), "Ready");
        QCOMPARE(o.head.request.header("x-name"), QByteArray("caf\xe9 \x80\xff"));
    }

    void emptyValueIsKept()
    {
        const Outcome o = parse(get("Host: h\r\nX-Empty:\r\n"));
        QCOMPARE(kindName(o.kind), "Ready");
        QVERIFY(o.head.request.headers.contains("x-empty"));
        QCOMPARE(o.head.request.header("x-empty"), QByteArray());
    }

    void connectionSemantics_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<bool>("keepAlive");
        QTest::addColumn<bool>("expectContinue");
        QTest::addColumn<bool>("upgrade");
        QTest::newRow("1.1 default") << get() << true << false << false;
        QTest::newRow("1.1 close") << get("Host: h\r\nConnection: keep-alive, Close\r\n") << false << false
                                   << false;
        QTest::newRow("1.0 default") << QByteArray("GET / HTTP/1.0\r\n\r\n") << false << false << false;
        QTest::newRow("1.0 keep-alive")
            << QByteArray("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n") << true << false << false;
        QTest::newRow("expect") << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
                                              "Content-Length: 3\r\n\r\n")
                                << true << true << false;
        QTest::newRow("other expect") << get("Host: h\r\nExpect: 200-ok\r\n") << true << false << false;
        QTest::newRow("websocket") << get("Host: h\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\n") << true
                                   << false << true;
        QTest::newRow("upgrade list")
            << get("Host: h\r\nUpgrade: h2c, websocket\r\n") << true << false << true;
        QTest::newRow("POST upgrade is no upgrade")
            << QByteArray("POST / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n") << true << false
            << false;
    }
    void connectionSemantics()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(bool, keepAlive);
        QFETCH(bool, expectContinue);
        QFETCH(bool, upgrade);
        const Outcome o = parse(bytes);
        QCOMPARE(kindName(o.kind), "Ready");
        QCOMPARE(o.head.keepAlive, keepAlive);
        QCOMPARE(o.head.expectContinue, expectContinue);
        QCOMPARE(o.head.webSocketUpgrade, upgrade);
    }

    // Every refusal: its status and the exact message (the message reaches the client).
    void errors_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("problem");
        const QByteArray h = "Host: h\r\n";
        // Line ends.
        QTest::newRow("bare CR in request line")
            << QByteArray("GET /\r HTTP/1.1\r\nHost: h\r\n\r\n") << 400 << "bare CR in the request head";
        QTest::newRow("bare CR in header")
            << get("Host: h\rX: y\r\n") << 400 << "bare CR in the request head";
        QTest::newRow("LF without CR") << QByteArray("GET / HTTP/1.1\nHost: h\r\n\r\n") << 400
                                       << "line ended by LF without CR in the request head";
        QTest::newRow("LF-only blank line") << QByteArray("GET / HTTP/1.1\r\nHost: h\r\n\n") << 400
                                            << "line ended by LF without CR in the request head";
        // Request line.
        QTest::newRow("two spaces") << QByteArray("GET  / HTTP/1.1\r\n" + h + "\r\n") << 400
                                    << "malformed request line";
        QTest::newRow("leading space")
            << QByteArray(" GET / HTTP/1.1\r\n" + h + "\r\n") << 400 << "malformed request line";
        QTest::newRow("no version") << QByteArray("GET /\r\n" + h + "\r\n") << 400
                                    << "malformed request line";
        QTest::newRow("four parts") << QByteArray("GET / HTTP/1.1 x\r\n" + h + "\r\n") << 400
                                    << "malformed request line";
        QTest::newRow("tab separator")
            << QByteArray("GET\t/ HTTP/1.1\r\n" + h + "\r\n") << 400 << "malformed request line";
        QTest::newRow("bad method") << QByteArray("G(T / HTTP/1.1\r\n" + h + "\r\n") << 400
                                    << "malformed request line: bad method";
        QTest::newRow("HTTP/2.0") << QByteArray("GET / HTTP/2.0\r\n" + h + "\r\n") << 505
                                  << "HTTP version not supported";
        QTest::newRow("HTTP/0.9") << QByteArray("GET / HTTP/0.9\r\n" + h + "\r\n") << 505
                                  << "HTTP version not supported";
        QTest::newRow("lower-case version")
            << QByteArray("GET / http/1.1\r\n" + h + "\r\n") << 400 << "malformed request line: bad version";
        QTest::newRow("long version")
            << QByteArray("GET / HTTP/1.10\r\n" + h + "\r\n") << 400 << "malformed request line: bad version";
        QTest::newRow("relative target") << QByteArray("GET api HTTP/1.1\r\n" + h + "\r\n") << 400
                                         << "request target must be an absolute path";
        QTest::newRow("absolute URI") << QByteArray("GET http://h/ HTTP/1.1\r\n" + h + "\r\n") << 400
                                      << "request target must be an absolute path";
        QTest::newRow("asterisk") << QByteArray("OPTIONS * HTTP/1.1\r\n" + h + "\r\n") << 400
                                  << "request target must be an absolute path";
        QTest::newRow("raw non-ASCII target") << QByteArray("GET /caf\xc3\xa9 HTTP/1.1\r\n" + h + "\r\n")
                                              << 400 << "request target must be an absolute path";
        QTest::newRow("DEL in target") << QByteArray("GET /a\x7f HTTP/1.1\r\n" + h + "\r\n") << 400
                                       << "request target must be an absolute path";
        // Header lines (line 1 is the request line).
        QTest::newRow("obs-fold") << get("Host: h\r\nX: a\r\n b\r\n") << 400
                                  << "header line 4: folded (obs-fold) header";
        QTest::newRow("obs-fold tab")
            << get("\tHost: h\r\n") << 400 << "header line 2: folded (obs-fold) header";
        QTest::newRow("no colon") << get("Host: h\r\nNoColon\r\n") << 400 << "header line 3: no colon";
        QTest::newRow("space before colon")
            << get("Host : h\r\n") << 400 << "header line 2: whitespace before the colon";
        QTest::newRow("tab before colon")
            << get("Host\t: h\r\n") << 400 << "header line 2: whitespace before the colon";
        QTest::newRow("empty name") << get("Host: h\r\n: v\r\n") << 400 << "header line 3: malformed name";
        QTest::newRow("bad name") << get("Ho(st: h\r\n") << 400 << "header line 2: malformed name";
        QTest::newRow("control in value")
            << get("Host: h\r\nX: a\x01z\r\n") << 400 << "header line 3: control character in the value";
        QTest::newRow("NUL in value") << get(QByteArray("Host: h\r\nX: a\0z\r\n", 17)) << 400
                                      << "header line 3: control character in the value";
        QTest::newRow("DEL in value")
            << get("Host: h\r\nX: a\x7f\r\n") << 400 << "header line 3: control character in the value";
        // Content-Length.
        QTest::newRow("CL empty") << get("Host: h\r\nContent-Length: \r\n") << 400
                                  << "Content-Length: expected 1 to 18 digits";
        QTest::newRow("CL 19 digits") << get("Host: h\r\nContent-Length: 1234567890123456789\r\n") << 400
                                      << "Content-Length: expected 1 to 18 digits";
        QTest::newRow("CL sign") << get("Host: h\r\nContent-Length: +5\r\n") << 400
                                 << "Content-Length: expected digits only";
        QTest::newRow("CL negative") << get("Host: h\r\nContent-Length: -1\r\n") << 400
                                     << "Content-Length: expected digits only";
        QTest::newRow("CL list") << get("Host: h\r\nContent-Length: 5, 5\r\n") << 400
                                 << "Content-Length: expected digits only";
        QTest::newRow("CL hex") << get("Host: h\r\nContent-Length: 0x10\r\n") << 400
                                << "Content-Length: expected digits only";
        QTest::newRow("CL conflict") << get("Host: h\r\nContent-Length: 5\r\ncontent-length: 6\r\n") << 400
                                     << "Content-Length: conflicting values";
        QTest::newRow("CL with TE") << get("Host: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n")
                                    << 400 << "Transfer-Encoding and Content-Length together";
        QTest::newRow("TE after CL") << get("Host: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n")
                                     << 400 << "Transfer-Encoding and Content-Length together";
        // Host.
        QTest::newRow("Host missing") << get("X: y\r\n") << 400 << "Host: missing";
        QTest::newRow("Host twice") << get("Host: a\r\nhost: b\r\n") << 400 << "Host: given more than once";
        QTest::newRow("Host twice in 1.0") << QByteArray("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n")
                                           << 400 << "Host: given more than once";
    }
    void errors()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, status);
        QFETCH(QString, problem);
        const Outcome o = parse(bytes);
        QCOMPARE(kindName(o.kind), "Error");
        QCOMPARE(o.status, status);
        QCOMPARE(o.problem, problem);
    }

    void accepted_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("1.0 without Host") << QByteArray("GET / HTTP/1.0\r\n\r\n");
        QTest::newRow("CL repeated, same") << get("Host: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n");
        QTest::newRow("CL 18 digits") << get("Host: h\r\nContent-Length: 123456789012345678\r\n");
        QTest::newRow("CL leading zeros") << get("Host: h\r\nContent-Length: 007\r\n");
        QTest::newRow("token method") << QByteArray("M-SEARCH /x HTTP/1.1\r\nHost: h\r\n\r\n");
        QTest::newRow("no space after colon") << get("Host:h\r\n");
        QTest::newRow("tab in value") << get("Host: h\r\nX: a\tb\r\n");
    }
    void accepted()
    {
        QFETCH(QByteArray, bytes);
        const Outcome o = parse(bytes);
        QVERIFY2(o.kind == Outcome::Kind::Ready, qPrintable(o.problem));
        QCOMPARE(o.headLength, bytes.size());
    }

    void contentLengthValues()
    {
        QCOMPARE(parse(get()).head.contentLength, 0);
        QCOMPARE(parse(get("Host: h\r\nContent-Length: 007\r\n")).head.contentLength, 7);
        QCOMPARE(parse(get("Host: h\r\nContent-Length: 123456789012345678\r\n")).head.contentLength,
            Q_INT64_C(123456789012345678));
        QVERIFY(parse(get("Host: h\r\nTransfer-Encoding: chunked\r\n")).head.hasTransferEncoding);
    }

    // Every prefix of an acceptable head is NeedMore, never an error (a CR at the very end may
    // still get its LF); the whole head is Ready.
    void everyPrefixNeedsMore()
    {
        const QByteArray bytes = get("Host: h\r\nContent-Length: 3\r\nX: caf\xe9\r\n");
        for (qsizetype n = 0; n < bytes.size(); ++n) {
            const Outcome o = parse(bytes.first(n));
            QVERIFY2(o.kind == Outcome::Kind::NeedMore,
                qPrintable(QStringLiteral("prefix of %1 bytes: %2 %3")
                               .arg(n)
                               .arg(QLatin1String(kindName(o.kind)), o.problem)));
        }
        QCOMPARE(kindName(parse(bytes).kind), "Ready");
    }

    // Pipelining: the parser stops at the first blank line. What follows (a body, the next
    // request) is not read, so body bytes that would be illegal in a head do not matter, and
    // the next head parses from headLength + Content-Length.
    void pipelinedRequests()
    {
        const QByteArray first
            = "POST /api/executions/x/cancel HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n";
        const QByteArray body = "a\nb\rc";
        const QByteArray second = "GET /api/health HTTP/1.1\r\nHost: h\r\n\r\n";
        const QByteArray third = "GET /api/workspace HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
        const QByteArray all = first + body + second + third;

        const Outcome a = parse(all);
        QCOMPARE(kindName(a.kind), "Ready");
        QCOMPARE(a.headLength, first.size());
        QCOMPARE(a.head.request.path, QStringLiteral("/api/executions/x/cancel"));
        QCOMPARE(a.head.contentLength, 5);

        const QByteArray rest = all.mid(a.headLength + a.head.contentLength);
        const Outcome b = parse(rest);
        QCOMPARE(kindName(b.kind), "Ready");
        QCOMPARE(b.headLength, second.size());
        QCOMPARE(b.head.request.path, QStringLiteral("/api/health"));
        QVERIFY(b.head.keepAlive);

        const Outcome c = parse(rest.mid(b.headLength));
        QCOMPARE(kindName(c.kind), "Ready");
        QCOMPARE(c.head.request.path, QStringLiteral("/api/workspace"));
        QVERIFY(!c.head.keepAlive);
        // A half-arrived next request waits.
        QCOMPARE(kindName(parse(rest.mid(b.headLength, 20)).kind), "NeedMore");
    }

    // The limit is on the head without its final CRLF CRLF: exactly the limit is accepted,
    // one byte more is 431, whether the head is complete or still arriving.
    void headerSizeLimit()
    {
        const QByteArray bytes = get("Host: h\r\nX-Pad: " + QByteArray(200, 'p') + "\r\n");
        const qsizetype headBytes = bytes.size() - 4;
        QCOMPARE(kindName(parse(bytes, headBytes).kind), "Ready");

        const Outcome over = parse(bytes, headBytes - 1);
        QCOMPARE(kindName(over.kind), "Error");
        QCOMPARE(over.status, 431);
        QCOMPARE(over.problem, QStringLiteral("request headers exceed %1 bytes").arg(headBytes - 1));

        // Still arriving: NeedMore while a head within the limit can complete, then 431.
        const QByteArray endless = "GET / HTTP/1.1\r\nX: " + QByteArray(300, 'x');
        QCOMPARE(kindName(parse(endless.first(100 + 3), 100).kind), "NeedMore");
        const Outcome past = parse(endless.first(100 + 4), 100);
        QCOMPARE(kindName(past.kind), "Error");
        QCOMPARE(past.status, 431);
        QCOMPARE(past.problem, QStringLiteral("request headers exceed 100 bytes"));
    }

    void hostName_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<QString>("host");
        QTest::newRow("name and port") << QByteArray("LocalHost:8765") << "localhost";
        QTest::newRow("name") << QByteArray(" example.org ") << "example.org";
        QTest::newRow("IPv4") << QByteArray("127.0.0.1:80") << "127.0.0.1";
        QTest::newRow("IPv6") << QByteArray("[::1]:80") << "::1";
        QTest::newRow("IPv6 no port") << QByteArray("[::1]") << "::1";
        QTest::newRow("IPv6 unbracketed") << QByteArray("::1") << "";
        QTest::newRow("IPv6 unclosed") << QByteArray("[::1") << "";
        QTest::newRow("junk after bracket") << QByteArray("[::1]x") << "";
        QTest::newRow("empty") << QByteArray() << "";
    }
    void hostName()
    {
        QFETCH(QByteArray, header);
        QFETCH(QString, host);
        QCOMPARE(httpparser::hostName(header), host);
    }

    void loopbackHosts_data()
    {
        QTest::addColumn<QString>("host");
        QTest::addColumn<bool>("loopback");
        QTest::newRow("localhost") << "localhost" << true;
        QTest::newRow("sub.localhost") << "app.localhost" << true;
        QTest::newRow("127.0.0.1") << "127.0.0.1" << true;
        QTest::newRow("127.1.2.3") << "127.1.2.3" << true;
        QTest::newRow("::1") << "::1" << true;
        QTest::newRow("empty") << "" << false;
        QTest::newRow("localhost.evil.com") << "localhost.evil.com" << false;
        QTest::newRow("evil-localhost") << "evillocalhost" << false;
        QTest::newRow("10.0.0.1") << "10.0.0.1" << false;
        QTest::newRow("0.0.0.0") << "0.0.0.0" << false;
    }
    void loopbackHosts()
    {
        QFETCH(QString, host);
        QFETCH(bool, loopback);
        QCOMPARE(httpparser::isLoopbackHost(host), loopback);
    }
};

QTEST_GUILESS_MAIN(TestHttpParser)
#include "tst_httpparser.moc"
