#include "ui/workflow/GraphLayout.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace workflowgraph;

namespace {

// Nodes "a b c" and edges "in>a a>b b>out": `in` is the Inputs box, `out` the Outputs box.
LayoutInput input(const QString &nodes, const QString &edges)
{
    LayoutInput in;
    in.nodes = nodes.split(u' ', Qt::SkipEmptyParts);
    const int outputs = int(in.nodes.size()) + 1;
    auto vertex = [&](const QString &name) {
        if (name == u"in")
            return 0;
        if (name == u"out")
            return outputs;
        return int(in.nodes.indexOf(name)) + 1;
    };
    in.heights.append(60);
    for (qsizetype i = 0; i < in.nodes.size(); ++i)
        in.heights.append(kNodeHeight);
    in.heights.append(90);
    for (const QString &e : edges.split(u' ', Qt::SkipEmptyParts)) {
        const QStringList ends = e.split(u'>');
        in.edges.append({ vertex(ends.at(0)), vertex(ends.at(1)) });
        in.labelWidths.append(40);
    }
    in.nodeWidth = 150;
    return in;
}

QString chainNodes(int n)
{
    QStringList out;
    for (int i = 0; i < n; ++i)
        out.append(u"n%1"_s.arg(i));
    return out.join(u' ');
}

QString chainEdges(int n)
{
    QStringList out { u"in>n0"_s };
    for (int i = 0; i + 1 < n; ++i)
        out.append(u"n%1>n%2"_s.arg(i).arg(i + 1));
    out.append(u"n%1>out"_s.arg(n - 1));
    return out.join(u' ');
}

} // namespace

// The Full Workflow graph's layout without a widget: layers, virtual points, backward edges
// and coordinates on the shapes workflows take.
class TestGraphLayout : public QObject
{
    Q_OBJECT

private slots:
    void shapes_data();
    void shapes();
    void wideLabelWidensItsGap();
};

void TestGraphLayout::shapes_data()
{
    QTest::addColumn<QString>("nodes");
    QTest::addColumn<QString>("edges");
    QTest::addColumn<QList<int>>("layers"); // per real vertex: Inputs, nodes, Outputs
    QTest::addColumn<int>("points"); // virtual points added for long edges
    QTest::addColumn<QList<int>>("backward"); // indices of edges drawn backwards
    QTest::addColumn<int>("crossings");

    QTest::newRow("single node") << u"a"_s << u"in>a a>out"_s << QList<int> { 0, 1, 2 } << 0 << QList<int>()
                                 << 0;
    QTest::newRow("diamond") << u"a b c d"_s << u"in>a a>b a>c b>d c>d d>out"_s
                             << QList<int> { 0, 1, 2, 2, 3, 4 } << 0 << QList<int>() << 0;
    QTest::newRow("fan-out/fan-in") << u"x y z sink"_s << u"in>x in>y in>z x>sink y>sink z>sink sink>out"_s
                                    << QList<int> { 0, 1, 1, 1, 2, 3 } << 0 << QList<int>() << 0;
    QTest::newRow("input feeding a deep node gets points")
        << u"a b c"_s << u"in>a a>b b>c in>c c>out"_s << QList<int> { 0, 1, 2, 3, 4 } << 2 << QList<int>()
        << 0;
    QTest::newRow("output taken from an early node")
        << u"a b"_s << u"in>a a>b a>out b>out"_s << QList<int> { 0, 1, 2, 3 } << 1 << QList<int>() << 0;
    {
        QList<int> layers { 0 };
        for (int i = 0; i < 50; ++i)
            layers.append(i + 1);
        layers.append(51);
        QTest::newRow("50-node chain")
            << chainNodes(50) << chainEdges(50) << layers << 0 << QList<int>() << 0;
    }
    QTest::newRow("disconnected nodes sit in the first column")
        << u"a lone b"_s << u"in>a a>b b>out"_s << QList<int> { 0, 1, 1, 2, 3 } << 0 << QList<int>() << 0;
    QTest::newRow("two-node cycle: the closing edge goes back")
        << u"p q"_s << u"in>p p>q q>p q>out"_s << QList<int> { 0, 1, 2, 3 } << 0 << QList<int> { 2 } << 0;
    QTest::newRow("self-loop is drawn back, the node laid out")
        << u"a b"_s << u"in>a a>a a>b b>out"_s << QList<int> { 0, 1, 2, 3 } << 0 << QList<int> { 1 } << 0;
    QTest::newRow("self-loop listed after its successor")
        << u"b a"_s << u"in>a a>a a>b b>out"_s << QList<int> { 0, 2, 1, 3 } << 0 << QList<int> { 1 } << 0;
    QTest::newRow("edges crossing are uncrossed")
        << u"a b c d"_s << u"in>a in>b a>d b>c c>out d>out"_s << QList<int> { 0, 1, 1, 2, 2, 3 } << 0
        << QList<int>() << 0;
}

void TestGraphLayout::shapes()
{
    QFETCH(QString, nodes);
    QFETCH(QString, edges);
    QFETCH(QList<int>, layers);
    QFETCH(int, points);
    QFETCH(QList<int>, backward);
    const LayoutInput in = input(nodes, edges);
    const Layout out = layoutGraph(in);

    const int real = int(in.heights.size());
    QCOMPARE(int(out.vertices.size()), real + points);
    QList<int> gotLayers;
    for (int i = 0; i < real; ++i) {
        QVERIFY(!out.vertices.at(i).point);
        QCOMPARE(out.vertices.at(i).height, in.heights.at(i));
        gotLayers.append(out.vertices.at(i).layer);
    }
    QCOMPARE(gotLayers, layers);
    QList<int> gotBackward;
    for (int k = 0; k < int(out.edges.size()); ++k) {
        const LayoutEdge &e = out.edges.at(k);
        QCOMPARE(e.path.constFirst(), in.edges.at(k).first);
        QCOMPARE(e.path.constLast(), in.edges.at(k).second);
        if (e.backward)
            gotBackward.append(k);
        // A forward edge steps one layer at a time through its points.
        for (int p = 1; !e.backward && p < int(e.path.size()); ++p)
            QCOMPARE(out.vertices.at(e.path.at(p)).layer, out.vertices.at(e.path.at(p - 1)).layer + 1);
        // Ports lie on the boxes they leave and enter.
        const LayoutVertex &s = out.vertices.at(e.path.constFirst()),
                           &t = out.vertices.at(e.path.constLast());
        QVERIFY(e.startY > s.y && e.startY < s.y + s.height);
        QVERIFY(e.endY > t.y && e.endY < t.y + t.height);
    }
    QCOMPARE(gotBackward, backward);
    QTEST(out.crossings, "crossings");

    // Columns left to right, at least a box and the minimum gap apart; within a column the
    // boxes do not overlap and are centred on y = 0.
    for (int l = 1; l < int(out.layerX.size()); ++l)
        QVERIFY(out.layerX.at(l) >= out.layerX.at(l - 1) + in.nodeWidth + kMinLayerGap);
    for (int l = 0; l < int(out.layerX.size()); ++l) {
        QList<const LayoutVertex *> column;
        for (const LayoutVertex &v : out.vertices)
            if (v.layer == l)
                column.append(&v);
        std::sort(column.begin(), column.end(), [](auto *a, auto *b) { return a->y < b->y; });
        for (int i = 1; i < int(column.size()); ++i)
            QVERIFY(column.at(i)->y >= column.at(i - 1)->y + column.at(i - 1)->height + kDummyGap);
        QVERIFY(!column.isEmpty());
        QCOMPARE(column.constFirst()->y, -(column.constLast()->y + column.constLast()->height));
    }
}

// A label sits in the gap before its target: a wide one pushes the next column right.
void TestGraphLayout::wideLabelWidensItsGap()
{
    LayoutInput in = input(u"a b"_s, u"in>a a>b b>out"_s);
    const Layout narrow = layoutGraph(in);
    in.labelWidths[1] = 400;
    const Layout wide = layoutGraph(in);
    QCOMPARE(narrow.layerX.at(2) - narrow.layerX.at(1), in.nodeWidth + kMinLayerGap);
    QCOMPARE(wide.layerX.at(2) - wide.layerX.at(1), in.nodeWidth + 400 + 36);
    QCOMPARE(wide.layerX.at(1), narrow.layerX.at(1));
}

QTEST_GUILESS_MAIN(TestGraphLayout)
#include "tst_graphlayout.moc"
