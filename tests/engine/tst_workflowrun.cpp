#include "core/engine/WorkflowRun.h"

#include <QTest>

using namespace Qt::StringLiterals;
using State = WorkflowRun::NodeState;
using RunResult = WorkflowRun::Result;

// The workflow state machine on its own: no engine, no event loop, no provider.
class TestWorkflowRun : public QObject
{
    Q_OBJECT
private slots:
    void chainRunsInOrder();
    void diamondJoinsWaitForBothBranches();
    void edgeMappingFromInputsAndNodes();
    void absentValuesAreNotSet();
    void failureInTheMiddleSkipsDownstream();
    void firstFailureOnly();
    void cancelStopsAndSkips();
    void nodeConcurrencyLimit();
    void outputsAndPartials();
    void stuckWhenANodeCanNeverRun();
    void singleNode();
};

namespace {

struct Spec
{
    OrchestrationSpec o;
    Spec &node(const QString &id)
    {
        NodeSpec n;
        n.id = id;
        n.agent = u"agent_"_s + id;
        o.nodes.append(n);
        return *this;
    }
    Spec &edge(const QString &from, const QString &fromField, const QString &to, const QString &toField)
    {
        EdgeSpec e;
        e.fromNode = from;
        e.fromField = fromField;
        e.toNode = to;
        e.toField = toField;
        o.edges.append(e);
        return *this;
    }
    Spec &output(const QString &name, const QString &from, const QString &field)
    {
        WorkflowOutputSpec out;
        out.name = name;
        out.fromNode = from;
        out.fromField = field;
        o.outputs.append(out);
        return *this;
    }
};

// a -> b -> c, c's text the output
OrchestrationSpec chain()
{
    Spec s;
    s.o.id = u"chain"_s;
    s.node(u"a"_s).node(u"b"_s).node(u"c"_s);
    s.edge(u"input"_s, u"topic"_s, u"a"_s, u"in"_s)
        .edge(u"a"_s, u"text"_s, u"b"_s, u"in"_s)
        .edge(u"b"_s, u"text"_s, u"c"_s, u"in"_s)
        .output(u"result"_s, u"c"_s, u"text"_s);
    return s.o;
}

// a -> (b, c) -> d
OrchestrationSpec diamond()
{
    Spec s;
    s.o.id = u"diamond"_s;
    s.node(u"a"_s).node(u"b"_s).node(u"c"_s).node(u"d"_s);
    s.edge(u"input"_s, u"topic"_s, u"a"_s, u"in"_s)
        .edge(u"a"_s, u"text"_s, u"b"_s, u"in"_s)
        .edge(u"a"_s, u"text"_s, u"c"_s, u"in"_s)
        .edge(u"b"_s, u"text"_s, u"d"_s, u"left"_s)
        .edge(u"c"_s, u"text"_s, u"d"_s, u"right"_s)
        .output(u"joined"_s, u"d"_s, u"text"_s);
    return s.o;
}

QJsonObject text(const QString &t)
{
    return QJsonObject { { u"text"_s, t } };
}

QList<int> startAll(WorkflowRun &run)
{
    QList<int> started;
    for (int i = run.startNext(); i >= 0; i = run.startNext())
        started << i;
    return started;
}

} // namespace

void TestWorkflowRun::chainRunsInOrder()
{
    WorkflowRun run(chain(), { { u"topic"_s, u"otters"_s } });
    QCOMPARE(startAll(run), QList<int> { 0 });
    QCOMPARE(run.state(1), State::Waiting);
    QVERIFY(!run.settled());
    run.complete(0, text(u"A"_s));
    QCOMPARE(startAll(run), QList<int> { 1 });
    run.complete(1, text(u"B"_s));
    QCOMPARE(startAll(run), QList<int> { 2 });
    QCOMPARE(run.result(), RunResult::Running);
    run.complete(2, text(u"C"_s));
    QVERIFY(run.settled());
    QCOMPARE(startAll(run), QList<int> {});
    QCOMPARE(run.result(), RunResult::Completed);
    QVERIFY(run.skipRemaining().isEmpty());
    QCOMPARE(run.outputs(), (QJsonObject { { u"result"_s, u"C"_s } }));
    QVERIFY(run.error().isEmpty());
}

void TestWorkflowRun::diamondJoinsWaitForBothBranches()
{
    WorkflowRun run(diamond(), { { u"topic"_s, u"t"_s } });
    QCOMPARE(startAll(run), QList<int> { 0 });
    run.complete(0, text(u"A"_s));
    QCOMPARE(startAll(run), (QList<int> { 1, 2 })); // both branches at once
    QCOMPARE(run.runningCount(), 2);
    run.complete(2, text(u"C"_s));
    QCOMPARE(startAll(run), QList<int> {}); // d still waits for b
    QCOMPARE(run.state(3), State::Waiting);
    run.complete(1, text(u"B"_s));
    QCOMPARE(startAll(run), QList<int> { 3 });
    QCOMPARE(run.inputsOf(3), (QJsonObject { { u"left"_s, u"B"_s }, { u"right"_s, u"C"_s } }));
    run.complete(3, text(u"D"_s));
    QCOMPARE(run.result(), RunResult::Completed);
    QCOMPARE(run.outputs(), (QJsonObject { { u"joined"_s, u"D"_s } }));
}

void TestWorkflowRun::edgeMappingFromInputsAndNodes()
{
    Spec s;
    s.o.id = u"map"_s;
    s.node(u"a"_s).node(u"b"_s);
    s.edge(u"input"_s, u"topic"_s, u"a"_s, u"subject"_s)
        .edge(u"input"_s, u"tone"_s, u"b"_s, u"tone"_s)
        .edge(u"a"_s, u"summary"_s, u"b"_s, u"draft"_s)
        .edge(u"a"_s, u"score"_s, u"b"_s, u"score"_s)
        .edge(u"ghost"_s, u"x"_s, u"b"_s, u"ghost"_s); // an unknown node feeds nothing
    WorkflowRun run(s.o, { { u"topic"_s, u"otters"_s }, { u"tone"_s, u"dry"_s }, { u"unused"_s, 1 } });
    QCOMPARE(startAll(run), QList<int> { 0 });
    QCOMPARE(run.inputsOf(0), (QJsonObject { { u"subject"_s, u"otters"_s } }));
    run.complete(0, { { u"summary"_s, u"S"_s }, { u"score"_s, 7 }, { u"extra"_s, true } });
    QCOMPARE(startAll(run), QList<int> { 1 });
    QCOMPARE(run.inputsOf(1),
        (QJsonObject { { u"tone"_s, u"dry"_s }, { u"draft"_s, u"S"_s }, { u"score"_s, 7 } }));
}

void TestWorkflowRun::absentValuesAreNotSet()
{
    WorkflowRun run(chain(), {}); // no topic
    QCOMPARE(startAll(run), QList<int> { 0 });
    QVERIFY(run.inputsOf(0).isEmpty());
    run.complete(0, { { u"other"_s, 1 } }); // no `text`
    startAll(run);
    QVERIFY(!run.inputsOf(1).contains(u"in"_s));
}

void TestWorkflowRun::failureInTheMiddleSkipsDownstream()
{
    WorkflowRun run(diamond(), {});
    startAll(run);
    run.complete(0, text(u"A"_s));
    QCOMPARE(startAll(run), (QList<int> { 1, 2 }));
    QVERIFY(run.fail(1, u"boom"_s)); // the first failure: the caller cancels c
    QVERIFY(run.stopping());
    QVERIFY(!run.settled()); // c still runs
    QCOMPARE(run.result(), RunResult::Running);
    run.setPartialText(2, u"half of c"_s);
    run.nodeCancelled(2);
    QVERIFY(run.settled());
    QCOMPARE(startAll(run), QList<int> {});
    QCOMPARE(run.skipRemaining(), QList<int> { 3 });
    QCOMPARE(run.state(3), State::Skipped);
    QCOMPARE(run.state(1), State::Failed);
    QCOMPARE(run.state(2), State::Cancelled);
    QCOMPARE(run.result(), RunResult::Failed);
    QCOMPARE(run.error(), u"node 'b' failed: boom"_s);
    QCOMPARE(run.outputs(), (QJsonObject { { u"partial"_s, QJsonObject { { u"c"_s, u"half of c"_s } } } }));
}

void TestWorkflowRun::firstFailureOnly()
{
    WorkflowRun run(diamond(), {});
    startAll(run);
    run.complete(0, text(u"A"_s));
    startAll(run);
    QVERIFY(run.fail(2, u"first"_s));
    QVERIFY(!run.fail(1, u"second"_s)); // already failing: not a new first failure
    QCOMPARE(run.error(), u"node 'c' failed: first"_s);
    // A failure after a cancel is not the run's failure either.
    WorkflowRun cancelled(diamond(), {});
    startAll(cancelled);
    cancelled.cancel();
    QVERIFY(!cancelled.fail(0, u"late"_s));
    QCOMPARE(cancelled.result(), RunResult::Cancelled);
}

void TestWorkflowRun::cancelStopsAndSkips()
{
    WorkflowRun run(chain(), {});
    QCOMPARE(startAll(run), QList<int> { 0 });
    run.cancel();
    QVERIFY(!run.settled());
    run.complete(0, text(u"A"_s)); // it finished anyway: b is ready but must not start
    QCOMPARE(startAll(run), QList<int> {});
    QVERIFY(run.settled());
    QCOMPARE(run.skipRemaining(), (QList<int> { 1, 2 }));
    QCOMPARE(run.result(), RunResult::Cancelled);
    QCOMPARE(run.error(), u"cancelled"_s);
    QVERIFY(run.outputs().isEmpty()); // c never ran: no output, no partial
}

void TestWorkflowRun::nodeConcurrencyLimit()
{
    Spec s;
    s.o.id = u"wide"_s;
    s.node(u"a"_s).node(u"b"_s).node(u"c"_s);
    WorkflowRun run(s.o, {}, 2);
    QCOMPARE(startAll(run), (QList<int> { 0, 1 }));
    run.complete(1, {});
    QCOMPARE(startAll(run), QList<int> { 2 });
    run.complete(0, {});
    run.complete(2, {});
    QCOMPARE(run.result(), RunResult::Completed);
}

void TestWorkflowRun::outputsAndPartials()
{
    Spec s;
    s.o.id = u"two"_s;
    s.node(u"a"_s).node(u"b"_s);
    s.output(u"fromA"_s, u"a"_s, u"text"_s)
        .output(u"fromB"_s, u"b"_s, u"text"_s)
        .output(u"none"_s, u"a"_s, u"x"_s);
    WorkflowRun run(s.o, {});
    startAll(run);
    run.complete(0, text(u"A"_s));
    run.setPartialText(1, u"B so far"_s);
    QVERIFY(run.fail(1, u"bad"_s));
    // Outputs of done nodes are kept; the failed node's text is under "partial".
    QCOMPARE(run.outputs(),
        (QJsonObject {
            { u"fromA"_s, u"A"_s }, { u"partial"_s, QJsonObject { { u"b"_s, u"B so far"_s } } } }));
}

void TestWorkflowRun::stuckWhenANodeCanNeverRun()
{
    Spec s;
    s.o.id = u"loop"_s;
    s.node(u"a"_s).node(u"b"_s).node(u"c"_s);
    s.edge(u"b"_s, u"x"_s, u"c"_s, u"x"_s).edge(u"c"_s, u"x"_s, u"b"_s, u"x"_s); // b <-> c
    WorkflowRun run(s.o, {});
    QCOMPARE(startAll(run), QList<int> { 0 });
    run.complete(0, {});
    QVERIFY(run.settled());
    QCOMPARE(run.skipRemaining(), (QList<int> { 1, 2 }));
    QCOMPARE(run.result(), RunResult::Stuck);
    QCOMPARE(run.error(), u"orchestration 'loop': some nodes could never run"_s);
}

void TestWorkflowRun::singleNode()
{
    WorkflowRun run = WorkflowRun::singleNode(chain(), u"b"_s, { { u"in"_s, u"given"_s } });
    QCOMPARE(run.size(), 1);
    QCOMPARE(run.node(0).id, u"b"_s);
    QCOMPARE(startAll(run), QList<int> { 0 });
    QCOMPARE(run.inputsOf(0), (QJsonObject { { u"in"_s, u"given"_s } }));
    run.complete(0, text(u"B"_s));
    QCOMPARE(run.result(), RunResult::Completed);
    QCOMPARE(run.outputs(), text(u"B"_s)); // the node's own outputs
}

QTEST_GUILESS_MAIN(TestWorkflowRun)
#include "tst_workflowrun.moc"
