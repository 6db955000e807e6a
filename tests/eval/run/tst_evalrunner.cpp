#include "tests/eval/run/EvalRunSupport.h"

#include "core/engine/LocalBackend.h"
#include "core/eval/EvalRecorder.h"
#include "tests/support/BackendReplies.h"

#include <QTemporaryDir>

using namespace evalrun;

// EvalRunner over a real LocalBackend (docs/eval-runs.md): one concurrency limit, results in
// (variant, case, repeat) order, progress counts, cancel, repeat, variants reaching the model.
class TestEvalRunner : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    std::unique_ptr<LocalBackend> backend(const QString &db)
    {
        EngineSettings s;
        s.databasePath = m_dir.filePath(db);
        s.concurrency = 16; // more than the runner's limit: the runner must hold it
        return std::make_unique<LocalBackend>(workspace(), s);
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void concurrencyOrderProgressVariantsRepeat()
    {
        auto b = backend(QStringLiteral("order.db"));
        const QJsonObject ds { { QStringLiteral("format"), QStringLiteral("agentstudio-eval/1") },
            { QStringLiteral("name"), QStringLiteral("order") },
            { QStringLiteral("target"), QJsonObject { { QStringLiteral("agent"), QStringLiteral("sea") } } },
            { QStringLiteral("variants"),
                QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("baseline") } },
                    QJsonObject { { QStringLiteral("name"), QStringLiteral("storm") },
                        { QStringLiteral("instructions"), QStringLiteral("Describe a storm.") },
                        { QStringLiteral("model"),
                            QJsonObject { { QStringLiteral("replies"),
                                QJsonArray { QStringLiteral("storm ahead") } } } } } } },
            { QStringLiteral("repeat"), 2 },
            { QStringLiteral("cases"), cases(6, QJsonArray { contains(QStringLiteral("sea")) }) } };
        const Dataset d = dataset(ds, b->workspace());

        int maxRunning = 0;
        connect(b.get(), &ExecutionBackend::countsChanged, this,
            [&](int running, int) { maxRunning = qMax(maxRunning, running); });
        EvalRunner runner(b.get(), nullptr);
        QList<EvalResultRecord> arrived;
        QList<EvalProgress> progress;
        connect(&runner, &EvalRunner::resultReady, this, [&](const EvalResultRecord &r) { arrived << r; });
        connect(&runner, &EvalRunner::progressChanged, this, [&](const EvalProgress &p) { progress << p; });
        EvalOptions o;
        o.concurrency = 3;
        const EvalRunRecord run = runToEnd(runner, d, o);

        QCOMPARE(run.status, EvalRunStatus::Completed);
        QCOMPARE(run.total, 24);
        QCOMPARE(run.passed, 12); // baseline says "calm sea"
        QCOMPARE(run.failed, 12); // the storm variant reached the provider
        QCOMPARE(arrived.size(), 24);
        QVERIFY2(maxRunning <= 3, qPrintable(QString::number(maxRunning)));
        QCOMPARE(maxRunning, 3);
        const QList<EvalResultRecord> results = runner.results();
        QCOMPARE(results.size(), 24);
        int i = 0;
        for (const QString &variant : { QStringLiteral("baseline"), QStringLiteral("storm") })
            for (int c = 1; c <= 6; ++c)
                for (int r = 1; r <= 2; ++r, ++i) {
                    QCOMPARE(results[i].variant, variant);
                    QCOMPARE(results[i].caseId, QStringLiteral("c%1").arg(c));
                    QCOMPARE(results[i].repeatIndex, r);
                    QCOMPARE(
                        results[i].outcome, variant == u"baseline" ? EvalOutcome::Pass : EvalOutcome::Fail);
                    QCOMPARE(results[i].output.toString(),
                        variant == u"baseline" ? QStringLiteral("calm sea") : QStringLiteral("storm ahead"));
                    QVERIFY(!results[i].executionId.isEmpty());
                }
        // Each case run is an execution of type test.
        const auto rec = awaitReply<ExecutionRecord>(
            [&](QObject *c, auto cb) { b->fetchExecution(results.last().executionId, c, cb); });
        QVERIFY(rec);
        QCOMPARE(rec->first.executionType, ExecutionType::Test);
        QCOMPARE(rec->first.triggerType, TriggerType::Cli);

        const EvalProgress last = progress.last();
        QCOMPARE(last.total, 24);
        QCOMPARE(last.done, 24);
        QCOMPARE(last.passed, 12);
        QCOMPARE(last.failed, 12);
        QCOMPARE(last.errored, 0);
        QCOMPARE(last.running, 0);
        QCOMPARE(last.etaMs, 0);
        QVERIFY(last.costUsd.has_value()); // the scripted provider is priced (at 0)
        int maxProgressRunning = 0;
        for (const EvalProgress &p : std::as_const(progress))
            maxProgressRunning = qMax(maxProgressRunning, p.running);
        QCOMPARE(maxProgressRunning, 3);
        QVERIFY(std::any_of(
            progress.cbegin(), progress.cend(), [](const EvalProgress &p) { return p.etaMs > 0; }));
    }

    void cancelStopsEverything()
    {
        auto b = backend(QStringLiteral("cancel.db"));
        const QJsonObject ds { { QStringLiteral("format"), QStringLiteral("agentstudio-eval/1") },
            { QStringLiteral("target"), QJsonObject { { QStringLiteral("agent"), QStringLiteral("slow") } } },
            { QStringLiteral("cases"), cases(8, QJsonArray { contains(QStringLiteral("late")) }) } };
        const Dataset d = dataset(ds, b->workspace());
        EvalRunner runner(b.get(), nullptr);
        QSignalSpy finished(&runner, &EvalRunner::finished);
        EvalOptions o;
        o.concurrency = 2;
        runner.start(d, o);
        QTRY_COMPARE(b->runningCount(), 2);
        QCOMPARE(runner.progress().running, 2);
        runner.cancel();
        QVERIFY(finished.wait(10000));
        const EvalRunRecord run = finished.first().first().value<EvalRunRecord>();
        QCOMPARE(run.status, EvalRunStatus::Cancelled);
        QCOMPARE(run.skipped, 8);
        QCOMPARE(run.passed, 0);
        const QList<EvalResultRecord> results = runner.results();
        QCOMPARE(results.size(), 8);
        int executed = 0;
        for (const EvalResultRecord &r : results) {
            QCOMPARE(r.outcome, EvalOutcome::Skipped);
            if (!r.executionId.isEmpty()) {
                ++executed;
                QCOMPARE(r.status, QStringLiteral("cancelled"));
            }
        }
        QCOMPARE(executed, 2);
        QTRY_COMPARE(b->runningCount(), 0);
        QVERIFY(!runner.isRunning());
    }

    // A start error is that case's error; a run where nothing could start ends failed.
    void startErrorsAreCaseErrors()
    {
        auto b = backend(QStringLiteral("errors.db"));
        const QJsonObject ds { { QStringLiteral("format"), QStringLiteral("agentstudio-eval/1") },
            { QStringLiteral("target"), QJsonObject { { QStringLiteral("agent"), QStringLiteral("sea") } } },
            { QStringLiteral("cases"), cases(2, QJsonArray { contains(QStringLiteral("sea")) }) } };
        Dataset d = dataset(ds, b->workspace());
        d.target.agent = QStringLiteral("gone"); // as if the workspace changed under the dataset
        EvalRunner runner(b.get(), nullptr);
        const EvalRunRecord run = runToEnd(runner, d, EvalOptions());
        QCOMPARE(run.status, EvalRunStatus::Failed);
        QCOMPARE(run.errored, 2);
        QCOMPARE(runner.results().first().outcome, EvalOutcome::Error);
        QCOMPARE(runner.results().first().error, QStringLiteral("unknown agent 'gone'"));
    }

    // With a recorder, the run and every result reach the eval tables as they come.
    void resultsAreRecorded()
    {
        auto b = backend(QStringLiteral("recorded.db"));
        const QJsonObject ds { { QStringLiteral("format"), QStringLiteral("agentstudio-eval/1") },
            { QStringLiteral("name"), QStringLiteral("recorded") },
            { QStringLiteral("target"), QJsonObject { { QStringLiteral("agent"), QStringLiteral("sea") } } },
            { QStringLiteral("cases"), cases(3, QJsonArray { contains(QStringLiteral("sea")) }) } };
        EvalRecorder recorder(m_dir.filePath(QStringLiteral("recorded.db")));
        EvalRunner runner(b.get(), &recorder);
        const EvalRunRecord run = runToEnd(runner, dataset(ds, b->workspace()), EvalOptions());
        QCOMPARE(run.status, EvalRunStatus::Completed);
        recorder.flush();
        std::optional<std::pair<EvalRunRecord, QList<EvalResultRecord>>> loaded;
        QObject context;
        recorder.loadRun(StoreScope::workspace(run.organizationId, run.workspaceId), run.id, QString(),
            &context,
            [&](const EvalRunRecord &r, const QList<EvalResultRecord> &results, const QString &error) {
                QVERIFY2(error.isEmpty(), qPrintable(error));
                loaded.emplace(r, results);
            });
        QTRY_VERIFY(loaded.has_value());
        QCOMPARE(loaded->first.status, EvalRunStatus::Completed);
        QCOMPARE(loaded->first.passed, 3);
        QCOMPARE(loaded->second.size(), 3);
        QCOMPARE(loaded->second[2].caseId, QStringLiteral("c3"));
        QCOMPARE(loaded->second[2].executionId, runner.results()[2].executionId);
    }

    // A provider that cannot be reached makes each case an error of kind provider, and a run
    // where nothing reached a provider ends failed.
    void unreachableProviderIsAProviderError()
    {
        auto b = backend(QStringLiteral("unreachable.db"));
        const QJsonObject ds { { QStringLiteral("format"), QStringLiteral("agentstudio-eval/1") },
            { QStringLiteral("target"), QJsonObject { { QStringLiteral("agent"), QStringLiteral("sea") } } },
            { QStringLiteral("variants"),
                QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("closed-port") },
                    { QStringLiteral("model"),
                        QJsonObject { { QStringLiteral("provider"), QStringLiteral("remote_judge") },
                            { QStringLiteral("name"), QStringLiteral("gpt-4o-mini") } } } } } },
            { QStringLiteral("cases"), cases(2, QJsonArray { contains(QStringLiteral("sea")) }) } };
        EvalRunner runner(b.get(), nullptr);
        const EvalRunRecord run = runToEnd(runner, dataset(ds, b->workspace()), EvalOptions());
        QCOMPARE(run.status, EvalRunStatus::Failed);
        QCOMPARE(run.errored, 2);
        for (const EvalResultRecord &r : runner.results()) {
            QCOMPARE(r.outcome, EvalOutcome::Error);
            QCOMPARE(r.errorKind, QStringLiteral("provider"));
            QVERIFY(!r.executionId.isEmpty());
        }
    }
};

QTEST_GUILESS_MAIN(TestEvalRunner)
#include "tst_evalrunner.moc"
