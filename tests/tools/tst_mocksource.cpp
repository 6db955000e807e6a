#include "core/common/Util.h"
#include "core/tools/MockSource.h"

#include <QJsonArray>
#include <QTest>

#include <optional>

// MockSource (docs/tools.md): responses tried in order by deep-subset match, results and
// errors, latency through a timer (so cancel and the timeout end a waiting call), answers
// never inside the call and only while the caller's context lives.

using namespace Qt::StringLiterals;

#ifndef Q_MOC_RUN
namespace {

QJsonValue json(const QString &text)
{
    QString error;
    const QJsonValue v = as::parseJsonValue(text, &error);
    if (!error.isEmpty())
        qFatal("bad JSON in test: %s", qPrintable(error));
    return v;
}

ToolSourceSpec ordersSpec(int latencyMs = 0, int timeoutMs = ToolSourceSpec::kDefaultTimeoutMs)
{
    ToolSourceSpec s;
    s.id = u"orders"_s;
    s.kind = u"mock"_s;
    s.description = u"Look up an order"_s;
    s.parameters = json(uR"({"type":"object","properties":{"order_id":{"type":"string"}}})"_s).toObject();
    s.responses
        = json(uR"([{"when":{"order_id":"A1"},"result":{"status":"shipped"}},{"error":"order not found"}])"_s)
              .toArray();
    s.latencyMs = latencyMs;
    s.timeoutMs = timeoutMs;
    return s;
}

// One call's answer, as the callback saw it.
struct Answer
{
    std::optional<ToolResult> result;
    int calls = 0;
};

} // namespace
#endif // Q_MOC_RUN

class TestMockSource : public QObject
{
    Q_OBJECT

private slots:
    void subset_data();
    void subset();
    void respond_data();
    void respond();
    void statusAndList();
    void answersLaterAfterLatency();
    void cancelEndsAWaitingCall();
    void timeoutEndsAWaitingCall();
    void unknownToolName();
    void deadContextHearsNothing();
    void shutdownCancelsEverything();
};

// Out of moc's sight: the rows' raw strings hold quotes and parentheses its tokenizer
// miscounts.
#ifndef Q_MOC_RUN

void TestMockSource::subset_data()
{
    QTest::addColumn<QString>("when");
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("expected");
    QTest::newRow("empty when") << u"{}"_s << uR"({"a":1})"_s << true;
    QTest::newRow("one key") << uR"({"a":1})"_s << uR"({"a":1,"b":2})"_s << true;
    QTest::newRow("other value") << uR"({"a":1})"_s << uR"({"a":2})"_s << false;
    QTest::newRow("missing key") << uR"({"c":1})"_s << uR"({"a":1})"_s << false;
    QTest::newRow("number by value") << uR"({"a":1})"_s << uR"({"a":1.0})"_s << true;
    QTest::newRow("nested subset") << uR"({"o":{"x":1}})"_s << uR"({"o":{"x":1,"y":2}})"_s << true;
    QTest::newRow("nested other") << uR"({"o":{"x":1}})"_s << uR"({"o":{"x":3}})"_s << false;
    QTest::newRow("nested not an object") << uR"({"o":{"x":1}})"_s << uR"({"o":[1]})"_s << false;
    QTest::newRow("list equal") << uR"({"l":[1,{"k":"v"}]})"_s << uR"({"l":[1,{"k":"v","z":0}]})"_s << true;
    QTest::newRow("list other length") << uR"({"l":[1]})"_s << uR"({"l":[1,2]})"_s << false;
    QTest::newRow("null matches null only") << uR"({"a":null})"_s << uR"({"a":0})"_s << false;
    QTest::newRow("string vs number") << uR"({"a":"1"})"_s << uR"({"a":1})"_s << false;
}

void TestMockSource::subset()
{
    QFETCH(QString, when);
    QFETCH(QString, value);
    QFETCH(bool, expected);
    QCOMPARE(MockSource::isSubset(json(when), json(value)), expected);
}

void TestMockSource::respond_data()
{
    QTest::addColumn<QString>("responses");
    QTest::addColumn<QString>("arguments");
    QTest::addColumn<QString>("expected"); // ToolResult::toJson()
    const QString orders
        = uR"([{"when":{"order_id":"A1"},"result":{"status":"shipped"}},{"error":"order not found"}])"_s;
    QTest::newRow("first matches")
        << orders << uR"({"order_id":"A1"})"_s
        << uR"({"content":[{"type":"text","text":"{\"status\":\"shipped\"}"}],"structuredContent":{"status":"shipped"},"isError":false})"_s;
    QTest::newRow("falls through to the error")
        << orders << uR"({"order_id":"B2"})"_s
        << uR"({"content":[{"type":"text","text":"order not found"}],"isError":true})"_s;
    QTest::newRow("string result is text")
        << uR"([{"result":"plain"}])"_s << u"{}"_s
        << uR"({"content":[{"type":"text","text":"plain"}],"isError":false})"_s;
    QTest::newRow("order decides")
        << uR"([{"result":1},{"when":{"a":1},"result":2}])"_s << uR"({"a":1})"_s
        << uR"({"content":[{"type":"text","text":"1"}],"structuredContent":1,"isError":false})"_s;
    QTest::newRow("nothing matches")
        << uR"([{"when":{"a":1},"result":2}])"_s << uR"({"a":5})"_s
        << uR"({"content":[{"type":"text","text":"mock 'm': no response matches the arguments {\"a\":5}"}],"isError":true})"_s;
    QTest::newRow("null result")
        << uR"([{"result":null}])"_s << u"{}"_s
        << uR"({"content":[{"type":"text","text":"null"}],"structuredContent":null,"isError":false})"_s;
}

void TestMockSource::respond()
{
    QFETCH(QString, responses);
    QFETCH(QString, arguments);
    QFETCH(QString, expected);
    const ToolResult r = MockSource::respond(json(responses).toArray(), json(arguments).toObject(), u"m"_s);
    QCOMPARE(as::compactJson(r.toJson()), as::compactJson(json(expected)));
}

void TestMockSource::statusAndList()
{
    MockSource mock(ordersSpec());
    QCOMPARE(mock.kind(), u"mock"_s);
    const ToolSourceStatus s = mock.status();
    QCOMPARE(s.id, u"orders"_s);
    QCOMPARE(s.state, ToolSourceState::Connected);
    QCOMPARE(s.target, u"mock (2 responses)"_s);
    QCOMPARE(s.tools.size(), 1);
    QCOMPARE(s.tools.at(0).name, u"orders"_s);
    QCOMPARE(s.tools.at(0).source, u"orders"_s);
    QCOMPARE(s.tools.at(0).description, u"Look up an order"_s);
    QCOMPARE(s.tools.at(0).inputSchema, ordersSpec().parameters);

    std::optional<QList<ToolDefinition>> listed;
    QString error = u"unset"_s;
    mock.listTools(this, [&](const QList<ToolDefinition> &tools, const QString &e) {
        listed = tools;
        error = e;
    });
    QVERIFY(!listed); // answered later, never inside the call
    QTRY_VERIFY(listed);
    QCOMPARE(error, QString());
    QCOMPARE(listed->size(), 1);
    QCOMPARE(listed->at(0).name, u"orders"_s);
}

void TestMockSource::answersLaterAfterLatency()
{
    MockSource mock(ordersSpec(80));
    Answer a;
    mock.callTool(
        u"orders"_s, json(uR"({"order_id":"A1"})"_s).toObject(), {}, this, [&a](const ToolResult &r) {
            a.result = r;
            ++a.calls;
        });
    QVERIFY(!a.result);
    QCOMPARE(mock.runningCalls(), 1);
    QTRY_VERIFY(a.result);
    QVERIFY(!a.result->isError);
    QCOMPARE(a.result->structuredContent, QJsonValue(json(uR"({"status":"shipped"})"_s)));
    QVERIFY2(a.result->latencyMs >= 80, qPrintable(QString::number(a.result->latencyMs))); // it did wait
    QCOMPARE(mock.runningCalls(), 0);
    QTest::qWait(20);
    QCOMPARE(a.calls, 1);
}

void TestMockSource::cancelEndsAWaitingCall()
{
    MockSource mock(ordersSpec(600000));
    Answer a;
    const quint64 handle = mock.callTool(u"orders"_s, {}, {}, this, [&a](const ToolResult &r) {
        a.result = r;
        ++a.calls;
    });
    mock.cancel(handle);
    QVERIFY(!a.result); // not inside cancel() either
    QTRY_VERIFY(a.result);
    QVERIFY(a.result->isError);
    QVERIFY(a.result->cancelled);
    QCOMPARE(a.result->text(), u"cancelled"_s);
    mock.cancel(handle); // a finished handle is ignored
    mock.cancel(12345);
    QTest::qWait(20);
    QCOMPARE(a.calls, 1);
}

void TestMockSource::timeoutEndsAWaitingCall()
{
    MockSource mock(ordersSpec(600000, 100));
    Answer a;
    mock.callTool(u"orders"_s, {}, {}, this, [&a](const ToolResult &r) { a.result = r; });
    QTRY_VERIFY(a.result);
    QVERIFY(a.result->isError);
    QVERIFY(!a.result->cancelled);
    QCOMPARE(a.result->text(), u"mock 'orders' timed out after 100 ms"_s);

    // The caller's limit applies when it is the shorter one.
    MockSource slow(ordersSpec(600000));
    Answer b;
    ToolCallOptions options;
    options.timeoutMs = 50;
    slow.callTool(u"orders"_s, {}, options, this, [&b](const ToolResult &r) { b.result = r; });
    QTRY_VERIFY(b.result);
    QCOMPARE(b.result->text(), u"mock 'orders' timed out after 50 ms"_s);
}

void TestMockSource::unknownToolName()
{
    MockSource mock(ordersSpec());
    Answer a;
    mock.callTool(u"refunds"_s, {}, {}, this, [&a](const ToolResult &r) { a.result = r; });
    QVERIFY(!a.result);
    QTRY_VERIFY(a.result);
    QVERIFY(a.result->isError);
    QCOMPARE(a.result->text(), u"mock source 'orders' has no tool 'refunds' (its one tool is 'orders')"_s);
}

void TestMockSource::deadContextHearsNothing()
{
    MockSource mock(ordersSpec(30));
    Answer a;
    auto *context = new QObject;
    mock.callTool(u"orders"_s, {}, {}, context, [&a](const ToolResult &r) { a.result = r; });
    delete context;
    QTRY_COMPARE(mock.runningCalls(), 0);
    QTest::qWait(20);
    QVERIFY(!a.result);
}

void TestMockSource::shutdownCancelsEverything()
{
    MockSource mock(ordersSpec(600000));
    Answer a, b;
    mock.callTool(u"orders"_s, {}, {}, this, [&a](const ToolResult &r) { a.result = r; });
    mock.callTool(u"orders"_s, {}, {}, this, [&b](const ToolResult &r) { b.result = r; });
    mock.shutdown();
    mock.shutdown(); // twice is fine
    QTRY_VERIFY(a.result && b.result);
    QVERIFY(a.result->cancelled);
    QVERIFY(b.result->cancelled);
    QCOMPARE(mock.runningCalls(), 0);
}

#endif // Q_MOC_RUN

QTEST_GUILESS_MAIN(TestMockSource)
#include "tst_mocksource.moc"
