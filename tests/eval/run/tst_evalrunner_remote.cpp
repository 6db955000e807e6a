#include "tests/eval/run/EvalRunSupport.h"

#include "core/remote/RemoteBackend.h"
#include "tests/support/ServerFixture.h"

using namespace evalrun;
using namespace serverfixture;

// EvalRunner over RemoteBackend against a real agentstudio-server: each case an ordinary
// remote execution (execution_type test) with its variant's agent_overrides.
class TestEvalRunnerRemote : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    ServerProcess m_server;

private slots:
    void initTestCase()
    {
        qRegisterMetaType<ExecutionEventList>();
        QVERIFY(m_dir.isValid());
        QString error;
        QVERIFY2(m_server.start(m_dir.path(), {}, &error), qPrintable(error));
    }
    void cleanupTestCase() { QCOMPARE(m_server.terminate(), 0); }

    void smallDatasetWithVariants()
    {
        RemoteBackend b(m_server.url, kAlphaToken);
        QTRY_VERIFY_WITH_TIMEOUT(b.workspace().agent(QStringLiteral("echo")) != nullptr, 10000);
        const QJsonObject icontainsArr { { QStringLiteral("type"), QStringLiteral("icontains") },
            { QStringLiteral("value"), QStringLiteral("ARR") } };
        QJsonArray cs;
        for (int i = 1; i <= 3; ++i)
            cs.append(QJsonObject { { QStringLiteral("id"), QStringLiteral("c%1").arg(i) },
                { QStringLiteral("inputs"),
                    QJsonObject { { QStringLiteral("text"), QStringLiteral("hello %1").arg(i) } } },
                { QStringLiteral("assert"), QJsonArray { icontainsArr } } });
        const QJsonObject ds { { QStringLiteral("format"), QStringLiteral("agentstudio-eval/1") },
            { QStringLiteral("target"), QJsonObject { { QStringLiteral("agent"), QStringLiteral("echo") } } },
            { QStringLiteral("variants"),
                QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("baseline") } },
                    QJsonObject { { QStringLiteral("name"), QStringLiteral("pirate") },
                        { QStringLiteral("instructions"), QStringLiteral("Speak like a pirate.") },
                        { QStringLiteral("model"),
                            QJsonObject { { QStringLiteral("replies"),
                                QJsonArray { QStringLiteral("Arr!") } } } } } } },
            { QStringLiteral("cases"), cs } };
        EvalRunner runner(&b, nullptr);
        EvalOptions o;
        o.concurrency = 2;
        o.backendLabel = m_server.url.toString();
        const EvalRunRecord run = runToEnd(runner, dataset(ds, b.workspace()), o);
        QCOMPARE(run.status, EvalRunStatus::Completed);
        QCOMPARE(run.total, 6);
        QCOMPARE(run.failed, 3); // baseline: the scripted default reply
        QCOMPARE(run.passed, 3); // pirate: the variant reached the server's provider
        QCOMPARE(run.backend, m_server.url.toString());
        const QList<EvalResultRecord> results = runner.results();
        QCOMPARE(results.size(), 6);
        QCOMPARE(results[3].variant, QStringLiteral("pirate"));
        QCOMPARE(results[3].caseId, QStringLiteral("c1"));
        QCOMPARE(results[3].output.toString(), QStringLiteral("Arr!"));
        const auto rec = awaitReplyRemote(b, results[3].executionId);
        QCOMPARE(rec.executionType, ExecutionType::Test);
    }

private:
    static ExecutionRecord awaitReplyRemote(RemoteBackend &b, const QString &id)
    {
        std::optional<ExecutionRecord> got;
        QObject context;
        b.fetchExecution(id, &context, [&](const ExecutionRecord &r, const Error &) { got = r; });
        QTest::qWaitFor([&] { return got.has_value(); }, 10000);
        return got.value_or(ExecutionRecord());
    }
};

QTEST_GUILESS_MAIN(TestEvalRunnerRemote)
#include "tst_evalrunner_remote.moc"
