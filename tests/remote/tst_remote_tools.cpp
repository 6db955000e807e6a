#include "core/remote/RemoteBackend.h"
#include "tests/support/BackendReplies.h"
#include "tests/support/ServerFixture.h"

#include <QTest>

// The server's tools endpoints (docs/wire-protocol.md, "Tools") on the REAL agentstudio-server
// over loopback: GET /api/tools and POST /api/tools/{source}/{tool}/call raw (statuses, error
// codes, tenancy), then the same through RemoteBackend::listTools / callTool.

using namespace Qt::StringLiterals;
using serverfixture::http;
using serverfixture::kAlphaToken;
using serverfixture::kBetaToken;

namespace {

QByteArray toolsWorkspace()
{
    const QJsonObject orders { { u"kind"_s, u"mock"_s }, { u"description"_s, u"Look up an order"_s },
        { u"parameters"_s,
            QJsonObject { { u"type"_s, u"object"_s },
                { u"properties"_s,
                    QJsonObject { { u"order_id"_s, QJsonObject { { u"type"_s, u"string"_s } } } } },
                { u"required"_s, QJsonArray { u"order_id"_s } } } },
        { u"responses"_s,
            QJsonArray { QJsonObject { { u"when"_s, QJsonObject { { u"order_id"_s, u"A1"_s } } },
                             { u"result"_s, QJsonObject { { u"status"_s, u"shipped"_s } } } },
                QJsonObject { { u"error"_s, u"order not found"_s } } } } };
    const QJsonObject weather { { u"kind"_s, u"command"_s }, { u"command"_s, u"python3"_s },
        { u"args"_s, QJsonArray { testsupport::sourcePath(u"tests/tools/command_tool.py"_s), u"json"_s } } };
    const QJsonObject ws { { u"format"_s, u"agentstudio/1"_s }, { u"organization_id"_s, u"acme"_s },
        { u"workspace_id"_s, u"alpha"_s },
        { u"providers"_s, QJsonObject { { u"offline"_s, QJsonObject { { u"kind"_s, u"scripted"_s } } } } },
        { u"agents"_s, QJsonArray { serverfixture::scriptedAgent(u"echo"_s, {}) } },
        { u"tools"_s, QJsonObject { { u"orders"_s, orders }, { u"weather"_s, weather } } } };
    return QJsonDocument(ws).toJson();
}

} // namespace

class TestRemoteTools : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    serverfixture::ServerProcess m_server;
    QNetworkAccessManager m_nam;
    QUrl api(const QString &path) const
    {
        QUrl u = m_server.url;
        u.setPath(path);
        return u;
    }

private slots:
    void initTestCase();
    void listOverHttp();
    void callOverHttp();
    void callRefusals_data();
    void callRefusals();
    void otherTenantsSeeNone();
    void throughRemoteBackend();
    void cleanupTestCase() { m_server.terminate(); }
};

void TestRemoteTools::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString ws = testsupport::writeFile(m_dir.path(), u"tools.agents.json"_s, toolsWorkspace());
    const QString tokens
        = testsupport::writeFile(m_dir.path(), u"tokens.json"_s, serverfixture::tokensFile());
    QString error;
    QVERIFY2(m_server.startRaw({ u"--workspace"_s, ws, u"--db"_s, m_dir.filePath(u"x.db"_s), u"--listen"_s,
                                   u"127.0.0.1:0"_s, u"--tokens"_s, tokens },
                 &error),
        qPrintable(error));
}

void TestRemoteTools::listOverHttp()
{
    const serverfixture::HttpResult unauthorized = http(m_nam, "GET", api(u"/api/tools"_s));
    QCOMPARE(unauthorized.status, 401);
    const serverfixture::HttpResult r = http(m_nam, "GET", api(u"/api/tools"_s), kAlphaToken);
    QCOMPARE(r.status, 200);
    const QJsonArray sources = r.json.value(u"sources").toArray();
    QCOMPARE(sources.size(), 2);
    const QJsonObject orders = sources.at(0).toObject();
    QCOMPARE(orders.value(u"id").toString(), u"orders"_s);
    QCOMPARE(orders.value(u"kind").toString(), u"mock"_s);
    QCOMPARE(orders.value(u"state").toString(), u"connected"_s);
    const QJsonObject tool = orders.value(u"tools").toArray().at(0).toObject();
    QCOMPARE(tool.value(u"name").toString(), u"orders"_s);
    QCOMPARE(tool.value(u"description").toString(), u"Look up an order"_s);
    QCOMPARE(
        tool.value(u"inputSchema").toObject().value(u"required").toArray(), QJsonArray { u"order_id"_s });
    QCOMPARE(sources.at(1).toObject().value(u"id").toString(), u"weather"_s);
    QCOMPARE(sources.at(1).toObject().value(u"kind").toString(), u"command"_s);
}

void TestRemoteTools::callOverHttp()
{
    const serverfixture::HttpResult r = http(m_nam, "POST", api(u"/api/tools/orders/orders/call"_s),
        kAlphaToken, R"({"arguments": {"order_id": "A1"}})");
    QCOMPARE(r.status, 200);
    const QJsonObject result = r.json.value(u"result").toObject();
    QCOMPARE(result.value(u"isError").toBool(true), false);
    QCOMPARE(result.value(u"structuredContent").toObject().value(u"status").toString(), u"shipped"_s);
    QVERIFY(r.json.value(u"latency_ms").isDouble());

    // A tool's own error is a 200 with isError.
    const serverfixture::HttpResult e = http(m_nam, "POST", api(u"/api/tools/orders/orders/call"_s),
        kAlphaToken, R"({"arguments": {"order_id": "Z"}})");
    QCOMPARE(e.status, 200);
    QCOMPARE(e.json.value(u"result").toObject().value(u"isError").toBool(), true);

    // A command tool runs on the server, in the workspace file's folder.
    const serverfixture::HttpResult c = http(m_nam, "POST", api(u"/api/tools/weather/weather/call"_s),
        kAlphaToken, R"({"arguments": {"city": "Oslo"}})");
    QCOMPARE(c.status, 200);
    const QJsonObject out = c.json.value(u"result").toObject().value(u"structuredContent").toObject();
    QCOMPARE(out.value(u"echo").toObject().value(u"city").toString(), u"Oslo"_s);
    QCOMPARE(QFileInfo(out.value(u"cwd").toString()).canonicalFilePath(),
        QFileInfo(m_dir.path()).canonicalFilePath());

    // No body is the same as no arguments.
    const serverfixture::HttpResult empty
        = http(m_nam, "POST", api(u"/api/tools/weather/weather/call"_s), kAlphaToken, "{}");
    QCOMPARE(empty.status, 200);
}

void TestRemoteTools::callRefusals_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("errorCode");
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown source") << u"/api/tools/ghost/x/call"_s << QByteArray("{}") << 404
                                    << u"not_found"_s << u"not_found"_s
                                    << u"unknown tool source 'ghost' (known: orders, weather)"_s;
    QTest::newRow("unknown tool") << u"/api/tools/orders/refund/call"_s << QByteArray("{}") << 404
                                  << u"not_found"_s << u"not_found"_s
                                  << u"tool source 'orders' offers no tool 'refund' (offers: orders)"_s;
    QTest::newRow("arguments that do not fit")
        << u"/api/tools/orders/orders/call"_s << QByteArray(R"({"arguments": {"order_id": 7}})") << 422
        << u"invalid_arguments"_s << u"invalid_input"_s
        << u"arguments: $.order_id: expected a string, got 7"_s;
    QTest::newRow("arguments not an object")
        << u"/api/tools/orders/orders/call"_s << QByteArray(R"({"arguments": [1]})") << 400
        << u"bad_request"_s << u"invalid_input"_s << u"arguments: expected an object"_s;
    QTest::newRow("body not JSON") << u"/api/tools/orders/orders/call"_s << QByteArray("{") << 400
                                   << u"bad_request"_s << u"invalid_input"_s << QString();
    QTest::newRow("GET a call") << u"/api/tools/orders/orders/call"_s << QByteArray() << 405
                                << u"method_not_allowed"_s << u"invalid_input"_s << QString();
}

void TestRemoteTools::callRefusals()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, code);
    QFETCH(QString, errorCode);
    QFETCH(QString, message);
    const serverfixture::HttpResult r
        = http(m_nam, body.isNull() ? "GET" : "POST", api(path), kAlphaToken, body);
    QCOMPARE(r.status, status);
    const QJsonObject e = r.json.value(u"error").toObject();
    QCOMPARE(e.value(u"code").toString(), code);
    QCOMPARE(e.value(u"error_code").toString(), errorCode);
    if (!message.isEmpty())
        QCOMPARE(e.value(u"message").toString(), message);
}

void TestRemoteTools::otherTenantsSeeNone()
{
    // The beta token's workspace is not served here: its tools are not found, never alpha's.
    const serverfixture::HttpResult list = http(m_nam, "GET", api(u"/api/tools"_s), kBetaToken);
    QCOMPARE(list.status, 404);
    const serverfixture::HttpResult call = http(m_nam, "POST", api(u"/api/tools/orders/orders/call"_s),
        kBetaToken, R"({"arguments": {"order_id": "A1"}})");
    QCOMPARE(call.status, 404);
}

void TestRemoteTools::throughRemoteBackend()
{
    RemoteBackend remote(m_server.url, kAlphaToken);
    QTRY_VERIFY(remote.hasWorkspace());
    QCOMPARE(remote.workspace().tools.size(), 2);

    const auto listed = awaitReply<QList<ToolSourceStatus>>(
        [&](QObject *context, auto callback) { remote.listTools(context, callback); });
    QVERIFY(listed);
    QCOMPARE(listed->second.code, ErrorCode::None);
    QCOMPARE(listed->first.size(), 2);
    QCOMPARE(listed->first.at(0).id, u"orders"_s);
    QCOMPARE(listed->first.at(0).state, ToolSourceState::Connected);
    QCOMPARE(listed->first.at(0).tools.at(0).source, u"orders"_s);
    QCOMPARE(listed->first.at(0).tools.at(0).description, u"Look up an order"_s);

    auto call = [&](const QString &source, const QString &tool, const QJsonObject &args) {
        const auto answer = awaitReply<ToolResult>(
            [&](QObject *context, auto callback) { remote.callTool(source, tool, args, context, callback); });
        if (!answer)
            qFatal("no answer from callTool");
        return *answer;
    };
    const auto [ok, okError] = call(u"orders"_s, u"orders"_s, QJsonObject { { u"order_id"_s, u"A1"_s } });
    QCOMPARE(okError.code, ErrorCode::None);
    QVERIFY(!ok.isError);
    QCOMPARE(ok.structuredContent.toObject().value(u"status").toString(), u"shipped"_s);
    QCOMPARE(ok.text(), uR"({"status":"shipped"})"_s);
    QVERIFY(ok.latencyMs >= 0);
    const auto [bad, toolError] = call(u"orders"_s, u"orders"_s, QJsonObject { { u"order_id"_s, u"Q"_s } });
    QCOMPARE(toolError.code, ErrorCode::None);
    QVERIFY(bad.isError);
    QCOMPARE(bad.text(), u"order not found"_s);
    const auto [r1, notFound] = call(u"orders"_s, u"refund"_s, {});
    QCOMPARE(notFound.code, ErrorCode::NotFound);
    QVERIFY2(notFound.message.endsWith(u"tool source 'orders' offers no tool 'refund' (offers: orders)"_s),
        qPrintable(notFound.message));
    const auto [r2, invalid] = call(u"orders"_s, u"orders"_s, QJsonObject { { u"order_id"_s, 1 } });
    QCOMPARE(invalid.code, ErrorCode::InvalidInput);
    // An encoded name reaches the server whole (and is not found there).
    const auto [r3, odd] = call(u"or/ders"_s, u"a b"_s, {});
    QCOMPARE(odd.code, ErrorCode::NotFound);
    QVERIFY2(odd.message.contains(u"'or/ders'"_s), qPrintable(odd.message));
}

QTEST_GUILESS_MAIN(TestRemoteTools)
#include "tst_remote_tools.moc"
