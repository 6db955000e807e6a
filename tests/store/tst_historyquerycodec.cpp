#include "core/api/HistoryQueryCodec.h"

#include <QTest>

using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(HistoryQuery)

namespace {

// Every field the URL carries, so a filter lost on one side shows up as a named mismatch.
void compareQueries(const HistoryQuery &got, const HistoryQuery &want)
{
    QCOMPARE(got.statuses, want.statuses);
    QCOMPARE(got.executionType, want.executionType);
    QCOMPARE(got.testMode, want.testMode);
    QCOMPARE(got.agentId, want.agentId);
    QCOMPARE(got.orchestrationId, want.orchestrationId);
    QCOMPARE(got.triggerType, want.triggerType);
    QCOMPARE(got.search, want.search);
    QCOMPARE(got.since, want.since);
    QCOMPARE(got.until, want.until);
    QCOMPARE(got.minCost, want.minCost);
    QCOMPARE(got.maxCost, want.maxCost);
    QCOMPARE(got.minLatencyMs, want.minLatencyMs);
    QCOMPARE(got.maxLatencyMs, want.maxLatencyMs);
    QCOMPARE(int(got.sort), int(want.sort));
    QCOMPARE(got.limit, want.limit);
    QCOMPARE(got.cursor, want.cursor);
    // The scope comes from the token, never from the URL.
    QVERIFY(got.organizationId.isEmpty());
    QVERIFY(got.workspaceId.isEmpty());
}

HistoryQuery with(const std::function<void(HistoryQuery &)> &set)
{
    HistoryQuery q;
    set(q);
    return q;
}

} // namespace

// The URL query of `GET /api/executions`: what the remote backend sends is what the server
// reads back, filter by filter, and a bad value is refused with the parameter's name.
class TestHistoryQueryCodec : public QObject
{
    Q_OBJECT

private slots:
    void roundTrip_data();
    void roundTrip();
    void clampsLimit();
    void rejects_data();
    void rejects();
};

void TestHistoryQueryCodec::roundTrip_data()
{
    QTest::addColumn<HistoryQuery>("query");
    QTest::addColumn<QString>("url"); // the encoded query, exactly as it goes on the wire

    const QDateTime since(QDate(2026, 11, 1), QTime(9, 0, 0, 125), Qt::UTC);
    QTest::newRow("defaults") << HistoryQuery() << u"limit=50"_s;
    QTest::newRow("one status") << with([](HistoryQuery &q) { q.statuses = { ExecutionStatus::Failed }; })
                                << u"status=failed&limit=50"_s;
    QTest::newRow("several statuses") << with([](HistoryQuery &q) {
        q.statuses = { ExecutionStatus::Completed, ExecutionStatus::Interrupted, ExecutionStatus::Queued };
    }) << u"status=completed,interrupted,queued&limit=50"_s;
    QTest::newRow("execution_type") << with([](HistoryQuery &q) {
        q.executionType = ExecutionType::Orchestration;
    }) << u"execution_type=orchestration&limit=50"_s;
    QTest::newRow("test_mode") << with([](HistoryQuery &q) { q.testMode = TestMode::NodeInContext; })
                               << u"test_mode=node_in_context&limit=50"_s;
    QTest::newRow("trigger_type") << with([](HistoryQuery &q) { q.triggerType = TriggerType::TestPanel; })
                                  << u"trigger_type=test_panel&limit=50"_s;
    QTest::newRow("agent_id") << with([](HistoryQuery &q) { q.agentId = u"summarizer"_s; })
                              << u"agent_id=summarizer&limit=50"_s;
    QTest::newRow("orchestration_id") << with([](HistoryQuery &q) { q.orchestrationId = u"market_scan"_s; })
                                      << u"orchestration_id=market_scan&limit=50"_s;
    QTest::newRow("q with reserved characters")
        << with([](HistoryQuery &q) { q.search = u"a&b=c d+e%f \"quoted\" é"_s; })
        << u"q=a%26b%3Dc%20d+e%25f%20%22quoted%22%20%C3%A9&limit=50"_s; // QUrlQuery keeps a literal +
    QTest::newRow("since") << with([&](HistoryQuery &q) { q.since = since; })
                           << u"since=2026-11-01T09:00:00.125Z&limit=50"_s;
    QTest::newRow("until") << with([&](HistoryQuery &q) { q.until = since.addDays(3); })
                           << u"until=2026-11-04T09:00:00.125Z&limit=50"_s;
    QTest::newRow("limit 1") << with([](HistoryQuery &q) { q.limit = 1; }) << u"limit=1"_s;
    QTest::newRow("limit 500") << with([](HistoryQuery &q) { q.limit = 500; }) << u"limit=500"_s;
    QTest::newRow("cursor") << with([](HistoryQuery &q) { q.cursor = u"eyJ0IjoxfQ=="_s; })
                            << u"limit=50&cursor=eyJ0IjoxfQ%3D%3D"_s;
    QTest::newRow("sort oldest") << with([](HistoryQuery &q) { q.sort = HistoryQuery::Sort::OldestFirst; })
                                 << u"limit=50&sort=oldest"_s;
    QTest::newRow("sort cost") << with([](HistoryQuery &q) { q.sort = HistoryQuery::Sort::CostDesc; })
                               << u"limit=50&sort=cost"_s;
    QTest::newRow("sort latency") << with([](HistoryQuery &q) { q.sort = HistoryQuery::Sort::LatencyDesc; })
                                  << u"limit=50&sort=latency"_s;
    QTest::newRow("cost range, exact doubles") << with([](HistoryQuery &q) {
        q.minCost = 0.1;
        q.maxCost = 1.0 / 3.0;
    }) << u"limit=50&min_cost=0.10000000000000001&max_cost=0.33333333333333331"_s;
    QTest::newRow("zero cost bound") << with([](HistoryQuery &q) { q.maxCost = 0.0; })
                                     << u"limit=50&max_cost=0"_s;
    QTest::newRow("latency range") << with([](HistoryQuery &q) {
        q.minLatencyMs = 0;
        q.maxLatencyMs = 9000000000LL;
    }) << u"limit=50&min_latency_ms=0&max_latency_ms=9000000000"_s;
    QTest::newRow("every filter at once")
        << with([&](HistoryQuery &q) {
               q.statuses = { ExecutionStatus::Running, ExecutionStatus::Cancelled };
               q.executionType = ExecutionType::Test;
               q.testMode = TestMode::FullWorkflow;
               q.agentId = u"a-1"_s;
               q.orchestrationId = u"o_2"_s;
               q.triggerType = TriggerType::Cli;
               q.search = u"error"_s;
               q.since = since;
               q.until = since.addSecs(60);
               q.limit = 20;
               q.minCost = 0.5;
               q.maxCost = 2.0;
               q.minLatencyMs = 10;
               q.maxLatencyMs = 20;
               q.cursor = u"c"_s;
               q.sort = HistoryQuery::Sort::CostDesc;
           })
        << u"status=running,cancelled&execution_type=test&test_mode=full_workflow&agent_id=a-1"
           "&orchestration_id=o_2&trigger_type=cli&q=error&since=2026-11-01T09:00:00.125Z"
           "&until=2026-11-01T09:01:00.125Z&limit=20&min_cost=0.5&max_cost=2&min_latency_ms=10"
           "&max_latency_ms=20&cursor=c&sort=cost"_s;
}

void TestHistoryQueryCodec::roundTrip()
{
    QFETCH(HistoryQuery, query);
    QFETCH(QString, url);
    const QUrlQuery encoded = HistoryQueryCodec::toUrlQuery(query);
    QCOMPARE(encoded.toString(QUrl::FullyEncoded), url);
    // Back through the text, as the server receives it.
    const Result<HistoryQuery> decoded = HistoryQueryCodec::fromUrlQuery(QUrlQuery(url));
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    compareQueries(*decoded, query);
}

// The server serves at most 500 rows; a larger request is clamped, not refused, on the client.
void TestHistoryQueryCodec::clampsLimit()
{
    HistoryQuery q;
    q.limit = 10000;
    QCOMPARE(HistoryQueryCodec::toUrlQuery(q).queryItemValue(u"limit"_s), u"500"_s);
    // The scope never travels: the server takes it from the token.
    q.organizationId = u"org"_s;
    q.workspaceId = u"ws"_s;
    QCOMPARE(HistoryQueryCodec::toUrlQuery(q).toString(), u"limit=500"_s);
}

void TestHistoryQueryCodec::rejects_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("error");

    QTest::newRow("unknown status") << u"status=completed,done"_s << u"status: unknown status 'done'"_s;
    QTest::newRow("unknown execution_type")
        << u"execution_type=job"_s << u"execution_type: unknown type 'job'"_s;
    QTest::newRow("unknown test_mode") << u"test_mode=fast"_s << u"test_mode: unknown mode 'fast'"_s;
    QTest::newRow("unknown trigger_type")
        << u"trigger_type=cron"_s << u"trigger_type: unknown trigger 'cron'"_s;
    QTest::newRow("since not a time")
        << u"since=yesterday"_s << u"since: not an ISO-8601 time: 'yesterday'"_s;
    QTest::newRow("until not a time")
        << u"until=2026-13-40"_s << u"until: not an ISO-8601 time: '2026-13-40'"_s;
    QTest::newRow("limit zero") << u"limit=0"_s << u"limit: expected an integer from 1 to 500, got '0'"_s;
    QTest::newRow("limit too large") << u"limit=501"_s
                                     << u"limit: expected an integer from 1 to 500, got '501'"_s;
    QTest::newRow("limit not a number")
        << u"limit=ten"_s << u"limit: expected an integer from 1 to 500, got 'ten'"_s;
    QTest::newRow("negative min_cost")
        << u"min_cost=-1"_s << u"min_cost: expected a non-negative number, got '-1'"_s;
    QTest::newRow("max_cost not a number")
        << u"max_cost=cheap"_s << u"max_cost: expected a non-negative number, got 'cheap'"_s;
    QTest::newRow("negative min_latency_ms")
        << u"min_latency_ms=-5"_s << u"min_latency_ms: expected a non-negative integer, got '-5'"_s;
    QTest::newRow("fractional max_latency_ms")
        << u"max_latency_ms=1.5"_s << u"max_latency_ms: expected a non-negative integer, got '1.5'"_s;
    QTest::newRow("unknown sort") << u"sort=name"_s
                                  << u"sort: expected newest, oldest, cost or latency, got 'name'"_s;
    QTest::newRow("unknown parameter")
        << u"limit=5&workspace_id=other"_s << u"workspace_id: unknown query parameter"_s;
    QTest::newRow("first problem wins")
        << u"sort=x&limit=0"_s << u"sort: expected newest, oldest, cost or latency, got 'x'"_s;
}

void TestHistoryQueryCodec::rejects()
{
    QFETCH(QString, url);
    QFETCH(QString, error);
    const Result<HistoryQuery> decoded = HistoryQueryCodec::fromUrlQuery(QUrlQuery(url));
    QVERIFY(!decoded.ok());
    QCOMPARE(decoded.error(), error);
}

QTEST_GUILESS_MAIN(TestHistoryQueryCodec)
#include "tst_historyquerycodec.moc"
