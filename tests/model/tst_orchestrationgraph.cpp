#include "core/model/OrchestrationGraph.h"
#include "core/model/Workspace.h"

#include <QTest>

using namespace Qt::StringLiterals;

namespace {

using Edges = QList<QPair<QString, QString>>;

// "a>b a>c" -> {(a,b), (a,c)}
Edges edges(const QString &text)
{
    Edges out;
    for (const QString &e : text.split(u' ', Qt::SkipEmptyParts)) {
        const QStringList ends = e.split(u'>');
        out.append({ ends.at(0), ends.at(1) });
    }
    return out;
}

QStringList chain(int n)
{
    QStringList ids;
    for (int i = 0; i < n; ++i)
        ids.append(u"n%1"_s.arg(i));
    return ids;
}

QString chainEdges(int n)
{
    QStringList out;
    for (int i = 0; i + 1 < n; ++i)
        out.append(u"n%1>n%2"_s.arg(i).arg(i + 1));
    return out.join(u' ');
}

QStringList names(const OrchestrationGraph &g, const QList<int> &vertices)
{
    QStringList out;
    for (int v : vertices)
        out.append(g.id(v));
    return out;
}

QStringList cycleNames(const OrchestrationGraph &g)
{
    QStringList out;
    for (const QList<int> &c : g.cycles())
        out.append(names(g, c).join(u"->"));
    return out;
}

} // namespace

// The graph of an orchestration, shared by the validator, the engine and the graph view:
// neighbours, order, cycles and layers on the shapes workflows take.
class TestOrchestrationGraph : public QObject
{
    Q_OBJECT

private slots:
    void shapes_data();
    void shapes();
    void fromSpec();
};

void TestOrchestrationGraph::shapes_data()
{
    QTest::addColumn<QStringList>("ids");
    QTest::addColumn<QString>("edgeList");
    QTest::addColumn<QStringList>("order"); // topologicalOrder(), possibly partial
    QTest::addColumn<QStringList>("cycles"); // closed paths
    QTest::addColumn<QList<int>>("layers");
    QTest::addColumn<QStringList>("roots");
    QTest::addColumn<QString>("inOut"); // per vertex "in/out" degrees

    const QStringList abcd { u"a"_s, u"b"_s, u"c"_s, u"d"_s };
    QTest::newRow("empty") << QStringList() << QString() << QStringList() << QStringList() << QList<int>()
                           << QStringList() << QString();
    QTest::newRow("diamond") << abcd << u"a>b a>c b>d c>d"_s << abcd << QStringList()
                             << QList<int> { 0, 1, 1, 2 } << QStringList { u"a"_s } << u"0/2 1/1 1/1 2/0"_s;
    QTest::newRow("diamond listed bottom-up")
        << QStringList { u"d"_s, u"c"_s, u"b"_s, u"a"_s } << u"a>b a>c b>d c>d"_s
        << QStringList { u"a"_s, u"b"_s, u"c"_s, u"d"_s } << QStringList() << QList<int> { 2, 1, 1, 0 }
        << QStringList { u"a"_s } << u"2/0 1/1 1/1 0/2"_s;
    QTest::newRow("fan-out/fan-in") << QStringList { u"src"_s, u"x"_s, u"y"_s, u"z"_s, u"sink"_s }
                                    << u"src>x src>y src>z x>sink y>sink z>sink"_s
                                    << QStringList { u"src"_s, u"x"_s, u"y"_s, u"z"_s, u"sink"_s }
                                    << QStringList() << QList<int> { 0, 1, 1, 1, 2 }
                                    << QStringList { u"src"_s } << u"0/3 1/1 1/1 1/1 3/0"_s;
    QTest::newRow("fields between the same nodes are one edge")
        << QStringList { u"a"_s, u"b"_s } << u"a>b a>b a>b"_s << QStringList { u"a"_s, u"b"_s }
        << QStringList() << QList<int> { 0, 1 } << QStringList { u"a"_s } << u"0/1 1/0"_s;
    QTest::newRow("shortcut keeps the longest path")
        << QStringList { u"a"_s, u"b"_s, u"c"_s } << u"a>c a>b b>c"_s
        << QStringList { u"a"_s, u"b"_s, u"c"_s } << QStringList() << QList<int> { 0, 1, 2 }
        << QStringList { u"a"_s } << u"0/2 1/1 2/0"_s;
    {
        QList<int> layers;
        QString inOut;
        for (int i = 0; i < 50; ++i) {
            layers.append(i);
            inOut += u"%1/%2 "_s.arg(i ? 1 : 0).arg(i < 49 ? 1 : 0);
        }
        QTest::newRow("50-node chain") << chain(50) << chainEdges(50) << chain(50) << QStringList() << layers
                                       << QStringList { u"n0"_s } << inOut.trimmed();
    }
    QTest::newRow("disconnected nodes")
        << QStringList { u"a"_s, u"b"_s, u"lone"_s, u"c"_s } << u"a>b"_s
        << QStringList { u"a"_s, u"lone"_s, u"c"_s, u"b"_s } << QStringList() << QList<int> { 0, 1, 0, 0 }
        << QStringList { u"a"_s, u"lone"_s, u"c"_s } << u"0/1 1/0 0/0 0/0"_s;
    QTest::newRow("unknown ids are dropped")
        << QStringList { u"a"_s, u"b"_s } << u"a>ghost ghost>b a>b"_s << QStringList { u"a"_s, u"b"_s }
        << QStringList() << QList<int> { 0, 1 } << QStringList { u"a"_s } << u"0/1 1/0"_s;
    QTest::newRow("self-loop") << QStringList { u"a"_s, u"b"_s } << u"a>a a>b"_s << QStringList()
                               << QStringList { u"a->a"_s } << QList<int> { 0, 1 } << QStringList()
                               << u"1/2 1/0"_s;
    // A self-loop does not hold its node back: it is laid out before its successor.
    QTest::newRow("self-loop listed after its successor")
        << QStringList { u"b"_s, u"a"_s } << u"a>a a>b"_s << QStringList() << QStringList { u"a->a"_s }
        << QList<int> { 1, 0 } << QStringList() << u"1/0 1/2"_s;
    QTest::newRow("two-node cycle fed from a root")
        << QStringList { u"root"_s, u"p"_s, u"q"_s } << u"root>p p>q q>p"_s << QStringList { u"root"_s }
        << QStringList { u"p->q->p"_s } << QList<int> { 0, 1, 2 } << QStringList { u"root"_s }
        << u"0/1 2/1 1/1"_s;
    QTest::newRow("cycle starts at its first node, downstream blocked")
        << QStringList { u"x"_s, u"c"_s, u"a"_s, u"b"_s, u"after"_s } << u"a>b b>c c>a c>after x>after"_s
        << QStringList { u"x"_s } << QStringList { u"c->a->b->c"_s } << QList<int> { 0, 0, 1, 2, 1 }
        << QStringList { u"x"_s } << u"0/1 1/2 1/1 1/1 2/0"_s;
    QTest::newRow("two separate cycles")
        << QStringList { u"a"_s, u"b"_s, u"c"_s, u"d"_s } << u"a>b b>a c>d d>c"_s << QStringList()
        << QStringList { u"a->b->a"_s, u"c->d->c"_s } << QList<int> { 0, 1, 0, 1 } << QStringList()
        << u"1/1 1/1 1/1 1/1"_s;
    QTest::newRow("cycle with a chord names one closed path")
        << QStringList { u"a"_s, u"b"_s, u"c"_s } << u"a>b b>c c>a a>c"_s << QStringList()
        << QStringList { u"a->b->c->a"_s } << QList<int> { 0, 1, 2 } << QStringList() << u"1/2 1/1 2/1"_s;
}

void TestOrchestrationGraph::shapes()
{
    QFETCH(QStringList, ids);
    QFETCH(QString, edgeList);
    const OrchestrationGraph g(ids, edges(edgeList));
    QCOMPARE(g.size(), int(ids.size()));
    QTEST(names(g, g.topologicalOrder()), "order");
    QTEST(cycleNames(g), "cycles");
    QTEST(g.layers(), "layers");
    QTEST(names(g, g.roots()), "roots");
    QStringList inOut;
    for (int v = 0; v < g.size(); ++v)
        inOut.append(u"%1/%2"_s.arg(g.predecessors(v).size()).arg(g.successors(v).size()));
    QTEST(inOut.join(u' '), "inOut");
    for (int v = 0; v < g.size(); ++v) { // every edge seen from both ends
        QCOMPARE(g.indexOf(ids.at(v)), v);
        for (int s : g.successors(v))
            QVERIFY(g.predecessors(s).contains(v));
    }
}

// From a spec: edges from the workflow inputs and to unknown nodes are not graph edges, and
// the spec's own queries answer from the same graph.
void TestOrchestrationGraph::fromSpec()
{
    OrchestrationSpec o;
    for (const QString &id : { u"draft"_s, u"review"_s, u"publish"_s })
        o.nodes.append(NodeSpec { id, u"agent"_s, {} });
    auto edge = [&o](const QString &from, const QString &to) {
        const QStringList f = from.split(u'.'), t = to.split(u'.');
        o.edges.append(EdgeSpec { f.at(0), f.at(1), t.at(0), t.at(1), {} });
    };
    edge(u"input.topic"_s, u"draft.topic"_s);
    edge(u"draft.text"_s, u"review.draft"_s);
    edge(u"draft.title"_s, u"review.title"_s);
    edge(u"review.text"_s, u"publish.text"_s);
    edge(u"input.topic"_s, u"publish.topic"_s);
    edge(u"review.text"_s, u"nowhere.x"_s);
    const OrchestrationGraph g(o);
    QCOMPARE(g.size(), 3);
    QCOMPARE(g.successors(0), QList<int> { 1 });
    QCOMPARE(g.predecessors(2), QList<int> { 1 });
    QCOMPARE(g.roots(), QList<int> { 0 });
    QCOMPARE(g.layers(), (QList<int> { 0, 1, 2 }));
    QCOMPARE(o.topologicalOrder(), (QStringList { u"draft"_s, u"review"_s, u"publish"_s }));
    QCOMPARE(o.upstreamNodes(u"review"_s), QStringList { u"draft"_s });
    QVERIFY(o.upstreamNodes(u"draft"_s).isEmpty());
}

QTEST_GUILESS_MAIN(TestOrchestrationGraph)
#include "tst_orchestrationgraph.moc"
