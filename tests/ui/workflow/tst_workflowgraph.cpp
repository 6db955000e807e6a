#include "core/model/Workspace.h"
#include "ui/workflow/WorkflowGraphView.h"

#include <QAction>
#include <QApplication>
#include <QContextMenuEvent>
#include <QDir>
#include <QGraphicsItem>
#include <QMenu>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>
#include <QWheelEvent>

// The Full Workflow graph: the layout must place every node without overlap and keep edges
// flowing left to right, states must be visible as colours, and the view must report what the
// user picks. Drawn from the bundled example workspace, the one users see first.
class TestWorkflowGraph final : public QObject
{
    Q_OBJECT

private:
    static OrchestrationSpec orchestration(const char *id)
    {
        static const Workspace ws = Workspace::example();
        const OrchestrationSpec *o = ws.orchestration(QString::fromLatin1(id));
        return o ? *o : OrchestrationSpec();
    }

    // Items painted as labels (z 3) and boxes (z 2); see WorkflowGraphView.cpp.
    static QList<QRectF> sceneRectsAtZ(const WorkflowGraphView &view, qreal z)
    {
        QList<QRectF> out;
        for (QGraphicsItem *i : view.scene()->items())
            if (i->zValue() == z)
                out.append(i->mapRectToScene(i->boundingRect()));
        return out;
    }

    static QPoint viewportPoint(const WorkflowGraphView &view, const QString &node)
    {
        return view.mapFromScene(view.nodeSceneRect(node).center());
    }

private slots:
    void layoutPlacesEveryNode_data()
    {
        QTest::addColumn<QString>("id");
        QTest::newRow("linear research_brief") << QStringLiteral("research_brief");
        QTest::newRow("fan-out market_scan") << QStringLiteral("market_scan");
    }

    void layoutPlacesEveryNode()
    {
        QFETCH(QString, id);
        const OrchestrationSpec spec = orchestration(id.toLatin1().constData());
        QVERIFY(!spec.nodes.isEmpty());
        WorkflowGraphView view;
        view.resize(900, 420);
        view.setOrchestration(spec);

        QCOMPARE(view.nodeIds().size(), spec.nodes.size());
        QList<QRectF> boxes;
        for (const NodeSpec &n : spec.nodes) {
            const QRectF r = view.nodeSceneRect(n.id);
            QVERIFY2(!r.isNull(), qPrintable(n.id));
            QVERIFY(view.nodeLayer(n.id) >= 1);
            QVERIFY(r.left() > view.nodeSceneRect(QStringLiteral("input")).right());
            QVERIFY(r.right() < view.nodeSceneRect(QStringLiteral("output")).left());
            boxes.append(r);
        }
        boxes.append(view.nodeSceneRect(QStringLiteral("input")));
        boxes.append(view.nodeSceneRect(QStringLiteral("output")));
        for (qsizetype i = 0; i < boxes.size(); ++i)
            for (qsizetype j = i + 1; j < boxes.size(); ++j)
                QVERIFY2(!boxes.at(i).intersects(boxes.at(j)), "two boxes overlap");

        // Layers respect edges: every source lies left of its target.
        for (const EdgeSpec &e : spec.edges) {
            if (e.fromNode == QLatin1String("input"))
                continue;
            QVERIFY2(view.nodeSceneRect(e.fromNode).right() < view.nodeSceneRect(e.toNode).left(),
                qPrintable(e.fromNode + QStringLiteral(" -> ") + e.toNode));
            QVERIFY(view.nodeLayer(e.fromNode) < view.nodeLayer(e.toNode));
        }

        // Labels cover neither each other nor a box.
        const QList<QRectF> labels = sceneRectsAtZ(view, 3);
        QCOMPARE(labels.size(), view.edgeLabels().size());
        for (qsizetype i = 0; i < labels.size(); ++i) {
            for (qsizetype j = i + 1; j < labels.size(); ++j)
                QVERIFY2(!labels.at(i).intersects(labels.at(j)), "two labels overlap");
            for (const QRectF &b : boxes)
                QVERIFY2(!labels.at(i).intersects(b), "a label covers a box");
        }
    }

    void parallelBranchesShareALayer()
    {
        WorkflowGraphView view;
        view.setOrchestration(orchestration("market_scan"));
        QCOMPARE(view.nodeLayer(QStringLiteral("input")), 0);
        QCOMPARE(view.nodeLayer(QStringLiteral("trends")), 1);
        QCOMPARE(view.nodeLayer(QStringLiteral("risks")), 1);
        QCOMPARE(view.nodeLayer(QStringLiteral("synthesis")), 2);
        QCOMPARE(view.nodeLayer(QStringLiteral("output")), 3);
        const QStringList labels = view.edgeLabels();
        QVERIFY2(labels.contains(QStringLiteral("input -> trends: topic, horizon_years")),
            qPrintable(labels.join(QLatin1Char('\n'))));
        QVERIFY(labels.contains(QStringLiteral("trends -> synthesis: trends, growth_rates")));
        QVERIFY(labels.contains(QStringLiteral("risks -> synthesis: risks, severity")));
        QVERIFY(
            labels.contains(QStringLiteral("synthesis -> output: recommendation, confidence, scorecard")));
    }

    void mappingLabelsNameBothSides()
    {
        WorkflowGraphView view;
        view.setOrchestration(orchestration("research_brief"));
        const QStringList labels = view.edgeLabels();
        QVERIFY2(labels.contains(QStringLiteral("draft -> review: text → draft")),
            qPrintable(labels.join(QLatin1Char('\n'))));
        QVERIFY(labels.contains(QStringLiteral("draft -> output: text → brief")));
    }

    void statesChangeColours()
    {
        WorkflowGraphView view;
        view.setOrchestration(orchestration("market_scan"));
        const QString node = QStringLiteral("trends");
        QCOMPARE(view.nodeState(node), WorkflowGraphView::Waiting);
        QSet<QRgb> colours;
        for (WorkflowGraphView::State s : { WorkflowGraphView::Waiting, WorkflowGraphView::Running,
                 WorkflowGraphView::Done, WorkflowGraphView::Failed, WorkflowGraphView::Skipped }) {
            view.setNodeState(node, s);
            QCOMPARE(view.nodeState(node), s);
            QCOMPARE(view.nodeFillColor(node), WorkflowGraphView::stateColor(s));
            colours.insert(view.nodeFillColor(node).rgb());
        }
        QCOMPARE(colours.size(), 5);
        // Other nodes are untouched; reset brings every node back to Waiting.
        QCOMPARE(view.nodeState(QStringLiteral("risks")), WorkflowGraphView::Waiting);
        view.setNodeState(QStringLiteral("risks"), WorkflowGraphView::State::Running);
        view.setNodeDetail(QStringLiteral("risks"), QStringLiteral("1.2 s"));
        view.resetStates();
        for (const QString &id : view.nodeIds())
            QCOMPARE(view.nodeFillColor(id), WorkflowGraphView::stateColor(WorkflowGraphView::Waiting));
        // Unknown ids are ignored.
        view.setNodeState(QStringLiteral("nope"), WorkflowGraphView::Done);
        QCOMPARE(view.nodeState(QStringLiteral("nope")), WorkflowGraphView::Waiting);
    }

    void clickSelectsANode()
    {
        WorkflowGraphView view;
        view.resize(900, 420);
        view.setOrchestration(orchestration("market_scan"));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QSignalSpy selected(&view, &WorkflowGraphView::nodeSelected);

        QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, viewportPoint(view, QStringLiteral("risks")));
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.takeFirst().at(0).toString(), QStringLiteral("risks"));
        QCOMPARE(view.selectedNode(), QStringLiteral("risks"));

        // Clicking the Inputs box selects nothing new; clicking empty space clears the selection.
        QTest::mouseClick(view.viewport(), Qt::LeftButton, {},
            QPoint(view.viewport()->width() - 3, view.viewport()->height() - 3));
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.takeFirst().at(0).toString(), QString());
        QCOMPARE(view.selectedNode(), QString());

        // The selected node's arrows are highlighted, and only while it is selected.
        QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, viewportPoint(view, QStringLiteral("trends")));
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.takeFirst().at(0).toString(), QStringLiteral("trends"));
        QCOMPARE(view.highlightedEdges(),
            (QStringList { QStringLiteral("input -> trends"), QStringLiteral("trends -> synthesis"),
                QStringLiteral("trends -> output") }));
        QTest::mouseClick(view.viewport(), Qt::LeftButton, {},
            QPoint(view.viewport()->width() - 3, view.viewport()->height() - 3));
        QCOMPARE(selected.count(), 1);
        selected.clear();
        QVERIFY(view.highlightedEdges().isEmpty());

        // Programmatic selection does not echo back as a signal.
        view.selectNode(QStringLiteral("synthesis"));
        QCOMPARE(view.selectedNode(), QStringLiteral("synthesis"));
        QCOMPARE(selected.count(), 0);
        view.selectNode(QString());
        QCOMPARE(view.selectedNode(), QString());
        QCOMPARE(selected.count(), 0);
    }

    void doubleClickAsksForTestInContext()
    {
        WorkflowGraphView view;
        view.resize(900, 420);
        view.setOrchestration(orchestration("research_brief"));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QSignalSpy test(&view, &WorkflowGraphView::testInContextRequested);
        QTest::mouseDClick(
            view.viewport(), Qt::LeftButton, {}, viewportPoint(view, QStringLiteral("review")));
        QCOMPARE(test.count(), 1);
        QCOMPARE(test.at(0).at(0).toString(), QStringLiteral("review"));
        // Not on the Inputs box.
        QTest::mouseDClick(view.viewport(), Qt::LeftButton, {}, viewportPoint(view, QStringLiteral("input")));
        QCOMPARE(test.count(), 1);
    }

    void contextMenuOffersTestInContext()
    {
        WorkflowGraphView view;
        view.resize(900, 420);
        view.setOrchestration(orchestration("research_brief"));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QSignalSpy test(&view, &WorkflowGraphView::testInContextRequested);
        QSignalSpy selected(&view, &WorkflowGraphView::nodeSelected);

        bool sawAction = false;
        QTimer::singleShot(0, &view, [&sawAction] {
            auto *menu = qobject_cast<QMenu *>(QApplication::activePopupWidget());
            QVERIFY(menu);
            QCOMPARE(menu->objectName(), QStringLiteral("workflowGraphMenu"));
            auto *action = menu->findChild<QAction *>(QStringLiteral("testInContextAction"));
            QVERIFY(action);
            sawAction = true;
            menu->close();
            action->trigger();
        });
        const QPoint at = viewportPoint(view, QStringLiteral("draft"));
        QContextMenuEvent event(QContextMenuEvent::Mouse, at, view.viewport()->mapToGlobal(at));
        QApplication::sendEvent(view.viewport(), &event);
        QVERIFY(sawAction);
        QCOMPARE(test.count(), 1);
        QCOMPARE(test.at(0).at(0).toString(), QStringLiteral("draft"));
        // The right-clicked node became the selection.
        QCOMPARE(view.selectedNode(), QStringLiteral("draft"));
        QCOMPARE(selected.count(), 1);
    }

    void fitsOnResizeUntilTheUserZooms()
    {
        WorkflowGraphView view;
        view.resize(360, 200);
        view.setOrchestration(orchestration("market_scan"));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        const qreal fitted = view.transform().m11();
        QVERIFY(fitted < 1.0);
        // The whole graph is visible.
        const QRect shown = view.mapFromScene(view.scene()->itemsBoundingRect()).boundingRect();
        QVERIFY2(view.viewport()->rect().adjusted(-1, -1, 1, 1).contains(shown),
            "graph not fully visible after fit");

        view.resize(720, 400);
        QTRY_VERIFY(view.transform().m11() > fitted);
        QVERIFY(view.transform().m11() <= 1.0);

        // Ctrl+wheel zooms in; then resizing no longer refits.
        const qreal before = view.transform().m11();
        const QPoint center = view.viewport()->rect().center();
        QWheelEvent wheel(center, view.viewport()->mapToGlobal(center), QPoint(), QPoint(0, 240),
            Qt::NoButton, Qt::ControlModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(view.viewport(), &wheel);
        const qreal zoomed = view.transform().m11();
        QVERIFY(zoomed > before * 1.3);
        view.resize(500, 300);
        QCOMPARE(view.transform().m11(), zoomed);
        view.fitToView();
        QVERIFY(view.transform().m11() < zoomed);
    }

    void invalidAndLargeGraphsDoNotBreakTheLayout()
    {
        // A cycle (an invalid workflow shown while being edited) still draws every node.
        OrchestrationSpec cyclic;
        cyclic.id = QStringLiteral("c");
        for (const char *id : { "a", "b", "c" })
            cyclic.nodes.append(NodeSpec { QString::fromLatin1(id), QStringLiteral("writer"), {} });
        cyclic.edges = { EdgeSpec { QStringLiteral("input"), QStringLiteral("t"), QStringLiteral("a"),
                             QStringLiteral("x"), {} },
            EdgeSpec {
                QStringLiteral("a"), QStringLiteral("y"), QStringLiteral("b"), QStringLiteral("x"), {} },
            EdgeSpec {
                QStringLiteral("b"), QStringLiteral("y"), QStringLiteral("a"), QStringLiteral("z"), {} },
            EdgeSpec { QStringLiteral("ghost"), QStringLiteral("y"), QStringLiteral("c"), QStringLiteral("x"),
                {} } };
        WorkflowGraphView view;
        view.setOrchestration(cyclic);
        QCOMPARE(view.nodeIds().size(), 3);
        for (const QString &id : view.nodeIds())
            QVERIFY(!view.nodeSceneRect(id).isNull());

        // A wide fan-out and a long chain lay out with every node placed.
        OrchestrationSpec wide;
        wide.id = QStringLiteral("w");
        wide.nodes.append(NodeSpec { QStringLiteral("sink"), QStringLiteral("s"), {} });
        for (int i = 0; i < 150; ++i) {
            const QString id = QStringLiteral("n%1").arg(i);
            wide.nodes.append(NodeSpec { id, QStringLiteral("a"), {} });
            wide.edges.append(
                EdgeSpec { QStringLiteral("input"), QStringLiteral("t"), id, QStringLiteral("t"), {} });
            wide.edges.append(EdgeSpec {
                id, QStringLiteral("o"), QStringLiteral("sink"), QStringLiteral("in%1").arg(i), {} });
        }
        view.setOrchestration(wide);
        QCOMPARE(view.nodeIds().size(), 151);
        QCOMPARE(view.nodeLayer(QStringLiteral("sink")), 2);

        OrchestrationSpec chain;
        chain.id = QStringLiteral("chain");
        for (int i = 0; i < 150; ++i) {
            chain.nodes.append(NodeSpec { QStringLiteral("c%1").arg(i), QStringLiteral("a"), {} });
            if (i)
                chain.edges.append(EdgeSpec { QStringLiteral("c%1").arg(i - 1), QStringLiteral("o"),
                    QStringLiteral("c%1").arg(i), QStringLiteral("i"), {} });
        }
        view.setOrchestration(chain);
        QCOMPARE(view.nodeLayer(QStringLiteral("c149")), 150);

        view.setOrchestration(OrchestrationSpec());
        QVERIFY(view.nodeIds().isEmpty());
        QCOMPARE(view.selectedNode(), QString());
    }

    // Not an assertion on pixels: leaves pictures to look at (see the report).
    void grabPictures()
    {
        WorkflowGraphView view;
        view.resize(980, 440);
        view.setOrchestration(orchestration("market_scan"));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setNodeState(QStringLiteral("trends"), WorkflowGraphView::Done);
        view.setNodeDetail(QStringLiteral("trends"), QStringLiteral("1.4 s · 212 tok"));
        view.setNodeState(QStringLiteral("risks"), WorkflowGraphView::Running);
        view.selectNode(QStringLiteral("risks"));
        QVERIFY(view.grab().save(QDir::temp().filePath(QStringLiteral("workflow_graph.png"))));

        view.setOrchestration(orchestration("research_brief"));
        view.setNodeState(QStringLiteral("draft"), WorkflowGraphView::Failed);
        view.setNodeState(QStringLiteral("review"), WorkflowGraphView::Skipped);
        QVERIFY(view.grab().save(QDir::temp().filePath(QStringLiteral("workflow_graph_brief.png"))));

        // A denser synthetic graph: a diamond, a skip edge and a three-way fan-in.
        OrchestrationSpec dense;
        dense.id = QStringLiteral("dense");
        dense.inputs = { FieldSpec {}, FieldSpec {} };
        dense.inputs[0].name = QStringLiteral("question");
        dense.inputs[1].name = QStringLiteral("budget");
        auto node = [&dense](const char *id, const char *agent) {
            dense.nodes.append(NodeSpec { QString::fromLatin1(id), QString::fromLatin1(agent), {} });
        };
        auto edge = [&dense](const char *from, const char *fromField, const char *to, const char *toField) {
            dense.edges.append(EdgeSpec { QString::fromLatin1(from), QString::fromLatin1(fromField),
                QString::fromLatin1(to), QString::fromLatin1(toField), {} });
        };
        node("plan", "planner");
        node("search", "searcher");
        node("calc", "calculator");
        node("critique", "critic");
        node("answer", "writer");
        edge("input", "question", "plan", "question");
        edge("input", "budget", "calc", "budget");
        edge("plan", "queries", "search", "queries");
        edge("plan", "formula", "calc", "formula");
        edge("search", "facts", "critique", "facts");
        edge("calc", "result", "critique", "numbers");
        edge("search", "facts", "answer", "facts");
        edge("calc", "result", "answer", "numbers");
        edge("critique", "notes", "answer", "notes");
        edge("input", "question", "answer", "question");
        dense.outputs = { WorkflowOutputSpec { QStringLiteral("answer"), QStringLiteral("answer"),
                              QStringLiteral("text"), {} },
            WorkflowOutputSpec {
                QStringLiteral("plan"), QStringLiteral("plan"), QStringLiteral("queries"), {} } };
        view.setOrchestration(dense);
        view.setNodeState(QStringLiteral("plan"), WorkflowGraphView::Done);
        view.setNodeState(QStringLiteral("search"), WorkflowGraphView::Running);
        view.setNodeState(QStringLiteral("calc"), WorkflowGraphView::Running);
        QVERIFY(view.grab().save(QDir::temp().filePath(QStringLiteral("workflow_graph_dense.png"))));
    }
};

QTEST_MAIN(TestWorkflowGraph)
#include "tst_workflowgraph.moc"
