#include "tests/support/ScriptedWorkspace.h"

#include "core/engine/LocalBackend.h"
#include "core/eval/EvalRunner.h"
#include "tests/support/BackendReplies.h"
#include "tests/support/TestSupport.h"
#include "ui/common/JsonEditor.h"
#include "ui/eval/EvalMatrixFilter.h"
#include "ui/eval/EvalMatrixModel.h"
#include "ui/eval/EvalPanel.h"
#include "ui/eval/SaveCaseDialog.h"
#include "ui/history/HistoryDock.h"
#include "ui/history/HistoryModel.h"
#include "ui/mainwindow/MainWindow.h"
#include "ui/trace/CompareView.h" // HistoryDock.h's inline compareView() needs the full type
#include "ui/trace/TraceView.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QFile>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <memory>

// The Evaluations panel against the real embedded engine (LocalBackend, temp databases,
// scripted providers): the example dataset runs and its matrix matches the runner's results
// (the designed failures shown as failures), "only failures" and sorting, a cell's trace, a
// comparison with a recorded baseline marks what newly fails, exports, and "Save as test case"
// writes a case that then passes when run. Widgets are driven by objectName.
class TestEvalPanel : public QObject
{
    Q_OBJECT

private:
    static QString writeFile(const QString &path, const QByteArray &bytes)
    {
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
            qFatal("cannot write %s", qPrintable(path));
        return path;
    }

    // Runs `request` on `backend` and waits until it completed; its id or "" on a timeout.
    static QString runAndWait(ExecutionBackend &backend, const ExecutionRequest &request)
    {
        QSet<QString> done;
        QObject guard;
        QObject::connect(
            &backend, &ExecutionBackend::eventsReceived, &guard, [&](const ExecutionEventList &events) {
                for (const ExecutionEvent &e : events)
                    if (e.type == ExecutionEvent::Type::Complete)
                        done.insert(e.executionId);
            });
        const QString id = startAndWait(backend, request, 5000).first;
        return !id.isEmpty() && QTest::qWaitFor([&] { return done.contains(id); }, 20000) ? id : QString();
    }

    static bool openAndWait(EvalPanel &panel, const QString &path)
    {
        QSignalSpy loaded(&panel, &EvalPanel::datasetLoaded);
        QSignalSpy failed(&panel, &EvalPanel::loadFailed);
        panel.openDataset(path);
        return QTest::qWaitFor([&] { return loaded.count() + failed.count() > 0; }, 15000)
            && loaded.count() == 1;
    }

    static EvalRunRecord runAndWait(EvalPanel &panel, int timeoutMs = 120000)
    {
        QSignalSpy finished(&panel, &EvalPanel::runFinished);
        panel.run();
        if (!finished.wait(timeoutMs))
            return {};
        return finished.first().first().value<EvalRunRecord>();
    }

    // The matrix cell (source model) of a result.
    static QModelIndex cellOf(const EvalMatrixModel &model, const EvalResultRecord &r)
    {
        for (int row = 0; row < model.rowCount(); ++row)
            if (model.rowKey(row).caseId == r.caseId && model.rowKey(row).repeatIndex == r.repeatIndex)
                return model.index(
                    row, EvalMatrixModel::FirstVariantColumn + int(model.variants().indexOf(r.variant)));
        return {};
    }

    QString fastDataset(const QString &name, const QString &assertion)
    {
        const QString text = QStringLiteral(R"({"format": "agentstudio-eval/1", "name": "writer checks",
            "target": {"agent": "writer"}, "variants": [{"name": "baseline"}],
            "cases": [{"id": "tides", "inputs": {"topic": "tides"}, "assert": [%1]},
                      {"id": "moons", "inputs": {"topic": "moons"},
                       "assert": [{"type": "status", "value": "completed"}]}]})")
                                 .arg(assertion);
        return writeFile(m_dir.filePath(name), text.toUtf8());
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        qRegisterMetaType<EvalRunRecord>();
        Result<Workspace> example = Workspace::load(
            testsupport::sourcePath(QStringLiteral("resources/examples/example.agents.json")));
        QVERIFY2(example.ok(), qPrintable(example.error()));
        EngineSettings settings;
        settings.databasePath = m_dir.filePath(QStringLiteral("example.db"));
        m_example = std::make_unique<LocalBackend>(example.value(), settings);
        settings.databasePath = m_dir.filePath(QStringLiteral("fast.db"));
        m_fast = std::make_unique<LocalBackend>(scriptedTestWorkspace(), settings);
    }

    void cleanupTestCase()
    {
        m_example.reset();
        m_fast.reset();
    }

    // The example dataset on the example workspace: the matrix holds one cell per result, with
    // the runner's outcome; its pass / fail counts are the run's; the designed failures show as
    // failures. Then "only failures" keeps exactly the rows with a non-passing cell, and a click
    // on a variant's header puts failures first. A cell's double-click opens its trace.
    void runsTheExampleDataset()
    {
        EvalPanel panel(m_example.get());
        TraceView trace(m_example.get());
        panel.setTraceView(&trace);
        panel.setHistoryDatabasePath(m_dir.filePath(QStringLiteral("example.db")));
        QAbstractItemModelTester tester(
            panel.filter(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        panel.resize(1200, 500);
        panel.show();
        QVERIFY(openAndWait(
            panel, testsupport::sourcePath(QStringLiteral("resources/examples/example.eval.json"))));
        const EvalRunRecord run = runAndWait(panel);
        QCOMPARE(run.status, EvalRunStatus::Completed);
        QVERIFY(run.failed > 0); // the example has cases designed to fail
        const QList<EvalResultRecord> results = panel.runner()->results();
        QCOMPARE(results.size(), run.total);
        EvalMatrixModel &model = *panel.model();
        QCOMPARE(model.pendingCount(), 0);
        QCOMPARE(model.countOf(EvalOutcome::Pass), run.passed);
        QCOMPARE(model.countOf(EvalOutcome::Fail), run.failed);
        QCOMPARE(model.countOf(EvalOutcome::Error), run.errored);
        int failingRows = 0;
        QSet<int> seenFailing;
        for (const EvalResultRecord &r : results) {
            const QModelIndex cell = cellOf(model, r);
            QVERIFY2(cell.isValid(), qPrintable(r.caseId));
            QCOMPARE(cell.data(EvalMatrixModel::OutcomeRole).toString(), toWire(r.outcome));
            QCOMPARE(cell.data(EvalMatrixModel::ExecutionIdRole).toString(), r.executionId);
            if (r.outcome != EvalOutcome::Pass && !seenFailing.contains(cell.row())) {
                seenFailing.insert(cell.row());
                ++failingRows;
            }
            if (r.outcome == EvalOutcome::Fail)
                QVERIFY(cell.data().toString().startsWith(QStringLiteral("fail ")));
        }
        QVERIFY(panel.findChild<QWidget *>(QStringLiteral("evalProgressLine"))
                    ->property("text")
                    .toString()
                    .contains(QStringLiteral("%1/%1").arg(run.total)));

        panel.findChild<QCheckBox *>(QStringLiteral("evalOnlyFailures"))->setChecked(true);
        QCOMPARE(panel.filter()->rowCount(), failingRows);
        panel.findChild<QCheckBox *>(QStringLiteral("evalOnlyFailures"))->setChecked(false);
        QCOMPARE(panel.filter()->rowCount(), model.rowCount());

        QTableView *matrix = panel.findChild<QTableView *>(QStringLiteral("evalMatrix"));
        matrix->horizontalHeader()->setSortIndicator(EvalMatrixModel::FirstVariantColumn, Qt::AscendingOrder);
        QCOMPARE(panel.filter()
                     ->index(0, EvalMatrixModel::FirstVariantColumn)
                     .data(EvalMatrixModel::OutcomeRole)
                     .toString(),
            QStringLiteral("fail"));

        const QModelIndex first = panel.filter()->index(0, EvalMatrixModel::FirstVariantColumn);
        matrix->setCurrentIndex(first);
        QVERIFY(panel.detailsHtml().contains(QStringLiteral("Assertions")));
        QSignalSpy traceAsked(&panel, &EvalPanel::traceRequested);
        QSignalSpy shown(&trace, &TraceView::executionShown);
        panel.openCellTrace(first);
        QCOMPARE(traceAsked.count(), 1);
        QCOMPARE(
            traceAsked.first().first().toString(), first.data(EvalMatrixModel::ExecutionIdRole).toString());
        QVERIFY(shown.wait(10000));
        QCOMPARE(shown.first().first().toString(), first.data(EvalMatrixModel::ExecutionIdRole).toString());
    }

    // A dataset the workspace cannot run: nothing to run, every problem listed with its path.
    void invalidDatasetListsProblems()
    {
        EvalPanel panel(m_fast.get());
        const QString path = writeFile(m_dir.filePath(QStringLiteral("bad.eval.json")),
            R"({"format": "agentstudio-eval/1", "target": {"agent": "nobody"}, "cases": [{"id": "x", "inputs": {}}]})");
        QVERIFY(!openAndWait(panel, path));
        QVERIFY(!panel.hasDataset());
        QVERIFY2(
            !panel.problems().isEmpty() && panel.problems().first().startsWith(QStringLiteral("$.target")),
            qPrintable(panel.problems().join(QLatin1Char('\n'))));
        QVERIFY(!panel.findChild<QWidget *>(QStringLiteral("evalRun"))->isEnabled());
    }

    // A recorded run is the baseline: the same dataset with a case changed to fail, run again
    // and compared, marks that case newly failing and says so in the summary; then exports.
    void compareMarksNewlyFailing()
    {
        EvalPanel panel(m_fast.get());
        panel.setHistoryDatabasePath(m_dir.filePath(QStringLiteral("fast.db")));
        const QString path = fastDataset(QStringLiteral("writer.eval.json"),
            QStringLiteral(R"({"type": "status", "value": "completed"})"));
        QVERIFY(openAndWait(panel, path));
        const EvalRunRecord baseline = runAndWait(panel, 30000);
        QCOMPARE(baseline.passed, 2);

        fastDataset(QStringLiteral("writer.eval.json"),
            QStringLiteral(R"({"type": "contains", "value": "no such words anywhere"})"));
        QVERIFY(openAndWait(panel, path));
        QSignalSpy listed(&panel, &EvalPanel::baselinesListed);
        const EvalRunRecord current = runAndWait(panel, 30000);
        QCOMPARE(current.failed, 1);
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(panel.baselines().cbegin(), panel.baselines().cend(),
                                     [&](const EvalRunRecord &r) { return r.id == baseline.id; }),
            10000);
        QSignalSpy compared(&panel, &EvalPanel::comparisonShown);
        panel.compareWith(baseline.id);
        QVERIFY(compared.wait(10000));
        QVERIFY(panel.comparison().has_value());
        QCOMPARE(panel.comparison()->newlyFailing, 1);
        const EvalMatrixModel &model = *panel.model();
        QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("tides"));
        QCOMPARE(
            model.index(0, 1).data(EvalMatrixModel::ChangeRole).toString(), QStringLiteral("newly_failing"));
        QCOMPARE(model.index(1, 1).data(EvalMatrixModel::ChangeRole).toString(), QStringLiteral("same"));
        QVERIFY(panel.findChild<QWidget *>(QStringLiteral("evalSummary"))
                    ->property("text")
                    .toString()
                    .contains(QStringLiteral("1 newly failing")));

        // Exports, written off the GUI thread.
        for (const QString &name :
            { QStringLiteral("r.xml"), QStringLiteral("r.csv"), QStringLiteral("r.json") }) {
            QSignalSpy exported(&panel, &EvalPanel::exportFinished);
            panel.exportTo(m_dir.filePath(name));
            QVERIFY(exported.wait(10000));
            QCOMPARE(exported.first().at(1).toString(), QString());
        }
        QFile xml(m_dir.filePath(QStringLiteral("r.xml")));
        QVERIFY(xml.open(QIODevice::ReadOnly));
        const QByteArray junit = xml.readAll();
        QVERIFY(junit.contains("<testsuite"));
        QVERIFY(junit.contains("no such words anywhere"));
        QFile json(m_dir.filePath(QStringLiteral("r.json")));
        QVERIFY(json.open(QIODevice::ReadOnly));
        const QJsonObject report = QJsonDocument::fromJson(json.readAll()).object();
        QCOMPARE(report.value(QLatin1String("results")).toArray().size(), 2);
        QVERIFY(report.contains(QLatin1String("comparison")));
    }

    // "Save as test case" from a finished run: the dialog shows the case made from the run, it
    // goes into a new dataset file, and that dataset then passes when run through EvalRunner.
    void saveAsTestCaseWritesACaseThatPasses()
    {
        ExecutionRequest request;
        request.agentId = QStringLiteral("writer");
        request.inputs = QJsonObject { { QStringLiteral("topic"), QStringLiteral("glaciers") } };
        const QString id = runAndWait(*m_fast, request);
        QVERIFY(!id.isEmpty());

        EvalPanel panel(m_fast.get());
        QSignalSpy opened(&panel, &EvalPanel::saveDialogOpened);
        panel.setLastTestRun(id);
        panel.saveAsTestCase(id);
        QVERIFY(opened.wait(10000));
        SaveCaseDialog *dialog = panel.saveDialog();
        QVERIFY(dialog);
        QCOMPARE(dialog->caseObject().value(QLatin1String("inputs")).toObject(), request.inputs);
        QVERIFY(!dialog->caseObject().value(QLatin1String("assert")).toArray().isEmpty());
        dialog->setCaseId(QStringLiteral("glaciers-case"));
        QCOMPARE(dialog->findChild<JsonEditor *>(QStringLiteral("saveCaseJson"))
                     ->jsonValue()[QLatin1String("id")]
                     .toString(),
            QStringLiteral("glaciers-case"));
        const QString path = m_dir.filePath(QStringLiteral("saved.eval.json"));
        dialog->setDatasetPath(path);
        QSignalSpy saved(&panel, &EvalPanel::caseSaved);
        dialog->requestSave();
        QVERIFY(saved.wait(10000));
        QCOMPARE(saved.first().at(2).toString(), QString());
        QCOMPARE(saved.first().at(1).toString(), QStringLiteral("glaciers-case"));
        QTRY_VERIFY(!panel.saveDialog()); // closed (and deleted) once written

        Result<Dataset> dataset = Dataset::load(path, m_fast->workspace());
        QVERIFY2(dataset.ok(), qPrintable(dataset.error()));
        QCOMPARE(dataset->cases.size(), 1);
        EvalRunner runner(m_fast.get(), nullptr);
        QSignalSpy finished(&runner, &EvalRunner::finished);
        runner.start(dataset.value(), EvalOptions());
        QVERIFY(finished.wait(30000));
        const QList<EvalResultRecord> results = runner.results();
        QCOMPARE(results.size(), 1);
        QVERIFY2(results.first().outcome == EvalOutcome::Pass,
            QJsonDocument(results.first().toJson()).toJson().constData());
    }

    // The main window's wiring: the history's "Save as Test Case…" on a run opens the
    // Evaluations panel's dialog for it.
    void historyContextMenuSavesAsTestCase()
    {
        MainWindow window(m_fast.get());
        window.setWorkspace(scriptedTestWorkspace(), QString());
        window.setHistoryDatabasePath(m_dir.filePath(QStringLiteral("fast.db")));
        window.show();
        HistoryDock *history = window.historyDock();
        history->refresh();
        QTRY_VERIFY_WITH_TIMEOUT(history->model()->rowCount() > 0, 10000);
        history->table()->selectRow(0);
        QSignalSpy opened(window.evalPanel(), &EvalPanel::saveDialogOpened);
        history->saveSelectedAsTestCase();
        QVERIFY(opened.wait(10000));
        QVERIFY(window.evalPanel()->saveDialog());
        QVERIFY(window.evalPanel()->isVisible());
    }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<LocalBackend> m_example;
    std::unique_ptr<LocalBackend> m_fast;
};

QTEST_MAIN(TestEvalPanel)
#include "tst_evalpanel.moc"
