#include "core/model/Workspace.h"
#include "tests/support/TestSupport.h"

#include <QFile>
#include <QTest>

using namespace Qt::StringLiterals;
using Kind = ValidationProblem::Owner::Kind;

// Workspace::validate() gives each problem its owner, and the engine picks a run's problems by
// owner (problemsOwnedBy), never by the text of the path.
class TestValidationProblem : public QObject
{
    Q_OBJECT
private slots:
    void ownersAndText();
    void prefixIdsAreDifferentOwners();
    void ownedByPicksOrchestrationThenAgents();
    void toolSourceProblemsHaveTheirOwner();
};

namespace {

Workspace good()
{
    QFile f(testsupport::sourcePath(u"tests/model/data/good.agents.json"_s));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read good.agents.json");
    Result<Workspace> ws = Workspace::fromJson(f.readAll());
    if (!ws.ok())
        qFatal("%s", qPrintable(ws.error()));
    return ws.take();
}

// "writer" is valid, "writer2" (an id that "writer" is a prefix of) has a bad provider; eleven
// agents in all, so agents[1] and agents[10] both exist.
Workspace prefixWorkspace()
{
    Workspace ws = good();
    AgentSpec w2 = *ws.agent(u"writer"_s);
    w2.id = u"writer2"_s;
    w2.model.provider = u"nowhere"_s;
    ws.agents.insert(1, w2);
    for (int i = 0; ws.agents.size() < 10; ++i) {
        AgentSpec filler = *ws.agent(u"writer"_s);
        filler.id = u"filler%1"_s.arg(i);
        ws.agents.append(filler);
    }
    AgentSpec writer10 = *ws.agent(u"writer"_s);
    writer10.id = u"writer10"_s;
    writer10.model.temperature = 5.0;
    ws.agents.append(writer10); // agents[10]
    return ws;
}

} // namespace

void TestValidationProblem::ownersAndText()
{
    Workspace ws = good();
    QVERIFY(ws.validate().isEmpty());
    ws.format = u"other/9"_s;
    ws.agents[1].model.provider = u"ghost"_s;
    ws.orchestrations[0].nodes[1].agent = u"nobody"_s;
    const QList<ValidationProblem> problems = ws.validate();
    QCOMPARE(problems.size(), 3);
    QCOMPARE(problems.at(0).owner.kind, Kind::Workspace);
    QCOMPARE(problems.at(0).path, u"format"_s);
    QCOMPARE(problems.at(0).toString(), u"format: unsupported format 'other/9' (expected 'agentstudio/1')"_s);
    QCOMPARE(problems.at(1).owner.kind, Kind::Agent);
    QCOMPARE(problems.at(1).owner.id, u"critic"_s);
    QCOMPARE(problems.at(1).path, u"agents[1].model.provider"_s);
    QVERIFY2(
        problems.at(1).message.startsWith(u"unknown provider 'ghost'"_s), qPrintable(problems.at(1).message));
    QCOMPARE(problems.at(2).owner.kind, Kind::Orchestration);
    QCOMPARE(problems.at(2).owner.id, u"flow"_s);
    // The text is what it always was (the CLI and the UI print it).
    QCOMPARE(problems.at(2).toString(), u"orchestrations[0].nodes[1].agent: unknown agent 'nobody'"_s);
    QCOMPARE(toStrings(problems).size(), 3);
}

void TestValidationProblem::prefixIdsAreDifferentOwners()
{
    const QList<ValidationProblem> problems = prefixWorkspace().validate();
    QVERIFY(problemsOwnedBy(problems, { u"writer"_s }, {}).isEmpty());
    const QList<ValidationProblem> w2 = problemsOwnedBy(problems, { u"writer2"_s }, {});
    QCOMPARE(w2.size(), 1);
    QCOMPARE(w2.first().path, u"agents[1].model.provider"_s);
    const QList<ValidationProblem> w10 = problemsOwnedBy(problems, { u"writer10"_s }, {});
    QCOMPARE(w10.size(), 1);
    QCOMPARE(w10.first().path, u"agents[10].model.temperature"_s);
    QCOMPARE(w10.first().owner.id, u"writer10"_s);
}

void TestValidationProblem::ownedByPicksOrchestrationThenAgents()
{
    Workspace ws = prefixWorkspace();
    ws.orchestrations[0].nodes[0].agent = u"writer2"_s;
    ws.orchestrations[0].edges[0].toField = u"nope"_s;
    const QList<ValidationProblem> all = ws.validate();
    const QList<ValidationProblem> mine = problemsOwnedBy(all, { u"writer2"_s, u"critic"_s }, u"flow"_s);
    QVERIFY(mine.size() >= 2);
    QCOMPARE(mine.first().owner.kind, Kind::Orchestration);
    QCOMPARE(mine.last().owner.id, u"writer2"_s);
    for (const ValidationProblem &p : mine)
        QVERIFY2(p.owner.id != u"writer10"_s, qPrintable(p.toString()));
    QVERIFY(problemsOwnedBy(all, {}, QString()).isEmpty());
}

// A tool source's own problem belongs to the source; an agent's bad reference to the agent.
void TestValidationProblem::toolSourceProblemsHaveTheirOwner()
{
    Workspace ws = good();
    ToolSourceSpec broken;
    broken.id = u"files"_s;
    broken.kind = u"mcp"_s; // neither command nor url
    ws.tools.append(broken);
    ws.agents[0].tools = QStringList { u"files"_s, u"nowhere"_s };
    const QList<ValidationProblem> problems = ws.validate();
    QCOMPARE(problems.size(), 2);
    QCOMPARE(problems.at(0).owner.kind, Kind::ToolSource);
    QCOMPARE(problems.at(0).owner.id, u"files"_s);
    QCOMPARE(problems.at(0).path, u"tools.files"_s);
    QCOMPARE(problems.at(1).owner.kind, Kind::Agent);
    QCOMPARE(problems.at(1).owner.id, u"writer"_s);
    QCOMPARE(
        problems.at(1).toString(), u"agents[0].tools[1]: unknown tool source 'nowhere' (known: files)"_s);
    QCOMPARE(problemsOwnedBy(problems, { u"writer"_s }, {}).size(), 1);
}

QTEST_GUILESS_MAIN(TestValidationProblem)
#include "tst_validationproblem.moc"
