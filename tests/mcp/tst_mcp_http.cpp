// The MCP client over Streamable HTTP against a fault server written for the purpose
// (fault_http_server.py, a real HTTP server on 127.0.0.1 that prints every request it gets):
// headers, sessions and their expiry (404), a response stream cut before the result (resumed
// with Last-Event-ID after `retry`), 401, cancellation, idle pings, DELETE on shutdown.
#include "McpTestSupport.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QTest>

using namespace mcptest;
using namespace Qt::StringLiterals;

namespace {

// fault_http_server.py as a child process; its stdout lines are the requests it received.
class FaultHttpServer
{
public:
    explicit FaultHttpServer(const QStringList &args = {})
    {
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput, [this] {
            m_out += m_process.readAllStandardOutput();
            for (qsizetype nl; (nl = m_out.indexOf('\n')) >= 0; m_out.remove(0, nl + 1)) {
                const QByteArray line = m_out.left(nl);
                if (line.startsWith("LISTENING "))
                    m_port = line.mid(10).toInt();
                else
                    m_requests.append(QJsonDocument::fromJson(line).object());
            }
        });
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start(u"python3"_s, QStringList { sourceFile(u"tests/mcp/fault_http_server.py"_s) } + args);
        if (!QTest::qWaitFor(
                [this] { return m_port > 0 || m_process.state() == QProcess::NotRunning; }, 20000))
            qWarning("fault_http_server.py did not start listening");
    }
    ~FaultHttpServer()
    {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    bool ok() const { return m_port > 0; }
    QString url() const { return u"http://127.0.0.1:%1/mcp"_s.arg(m_port); }
    const QList<QJsonObject> &requests() const { return m_requests; }
    // The POSTs whose JSON-RPC method is `method`.
    QList<QJsonObject> posts(const QString &method) const
    {
        QList<QJsonObject> out;
        for (const QJsonObject &r : m_requests) {
            if (r.value(u"method").toString() == u"POST"
                && r.value(u"body").toObject().value(u"method").toString() == method)
                out.append(r);
        }
        return out;
    }
    QList<QJsonObject> byHttpMethod(const QString &method) const
    {
        QList<QJsonObject> out;
        for (const QJsonObject &r : m_requests) {
            if (r.value(u"method").toString() == method)
                out.append(r);
        }
        return out;
    }

private:
    QProcess m_process;
    QByteArray m_out;
    int m_port = 0;
    QList<QJsonObject> m_requests;
};

QString header(const QJsonObject &request, const QString &name)
{
    return request.value(u"headers").toObject().value(name).toString();
}

bool hasHeader(const QJsonObject &request, const QString &name)
{
    return request.value(u"headers").toObject().contains(name);
}

} // namespace

class TestMcpHttp : public QObject
{
    Q_OBJECT

private:
    QNetworkAccessManager m_network;

    std::unique_ptr<McpSource> source(const FaultHttpServer &server, int pingIntervalMs = 0)
    {
        auto s = std::make_unique<McpSource>(httpSpec(u"remote"_s, server.url()), QString(), &m_network);
        McpSource::Timing timing;
        timing.pingIntervalMs = pingIntervalMs;
        s->setTiming(timing);
        return s;
    }

private slots:
    // Accept both types on every POST; the session id and the negotiated version on every
    // request after initialize (not on it); JSON and SSE answers; DELETE on shutdown.
    void speaksTheTransport()
    {
        FaultHttpServer server;
        QVERIFY(server.ok());
        const auto s = source(server);
        const auto sse = call(*s, u"echo"_s);
        const auto json = call(*s, u"echo_json"_s);
        QTRY_VERIFY_WITH_TIMEOUT(sse->result && json->result, 20000);
        QCOMPARE(sse->result->text(), u"echo done"_s);
        QVERIFY(!sse->result->isError);
        QCOMPARE(json->result->text(), u"echo_json done"_s);
        QCOMPARE(s->status().state, ToolSourceState::Connected);
        QCOMPARE(s->status().serverName, u"fault-http"_s);
        QCOMPARE(s->status().target, server.url());

        const QList<QJsonObject> inits = server.posts(u"initialize"_s);
        QCOMPARE(inits.size(), 1);
        QCOMPARE(header(inits[0], u"accept"_s), u"application/json, text/event-stream"_s);
        QCOMPARE(header(inits[0], u"content-type"_s), u"application/json"_s);
        QVERIFY(!hasHeader(inits[0], u"mcp-session-id"_s));
        QVERIFY(!hasHeader(inits[0], u"mcp-protocol-version"_s));
        QCOMPARE(inits[0]
                     .value(u"body")
                     .toObject()
                     .value(u"params")
                     .toObject()
                     .value(u"protocolVersion")
                     .toString(),
            u"2025-11-25"_s);
        QTRY_COMPARE(server.posts(u"notifications/initialized"_s).size(), 1);
        for (const QString &method : { u"notifications/initialized"_s, u"tools/list"_s, u"tools/call"_s }) {
            for (const QJsonObject &r : server.posts(method)) {
                QCOMPARE(header(r, u"accept"_s), u"application/json, text/event-stream"_s);
                QCOMPARE(header(r, u"mcp-session-id"_s), u"session-1"_s);
                QCOMPARE(header(r, u"mcp-protocol-version"_s), u"2025-11-25"_s);
                QVERIFY(!hasHeader(r, u"authorization"_s));
            }
        }
        QCOMPARE(server.posts(u"tools/call"_s).size(), 2);
        const auto meta = server.posts(u"tools/call"_s)
                              .first()
                              .value(u"body")
                              .toObject()
                              .value(u"params")
                              .toObject()
                              .value(u"_meta");
        QVERIFY(meta.toObject().contains(u"progressToken"));
        // The optional GET stream was tried; the server has none (405), which is fine.
        QTRY_VERIFY(!server.byHttpMethod(u"GET"_s).isEmpty());
        QCOMPARE(header(server.byHttpMethod(u"GET"_s).first(), u"accept"_s), u"text/event-stream"_s);
        QCOMPARE(s->status().state, ToolSourceState::Connected);

        s->shutdown();
        QTRY_COMPARE(server.byHttpMethod(u"DELETE"_s).size(), 1);
        QCOMPARE(header(server.byHttpMethod(u"DELETE"_s).first(), u"mcp-session-id"_s), u"session-1"_s);
    }

    // The server forgets the session: the next request gets 404, the client initializes a new
    // session once and sends the request again, which then succeeds.
    void reinitializesAnExpiredSession()
    {
        FaultHttpServer server;
        QVERIFY(server.ok());
        const auto s = source(server);
        const auto expired = call(*s, u"expire"_s);
        QTRY_VERIFY_WITH_TIMEOUT(expired->result, 20000);
        QCOMPARE(expired->result->text(), u"expire done"_s);
        const auto after = call(*s, u"echo"_s);
        QTRY_VERIFY_WITH_TIMEOUT(after->result, 20000);
        QVERIFY2(!after->result->isError, qPrintable(after->result->text()));
        QCOMPARE(after->result->text(), u"echo done"_s);

        const QList<QJsonObject> inits = server.posts(u"initialize"_s);
        QCOMPARE(inits.size(), 2);
        QVERIFY(!hasHeader(inits[1], u"mcp-session-id"_s));
        const QList<QJsonObject> calls = server.posts(u"tools/call"_s);
        QCOMPARE(calls.size(), 3); // expire, echo refused (404), echo again
        QCOMPARE(header(calls[1], u"mcp-session-id"_s), u"session-1"_s);
        QCOMPARE(header(calls[2], u"mcp-session-id"_s), u"session-2"_s);
        QCOMPARE(calls[1].value(u"body"), calls[2].value(u"body"));
        QCOMPARE(server.posts(u"notifications/initialized"_s).size(), 2);
        QCOMPARE(s->status().state, ToolSourceState::Connected);
        QVERIFY(logContains(*s, u"the server no longer knows the session: starting a new one"_s));
    }

    // The response stream is cut after its priming event (retry: 300) and one progress event:
    // the client waits the retry time, GETs with Last-Event-ID, and the result arrives there.
    void resumesADroppedStream()
    {
        FaultHttpServer server;
        QVERIFY(server.ok());
        const auto s = source(server);
        const auto r = call(*s, u"drop"_s);
        QTRY_VERIFY_WITH_TIMEOUT(r->result, 20000);
        QVERIFY2(!r->result->isError, qPrintable(r->result->text()));
        QCOMPARE(r->result->text(), u"drop done"_s);
        QCOMPARE(r->progress, QList<double> { 1 });

        QJsonObject resume;
        for (const QJsonObject &get : server.byHttpMethod(u"GET"_s)) {
            if (hasHeader(get, u"last-event-id"_s))
                resume = get;
        }
        QCOMPARE(header(resume, u"last-event-id"_s), u"ev-2"_s);
        QCOMPARE(header(resume, u"mcp-session-id"_s), u"session-1"_s);
        QCOMPARE(header(resume, u"accept"_s), u"text/event-stream"_s);
        const double postedAt = server.posts(u"tools/call"_s).first().value(u"t").toDouble();
        const double resumedAt = resume.value(u"t").toDouble();
        QVERIFY2(resumedAt - postedAt >= 0.29,
            qPrintable(u"resumed %1 s after the POST"_s.arg(resumedAt - postedAt)));
        QVERIFY(logContains(*s, u"resuming from event ev-2 in 300 ms"_s));
    }

    void reports401Clearly()
    {
        FaultHttpServer server({ u"--token"_s, u"right-token-1234"_s });
        QVERIFY(server.ok());
        {
            const auto s = source(server);
            const auto listed = list(*s);
            QTRY_VERIFY_WITH_TIMEOUT(listed->done, 20000);
            QVERIFY2(
                listed->error.startsWith(
                    u"MCP server 'remote': initialize failed: HTTP 401 Unauthorized from "_s + server.url()),
                qPrintable(listed->error));
            QVERIFY2(listed->error.contains(u"none is set"_s), qPrintable(listed->error));
            QCOMPARE(s->status().state, ToolSourceState::Failed);
            QCOMPARE(s->status().error, listed->error);
        }
        {
            const auto s = source(server);
            s->setBearerToken(u"wrong-token-5678"_s);
            const auto listed = list(*s);
            QTRY_VERIFY_WITH_TIMEOUT(listed->done, 20000);
            QVERIFY2(listed->error.contains(u"refused the bearer token"_s), qPrintable(listed->error));
            const QByteArray everything = QJsonDocument(s->status().toJson()).toJson();
            QVERIFY2(!everything.contains("wrong-token-5678"), everything.constData());
        }
        {
            const auto s = source(server);
            s->setBearerToken(u"right-token-1234"_s);
            const auto r = call(*s, u"echo"_s);
            QTRY_VERIFY_WITH_TIMEOUT(r->result, 20000);
            QCOMPARE(r->result->text(), u"echo done"_s);
            const QByteArray everything = QJsonDocument(s->status().toJson()).toJson();
            QVERIFY(!everything.contains("right-token-1234"));
            s->shutdown();
            QTRY_COMPARE(server.byHttpMethod(u"DELETE"_s).size(), 1);
        }
        // Every request of the last session carried the token: POSTs, the GET, the DELETE.
        int authorized = 0;
        for (const QJsonObject &r : server.requests()) {
            if (header(r, u"authorization"_s) == u"Bearer right-token-1234"_s)
                ++authorized;
        }
        QVERIFY(authorized >= 5); // initialize, initialized, GET, tools/list, tools/call, DELETE
        QCOMPARE(header(server.byHttpMethod(u"DELETE"_s).first(), u"authorization"_s),
            u"Bearer right-token-1234"_s);
    }

    // An idle session is pinged; a ping that meets an expired session renews it.
    void pingsAnIdleSession()
    {
        FaultHttpServer server;
        QVERIFY(server.ok());
        const auto s = source(server, 150);
        const auto expired = call(*s, u"expire"_s);
        QTRY_VERIFY_WITH_TIMEOUT(expired->result, 20000);
        QTRY_VERIFY_WITH_TIMEOUT(server.posts(u"initialize"_s).size() == 2, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(server.posts(u"ping"_s).size() >= 3, 10000);
        const QList<QJsonObject> pings = server.posts(u"ping"_s);
        QCOMPARE(header(pings.first(), u"mcp-session-id"_s), u"session-1"_s);
        QCOMPARE(header(pings.last(), u"mcp-session-id"_s), u"session-2"_s);
        QCOMPARE(s->status().state, ToolSourceState::Connected);
        const auto after = call(*s, u"echo"_s);
        QTRY_VERIFY_WITH_TIMEOUT(after->result, 20000);
        QCOMPARE(after->result->text(), u"echo done"_s);
    }

    // Cancel over HTTP: the call ends at once, and notifications/cancelled is POSTed with the
    // request's id.
    void cancelsOverHttp()
    {
        FaultHttpServer server;
        QVERIFY(server.ok());
        const auto s = source(server);
        const auto r = call(*s, u"slow"_s);
        QTRY_VERIFY_WITH_TIMEOUT(server.posts(u"tools/call"_s).size() == 1, 20000);
        s->cancel(r->handle);
        QTRY_VERIFY_WITH_TIMEOUT(r->result, 1000);
        QVERIFY(r->result->cancelled);
        QTRY_COMPARE(server.posts(u"notifications/cancelled"_s).size(), 1);
        const QJsonObject cancelled = server.posts(u"notifications/cancelled"_s).first();
        QCOMPARE(cancelled.value(u"body").toObject().value(u"params").toObject().value(u"requestId"),
            server.posts(u"tools/call"_s).first().value(u"body").toObject().value(u"id"));
        QCOMPARE(cancelled.value(u"body").toObject().value(u"params").toObject().value(u"reason").toString(),
            u"cancelled by the user"_s);
        QCOMPARE(header(cancelled, u"mcp-session-id"_s), u"session-1"_s);
    }

    void anUnreachableServerFails()
    {
        McpSource s(httpSpec(u"gone"_s, u"http://127.0.0.1:1/mcp"_s), QString(), &m_network);
        const auto listed = list(s);
        QTRY_VERIFY_WITH_TIMEOUT(listed->done, 20000);
        QVERIFY2(listed->error.startsWith(
                     u"MCP server 'gone': initialize failed: cannot reach http://127.0.0.1:1/mcp"_s),
            qPrintable(listed->error));
        QCOMPARE(s.status().state, ToolSourceState::Failed);
    }

    void aUrlThatIsNotHttpFails()
    {
        McpSource s(httpSpec(u"bad"_s, u"ftp://example.invalid/mcp"_s), QString(), &m_network);
        const auto listed = list(s);
        QTRY_VERIFY_WITH_TIMEOUT(listed->done, 20000);
        QCOMPARE(
            listed->error, u"MCP server 'bad': 'ftp://example.invalid/mcp' is not an http or https URL"_s);
    }
};

QTEST_GUILESS_MAIN(TestMcpHttp)
#include "tst_mcp_http.moc"
