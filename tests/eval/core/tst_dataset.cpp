#include "core/eval/Assertions.h"
#include "core/eval/Compare.h"
#include "core/eval/Dataset.h"
#include "core/eval/DatasetSupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>

// Datasets (docs/evaluations.md): validation with JSON paths, cases from JSONL and CSV files,
// variants as agent_overrides, appendCase, save as test case, baseline comparison and the
// example datasets against the example workspace.
class TestDataset : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void validationPaths_data();
    void validationPaths();
    void loadsTargetsAndDefaults();
    void inlineAgentTarget();
    void variantOverrides();
    void jsonlCases();
    void csvCases();
    void csvRecords();
    void caseLinesAndHash();
    void appendCaseKeepsTheFile();
    void appendCaseCreatesAFile();
    void caseFromRunPrefills();
    void compareRuns();
    void exampleDatasetsLoad();

private:
    Workspace m_ws;
    QTemporaryDir m_dir;
    QString write(const QString &name, const QByteArray &bytes);
    // The problems of a dataset whose cases all come from a cases file `name` holding `content`.
    QStringList casesFileProblems(const QString &name, const QByteArray &content);
};

namespace {

QString dataDir()
{
    return qEnvironmentVariable("EVAL_DATA_DIR");
}

// A dataset object on the critic of the test workspace with `extra` keys merged in.
QByteArray datasetJson(const char *extra)
{
    QJsonObject o = QJsonDocument::fromJson(
        QByteArray(R"({"format": "agentstudio-eval/1", "target": {"agent": "critic"},
        "cases": [{"id": "a", "inputs": {"draft": "x"}}]})"))
                        .object();
    const QJsonObject e = QJsonDocument::fromJson(QByteArray(extra)).object();
    for (auto it = e.begin(); it != e.end(); ++it)
        o.insert(it.key(), it.value());
    return QJsonDocument(o).toJson();
}

} // namespace

QString TestDataset::write(const QString &name, const QByteArray &bytes)
{
    const QString path = m_dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

QStringList TestDataset::casesFileProblems(const QString &name, const QByteArray &content)
{
    write(name, content);
    const QByteArray json
        = datasetJson(QStringLiteral(R"({"cases": [], "cases_file": "%1"})").arg(name).toUtf8().constData());
    QList<DatasetProblem> problems;
    if (Dataset::load(write(name + QStringLiteral(".eval.json"), json), m_ws, &problems).ok())
        return { QStringLiteral("(loaded without problems)") };
    return toStrings(problems);
}

void TestDataset::initTestCase()
{
    QVERIFY(m_dir.isValid());
    auto ws = Workspace::load(dataDir() + QStringLiteral("/eval-test.agents.json"));
    QVERIFY2(ws.ok(), qPrintable(ws.error()));
    m_ws = ws.value();
}

void TestDataset::validationPaths_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("problem");
    auto row = [](const char *name, const char *extra, const char *problem) {
        QTest::newRow(name) << datasetJson(extra) << QString::fromUtf8(problem);
    };
    row("format", R"({"format": "promptfoo"})",
        R"($.format: expected "agentstudio-eval/1", got "promptfoo")");
    row("unknown key", R"({"case": []})",
        "$.case: unknown key (known: format, name, description, target, variants, repeat, judge, defaults, "
        "cases_file, cases)");
    row("unknown agent", R"({"target": {"agent": "x"}})",
        "$.target: unknown agent 'x' (known: writer, critic, support)");
    row("unknown workflow", R"({"target": {"workflow": "w"}})",
        "$.target: unknown workflow 'w' (known: review)");
    row("unknown node", R"({"target": {"workflow": "review", "node": "n"}})",
        "$.target: workflow 'review' has no node 'n' (nodes: draft, check)");
    row("two targets", R"({"target": {"agent": "critic", "workflow": "review"}})",
        R"($.target: needs exactly one of "agent", "workflow" or "agent_spec")");
    row("node without workflow", R"({"target": {"agent": "critic", "node": "check"}})",
        R"($.target.node: only with a "workflow" target)");
    row("no target", R"({"target": null})", R"($.target: expected an object, got null)");
    row("input not in signature", R"({"cases": [{"id": "a", "inputs": {"draft": "x", "foo": 1}}]})",
        "$.cases[0].inputs.foo: not an input of agent 'critic'");
    row("input of the wrong type",
        R"({"cases": [{"id": "a", "inputs": {"draft": "x", "max_words": "many"}}]})",
        R"($.cases[0].inputs.max_words: expected an integer, got "many")");
    row("input out of range", R"({"cases": [{"id": "a", "inputs": {"draft": "x", "max_words": 0}}]})",
        "$.cases[0].inputs.max_words: must be ≥ 1 (got 0)");
    row("enum input", R"({"cases": [{"id": "a", "inputs": {"draft": "x", "audience": "kids"}}]})",
        R"($.cases[0].inputs.audience: must be one of general, executive (got "kids"))");
    row("missing required input", R"({"cases": [{"id": "a", "inputs": {}}]})",
        "$.cases[0].inputs: missing input 'draft' of agent 'critic'");
    row("unknown assertion type",
        R"({"cases": [{"id": "a", "inputs": {"draft": "x"}, "assert": [{"type": "equals", "value": 1}, {"type": "x"}]}]})",
        "$.cases[0].assert[1].type: unknown assertion type 'x' (known: equals, contains, icontains, regex, "
        "one_of, between, "
        "is_json, json_schema, starts_with, levenshtein, status, tool_called, trajectory, max_tool_calls, "
        "max_cost_usd, "
        "max_latency_ms, max_tokens, judge)");
    row("missing assertion key",
        R"({"cases": [{"id": "a", "inputs": {"draft": "x"}, "assert": [{"type": "one_of", "field": "verdict"}]}]})",
        "$.cases[0].assert[0].value: missing (required)");
    row("field not in outputs",
        R"({"cases": [{"id": "a", "inputs": {"draft": "x"}, "assert": [{"type": "equals", "field": "x", "value": 1}]}]})",
        "$.cases[0].assert[0].field: agent 'critic' has no output 'x' (outputs: verdict, score, issues, "
        "approved)");
    row("dotted field checks its head",
        R"({"cases": [{"id": "a", "inputs": {"draft": "x"}, "assert": [{"type": "equals", "field": "verdicts.0", "value": 1}]}]})",
        "$.cases[0].assert[0].field: agent 'critic' has no output 'verdicts' (outputs: verdict, score, "
        "issues, approved)");
    row("defaults field", R"({"defaults": {"assert": [{"type": "equals", "field": "x", "value": 1}]}})",
        "$.defaults.assert[0].field: agent 'critic' has no output 'x' (outputs: verdict, score, issues, "
        "approved)");
    row("invalid regex",
        R"({"cases": [{"id": "a", "inputs": {"draft": "x"}, "assert": [{"type": "regex", "value": "(("}]}]})",
        "$.cases[0].assert[0].value: invalid regular expression: missing closing parenthesis (at offset 2)");
    row("duplicate case id",
        R"({"cases": [{"id": "a", "inputs": {"draft": "x"}}, {"id": "a", "inputs": {"draft": "y"}}]})",
        "$.cases[1].id: duplicate case id 'a' (first at $.cases[0])");
    row("bad repeat", R"({"repeat": 0})", "$.repeat: expected an integer from 1 to 1000, got 0");
    row("fractional repeat", R"({"repeat": 1.5})", "$.repeat: expected an integer from 1 to 1000, got 1.5");
    row("unknown variant key", R"({"variants": [{"name": "v", "temperature": 0}]})",
        "$.variants[0].temperature: unknown key (known: name, description, instructions, prompt, model, "
        "parameters, nodes)");
    row("variant without name", R"({"variants": [{"instructions": "x"}]})",
        "$.variants[0].name: missing (required): a non-empty string");
    row("duplicate variant", R"({"variants": [{"name": "v"}, {"name": "v"}]})",
        "$.variants[1].name: duplicate variant name 'v'");
    row("variant unknown provider",
        R"({"variants": [{"name": "v", "model": {"provider": "openai", "name": "gpt"}}]})",
        R"($.variants[0].model.provider: unknown provider "openai" (known: offline))");
    row("nodes on an agent target", R"({"variants": [{"name": "v", "nodes": {}}]})",
        "$.variants[0].nodes: only for a workflow target");
    row("workflow variant unknown node",
        R"({"target": {"workflow": "review"}, "cases": [{"id": "a", "inputs": {"topic": "t"}}], "variants": [{"name": "v", "nodes": {"x": {"instructions": "y"}}}]})",
        "$.variants[0].nodes.x: workflow 'review' has no node 'x' (nodes: draft, check)");
    row("workflow variant top-level change",
        R"({"target": {"workflow": "review"}, "cases": [{"id": "a", "inputs": {"topic": "t"}}], "variants": [{"name": "v", "instructions": "y"}]})",
        R"($.variants[0].instructions: a workflow variant changes nodes: put it under "nodes": {"<node id>": {…}})");
    row("judge without rubric",
        R"({"cases": [{"id": "a", "inputs": {"draft": "x"}, "assert": [{"type": "judge", "agent": "critic"}]}]})",
        "$.cases[0].assert[0].rubric: missing (required)");
    row("judge unknown agent",
        R"({"cases": [{"id": "a", "inputs": {"draft": "x"}, "assert": [{"type": "judge", "agent": "grader", "rubric": "r"}]}]})",
        "$.cases[0].assert[0].agent: unknown agent 'grader' (known: writer, critic, support)");
    row("dataset judge provider", R"({"judge": {"model": {"provider": "openai", "name": "gpt-4o-mini"}}})",
        "$.judge.model.provider: unknown provider 'openai' (known: offline)");
    row("dataset judge key", R"({"judge": {"agent": "critic", "rubrik": "r"}})",
        "$.judge.rubrik: unknown key (known: agent, model, samples, threshold, template)");
    row("dataset judge samples", R"({"judge": {"agent": "critic", "samples": 0}})",
        "$.judge.samples: expected an integer ≥ 1, got 0");
    row("upstream on an agent target",
        R"({"cases": [{"id": "a", "inputs": {"draft": "x"}, "upstream": {"draft": "y"}}]})",
        "$.cases[0].upstream: only for a workflow node target (Node in Context)");
    row("upstream not edge-fed",
        R"({"target": {"workflow": "review", "node": "check"}, "cases": [{"id": "a", "inputs": {}, "upstream": {"strict": true}}]})",
        "$.cases[0].upstream.strict: not an input an edge feeds into node 'check' of workflow 'review' "
        "(edge-fed: draft)");
    row("bad tool override",
        R"({"cases": [{"id": "a", "inputs": {"draft": "x"}, "tool_overrides": {"orders": {"answer": 1}}}]})",
        "$.cases[0].tool_overrides.orders.answer: unknown field (expected result, error or latency_ms)");
    row("bad threshold", R"({"cases": [{"id": "a", "inputs": {"draft": "x"}, "threshold": 2}]})",
        "$.cases[0].threshold: expected a number between 0 and 1, got 2");
    row("unknown case key", R"({"cases": [{"id": "a", "vars": {}, "inputs": {"draft": "x"}}]})",
        "$.cases[0].vars: unknown key (known: id, description, inputs, upstream, metadata, tool_overrides, "
        "threshold, assert)");
    row("no cases", R"({"cases": []})",
        R"($.cases: the dataset has no cases (give "cases" or "cases_file"))");
    row("missing cases file", R"({"cases_file": "nope.jsonl"})", "$.cases_file: cannot read '");
}

void TestDataset::validationPaths()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, problem);
    QList<DatasetProblem> problems;
    const auto d = Dataset::fromJson(json, m_dir.filePath(QStringLiteral("d.eval.json")), m_ws, &problems);
    QVERIFY(!d.ok());
    QCOMPARE(problems.size(), 1);
    if (problem.endsWith(u'\''))
        QVERIFY2(problems.first().toString().startsWith(problem), qPrintable(problems.first().toString()));
    else
        QCOMPARE(problems.first().toString(), problem);
    QCOMPARE(d.error(), toStrings(problems).join(QLatin1Char('\n')));
}

void TestDataset::loadsTargetsAndDefaults()
{
    const QByteArray json = datasetJson(R"({"name": "n", "repeat": 3,
        "judge": {"agent": "critic", "samples": 3, "threshold": 0.7, "template": "closedqa"},
        "defaults": {"assert": [{"type": "status", "value": "completed"}], "threshold": 0.5},
        "cases": [{"id": "a", "description": "d", "metadata": {"tier": "smoke"}, "inputs": {"draft": "x"},
                   "tool_overrides": {"orders": {"result": 1}},
                   "assert": [{"type": "equals", "field": "verdict", "value": "revise"}]},
                  {"inputs": {"draft": "y"}, "threshold": 0.9}]})");
    QList<DatasetProblem> problems;
    const auto d = Dataset::fromJson(json, QStringLiteral("x.eval.json"), m_ws, &problems);
    QVERIFY2(d.ok(), qPrintable(d.error()));
    QCOMPARE(d.value().name, QStringLiteral("n"));
    QCOMPARE(d.value().repeat, 3);
    QCOMPARE(d.value().target.kind(), EvalTarget::Kind::Agent);
    QCOMPARE(d.value().target.label(), QStringLiteral("agent critic"));
    QCOMPARE(d.value().variants.size(), 1);
    QCOMPARE(d.value().variants.first().name, QStringLiteral("default"));
    QVERIFY(d.value().variants.first().isBaseline());
    QCOMPARE(d.value().judge.agent, QStringLiteral("critic"));
    QCOMPARE(d.value().judge.samples, 3);
    QCOMPARE(d.value().judge.threshold, std::optional<double>(0.7));
    QCOMPARE(d.value().judge.templateName, QStringLiteral("closedqa"));
    const EvalCase &a = d.value().cases.at(0);
    QCOMPARE(a.asserts.size(), 2);
    QCOMPARE(a.asserts.at(0).type, QStringLiteral("status")); // defaults first
    QCOMPARE(a.asserts.at(0).path, QStringLiteral("$.defaults.assert[0]"));
    QCOMPARE(a.asserts.at(1).label, QStringLiteral("equals(verdict)"));
    QCOMPARE(a.asserts.at(1).path, QStringLiteral("$.cases[0].assert[0]"));
    QCOMPARE(a.threshold, std::optional<double>(0.5));
    QCOMPARE(a.metadata.value(u"tier").toString(), QStringLiteral("smoke"));
    QCOMPARE(a.toolOverrides.value(u"orders").toObject().value(u"result").toInt(), 1);
    QCOMPARE(d.value().cases.at(1).id, QStringLiteral("case-2"));
    QCOMPARE(d.value().cases.at(1).threshold, std::optional<double>(0.9));
    QCOMPARE(d.value().cases.at(1).order, 1);
    QCOMPARE(d.value().findCase(QStringLiteral("a"))->description, QStringLiteral("d"));

    // Workflow and Node in Context targets: their own signatures.
    const auto w = Dataset::fromJson(
        datasetJson(R"({"target": {"workflow": "review"}, "cases": [{"id": "a", "inputs": {"topic": "t"},
        "assert": [{"type": "equals", "field": "verdict", "value": "approve"}]}]})"),
        QString(), m_ws, &problems);
    QVERIFY2(w.ok(), qPrintable(w.error()));
    QCOMPARE(w.value().target.label(), QStringLiteral("workflow review"));
    const auto n = Dataset::fromJson(datasetJson(R"({"target": {"workflow": "review", "node": "check"},
        "cases": [{"id": "a", "inputs": {"strict": true}, "upstream": {"draft": "text"}}]})"),
        QString(), m_ws, &problems);
    QVERIFY2(n.ok(), qPrintable(n.error()));
    QCOMPARE(n.value().target.label(), QStringLiteral("node review/check"));
    QCOMPARE(n.value().target.toJson(),
        QJsonDocument::fromJson(R"({"workflow": "review", "node": "check"})").object());
    QCOMPARE(n.value().cases.first().upstream.value(u"draft").toString(), QStringLiteral("text"));
    QVERIFY(problems.isEmpty());
}

void TestDataset::inlineAgentTarget()
{
    const QByteArray good = datasetJson(R"({"target": {"agent_spec": {"id": "p1", "name": "P", "version": "1",
        "model": {"provider": "local", "name": "m"}, "instructions": "Say {{topic}}",
        "signature": {"inputs": [{"name": "topic", "type": "str"}], "outputs": [{"name": "text", "type": "str"}]}},
        "providers": [{"id": "local", "kind": "ollama", "base_url": "http://127.0.0.1:1"}]},
        "variants": [{"name": "v", "prompt": "Tell {{topic}}", "model": {"provider": "local", "name": "m2"}}],
        "cases": [{"id": "a", "inputs": {"topic": "t"}, "assert": [{"type": "contains", "field": "text", "value": "t"}]}]})");
    QList<DatasetProblem> problems;
    const auto d = Dataset::fromJson(good, QString(), m_ws, &problems);
    QVERIFY2(d.ok(), qPrintable(d.error()));
    QCOMPARE(d.value().target.kind(), EvalTarget::Kind::Inline);
    QCOMPARE(d.value().target.label(), QStringLiteral("prompt"));
    QCOMPARE(d.value().target.providers.size(), 1);
    QCOMPARE(d.value().variants.first().agentOverrides(d.value().target),
        QJsonDocument::fromJson(
            R"({"p1": {"prompt": "Tell {{topic}}", "model": {"provider": "local", "name": "m2"}}})")
            .object());

    const QByteArray bad = datasetJson(R"({"target": {"agent_spec": {"id": "p1", "name": "P", "version": "1",
        "model": {"provider": "nowhere", "name": "m"}, "instructions": "x",
        "signature": {"inputs": [{"name": "topic", "type": "str"}], "outputs": [{"name": "text", "type": "str"}]}}},
        "cases": [{"id": "a", "inputs": {"topic": "t"}}]})");
    problems.clear();
    QVERIFY(!Dataset::fromJson(bad, QString(), m_ws, &problems).ok());
    QCOMPARE(problems.size(), 1);
    QVERIFY2(problems.first().path == u"$.target.agent_spec.model.provider",
        qPrintable(problems.first().toString()));
    QVERIFY2(problems.first().message.contains(u"nowhere"), qPrintable(problems.first().toString()));
}

void TestDataset::variantOverrides()
{
    QList<DatasetProblem> problems;
    const auto d = Dataset::fromJson(datasetJson(R"({"variants": [{"name": "base"},
        {"name": "strict", "instructions": "Be strict.", "model": {"provider": "offline", "name": "scripted"}, "parameters": {"temperature": 0.2}}]})"),
        QString(), m_ws, &problems);
    QVERIFY2(d.ok(), qPrintable(d.error()));
    QVERIFY(d.value().variants.at(0).isBaseline());
    QCOMPARE(d.value().variants.at(0).agentOverrides(d.value().target), QJsonObject());
    QVERIFY(!d.value().variants.at(1).isBaseline());
    QCOMPARE(d.value().variants.at(1).agentOverrides(d.value().target),
        QJsonDocument::fromJson(
            R"({"critic": {"instructions": "Be strict.", "model": {"provider": "offline", "name": "scripted", "temperature": 0.2}}})")
            .object());

    const auto w = Dataset::fromJson(
        datasetJson(R"({"target": {"workflow": "review"}, "cases": [{"id": "a", "inputs": {"topic": "t"}}],
        "variants": [{"name": "v", "nodes": {"check": {"instructions": "Strict.", "parameters": {"max_tokens": 50}}, "draft": {"model": {"name": "other"}}}}]})"),
        QString(), m_ws, &problems);
    QVERIFY2(w.ok(), qPrintable(w.error()));
    QCOMPARE(w.value().variants.first().agentOverrides(w.value().target),
        QJsonDocument::fromJson(
            R"({"check": {"instructions": "Strict.", "model": {"max_tokens": 50}}, "draft": {"model": {"name": "other"}}})")
            .object());

    const auto n = Dataset::fromJson(
        datasetJson(
            R"({"target": {"workflow": "review", "node": "check"}, "cases": [{"id": "a", "inputs": {}}],
        "variants": [{"name": "v", "instructions": "Strict."}]})"),
        QString(), m_ws, &problems);
    QVERIFY2(n.ok(), qPrintable(n.error()));
    QCOMPARE(n.value().variants.first().agentOverrides(n.value().target),
        QJsonDocument::fromJson(R"({"check": {"instructions": "Strict."}})").object());
}

void TestDataset::jsonlCases()
{
    write(QStringLiteral("good.jsonl"),
        R"({"id": "j1", "inputs": {"draft": "one"}, "assert": [{"type": "equals", "field": "verdict", "value": "revise"}]}

{"id": "j2", "inputs": {"draft": "two", "strict": true}}
)");
    QList<DatasetProblem> problems;
    const QString path = write(QStringLiteral("j.eval.json"),
        datasetJson(
            R"({"cases_file": "good.jsonl", "defaults": {"assert": [{"type": "status", "value": "completed"}]}})"));
    const auto d = Dataset::load(path, m_ws, &problems);
    QVERIFY2(d.ok(), qPrintable(d.error()));
    QCOMPARE(d.value().cases.size(), 3); // the inline one first
    QCOMPARE(d.value().cases.at(1).id, QStringLiteral("j1"));
    QCOMPARE(d.value().cases.at(1).line, 1);
    QCOMPARE(d.value().cases.at(1).file, m_dir.filePath(QStringLiteral("good.jsonl")));
    QCOMPARE(d.value().cases.at(1).asserts.size(), 2);
    QCOMPARE(d.value().cases.at(2).line, 3);
    QCOMPARE(d.value().cases.at(2).inputs.value(u"strict").toBool(), true);

    QCOMPARE(
        casesFileProblems(QStringLiteral("bad.jsonl"), R"({"id": "b1", "inputs": {"draft": "one", "foo": 1}}
{"id": "b2", "inputs": {"draft": 2}}
not json
{"id": "b1", "inputs": {"draft": "x"}, "assert": [{"type": "equals", "field": "nope", "value": 1}]}
)"),
        QStringList({ QStringLiteral("bad.jsonl:1: $.inputs.foo: not an input of agent 'critic'"),
            QStringLiteral("bad.jsonl:2: $.inputs.draft: expected a string, got 2"),
            QStringLiteral("bad.jsonl:3: not JSON: illegal value (column 2)"),
            QStringLiteral("bad.jsonl:4: $.assert[0].field: agent 'critic' has no output 'nope' (outputs: "
                           "verdict, score, issues, approved)"),
            QStringLiteral("bad.jsonl:4: $.id: duplicate case id 'b1' (first at bad.jsonl:1: $)") }));
}

void TestDataset::csvCases()
{
    write(QStringLiteral("cases.csv"),
        "draft,audience,strict,max_words,__expected,__description,__metadata:tier\r\n"
        "\"Short, sharp, done.\",executive,true,50,ok,Commas in a quoted field,smoke\r\n"
        "\"Line one\nline \"\"two\"\"\",,false,,,Newline and quotes,full\r\n");
    QList<DatasetProblem> problems;
    const QString path
        = write(QStringLiteral("c.eval.json"), datasetJson(R"({"cases": [], "cases_file": "cases.csv"})"));
    const auto d = Dataset::load(path, m_ws, &problems);
    QVERIFY2(d.ok(), qPrintable(d.error()));
    QCOMPARE(d.value().cases.size(), 2);
    const EvalCase &a = d.value().cases.at(0);
    QCOMPARE(a.inputs,
        QJsonDocument::fromJson(
            R"({"draft": "Short, sharp, done.", "audience": "executive", "strict": true, "max_words": 50})")
            .object());
    QCOMPARE(a.description, QStringLiteral("Commas in a quoted field"));
    QCOMPARE(a.metadata.value(u"tier").toString(), QStringLiteral("smoke"));
    QCOMPARE(a.asserts.size(), 1);
    QCOMPARE(a.asserts.first().type, QStringLiteral("equals"));
    QCOMPARE(a.asserts.first().value().toString(), QStringLiteral("ok"));
    QCOMPARE(a.line, 2);
    QCOMPARE(a.id, QStringLiteral("case-1"));
    const EvalCase &b = d.value().cases.at(1);
    QCOMPARE(b.inputs,
        QJsonDocument::fromJson(R"({"draft": "Line one\nline \"two\"", "strict": false})").object());
    QVERIFY(b.asserts.isEmpty());
    QCOMPARE(b.line, 3);

    QCOMPARE(casesFileProblems(QStringLiteral("bad.csv"), "draft,tone,max_words,__score\nx,a,many,1\ny,b\n"),
        QStringList({ QStringLiteral("bad.csv:1: column 'tone' is not an input of agent 'critic'"),
            QStringLiteral("bad.csv:1: column '__score' is not supported (known: __expected, __description, "
                           "__metadata:KEY)"),
            QStringLiteral("bad.csv:2: $.inputs.max_words: expected an integer, got \"many\""),
            QStringLiteral("bad.csv:3: expected 4 fields, got 2") }));
}

void TestDataset::csvRecords()
{
    QList<QStringList> records;
    QList<int> lines;
    QString error;
    QVERIFY(eval::detail::parseCsv("a,b\n\"x,\"\"y\"\"\",\"1\n2\"\n\nlast,\n", &records, &lines, &error));
    QCOMPARE(records.size(), 3);
    QCOMPARE(records.at(1), QStringList({ QStringLiteral("x,\"y\""), QStringLiteral("1\n2") }));
    QCOMPARE(records.at(2), QStringList({ QStringLiteral("last"), QString() }));
    QCOMPARE(lines, QList<int>({ 1, 2, 5 }));
    records.clear();
    lines.clear();
    QVERIFY(!eval::detail::parseCsv("a\n\"open\n", &records, &lines, &error));
    QCOMPARE(error, QStringLiteral("unterminated quoted field (opened on line 2)"));
}

void TestDataset::caseLinesAndHash()
{
    const QByteArray json = R"({
  "format": "agentstudio-eval/1",
  "target": {"agent": "critic"},
  "defaults": {"assert": [{"type": "status", "value": "completed"}]},
  "cases": [
    {"id": "one", "inputs": {"draft": "[{\"cases\": 1}]"}},

    {
      "id": "two",
      "inputs": {"draft": "x"}
    }
  ],
  "cases_file": "more.jsonl"
}
)";
    const QByteArray more = R"({"id": "three", "inputs": {"draft": "y"}})"
                            "\n";
    write(QStringLiteral("more.jsonl"), more);
    const QString path = write(QStringLiteral("lines.eval.json"), json);
    QList<DatasetProblem> problems;
    const auto d = Dataset::load(path, m_ws, &problems);
    QVERIFY2(d.ok(), qPrintable(d.error()));
    QCOMPARE(d.value().cases.at(0).line, 6);
    QCOMPARE(d.value().cases.at(1).line, 8);
    QCOMPARE(d.value().cases.at(0).file, path);
    QCOMPARE(d.value().sha256,
        QString::fromLatin1(
            QCryptographicHash::hash(QByteArray(json + more), QCryptographicHash::Sha256).toHex()));
    // toJson: the cases inlined, as written.
    const QJsonObject inlined = d.value().toJson();
    QVERIFY(!inlined.contains(u"cases_file"));
    QCOMPARE(inlined.value(u"cases").toArray().size(), 3);
    QCOMPARE(inlined.value(u"cases").toArray().at(2).toObject(), QJsonDocument::fromJson(more).object());
    QCOMPARE(inlined.value(u"defaults"), d.value().raw.value(u"defaults"));
}

void TestDataset::appendCaseKeepsTheFile()
{
    const QByteArray before = R"({
  "format": "agentstudio-eval/1",
  "x-owner": "qa",
  "target": {"agent": "critic"},
  "cases": [
    {"id": "a", "inputs": {"draft": "x"}},
    {"id": "a-2", "inputs": {"draft": "y"}}
  ]
}
)";
    const QString path = write(QStringLiteral("append.eval.json"), before);
    QJsonObject c = QJsonDocument::fromJson(
        R"({"id": "a", "inputs": {"draft": "z"}, "assert": [{"value": "completed", "type": "status"}]})")
                        .object();
    const auto id = Dataset::appendCase(path, {}, c);
    QVERIFY2(id.ok(), qPrintable(id.error()));
    QCOMPARE(id.value(), QStringLiteral("a-3"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray after = f.readAll();
    QCOMPARE(after, QByteArray(R"({
  "format": "agentstudio-eval/1",
  "x-owner": "qa",
  "target": {"agent": "critic"},
  "cases": [
    {"id": "a", "inputs": {"draft": "x"}},
    {"id": "a-2", "inputs": {"draft": "y"}},
    {
      "id": "a-3",
      "inputs": {"draft": "z"},
      "assert": [{"type": "status", "value": "completed"}]
    }
  ]
}
)"));
    // A file without "cases" gets the key.
    const QString bare = write(QStringLiteral("bare.eval.json"),
        "{\"format\": \"agentstudio-eval/1\", \"target\": {\"agent\": \"critic\"}}\n");
    QVERIFY(Dataset::appendCase(bare, {}, c).ok());
    QFile g(bare);
    QVERIFY(g.open(QIODevice::ReadOnly));
    const QJsonObject root = QJsonDocument::fromJson(g.readAll()).object();
    QCOMPARE(root.value(u"cases").toArray().size(), 1);
    QCOMPARE(root.value(u"cases").toArray().first().toObject().value(u"id").toString(), QStringLiteral("a"));
    QVERIFY(!Dataset::appendCase(write(QStringLiteral("broken.eval.json"), "{\"cases\": ["), {}, c).ok());
    // Ids in the JSONL cases file are taken as well.
    write(QStringLiteral("taken.jsonl"), "{\"id\": \"a\", \"inputs\": {\"draft\": \"q\"}}\n");
    const QString withFile = write(QStringLiteral("withfile.eval.json"),
        "{\"format\": \"agentstudio-eval/1\", \"target\": {\"agent\": \"critic\"}, \"cases_file\": "
        "\"taken.jsonl\"}\n");
    const auto second = Dataset::appendCase(withFile, {}, c);
    QVERIFY2(second.ok(), qPrintable(second.error()));
    QCOMPARE(second.value(), QStringLiteral("a-2"));
    QList<DatasetProblem> problems;
    const auto loaded = Dataset::load(withFile, m_ws, &problems);
    QVERIFY2(loaded.ok(), qPrintable(loaded.error()));
    QCOMPARE(loaded.value().cases.size(), 2);
}

void TestDataset::appendCaseCreatesAFile()
{
    const QString path = m_dir.filePath(QStringLiteral("new.eval.json"));
    const QJsonObject c = QJsonDocument::fromJson(R"({"id": "n1", "inputs": {"draft": "z"}})").object();
    const auto id = Dataset::appendCase(path, QJsonDocument::fromJson(R"({"agent": "critic"})").object(), c);
    QVERIFY2(id.ok(), qPrintable(id.error()));
    QCOMPARE(id.value(), QStringLiteral("n1"));
    QList<DatasetProblem> problems;
    const auto d = Dataset::load(path, m_ws, &problems);
    QVERIFY2(d.ok(), qPrintable(d.error()));
    QCOMPARE(d.value().name, QStringLiteral("new"));
    QCOMPARE(d.value().cases.size(), 1);
    QCOMPARE(d.value().cases.first().line, 6);
}

void TestDataset::caseFromRunPrefills()
{
    ExecutionRecord r;
    r.id = QStringLiteral("e-42");
    r.agentId = QStringLiteral("critic");
    r.status = ExecutionStatus::Completed;
    r.startedAt = QDateTime(QDate(2026, 12, 1), QTime(9, 30, 5), Qt::UTC);
    r.inputData = QJsonDocument::fromJson(R"({"draft": "x", "strict": true})").object();
    r.outputData
        = QJsonDocument::fromJson(R"({"verdict": "revise", "score": 6, "issues": [], "approved": false})")
              .object();
    r.executionTimeMs = 401;
    r.costUsd = 0.0015;
    StepRecord llm, tool, failed;
    llm.kind = StepKind::Llm;
    llm.stepNumber = 1;
    tool.kind = StepKind::Tool;
    tool.name = QStringLiteral("orders");
    tool.stepNumber = 2;
    tool.status = StepStatus::Completed;
    failed = tool;
    failed.name = QStringLiteral("refund_policy");
    failed.stepNumber = 3;
    failed.status = StepStatus::Failed;
    r.steps = { llm, tool, failed };
    const QJsonObject c = eval::caseFromRun(r, m_ws);
    QCOMPARE(c,
        QJsonDocument::fromJson(
            R"({"id": "critic-20261201-093005", "description": "saved from execution e-42",
        "inputs": {"draft": "x", "strict": true},
        "assert": [{"type": "status", "value": "completed"},
                   {"type": "equals", "field": "verdict", "value": "revise"},
                   {"type": "equals", "field": "approved", "value": false},
                   {"type": "trajectory", "mode": "in_order", "tools": ["orders"]},
                   {"type": "max_cost_usd", "value": 0.003},
                   {"type": "max_latency_ms", "value": 602}]})")
            .object());
    QCOMPARE(eval::targetOfRun(r), QJsonDocument::fromJson(R"({"agent": "critic"})").object());
    // The saved case is a valid case of a dataset on that target, and it passes on that run.
    const QString path = m_dir.filePath(QStringLiteral("saved.eval.json"));
    QVERIFY(Dataset::appendCase(path, eval::targetOfRun(r), c).ok());
    QList<DatasetProblem> problems;
    const auto d = Dataset::load(path, m_ws, &problems);
    QVERIFY2(d.ok(), qPrintable(d.error()));
    const CaseObservation obs
        = CaseObservation::fromRecord(r, m_ws.agent(QStringLiteral("critic"))->signature.outputs);
    QList<AssertionOutcome> outcomes;
    for (const EvalAssertion &a : d.value().cases.first().asserts)
        outcomes.append(eval::evaluate(a, obs));
    QCOMPARE(eval::verdict(outcomes, std::nullopt).outcome, EvalOutcome::Pass);

    // Node in Context: edge-fed inputs become upstream.
    ExecutionRecord n = r;
    n.agentId = QStringLiteral("critic");
    n.orchestrationId = QStringLiteral("review");
    n.nodeId = QStringLiteral("check");
    n.testMode = TestMode::NodeInContext;
    n.steps.clear();
    n.costUsd.reset();
    const QJsonObject nc = eval::caseFromRun(n, m_ws);
    QCOMPARE(nc.value(u"id").toString(), QStringLiteral("review-check-20261201-093005"));
    QCOMPARE(nc.value(u"inputs").toObject(), QJsonDocument::fromJson(R"({"strict": true})").object());
    QCOMPARE(nc.value(u"upstream").toObject(), QJsonDocument::fromJson(R"({"draft": "x"})").object());
    QCOMPARE(nc.value(u"assert").toArray().size(), 4); // status, two equals, latency: no tools, no cost
    QCOMPARE(
        eval::targetOfRun(n), QJsonDocument::fromJson(R"({"workflow": "review", "node": "check"})").object());
    n.nodeId.clear();
    n.testMode = TestMode::FullWorkflow;
    QCOMPARE(eval::targetOfRun(n), QJsonDocument::fromJson(R"({"workflow": "review"})").object());
}

void TestDataset::compareRuns()
{
    auto result
        = [](const char *id, EvalOutcome o, double score, qint64 latency, std::optional<double> cost) {
              EvalResultRecord r;
              r.caseId = QString::fromLatin1(id);
              r.variant = QStringLiteral("base");
              r.outcome = o;
              r.score = score;
              r.latencyMs = latency;
              r.costUsd = cost;
              return r;
          };
    EvalRunRecord base, cur;
    base.id = QStringLiteral("b");
    cur.id = QStringLiteral("c");
    base.costUsd = 0.01;
    cur.costUsd = 0.015;
    const QList<EvalResultRecord> before { result("same", EvalOutcome::Pass, 1, 100, 0.001),
        result("breaks", EvalOutcome::Pass, 1, 100, 0.001),
        result("heals", EvalOutcome::Fail, 0, 100, std::nullopt),
        result("gone", EvalOutcome::Pass, 1, 100, 0.001), result("errs", EvalOutcome::Pass, 1, 100, 0.001) };
    const QList<EvalResultRecord> after { result("new", EvalOutcome::Pass, 1, 50, 0.001),
        result("same", EvalOutcome::Pass, 1, 130, 0.003), result("breaks", EvalOutcome::Fail, 0.5, 90, 0.001),
        result("heals", EvalOutcome::Pass, 1, 100, 0.002), result("errs", EvalOutcome::Error, 0, -1, 0.001) };
    const EvalComparison c = eval::compareRuns(base, before, cur, after);
    QCOMPARE(c.cases.size(), 6);
    QStringList changes;
    for (const EvalCaseDelta &d : c.cases)
        changes << d.caseId + QLatin1Char('=') + toWire(d.change);
    QCOMPARE(changes,
        QStringList({ QStringLiteral("new=added"), QStringLiteral("same=same"),
            QStringLiteral("breaks=newly_failing"), QStringLiteral("heals=newly_passing"),
            QStringLiteral("errs=newly_failing"), QStringLiteral("gone=removed") }));
    QCOMPARE(c.newlyFailing, 2);
    QCOMPARE(c.newlyPassing, 1);
    QCOMPARE(c.added, 1);
    QCOMPARE(c.removed, 1);
    QCOMPARE(c.cases.at(1).latencyDeltaMs, std::optional<qint64>(30));
    QVERIFY(qAbs(*c.cases.at(1).costDeltaUsd - 0.002) < 1e-12);
    QVERIFY(!c.cases.at(3).costDeltaUsd); // the baseline's cost was unknown
    QVERIFY(!c.cases.at(4).latencyDeltaMs); // no latency for the errored run
    QCOMPARE(c.cases.at(2).scoreDelta, -0.5);
    QVERIFY(!c.cases.at(0).baseline);
    QVERIFY(!c.cases.at(5).current);
    QCOMPARE(c.latencyDeltaMs, std::optional<qint64>(30 - 10 + 0));
    QVERIFY(qAbs(*c.costDeltaUsd - 0.005) < 1e-12);
    QCOMPARE(c.meanScoreDelta, (0 - 0.5 + 1 - 1) / 4.0);
    const QJsonObject j = eval::toJson(c);
    QCOMPARE(j.value(u"newly_failing").toInt(), 2);
    QCOMPARE(j.value(u"baseline_id").toString(), QStringLiteral("b"));
    QCOMPARE(j.value(u"cases").toArray().at(2).toObject().value(u"change").toString(),
        QStringLiteral("newly_failing"));
    QVERIFY(j.value(u"cases").toArray().at(0).toObject().value(u"baseline").isNull());
}

void TestDataset::exampleDatasetsLoad()
{
    const QString dir = qEnvironmentVariable("EXAMPLES_DIR");
    auto ws = Workspace::load(dir + QStringLiteral("/example.agents.json"));
    QVERIFY2(ws.ok(), qPrintable(ws.error()));
    struct Expect
    {
        const char *file;
        int cases, variants;
    };
    for (const Expect &e : { Expect { "example.eval.json", 6, 3 },
             Expect { "example-support.eval.json", 5, 1 }, Expect { "example-triage.eval.json", 4, 1 } }) {
        QList<DatasetProblem> problems;
        const auto d = Dataset::load(dir + QLatin1Char('/') + QLatin1String(e.file), ws.value(), &problems);
        QVERIFY2(d.ok(), qPrintable(QLatin1String(e.file) + QStringLiteral(": ") + d.error()));
        QCOMPARE(d.value().cases.size(), e.cases);
        QCOMPARE(d.value().variants.size(), e.variants);
        for (const EvalCase &c : d.value().cases)
            QVERIFY2(c.line > 0, qPrintable(c.id));
    }
}

QTEST_GUILESS_MAIN(TestDataset)
#include "tst_dataset.moc"
