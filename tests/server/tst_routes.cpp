#include "core/server/HttpParser.h"
#include "core/server/Routes.h"

#include <QTest>

// The server's route table (core/server/Routes) alone: method + decoded path -> endpoint and its
// path parameter, 404 for a path no endpoint has, 405 with the one allowed method otherwise.

using routes::Outcome;
using routes::Route;

Q_DECLARE_METATYPE(routes::Route)
Q_DECLARE_METATYPE(routes::Outcome)

namespace {

QStringList segmentsOf(const QString &path)
{
    return path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
}

} // namespace

class TestRoutes : public QObject
{
    Q_OBJECT

private slots:
    void match_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<Outcome>("outcome");
        QTest::addColumn<Route>("route");
        QTest::addColumn<QByteArray>("allow");
        QTest::addColumn<QString>("id");
        const QByteArray get = "GET", post = "POST";
        // Every endpoint with its method (and HEAD where GET is taken).
        QTest::newRow("health") << get << "/api/health" << Outcome::Found << Route::Health << get << "";
        QTest::newRow("HEAD health") << QByteArray("HEAD") << "/api/health" << Outcome::Found << Route::Health
                                     << get << "";
        QTest::newRow("workspace") << get << "/api/workspace" << Outcome::Found << Route::Workspace << get
                                   << "";
        QTest::newRow("agent test") << post << "/api/agents/writer/test" << Outcome::Found << Route::AgentTest
                                    << post << "writer";
        QTest::newRow("orchestration") << post << "/api/orchestrations/brief/execute" << Outcome::Found
                                       << Route::OrchExecute << post << "brief";
        QTest::newRow("list") << get << "/api/executions" << Outcome::Found << Route::List << get << "";
        QTest::newRow("get") << get << "/api/executions/e-1" << Outcome::Found << Route::Get << get << "e-1";
        QTest::newRow("HEAD get") << QByteArray("HEAD") << "/api/executions/e-1" << Outcome::Found
                                  << Route::Get << get << "e-1";
        QTest::newRow("cancel") << post << "/api/executions/e-1/cancel" << Outcome::Found << Route::Cancel
                                << post << "e-1";
        QTest::newRow("ws") << get << "/ws/execution/e-1" << Outcome::Found << Route::WsPlain << get << "e-1";
        // Empty segments do not count.
        QTest::newRow("trailing slash")
            << get << "/api/health/" << Outcome::Found << Route::Health << get << "";
        QTest::newRow("double slash")
            << get << "//api//executions/e-1" << Outcome::Found << Route::Get << get << "e-1";
        // An id that looks like a keyword is still an id.
        QTest::newRow("id named cancel")
            << get << "/api/executions/cancel" << Outcome::Found << Route::Get << get << "cancel";
        // 405: the path exists, the method is not its one; Allow names the one that is.
        QTest::newRow("POST health") << post << "/api/health" << Outcome::MethodNotAllowed << Route::Health
                                     << get << "";
        QTest::newRow("GET agent test") << get << "/api/agents/writer/test" << Outcome::MethodNotAllowed
                                        << Route::AgentTest << post << "writer";
        QTest::newRow("HEAD agent test") << QByteArray("HEAD") << "/api/agents/writer/test"
                                         << Outcome::MethodNotAllowed << Route::AgentTest << post << "writer";
        QTest::newRow("DELETE execution") << QByteArray("DELETE") << "/api/executions/e-1"
                                          << Outcome::MethodNotAllowed << Route::Get << get << "e-1";
        QTest::newRow("GET cancel") << get << "/api/executions/e-1/cancel" << Outcome::MethodNotAllowed
                                    << Route::Cancel << post << "e-1";
        QTest::newRow("PUT workspace") << QByteArray("PUT") << "/api/workspace" << Outcome::MethodNotAllowed
                                       << Route::Workspace << get << "";
        QTest::newRow("POST ws") << post << "/ws/execution/e-1" << Outcome::MethodNotAllowed << Route::WsPlain
                                 << get << "e-1";
        QTest::newRow("lower-case get")
            << QByteArray("get") << "/api/health" << Outcome::MethodNotAllowed << Route::Health << get << "";
        // 404: no endpoint has the path, whatever the method.
        for (const char *p : { "/", "/api", "/api/", "/api/healthz", "/API/health", "/api/agents/writer",
                 "/api/agents/writer/run", "/api/agents/test", "/api/orchestrations/brief",
                 "/api/executions/e-1/cancel/now", "/api/executions/e-1/retry", "/ws/execution",
                 "/ws/execution/e-1/more", "/ws/executions/e-1", "/health", "/api/health/x" }) {
            QTest::addRow("GET %s", p)
                << get << QString::fromLatin1(p) << Outcome::NotFound << Route::None << QByteArray() << "";
            QTest::addRow("POST %s", p)
                << post << QString::fromLatin1(p) << Outcome::NotFound << Route::None << QByteArray() << "";
        }
    }
    void match()
    {
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        QFETCH(Outcome, outcome);
        QFETCH(Route, route);
        QFETCH(QByteArray, allow);
        QFETCH(QString, id);
        const routes::Match m = routes::match(method, segmentsOf(path));
        QCOMPARE(m.outcome, outcome);
        QCOMPARE(m.route, route);
        QCOMPARE(m.allow, allow);
        QCOMPARE(m.id, id);
    }

    // The tools endpoints (docs/tools.md): the list, and a call naming source and tool.
    void toolRoutes_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<Outcome>("outcome");
        QTest::addColumn<Route>("route");
        QTest::addColumn<QString>("source");
        QTest::addColumn<QString>("tool");
        const QByteArray get = "GET", post = "POST";
        QTest::newRow("list") << get << "/api/tools" << Outcome::Found << Route::Tools << ""
                              << "";
        QTest::newRow("HEAD list") << QByteArray("HEAD") << "/api/tools" << Outcome::Found << Route::Tools
                                   << ""
                                   << "";
        QTest::newRow("POST list") << post << "/api/tools" << Outcome::MethodNotAllowed << Route::Tools << ""
                                   << "";
        QTest::newRow("call") << post << "/api/tools/files/read_text_file/call" << Outcome::Found
                              << Route::ToolCall << "files"
                              << "read_text_file";
        QTest::newRow("GET call") << get << "/api/tools/orders/orders/call" << Outcome::MethodNotAllowed
                                  << Route::ToolCall << "orders"
                                  << "orders";
        QTest::newRow("call without tool")
            << post << "/api/tools/files/call" << Outcome::NotFound << Route::None << ""
            << "";
        QTest::newRow("source alone") << get << "/api/tools/files" << Outcome::NotFound << Route::None << ""
                                      << "";
        QTest::newRow("call with more")
            << post << "/api/tools/a/b/call/x" << Outcome::NotFound << Route::None << ""
            << "";
    }
    void toolRoutes()
    {
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        QFETCH(Outcome, outcome);
        QFETCH(Route, route);
        QFETCH(QString, source);
        QFETCH(QString, tool);
        const routes::Match m = routes::match(method, segmentsOf(path));
        QCOMPARE(m.outcome, outcome);
        QCOMPARE(m.route, route);
        QCOMPARE(m.id, source);
        QCOMPARE(m.tool, tool);
    }

    // Through the request parser: the parameter is one decoded segment, so an encoded slash
    // or space stays in the id, and the query is not part of the path.
    void parametersFromARealRequestLine()
    {
        const httpparser::Outcome o = httpparser::parse(
            "POST /api/agents/my%20agent%2Fv2/test?trace=1 HTTP/1.1\r\nHost: h\r\n\r\n", 4096);
        QVERIFY2(o.kind == httpparser::Outcome::Kind::Ready, qPrintable(o.problem));
        const routes::Match m = routes::match(o.head.request.method, o.head.request.segments);
        QCOMPARE(m.outcome, Outcome::Found);
        QCOMPARE(m.route, Route::AgentTest);
        QCOMPARE(m.id, QStringLiteral("my agent/v2"));

        const httpparser::Outcome e
            = httpparser::parse("GET /api/executions/%65-1?x=/cancel HTTP/1.1\r\nHost: h\r\n\r\n", 4096);
        QVERIFY2(e.kind == httpparser::Outcome::Kind::Ready, qPrintable(e.problem));
        const routes::Match g = routes::match(e.head.request.method, e.head.request.segments);
        QCOMPARE(g.route, Route::Get);
        QCOMPARE(g.id, QStringLiteral("e-1"));
    }
};

QTEST_GUILESS_MAIN(TestRoutes)
#include "tst_routes.moc"
