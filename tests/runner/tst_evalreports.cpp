#include "core/eval/Reports.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>
#include <QTimeZone>
#include <QXmlStreamReader>

using namespace Qt::StringLiterals;

// The reports of an eval run (core/eval/Reports): JUnit XML read back with QXmlStreamReader as
// a CI reporter reads it, CSV as RFC 4180 says, the jsonl events, the text table and the
// progress line. Records are built by hand: no engine, no store.
class TestEvalReports : public QObject
{
    Q_OBJECT

private slots:
    void junitCountsNamesAndMessages();
    void junitReplacesForbiddenCharacters();
    void junitClassnameHasOnlySeparatorDots();
    void labelledReasonsAreNotLabelledTwice();
    void csvQuotesFields();
    void jsonlEvents();
    void textTableListsFailuresAndComparison();
    void progressLine();

private:
    static EvalRunRecord run(int repeat = 1);
    static EvalResultRecord result(
        const QString &caseId, const QString &variant, EvalOutcome outcome, int repeat = 1);
};

EvalRunRecord TestEvalReports::run(int repeat)
{
    EvalRunRecord r;
    r.id = u"run-1"_s;
    r.name = u"critic regression"_s;
    r.datasetPath = u"/nonexistent/critic.eval.json"_s;
    r.variants = { u"baseline"_s, u"gpt-4.1"_s };
    r.repeat = repeat;
    r.status = EvalRunStatus::Completed;
    r.startedAt = QDateTime(QDate(2026, 12, 1), QTime(10, 0), QTimeZone::utc());
    r.wallMs = 9412;
    r.costUsd = 0.0024;
    return r;
}

EvalResultRecord TestEvalReports::result(
    const QString &caseId, const QString &variant, EvalOutcome outcome, int repeat)
{
    EvalResultRecord r;
    r.evalRunId = u"run-1"_s;
    r.caseId = caseId;
    r.variant = variant;
    r.repeatIndex = repeat;
    r.outcome = outcome;
    r.executionId = u"exec-"_s + caseId + u'-' + variant + u'-' + QString::number(repeat);
    r.latencyMs = 3104;
    r.costUsd = 0.0012;
    r.status = u"completed"_s;
    AssertionOutcome tool;
    tool.type = u"tool_called"_s;
    tool.label = u"tool_called(search_docs)"_s;
    tool.pass = true;
    tool.score = 1;
    AssertionOutcome eq;
    eq.index = 1;
    eq.type = u"equals"_s;
    eq.label = u"equals(verdict)"_s;
    eq.pass = outcome == EvalOutcome::Pass;
    eq.score = eq.pass ? 1 : 0;
    eq.reason = eq.pass ? u"equals \"revise\""_s : u"expected \"revise\", got \"accept\" (at $.verdict)"_s;
    r.assertions = { tool, eq };
    r.score = outcome == EvalOutcome::Pass ? 1 : 0.5;
    if (outcome == EvalOutcome::Error) {
        r.errorKind = u"cache_miss"_s;
        r.error = u"cache miss: openai gpt-4o-mini"_s;
    }
    return r;
}

struct ParsedCase
{
    QString suite, classname, name, time, failureType, failureMessage, failureText, errorType, errorMessage;
    bool skipped = false;
};

static QList<ParsedCase> parseJunit(const QByteArray &xml, QXmlStreamAttributes *root, QString *error)
{
    QList<ParsedCase> cases;
    QXmlStreamReader reader(xml);
    QString suite;
    while (!reader.atEnd()) {
        if (reader.readNext() != QXmlStreamReader::StartElement)
            continue;
        const auto name = reader.name();
        if (name == "testsuites"_L1)
            *root = reader.attributes();
        else if (name == "testsuite"_L1)
            suite = reader.attributes().value("name"_L1).toString();
        else if (name == "testcase"_L1) {
            ParsedCase c;
            c.suite = suite;
            c.classname = reader.attributes().value("classname"_L1).toString();
            c.name = reader.attributes().value("name"_L1).toString();
            c.time = reader.attributes().value("time"_L1).toString();
            cases.append(c);
        } else if (name == "failure"_L1) {
            cases.last().failureType = reader.attributes().value("type"_L1).toString();
            cases.last().failureMessage = reader.attributes().value("message"_L1).toString();
            cases.last().failureText = reader.readElementText();
        } else if (name == "error"_L1) {
            cases.last().errorType = reader.attributes().value("type"_L1).toString();
            cases.last().errorMessage = reader.attributes().value("message"_L1).toString();
        } else if (name == "skipped"_L1)
            cases.last().skipped = true;
    }
    if (reader.hasError())
        *error = reader.errorString();
    return cases;
}

// Totals on the root, one suite per variant, one case per case × repeat with its name, and the
// failure's message = the first failed assertion; the body has a line per assertion and the
// score.
void TestEvalReports::junitCountsNamesAndMessages()
{
    const QList<EvalResultRecord> results { result(u"short-draft"_s, u"baseline"_s, EvalOutcome::Fail, 1),
        result(u"short-draft"_s, u"baseline"_s, EvalOutcome::Pass, 2),
        result(u"long-draft"_s, u"baseline"_s, EvalOutcome::Error, 1),
        result(u"long-draft"_s, u"baseline"_s, EvalOutcome::Skipped, 2),
        result(u"short-draft"_s, u"gpt-4.1"_s, EvalOutcome::Pass, 1) };
    const QByteArray xml = evalreport::junit(run(2), results);
    QXmlStreamAttributes root;
    QString error;
    const QList<ParsedCase> cases = parseJunit(xml, &root, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(root.value("name"_L1).toString(), u"critic regression"_s);
    QCOMPARE(root.value("tests"_L1).toString(), u"5"_s);
    QCOMPARE(root.value("failures"_L1).toString(), u"1"_s);
    QCOMPARE(root.value("errors"_L1).toString(), u"1"_s);
    QCOMPARE(root.value("skipped"_L1).toString(), u"1"_s);
    QCOMPARE(root.value("time"_L1).toString(), u"9.412"_s);
    QCOMPARE(root.value("timestamp"_L1).toString(), u"2026-12-01T10:00:00"_s);
    QCOMPARE(cases.size(), 5);
    QCOMPARE(cases.at(0).suite, u"baseline"_s);
    QCOMPARE(cases.at(0).name, u"short-draft [1/2]"_s);
    QCOMPARE(cases.at(0).time, u"3.104"_s);
    QCOMPARE(cases.at(0).failureType, u"assertion"_s);
    QCOMPARE(
        cases.at(0).failureMessage, u"equals(verdict): expected \"revise\", got \"accept\" (at $.verdict)"_s);
    QCOMPARE(cases.at(0).failureText,
        u"✓ tool_called(search_docs)\n✗ equals(verdict): expected \"revise\", got \"accept\" (at $.verdict)\n"
        "score 0.50 (all must pass)"_s);
    QCOMPARE(cases.at(2).errorType, u"cache_miss"_s);
    QCOMPARE(cases.at(2).errorMessage, u"cache miss: openai gpt-4o-mini"_s);
    QVERIFY(cases.at(3).skipped);
    QCOMPARE(cases.at(4).suite, u"gpt-4.1"_s);
    QSet<QString> names;
    for (const ParsedCase &c : cases)
        names.insert(c.classname + u'/' + c.name);
    QCOMPARE(names.size(), cases.size());
}

// NUL, other C0 controls, U+FFFF and a lone surrogate are not legal XML even escaped: they
// come out as visible \uXXXX text and the document still parses.
void TestEvalReports::junitReplacesForbiddenCharacters()
{
    EvalResultRecord r = result(u"ctl"_s, u"baseline"_s, EvalOutcome::Fail);
    r.assertions[1].reason = u"got \"a"_s + QChar(0) + u"b"_s + QChar(0x1b) + u"c"_s + QChar(0xFFFF)
        + QChar(0xD800) + u"d <&> ]]>\""_s;
    r.output = QString(u"out"_s + QChar(0x7) + u"put"_s);
    const QByteArray xml = evalreport::junit(run(), { r });
    QVERIFY(!xml.isEmpty());
    QXmlStreamAttributes root;
    QString error;
    const QList<ParsedCase> cases = parseJunit(xml, &root, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(cases.size(), 1);
    QCOMPARE(
        cases.first().failureMessage, u"equals(verdict): got \"a\\u0000b\\u001bc\\uffff\\ud800d <&> ]]>\""_s);
    QVERIFY(xml.contains("out\\u0007put"));
}

// Jenkins splits a classname at its last dot: dataset and variant names lose theirs.
void TestEvalReports::junitClassnameHasOnlySeparatorDots()
{
    EvalRunRecord r = run();
    r.name = u"gpt-4.1 checks/v2"_s;
    const QByteArray xml = evalreport::junit(r, { result(u"a"_s, u"gpt-4.1"_s, EvalOutcome::Pass) });
    QXmlStreamAttributes root;
    QString error;
    const QList<ParsedCase> cases = parseJunit(xml, &root, &error);
    QCOMPARE(cases.size(), 1);
    QCOMPARE(cases.first().classname, u"agentstudio.gpt-4_1_checks_v2.gpt-4_1"_s);
}

// Assertion reasons may start with their label already ("contains: expected …"): the report
// does not repeat it.
void TestEvalReports::labelledReasonsAreNotLabelledTwice()
{
    EvalResultRecord r = result(u"a"_s, u"baseline"_s, EvalOutcome::Fail);
    r.assertions[1].label = u"contains"_s;
    r.assertions[1].reason = u"contains: expected \"goodbye\", got \"hello\""_s;
    QXmlStreamAttributes root;
    QString error;
    const QList<ParsedCase> cases = parseJunit(evalreport::junit(run(), { r }), &root, &error);
    QCOMPARE(cases.size(), 1);
    QCOMPARE(cases.first().failureMessage, u"contains: expected \"goodbye\", got \"hello\""_s);
    QVERIFY2(cases.first().failureText.contains(u"\n✗ contains: expected \"goodbye\", got \"hello\"\n"_s),
        qPrintable(cases.first().failureText));
    const QString text = evalreport::textTable(run(), { r });
    QVERIFY2(!text.contains(u"contains: contains"_s), qPrintable(text));
}

void TestEvalReports::csvQuotesFields()
{
    EvalResultRecord r = result(u"a,b"_s, u"base\"line"_s, EvalOutcome::Fail);
    r.assertions[1].reason = u"line one\nline two"_s;
    const QString text = QString::fromUtf8(evalreport::csv(run(), { r }));
    const QStringList lines = text.split(u"\r\n"_s);
    QCOMPARE(lines.size(), 3); // header, row, "" after the last CRLF
    QVERIFY(lines.at(0).startsWith(u"case,variant,repeat,outcome,score,latency_ms"_s));
    QVERIFY2(
        lines.at(1).startsWith(u"\"a,b\",\"base\"\"line\",1,fail,0.5000,3104,"_s), qPrintable(lines.at(1)));
    QVERIFY2(lines.at(1).endsWith(u",equals(verdict): line one line two"_s), qPrintable(lines.at(1)));
}

void TestEvalReports::jsonlEvents()
{
    const QJsonObject event = evalreport::resultEvent(result(u"a"_s, u"baseline"_s, EvalOutcome::Pass));
    QCOMPARE(event.value(u"type"_s).toString(), u"result"_s);
    QCOMPARE(event.value(u"case_id"_s).toString(), u"a"_s);
    QCOMPARE(event.value(u"outcome"_s).toString(), u"pass"_s);
    const QJsonObject summary = evalreport::summaryEvent(run());
    QCOMPARE(summary.value(u"type"_s).toString(), u"summary"_s);
    QCOMPARE(summary.value(u"id"_s).toString(), u"run-1"_s);
    const QJsonObject doc = evalreport::json(run(), { result(u"a"_s, u"baseline"_s, EvalOutcome::Pass) });
    QCOMPARE(doc.value(u"results"_s).toArray().size(), 1);
    QCOMPARE(doc.value(u"run"_s).toObject().value(u"id"_s).toString(), u"run-1"_s);
}

void TestEvalReports::textTableListsFailuresAndComparison()
{
    const QList<EvalResultRecord> results { result(u"short-draft"_s, u"baseline"_s, EvalOutcome::Fail),
        result(u"short-draft"_s, u"gpt-4.1"_s, EvalOutcome::Pass) };
    EvalComparison c;
    c.baselineId = u"run-0"_s;
    c.currentId = u"run-1"_s;
    EvalCaseDelta d;
    d.caseId = u"short-draft"_s;
    d.variant = u"baseline"_s;
    d.change = EvalCaseDelta::Change::NewlyFailing;
    c.cases = { d };
    c.newlyFailing = 1;
    c.costDeltaUsd = 0.001;
    const QString text = evalreport::textTable(run(), results, c);
    QVERIFY2(text.contains(u"case         baseline"_s), qPrintable(text));
    QVERIFY2(
        text.contains(u"short-draft  fail 0.50 3.1 s $0.0012  pass 1.00 3.1 s $0.0012"_s), qPrintable(text));
    QVERIFY2(text.contains(
                 u"  short-draft [baseline] fail: equals(verdict): expected \"revise\", got \"accept\""_s),
        qPrintable(text));
    QVERIFY2(text.contains(u"2 case runs: 1 passed, 1 failed, 0 errors, 0 skipped · agent $0.0024"_s),
        qPrintable(text));
    QVERIFY2(
        text.contains(u"Compared with eval run run-0: 1 newly failing, 0 newly passing"_s), qPrintable(text));
    QVERIFY2(text.contains(u"  newly failing: short-draft [baseline]"_s), qPrintable(text));
    QVERIFY2(text.contains(u"cost +$0.0010"_s), qPrintable(text));
}

void TestEvalReports::progressLine()
{
    EvalProgress p;
    p.total = 40;
    p.done = 12;
    p.passed = 10;
    p.failed = 2;
    p.costUsd = 0.0123;
    p.etaMs = 8000;
    QCOMPARE(evalreport::progressLine(p), u"12/40 done · 10 passed · 2 failed · $0.0123 · ETA 8.0 s"_s);
    p.costUsd.reset();
    p.etaMs = -1;
    p.errored = 1;
    QCOMPARE(evalreport::progressLine(p),
        u"12/40 done · 10 passed · 2 failed · 1 errors · price unknown · ETA -"_s);
}

QTEST_GUILESS_MAIN(TestEvalReports)
#include "tst_evalreports.moc"
