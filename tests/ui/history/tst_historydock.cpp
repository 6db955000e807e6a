#include "tests/support/ScriptedWorkspace.h"

#include "core/engine/LocalBackend.h"
#include "tests/support/BackendReplies.h"
#include "ui/common/MessageBox.h"
#include "ui/history/HistoryChart.h"
#include "ui/history/HistoryDock.h"
#include "ui/history/HistoryModel.h"
#include "ui/trace/CompareModel.h"
#include "ui/trace/CompareView.h"
#include "ui/trace/TraceModel.h"
#include "ui/trace/TraceView.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

#include <algorithm>

// The history dock against the real embedded engine (LocalBackend, temp database, scripted
// provider): runs appear live, search finds them, a run's trace opens from the list, "Run
// again" hands the run to the test panel, two runs compare, delete and retention persist.
// Widgets are driven by objectName.
class TestHistoryDock : public QObject
{
    Q_OBJECT

private:
    template <typename T> T *child(const char *name)
    {
        T *w = m_dock->findChild<T *>(QString::fromLatin1(name));
        if (!w)
            qFatal("no child %s", name);
        return w;
    }

    QString runAndWait(const ExecutionRequest &request)
    {
        // Listen before starting: a fast run can finish in the same turn that reports it started.
        QSet<QString> completed;
        auto c = connect(
            m_backend.get(), &ExecutionBackend::eventsReceived, this, [&](const ExecutionEventList &events) {
                for (const ExecutionEvent &e : events)
                    if (e.type == ExecutionEvent::Type::Complete)
                        completed.insert(e.executionId);
            });
        const QString id = startAndWait(*m_backend, request, 5000).first;
        const bool finished = !id.isEmpty() && QTest::qWaitFor([&] { return completed.contains(id); }, 10000);
        disconnect(c);
        return finished ? id : QString();
    }

    void selectRows(const QList<int> &rows)
    {
        QTableView *table = child<QTableView>("historyTable");
        table->clearSelection();
        table->selectionModel()->setCurrentIndex(
            table->model()->index(rows.last(), 0), QItemSelectionModel::NoUpdate);
        for (int r : rows)
            table->selectionModel()->select(
                table->model()->index(r, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }

    int rowOf(const QString &id) { return m_dock->model()->rowOf(id); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        EngineSettings settings;
        settings.databasePath = m_dir.filePath(QStringLiteral("history.db"));
        m_backend = std::make_unique<LocalBackend>(scriptedTestWorkspace(), settings);
        m_dock = std::make_unique<HistoryDock>(m_backend.get());
        m_trace = std::make_unique<TraceView>(m_backend.get());
        m_tester = std::make_unique<QAbstractItemModelTester>(
            m_dock->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        m_dock->setTraceView(m_trace.get());
        m_dock->resize(900, 700);
        m_dock->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_dock.get()));
    }

    void cleanupTestCase()
    {
        m_tester.reset();
        m_dock.reset();
        m_trace.reset();
        m_backend.reset();
    }

    // Runs started while the dock is open appear at the top, newest first, with metrics.
    void runsAppearLive()
    {
        ExecutionRequest agent;
        agent.agentId = QStringLiteral("writer");
        agent.inputs = QJsonObject { { QStringLiteral("topic"), QStringLiteral("tides and moons") } };
        m_agentRun = runAndWait(agent);
        QVERIFY(!m_agentRun.isEmpty());
        ExecutionRequest flow;
        flow.orchestrationId = QStringLiteral("brief");
        flow.inputs = QJsonObject { { QStringLiteral("topic"), QStringLiteral("glaciers") } };
        m_flowRun = runAndWait(flow);
        QVERIFY(!m_flowRun.isEmpty());
        QTRY_COMPARE(m_dock->model()->rowCount(), 2);
        QTRY_COMPARE(m_dock->model()->record(0).status, ExecutionStatus::Completed);
        QCOMPARE(m_dock->model()->record(0).id, m_flowRun);
        QCOMPARE(
            m_dock->model()->index(0, HistoryModel::NameColumn).data().toString(), QStringLiteral("brief"));
        QVERIFY(!m_dock->model()->index(0, HistoryModel::LatencyColumn).data().toString().isEmpty());
        // A fresh query from the database gives the same two rows.
        m_dock->refresh();
        QTRY_COMPARE(m_dock->model()->rowCount(), 2);
        QTRY_VERIFY(!m_dock->model()->isLoading());
    }

    // For checking the look by eye: AS_SCREENSHOT_DIR=/tmp saves the dock and a compare view.
    void screenshotsForReview()
    {
        const QString dir = qEnvironmentVariable("AS_SCREENSHOT_DIR");
        if (dir.isEmpty())
            QSKIP("set AS_SCREENSHOT_DIR to save screenshots");
        child<QLineEdit>("historySearch")->setText(QStringLiteral("moons"));
        QTRY_COMPARE(m_dock->model()->rowCount(), 1);
        selectRows({ 0 });
        QTest::qWait(100);
        m_dock->grab().save(dir + QStringLiteral("/history_dock.png"));
        child<QLineEdit>("historySearch")->clear();
        QTRY_COMPARE(m_dock->model()->rowCount(), 2);
        QTRY_VERIFY(!m_dock->model()->isLoading());
    }

    // FTS search through the store; the match is highlighted in the details.
    void searchHighlightsMatches()
    {
        child<QLineEdit>("historySearch")->setText(QStringLiteral("glaciers"));
        QTRY_COMPARE(m_dock->model()->rowCount(), 1);
        QTRY_COMPARE(m_dock->model()->record(0).id, m_flowRun);
        selectRows({ 0 });
        QVERIFY(m_dock->detailsHtml().contains(QLatin1String("glaciers")));
        QVERIFY(m_dock->detailsHtml().contains(QLatin1String("#ffe066")));
        child<QLineEdit>("historySearch")->clear();
        QTRY_COMPARE(m_dock->model()->rowCount(), 2);
        QTRY_VERIFY(!m_dock->model()->isLoading());
    }

    void statusFilter()
    {
        auto *status = child<QComboBox>("historyStatusFilter");
        status->setCurrentIndex(status->findData(QStringLiteral("failed")));
        QTRY_COMPARE(m_dock->model()->rowCount(), 0);
        status->setCurrentIndex(status->findData(QStringLiteral("completed")));
        QTRY_COMPARE(m_dock->model()->rowCount(), 2);
        status->setCurrentIndex(0);
        QTRY_COMPARE(m_dock->model()->rowCount(), 2);
        QTRY_VERIFY(!m_dock->model()->isLoading());
    }

    // Every filter of the panel reaches the query; sorting by a column header re-queries.
    void filtersAndSort()
    {
        child<QToolButton>("historyMoreFilters")->click();
        QVERIFY(child<QWidget>("historyFilterPanel")->isVisible());
        auto *mode = child<QComboBox>("historyModeFilter");
        mode->setCurrentIndex(mode->findData(QStringLiteral("full_workflow")));
        QTRY_COMPARE(m_dock->model()->rowCount(), 1);
        QCOMPARE(m_dock->model()->record(0).id, m_flowRun);
        mode->setCurrentIndex(0);
        child<QComboBox>("historyAgentFilter")->setCurrentText(QStringLiteral("writer"));
        QTRY_COMPARE(m_dock->model()->query().agentId, QStringLiteral("writer"));
        QTRY_COMPARE(m_dock->model()->rowCount(), 1);
        QCOMPARE(m_dock->model()->record(0).id, m_agentRun);
        child<QComboBox>("historyAgentFilter")->setCurrentText(QString());
        child<QSpinBox>("historyMaxLatency")->setValue(60'000);
        child<QDoubleSpinBox>("historyMinCost")->setValue(0.5);
        child<QCheckBox>("historySinceEnabled")->setChecked(true);
        QTRY_VERIFY(m_dock->model()->query().minCost.has_value());
        QTRY_VERIFY(!m_dock->model()->isLoading());
        const HistoryQuery q = m_dock->model()->query();
        QCOMPARE(*q.maxLatencyMs, 60'000);
        QCOMPARE(*q.minCost, 0.5);
        QVERIFY(q.since.isValid());
        QCOMPARE(m_dock->model()->rowCount(), 0); // scripted runs cost $0
        child<QDoubleSpinBox>("historyMinCost")->setValue(0);
        child<QSpinBox>("historyMaxLatency")->setValue(0);
        child<QCheckBox>("historySinceEnabled")->setChecked(false);
        QTRY_COMPARE(m_dock->model()->rowCount(), 2);
        // Header clicks sort through the store.
        QTableView *table = child<QTableView>("historyTable");
        table->horizontalHeader()->sectionClicked(HistoryModel::LatencyColumn);
        QCOMPARE(m_dock->model()->query().sort, HistoryQuery::Sort::LatencyDesc);
        QCOMPARE(child<QComboBox>("historySort")->currentIndex(), 3);
        table->horizontalHeader()->sectionClicked(HistoryModel::TimeColumn);
        QCOMPARE(m_dock->model()->query().sort, HistoryQuery::Sort::NewestFirst);
        QTRY_COMPARE(m_dock->model()->rowCount(), 2);
        QTRY_VERIFY(!m_dock->model()->isLoading());
        QCOMPARE(m_dock->model()->record(0).id, m_flowRun);
        child<QToolButton>("historyMoreFilters")->click();
    }

    // "Open trace" fetches the run with its steps into the trace viewer.
    void openTraceFromHistory()
    {
        selectRows({ rowOf(m_flowRun) });
        QSignalSpy requested(m_dock.get(), &HistoryDock::traceRequested);
        child<QPushButton>("openTraceButton")->click();
        QCOMPARE(requested.size(), 1);
        QTRY_COMPARE(m_trace->executionId(), m_flowRun);
        TraceModel *model = m_trace->model();
        const QModelIndex root = model->index(0, 0);
        QCOMPARE(model->rowCount(root), 2); // draft, review
        QCOMPARE(model->index(0, 0, root).data().toString(), QStringLiteral("draft"));
        QVERIFY(model->rowCount(model->index(0, 0, root)) >= 2); // llm + parse
        QCOMPARE(model->index(0, TraceModel::StatusColumn).data().toString(), QStringLiteral("completed"));
    }

    // "Run again" hands the stored run (mode, target, inputs) to whoever re-runs it.
    void rerunSignal()
    {
        selectRows({ rowOf(m_agentRun) });
        QSignalSpy rerun(m_dock.get(), &HistoryDock::rerunRequested);
        QVERIFY(child<QPushButton>("rerunButton")->isEnabled());
        child<QPushButton>("rerunButton")->click();
        QCOMPARE(rerun.size(), 1);
        const ExecutionRecord r = rerun.first().first().value<ExecutionRecord>();
        QCOMPARE(r.id, m_agentRun);
        QCOMPARE(r.agentId, QStringLiteral("writer"));
        QCOMPARE(r.testMode, TestMode::SingleAgent);
        QVERIFY(as_string(r.inputData).contains(QLatin1String("tides and moons")));
    }

    // Two runs of the workflow side by side: every step aligned, outputs diffed.
    void compareTwoRuns()
    {
        ExecutionRequest flow;
        flow.orchestrationId = QStringLiteral("brief");
        flow.inputs = QJsonObject { { QStringLiteral("topic"), QStringLiteral("volcanoes") } };
        flow.rerunOf = m_flowRun;
        m_flowRun2 = runAndWait(flow);
        QTRY_COMPARE(m_dock->model()->rowCount(), 3);
        QTRY_VERIFY(rowOf(m_flowRun2) >= 0);
        QTRY_COMPARE(m_dock->model()->record(rowOf(m_flowRun2)).status, ExecutionStatus::Completed);
        selectRows({ rowOf(m_flowRun), rowOf(m_flowRun2) });
        QVERIFY(child<QPushButton>("compareButton")->isEnabled());
        QSignalSpy opened(m_dock.get(), &HistoryDock::compareOpened);
        child<QPushButton>("compareButton")->click();
        QTRY_COMPARE(opened.size(), 1);
        CompareView *view = m_dock->compareView();
        QVERIFY(view);
        QCOMPARE(view->model()->left().id, m_flowRun); // older on the left
        QCOMPARE(view->model()->right().id, m_flowRun2);
        const CompareResult &r = view->model()->result();
        QCOMPARE(r.onlyLeft + r.onlyRight, 0);
        if (const QString dir = qEnvironmentVariable("AS_SCREENSHOT_DIR"); !dir.isEmpty()) {
            view->table()->selectRow(2);
            QTest::qWait(50);
            view->grab().save(dir + QStringLiteral("/compare_view.png"));
        }
        QVERIFY(r.matched >= 6); // 2 nodes × (node, llm, parse)
        QCOMPARE(view->model()->rowCount(), 1 + r.matched);
        // Different topics: the first node's output differs, and so does the workflow's (it
        // includes the draft's text). The diff says so, on the execution row the view opens on and
        // on the draft node's row: the old topic removed, the new one added.
        QVERIFY(r.changed >= 1);
        QVERIFY(r.outputChanged);
        auto diffSaysTopicChanged = [view] {
            const QStringList lines = view->diffText().split(u'\n');
            auto has = [&](QLatin1String prefix, QLatin1String word) {
                return std::any_of(lines.begin(), lines.end(), [&](const QString &line) {
                    return line.startsWith(prefix) && line.contains(word, Qt::CaseInsensitive);
                });
            };
            return has(QLatin1String("- "), QLatin1String("glaciers"))
                && has(QLatin1String("+ "), QLatin1String("volcanoes"));
        };
        QVERIFY2(diffSaysTopicChanged(), qPrintable(view->diffText()));
        int draftRow = -1;
        for (int row = 1; row < view->model()->rowCount(); ++row)
            if (view->model()->index(row, CompareModel::StepColumn).data().toString().trimmed()
                == QLatin1String("node: draft"))
                draftRow = row;
        QVERIFY(draftRow > 0);
        QVERIFY(view->model()->compareRow(draftRow)->outputChanged);
        view->table()->setCurrentIndex(view->model()->index(draftRow, 0));
        QVERIFY2(diffSaysTopicChanged(), qPrintable(view->diffText()));
        view->close();
    }

    void exportCsvAndJson()
    {
        const QString csv = m_dir.filePath(QStringLiteral("h.csv"));
        QCOMPARE(m_dock->exportTo(csv), QString());
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = f.readAll().split('\n');
        QVERIFY(lines.first().startsWith("id,organization_id"));
        QCOMPARE(lines.count(QByteArray()) + 0, 1); // trailing newline only
        QCOMPARE(lines.size(), 1 + m_dock->model()->rowCount() + 1);
        const QString json = m_dir.filePath(QStringLiteral("h.json"));
        QCOMPARE(m_dock->exportTo(json), QString());
        QFile j(json);
        QVERIFY(j.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(j.readAll()).array().size(), m_dock->model()->rowCount());
    }

    // The chart reads the filtered runs itself (not only the loaded pages) when it is shown.
    void chartOfFilteredRuns()
    {
        auto *tabs = child<QTabWidget>("historyTabs");
        QSignalSpy rebuilt(m_dock->chart(), &HistoryChart::rebuilt);
        tabs->setCurrentWidget(m_dock->chart());
        QVERIFY(rebuilt.wait(5000));
        QCOMPARE(m_dock->chart()->latencyPoints(), 3);
        QCOMPARE(m_dock->chart()->costPoints(), 3); // scripted: $0, known
        auto *status = child<QComboBox>("historyStatusFilter");
        status->setCurrentIndex(status->findData(QStringLiteral("failed")));
        QVERIFY(rebuilt.wait(5000));
        QCOMPARE(m_dock->chart()->latencyPoints(), 0);
        status->setCurrentIndex(0);
        QVERIFY(rebuilt.wait(5000));
        QCOMPARE(m_dock->chart()->latencyPoints(), 3);
        tabs->setCurrentIndex(0);
        QTRY_VERIFY(!m_dock->model()->isLoading());
    }

    // Delete asks first, goes through the backend, and stays deleted after a reload.
    void deleteRun()
    {
        QTRY_VERIFY(!m_dock->model()->isLoading());
        selectRows({ rowOf(m_agentRun) });
        MessageBox::setNextAnswer(QMessageBox::Yes);
        QSignalSpy deleted(m_dock.get(), &HistoryDock::executionsDeleted);
        child<QPushButton>("deleteButton")->click();
        QTRY_COMPARE(deleted.size(), 1);
        QCOMPARE(deleted.first().first().toInt(), 1);
        QCOMPARE(rowOf(m_agentRun), -1);
        m_dock->refresh();
        QTRY_VERIFY(!m_dock->model()->isLoading());
        QCOMPARE(m_dock->model()->rowCount(), 2);
        QCOMPARE(rowOf(m_agentRun), -1);
    }

    // Retention: keep the newest run only.
    void retentionKeepsLastN()
    {
        QSignalSpy deleted(m_dock.get(), &HistoryDock::executionsDeleted);
        m_dock->applyRetention(1, 0);
        QTRY_COMPARE(deleted.size(), 1);
        QTRY_VERIFY(!m_dock->model()->isLoading());
        QTRY_COMPARE(m_dock->model()->rowCount(), 1);
        QCOMPARE(m_dock->model()->record(0).id, m_flowRun2);
    }

    // The app shares its database across workspace files: opening another workspace lists that
    // workspace's runs only, and coming back lists the first one's again.
    void otherWorkspaceListsItsOwnRuns()
    {
        QTRY_VERIFY(!m_dock->model()->isLoading());
        QCOMPARE(m_dock->model()->rowCount(), 1);
        const Workspace first = m_backend->workspace();
        Workspace other = first;
        other.workspaceId = QStringLiteral("another-project");
        m_backend->setWorkspace(other);
        QTRY_VERIFY(!m_dock->model()->isLoading());
        QCOMPARE(m_dock->model()->rowCount(), 0);
        ExecutionRequest agent;
        agent.agentId = QStringLiteral("writer");
        agent.inputs = QJsonObject { { QStringLiteral("topic"), QStringLiteral("harbours") } };
        const QString own = runAndWait(agent);
        QVERIFY(!own.isEmpty());
        m_dock->refresh();
        QTRY_VERIFY(!m_dock->model()->isLoading());
        QCOMPARE(m_dock->model()->rowCount(), 1);
        QCOMPARE(m_dock->model()->record(0).id, own);
        m_backend->setWorkspace(first);
        QTRY_VERIFY(!m_dock->model()->isLoading());
        QCOMPARE(m_dock->model()->rowCount(), 1);
        QCOMPARE(m_dock->model()->record(0).id, m_flowRun2);
    }

private:
    static QString as_string(const QJsonObject &o) { return QString::fromUtf8(QJsonDocument(o).toJson()); }

    QTemporaryDir m_dir;
    std::unique_ptr<LocalBackend> m_backend;
    std::unique_ptr<HistoryDock> m_dock;
    std::unique_ptr<TraceView> m_trace;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
    QString m_agentRun, m_flowRun, m_flowRun2;
};

QTEST_MAIN(TestHistoryDock)
#include "tst_historydock.moc"
