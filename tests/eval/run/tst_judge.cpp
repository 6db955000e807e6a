#include "tests/eval/run/EvalRunSupport.h"

#include "core/engine/LocalBackend.h"
#include "core/eval/Judge.h"
#include "tests/support/ScriptedHttpServer.h"

#include <QTemporaryDir>

using namespace evalrun;

namespace {

// One OpenAI-compatible streamed reply whose text is `content` (240 prompt + 12 completion
// tokens, so a priced model costs something).
ScriptedHttpServer::Response openAiReply(const QString &content)
{
    const QJsonObject delta { { QStringLiteral("choices"),
        QJsonArray { QJsonObject { { QStringLiteral("index"), 0 },
            { QStringLiteral("delta"),
                QJsonObject { { QStringLiteral("role"), QStringLiteral("assistant") },
                    { QStringLiteral("content"), content } } },
            { QStringLiteral("finish_reason"), QJsonValue() } } } } };
    ScriptedHttpServer::Response r;
    r.headers = { { "Content-Type", "text/event-stream" } };
    r.body = "data: " + QJsonDocument(delta).toJson(QJsonDocument::Compact)
        + "\n\n"
          "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
          "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":240,\"completion_tokens\":12}}\n\n"
          "data: [DONE]\n\n";
    r.transfer = ScriptedHttpServer::Transfer::ContentLength;
    return r;
}

const QString kPass = QStringLiteral("{\"reason\": \"It mentions the sea.\", \"pass\": true, \"score\": 1}");
const QString kFail = QStringLiteral("{\"reason\": \"No sea.\", \"pass\": false, \"score\": 0}");

} // namespace

// Judges against a loopback OpenAI-compatible server that returns scripted verdicts, one per
// request (docs/eval-runs.md, "Judges"): majority vote, ties, unparsable samples, threshold,
// `not`, templates, cost counted apart.
class TestJudge : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_db = 0;

    struct Outcome
    {
        EvalRunRecord run;
        EvalResultRecord result;
        QList<ScriptedHttpServer::Request> requests;
    };

    // One case of agent `sea` ("calm sea") with one judge assertion; the server answers
    // `replies` in order.
    Outcome judgeOnce(const QJsonObject &judge, const QStringList &replies,
        const QString &model = QStringLiteral("gpt-4o-mini"), const QJsonObject &datasetJudge = {})
    {
        ScriptedHttpServer server;
        for (const QString &r : replies)
            server.enqueue(openAiReply(r));
        EngineSettings s;
        s.databasePath = m_dir.filePath(QStringLiteral("judge%1.db").arg(++m_db));
        LocalBackend b(workspace(server.url().toString() + QStringLiteral("/v1")), s);
        QJsonObject a = judge;
        a.insert(QStringLiteral("type"), QStringLiteral("judge"));
        if (!a.contains(QLatin1String("agent")) && !a.contains(QLatin1String("model"))
            && datasetJudge.isEmpty())
            a.insert(QStringLiteral("model"),
                QJsonObject { { QStringLiteral("provider"), QStringLiteral("remote_judge") },
                    { QStringLiteral("name"), model } });
        QJsonObject ds { { QStringLiteral("format"), QStringLiteral("agentstudio-eval/1") },
            { QStringLiteral("target"), QJsonObject { { QStringLiteral("agent"), QStringLiteral("sea") } } },
            { QStringLiteral("cases"), cases(1, QJsonArray { a }) } };
        if (!datasetJudge.isEmpty())
            ds.insert(QStringLiteral("judge"), datasetJudge);
        EvalRunner runner(&b, nullptr);
        EvalOptions o;
        o.concurrency = 1; // the server answers in request order
        Outcome out;
        out.run = runToEnd(runner, dataset(ds, b.workspace()), o);
        out.result = runner.results().value(0);
        out.requests = server.requests;
        return out;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void majorityVote_data()
    {
        QTest::addColumn<QStringList>("replies");
        QTest::addColumn<QJsonObject>("judge");
        QTest::addColumn<QString>("outcome");
        QTest::addColumn<QString>("errorKind");
        const QJsonObject three { { QStringLiteral("rubric"), QStringLiteral("mentions the sea") },
            { QStringLiteral("samples"), 3 } };
        QJsonObject threeNot = three;
        threeNot.insert(QStringLiteral("not"), true);
        QTest::newRow("2 of 3 pass") << QStringList { kPass, kFail, kPass } << three << "pass"
                                     << "";
        QTest::newRow("1 of 3 pass") << QStringList { kFail, kPass, kFail } << three << "fail"
                                     << "";
        QTest::newRow("tie, one unparsable")
            << QStringList { kPass, QStringLiteral("no idea"), kFail } << three << "fail"
            << "";
        QTest::newRow("1 parsed of 3")
            << QStringList { kPass, QStringLiteral("no idea"), QStringLiteral("{\"pass\": \"yes\"}") }
            << three << "error"
            << "judge";
        QTest::newRow("not flips a pass") << QStringList { kPass, kPass, kFail } << threeNot << "fail"
                                          << "";
        QTest::newRow("not keeps an error")
            << QStringList { QStringLiteral("?"), QStringLiteral("?"), kPass } << threeNot << "error"
            << "judge";
        const QJsonObject threshold { { QStringLiteral("rubric"), QStringLiteral("mentions the sea") },
            { QStringLiteral("threshold"), 0.5 } };
        QTest::newRow("below threshold") << QStringList { QStringLiteral(
            "```json\n{\"pass\": true, \"score\": 0.4, \"reason\": \"meh\"}\n```") }
                                         << threshold << "fail"
                                         << "";
        QTest::newRow("threshold met")
            << QStringList { QStringLiteral("{\"pass\": true, \"score\": 0.6}") } << threshold << "pass"
            << "";
        QTest::newRow("closedqa Y") << QStringList { QStringLiteral("It talks about the sea.\nY") }
                                    << QJsonObject { { QStringLiteral("rubric"),
                                                         QStringLiteral("about the sea") },
                                           { QStringLiteral("template"), QStringLiteral("closedqa") } }
                                    << "pass"
                                    << "";
        QTest::newRow("factuality D")
            << QStringList { QStringLiteral("{\"category\": \"D\", \"reason\": \"contradicts\"}") }
            << QJsonObject { { QStringLiteral("rubric"), QStringLiteral("facts") },
                   { QStringLiteral("template"), QStringLiteral("factuality") } }
            << "fail"
            << "";
    }
    void majorityVote()
    {
        QFETCH(QStringList, replies);
        QFETCH(QJsonObject, judge);
        QFETCH(QString, outcome);
        QFETCH(QString, errorKind);
        const Outcome o = judgeOnce(judge, replies);
        QCOMPARE(o.run.status, EvalRunStatus::Completed);
        QCOMPARE(toWire(o.result.outcome), outcome);
        QCOMPARE(o.result.assertions.size(), 1);
        const AssertionOutcome &a = o.result.assertions.first();
        QCOMPARE(a.errorKind, errorKind);
        QCOMPARE(a.judgeSamples.size(), replies.size());
        QCOMPARE(o.requests.size(), replies.size()); // one execution per sample
        for (const JudgeSample &s : a.judgeSamples)
            QVERIFY(!s.executionId.isEmpty());
        // What the judge was sent: the case output and the rubric.
        const QByteArray body = o.requests.first().body;
        QVERIFY2(body.contains("calm sea"), body.constData());
        QVERIFY(body.contains(judge.value(QLatin1String("rubric")).toString().toUtf8()));
        // Judge cost apart from the agent's: 3 samples × (240 in + 12 out) of gpt-4o-mini.
        QCOMPARE(o.result.costUsd, std::optional<double>(0.0));
        QVERIFY(a.judgeCostUsd.has_value());
        const double perSample = (240 * 0.15 + 12 * 0.60) / 1e6;
        QVERIFY2(qAbs(*a.judgeCostUsd - perSample * replies.size()) < 1e-12,
            qPrintable(QString::number(*a.judgeCostUsd)));
        QCOMPARE(o.result.judgeCostUsd, a.judgeCostUsd);
        QCOMPARE(o.result.judgeTokens, qint64(252 * replies.size()));
        QCOMPARE(o.run.judgeCostUsd, a.judgeCostUsd);
        QCOMPARE(o.run.costUsd, std::optional<double>(0.0));
    }

    void majorityScoreIsTheMeanOfParsedSamples()
    {
        const Outcome o = judgeOnce(QJsonObject { { QStringLiteral("rubric"), QStringLiteral("r") },
                                        { QStringLiteral("samples"), 3 } },
            { QStringLiteral("{\"pass\": true, \"score\": 0.9}"),
                QStringLiteral("{\"pass\": true, \"score\": 0.6}"), QStringLiteral("broken") });
        QCOMPARE(o.result.outcome, EvalOutcome::Pass);
        QCOMPARE(o.result.assertions.first().score, 0.75);
    }

    // The dataset's judge fills what the assertion leaves out (here: the model and samples).
    void datasetDefaultJudge()
    {
        const QJsonObject byDefault { { QStringLiteral("model"),
                                          QJsonObject {
                                              { QStringLiteral("provider"), QStringLiteral("remote_judge") },
                                              { QStringLiteral("name"), QStringLiteral("gpt-4o-mini") } } },
            { QStringLiteral("samples"), 3 } };
        const Outcome o
            = judgeOnce(QJsonObject { { QStringLiteral("rubric"), QStringLiteral("mentions the sea") } },
                { kFail, kPass, kPass }, QStringLiteral("gpt-4o-mini"), byDefault);
        QCOMPARE(o.run.status, EvalRunStatus::Completed);
        QCOMPARE(o.result.outcome, EvalOutcome::Pass);
        QCOMPARE(o.result.assertions.first().judgeSamples.size(), 3);
        QCOMPARE(o.requests.size(), 3);
    }

    void unknownJudgePriceStaysUnknown()
    {
        const Outcome o = judgeOnce(QJsonObject { { QStringLiteral("rubric"), QStringLiteral("r") } },
            { kPass }, QStringLiteral("mystery-model-7"));
        QCOMPARE(o.result.outcome, EvalOutcome::Pass);
        QCOMPARE(o.result.judgeCostUsd, std::nullopt);
        QCOMPARE(o.run.judgeCostUsd, std::nullopt);
        QCOMPARE(o.run.costUsd, std::optional<double>(0.0)); // the agent's own cost is still known
    }

    // A model judge whose provider only the dataset brings along (an inline target's
    // `providers`, as a promptfoo grader is imported) reaches that provider.
    void judgeUsesTheDatasetsProviders()
    {
        ScriptedHttpServer server;
        server.enqueue(openAiReply(kPass));
        EngineSettings s;
        s.databasePath = m_dir.filePath(QStringLiteral("judge-providers.db"));
        LocalBackend b(workspace(), s);
        const QJsonObject agent = QJsonDocument::fromJson(R"({"id": "inline_sea",
            "model": {"provider": "offline", "name": "scripted", "replies": ["calm sea"]},
            "signature": {"inputs": [{"name": "topic", "type": "str"}],
                          "outputs": [{"name": "text", "type": "str"}]}})")
                                      .object();
        const QJsonArray providers { QJsonObject { { QStringLiteral("id"), QStringLiteral("pf_judge") },
            { QStringLiteral("kind"), QStringLiteral("openai") },
            { QStringLiteral("base_url"), QString(server.url().toString() + QStringLiteral("/v1")) } } };
        const QJsonObject judge { { QStringLiteral("type"), QStringLiteral("judge") },
            { QStringLiteral("rubric"), QStringLiteral("mentions the sea") },
            { QStringLiteral("model"),
                QJsonObject { { QStringLiteral("provider"), QStringLiteral("pf_judge") },
                    { QStringLiteral("name"), QStringLiteral("gpt-4o-mini") } } } };
        const QJsonObject ds { { QStringLiteral("format"), QStringLiteral("agentstudio-eval/1") },
            { QStringLiteral("target"),
                QJsonObject {
                    { QStringLiteral("agent_spec"), agent }, { QStringLiteral("providers"), providers } } },
            { QStringLiteral("cases"), cases(1, QJsonArray { judge }) } };
        EvalRunner runner(&b, nullptr);
        EvalOptions o;
        o.concurrency = 1;
        runToEnd(runner, dataset(ds, b.workspace()), o);
        const EvalResultRecord r = runner.results().value(0);
        QCOMPARE(r.outcome, EvalOutcome::Pass);
        QCOMPARE(server.requests.size(), 1);
    }

    // A workspace agent as judge: gets the inputs it declares, its bool `pass` decides.
    void agentJudge()
    {
        const Outcome o
            = judgeOnce(QJsonObject { { QStringLiteral("rubric"), QStringLiteral("mentions the sea") },
                            { QStringLiteral("agent"), QStringLiteral("grader") } },
                {});
        QCOMPARE(o.result.outcome, EvalOutcome::Pass);
        const AssertionOutcome &a = o.result.assertions.first();
        QCOMPARE(a.score, 0.8);
        QCOMPARE(a.judgeSamples.size(), 1);
        QCOMPARE(a.judgeSamples.first().reason, QStringLiteral("fine"));
        QVERIFY(a.reason.startsWith(QStringLiteral("fine")));
    }

    // The parser alone: `pass` must be a boolean, score clamped, fences tolerated.
    void parseReply()
    {
        QCOMPARE(judge::parseReply(QStringLiteral("rubric"), QStringLiteral("{\"pass\": 1}")).parsed, false);
        QCOMPARE(judge::parseReply(QStringLiteral("rubric"), QStringLiteral("{\"pass\": 1}")).error,
            QStringLiteral("'pass' must be a boolean, got 1"));
        QCOMPARE(
            judge::parseReply(QStringLiteral("rubric"), QStringLiteral("sure {\"pass\": true, \"score\": 7}"))
                .score,
            1.0);
        QCOMPARE(judge::parseReply(QStringLiteral("rubric"), QStringLiteral("{\"pass\": false}")).score, 0.0);
        QCOMPARE(judge::parseReply(QStringLiteral("closedqa"), QStringLiteral("hmm\nmaybe")).error,
            QStringLiteral("malformed: the reply does not end with Y or N"));
        QCOMPARE(
            judge::parseReply(QStringLiteral("factuality"), QStringLiteral("Reasoning.\n(B)")).pass, true);
    }
};

QTEST_GUILESS_MAIN(TestJudge)
#include "tst_judge.moc"
