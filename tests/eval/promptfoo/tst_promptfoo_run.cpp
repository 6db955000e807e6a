#include "core/engine/LocalBackend.h"
#include "core/eval/EvalRunner.h"
#include "core/eval/Promptfoo.h"
#include "tests/support/TestSupport.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

// The bundled promptfoo example (resources/examples/promptfoo, docs/promptfoo.md) imported and
// run offline through the real engine against the example workspace: the echo provider answers
// with the rendered prompt of each variant, and the cases designed to fail do.
class TestPromptfooRun final : public QObject
{
    Q_OBJECT

private slots:
    void exampleRunsOffline();
};

void TestPromptfooRun::exampleRunsOffline()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString config
        = testsupport::sourcePath(QStringLiteral("resources/examples/promptfoo/promptfooconfig.yaml"));
    const Workspace ws = Workspace::example();
    QList<DatasetProblem> problems;
    const Result<Dataset> dataset = promptfoo::import(config, ws, &problems);
    QVERIFY2(dataset.ok(), qPrintable(dataset.error()));

    EngineSettings settings;
    settings.databasePath = dir.filePath(QStringLiteral("history.db"));
    LocalBackend backend(ws, settings);
    EvalRunner runner(&backend, nullptr);
    QSignalSpy finished(&runner, &EvalRunner::finished);
    runner.start(*dataset, EvalOptions {});
    QVERIFY(finished.wait(30000));

    const EvalRunRecord run = runner.run();
    QCOMPARE(run.total, 8);
    QCOMPARE(run.passed, 5);
    QCOMPARE(run.failed, 3);
    QStringList failing;
    for (const EvalResultRecord &r : runner.results())
        if (r.outcome != EvalOutcome::Pass)
            failing.append(r.caseId + QStringLiteral(" / ") + r.variant);
    QCOMPARE(failing,
        QStringList({ QStringLiteral("mentions-a-refund / offline echo · polite"),
            QStringLiteral("answers-with-the-order-first / offline echo · polite"),
            QStringLiteral("mentions-a-refund / offline echo · p2") }));
}

QTEST_GUILESS_MAIN(TestPromptfooRun)
#include "tst_promptfoo_run.moc"
