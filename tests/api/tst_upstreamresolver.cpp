#include "core/api/UpstreamResolver.h"

#include <QTest>

using namespace Qt::StringLiterals;

// The upstream resolver on hand-built orchestrations and records: no engine, no store.
class TestUpstreamResolver : public QObject
{
    Q_OBJECT
private slots:
    void readsWorkflowInputsAndNodeOutputs();
    void appliesWorkflowInputDefaults();
    void missingNamesTheEdge();
    void onlyCompletedNodeStepsCount();
    void firstEdgeWithAValueWins();
    void contextRunOfTheSameNode();
    void ownInputsFromTheNodeStep();
    void latestUsableRunQuery();
    void usableRun();
};

namespace {

EdgeSpec edge(const QString &from, const QString &fromField, const QString &to, const QString &toField)
{
    EdgeSpec e;
    e.fromNode = from;
    e.fromField = fromField;
    e.toNode = to;
    e.toField = toField;
    return e;
}

// input.topic -> write.topic; write.text -> review.draft; input.tone -> review.tone
OrchestrationSpec brief()
{
    OrchestrationSpec o;
    o.id = u"brief"_s;
    FieldSpec topic;
    topic.name = u"topic"_s;
    FieldSpec tone;
    tone.name = u"tone"_s;
    o.inputs = { topic, tone };
    NodeSpec write;
    write.id = u"write"_s;
    write.agent = u"writer"_s;
    NodeSpec review;
    review.id = u"review"_s;
    review.agent = u"reviewer"_s;
    o.nodes = { write, review };
    o.edges = { edge(u"input"_s, u"topic"_s, u"write"_s, u"topic"_s),
        edge(u"write"_s, u"text"_s, u"review"_s, u"draft"_s),
        edge(u"input"_s, u"tone"_s, u"review"_s, u"tone"_s) };
    return o;
}

StepRecord nodeStep(
    const QString &node, StepStatus status, const QJsonObject &out, const QJsonObject &in = {})
{
    StepRecord s;
    s.kind = StepKind::Node;
    s.nodeId = node;
    s.status = status;
    s.outputData = out;
    s.inputData = in;
    return s;
}

ExecutionRecord fullRun()
{
    ExecutionRecord r;
    r.id = u"1a2b3c4d-0000"_s;
    r.orchestrationId = u"brief"_s;
    r.status = ExecutionStatus::Completed;
    r.testMode = TestMode::FullWorkflow;
    r.inputData = QJsonObject { { u"topic"_s, u"otters"_s }, { u"tone"_s, u"dry"_s } };
    r.steps = { nodeStep(u"write"_s, StepStatus::Completed, { { u"text"_s, u"Otters are..."_s } }) };
    return r;
}

} // namespace

void TestUpstreamResolver::readsWorkflowInputsAndNodeOutputs()
{
    const upstream::Resolution r = upstream::resolve(brief(), u"review"_s, fullRun());
    QCOMPARE(r.values, (QJsonObject { { u"draft"_s, u"Otters are..."_s }, { u"tone"_s, u"dry"_s } }));
    QVERIFY(r.missing.isEmpty());
    QVERIFY(r.problems.isEmpty());
    QCOMPARE(upstream::edgeFedInputs(brief(), u"review"_s), (QStringList { u"draft"_s, u"tone"_s }));
    QCOMPARE(upstream::edgeFedInputs(brief(), u"write"_s), QStringList { u"topic"_s });
}

void TestUpstreamResolver::appliesWorkflowInputDefaults()
{
    OrchestrationSpec o = brief();
    o.inputs[1].defaultValue = QJsonValue(u"warm"_s);
    ExecutionRecord run = fullRun();
    run.inputData.remove(u"tone"_s);
    const upstream::Resolution r = upstream::resolve(o, u"review"_s, run);
    QCOMPARE(r.values.value(u"tone"_s).toString(), u"warm"_s);
    QVERIFY(r.missing.isEmpty());
}

void TestUpstreamResolver::missingNamesTheEdge()
{
    ExecutionRecord run = fullRun();
    run.inputData.remove(u"tone"_s);
    run.steps[0].outputData = QJsonObject { { u"other"_s, 1 } };
    const upstream::Resolution r = upstream::resolve(brief(), u"review"_s, run);
    QVERIFY(r.values.isEmpty());
    QCOMPARE(r.missing, (QStringList { u"draft"_s, u"tone"_s }));
    QCOMPARE(r.problems,
        (QStringList { u"input 'draft' (edge write.text -> review.draft): node 'write' has no output "
                       "'text' in run 1a2b3c4d"_s,
            u"input 'tone' (edge input.tone -> review.tone): workflow input 'tone' is not in run 1a2b3c4d"_s }));
}

void TestUpstreamResolver::onlyCompletedNodeStepsCount()
{
    ExecutionRecord run = fullRun();
    run.steps = { nodeStep(u"write"_s, StepStatus::Failed, { { u"text"_s, u"half"_s } }),
        nodeStep(u"write"_s, StepStatus::Completed, { { u"text"_s, u"whole"_s } }) };
    QCOMPARE(upstream::resolve(brief(), u"review"_s, run).values.value(u"draft"_s).toString(), u"whole"_s);
    run.steps.removeLast();
    const upstream::Resolution r = upstream::resolve(brief(), u"review"_s, run);
    QCOMPARE(r.missing, QStringList { u"draft"_s });
    QVERIFY2(r.problems.value(0).contains(u"node 'write' did not complete in run 1a2b3c4d"_s),
        qPrintable(r.problems.value(0)));
}

void TestUpstreamResolver::firstEdgeWithAValueWins()
{
    OrchestrationSpec o = brief();
    // Two edges feed review.draft: the first has no value in the run, the second has one; a
    // third one after it must not overwrite it.
    o.edges.prepend(edge(u"write"_s, u"missing"_s, u"review"_s, u"draft"_s));
    o.edges.append(edge(u"input"_s, u"topic"_s, u"review"_s, u"draft"_s));
    const upstream::Resolution r = upstream::resolve(o, u"review"_s, fullRun());
    QCOMPARE(r.values.value(u"draft"_s).toString(), u"Otters are..."_s);
    QVERIFY(r.missing.isEmpty());
    QVERIFY(r.problems.isEmpty());
}

void TestUpstreamResolver::contextRunOfTheSameNode()
{
    ExecutionRecord run;
    run.id = u"ctx"_s;
    run.orchestrationId = u"brief"_s;
    run.testMode = TestMode::NodeInContext;
    run.nodeId = u"review"_s;
    run.status = ExecutionStatus::Completed;
    run.inputData = QJsonObject { { u"inputs"_s, QJsonObject { { u"strict"_s, true } } },
        { u"upstream"_s, QJsonObject { { u"draft"_s, u"edited"_s }, { u"tone"_s, u"odd"_s } } } };
    const upstream::Resolution r = upstream::resolve(brief(), u"review"_s, run);
    QCOMPARE(r.values, (QJsonObject { { u"draft"_s, u"edited"_s }, { u"tone"_s, u"odd"_s } }));
    QCOMPARE(r.ownInputs, (QJsonObject { { u"strict"_s, true } }));
    QVERIFY(r.missing.isEmpty());
    // A context run of another node gives nothing for this one.
    run.nodeId = u"write"_s;
    QCOMPARE(upstream::resolve(brief(), u"review"_s, run).missing, (QStringList { u"draft"_s, u"tone"_s }));
}

void TestUpstreamResolver::ownInputsFromTheNodeStep()
{
    ExecutionRecord run = fullRun();
    run.steps << nodeStep(u"review"_s, StepStatus::Completed, {},
        { { u"draft"_s, u"Otters are..."_s }, { u"tone"_s, u"dry"_s }, { u"strict"_s, true } });
    QCOMPARE(upstream::resolve(brief(), u"review"_s, run).ownInputs, (QJsonObject { { u"strict"_s, true } }));
}

void TestUpstreamResolver::latestUsableRunQuery()
{
    const HistoryQuery q = upstream::latestUsableRunQuery(u"org"_s, u"ws"_s, u"brief"_s);
    QCOMPARE(q.organizationId, u"org"_s);
    QCOMPARE(q.workspaceId, u"ws"_s);
    QCOMPARE(q.orchestrationId, u"brief"_s);
    QCOMPARE(q.statuses, QList<ExecutionStatus> { ExecutionStatus::Completed });
    QCOMPARE(q.testMode, std::optional<TestMode>(TestMode::FullWorkflow));
    QVERIFY(q.agentId.isEmpty());
    QVERIFY(!q.executionType.has_value());
    QCOMPARE(q.sort, HistoryQuery::Sort::NewestFirst);
    QCOMPARE(q.limit, 1);
}

void TestUpstreamResolver::usableRun()
{
    ExecutionRecord run = fullRun();
    QVERIFY(upstream::isUsableUpstreamRun(run, u"brief"_s));
    QVERIFY(!upstream::isUsableUpstreamRun(run, u"other"_s));
    run.status = ExecutionStatus::Failed;
    QVERIFY(!upstream::isUsableUpstreamRun(run, u"brief"_s));
    run = fullRun();
    run.testMode = TestMode::NodeInContext;
    QVERIFY(!upstream::isUsableUpstreamRun(run, u"brief"_s));
}

QTEST_GUILESS_MAIN(TestUpstreamResolver)
#include "tst_upstreamresolver.moc"
