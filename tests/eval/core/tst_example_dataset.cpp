#include "core/eval/Assertions.h"
#include "core/eval/Dataset.h"

#include "tests/support/TestSupport.h"

#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>

// The example datasets against the example workspace as the scripted provider really answers:
// each case of the baseline variant runs through `agentstudio-run run`, its record is
// evaluated, and exactly the cases documented as designed to fail fail, with the documented
// messages (docs/evaluations.md, "The example datasets").
class TestExampleDataset : public QObject
{
    Q_OBJECT

private slots:
    void outcomes_data();
    void outcomes();
};

void TestExampleDataset::outcomes_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QStringList>("failures"); // "case: reason prefix", in case order
    QTest::newRow("critic")
        << QStringLiteral("example.eval.json")
        << QStringList { QStringLiteral(
                             R"(wrong-verdict: equals(verdict): expected "approve", got "revise")"),
               QStringLiteral(
                   "too-tight-latency: max_latency_ms: expected a latency of at most 100 ms, got ") };
    QTest::newRow("support")
        << QStringLiteral("example-support.eval.json")
        << QStringList { QStringLiteral(
                             R"(looks-up-B7: tool_called(orders): expected orders{"order_id":"B7"} )"
                             R"(called at least once, got 0 matching call(s) among [orders, refund_policy])"),
               QStringLiteral("single-lookup: trajectory(exact): expected tool calls [orders] exactly, got "
                              "[orders, refund_policy] (score 0.000)") };
    QTest::newRow("triage") << QStringLiteral("example-triage.eval.json") << QStringList {};
}

void TestExampleDataset::outcomes()
{
    QFETCH(QString, file);
    QFETCH(QStringList, failures);
    const QString workspace
        = testsupport::sourcePath(QStringLiteral("resources/examples/example.agents.json"));
    auto ws = Workspace::load(workspace);
    QVERIFY2(ws.ok(), qPrintable(ws.error()));
    auto d = Dataset::load(testsupport::sourcePath(QStringLiteral("resources/examples/") + file), ws.value());
    QVERIFY2(d.ok(), qPrintable(d.error()));
    const AgentSpec *agent = ws.value().agent(d.value().target.agent);
    QVERIFY(agent);
    QTemporaryDir tmp;
    QStringList failed;
    for (const EvalCase &c : d.value().cases) {
        QStringList args { QStringLiteral("run"), QStringLiteral("--workspace"), workspace,
            QStringLiteral("--agent"), agent->id, QStringLiteral("--inputs"),
            testsupport::writeFile(
                tmp.path(), c.id + QStringLiteral(".json"), QJsonDocument(c.inputs).toJson()),
            QStringLiteral("--no-history"), QStringLiteral("--format"), QStringLiteral("json") };
        for (auto it = c.toolOverrides.begin(); it != c.toolOverrides.end(); ++it)
            args << QStringLiteral("--mock-tool")
                 << it.key() + QLatin1Char('=')
                    + testsupport::writeFile(tmp.path(), c.id + it.key() + QStringLiteral(".json"),
                        QJsonDocument(it.value().toObject()).toJson());
        const auto r
            = testsupport::runProcess(testsupport::binaryPath(QStringLiteral("run/agentstudio-run")), args);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const ExecutionRecord record = ExecutionRecord::fromJson(QJsonDocument::fromJson(r.out).object());
        QVERIFY2(!record.steps.isEmpty(), r.out.constData());
        const CaseObservation obs = CaseObservation::fromRecord(record, agent->signature.outputs);
        QList<AssertionOutcome> outcomes;
        for (const EvalAssertion &a : c.asserts)
            outcomes.append(eval::evaluate(a, obs, int(outcomes.size())));
        const eval::CaseVerdict v = eval::verdict(outcomes, c.threshold);
        QVERIFY2(v.outcome != EvalOutcome::Error, qPrintable(c.id + QStringLiteral(": ") + v.error));
        if (v.outcome == EvalOutcome::Pass)
            continue;
        for (const AssertionOutcome &o : outcomes)
            if (!o.pass)
                failed << c.id + QStringLiteral(": ") + o.reason;
    }
    QCOMPARE(failed.size(), failures.size());
    for (int i = 0; i < failed.size(); ++i)
        QVERIFY2(failed.at(i).startsWith(failures.at(i)), qPrintable(failed.at(i)));
}

QTEST_GUILESS_MAIN(TestExampleDataset)
#include "tst_example_dataset.moc"
