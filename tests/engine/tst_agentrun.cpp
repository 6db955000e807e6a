#include "core/engine/AgentRun.h"
#include "core/metering/Pricing.h"
#include "tests/engine/RecordingHost.h"
#include "tests/support/GeneratedWorkspace.h"

#include <QJsonArray>
#include <QTest>

using namespace Qt::StringLiterals;

// One AgentRun on the scripted provider, reporting to a recording Host: no engine, no store.
class TestAgentRun : public QObject
{
    Q_OBJECT
private slots:
    void completedRunRecordsLlmAndParse();
    void retriesAreFailedStepsThenANewAttempt();
    void replyNotFittingFailsInParse();
    void unknownProviderFailsLater();
    void cancelEndsCancelledOnce();
};

namespace {

using Host = RecordingHost;

struct Fixture
{
    Workspace ws;
    PricingTable pricing = PricingTable::builtIn();
    Host host;
    std::optional<AgentRun::Outcome> outcome;
    int outcomes = 0;

    explicit Fixture(const QJsonObject &model, const QJsonArray &outputs = { gen::field(u"out"_s) })
    {
        const QByteArray json
            = gen::workspace(QJsonArray { gen::agent(u"a"_s, { u"in"_s }, model, outputs) }, {});
        Result<Workspace> r = Workspace::fromJson(json);
        if (!r.ok())
            qFatal("%s", qPrintable(r.error()));
        ws = r.take();
    }
    std::unique_ptr<AgentRun> start(const ProviderConfig *provider)
    {
        AgentRun::Context c;
        c.provider = provider;
        c.pricing = &pricing;
        auto run = std::make_unique<AgentRun>(host, c, ws.agents.first(), u"parent"_s, u"node"_s);
        run->start(QJsonObject { { u"in"_s, u"hello"_s } }, [this](AgentRun *, const AgentRun::Outcome &o) {
            outcome = o;
            ++outcomes;
        });
        return run;
    }
    std::unique_ptr<AgentRun> start() { return start(ws.provider(ws.agents.first().model.provider)); }
};

} // namespace

void TestAgentRun::completedRunRecordsLlmAndParse()
{
    Fixture f({});
    auto run = f.start();
    QVERIFY(!f.outcome); // never from inside start()
    QTRY_VERIFY(f.outcome);
    QCOMPARE(f.outcome->status, AgentRun::Outcome::Status::Completed);
    QCOMPARE(f.outcome->code, ErrorCode::None);
    QVERIFY(f.outcome->outputs.contains(u"out"_s));
    QCOMPARE(f.host.log,
        (QStringList {
            u"start llm 1"_s, u"end llm completed"_s, u"start parse 1"_s, u"end parse completed"_s }));
    QCOMPARE(f.host.finished.first().outputData.value(u"text"_s).toString(), f.host.streamed);
    QCOMPARE(f.host.finished.first().parentStepId, u"parent"_s);
    QCOMPARE(f.host.finished.first().nodeId, u"node"_s);
    QVERIFY(f.host.tokens > 0);
    QCOMPARE(f.outcome->usage.outputTokens, f.host.tokens);
    QVERIFY(run->ended());
    QCOMPARE(f.outcomes, 1);
}

void TestAgentRun::retriesAreFailedStepsThenANewAttempt()
{
    Fixture f({ { u"fail_attempts"_s, 1 } });
    auto run = f.start();
    QTRY_VERIFY(f.outcome);
    QCOMPARE(f.outcome->status, AgentRun::Outcome::Status::Completed);
    QCOMPARE(f.host.log.mid(0, 3), (QStringList { u"start llm 1"_s, u"end llm failed"_s, u"start llm 2"_s }));
    QCOMPARE(f.host.finished.at(0).attempt, 1);
    QCOMPARE(f.host.finished.at(1).attempt, 2);
}

void TestAgentRun::replyNotFittingFailsInParse()
{
    Fixture f(
        { { u"replies"_s, QJsonArray { u"{\"score\":\"high\"}"_s } } }, { gen::field(u"score"_s, u"int"_s) });
    auto run = f.start();
    QTRY_VERIFY(f.outcome);
    QCOMPARE(f.outcome->status, AgentRun::Outcome::Status::Failed);
    QCOMPARE(f.outcome->code, ErrorCode::Provider);
    QVERIFY2(f.outcome->error.contains(u"score"_s), qPrintable(f.outcome->error));
    QCOMPARE(f.host.log.last(), u"end parse failed"_s);
}

void TestAgentRun::unknownProviderFailsLater()
{
    Fixture f({});
    auto run = f.start(nullptr);
    QVERIFY(!f.outcome);
    QTRY_VERIFY(f.outcome);
    QCOMPARE(f.outcome->status, AgentRun::Outcome::Status::Failed);
    QCOMPARE(f.outcome->code, ErrorCode::Provider);
    QVERIFY2(f.outcome->error.contains(u"unknown provider"_s), qPrintable(f.outcome->error));
    QCOMPARE(f.outcome->cost, std::optional<double>(0.0)); // nothing sent, nothing billed
}

void TestAgentRun::cancelEndsCancelledOnce()
{
    Fixture f({ { u"tokens_per_second"_s, 40 }, { u"reply_tokens"_s, 2000 } });
    auto run = f.start();
    QTRY_VERIFY(!f.host.streamed.isEmpty());
    run->cancel();
    QTRY_VERIFY(f.outcome);
    QCOMPARE(f.outcome->status, AgentRun::Outcome::Status::Cancelled);
    QCOMPARE(f.outcome->code, ErrorCode::Cancelled);
    QCOMPARE(f.outcome->partialText, f.host.streamed);
    run->cancel();
    run->abort();
    QCOMPARE(f.outcomes, 1);
    QCOMPARE(f.host.log.last(), u"end llm cancelled"_s);
}

QTEST_GUILESS_MAIN(TestAgentRun)
#include "tst_agentrun.moc"
