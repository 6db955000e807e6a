#include "core/common/Util.h"
#include "core/model/Workspace.h"
#include "tests/support/TestSupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

// A small valid workspace (good.agents.json); each validation row breaks it in one place by editing JSON
// paths, so the expected message can be matched exactly, path included. tests/model/data/good.agents.json (a
// file: moc cannot read multi-line raw strings).
static QByteArray goodJson()
{
    QFile f(testsupport::sourcePath(QStringLiteral("tests/model/data/good.agents.json")));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read good.agents.json");
    return f.readAll();
}

namespace {

struct Step
{
    QString key;
    int index = -1;
};

QList<Step> parsePath(const QString &path)
{
    QList<Step> steps;
    static const QRegularExpression token(QStringLiteral("([^.\\[\\]]+)|\\[(\\d+)\\]"));
    auto it = token.globalMatch(path);
    while (it.hasNext()) {
        const auto m = it.next();
        if (m.capturedLength(1))
            steps.append({ m.captured(1), -1 });
        else
            steps.append({ QString(), m.captured(2).toInt() });
    }
    return steps;
}

QJsonValue getPath(const QJsonValue &v, const QList<Step> &steps, qsizetype i = 0)
{
    if (i == steps.size())
        return v;
    const Step &s = steps.at(i);
    return getPath(s.index < 0 ? v.toObject().value(s.key) : v.toArray().at(s.index), steps, i + 1);
}

// Sets (or with remove, deletes) the value at a path; an index equal to the size appends.
QJsonValue setPath(
    const QJsonValue &v, const QList<Step> &steps, const QJsonValue &value, bool remove, qsizetype i = 0)
{
    if (i == steps.size())
        return value;
    const Step &s = steps.at(i);
    const bool last = i + 1 == steps.size();
    if (s.index < 0) {
        QJsonObject o = v.toObject();
        if (last && remove)
            o.remove(s.key);
        else
            o.insert(s.key, setPath(o.value(s.key), steps, value, remove, i + 1));
        return o;
    }
    QJsonArray a = v.toArray();
    if (last && remove)
        a.removeAt(s.index);
    else if (s.index >= a.size())
        a.append(setPath(QJsonValue(), steps, value, remove, i + 1));
    else
        a.replace(s.index, setPath(a.at(s.index), steps, value, remove, i + 1));
    return a;
}

// Edits: "path=JSON" sets, "-path" deletes, "path=@other.path" copies.
QByteArray edited(const QStringList &edits)
{
    QJsonValue root = QJsonDocument::fromJson(goodJson()).object();
    for (const QString &e : edits) {
        if (e.startsWith(QLatin1Char('-'))) {
            root = setPath(root, parsePath(e.mid(1)), QJsonValue(), true);
            continue;
        }
        const qsizetype eq = e.indexOf(QLatin1Char('='));
        const QString path = e.left(eq), text = e.mid(eq + 1);
        QJsonValue value;
        if (text.startsWith(QLatin1Char('@'))) {
            value = getPath(root, parsePath(text.mid(1)));
        } else {
            QString error;
            value = as::parseJsonValue(text, &error);
            if (!error.isEmpty())
                qFatal("bad edit %s: %s", qPrintable(e), qPrintable(error));
        }
        root = setPath(root, parsePath(path), value, false);
    }
    return QJsonDocument(root.toObject()).toJson();
}

QStringList problemsOf(const QByteArray &json)
{
    QStringList problems;
    const Result<Workspace> ws = Workspace::fromJson(json, &problems);
    if (ws.ok())
        return {};
    return problems;
}

} // namespace

class TestWorkspace final : public QObject
{
    Q_OBJECT

private slots:
    void goodWorkspaceLoads()
    {
        QStringList problems;
        const Result<Workspace> ws = Workspace::fromJson(goodJson(), &problems);
        QVERIFY2(ws.ok(), qPrintable(ws.error()));
        QVERIFY(problems.isEmpty());
        QCOMPARE(ws->workspaceId, QStringLiteral("t"));
        QCOMPARE(ws->providers.size(), 2);
        QCOMPARE(ws->provider(QStringLiteral("openai"))->apiKeyEnv, QStringLiteral("OPENAI_API_KEY"));
        QCOMPARE(ws->agents.size(), 3);
        const AgentSpec *writer = ws->agent(QStringLiteral("writer"));
        QVERIFY(writer);
        QCOMPARE(writer->signature.inputs.size(), 3);
        QVERIFY(writer->signature.inputs.at(0).required);
        QVERIFY(!writer->signature.inputs.at(1).required);
        QVERIFY(!writer->signature.inputs.at(2).required);
        QCOMPARE(writer->signature.inputs.at(1).type, FieldType::Enum);
        const OrchestrationSpec *flow = ws->orchestration(QStringLiteral("flow"));
        QVERIFY(flow);
        QCOMPARE(flow->edges.at(1).fromNode, QStringLiteral("draft"));
        QCOMPARE(flow->edges.at(1).fromField, QStringLiteral("text"));
        QCOMPARE(flow->edges.at(1).toNode, QStringLiteral("review"));
        QCOMPARE(flow->edges.at(1).toField, QStringLiteral("draft"));
        QCOMPARE(flow->outputs.at(0).fromNode, QStringLiteral("review"));
        QCOMPARE(flow->pins.value(QStringLiteral("review")).value(QLatin1String("draft")).toString(),
            QStringLiteral("pinned"));
        QVERIFY(ws->validate().isEmpty());
    }

    // One row per rule: the edits that break the good workspace and the exact message (path
    // and reason) that must be among the problems.
    void rules_data()
    {
        QTest::addColumn<QStringList>("edits");
        QTest::addColumn<QString>("expected");
        auto row = [](const char *name, const QStringList &edits, const QString &expected) {
            QTest::newRow(name) << edits << expected;
        };
        row("format wrong", { QStringLiteral(R"(format="agentstudio/9")") },
            QStringLiteral("format: unsupported format 'agentstudio/9' (expected 'agentstudio/1')"));
        row("format missing", { QStringLiteral("-format") }, QStringLiteral("format: missing"));
        row("agents not a list", { QStringLiteral("agents={}") },
            QStringLiteral("agents: expected a list, got {}"));
        row("agent not an object", { QStringLiteral("agents[3]=3") },
            QStringLiteral("agents[3]: expected an agent object, got 3"));
        row("unknown field type", { QStringLiteral(R"(agents[0].signature.inputs[0].type="strng")") },
            QStringLiteral("agents[0].signature.inputs[0].type: unknown type 'strng'"));
        row("missing field type", { QStringLiteral("-agents[1].signature.outputs[1].type") },
            QStringLiteral("agents[1].signature.outputs[1].type: missing"));
        row("missing agent id", { QStringLiteral("-agents[1].id") }, QStringLiteral("agents[1].id: missing"));
        row("invalid agent id", { QStringLiteral(R"(agents[2].id="count.er")") },
            QStringLiteral("agents[2].id: invalid id 'count.er'"));
        row("duplicate agent id", { QStringLiteral(R"(agents[2].id="writer")") },
            QStringLiteral("agents[2].id: duplicate id 'writer' (also agents[0])"));
        row("duplicate orchestration id", { QStringLiteral("orchestrations[1]=@orchestrations[0]") },
            QStringLiteral("orchestrations[1].id: duplicate id 'flow' (also orchestrations[0])"));
        row("duplicate node id", { QStringLiteral(R"(orchestrations[0].nodes[2].id="draft")") },
            QStringLiteral(
                "orchestrations[0].nodes[2].id: duplicate id 'draft' (also orchestrations[0].nodes[0])"));
        row("reserved node id", { QStringLiteral(R"(orchestrations[0].nodes[2].id="input")") },
            QStringLiteral("orchestrations[0].nodes[2].id: 'input' is reserved for the workflow inputs"));
        row("duplicate input field", { QStringLiteral(R"(agents[1].signature.inputs[1].name="draft")") },
            QStringLiteral("agents[1].signature.inputs[1].name: duplicate field 'draft' (also "
                           "agents[1].signature.inputs[0])"));
        row("duplicate workflow input", { QStringLiteral(R"(orchestrations[0].inputs[1].name="topic")") },
            QStringLiteral("orchestrations[0].inputs[1].name: duplicate field 'topic'"));
        row("unknown provider", { QStringLiteral(R"(agents[0].model.provider="nope")") },
            QStringLiteral("agents[0].model.provider: unknown provider 'nope' (known: offline, openai)"));
        row("missing provider", { QStringLiteral("-agents[0].model.provider") },
            QStringLiteral("agents[0].model.provider: missing"));
        row("missing model", { QStringLiteral("-agents[0].model") },
            QStringLiteral("agents[0].model: missing"));
        row("unknown provider kind", { QStringLiteral(R"(providers.offline.kind="pigeon")") },
            QStringLiteral("providers.offline.kind: unknown kind 'pigeon' (expected openai, anthropic, "
                           "ollama or scripted)"));
        row("missing provider kind", { QStringLiteral("-providers.offline.kind") },
            QStringLiteral("providers.offline.kind: missing"));
        row("bad base_url", { QStringLiteral(R"(providers.openai.base_url="api.openai.com")") },
            QStringLiteral("providers.openai.base_url: not an http(s) URL: 'api.openai.com'"));
        row("key in api_key_env", { QStringLiteral(R"(providers.openai.api_key_env="sk-proj-abc123")") },
            QStringLiteral("providers.openai.api_key_env: expected the NAME of an environment variable"));
        row("temperature out of range", { QStringLiteral("agents[0].model.temperature=3") },
            QStringLiteral("agents[0].model.temperature: must be between 0 and 2"));
        row("no outputs", { QStringLiteral("agents[0].signature.outputs=[]") },
            QStringLiteral("agents[0].signature.outputs: an agent needs at least one output field"));
        row("unknown agent in node", { QStringLiteral(R"(orchestrations[0].nodes[1].agent="ghost")") },
            QStringLiteral("orchestrations[0].nodes[1].agent: unknown agent 'ghost'"));
        row("node without agent", { QStringLiteral("-orchestrations[0].nodes[1].agent") },
            QStringLiteral("orchestrations[0].nodes[1].agent: missing"));
        row("no nodes",
            { QStringLiteral("orchestrations[0].nodes=[]"), QStringLiteral("orchestrations[0].edges=[]"),
                QStringLiteral("orchestrations[0].outputs=[]"), QStringLiteral("-orchestrations[0].pins") },
            QStringLiteral("orchestrations[0].nodes: a workflow needs at least one node"));
        row("edge from unknown node", { QStringLiteral(R"(orchestrations[0].edges[1].from="drift.text")") },
            QStringLiteral("orchestrations[0].edges[1].from: unknown node 'drift'"));
        row("edge to unknown node", { QStringLiteral(R"(orchestrations[0].edges[1].to="reviewer.draft")") },
            QStringLiteral("orchestrations[0].edges[1].to: unknown node 'reviewer'"));
        row("edge from unknown output", { QStringLiteral(R"(orchestrations[0].edges[1].from="draft.txt")") },
            QStringLiteral(
                "orchestrations[0].edges[1].from: node 'draft' (agent 'writer') has no output 'txt'"));
        row("edge from an input of the agent",
            { QStringLiteral(R"(orchestrations[0].edges[1].from="draft.topic")") },
            QStringLiteral(
                "orchestrations[0].edges[1].from: node 'draft' (agent 'writer') has no output 'topic'"));
        row("edge to unknown input", { QStringLiteral(R"(orchestrations[0].edges[1].to="review.drft")") },
            QStringLiteral(
                "orchestrations[0].edges[1].to: node 'review' (agent 'critic') has no input 'drft'"));
        row("edge from unknown workflow input",
            { QStringLiteral(R"(orchestrations[0].edges[0].from="input.subject")") },
            QStringLiteral("orchestrations[0].edges[0].from: unknown workflow input 'subject'"));
        row("edge endpoint without field", { QStringLiteral(R"(orchestrations[0].edges[0].from="topic")") },
            QStringLiteral(
                "orchestrations[0].edges[0].from: expected 'node.field' or 'input.field', got 'topic'"));
        row("edge without to", { QStringLiteral("-orchestrations[0].edges[0].to") },
            QStringLiteral("orchestrations[0].edges[0].to: missing"));
        row("edge into workflow inputs",
            { QStringLiteral(R"(orchestrations[0].edges[3]={"from":"draft.text","to":"input.topic"})") },
            QStringLiteral("orchestrations[0].edges[3].to: an edge cannot feed the workflow inputs"));
        row("type mismatch str to int",
            { QStringLiteral(R"(orchestrations[0].edges[2].from="input.topic")") },
            QStringLiteral(
                "orchestrations[0].edges[2]: input.topic -> count.n: type mismatch: str cannot feed int"));
        row("type mismatch float to int",
            { QStringLiteral(R"(orchestrations[0].edges[3]={"from":"count.total","to":"review.strict"})") },
            QStringLiteral("orchestrations[0].edges[3]: count.total -> review.strict: type mismatch: float "
                           "cannot feed bool"));
        row("type mismatch list[float] to list[int]",
            { QStringLiteral(R"(agents[2].signature.outputs[1].type="list[float]")"),
                QStringLiteral(R"(agents[2].signature.inputs[1].type="list[int]")"),
                QStringLiteral(R"(orchestrations[0].nodes[3]={"id":"count2","agent":"counter"})"),
                QStringLiteral(R"(orchestrations[0].edges[3]={"from":"input.n","to":"count2.n"})"),
                QStringLiteral(
                    R"(orchestrations[0].edges[4]={"from":"count.items","to":"count2.weights"})") },
            QStringLiteral("orchestrations[0].edges[4]: count.items -> count2.weights: type mismatch: "
                           "list[float] cannot feed list[int]"));
        row("enum choices not accepted",
            { QStringLiteral(
                  R"(agents[1].signature.inputs[1]={"name":"strict","type":"enum","choices":["ok"],"required":false})"),
                QStringLiteral(R"(orchestrations[0].nodes[3]={"id":"review2","agent":"critic"})"),
                QStringLiteral(R"(orchestrations[0].edges[3]={"from":"draft.text","to":"review2.draft"})"),
                QStringLiteral(
                    R"(orchestrations[0].edges[4]={"from":"review.verdict","to":"review2.strict"})") },
            QStringLiteral("orchestrations[0].edges[4]: review.verdict -> review2.strict: enum choices bad "
                           "are not accepted by the target"));
        row("cycle",
            { QStringLiteral(R"(orchestrations[0].edges[3]={"from":"review.verdict","to":"draft.notes"})") },
            QStringLiteral("orchestrations[0].edges: cycle draft -> review -> draft"));
        row("self loop",
            { QStringLiteral(R"(orchestrations[0].edges[3]={"from":"draft.text","to":"draft.notes"})") },
            QStringLiteral("orchestrations[0].edges: cycle draft -> draft"));
        row("required input fed by nothing", { QStringLiteral("-orchestrations[0].edges[0]") },
            QStringLiteral("orchestrations[0].nodes[0]: required input 'topic' of agent 'writer' is fed by "
                           "nothing (no edge, no default)"));
        row("pins do not feed full runs", { QStringLiteral("-orchestrations[0].edges[1]") },
            QStringLiteral("orchestrations[0].nodes[1]: required input 'draft' of agent 'critic' is fed by "
                           "nothing (no edge, no default)"));
        row("duplicate edge into one input",
            { QStringLiteral(R"(orchestrations[0].edges[3]={"from":"input.topic","to":"review.draft"})") },
            QStringLiteral(
                "orchestrations[0].edges[3].to: review.draft is already fed by orchestrations[0].edges[1]"));
        row("workflow output from unknown node",
            { QStringLiteral(R"(orchestrations[0].outputs[0].from="nowhere.verdict")") },
            QStringLiteral("orchestrations[0].outputs[0].from: unknown node 'nowhere'"));
        row("workflow output from unknown field",
            { QStringLiteral(R"(orchestrations[0].outputs[0].from="review.verdikt")") },
            QStringLiteral(
                "orchestrations[0].outputs[0].from: node 'review' (agent 'critic') has no output 'verdikt'"));
        row("workflow output without name", { QStringLiteral("-orchestrations[0].outputs[0].name") },
            QStringLiteral("orchestrations[0].outputs[0].name: missing"));
        row("duplicate workflow output",
            { QStringLiteral(R"(orchestrations[0].outputs[1]={"name":"verdict","from":"review.score"})") },
            QStringLiteral("orchestrations[0].outputs[1].name: duplicate output 'verdict' (also "
                           "orchestrations[0].outputs[0])"));
        row("default fails its field", { QStringLiteral(R"(agents[1].signature.inputs[1].default="yes")") },
            QStringLiteral(R"(agents[1].signature.inputs[1].default: expected true or false, got "yes")"));
        row("default out of range", { QStringLiteral("agents[1].signature.outputs[1].default=11") },
            QStringLiteral("agents[1].signature.outputs[1].default: must be ≤ 10 (got 11)"));
        row("enum without choices", { QStringLiteral("-agents[0].signature.inputs[1].choices") },
            QStringLiteral("agents[0].signature.inputs[1].choices: an enum needs at least one choice"));
        row("enum with empty choices", { QStringLiteral("agents[0].signature.inputs[1].choices=[]") },
            QStringLiteral("agents[0].signature.inputs[1].choices: an enum needs at least one choice"));
        row("min above max", { QStringLiteral("agents[1].signature.outputs[1].min=20") },
            QStringLiteral("agents[1].signature.outputs[1].min: 20 is greater than max 10"));
        row("example input of wrong type",
            { QStringLiteral(R"(agents[0].examples=[{"name":"x","inputs":{"topic":3}}])") },
            QStringLiteral("agents[0].examples[0].inputs.topic: expected a string, got 3"));
        row("example with unknown input",
            { QStringLiteral(R"(agents[0].examples=[{"name":"x","inputs":{"topik":"a"}}])") },
            QStringLiteral("agents[0].examples[0].inputs.topik: unknown input field"));
        row("workflow example input of wrong type",
            { QStringLiteral(R"(orchestrations[0].examples=[{"name":"x","inputs":{"topic":3}}])") },
            QStringLiteral("orchestrations[0].examples[0].inputs.topic: expected a string, got 3"));
        row("workflow example with unknown input",
            { QStringLiteral(R"(orchestrations[0].examples=[{"name":"x","inputs":{"topik":"a"}}])") },
            QStringLiteral("orchestrations[0].examples[0].inputs.topik: unknown input field"));
        row("workflow example not an object", { QStringLiteral("orchestrations[0].examples=[3]") },
            QStringLiteral("orchestrations[0].examples[0]: expected an object, got 3"));
        row("pin for unknown node", { QStringLiteral(R"(orchestrations[0].pins.ghost={"draft":"x"})") },
            QStringLiteral("orchestrations[0].pins.ghost: unknown node 'ghost'"));
        row("pin for unknown input", { QStringLiteral(R"(orchestrations[0].pins.review.drift="x")") },
            QStringLiteral("orchestrations[0].pins.review.drift: agent 'critic' has no input 'drift'"));
        row("pin of wrong type", { QStringLiteral("orchestrations[0].pins.review.draft=3") },
            QStringLiteral("orchestrations[0].pins.review.draft: expected a string, got 3"));
        row("pins not an object", { QStringLiteral("orchestrations[0].pins.review=[]") },
            QStringLiteral("orchestrations[0].pins.review: expected an object of input values, got []"));
    }

    void rules()
    {
        QFETCH(QStringList, edits);
        QFETCH(QString, expected);
        const QStringList problems = problemsOf(edited(edits));
        QVERIFY2(!problems.isEmpty(), "the broken workspace was accepted");
        bool found = false;
        for (const QString &p : problems)
            found = found || p.startsWith(expected);
        QVERIFY2(found,
            qPrintable(QStringLiteral("expected \"%1\" among:\n  %2")
                           .arg(expected, problems.join(QStringLiteral("\n  ")))));
        // The Failure message lists the same problems, one per line.
        const Result<Workspace> ws = Workspace::fromJson(edited(edits));
        QCOMPARE(ws.error().split(QLatin1Char('\n')), problems);
    }

    // Connections that are allowed: widening and anything into json.
    void compatibleEdges_data()
    {
        QTest::addColumn<QStringList>("edits");
        QTest::newRow("int to float") << QStringList {
            QStringLiteral(
                R"(agents[2].signature.inputs[1]={"name":"weights","type":"float","required":false})"),
            QStringLiteral(R"(orchestrations[0].edges[3]={"from":"review.score","to":"count.weights"})")
        };
        QTest::newRow("list[int] to list[float]") << QStringList {
            QStringLiteral(R"(orchestrations[0].nodes[3]={"id":"count2","agent":"counter"})"),
            QStringLiteral(R"(orchestrations[0].edges[3]={"from":"input.n","to":"count2.n"})"),
            QStringLiteral(R"(orchestrations[0].edges[4]={"from":"count.items","to":"count2.weights"})")
        };
        QTest::newRow("anything to json") << QStringList { QStringLiteral(
            R"(orchestrations[0].edges[3]={"from":"review.verdict","to":"count.extra"})") };
        QTest::newRow("enum to str") << QStringList {
            QStringLiteral(R"(orchestrations[0].nodes[3]={"id":"draft2","agent":"writer"})"),
            QStringLiteral(R"(orchestrations[0].edges[3]={"from":"review.verdict","to":"draft2.topic"})")
        };
        QTest::newRow("enum to a wider enum") << QStringList {
            QStringLiteral(R"(agents[0].signature.inputs[1].choices=["ok","bad","meh"])"),
            QStringLiteral(R"(agents[0].signature.inputs[1].default="ok")"),
            QStringLiteral(R"(orchestrations[0].nodes[3]={"id":"draft2","agent":"writer"})"),
            QStringLiteral(R"(orchestrations[0].edges[3]={"from":"input.topic","to":"draft2.topic"})"),
            QStringLiteral(R"(orchestrations[0].edges[4]={"from":"review.verdict","to":"draft2.audience"})")
        };
        QTest::newRow("workflow output from an input") << QStringList { QStringLiteral(
            R"(orchestrations[0].outputs[1]={"name":"topic","from":"input.topic"})") };
        QTest::newRow("optional input left unfed")
            << QStringList { QStringLiteral("-orchestrations[0].edges[2]"),
                   QStringLiteral(R"(agents[2].signature.inputs[0].default=1)") };
    }

    void compatibleEdges()
    {
        QFETCH(QStringList, edits);
        const QStringList problems = problemsOf(edited(edits));
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    }

    // A file with many mistakes gets all of them, not just the first.
    void everyProblemIsReported()
    {
        const QStringList problems = problemsOf(edited({
            QStringLiteral(R"(agents[0].signature.inputs[0].type="strng")"),
            QStringLiteral(R"(agents[1].model.provider="nope")"),
            QStringLiteral(R"(orchestrations[0].nodes[2].agent="ghost")"),
            QStringLiteral(R"(orchestrations[0].edges[1].to="review.drft")"),
            QStringLiteral(R"(orchestrations[0].outputs[0].from="nowhere.x")"),
        }));
        const QStringList expected = {
            QStringLiteral("agents[0].signature.inputs[0].type: unknown type 'strng'"),
            QStringLiteral("agents[1].model.provider: unknown provider 'nope'"),
            QStringLiteral("orchestrations[0].nodes[2].agent: unknown agent 'ghost'"),
            QStringLiteral(
                "orchestrations[0].edges[1].to: node 'review' (agent 'critic') has no input 'drft'"),
            QStringLiteral("orchestrations[0].outputs[0].from: unknown node 'nowhere'"),
        };
        for (const QString &e : expected) {
            bool found = false;
            for (const QString &p : problems)
                found = found || p.startsWith(e);
            QVERIFY2(
                found, qPrintable(e + QStringLiteral(" missing from:\n") + problems.join(QLatin1Char('\n'))));
        }
        // No problem is reported twice.
        QCOMPARE(QSet<QString>(problems.begin(), problems.end()).size(), problems.size());
    }

    void missingIdsGetDefaults()
    {
        const Result<Workspace> ws = Workspace::fromJson(
            edited({ QStringLiteral("-workspace_id"), QStringLiteral("-organization_id") }));
        QVERIFY2(ws.ok(), qPrintable(ws.error()));
        QCOMPARE(ws->workspaceId, QStringLiteral("default"));
        QCOMPARE(ws->organizationId, QStringLiteral("local"));
    }

    void invalidJson()
    {
        const QStringList problems
            = problemsOf(QByteArrayLiteral("{\n  \"format\": \"agentstudio/1\",\n  \"agents\": [\n}"));
        QCOMPARE(problems.size(), 1);
        QVERIFY2(problems.constFirst().startsWith(QStringLiteral("(root): invalid JSON at line 4")),
            qPrintable(problems.constFirst()));
        QCOMPARE(problemsOf("[1]"), QStringList { QStringLiteral("(root): expected a JSON object") });
    }

    void loadMissingFile()
    {
        const Result<Workspace> ws = Workspace::load(QStringLiteral("/nonexistent/x.agents.json"));
        QVERIFY(!ws.ok());
        QVERIFY(ws.error().contains(QStringLiteral("cannot read")));
    }

    // Unknown keys at every level survive load -> save -> load, and known keys are rewritten.
    void unknownKeysRoundTrip()
    {
        const QByteArray json = edited({
            QStringLiteral(R"(x_root={"keep":true})"),
            QStringLiteral(R"(providers.offline.x_provider="p")"),
            QStringLiteral(R"(agents[0].x_agent=[1,2])"),
            QStringLiteral(R"(agents[0].model.x_model="m")"),
            QStringLiteral(R"(agents[0].model.tokens_per_second=0)"),
            QStringLiteral(R"(agents[0].signature.x_signature="s")"),
            QStringLiteral(R"(agents[0].signature.inputs[0].x_field="f")"),
            QStringLiteral(R"(agents[0].examples=[{"name":"e","inputs":{"topic":"t"},"x_example":1}])"),
            QStringLiteral(R"(orchestrations[0].x_orchestration="o")"),
            QStringLiteral(R"(orchestrations[0].nodes[0].x_node={"pos":[1,2]})"),
            QStringLiteral(R"(orchestrations[0].edges[0].x_edge="e")"),
            QStringLiteral(R"(orchestrations[0].outputs[0].x_output="w")"),
            QStringLiteral(
                R"(orchestrations[0].examples=[{"name":"w","inputs":{"topic":"t"},"x_wexample":2}])"),
        });
        Result<Workspace> ws = Workspace::fromJson(json);
        QVERIFY2(ws.ok(), qPrintable(ws.error()));
        ws->agents[0].instructions = QStringLiteral("Changed.");
        ws->orchestrations[0].pins[QStringLiteral("draft")]
            = QJsonObject { { QStringLiteral("topic"), QStringLiteral("pinned topic") } };

        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("w.agents.json"));
        const Result<void> saved = ws->save(path);
        QVERIFY2(saved.ok(), qPrintable(saved.error()));
        QVERIFY(!QFile::exists(path + QStringLiteral(".tmp")));

        Result<Workspace> back = Workspace::load(path);
        QVERIFY2(back.ok(), qPrintable(back.error()));
        QCOMPARE(back->filePath, path);
        const QJsonObject o = back->toJson();
        auto at = [&o](const char *path) { return getPath(o, parsePath(QString::fromLatin1(path))); };
        QCOMPARE(at("x_root.keep").toBool(), true);
        QCOMPARE(at("providers.offline.x_provider").toString(), QStringLiteral("p"));
        QCOMPARE(at("agents[0].x_agent").toArray().size(), 2);
        QCOMPARE(at("agents[0].model.x_model").toString(), QStringLiteral("m"));
        QCOMPARE(at("agents[0].model.tokens_per_second").toInt(-1), 0);
        QCOMPARE(at("agents[0].signature.x_signature").toString(), QStringLiteral("s"));
        QCOMPARE(at("agents[0].signature.inputs[0].x_field").toString(), QStringLiteral("f"));
        QCOMPARE(at("agents[0].examples[0].x_example").toInt(), 1);
        QCOMPARE(at("orchestrations[0].x_orchestration").toString(), QStringLiteral("o"));
        QCOMPARE(at("orchestrations[0].nodes[0].x_node.pos[1]").toInt(), 2);
        QCOMPARE(at("orchestrations[0].edges[0].x_edge").toString(), QStringLiteral("e"));
        QCOMPARE(at("orchestrations[0].outputs[0].x_output").toString(), QStringLiteral("w"));
        QCOMPARE(at("orchestrations[0].examples[0].x_wexample").toInt(), 2);
        QCOMPARE(back->orchestrations.at(0).examples.size(), 1);
        QCOMPARE(back->orchestrations.at(0).examples.at(0).name, QStringLiteral("w"));
        QCOMPARE(back->orchestrations.at(0).examples.at(0).inputs.value(QLatin1String("topic")).toString(),
            QStringLiteral("t"));
        // Edited values are written.
        QCOMPARE(at("agents[0].instructions").toString(), QStringLiteral("Changed."));
        QCOMPARE(at("orchestrations[0].pins.draft.topic").toString(), QStringLiteral("pinned topic"));
        QCOMPARE(at("orchestrations[0].pins.review.draft").toString(), QStringLiteral("pinned"));
        QCOMPARE(back->orchestrations[0]
                     .pins.value(QStringLiteral("draft"))
                     .value(QLatin1String("topic"))
                     .toString(),
            QStringLiteral("pinned topic"));
        // A second save of the reloaded workspace is identical: nothing drifts.
        QCOMPARE(QJsonDocument(back->toJson()).toJson(), QJsonDocument(o).toJson());
    }

    // The example is kept in the writer's format: saving it untouched changes no byte, so a
    // workspace kept in version control shows only real edits.
    void savingAnUnchangedWorkspaceChangesNothing()
    {
        const QString source
            = testsupport::sourcePath(QStringLiteral("resources/examples/example.agents.json"));
        QFile f(source);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray original = f.readAll();
        const Result<Workspace> ws = Workspace::load(source);
        QVERIFY2(ws.ok(), qPrintable(ws.error()));
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("copy.agents.json"));
        QVERIFY(ws->save(path).ok());
        QFile saved(path);
        QVERIFY(saved.open(QIODevice::ReadOnly));
        QCOMPARE(saved.readAll(), original);
    }

    void writerFormat()
    {
        const Result<Workspace> ws
            = Workspace::fromJson(edited({ QStringLiteral(R"(agents[0].x_unknown=1)") }));
        QVERIFY(ws.ok());
        const QString text = QString::fromUtf8(ws->toJsonText());
        // Known keys first, in the documented order; unknown keys after them; short objects on one line.
        QVERIFY(text.startsWith(QStringLiteral("{\n  \"format\": \"agentstudio/1\",\n")));
        QVERIFY(text.indexOf(QStringLiteral("\"providers\"")) < text.indexOf(QStringLiteral("\"agents\"")));
        QVERIFY(
            text.indexOf(QStringLiteral("\"agents\"")) < text.indexOf(QStringLiteral("\"orchestrations\"")));
        QVERIFY(text.contains(QStringLiteral("{\"from\": \"input.topic\", \"to\": \"draft.topic\"}")));
        QVERIFY(text.contains(QStringLiteral("{\"name\": \"topic\", \"type\": \"str\"}")));
        const qsizetype agent = text.indexOf(QStringLiteral("\"id\": \"writer\""));
        QVERIFY(agent > 0);
        QVERIFY(agent < text.indexOf(QStringLiteral("\"signature\""), agent));
        QVERIFY(text.indexOf(QStringLiteral("\"signature\""), agent)
            < text.indexOf(QStringLiteral("\"x_unknown\""), agent));
        for (const QString &line : text.split(QLatin1Char('\n')))
            QVERIFY2(
                line.size() <= 120 || line.contains(QStringLiteral("\"instructions\"")), qPrintable(line));
        // And it is the same workspace.
        const Result<Workspace> back = Workspace::fromJson(ws->toJsonText());
        QVERIFY(back.ok());
        QCOMPARE(back->toJson(), ws->toJson());
    }

    void saveToUnwritablePlaceFails()
    {
        const Result<Workspace> ws = Workspace::fromJson(goodJson());
        QVERIFY(ws.ok());
        const Result<void> saved = ws->save(QStringLiteral("/nonexistent-dir/w.agents.json"));
        QVERIFY(!saved.ok());
        QVERIFY(saved.error().startsWith(QStringLiteral("/nonexistent-dir/w.agents.json: cannot write")));
    }

    // Programmatic edits are validated the same way as loaded files.
    void validateAfterEdits()
    {
        Result<Workspace> ws = Workspace::fromJson(goodJson());
        QVERIFY(ws.ok());
        ws->orchestrations[0].nodes[1].agent = QStringLiteral("ghost");
        QVERIFY(toStrings(ws->validate())
                    .contains(QStringLiteral("orchestrations[0].nodes[1].agent: unknown agent 'ghost'")));
    }

    void graphHelpers()
    {
        const Result<Workspace> ws = Workspace::fromJson(edited({
            QStringLiteral(
                R"(orchestrations[0].nodes=[{"id":"review","agent":"critic"},{"id":"count","agent":"counter"},{"id":"draft","agent":"writer"}])"),
        }));
        QVERIFY2(ws.ok(), qPrintable(ws.error()));
        const OrchestrationSpec &flow = ws->orchestrations.at(0);
        QCOMPARE(flow.topologicalOrder(),
            (QStringList { QStringLiteral("count"), QStringLiteral("draft"), QStringLiteral("review") }));
        QCOMPARE(flow.edgesInto(QStringLiteral("review")).size(), 1);
        QCOMPARE(flow.edgesInto(QStringLiteral("review")).at(0).fromNode, QStringLiteral("draft"));
        QCOMPARE(flow.edgesFrom(QStringLiteral("input")).size(), 2);
        QCOMPARE(flow.upstreamNodes(QStringLiteral("review")), QStringList { QStringLiteral("draft") });
        QVERIFY(flow.upstreamNodes(QStringLiteral("draft")).isEmpty());
        QVERIFY(flow.node(QStringLiteral("count")));
        QVERIFY(!flow.node(QStringLiteral("input")));
    }

    // Tools (docs/tools.md): defined below the class, out of moc's sight (their raw strings
    // hold quotes and parentheses moc's tokenizer miscounts).
    void toolsParse();
    void toolRules_data();
    void toolRules();
    void toolsRoundTrip();

    void exampleWorkspaceIsValidAndComplete()
    {
        QStringList problems;
        const Result<Workspace> file = Workspace::load(
            testsupport::sourcePath(QStringLiteral("resources/examples/example.agents.json")), &problems);
        QVERIFY2(file.ok(), qPrintable(file.error()));

        const Workspace ws = Workspace::example(); // the compiled-in copy
        QVERIFY(ws.validate().isEmpty());
        QCOMPARE(ws.toJson(), file->toJson());
        QVERIFY(ws.agents.size() >= 4);
        QCOMPARE(ws.orchestrations.size(), 3);

        // Together the signatures use every field type, and every agent has examples and runs
        // offline.
        QSet<int> types;
        bool multiline = false, bounded = false;
        for (const AgentSpec &a : ws.agents) {
            QCOMPARE(a.model.provider, QStringLiteral("offline"));
            QVERIFY2(!a.examples.isEmpty() && a.examples.size() <= 2, qPrintable(a.id));
            for (const QList<FieldSpec> *fields : { &a.signature.inputs, &a.signature.outputs })
                for (const FieldSpec &f : *fields) {
                    types.insert(static_cast<int>(f.type));
                    multiline = multiline || (f.type == FieldType::Str && f.multiline);
                    bounded = bounded || (f.type == FieldType::Int && f.min && f.max);
                }
        }
        QCOMPARE(types.size(), 9);
        QVERIFY(multiline);
        QVERIFY(bounded);
        QCOMPARE(ws.provider(QStringLiteral("offline"))->kind, QStringLiteral("scripted"));
        QCOMPARE(ws.provider(QStringLiteral("openai"))->kind, QStringLiteral("openai"));
        QCOMPARE(ws.provider(QStringLiteral("claude"))->kind, QStringLiteral("anthropic"));
        QCOMPARE(ws.provider(QStringLiteral("ollama"))->kind, QStringLiteral("ollama"));

        // One orchestration is a chain, one fans out and in again; both have pins, and examples
        // whose first one is complete (a fresh Full Workflow form can run at once).
        int fanOut = 0;
        for (const OrchestrationSpec &o : ws.orchestrations) {
            QVERIFY(!o.pins.isEmpty());
            QVERIFY(!o.inputs.isEmpty());
            QVERIFY(!o.outputs.isEmpty());
            QVERIFY2(!o.examples.isEmpty(), qPrintable(o.id));
            QStringList missing;
            QVERIFY2(validateInputs(o.inputs, o.examples.first().inputs, &missing).has_value(),
                qPrintable(o.id + QStringLiteral(": ") + missing.join(QStringLiteral("; "))));
            for (const NodeSpec &n : o.nodes)
                if (o.upstreamNodes(n.id).size() >= 2)
                    ++fanOut;
        }
        QCOMPARE(fanOut, 1);
    }

    void invalidExampleReportsEveryProblem()
    {
        QStringList problems;
        const Result<Workspace> ws = Workspace::load(
            testsupport::sourcePath(QStringLiteral("resources/examples/invalid.agents.json")), &problems);
        QVERIFY(!ws.ok());
        QVERIFY2(problems.size() >= 10, qPrintable(problems.join(QLatin1Char('\n'))));
        // In the order of the file: providers, then agents, then orchestrations.
        QVERIFY2(problems.constFirst().startsWith(QStringLiteral("providers.")),
            qPrintable(problems.constFirst()));
        QVERIFY(problems.constLast().startsWith(QStringLiteral("orchestrations[0]")));
        qsizetype lastAgent = -1, firstOrchestration = problems.size();
        for (qsizetype n = 0; n < problems.size(); ++n) {
            if (problems.at(n).startsWith(QStringLiteral("agents[")))
                lastAgent = n;
            if (problems.at(n).startsWith(QStringLiteral("orchestrations[")))
                firstOrchestration = qMin(firstOrchestration, n);
        }
        QVERIFY(lastAgent < firstOrchestration);
        for (const char *expected :
            { "agents[1].signature.inputs[0].type: unknown type 'strng'",
                "agents[1].model.provider: unknown provider 'nowhere'", "agents[2].id: duplicate id 'writer'",
                "providers.mystery.kind: unknown kind 'carrier-pigeon'",
                "orchestrations[0].edges: cycle a -> b -> a",
                "orchestrations[0].nodes[3]: required input 'topic'" }) {
            QVERIFY2(!problems.filter(QString::fromUtf8(expected)).isEmpty(), expected);
        }
    }
};

#ifndef Q_MOC_RUN

namespace {

// A valid set of tool sources every tools row starts from: a mock, a command, MCP over
// stdio and over HTTP; the writer agent names two of them.
QStringList toolsBase()
{
    return {
        QStringLiteral(
            R"(tools={"orders":{"kind":"mock","description":"Look up an order","parameters":{"type":"object","properties":{"order_id":{"type":"string"}},"required":["order_id"]},"responses":[{"when":{"order_id":"A1"},"result":{"status":"shipped"}},{"error":"order not found"}],"latency_ms":40},"weather":{"kind":"command","command":"python3","args":["tools/weather.py"],"env":{"UNITS":"metric"},"cwd":"tools","timeout_ms":5000},"files":{"kind":"mcp","command":"npx","args":["-y","server-filesystem","docs"]},"search":{"kind":"mcp","url":"http://127.0.0.1:9000/mcp","bearer_token_env":"SEARCH_TOKEN"}})"),
        QStringLiteral(R"(agents[0].tools=["orders","files/read_text_file"])"),
    };
}

} // namespace

void TestWorkspace::toolsParse()
{
    QStringList problems;
    const Result<Workspace> ws
        = Workspace::fromJson(edited(toolsBase() << QStringLiteral("agents[0].max_turns=3")), &problems);
    QVERIFY2(ws.ok(), qPrintable(ws.error()));
    QCOMPARE(ws->tools.size(), 4);
    const ToolSourceSpec *orders = ws->toolSource(QStringLiteral("orders"));
    QVERIFY(orders);
    QCOMPARE(orders->kind, QStringLiteral("mock"));
    QCOMPARE(orders->description, QStringLiteral("Look up an order"));
    QCOMPARE(orders->responses.size(), 2);
    QCOMPARE(orders->latencyMs, 40);
    QCOMPARE(orders->argumentSchema().value(QLatin1String("required")).toArray().at(0).toString(),
        QStringLiteral("order_id"));
    const ToolSourceSpec *weather = ws->toolSource(QStringLiteral("weather"));
    QCOMPARE(weather->command, QStringLiteral("python3"));
    QCOMPARE(weather->args, QStringList { QStringLiteral("tools/weather.py") });
    QCOMPARE(weather->env.value(QStringLiteral("UNITS")), QStringLiteral("metric"));
    QCOMPARE(weather->cwd, QStringLiteral("tools"));
    QCOMPARE(weather->timeoutMs, 5000);
    QCOMPARE(
        weather->argumentSchema(), (QJsonObject { { QStringLiteral("type"), QStringLiteral("object") } }));
    const ToolSourceSpec *search = ws->toolSource(QStringLiteral("search"));
    QCOMPARE(search->url, QStringLiteral("http://127.0.0.1:9000/mcp"));
    QCOMPARE(search->bearerTokenEnv, QStringLiteral("SEARCH_TOKEN"));
    QCOMPARE(search->timeoutMs, ToolSourceSpec::kDefaultTimeoutMs);
    QCOMPARE(ws->toolSource(QStringLiteral("files"))->args.size(), 3);
    QVERIFY(!ws->toolSource(QStringLiteral("nothing")));
    const AgentSpec *writer = ws->agent(QStringLiteral("writer"));
    QCOMPARE(
        writer->tools, (QStringList { QStringLiteral("orders"), QStringLiteral("files/read_text_file") }));
    QCOMPARE(writer->maxTurns, 3);
    QCOMPARE(ws->agent(QStringLiteral("critic"))->maxTurns, 8); // the default
    QVERIFY(ws->agent(QStringLiteral("critic"))->tools.isEmpty());
}

// One row per tools rule: edits on top of toolsBase() and EVERY problem they cause, exactly.
void TestWorkspace::toolRules_data()
{
    QTest::addColumn<QStringList>("edits");
    QTest::addColumn<QStringList>("expected");
    auto row = [](const char *name, const QStringList &edits, const QStringList &expected) {
        QTest::newRow(name) << (toolsBase() + edits) << expected;
    };
    const QString kinds = QStringLiteral("(expected mcp, command or mock)");
    row("tools not an object", { QStringLiteral("tools=[]"), QStringLiteral("agents[0].tools=[]") },
        { QStringLiteral("tools: expected an object, got []") });
    row("source not an object", { QStringLiteral("tools.orders=3") },
        { QStringLiteral("tools.orders: expected an object, got 3") });
    row("unknown kind", { QStringLiteral(R"(tools.orders.kind="rpc")") },
        { QStringLiteral("tools.orders.kind: unknown kind 'rpc' ") + kinds });
    row("kind missing", { QStringLiteral("-tools.orders.kind") },
        { QStringLiteral("tools.orders.kind: missing ") + kinds });
    row("kind not a string", { QStringLiteral("tools.orders.kind=1") },
        { QStringLiteral("tools.orders.kind: expected a string, got 1"),
            QStringLiteral("tools.orders.kind: missing ") + kinds });
    row("invalid source id", { QStringLiteral(R"(tools.a b={"kind":"mock","responses":[{"result":1}]})") },
        { QStringLiteral("tools.a b: invalid id 'a b' (letters, digits, '_' and '-' only)") });
    row("mcp without command or url", { QStringLiteral("-tools.files.command") },
        { QStringLiteral("tools.files: an mcp source needs a command (stdio) or a url (Streamable HTTP)") });
    row("mcp with command and url", { QStringLiteral(R"(tools.files.url="http://127.0.0.1:1/mcp")") },
        { QStringLiteral("tools.files: an mcp source takes a command or a url, not both") });
    row("mcp url not http", { QStringLiteral(R"(tools.search.url="ftp://h/mcp")") },
        { QStringLiteral("tools.search.url: not an http(s) URL: 'ftp://h/mcp'") });
    row("bearer token on stdio", { QStringLiteral(R"(tools.files.bearer_token_env="T")") },
        { QStringLiteral("tools.files.bearer_token_env: only a url source sends a bearer token") });
    row("bearer token that is a token", { QStringLiteral(R"(tools.search.bearer_token_env="sk-abc.def")") },
        { QStringLiteral(
            "tools.search.bearer_token_env: expected the NAME of an environment variable (letters, "
            "digits, '_'), never the token itself") });
    row("mcp with parameters", { QStringLiteral(R"(tools.files.parameters={"type":"object"})") },
        { QStringLiteral("tools.files.parameters: an mcp server describes its tools' parameters itself "
                         "(tools/list)") });
    row("command without command", { QStringLiteral("-tools.weather.command") },
        { QStringLiteral("tools.weather.command: missing (the program to run)") });
    row("command with url", { QStringLiteral(R"(tools.weather.url="http://h/")") },
        { QStringLiteral("tools.weather.url: only an mcp source has a url") });
    row("args not strings", { QStringLiteral(R"(tools.weather.args=["a",2])") },
        { QStringLiteral("tools.weather.args[1]: expected a string, got 2") });
    row("args not a list", { QStringLiteral(R"(tools.weather.args="a b")") },
        { QStringLiteral(R"(tools.weather.args: expected a list of strings, got "a b")") });
    row("env not strings", { QStringLiteral(R"(tools.weather.env={"A":1})") },
        { QStringLiteral("tools.weather.env.A: expected a string, got 1") });
    row("timeout zero", { QStringLiteral("tools.weather.timeout_ms=0") },
        { QStringLiteral("tools.weather.timeout_ms: must be ≥ 1") });
    row("latency negative", { QStringLiteral("tools.orders.latency_ms=-5") },
        { QStringLiteral("tools.orders.latency_ms: must be ≥ 0") });
    row("latency not a number", { QStringLiteral(R"(tools.orders.latency_ms="40")") },
        { QStringLiteral(R"(tools.orders.latency_ms: expected a whole number of milliseconds, got "40")") });
    row("mock without responses", { QStringLiteral("-tools.orders.responses") },
        { QStringLiteral("tools.orders.responses: a mock needs at least one response") });
    row("responses not a list", { QStringLiteral("tools.orders.responses={}") },
        { QStringLiteral("tools.orders.responses: expected a list of responses, got {}"),
            QStringLiteral("tools.orders.responses: a mock needs at least one response") });
    row("response not an object", { QStringLiteral("tools.orders.responses[1]=7") },
        { QStringLiteral("tools.orders.responses[1]: expected a response object, got 7") });
    row("response with neither", { QStringLiteral(R"(tools.orders.responses[1]={"when":{}})") },
        { QStringLiteral(R"(tools.orders.responses[1]: needs a "result" or an "error")") });
    row("response with both", { QStringLiteral(R"(tools.orders.responses[0].error="x")") },
        { QStringLiteral(R"(tools.orders.responses[0]: has both a "result" and an "error" (give one))") });
    row("response error not a string", { QStringLiteral(R"(tools.orders.responses[1].error={"code":1})") },
        { QStringLiteral(
            R"(tools.orders.responses[1].error: expected a string (the error message), got {"code":1})") });
    row("response when not an object", { QStringLiteral(R"(tools.orders.responses[0].when="A1")") },
        { QStringLiteral(
            R"(tools.orders.responses[0].when: expected an object of argument values, got "A1")") });
    row("parameters not an object", { QStringLiteral("tools.orders.parameters=3") },
        { QStringLiteral("tools.orders.parameters: expected a JSON Schema object, got 3") });
    row("parameters not an object schema",
        { QStringLiteral(R"(tools.weather.parameters={"type":"string"})") },
        { QStringLiteral(
            "tools.weather.parameters: must be an object schema ({\"type\": \"object\", …}): a tool's "
            "arguments are a JSON object") });
    row("parameters with a bad type",
        { QStringLiteral(R"(tools.orders.parameters.properties.order_id.type="strng")") },
        { QStringLiteral(
            "tools.orders.parameters.properties.order_id.type: unknown type 'strng' (expected string, "
            "number, integer, boolean, object, array or null)") });
    row("parameters with a bad pattern",
        { QStringLiteral(R"(tools.orders.parameters.properties.order_id.pattern="(")") },
        { QStringLiteral(
            "tools.orders.parameters.properties.order_id.pattern: invalid regular expression: missing "
            "closing parenthesis") });
    row("agent names an unknown source", { QStringLiteral(R"(agents[1].tools=["orders","wether"])") },
        { QStringLiteral("agents[1].tools[1]: unknown tool source 'wether' (known: files, orders, "
                         "search, weather)") });
    row("unknown source with none defined",
        { QStringLiteral("-tools"), QStringLiteral(R"(agents[0].tools=["x/y"])") },
        { QStringLiteral("agents[0].tools[0]: unknown tool source 'x' (none defined)") });
    row("source/tool on a mock", { QStringLiteral(R"(agents[0].tools=["orders/lookup"])") },
        { QStringLiteral(
            "agents[0].tools[0]: a mock source is one tool: name it 'orders', not 'orders/lookup'") });
    row("source/tool on a command", { QStringLiteral(R"(agents[0].tools[1]="weather/weather")") },
        { QStringLiteral("agents[0].tools[1]: a command source is one tool: name it 'weather', not "
                         "'weather/weather'") });
    row("empty source", { QStringLiteral(R"(agents[0].tools=["/read"])") },
        { QStringLiteral("agents[0].tools[0]: expected 'source' or 'source/tool', got '/read'") });
    row("trailing slash", { QStringLiteral(R"(agents[0].tools=["files/"])") },
        { QStringLiteral("agents[0].tools[0]: expected 'source' or 'source/tool', got 'files/'") });
    row("named twice", { QStringLiteral(R"(agents[0].tools[2]="orders")") },
        { QStringLiteral("agents[0].tools[2]: 'orders' is named twice (also agents[0].tools[0])") });
    row("tools not a list", { QStringLiteral(R"(agents[2].tools="orders")") },
        { QStringLiteral(R"(agents[2].tools: expected a list of tool sources, got "orders")") });
    row("tool reference not a string", { QStringLiteral("agents[0].tools[1]=5") },
        { QStringLiteral("agents[0].tools[1]: expected a string ('source' or 'source/tool'), got 5"),
            QStringLiteral("agents[0].tools[1]: expected 'source' or 'source/tool', got ''") });
    row("max_turns zero", { QStringLiteral("agents[0].max_turns=0") },
        { QStringLiteral("agents[0].max_turns: must be ≥ 1") });
    row("max_turns not an integer", { QStringLiteral("agents[0].max_turns=2.5") },
        { QStringLiteral("agents[0].max_turns: expected an integer, got 2.5") });
    // Problems come in file order: providers, tools, agents.
    row("order of sections",
        { QStringLiteral(R"(tools.orders.kind="x")"), QStringLiteral(R"(agents[0].tools[0]="nope")"),
            QStringLiteral(R"(providers.offline.kind="y")") },
        { QStringLiteral("providers.offline.kind: unknown kind 'y' (expected openai, anthropic, ollama "
                         "or scripted)"),
            QStringLiteral("tools.orders.kind: unknown kind 'x' ") + kinds,
            QStringLiteral("agents[0].tools[0]: unknown tool source 'nope' (known: files, orders, "
                           "search, weather)") });
}

void TestWorkspace::toolRules()
{
    QFETCH(QStringList, edits);
    QFETCH(QStringList, expected);
    QCOMPARE(problemsOf(edited(edits)), expected);
}

// Tool sources and agent tool fields survive load -> save -> load with unknown keys, are
// written in the documented key order, and an agent without them gets no new keys.
void TestWorkspace::toolsRoundTrip()
{
    Result<Workspace> ws = Workspace::fromJson(
        edited(toolsBase() << QStringLiteral(R"(tools.orders.x_source="keep")")
                           << QStringLiteral(R"(tools.orders.responses[0].x_response=1)")
                           << QStringLiteral("agents[0].max_turns=4")));
    QVERIFY2(ws.ok(), qPrintable(ws.error()));
    ws->agents[1].tools = QStringList { QStringLiteral("weather") };
    ToolSourceSpec added;
    added.id = QStringLiteral("calc");
    added.kind = QStringLiteral("command");
    added.command = QStringLiteral("bc");
    ws->tools.append(added);
    QVERIFY(ws->validate().isEmpty());

    const QByteArray text = ws->toJsonText();
    const Result<Workspace> back = Workspace::fromJson(text);
    QVERIFY2(back.ok(), qPrintable(back.error()));
    const QJsonObject o = back->toJson();
    auto at = [&o](const char *path) { return getPath(o, parsePath(QString::fromLatin1(path))); };
    QCOMPARE(at("tools.orders.x_source").toString(), QStringLiteral("keep"));
    QCOMPARE(at("tools.orders.responses[0].x_response").toInt(), 1);
    QCOMPARE(at("tools.orders.latency_ms").toInt(), 40);
    QCOMPARE(at("tools.calc"),
        QJsonValue(QJsonObject { { QStringLiteral("kind"), QStringLiteral("command") },
            { QStringLiteral("command"), QStringLiteral("bc") } }));
    QCOMPARE(at("tools.weather.timeout_ms").toInt(), 5000);
    QCOMPARE(at("agents[0].max_turns").toInt(), 4);
    QCOMPARE(at("agents[1].tools").toArray(), QJsonArray { QStringLiteral("weather") });
    QVERIFY(at("agents[1].max_turns").isUndefined());
    QVERIFY(at("agents[2].tools").isUndefined());
    QCOMPARE(back->toolSource(QStringLiteral("calc"))->timeoutMs, ToolSourceSpec::kDefaultTimeoutMs);
    QCOMPARE(QJsonDocument(o).toJson(), QJsonDocument(ws->toJson()).toJson());

    const QString t = QString::fromUtf8(text);
    QVERIFY(t.indexOf(QStringLiteral("\"providers\"")) < t.indexOf(QStringLiteral("\"tools\"")));
    QVERIFY(t.indexOf(QStringLiteral("\"tools\"")) < t.indexOf(QStringLiteral("\"agents\"")));
    QVERIFY2(
        t.contains(QStringLiteral("\"calc\": {\"kind\": \"command\", \"command\": \"bc\"}")), qPrintable(t));
    QVERIFY2(
        t.contains(QStringLiteral("{\"when\": {\"order_id\": \"A1\"}, \"result\": {\"status\": \"shipped\"}, "
                                  "\"x_response\": 1}")),
        qPrintable(t));
    QVERIFY2(
        t.contains(QStringLiteral("\"parameters\": {\"type\": \"object\", \"properties\": {\"order_id\": "
                                  "{\"type\": \"string\"}}, \"required\": [\"order_id\"]}")),
        qPrintable(t));
    const qsizetype writer = t.indexOf(QStringLiteral("\"id\": \"writer\""));
    QVERIFY(t.indexOf(QStringLiteral("\"instructions\""), writer)
        < t.indexOf(QStringLiteral("\"tools\""), writer));
    QVERIFY(t.indexOf(QStringLiteral("\"max_turns\""), writer)
        < t.indexOf(QStringLiteral("\"signature\""), writer));
    // A second save writes the same bytes.
    QCOMPARE(back->toJsonText(), text);
}

#endif // Q_MOC_RUN

QTEST_GUILESS_MAIN(TestWorkspace)
#include "tst_workspace.moc"
