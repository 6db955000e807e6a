#include "ui/common/StatusPalette.h"
#include "ui/testpanel/FullWorkflowTab.h"
#include "ui/testpanel/MetricsBar.h"
#include "ui/trace/TraceModel.h"
#include "ui/workflow/WorkflowGraphView.h"

#include <QLabel>
#include <QTest>
#include <QTreeWidget>

namespace {
// The colour a status dot is painted in (its centre pixel).
QColor dotColor(const QVariant &decoration)
{
    return decoration.value<QIcon>().pixmap(12, 12).toImage().pixelColor(6, 6);
}

OrchestrationSpec oneNode()
{
    OrchestrationSpec spec;
    spec.id = QStringLiteral("flow");
    NodeSpec node;
    node.id = QStringLiteral("n1");
    node.agent = QStringLiteral("writer");
    spec.nodes << node;
    return spec;
}
} // namespace

// Every view shows a state in the palette's colours: a running step is the same blue in the
// workflow graph, the node list, the trace tree, the history list and the metrics bar.
class TestStatusPalette : public QObject
{
    Q_OBJECT

private slots:
    void statesMapToTones_data()
    {
        QTest::addColumn<QString>("status");
        QTest::addColumn<int>("tone");
        QTest::newRow("queued") << QStringLiteral("queued") << int(statuspalette::Tone::Waiting);
        QTest::newRow("starting") << QStringLiteral("starting") << int(statuspalette::Tone::Waiting);
        QTest::newRow("running") << QStringLiteral("running") << int(statuspalette::Tone::Running);
        QTest::newRow("completed") << QStringLiteral("completed") << int(statuspalette::Tone::Succeeded);
        QTest::newRow("failed") << QStringLiteral("failed") << int(statuspalette::Tone::Failed);
        QTest::newRow("cancelled") << QStringLiteral("cancelled") << int(statuspalette::Tone::Cancelled);
        QTest::newRow("skipped") << QStringLiteral("skipped") << int(statuspalette::Tone::Skipped);
        QTest::newRow("interrupted") << QStringLiteral("interrupted")
                                     << int(statuspalette::Tone::Interrupted);
        QTest::newRow("detached") << QStringLiteral("detached") << int(statuspalette::Tone::Skipped);
        QTest::newRow("empty") << QString() << int(statuspalette::Tone::Idle);
        QTest::newRow("unknown") << QStringLiteral("exploded") << int(statuspalette::Tone::Idle);
    }
    void statesMapToTones()
    {
        QFETCH(QString, status);
        QFETCH(int, tone);
        QCOMPARE(int(statuspalette::toneOf(status)), tone);
    }

    // Tones that mean different things look different.
    void tonesAreDistinct()
    {
        using statuspalette::Tone;
        const QList<Tone> shown { Tone::Waiting, Tone::Running, Tone::Succeeded, Tone::Failed,
            Tone::Cancelled, Tone::Interrupted };
        for (Tone a : shown)
            for (Tone b : shown)
                if (a != b)
                    QVERIFY(statuspalette::color(a) != statuspalette::color(b));
    }

    // The graph's box for a running node is filled in the palette's running fill, the node list
    // writes "running" in the palette's running colour, and the trace tree's running dot and the
    // metrics bar's running badge use that same colour.
    void runningIsOneColourEverywhere()
    {
        const QColor running = statuspalette::color(statuspalette::Tone::Running);

        WorkflowGraphView graph(nullptr);
        graph.setOrchestration(oneNode());
        graph.setNodeState(QStringLiteral("n1"), WorkflowGraphView::Running);
        QCOMPARE(
            graph.nodeFillColor(QStringLiteral("n1")), statuspalette::fill(statuspalette::Tone::Running));
        QCOMPARE(statuspalette::color(WorkflowGraphView::tone(WorkflowGraphView::Running)), running);
        // Fill and border are one hue: not an orange box in a blue palette.
        QVERIFY(qAbs(graph.nodeFillColor(QStringLiteral("n1")).hslHue() - running.hslHue()) < 20);

        TraceModel trace;
        ExecutionRecord record;
        record.id = QStringLiteral("exec-1");
        record.status = ExecutionStatus::Running;
        StepRecord step;
        step.id = QStringLiteral("s1");
        step.executionId = record.id;
        step.kind = StepKind::Llm;
        step.name = QStringLiteral("chat");
        step.status = StepStatus::Running;
        record.steps << step;
        trace.setExecution(record);
        const QModelIndex root = trace.index(0, TraceModel::NameColumn);
        QVERIFY(root.isValid());
        QCOMPARE(dotColor(trace.data(root, Qt::DecorationRole)), running);

        MetricsBar bar(nullptr);
        RunMetrics m;
        m.status = QStringLiteral("running");
        bar.showMetrics(m);
        const auto labels = bar.findChildren<QLabel *>();
        const bool badge = std::any_of(labels.begin(), labels.end(), [&](const QLabel *l) {
            return l->text() == QStringLiteral("running") && l->styleSheet().contains(running.name());
        });
        QVERIFY2(badge, "the metrics bar's status badge is not in the palette's running colour");
    }

    // The node list of Full Workflow and the graph beside it agree on every state.
    void nodeListMatchesGraph()
    {
        for (const auto state : { FullWorkflowTab::NodeState::Waiting, FullWorkflowTab::NodeState::Running,
                 FullWorkflowTab::NodeState::Done, FullWorkflowTab::NodeState::Failed,
                 FullWorkflowTab::NodeState::Skipped }) {
            QCOMPARE(FullWorkflowTab::stateName(state),
                WorkflowGraphView::stateName(WorkflowGraphView::State(int(state))));
        }
    }
};

QTEST_MAIN(TestStatusPalette)
#include "tst_statuspalette.moc"
