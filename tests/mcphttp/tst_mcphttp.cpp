// POST/GET/DELETE /mcp, the MCP Streamable HTTP transport of agentstudio-server
// (docs/mcp-http.md), against the REAL server binary: raw HTTP for the transport rules, our own
// MCP client (McpSource over HttpTransport), the official TypeScript SDK client and the MCP
// Inspector CLI.
#include "core/mcp/McpSource.h"
#include "tests/mcp/McpTestSupport.h"
#include "tests/support/ServerFixture.h"

#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace serverfixture;
using namespace Qt::StringLiterals;

namespace {

struct SseEvent
{
    QString id;
    QJsonObject data; // empty for a priming event
};

QList<SseEvent> parseSse(const QByteArray &text)
{
    QList<SseEvent> out;
    qsizetype at = 0;
    while (true) {
        const qsizetype end = text.indexOf("\n\n", at);
        if (end < 0)
            break;
        SseEvent e;
        bool any = false;
        for (const QByteArray &line : text.mid(at, end - at).split('\n')) {
            if (line.startsWith("id: ")) {
                e.id = QString::fromUtf8(line.mid(4));
                any = true;
            } else if (line.startsWith("data: ") || line == "data:") {
                e.data = QJsonDocument::fromJson(line.mid(6)).object();
                any = true;
            }
        }
        if (any)
            out.append(e);
        at = end + 2;
    }
    return out;
}

struct McpReply
{
    int status = 0;
    QByteArray contentType;
    QByteArray sessionId;
    QByteArray body;
    QJsonObject json;
    QList<SseEvent> events;
};

// The body of a chunked HTTP/1.1 response read so far (complete chunks only).
QByteArray dechunk(const QByteArray &raw, bool *ended)
{
    QByteArray out;
    qsizetype at = 0;
    *ended = false;
    while (true) {
        const qsizetype nl = raw.indexOf("\r\n", at);
        if (nl < 0)
            break;
        bool ok = false;
        const qint64 size = raw.mid(at, nl - at).toLongLong(&ok, 16);
        if (!ok || raw.size() < nl + 2 + size + 2)
            break;
        if (size == 0) {
            *ended = true;
            break;
        }
        out += raw.mid(nl + 2, size);
        at = nl + 2 + size + 2;
    }
    return out;
}

// A raw HTTP/1.1 client on one socket: sees the SSE stream as it arrives and can cut it.
class RawClient
{
public:
    bool request(
        quint16 port, const QByteArray &method, const QByteArray &headers, const QByteArray &body = {})
    {
        QObject::connect(&socket, &QTcpSocket::readyRead, &socket, [this] { raw += socket.readAll(); });
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (!socket.waitForConnected(5000))
            return false;
        QByteArray out
            = method + " /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) + "\r\n" + headers;
        if (!body.isEmpty())
            out += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size())
                + "\r\n";
        out += "\r\n" + body;
        socket.write(out);
        return true;
    }
    QByteArray head() const { return raw.left(raw.indexOf("\r\n\r\n")); }
    QList<SseEvent> events() const
    {
        const qsizetype h = raw.indexOf("\r\n\r\n");
        if (h < 0)
            return {};
        bool ended = false;
        return parseSse(dechunk(raw.mid(h + 4), &ended));
    }
    bool ended() const
    {
        const qsizetype h = raw.indexOf("\r\n\r\n");
        bool ended = false;
        if (h >= 0)
            dechunk(raw.mid(h + 4), &ended);
        return ended;
    }
    QTcpSocket socket;
    QByteArray raw;
};

QJsonObject rpc(int id, const QString &method, const QJsonObject &params = {})
{
    return QJsonObject { { u"jsonrpc"_s, u"2.0"_s }, { u"id"_s, id }, { u"method"_s, method },
        { u"params"_s, params } };
}

QJsonObject initializeMessage()
{
    return rpc(0, u"initialize"_s,
        QJsonObject { { u"protocolVersion"_s, u"2025-11-25"_s }, { u"capabilities"_s, QJsonObject {} },
            { u"clientInfo"_s, QJsonObject { { u"name"_s, u"raw-test"_s }, { u"version"_s, u"1"_s } } } });
}

QJsonObject callMessage(int id, const QString &tool, const QString &text, const QString &progressToken = {})
{
    QJsonObject params { { u"name"_s, tool }, { u"arguments"_s, QJsonObject { { u"text"_s, text } } } };
    if (!progressToken.isEmpty())
        params.insert(u"_meta"_s, QJsonObject { { u"progressToken"_s, progressToken } });
    return rpc(id, u"tools/call"_s, params);
}

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace

class TestMcpHttp : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    ServerProcess m_server;
    QNetworkAccessManager m_nam;

    QUrl mcpUrl() const
    {
        QUrl u = m_server.url;
        u.setPath(u"/mcp"_s);
        return u;
    }

    McpReply send(const QByteArray &verb, const QByteArray &body, const QString &token,
        const QByteArray &session = {}, const QList<QPair<QByteArray, QByteArray>> &extra = {},
        const QUrl &url = {})
    {
        QNetworkRequest request(url.isEmpty() ? mcpUrl() : url);
        if (!token.isEmpty())
            request.setRawHeader("Authorization", "Bearer " + token.toUtf8());
        request.setRawHeader("Accept", "application/json, text/event-stream");
        if (!session.isEmpty()) {
            request.setRawHeader("Mcp-Session-Id", session);
            request.setRawHeader("MCP-Protocol-Version", "2025-11-25");
        }
        for (const auto &h : extra)
            request.setRawHeader(h.first, h.second);
        if (!body.isEmpty())
            request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
        request.setTransferTimeout(60000);
        QNetworkReply *reply = m_nam.sendCustomRequest(request, verb, body);
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
        McpReply r;
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        r.contentType = reply->rawHeader("Content-Type");
        r.sessionId = reply->rawHeader("Mcp-Session-Id");
        r.body = reply->readAll();
        r.json = QJsonDocument::fromJson(r.body).object();
        if (r.contentType.startsWith("text/event-stream"))
            r.events = parseSse(r.body);
        reply->deleteLater();
        return r;
    }

    McpReply post(const QJsonObject &message, const QString &token, const QByteArray &session = {},
        const QList<QPair<QByteArray, QByteArray>> &extra = {})
    {
        return send("POST", compact(message), token, session, extra);
    }

    // initialize + notifications/initialized; the session id.
    QByteArray open(const QString &token = kAlphaToken)
    {
        const McpReply init = post(initializeMessage(), token);
        if (init.status != 200 || init.sessionId.isEmpty()) {
            qWarning("initialize: %d %s", init.status, init.body.constData());
            return {};
        }
        const McpReply ack = post(
            QJsonObject { { u"jsonrpc"_s, u"2.0"_s }, { u"method"_s, u"notifications/initialized"_s } },
            token, init.sessionId);
        return ack.status == 202 ? init.sessionId : QByteArray();
    }

    QByteArray rawHeaders(const QByteArray &session, const QString &token = kAlphaToken) const
    {
        return "Authorization: Bearer " + token.toUtf8()
            + "\r\nAccept: application/json, text/event-stream\r\nMcp-Session-Id: " + session
            + "\r\nMCP-Protocol-Version: 2025-11-25\r\n";
    }

    // The newest execution of `agent` in the token's history (the list is newest first).
    QJsonObject newestExecution(const QString &agent)
    {
        QUrl u = m_server.url;
        u.setPath(u"/api/executions"_s);
        const HttpResult r = http(m_nam, "GET", u, kAlphaToken);
        for (const QJsonValue &v : r.json.value(QLatin1String("items")).toArray()) {
            const QJsonObject e = v.toObject();
            if (e.value(QLatin1String("agent_id")).toString() == agent)
                return e;
        }
        return {};
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QString error;
        QVERIFY2(m_server.start(m_dir.path(), {}, &error), qPrintable(error));
    }

    // initialize mints a random session id (64 hex digits) and answers as JSON; notifications
    // are 202 without a body; tools/list shows only the token's workspace.
    void initializeListsOnlyTheTokensAgents()
    {
        const McpReply init = post(initializeMessage(), kAlphaToken);
        QCOMPARE(init.status, 200);
        QVERIFY(init.contentType.startsWith("application/json"));
        QVERIFY2(
            QRegularExpression(u"^[0-9a-f]{64}$"_s).match(QString::fromLatin1(init.sessionId)).hasMatch(),
            init.sessionId.constData());
        QCOMPARE(
            init.json.value(u"result"_s).toObject().value(u"protocolVersion"_s).toString(), u"2025-11-25"_s);
        QVERIFY(post(initializeMessage(), kAlphaToken).sessionId != init.sessionId);

        const McpReply ack = post(
            QJsonObject { { u"jsonrpc"_s, u"2.0"_s }, { u"method"_s, u"notifications/initialized"_s } },
            kAlphaToken, init.sessionId);
        QCOMPARE(ack.status, 202);
        QVERIFY(ack.body.isEmpty());

        const McpReply listed = post(rpc(1, u"tools/list"_s), kAlphaToken, init.sessionId);
        QCOMPARE(listed.status, 200);
        QVERIFY(listed.contentType.startsWith("application/json"));
        QStringList names;
        for (const QJsonValue &t : listed.json.value(u"result"_s).toObject().value(u"tools"_s).toArray())
            names.append(t.toObject().value(u"name"_s).toString());
        QVERIFY2(names.contains(u"echo"_s) && names.contains(u"pipe"_s), qPrintable(names.join(u',')));
        QVERIFY(!names.contains(u"beta_only"_s));

        // Another workspace's agent is not callable either.
        const McpReply foreign = post(callMessage(2, u"beta_only"_s, u"hi"_s), kAlphaToken, init.sessionId);
        QCOMPARE(foreign.status, 200);
        const QJsonObject last = foreign.events.isEmpty() ? foreign.json : foreign.events.constLast().data;
        QVERIFY2(last.contains(u"error"_s) || last.value(u"result"_s).toObject().value(u"isError"_s).toBool(),
            foreign.body.constData());

        const McpReply beta = post(initializeMessage(), kBetaToken);
        const McpReply betaList = post(rpc(1, u"tools/list"_s), kBetaToken, beta.sessionId);
        QVERIFY2(betaList.body.contains("\"beta_only\""), betaList.body.constData());
    }

    // Every refusal of the transport, each with its status.
    void refusals()
    {
        QCOMPARE(post(initializeMessage(), QString()).status, 401);
        QCOMPARE(post(initializeMessage(), u"wrong-token-0123456789"_s).status, 401);
        // DNS rebinding: a foreign Origin is refused, a loopback one and none pass.
        QCOMPARE(
            post(initializeMessage(), kAlphaToken, {}, { { "Origin", "http://evil.example.com" } }).status,
            403);
        QCOMPARE(post(initializeMessage(), kAlphaToken, {}, { { "Origin", "null" } }).status, 403);
        QCOMPARE(post(initializeMessage(), kAlphaToken, {}, { { "Origin", "http://localhost:5173" } }).status,
            200);
        // Accept must list both types.
        QCOMPARE(
            post(initializeMessage(), kAlphaToken, {}, { { "Accept", "application/json" } }).status, 406);
        QCOMPARE(
            post(initializeMessage(), kAlphaToken, {}, { { "Accept", "text/event-stream" } }).status, 406);
        QCOMPARE(send("POST", "{not json", kAlphaToken).status, 400);

        const QByteArray session = open();
        QVERIFY(!session.isEmpty());
        // No session id after initialize: 400; an unknown one: 404; another token's: 404.
        QCOMPARE(post(rpc(1, u"tools/list"_s), kAlphaToken).status, 400);
        QCOMPARE(post(rpc(1, u"tools/list"_s), kAlphaToken, QByteArray(64, 'a')).status, 404);
        QCOMPARE(post(rpc(1, u"tools/list"_s), kBetaToken, session).status, 404);
        // A protocol version this server does not speak: 400; a supported one passes.
        QCOMPARE(
            post(rpc(1, u"tools/list"_s), kAlphaToken, session, { { "MCP-Protocol-Version", "1999-01-01" } })
                .status,
            400);
        QCOMPARE(
            post(rpc(1, u"tools/list"_s), kAlphaToken, session, { { "MCP-Protocol-Version", "2025-06-18" } })
                .status,
            200);
        // A second initialize on the session.
        QCOMPARE(post(initializeMessage(), kAlphaToken, session).status, 400);
        // GET without Last-Event-ID: no server-initiated stream is offered.
        QCOMPARE(send("GET", {}, kAlphaToken, session, { { "Accept", "text/event-stream" } }).status, 405);
        QCOMPARE(send("GET", {}, kAlphaToken, session, { { "Accept", "application/json" } }).status, 406);
        // DELETE ends the session; it is then unknown.
        QCOMPARE(send("DELETE", {}, kBetaToken, session).status, 404);
        QCOMPARE(send("DELETE", {}, kAlphaToken, session).status, 204);
        QCOMPARE(post(rpc(1, u"tools/list"_s), kAlphaToken, session).status, 404);
    }

    // tools/call answers with an SSE stream: a priming event, progress notifications carrying the
    // streamed text, and the result (structuredContent) last; each event has an id of its stream.
    void callStreamsProgressOverSse()
    {
        const QByteArray session = open();
        const McpReply r = post(callMessage(5, u"echo"_s, u"zebra"_s, u"p5"_s), kAlphaToken, session);
        QCOMPARE(r.status, 200);
        QVERIFY(r.contentType.startsWith("text/event-stream"));
        QVERIFY2(r.events.size() >= 3, r.body.constData());
        QVERIFY(r.events.first().data.isEmpty()); // priming
        const QString stream = r.events.first().id.section(u'_', 0, 0);
        QVERIFY(!stream.isEmpty());
        QSet<QString> ids;
        for (const SseEvent &e : r.events) {
            QVERIFY2(e.id.startsWith(stream + u'_'), qPrintable(e.id));
            ids.insert(e.id);
        }
        QCOMPARE(ids.size(), r.events.size());
        const QJsonObject last = r.events.constLast().data;
        QCOMPARE(last.value(u"id"_s).toInt(), 5);
        const QJsonObject result = last.value(u"result"_s).toObject();
        const QString reply
            = result.value(u"content"_s).toArray().first().toObject().value(u"text"_s).toString();
        QVERIFY2(!reply.isEmpty(), compact(last).constData());
        QString progressText;
        for (const SseEvent &e : r.events.mid(1, r.events.size() - 2)) {
            QCOMPARE(e.data.value(u"method"_s).toString(), u"notifications/progress"_s);
            progressText = e.data.value(u"params"_s).toObject().value(u"message"_s).toString();
        }
        QCOMPARE(progressText, reply);

        // A tool with an output schema (the workflow) answers with structuredContent.
        const McpReply pipe = post(callMessage(6, u"pipe"_s, u"zebra"_s), kAlphaToken, session);
        QVERIFY2(!pipe.events.isEmpty(), pipe.body.constData());
        const QJsonObject piped = pipe.events.constLast().data.value(u"result"_s).toObject();
        QVERIFY2(piped.value(u"structuredContent"_s).toObject().contains(u"result"_s), pipe.body.constData());
    }

    // A client whose SSE connection breaks mid tools/call resumes with GET + Last-Event-ID and
    // gets the remaining progress and the result exactly once.
    void resumesAfterTheConnectionBreaks()
    {
        const QByteArray session = open();
        auto first = std::make_unique<RawClient>();
        QVERIFY(first->request(m_server.url.port(), "POST", rawHeaders(session),
            compact(callMessage(9, u"streamer"_s, u"x"_s, u"p9"_s))));
        QTRY_VERIFY_WITH_TIMEOUT(first->events().size() >= 20, 20000);
        QVERIFY2(first->head().contains("text/event-stream"), first->head().constData());
        first->socket.abort();
        const QList<SseEvent> before = first->events();
        QVERIFY(!first->ended());
        const QString lastId = before.constLast().id;

        RawClient second;
        QVERIFY(second.request(m_server.url.port(), "GET",
            rawHeaders(session) + "Last-Event-ID: " + lastId.toLatin1() + "\r\n"));
        QTRY_VERIFY_WITH_TIMEOUT(second.ended(), 30000);
        const QList<SseEvent> after = second.events();
        QVERIFY(!after.isEmpty());

        QList<SseEvent> all = before + after;
        QSet<QString> ids;
        int results = 0;
        double previous = 0;
        for (const SseEvent &e : all) {
            QVERIFY2(!ids.contains(e.id), qPrintable(u"event twice: "_s + e.id));
            ids.insert(e.id);
            if (e.data.contains(u"result"_s)) {
                ++results;
                continue;
            }
            if (e.data.isEmpty())
                continue;
            // Progress counts chunks: consecutive across the cut, none lost, none doubled.
            const double progress = e.data.value(u"params"_s).toObject().value(u"progress"_s).toDouble();
            QCOMPARE(progress, previous + 1);
            previous = progress;
        }
        QCOMPARE(results, 1);
        QVERIFY(all.constLast().data.contains(u"result"_s));
        QVERIFY(previous > before.size()); // the resumed part carried progress too

        // An id of no stream of this session: 404.
        RawClient bogus;
        QVERIFY(bogus.request(m_server.url.port(), "GET", rawHeaders(session) + "Last-Event-ID: ffff_1\r\n"));
        QTRY_VERIFY(bogus.head().startsWith("HTTP/1.1 404"));
    }

    // notifications/cancelled over HTTP cancels the execution; DELETE cancels running calls too.
    void cancelOverHttp()
    {
        const QByteArray session = open();
        RawClient call;
        QVERIFY(call.request(m_server.url.port(), "POST", rawHeaders(session),
            compact(callMessage(11, u"slow"_s, u"x"_s, u"p11"_s))));
        QTRY_VERIFY_WITH_TIMEOUT(call.events().size() >= 2, 20000); // priming + some progress
        QTRY_COMPARE_WITH_TIMEOUT(
            newestExecution(u"slow"_s).value(u"status"_s).toString(), u"running"_s, 20000);
        const QString id = newestExecution(u"slow"_s).value(u"id"_s).toString();
        const McpReply cancel
            = post(QJsonObject { { u"jsonrpc"_s, u"2.0"_s }, { u"method"_s, u"notifications/cancelled"_s },
                       { u"params"_s, QJsonObject { { u"requestId"_s, 11 }, { u"reason"_s, u"test"_s } } } },
                kAlphaToken, session);
        QCOMPARE(cancel.status, 202);
        QTRY_COMPARE_WITH_TIMEOUT(
            newestExecution(u"slow"_s).value(u"status"_s).toString(), u"cancelled"_s, 20000);
        QCOMPARE(newestExecution(u"slow"_s).value(u"id"_s).toString(), id);

        const QByteArray other = open();
        RawClient second;
        QVERIFY(second.request(m_server.url.port(), "POST", rawHeaders(other),
            compact(callMessage(12, u"slow"_s, u"y"_s, u"p12"_s))));
        QTRY_VERIFY_WITH_TIMEOUT(second.events().size() >= 2, 20000);
        const QString secondId = newestExecution(u"slow"_s).value(u"id"_s).toString();
        QVERIFY(secondId != id);
        QCOMPARE(send("DELETE", {}, kAlphaToken, other).status, 204);
        QTRY_COMPARE_WITH_TIMEOUT(
            newestExecution(u"slow"_s).value(u"status"_s).toString(), u"cancelled"_s, 20000);
        QTRY_VERIFY(second.ended()); // its stream was ended with the session
    }

    // Sessions per token are bounded (429) and an idle session ends (404).
    void sessionLimits()
    {
        QTemporaryDir dir;
        ServerProcess limited;
        QString error;
        QVERIFY2(limited.start(dir.path(),
                     { u"--mcp-max-sessions"_s, u"2"_s, u"--mcp-session-idle"_s, u"400"_s }, &error),
            qPrintable(error));
        QUrl url = limited.url;
        url.setPath(u"/mcp"_s);
        const QByteArray body = compact(initializeMessage());
        const McpReply a = send("POST", body, kAlphaToken, {}, {}, url);
        QCOMPARE(send("POST", body, kAlphaToken, {}, {}, url).status, 200);
        QCOMPARE(send("POST", body, kAlphaToken, {}, {}, url).status, 429);
        QCOMPARE(send("POST", body, kBetaToken, {}, {}, url).status, 200); // per token
        // Polled with a request refused before it counts as activity (a bad version header):
        // 400 while the session lives, 404 once it expired.
        const auto probe = [&] {
            return send("POST", compact(rpc(1, u"ping"_s)), kAlphaToken, a.sessionId,
                { { "MCP-Protocol-Version", "1999-01-01" } }, url)
                .status;
        };
        QCOMPARE(probe(), 400);
        QTRY_COMPARE_WITH_TIMEOUT(probe(), 404, 10000);
        QCOMPARE(send("POST", body, kAlphaToken, {}, {}, url).status, 200); // room again
    }

    // Our own MCP client (core/mcp, HttpTransport) lists and calls the agents with the token.
    void ownClientListsAndCalls()
    {
        McpSource source(mcptest::httpSpec(u"studio"_s, mcpUrl().toString()), QString(), &m_nam);
        source.setBearerToken(kAlphaToken);
        const auto listed = mcptest::list(source);
        QTRY_VERIFY_WITH_TIMEOUT(listed->done, 30000);
        QVERIFY2(listed->error.isEmpty(), qPrintable(listed->error));
        const QStringList names = mcptest::names(listed->tools);
        QVERIFY2(names.contains(u"echo"_s) && !names.contains(u"beta_only"_s), qPrintable(names.join(u',')));
        const auto called = mcptest::call(source, u"echo"_s, QJsonObject { { u"text"_s, u"hello"_s } });
        QTRY_VERIFY_WITH_TIMEOUT(called->result.has_value(), 30000);
        QVERIFY2(!called->result->isError, qPrintable(called->result->text()));
        QVERIFY(!called->progress.isEmpty());
        const auto piped = mcptest::call(source, u"pipe"_s, QJsonObject { { u"text"_s, u"hello"_s } });
        QTRY_VERIFY_WITH_TIMEOUT(piped->result.has_value(), 30000);
        QVERIFY2(piped->result->structuredContent.toObject().contains(u"result"_s),
            qPrintable(piped->result->text()));
        source.shutdown();
    }

    // The official TypeScript SDK client: lists, calls with progress (the streamed text), ends.
    void sdkClientListsAndCalls()
    {
        const QString problem = mcptest::nodeModulesProblem();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QProcess node;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"NODE_PATH"_s, mcptest::nodeModules());
        node.setProcessEnvironment(env);
        node.start(u"node"_s,
            { QStringLiteral(AGENTSTUDIO_SOURCE_DIR "/tests/mcphttp/sdk_client.cjs"), mcpUrl().toString(),
                kAlphaToken, u"streamer"_s, u"pipe"_s, u"hello"_s });
        QVERIFY(node.waitForFinished(120000));
        const QByteArray out = node.readAllStandardOutput();
        QVERIFY2(node.exitCode() == 0, node.readAllStandardError().constData());
        const QJsonObject r = QJsonDocument::fromJson(out).object();
        QCOMPARE(r.value(u"protocolVersion"_s).toString(), u"2025-11-25"_s);
        const QStringList tools = r.value(u"tools"_s).toVariant().toStringList();
        QVERIFY2(tools.contains(u"streamer"_s) && !tools.contains(u"beta_only"_s), out.constData());
        const QJsonObject result = r.value(u"result"_s).toObject();
        QVERIFY2(!result.value(u"isError"_s).toBool(), out.constData());
        const QString reply
            = result.value(u"content"_s).toArray().first().toObject().value(u"text"_s).toString();
        QVERIFY(!reply.isEmpty());
        // The SDK validated this structuredContent against the tool's outputSchema.
        QVERIFY2(r.value(u"structured"_s)
                     .toObject()
                     .value(u"structuredContent"_s)
                     .toObject()
                     .contains(u"result"_s),
            out.constData());
        const QJsonArray progress = r.value(u"progress"_s).toArray();
        QVERIFY2(progress.size() > 10, out.left(2000).constData());
        QCOMPARE(progress.last().toObject().value(u"message"_s).toString(), reply);
        // It ended its session (DELETE).
        QCOMPARE(
            post(rpc(1, u"tools/list"_s), kAlphaToken, r.value(u"sessionId"_s).toString().toLatin1()).status,
            404);
    }

    // The MCP Inspector CLI lists and calls our agents with the token in a header.
    void inspectorListsAndCalls()
    {
        const QString cli = mcptest::nodeModules() + u"/@modelcontextprotocol/inspector/cli/build/cli.js"_s;
        QVERIFY2(QFile::exists(cli),
            qPrintable(cli + u" missing: run scripts/npm-deps.sh (npm ci in tests/mcp)"_s));
        const auto run = [&](const QStringList &args) {
            QProcess p;
            p.start(u"node"_s,
                QStringList { cli, u"--cli"_s, mcpUrl().toString(), u"--transport"_s, u"http"_s,
                    u"--header"_s, u"Authorization: Bearer "_s + kAlphaToken }
                    + args);
            p.waitForFinished(120000);
            return std::make_pair(
                p.exitCode(), QByteArray(p.readAllStandardOutput() + p.readAllStandardError()));
        };
        const auto [listCode, listed] = run({ u"--method"_s, u"tools/list"_s });
        QVERIFY2(listCode == 0 && listed.contains("\"echo\"") && !listed.contains("beta_only"),
            listed.constData());
        const auto [callCode, called] = run(
            { u"--method"_s, u"tools/call"_s, u"--tool-name"_s, u"pipe"_s, u"--tool-arg"_s, u"text=hi"_s });
        QVERIFY2(callCode == 0 && called.contains("structuredContent"), called.constData());
    }
};

QTEST_MAIN(TestMcpHttp)
#include "tst_mcphttp.moc"
