#include "tests/support/ScriptedWorkspace.h"
#include "tests/support/TraceTestData.h"

#include "core/api/ActiveBackend.h"
#include "core/engine/LocalBackend.h"
#include "tests/support/BackendReplies.h"
#include "ui/common/FileDialog.h"
#include "ui/trace/TraceFormat.h"
#include "ui/trace/TraceModel.h"
#include "ui/trace/TraceTimeline.h"
#include "ui/trace/TraceView.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QToolButton>
#include <QTreeView>

// The trace viewer driven by objectName: details of a selected step, search within the trace,
// expand/collapse, replay, OTLP export, a virtualized timeline on a 30,000-step trace, and a
// live run of the real engine filling the tree.
class TestTraceView : public QObject
{
    Q_OBJECT

private:
    template <typename T> T *child(const char *name)
    {
        T *w = m_view->findChild<T *>(QString::fromLatin1(name));
        if (!w)
            qFatal("no child %s", name);
        return w;
    }

private slots:
    void init()
    {
        m_view = std::make_unique<TraceView>(&m_active);
        m_tester = std::make_unique<QAbstractItemModelTester>(
            m_view->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        m_view->resize(1200, 700);
        m_view->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_view.get()));
    }
    void cleanup()
    {
        m_tester.reset();
        m_view.reset();
    }

    // Selecting an llm step shows the exact prompt, the raw reply and its metrics.
    void detailsOfSelectedStep()
    {
        const ExecutionRecord record = makeTraceRecord(5, 2);
        m_view->showExecution(record);
        QCOMPARE(m_view->model()->nodeCount(), 1 + int(record.steps.size()));
        QCOMPARE(m_view->tree()->model()->rowCount(), 1);
        // Small traces open fully expanded.
        QVERIFY(m_view->tree()->isExpanded(m_view->model()->index(0, 0)));
        const QModelIndex llm = m_view->model()->indexForStep(QStringLiteral("exec-trace-l1-1"));
        QVERIFY(llm.isValid());
        QVERIFY(m_view->tree()->isExpanded(llm.parent()));
        m_view->tree()->setCurrentIndex(llm);
        QTRY_VERIFY(m_view->detailsHtml().contains(QLatin1String("You write briefs.")));
        const QString html = m_view->detailsHtml();
        QVERIFY(html.contains(QLatin1String("topic: tides 1")));
        QVERIFY(html.contains(QLatin1String("Raw reply")));
        QVERIFY(html.contains(QLatin1String("draft 1")));
        QVERIFY(html.contains(QLatin1String("cached 10")));
        QVERIFY(html.contains(QLatin1String("$0.00002")));
        QVERIFY(html.contains(QLatin1String("90 ms")));
        // A failed attempt shows its error.
        m_view->tree()->setCurrentIndex(m_view->model()->indexForStep(QStringLiteral("exec-trace-l0-1")));
        QTRY_VERIFY(m_view->detailsHtml().contains(QLatin1String("rate_limit_exceeded")));
        QVERIFY(child<QLabel>("traceSummary")
                    ->text()
                    .contains(QStringLiteral("%1 steps").arg(record.steps.size())));
    }

    // Search highlights, jumps between matches (expanding what hides them) and can filter.
    // A tool step: its own icon and colour in the tree; its details show the arguments, the
    // result (text, structured content, the image as an image), the tool call id and latency;
    // an error result reads as an error; the summary totals model time apart from tool time.
    void toolStepDetailsAndTimes()
    {
        const ExecutionRecord record = makeToolTraceRecord(3, 2);
        m_view->showExecution(record);
        const QModelIndex tool = m_view->model()->indexForStep(QStringLiteral("exec-tools-t0"));
        QVERIFY(tool.isValid());
        const QModelIndex kind = tool.siblingAtColumn(TraceModel::KindColumn);
        QCOMPARE(kind.data().toString(), QStringLiteral("tool"));
        QVERIFY(!kind.data(Qt::DecorationRole).value<QIcon>().isNull());
        QCOMPARE(kind.data(Qt::ForegroundRole).value<QColor>(), traceformat::kindColor(StepKind::Tool));
        QVERIFY(traceformat::kindColor(StepKind::Tool) != traceformat::kindColor(StepKind::Llm));
        QVERIFY(m_view->model()
                    ->indexForStep(QStringLiteral("exec-tools-l0"))
                    .siblingAtColumn(TraceModel::KindColumn)
                    .data(Qt::DecorationRole)
                    .isNull());

        m_view->tree()->setCurrentIndex(tool);
        QTRY_VERIFY(m_view->detailsHtml().contains(QLatin1String("call_0")));
        QString html = m_view->detailsHtml();
        QVERIFY(html.contains(QLatin1String("Arguments")));
        QVERIFY(html.contains(QLatin1String("&quot;order_id&quot;: 42")));
        QVERIFY(html.contains(QLatin1String("order 42: shipped")));
        QVERIFY(html.contains(QLatin1String("Structured content")));
        QVERIFY(html.contains(QLatin1String("orders"))); // the source
        QVERIFY(html.contains(QLatin1String("20 ms")));
        QVERIFY(!html.contains(QLatin1String("price unknown"))); // no tokens or cost for a tool call
        const QUrl image(QStringLiteral("toolimage:exec-tools-t0/0"));
        QVERIFY(html.contains(image.toString()));
        auto *details = child<QTextBrowser>("traceDetails");
        const QImage shown
            = details->document()->resource(QTextDocument::ImageResource, image).value<QImage>();
        QCOMPARE(shown.size(), QSize(1, 1));

        m_view->tree()->setCurrentIndex(m_view->model()->indexForStep(QStringLiteral("exec-tools-t1")));
        QTRY_VERIFY(m_view->detailsHtml().contains(QLatin1String("call_1")));
        html = m_view->detailsHtml();
        QVERIFY(html.contains(QLatin1String("The tool returned an error.")));
        QVERIFY(html.contains(QLatin1String("order 43 not found")));

        // 3 turns: model 3 × 80 ms, tools 3 × 20 ms.
        const QString summary = child<QLabel>("traceSummary")->text();
        QVERIFY2(summary.contains(QLatin1String("model 240 ms")), qPrintable(summary));
        QVERIFY2(summary.contains(QLatin1String("tools 60 ms (3 calls)")), qPrintable(summary));
        QVERIFY(summary.contains(traceformat::kindColor(StepKind::Tool).name()));
    }

    void searchWithinTrace()
    {
        m_view->showExecution(makeTraceRecord(5, 2));
        m_view->collapseAll();
        child<QLineEdit>("traceSearch")->setText(QStringLiteral("rate_limit"));
        QTRY_COMPARE(child<QLabel>("traceMatchLabel")->text(), QStringLiteral("1 / 3"));
        QCOMPARE(m_view->tree()->currentIndex().data(TraceModel::StepIdRole).toString(),
            QStringLiteral("exec-trace-l0-1"));
        QVERIFY(m_view->tree()->isExpanded(m_view->tree()->currentIndex().parent()));
        child<QToolButton>("traceNextMatch")->click();
        QCOMPARE(m_view->tree()->currentIndex().data(TraceModel::StepIdRole).toString(),
            QStringLiteral("exec-trace-l2-1"));
        QTest::keyClick(m_view->tree(), Qt::Key_F3);
        QCOMPARE(m_view->tree()->currentIndex().data(TraceModel::StepIdRole).toString(),
            QStringLiteral("exec-trace-l4-1"));
        child<QToolButton>("tracePrevMatch")->click();
        QCOMPARE(child<QLabel>("traceMatchLabel")->text(), QStringLiteral("2 / 3"));
        // Only matches: node1 (no failed attempt) is hidden, node0 is not.
        child<QCheckBox>("traceOnlyMatches")->setChecked(true);
        const QModelIndex root = m_view->model()->index(0, 0);
        QVERIFY(m_view->tree()->isRowHidden(1, root));
        QVERIFY(!m_view->tree()->isRowHidden(0, root));
        child<QCheckBox>("traceOnlyMatches")->setChecked(false);
        QVERIFY(!m_view->tree()->isRowHidden(1, root));
    }

    void expandCollapseAllAndKeyboard()
    {
        m_view->showExecution(makeTraceRecord(3));
        const QModelIndex root = m_view->model()->index(0, 0);
        child<QToolButton>("traceCollapseAll")->click();
        QVERIFY(m_view->tree()->isExpanded(root));
        QVERIFY(!m_view->tree()->isExpanded(m_view->model()->index(0, 0, root)));
        child<QToolButton>("traceExpandAll")->click();
        QVERIFY(m_view->tree()->isExpanded(m_view->model()->index(2, 0, root)));
        // Arrow keys walk the rows.
        m_view->tree()->setFocus();
        m_view->tree()->setCurrentIndex(root);
        QTest::keyClick(m_view->tree(), Qt::Key_Down);
        QCOMPARE(m_view->tree()->currentIndex().data().toString(), QStringLiteral("node0"));
        QTest::keyClick(m_view->tree(), Qt::Key_Down);
        QCOMPARE(m_view->tree()->currentIndex().data().toString(), QStringLiteral("chat"));
    }

    // Replay plays the stored run back with no provider; at the end the tree is complete.
    void replay()
    {
        const ExecutionRecord record = makeTraceRecord(6, 3);
        m_view->showExecution(record);
        QSignalSpy finished(m_view.get(), &TraceView::replayFinished);
        QSignalSpy status(m_view->model(), &TraceModel::executionStatusChanged);
        QSignalSpy inserted(m_view->model(), &QAbstractItemModel::rowsInserted);
        auto *speed = child<QComboBox>("traceReplaySpeed");
        speed->setCurrentIndex(speed->findText(QStringLiteral("100×")));
        child<QToolButton>("traceReplayButton")->click();
        QVERIFY(m_view->isReplaying());
        QCOMPARE(m_view->model()->nodeCount(), 1); // starts empty
        QVERIFY(finished.wait(5000));
        QCOMPARE(m_view->model()->nodeCount(), 1 + int(record.steps.size()));
        QCOMPARE(m_view->model()->index(0, TraceModel::StatusColumn).data().toString(),
            QStringLiteral("completed"));
        QList<ExecutionStatus> seen;
        for (const QList<QVariant> &args : status)
            seen << args.first().value<ExecutionStatus>();
        QCOMPARE(seen.first(), ExecutionStatus::Queued); // the replay starts from an empty run
        QCOMPARE(seen.last(), ExecutionStatus::Completed);
        QVERIFY(inserted.size() > 0); // steps arrived as events, not as one reset
        // Instant replay.
        speed->setCurrentIndex(speed->findText(QStringLiteral("instant")));
        child<QToolButton>("traceReplayButton")->click();
        QVERIFY(finished.wait(2000));
        QCOMPARE(m_view->model()->nodeCount(), 1 + int(record.steps.size()));
    }

    void exportOtlp()
    {
        const ExecutionRecord record = makeTraceRecord(2);
        m_view->showExecution(record);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("trace.json"));
        FileDialog::setNextFileName(path);
        child<QToolButton>("traceExportOtlp")->click();
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject root = QJsonDocument::fromJson(f.readAll()).object();
        const QJsonArray spans = root[u"resourceSpans"][0][u"scopeSpans"][0][u"spans"].toArray();
        QCOMPARE(spans.size(), 1 + int(record.steps.size()));
        QCOMPARE(spans[0][u"traceId"].toString(), record.traceId);
    }

    // 30,000 steps: the timeline paints only the rows on screen; zoom leaves "fit" mode.
    void timelineIsVirtualized()
    {
        m_view->showExecution(makeTraceRecord(10000));
        m_view->expandAll();
        TraceTimeline *timeline = m_view->timeline();
        timeline->repaint();
        QVERIFY(timeline->lastPaintedBars() > 5);
        QVERIFY(timeline->lastPaintedBars() < 200);
        QVERIFY(timeline->isFitted());
        QWheelEvent zoom(QPointF(100, 100), timeline->mapToGlobal(QPointF(100, 100)), QPoint(),
            QPoint(0, 120), Qt::NoButton, Qt::ControlModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(timeline, &zoom);
        QVERIFY(!timeline->isFitted());
        QVERIFY(timeline->viewSpanMs() < double(m_view->model()->totalMs()));
        // Scrolling the tree scrolls the bars: after a page down other rows are painted.
        const QModelIndex before = m_view->tree()->indexAt(QPoint(1, 1));
        m_view->tree()->verticalScrollBar()->setValue(m_view->tree()->verticalScrollBar()->maximum() / 2);
        QVERIFY(m_view->tree()->indexAt(QPoint(1, 1)) != before);
        timeline->repaint();
        QVERIFY(timeline->lastPaintedBars() > 5);
    }

    // A run of the real engine fills the tree live, the way the main window follows a run.
    void followsLiveRun()
    {
        QTemporaryDir dir;
        EngineSettings settings;
        settings.databasePath = dir.filePath(QStringLiteral("h.db"));
        LocalBackend backend(scriptedTestWorkspace(), settings);
        m_active.setBackend(&backend);
        ExecutionRequest flow;
        flow.orchestrationId = QStringLiteral("brief");
        flow.inputs = QJsonObject { { QStringLiteral("topic"), QStringLiteral("tides") } };
        m_active.start(flow, m_view.get(), [this](const QString &id, const Error &error) {
            QCOMPARE(error.code, ErrorCode::None);
            m_view->followExecution(id);
        });
        QTRY_COMPARE(m_view->model()->index(0, TraceModel::StatusColumn).data().toString(),
            QStringLiteral("completed"));
        const QModelIndex root = m_view->model()->index(0, 0);
        QCOMPARE(m_view->model()->rowCount(root), 2);
        QCOMPARE(m_view->model()->index(0, 0, root).data().toString(), QStringLiteral("draft"));
        QCOMPARE(m_view->model()->index(1, 0, root).data().toString(), QStringLiteral("review"));
        QVERIFY(m_view->model()->rowCount(m_view->model()->index(1, 0, root)) >= 2);
        // Events carry no orchestration id: the root is named from the stored header.
        QTRY_COMPARE(root.data().toString(), QStringLiteral("brief"));
        QCOMPARE(
            m_view->model()->index(0, TraceModel::KindColumn).data().toString(), QStringLiteral("workflow"));
        // What the store recorded and what the live tree shows agree.
        const auto fetched = awaitReply<ExecutionRecord>([&](QObject *context, auto callback) {
            backend.fetchExecution(m_view->executionId(), context, callback);
        });
        QVERIFY(fetched);
        const ExecutionRecord stored = fetched->first;
        QCOMPARE(m_view->model()->nodeCount(), 1 + int(stored.steps.size()));
        m_active.setBackend(nullptr);
    }

private:
    ActiveBackend m_active; // no backend but in followsLiveRun
    std::unique_ptr<TraceView> m_view;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
};

QTEST_MAIN(TestTraceView)
#include "tst_traceview.moc"
