// The resource limits and the security behaviour of the real agentstudio-server binary on
// loopback, each against a server started with short limits on its command line
// (docs/server.md, "Limits"). Requests go over raw sockets with "Connection: close" so that no
// client-side connection pool counts against the per-peer caps under test.
#include "core/server/StreamSession.h"
#include "core/server/TokenTable.h"
#include "tests/support/ServerFixture.h"

#include <QFile>
#include <QHostAddress>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocketServer>

#include <algorithm>
#include <memory>
#include <vector>

using namespace serverfixture;

namespace {

// A field of /proc/PID/status in kB ("VmRSS", "VmSize"), or -1.
qint64 procStatusKb(qint64 pid, const char *field)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray key = QByteArray(field) + ':';
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith(key))
            return line.mid(key.size()).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

// User + system CPU time of a process in clock ticks.
qint64 cpuTicks(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray stat = f.readAll();
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    return fields.value(11).toLongLong() + fields.value(12).toLongLong(); // utime, stime
}

int statusOf(const QByteArray &reply)
{
    return reply.left(reply.indexOf("\r\n")).split(' ').value(1).toInt();
}

QByteArray headerOf(const QByteArray &reply, const QByteArray &name)
{
    const QByteArray head = reply.left(reply.indexOf("\r\n\r\n")).toLower();
    const qsizetype at = head.indexOf(QByteArray("\r\n" + name.toLower() + ": "));
    if (at < 0)
        return {};
    const qsizetype start = at + name.size() + 4;
    return reply.mid(start, head.indexOf("\r\n", start) - start);
}

// A masked client text frame (RFC 6455 section 5.2), payload under 126 bytes.
QByteArray clientTextFrame(const QByteArray &payload)
{
    QByteArray frame;
    frame.append(char(0x81));
    frame.append(char(0x80 | payload.size()));
    frame.append(QByteArray(4, '\0')); // mask key 0: payload unchanged
    frame.append(payload);
    return frame;
}

QByteArray upgradeRequest(const QString &executionId, const QString &token, const QByteArray &origin = {})
{
    QByteArray r = "GET /ws/execution/" + executionId.toUtf8()
        + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    if (!token.isEmpty())
        r += "Authorization: Bearer " + token.toUtf8() + "\r\n";
    if (!origin.isEmpty())
        r += "Origin: " + origin + "\r\n";
    return r + "\r\n";
}

// Calls `attempt` (which returns a status) until it returns `expected` or 10 s pass, and returns
// the last status. Unlike QTRY_COMPARE it does not evaluate once more after success (each
// attempt here opens a connection or a session that counts against the limit under test).
template <typename Attempt> int retryUntil(int expected, Attempt attempt)
{
    QElapsedTimer t;
    t.start();
    int status = attempt();
    while (status != expected && t.elapsed() < 10000) {
        QTest::qWait(50);
        status = attempt();
    }
    return status;
}

} // namespace

class TestServerLimits : public QObject
{
    Q_OBJECT

    // Sends bytes from `from` and reads until the server closes or the answer is complete.
    QByteArray exchange(const ServerProcess &server, const QByteArray &request,
        const QHostAddress &from = QHostAddress(QHostAddress::LocalHost))
    {
        QTcpSocket s;
        if (from != QHostAddress(QHostAddress::LocalHost) && !s.bind(from))
            return {};
        s.connectToHost(QHostAddress::LocalHost, quint16(server.url.port()));
        if (!s.waitForConnected(5000))
            return {};
        s.write(request);
        QByteArray reply;
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 10000) {
            const qsizetype headEnd = reply.indexOf("\r\n\r\n");
            if (headEnd >= 0 && statusOf(reply) != 100) {
                const qint64 length = headerOf(reply, "Content-Length").toLongLong();
                if (reply.size() >= headEnd + 4 + length)
                    break;
            }
            if (!s.waitForReadyRead(200) && s.state() != QAbstractSocket::ConnectedState)
                break;
            reply += s.readAll();
        }
        return reply + s.readAll();
    }

    QByteArray get(const ServerProcess &server, const QByteArray &path, const QString &token = kAlphaToken)
    {
        QByteArray r = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
        if (!token.isEmpty())
            r += "Authorization: Bearer " + token.toUtf8() + "\r\n";
        return exchange(server, r + "\r\n");
    }

    QByteArray startAgent(
        const ServerProcess &server, const QByteArray &agent, const QString &token = kAlphaToken)
    {
        const QByteArray body = R"({"inputs":{"text":"limits"}})";
        return exchange(server,
            "POST /api/agents/" + agent
                + "/test HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: "
                  "application/json\r\n"
                  "Authorization: Bearer "
                + token.toUtf8() + "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n"
                + body);
    }

    static QString executionIdOf(const QByteArray &reply)
    {
        const QByteArray body = reply.mid(reply.indexOf("\r\n\r\n") + 4);
        return QJsonDocument::fromJson(body).object().value(QLatin1String("execution_id")).toString();
    }

    QString statusOfRun(const ServerProcess &server, const QString &id)
    {
        const QByteArray reply = get(server, "/api/executions/" + id.toUtf8());
        return QJsonDocument::fromJson(reply.mid(reply.indexOf("\r\n\r\n") + 4))
            .object()
            .value(QLatin1String("status"))
            .toString();
    }

    bool startServer(ServerProcess &server, QTemporaryDir &dir, const QStringList &args)
    {
        QString error;
        if (!dir.isValid() || !server.start(dir.path(), args, &error)) {
            qWarning("%s", qPrintable(error));
            return false;
        }
        return true;
    }

private slots:
    // The workspace key is injective: a token for ("local/team", "alpha") never matches the
    // workspace ("local", "team/alpha").
    void tenantKeyComparesThePair()
    {
        const Principal a { QStringLiteral("local/team"), QStringLiteral("alpha") };
        const Principal b { QStringLiteral("local"), QStringLiteral("team/alpha") };
        QVERIFY(a.workspaceKey() != b.workspaceKey());
        QVERIFY(!a.sameWorkspace(b));
        QVERIFY(a.sameWorkspace(Principal { QStringLiteral("local/team"), QStringLiteral("alpha") }));
        // ...and such ids do not load in the first place.
        const Result<TokenTable> refused = TokenTable::fromJson(
            R"({"tokens":[{"token":"0123456789","organization_id":"local/team","workspace_id":"alpha"}]})");
        QVERIFY(!refused);
        QCOMPARE(refused.error(), QStringLiteral("tokens[0].organization_id: must not contain '/'"));
    }

    void helpListsEveryLimit()
    {
        const testsupport::ProcessResult r
            = testsupport::runProcess(testsupport::binaryPath(QStringLiteral("server/agentstudio-server")),
                { QStringLiteral("--help") });
        QCOMPARE(r.exitCode, 0);
        for (const char *flag :
            { "--max-header", "--max-body", "--head-timeout", "--body-timeout", "--idle-timeout",
                "--max-connections", "--max-connections-per-peer", "--write-high-water", "--max-pipelined",
                "--max-queued", "--retry-after", "--max-sessions-per-token", "--max-message", "--max-lag",
                "--ws-max-unsent", "--ws-max-bad-messages", "--allowed-host", "--allowed-origin" })
            QVERIFY2(r.out.contains(QByteArray(QByteArray(flag) + ' ')), flag);
    }

    // A head trickled a byte at a time does not extend its deadline: 408 and closed.
    void headDeadlineIsTotal()
    {
        QTemporaryDir dir;
        ServerProcess server;
        QVERIFY(startServer(server, dir, { QStringLiteral("--head-timeout"), QStringLiteral("1000") }));
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, quint16(server.url.port()));
        QVERIFY(s.waitForConnected(5000));
        const QByteArray head
            = "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + QByteArray(500, 'a');
        qsizetype sent = 0;
        QTimer trickle;
        connect(&trickle, &QTimer::timeout, &s, [&] {
            if (sent < head.size() && s.state() == QAbstractSocket::ConnectedState)
                s.write(head.mid(sent++, 1));
        });
        trickle.start(50); // 500 bytes over 25 s, if nothing stops it
        QByteArray reply;
        connect(&s, &QTcpSocket::readyRead, &s, [&] { reply += s.readAll(); });
        QTRY_VERIFY_WITH_TIMEOUT(s.state() == QAbstractSocket::UnconnectedState, 10000);
        QCOMPARE(statusOf(reply), 408);
        QVERIFY(reply.contains("\"request_timeout\""));
        QVERIFY2(sent < head.size(), "the whole head went through");
    }

    // A body that stalls after its head is timed out (the request is not with a handler yet).
    void stalledBodyTimesOut()
    {
        QTemporaryDir dir;
        ServerProcess server;
        QVERIFY(startServer(server, dir, { QStringLiteral("--body-timeout"), QStringLiteral("1000") }));
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, quint16(server.url.port()));
        QVERIFY(s.waitForConnected(5000));
        s.write("POST /api/agents/echo/test HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
            + kAlphaToken.toUtf8() + "\r\nContent-Length: 100\r\n\r\n{\"inputs\"");
        QByteArray reply;
        connect(&s, &QTcpSocket::readyRead, &s, [&] { reply += s.readAll(); });
        QTRY_VERIFY_WITH_TIMEOUT(s.state() == QAbstractSocket::UnconnectedState, 10000);
        QCOMPARE(statusOf(reply), 408);
        QVERIFY(reply.contains("request body not complete"));
    }

    // The announced Content-Length is not reserved: eight connections announcing 100 MB each
    // and sending one byte leave the server's address space about where it was.
    void bodyBufferGrowsWithData()
    {
        QTemporaryDir dir;
        ServerProcess server;
        QVERIFY(startServer(server, dir, { QStringLiteral("--max-body"), QStringLiteral("100000000") }));
        const qint64 pid = server.process->processId();
        // Warm up (engine threads get their malloc arenas), so that they do not count below.
        const QString warm = executionIdOf(startAgent(server, "echo"));
        QTRY_COMPARE_WITH_TIMEOUT(statusOfRun(server, warm), QStringLiteral("completed"), 20000);
        const qint64 before = procStatusKb(pid, "VmSize");
        std::vector<std::unique_ptr<QTcpSocket>> sockets;
        for (int i = 0; i < 8; ++i) {
            auto s = std::make_unique<QTcpSocket>();
            s->connectToHost(QHostAddress::LocalHost, quint16(server.url.port()));
            QVERIFY(s->waitForConnected(5000));
            s->write("POST /api/agents/echo/test HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                + kAlphaToken.toUtf8() + "\r\nContent-Length: 100000000\r\n\r\n{");
            QVERIFY(s->waitForBytesWritten(5000));
            sockets.push_back(std::move(s));
        }
        // Answered after the heads above were read (one event loop, in arrival order).
        QCOMPARE(statusOf(get(server, "/api/health")), 200);
        const qint64 after = procStatusKb(pid, "VmSize");
        qInfo("server VmSize %lld kB -> %lld kB with 8 x 100 MB announced", before, after);
        // Reserving would add 800 MB; what remains is allocator noise.
        QVERIFY2(after - before < 300 * 1024, qPrintable(QString::number(after - before)));
    }

    // Caps in total and per peer address; upgraded WebSockets count too.
    void connectionCaps()
    {
        QTemporaryDir dir;
        ServerProcess server;
        QVERIFY(startServer(server, dir,
            { QStringLiteral("--max-connections"), QStringLiteral("5"),
                QStringLiteral("--max-connections-per-peer"), QStringLiteral("3") }));
        const quint16 port = quint16(server.url.port());
        auto open = [port](const char *from) {
            auto s = std::make_unique<QTcpSocket>();
            if (!s->bind(QHostAddress(QString::fromLatin1(from))))
                return std::unique_ptr<QTcpSocket>();
            s->connectToHost(QHostAddress::LocalHost, port);
            if (!s->waitForConnected(5000))
                return std::unique_ptr<QTcpSocket>();
            return s;
        };
        // An accepted connection answers; a refused one gets 503 and is closed.
        auto answers = [](QTcpSocket *s) {
            s->write("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            QByteArray reply;
            QElapsedTimer t;
            t.start();
            while (t.elapsed() < 5000 && !reply.contains("\r\n\r\n")) {
                if (!s->waitForReadyRead(100) && s->state() != QAbstractSocket::ConnectedState)
                    break;
                reply += s->readAll();
            }
            return statusOf(reply + s->readAll());
        };
        std::vector<std::unique_ptr<QTcpSocket>> held;
        for (int i = 0; i < 3; ++i) {
            held.push_back(open("127.0.0.1"));
            QVERIFY(held.back());
            QCOMPARE(answers(held.back().get()), 200);
        }
        auto refused = open("127.0.0.1");
        QVERIFY(refused);
        QCOMPARE(answers(refused.get()), 503); // per peer
        for (int i = 0; i < 2; ++i) {
            held.push_back(open("127.0.0.2"));
            QVERIFY(held.back());
            QCOMPARE(answers(held.back().get()), 200);
        }
        auto third = open("127.0.0.3");
        QVERIFY(third);
        QCOMPARE(answers(third.get()), 503); // in total
        // Closing one frees its place.
        held.front()->disconnectFromHost();
        held.erase(held.begin());
        std::unique_ptr<QTcpSocket> freed;
        QCOMPARE(retryUntil(200,
                     [&] {
                         freed = open("127.0.0.3");
                         return freed ? answers(freed.get()) : 0;
                     }),
            200);
        freed.reset();
        held.clear();

        // Three stream subscribers from 127.0.0.1 fill its share: a fourth connection is refused.
        QString id;
        QCOMPARE(retryUntil(202,
                     [&] {
                         const QByteArray reply = startAgent(server, "slow");
                         id = executionIdOf(reply);
                         return statusOf(reply);
                     }),
            202);
        std::vector<std::unique_ptr<WsRecorder>> streams;
        for (int i = 0; i < 3; ++i) {
            streams.push_back(std::make_unique<WsRecorder>());
            streams.back()->open(server.wsUrl(QStringLiteral("/ws/execution/") + id), kAlphaToken);
            QTRY_VERIFY_WITH_TIMEOUT(streams.back()->connected, 10000);
        }
        auto fourth = open("127.0.0.1");
        QVERIFY(fourth);
        QCOMPARE(answers(fourth.get()), 503);
        streams.back()->socket.sendTextMessage(QStringLiteral("{\"type\":\"cancel\"}"));
        QTRY_VERIFY_WITH_TIMEOUT(streams.back()->hasComplete(), 20000);
    }

    void sessionsPerToken()
    {
        QTemporaryDir dir;
        ServerProcess server;
        QVERIFY(
            startServer(server, dir, { QStringLiteral("--max-sessions-per-token"), QStringLiteral("2") }));
        const QString id = executionIdOf(startAgent(server, "slow"));
        QVERIFY(!id.isEmpty());
        WsRecorder a, b;
        a.open(server.wsUrl(QStringLiteral("/ws/execution/") + id), kAlphaToken);
        b.open(server.wsUrl(QStringLiteral("/ws/execution/") + id), kAlphaToken);
        QTRY_VERIFY_WITH_TIMEOUT(a.connected && b.connected, 10000);
        const QByteArray third = exchange(server, upgradeRequest(id, kAlphaToken));
        QCOMPARE(statusOf(third), 429);
        QVERIFY(third.contains("\"too_many_sessions\""));
        QCOMPARE(headerOf(third, "Retry-After"), QByteArray("2"));
        // Another token is not affected.
        const QString betaRun = executionIdOf(startAgent(server, "slow", kBetaToken));
        QCOMPARE(statusOf(exchange(server, upgradeRequest(betaRun, kBetaToken))), 101);
        // A closed session frees its place.
        b.socket.close();
        QCOMPARE(retryUntil(101, [&] { return statusOf(exchange(server, upgradeRequest(id, kAlphaToken))); }),
            101);
        a.socket.sendTextMessage(QStringLiteral("{\"type\":\"cancel\"}"));
        QTRY_VERIFY_WITH_TIMEOUT(a.hasComplete(), 20000);
    }

    // Out of descriptors, the server pauses accepting and retries instead of spinning or
    // stopping for good: once the flood is gone, /api/health answers again.
    void acceptPausesOnEmfile()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        ServerProcess server;
        // Write the files, then start under a 64-descriptor limit with an explicit (too high)
        // connection cap, so that the descriptors really run out.
        QString error;
        QVERIFY2(server.start(dir.path(), {}, &error), qPrintable(error));
        server.terminate();
        const QStringList args { QStringLiteral("--nofile=64:64"), QStringLiteral("--"),
            testsupport::binaryPath(QStringLiteral("server/agentstudio-server")),
            QStringLiteral("--workspace"), dir.filePath(QStringLiteral("alpha.agents.json")),
            QStringLiteral("--db"), server.dbPath, QStringLiteral("--tokens"),
            dir.filePath(QStringLiteral("tokens.json")), QStringLiteral("--listen"),
            QStringLiteral("127.0.0.1:0"), QStringLiteral("--max-connections"), QStringLiteral("1000"),
            QStringLiteral("--max-connections-per-peer"), QStringLiteral("1000") };
        server.process = std::make_unique<QProcess>();
        server.process->start(QStringLiteral("prlimit"), args);
        QVERIFY(server.process->waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(
            server.process->canReadLine() || server.process->state() != QProcess::Running, 20000);
        const QByteArray line = server.process->readLine();
        QVERIFY2(line.startsWith("listening on "), line.constData());
        server.url = QUrl(QString::fromUtf8(line.mid(13).trimmed()));
        const qint64 pid = server.process->processId(); // prlimit execs the server: same pid
        QCOMPARE(statusOf(get(server, "/api/health")), 200);

        std::vector<std::unique_ptr<QTcpSocket>> flood;
        for (int i = 0; i < 90; ++i) {
            auto s = std::make_unique<QTcpSocket>();
            s->connectToHost(QHostAddress::LocalHost, quint16(server.url.port()));
            s->write("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Stalled: ");
            flood.push_back(std::move(s));
        }
        // More than the descriptors allow: some are accepted, the rest wait in the backlog.
        QTRY_VERIFY_WITH_TIMEOUT(
            std::count_if(flood.begin(), flood.end(),
                [](const auto &s) { return s->state() == QAbstractSocket::ConnectedState; })
                >= 80,
            10000);
        const qint64 ticks0 = cpuTicks(pid);
        QTest::qWait(2000); // a measurement window, not a synchronisation
        const qint64 ticks = cpuTicks(pid) - ticks0;
        const qint64 cpuMs = ticks * 1000 / ::sysconf(_SC_CLK_TCK);
        qInfo("server CPU while out of descriptors: %lld ms over 2000 ms", cpuMs);
        QVERIFY2(cpuMs < 1000, "the server spins on accept()"); // a spin takes the whole core
        flood.clear(); // closes them
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(get(server, "/api/health")), 200, 20000);
        QCOMPARE(server.terminate(), 0);
    }

    // A client pipelining requests without reading the answers does not grow the server: it
    // stops parsing above the write high-water mark and its read buffer is bounded, so TCP
    // pushes back on the client.
    void pipeliningWithoutReadingIsBounded_data()
    {
        QTest::addColumn<QStringList>("limits");
        QTest::newRow("write high-water mark") << QStringList { QStringLiteral("--write-high-water"),
            QStringLiteral("65536"), QStringLiteral("--max-pipelined"), QStringLiteral("100000") };
        QTest::newRow("pipelining cap") << QStringList { QStringLiteral("--write-high-water"),
            QStringLiteral("1073741824"), QStringLiteral("--max-pipelined"), QStringLiteral("4") };
    }
    void pipeliningWithoutReadingIsBounded()
    {
        QFETCH(QStringList, limits);
        QTemporaryDir dir;
        ServerProcess server;
        QVERIFY(startServer(
            server, dir, limits + QStringList { QStringLiteral("--idle-timeout"), QStringLiteral("30000") }));
        const qint64 pid = server.process->processId();
        QCOMPARE(statusOf(get(server, "/api/health")), 200);
        const qint64 before = procStatusKb(pid, "VmRSS");
        QTcpSocket s;
        s.setReadBufferSize(4096); // and never read
        s.connectToHost(QHostAddress::LocalHost, quint16(server.url.port()));
        QVERIFY(s.waitForConnected(5000));
        const QByteArray one = "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        QByteArray batch;
        for (int i = 0; i < 10000; ++i)
            batch += one;
        for (int i = 0; i < 100; ++i) // ~44 MB, ~1,000,000 requests
            s.write(batch);
        // Let it push until the server takes no more (or took everything).
        qint64 last = -1;
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 20000 && s.bytesToWrite() > 0 && s.bytesToWrite() != last) {
            last = s.bytesToWrite();
            QTest::qWait(1000);
        }
        const qint64 after = procStatusKb(pid, "VmRSS");
        qInfo("server VmRSS %lld kB -> %lld kB; client still holds %lld bytes unsent", before, after,
            s.bytesToWrite());
        QVERIFY2(after - before < 32 * 1024, qPrintable(QString::number(after - before)));
        QVERIFY(s.bytesToWrite() > 0); // the server pushed back
    }

    // A stream client that sends bad messages is closed once it passes the rate limit.
    void badMessageRateClosesStream()
    {
        QTemporaryDir dir;
        ServerProcess server;
        QVERIFY(startServer(server, dir, { QStringLiteral("--ws-max-bad-messages"), QStringLiteral("10") }));
        const QString id = executionIdOf(startAgent(server, "slow"));
        QVERIFY(!id.isEmpty());
        WsRecorder ws;
        ws.open(server.wsUrl(QStringLiteral("/ws/execution/") + id), kAlphaToken);
        QTRY_VERIFY_WITH_TIMEOUT(ws.connected, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!ws.messages.isEmpty(), 10000); // attached
        for (int i = 0; i < 30; ++i)
            ws.socket.sendTextMessage(QStringLiteral("not json"));
        QTRY_VERIFY_WITH_TIMEOUT(ws.closed, 10000);
        QCOMPARE(ws.closeCode, 1008);
        QCOMPARE(ws.last().value(QLatin1String("code")).toString(), QStringLiteral("too_many_bad_messages"));
        QCOMPARE(statusOf(exchange(server,
                     "POST /api/executions/" + id.toUtf8()
                         + "/cancel HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n"
                           "Authorization: Bearer "
                         + kAlphaToken.toUtf8() + "\r\n\r\n")),
            202);
    }

    // A stream client that sends bad messages without reading the error replies is cut once
    // its unsent bytes pass the limit (the replies count like events).
    void unreadErrorRepliesAreBounded()
    {
        QTemporaryDir dir;
        ServerProcess server;
        QVERIFY(startServer(server, dir,
            { QStringLiteral("--ws-max-bad-messages"), QStringLiteral("100000000"),
                QStringLiteral("--ws-max-unsent"), QStringLiteral("65536") }));
        const QString id = executionIdOf(startAgent(server, "slow"));
        QVERIFY(!id.isEmpty());
        // A client that stops reading: the server's replies back up on its side.
        QTcpSocket s;
        QVERIFY(connectStalledReader(s, quint16(server.url.port()), 1024));
        s.write(upgradeRequest(id, kAlphaToken));
        QByteArray batch;
        for (int i = 0; i < 1000; ++i)
            batch += clientTextFrame("x");
        int batches = 0;
        QTimer pump;
        connect(&pump, &QTimer::timeout, &s, [&] {
            if (s.state() == QAbstractSocket::ConnectedState && s.bytesToWrite() < 1024 * 1024
                && batches < 1000) {
                s.write(batch);
                ++batches;
            }
        });
        pump.start(1);
        // A million bad messages would be ~150 MB of replies; the server cuts us first.
        QTRY_VERIFY_WITH_TIMEOUT(s.state() == QAbstractSocket::UnconnectedState, 30000);
        qInfo("cut after %d000 bad messages", batches);
        QVERIFY(batches < 1000);
        QCOMPARE(statusOf(get(server, "/api/health")), 200);
    }

    // A refused subscription acts on nothing the client sent: a cancel that arrives right
    // behind the upgrade request (here refused for an after_seq beyond the end of a live run)
    // does not reach the run.
    void nothingBeforeAuthorization()
    {
        QTemporaryDir dir;
        ServerProcess server;
        QVERIFY(startServer(server, dir, {}));
        const QString id = executionIdOf(startAgent(server, "streamer"));
        QVERIFY(!id.isEmpty());
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, quint16(server.url.port()));
        QVERIFY(s.waitForConnected(5000));
        s.write(upgradeRequest(id + QStringLiteral("?after_seq=999999"), kAlphaToken)
            + clientTextFrame(R"({"type":"cancel"})") + clientTextFrame(R"({"type":"cancel"})"));
        QByteArray reply;
        connect(&s, &QTcpSocket::readyRead, &s, [&] { reply += s.readAll(); });
        QTRY_VERIFY_WITH_TIMEOUT(
            s.state() == QAbstractSocket::UnconnectedState || reply.contains("bad_after_seq"), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(statusOfRun(server, id), QStringLiteral("completed"), 20000);
    }

    // In process, over loopback: while a subscription is unresolved (the server is still
    // looking the execution up), a session acts on nothing and answers nothing; once attached,
    // a cancel is handled.
    void streamSessionWaitsForAttach()
    {
        QWebSocketServer wss(QStringLiteral("limits"), QWebSocketServer::NonSecureMode);
        QVERIFY(wss.listen(QHostAddress::LocalHost, 0));
        QPointer<StreamSession> session;
        int cancels = 0;
        connect(&wss, &QWebSocketServer::newConnection, this, [&] {
            session = new StreamSession(wss.nextPendingConnection(),
                Principal { QStringLiteral("acme"), QStringLiteral("alpha") }, QStringLiteral("run-1"),
                StreamSession::Limits {}, this);
            session->onCancelRequested = [&](StreamSession *) { ++cancels; };
        });
        QWebSocket client;
        QSignalSpy received(&client, &QWebSocket::textMessageReceived);
        QSignalSpy pong(&client, &QWebSocket::pong);
        client.open(QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(wss.serverPort())));
        QTRY_VERIFY_WITH_TIMEOUT(session && client.state() == QAbstractSocket::ConnectedState, 10000);
        client.sendTextMessage(QStringLiteral("{\"type\":\"cancel\"}"));
        client.sendTextMessage(QStringLiteral("not json"));
        client.ping(); // answered after the frames before it were handled
        QVERIFY(pong.wait(10000));
        QCOMPARE(cancels, 0);
        QCOMPARE(received.size(), 0);

        auto stream = std::make_shared<ExecutionStream>();
        stream->executionId = QStringLiteral("run-1");
        session->attach(stream, 0);
        client.sendTextMessage(QStringLiteral("{\"type\":\"cancel\"}"));
        QTRY_COMPARE_WITH_TIMEOUT(cancels, 1, 10000);
        delete session.data();
    }

    // Queued + running executions of one workspace are bounded: 429 with Retry-After.
    void workspaceQueueBound()
    {
        QTemporaryDir dir;
        ServerProcess server;
        QVERIFY(startServer(server, dir, { QStringLiteral("--max-queued"), QStringLiteral("2") }));
        const QString first = executionIdOf(startAgent(server, "slow"));
        const QString second = executionIdOf(startAgent(server, "slow"));
        QVERIFY(!first.isEmpty() && !second.isEmpty());
        const QByteArray third = startAgent(server, "slow");
        QCOMPARE(statusOf(third), 429);
        QVERIFY(third.contains("\"too_many_executions\""));
        QCOMPARE(headerOf(third, "Retry-After"), QByteArray("2"));
        // Another workspace has its own bound.
        QCOMPARE(statusOf(startAgent(server, "echo", kBetaToken)), 202);
        // Finished executions free their places.
        for (const QString &id : { first, second })
            QCOMPARE(statusOf(exchange(server,
                         "POST /api/executions/" + id.toUtf8()
                             + "/cancel HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: "
                               "0\r\nAuthorization: Bearer "
                             + kAlphaToken.toUtf8() + "\r\n\r\n")),
                202);
        QCOMPARE(retryUntil(202, [&] { return statusOf(startAgent(server, "echo")); }), 202);
    }

    // after_seq past a rebuilt (restarted-server) stream is numbered after the client's seq,
    // and a seq without a representable successor is bad_after_seq, not an overflow.
    void afterSeqDoesNotOverflow()
    {
        QTemporaryDir dir;
        ServerProcess first;
        QVERIFY(startServer(first, dir, {}));
        const QString id = executionIdOf(startAgent(first, "echo"));
        QVERIFY(!id.isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(statusOfRun(first, id), QStringLiteral("completed"), 20000);
        QCOMPARE(first.terminate(), 0);
        ServerProcess second; // same files and database: the live buffer is gone
        QVERIFY(startServer(second, dir, {}));
        for (const QString &after :
            { QStringLiteral("9223372036854775807"), QStringLiteral("9007199254740992") }) {
            WsRecorder ws;
            ws.open(
                second.wsUrl(QStringLiteral("/ws/execution/%1?after_seq=%2").arg(id, after)), kAlphaToken);
            QTRY_VERIFY_WITH_TIMEOUT(ws.closed, 10000);
            QCOMPARE(ws.messages.size(), 1);
            QCOMPARE(ws.last().value(QLatin1String("code")).toString(), QStringLiteral("bad_after_seq"));
        }
        WsRecorder resume;
        resume.open(second.wsUrl(QStringLiteral("/ws/execution/%1?after_seq=1000").arg(id)), kAlphaToken);
        QTRY_VERIFY_WITH_TIMEOUT(resume.hasComplete(), 10000);
        QCOMPARE(resume.last().value(QLatin1String("seq")).toInteger(), 1001);
    }

    // With --allowed-origin, an upgrade that sends another Origin is refused (403); clients
    // that send no Origin (the app, the runner) are not browsers and go through.
    void originAllowList()
    {
        QTemporaryDir dir;
        ServerProcess server;
        QVERIFY(startServer(
            server, dir, { QStringLiteral("--allowed-origin"), QStringLiteral("http://app.example") }));
        const QString id = executionIdOf(startAgent(server, "echo"));
        QVERIFY(!id.isEmpty());
        const QByteArray evil = exchange(server, upgradeRequest(id, kAlphaToken, "http://evil.example"));
        QCOMPARE(statusOf(evil), 403);
        QVERIFY(evil.contains("\"forbidden_origin\""));
        QCOMPARE(statusOf(exchange(server, upgradeRequest(id, kAlphaToken, "http://app.example"))), 101);
        QCOMPARE(statusOf(exchange(server, upgradeRequest(id, kAlphaToken))), 101);
    }

    // A failing query is answered 500 internal_error with a generic message: the cause (SQL,
    // table names, file paths) goes to the server's log, never to the client. The table is
    // renamed under the running server by a second connection to the same database file.
    void internalErrorsSayNothing()
    {
        QTemporaryDir dir;
        ServerProcess server;
        QVERIFY(startServer(server, dir, {}));
        QCOMPARE(statusOf(get(server, "/api/executions")), 200);
        {
            QSqlDatabase db
                = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("saboteur"));
            db.setDatabaseName(server.dbPath);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY2(q.exec(QStringLiteral("ALTER TABLE executions RENAME TO executions_gone")),
                qPrintable(q.lastError().text()));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("saboteur"));
        const QByteArray reply = get(server, "/api/executions");
        QCOMPARE(statusOf(reply), 500);
        const QJsonObject error = QJsonDocument::fromJson(reply.mid(reply.indexOf("\r\n\r\n") + 4))
                                      .object()
                                      .value(QLatin1String("error"))
                                      .toObject();
        QCOMPARE(error.value(QLatin1String("code")).toString(), QStringLiteral("internal_error"));
        QCOMPARE(error.value(QLatin1String("message")).toString(),
            QStringLiteral("internal error (see the server log)"));
        QVERIFY2(!reply.contains("no such table"), reply.constData());
        QVERIFY2(!reply.contains(dir.path().toUtf8()), reply.constData());
        // The log has the cause.
        QTRY_VERIFY_WITH_TIMEOUT(
            (server.stderrSeen += server.process->readAllStandardError()).contains("no such table"), 5000);
    }
};

QTEST_GUILESS_MAIN(TestServerLimits)
#include "tst_server_limits.moc"
