#include "core/eval/Assertions.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

// Deterministic assertions: every type with passing and failing rows and the exact message,
// the JSON Schema subset, trajectory modes and their scores, scoring with weights and a
// threshold, and what a run record becomes (docs/evaluations.md).
class TestAssertions : public QObject
{
    Q_OBJECT

private slots:
    void evaluates_data();
    void evaluates();
    void parseProblems_data();
    void parseProblems();
    void jsonSchemaSubset_data();
    void jsonSchemaSubset();
    void trajectoryScores_data();
    void trajectoryScores();
    void trajectoryModeScores();
    void verdictScoring_data();
    void verdictScoring();
    void observationFromRecord();
};

namespace {

QJsonObject obj(const char *json)
{
    QJsonParseError e;
    const QJsonDocument d = QJsonDocument::fromJson(QByteArray(json), &e);
    if (e.error != QJsonParseError::NoError)
        qFatal("bad test JSON: %s in %s", qPrintable(e.errorString()), json);
    return d.object();
}

// {"text"?, "output"?, "status"?, "error"?, "latency"?, "cost"?, "tokens"?, "cached"?, "calls"?}
CaseObservation observation(const QJsonObject &o)
{
    CaseObservation obs;
    obs.status = o.value(u"status").toString(QStringLiteral("completed"));
    obs.errorMessage = o.value(u"error").toString();
    obs.output = o.value(u"output").toObject();
    obs.outputText = o.contains(u"text")
        ? o.value(u"text").toString()
        : QString::fromUtf8(QJsonDocument(obs.output).toJson(QJsonDocument::Compact));
    obs.latencyMs = o.value(u"latency").toInteger(100);
    obs.tokens = o.value(u"tokens").toInteger(50);
    if (!o.contains(u"cost") || o.value(u"cost").isDouble())
        obs.costUsd = o.value(u"cost").toDouble(0.001);
    obs.cached = o.value(u"cached").toBool();
    for (const QJsonValue &c : o.value(u"calls").toArray()) {
        const QJsonObject x = c.toObject();
        obs.toolCalls.append({ x.value(u"name").toString(), QStringLiteral("src"),
            x.value(u"args").toObject(), x.value(u"ok").toBool(true), x.value(u"turn").toInt(1) });
    }
    return obs;
}

const char *const kCritic
    = R"({"output": {"verdict": "accept", "score": 6, "issues": ["too long", "tone"], "confidence": 0.88}})";
const char *const kHello = R"({"text": "Hello world"})";
const char *const kCalls
    = R"({"calls": [{"name": "orders", "args": {"order_id": "A1", "opts": {"deep": true, "n": 1}}, "turn": 1},
    {"name": "refund_policy", "args": {"category": "books"}, "turn": 1},
    {"name": "orders", "args": {"order_id": "B7"}, "ok": false, "turn": 2}]})";

} // namespace

namespace {

void row(
    const char *name, const char *a, const char *o, bool pass, const char *reason, const char *error = "")
{
    QTest::newRow(name) << QString::fromUtf8(a) << QString::fromUtf8(o) << pass << QString::fromUtf8(reason)
                        << QString::fromUtf8(error);
}

void valueRows()
{
    // equals
    row("equals field pass", R"({"type": "equals", "field": "verdict", "value": "accept"})", kCritic, true,
        R"(equals(verdict): got "accept")");
    row("equals field fail", R"({"type": "equals", "field": "verdict", "value": "revise"})", kCritic, false,
        R"(equals(verdict): expected "revise", got "accept")");
    row("equals number by value", R"({"type": "equals", "field": "score", "value": 6.0})", kCritic, true,
        "equals(score): got 6");
    row("equals list field", R"({"type": "equals", "field": "issues", "value": ["too long"]})", kCritic,
        false, R"(equals(issues): expected ["too long"], got ["too long","tone"])");
    row("equals whole text pass", R"({"type": "equals", "value": "Hello world"})", kHello, true,
        R"(equals: got "Hello world")");
    row("equals whole text no trim", R"({"type": "equals", "value": "Hello world "})", kHello, false,
        R"(equals: expected "Hello world ", got "Hello world")");
    row("equals whole object", R"({"type": "equals", "value": {"a": 1}})", R"({"text": "{\"a\": 1.0}"})",
        true, R"(equals: got "{\"a\": 1.0}")");
    row("not equals fail", R"({"type": "equals", "field": "verdict", "value": "accept", "not": true})",
        kCritic, false, R"(not equals(verdict): expected not "accept", got "accept")");
    row("not equals pass", R"({"type": "equals", "field": "verdict", "value": "revise", "not": true})",
        kCritic, true, R"(not equals(verdict): got "accept")");
    row("missing field fails", R"({"type": "equals", "field": "nope", "value": "x"})", kCritic, false,
        R"(equals(nope): expected "x", got nothing (no field 'nope' in the output))");
    row("missing field fails negated", R"({"type": "equals", "field": "nope", "value": "x", "not": true})",
        kCritic, false, R"(not equals(nope): expected not "x", got nothing (no field 'nope' in the output))");
    row("dotted path", R"({"type": "equals", "field": "facts.order.id", "value": "A1"})",
        R"({"output": {"facts": {"order": {"id": "A1"}}}})", true, R"(equals(facts.order.id): got "A1")");
    row("failed run has no output", R"({"type": "contains", "value": "x"})",
        R"({"status": "failed", "error": "provider down", "text": ""})", false,
        R"(contains: expected text containing "x", got no output (the run ended failed: provider down))");
    // contains / icontains
    row("contains list field", R"({"type": "contains", "field": "issues", "value": "long"})", kCritic, true,
        R"(contains(issues): got ["too long","tone"])");
    row("contains fail", R"({"type": "contains", "field": "issues", "value": "length"})", kCritic, false,
        R"(contains(issues): expected text containing "length", got ["too long","tone"])");
    row("contains all fail", R"({"type": "contains", "field": "issues", "value": ["long", "length"]})",
        kCritic, false,
        R"(contains(issues): expected text containing all of ["long","length"], got ["too long","tone"] (missing "length"))");
    row("contains any pass",
        R"({"type": "contains", "field": "issues", "value": ["long", "length"], "match": "any"})", kCritic,
        true, R"(contains(issues): got ["too long","tone"])");
    row("contains any fail", R"({"type": "contains", "value": ["bye", "ciao"], "match": "any"})", kHello,
        false,
        R"(contains: expected text containing any of ["bye","ciao"], got "Hello world" (missing "bye", "ciao"))");
    row("contains number as text", R"({"type": "contains", "field": "score", "value": 6})", kCritic, true,
        "contains(score): got 6");
    row("contains case matters", R"({"type": "contains", "value": "hello"})", kHello, false,
        R"(contains: expected text containing "hello", got "Hello world")");
    row("not contains", R"({"type": "contains", "value": "world", "not": true})", kHello, false,
        R"(not contains: expected not text containing "world", got "Hello world")");
    row("icontains pass", R"({"type": "icontains", "value": "HELLO WORLD"})", kHello, true,
        R"(icontains: got "Hello world")");
    row("icontains fail", R"({"type": "icontains", "value": "bye"})", kHello, false,
        R"(icontains: expected text containing "bye" (any case), got "Hello world")");
    // regex, starts_with, levenshtein
    row("regex unanchored", R"({"type": "regex", "value": "l+o w"})", kHello, true,
        R"(regex: got "Hello world")");
    row("regex fail", R"({"type": "regex", "value": "\\d+"})", kHello, false,
        R"(regex: expected text matching /\d+/, got "Hello world")");
    row("regex on field", R"({"type": "regex", "field": "verdict", "value": "^acc"})", kCritic, true,
        R"(regex(verdict): got "accept")");
    row("starts_with pass", R"({"type": "starts_with", "value": "Hell"})", kHello, true,
        R"(starts_with: got "Hello world")");
    row("starts_with fail", R"({"type": "starts_with", "value": "world"})", kHello, false,
        R"(starts_with: expected text starting with "world", got "Hello world")");
    row("levenshtein pass", R"({"type": "levenshtein", "value": "sitting", "max_distance": 3})",
        R"({"text": "kitten"})", true, R"(levenshtein: got "kitten" (distance 3))");
    row("levenshtein fail", R"({"type": "levenshtein", "value": "sitting", "max_distance": 2})",
        R"({"text": "kitten"})", false,
        R"(levenshtein: expected text within edit distance 2 of "sitting", got "kitten" (distance 3))");
    // one_of, between
    row("one_of pass", R"({"type": "one_of", "field": "verdict", "value": ["accept", "revise"]})", kCritic,
        true, R"(one_of(verdict): got "accept")");
    row("one_of fail", R"({"type": "one_of", "field": "verdict", "value": ["revise", "reject"]})", kCritic,
        false, R"(one_of(verdict): expected one of ["revise","reject"], got "accept")");
    row("between pass", R"({"type": "between", "field": "score", "min": 1, "max": 10})", kCritic, true,
        "between(score): got 6");
    row("between bounds inclusive", R"({"type": "between", "field": "score", "min": 6, "max": 6})", kCritic,
        true, "between(score): got 6");
    row("between fail", R"({"type": "between", "field": "score", "min": 7, "max": 10})", kCritic, false,
        "between(score): expected a number between 7 and 10, got 6");
    row("between max only", R"({"type": "between", "field": "confidence", "max": 0.5})", kCritic, false,
        "between(confidence): expected a number ≤ 0.5, got 0.88");
    row("between not a number", R"({"type": "between", "field": "verdict", "min": 1})", kCritic, false,
        R"(between(verdict): expected a number ≥ 1, got "accept")");
    row("between not a number negated", R"({"type": "between", "field": "verdict", "min": 1, "not": true})",
        kCritic, true, R"(not between(verdict): got "accept")");
}

void structureRows()
{
    // is_json, json_schema
    row("is_json object", R"({"type": "is_json"})", R"({"text": " {\"a\": [1, 2]} "})", true,
        R"(is_json: got " {\"a\": [1, 2]} ")");
    row("is_json scalar", R"({"type": "is_json"})", R"({"text": "42"})", true, R"(is_json: got "42")");
    row("is_json fail", R"({"type": "is_json"})", kHello, false,
        R"(is_json: expected JSON, got "Hello world" (illegal number at offset 0))");
    row("is_json trailing text", R"({"type": "is_json"})", R"({"text": "{} and more"})", false,
        R"(is_json: expected JSON, got "{} and more" (missing value separator at offset 4))");
    row("json_schema pass", R"({"type": "json_schema", "schema": {"type": "object", "required": ["verdict"],
        "properties": {"verdict": {"enum": ["accept", "revise"]}}}})",
        kCritic, true, R"(json_schema: got {"confidence":0.88,"issues":["too long","tone"],"score":6…)");
    row("json_schema fail", R"({"type": "json_schema", "schema": {"properties": {"score": {"maximum": 5}}}})",
        kCritic, false,
        R"(json_schema: expected a value that fits the schema, got {"confidence":0.88,"issues":["too long","tone"],"score":6… ($.score: expected at most 5, got 6))");
    row("json_schema on field",
        R"({"type": "json_schema", "field": "issues", "schema": {"type": "array", "items": {"type": "string", "maxLength": 5}}})",
        kCritic, false,
        R"(json_schema(issues): expected a value that fits the schema, got ["too long","tone"] ($[0]: expected at most 5 characters, got 8))");
    row("json_schema not JSON", R"({"type": "json_schema", "schema": {"type": "object"}})", kHello, false,
        R"(json_schema: expected a value that fits the schema, got "Hello world" (not JSON))");
    row("is_json extract", R"({"type": "is_json", "extract": true})",
        R"({"text": "Here: {\"a\": \"}\"} done"})", true, R"(is_json: got "Here: {\"a\": \"}\"} done")");
    row("is_json extract none", R"({"type": "is_json", "extract": true})", kHello, false,
        R"(is_json: expected text holding a JSON object or array, got "Hello world" (no JSON value in the text))");
    row("json_schema extract second value fits",
        R"({"type": "json_schema", "extract": true, "schema": {"type": "object", "required": ["b"]}})",
        R"({"text": "first {\"a\": 1} then {\"b\": 2}"})", true,
        R"(json_schema: got "first {\"a\": 1} then {\"b\": 2}")");
    row("json_schema extract none fits",
        R"({"type": "json_schema", "extract": true, "schema": {"type": "object", "required": ["b"]}})",
        R"({"text": "only {\"a\": 1}"})", false,
        R"(json_schema: expected text holding a JSON value that fits the schema, got "only {\"a\": 1}" ($.b: missing (required)))");
    // status
    row("status pass", R"({"type": "status", "value": "completed"})", kHello, true,
        R"(status: got "completed")");
    row("status fail", R"({"type": "status", "value": "completed"})",
        R"({"status": "failed", "error": "boom"})", false,
        R"(status: expected status "completed", got "failed" (boom))");
    row("status must fail", R"({"type": "status", "value": "failed"})",
        R"({"status": "failed", "error": "boom"})", true, R"(status: got "failed" (boom))");
}

void toolAndBudgetRows()
{
    // tool calls
    row("tool_called pass", R"({"type": "tool_called", "tool": "refund_policy"})", kCalls, true,
        "tool_called(refund_policy): got 1 matching call(s) among [orders, refund_policy]");
    row("tool_called never", R"({"type": "tool_called", "tool": "search"})", kCalls, false,
        "tool_called(search): expected search called at least once, got 0 matching call(s) among [orders, "
        "refund_policy]");
    row("tool_called args subset recursive",
        R"({"type": "tool_called", "tool": "orders", "args": {"opts": {"n": 1.0}}})", kCalls, true,
        "tool_called(orders): got 1 matching call(s) among [orders, refund_policy]");
    row("tool_called args differ", R"({"type": "tool_called", "tool": "orders", "args": {"order_id": "B7"}})",
        kCalls, false,
        R"(tool_called(orders): expected orders{"order_id":"B7"} called at least once, got 0 matching call(s) among [orders, refund_policy])");
    row("tool_called include_failed",
        R"({"type": "tool_called", "tool": "orders", "args": {"order_id": "B7"}, "include_failed": true})",
        kCalls, true, "tool_called(orders): got 1 matching call(s) among [orders, refund_policy, orders]");
    row("tool_called times",
        R"({"type": "tool_called", "tool": "orders", "times": 2, "include_failed": true})", kCalls, true,
        "tool_called(orders): got 2 matching call(s) among [orders, refund_policy, orders]");
    row("tool_called times fail", R"({"type": "tool_called", "tool": "orders", "times": 2})", kCalls, false,
        "tool_called(orders): expected orders called exactly 2 time(s), got 1 matching call(s) among "
        "[orders, refund_policy]");
    row("tool_called pattern max", R"({"type": "tool_called", "pattern": "*e*", "max": 1})", kCalls, false,
        "tool_called(*e*): expected *e* called 0 to 1 time(s), got 2 matching call(s) among [orders, "
        "refund_policy]");
    row("tool_called min", R"({"type": "tool_called", "pattern": "ord?rs", "min": 1})", kCalls, true,
        "tool_called(ord?rs): got 1 matching call(s) among [orders, refund_policy]");
    row("not tool_called", R"({"type": "tool_called", "tool": "orders", "not": true})", kCalls, false,
        "not tool_called(orders): expected not orders called at least once, got 1 matching call(s) among "
        "[orders, refund_policy]");
    row("trajectory in_order pass", R"({"type": "trajectory", "tools": ["orders", "refund_policy"]})", kCalls,
        true, "trajectory(in_order): got [orders, refund_policy] (score 1.000)");
    row("trajectory in_order fail", R"({"type": "trajectory", "tools": ["refund_policy", "orders"]})", kCalls,
        false,
        "trajectory(in_order): expected tool calls [refund_policy, orders] in this order, got [orders, "
        "refund_policy] (score 0.500)");
    row("trajectory exact extra", R"({"type": "trajectory", "mode": "exact", "tools": ["orders"]})", kCalls,
        false,
        "trajectory(exact): expected tool calls [orders] exactly, got [orders, refund_policy] (score 0.000)");
    row("trajectory exact args",
        R"({"type": "trajectory", "mode": "exact", "tools": [{"tool": "orders", "args": {"order_id": "A1"}}, "refund_policy"]})",
        kCalls, true, "trajectory(exact): got [orders, refund_policy] (score 1.000)");
    row("trajectory any_order",
        R"({"type": "trajectory", "mode": "any_order", "tools": ["refund_policy", "orders"]})", kCalls, true,
        "trajectory(any_order): got [orders, refund_policy] (score 1.000)");
    row("trajectory any_order missing",
        R"({"type": "trajectory", "mode": "any_order", "tools": ["refund_policy", "orders", "orders"]})",
        kCalls, false,
        "trajectory(any_order): expected tool calls [refund_policy, orders, orders] in any order, got "
        "[orders, refund_policy] (score 0.800)");
    row("trajectory failed included",
        R"({"type": "trajectory", "mode": "exact", "include_failed": true, "tools": ["orders", "refund_policy", "orders"]})",
        kCalls, true, "trajectory(exact): got [orders, refund_policy, orders] (score 1.000)");
    row("trajectory in_order vector", R"({"type": "trajectory", "tools": ["a", "b", "c"]})",
        R"({"calls": [{"name": "a"}, {"name": "x"}, {"name": "b"}]})", false,
        "trajectory(in_order): expected tool calls [a, b, c] in this order, got [a, x, b] (score 0.667)");
    row("trajectory any_order overlapping args",
        R"({"type": "trajectory", "mode": "any_order", "tools": [{"tool": "t", "args": {"x": 1}}, {"tool": "t", "args": {}}]})",
        R"({"calls": [{"name": "t", "args": {"x": 2}}, {"name": "t", "args": {"x": 1}}]})", true,
        "trajectory(any_order): got [t, t] (score 1.000)");
    row("trajectory any_order overlap, generic first",
        R"({"type": "trajectory", "mode": "any_order", "tools": [{"tool": "t", "args": {}}, {"tool": "t", "args": {"x": 1}}]})",
        R"({"calls": [{"name": "t", "args": {"x": 1}}, {"name": "t", "args": {"x": 2}}]})", true,
        "trajectory(any_order): got [t, t] (score 1.000)");
    row("trajectory turns order calls", R"({"type": "trajectory", "mode": "exact", "tools": ["b", "a"]})",
        R"({"calls": [{"name": "a", "turn": 2}, {"name": "b", "turn": 1}]})", true,
        "trajectory(exact): got [b, a] (score 1.000)");
    row("max_tool_calls counts failed", R"({"type": "max_tool_calls", "value": 2})", kCalls, false,
        "max_tool_calls: expected at most 2 tool call(s), got 3 call(s) [orders, refund_policy, orders]");
    row("max_tool_calls pass", R"({"type": "max_tool_calls", "value": 3})", kCalls, true,
        "max_tool_calls: got 3 call(s) [orders, refund_policy, orders]");
    // budgets
    row("max_cost_usd pass", R"({"type": "max_cost_usd", "value": 0.01})", R"({"cost": 0.004})", true,
        "max_cost_usd: got $0.004");
    row("max_cost_usd fail", R"({"type": "max_cost_usd", "value": 0.001})", R"({"cost": 0.004})", false,
        "max_cost_usd: expected a cost of at most $0.001, got $0.004");
    row("max_cost_usd unknown", R"({"type": "max_cost_usd", "value": 0.01})", R"({"cost": null})", false,
        "max_cost_usd: the run's cost is unknown (a model has no price)",
        "the run's cost is unknown (a model has no price)");
    row("not never flips an error", R"({"type": "max_cost_usd", "value": 0.01, "not": true})",
        R"({"cost": null})", false, "not max_cost_usd: the run's cost is unknown (a model has no price)",
        "the run's cost is unknown (a model has no price)");
    row("max_latency_ms pass", R"({"type": "max_latency_ms", "value": 500})", R"({"latency": 500})", true,
        "max_latency_ms: got 500 ms");
    row("max_latency_ms fail", R"({"type": "max_latency_ms", "value": 500})", R"({"latency": 812})", false,
        "max_latency_ms: expected a latency of at most 500 ms, got 812 ms");
    row("max_latency_ms cached", R"({"type": "max_latency_ms", "value": 500})",
        R"({"latency": 3, "cached": true})", false,
        "max_latency_ms: latency not measured: the responses came from cache",
        "latency not measured: the responses came from cache");
    row("max_tokens pass", R"({"type": "max_tokens", "value": 100})", R"({"tokens": 100})", true,
        "max_tokens: got 100 tokens");
    row("max_tokens fail", R"({"type": "max_tokens", "value": 100})", R"({"tokens": 247})", false,
        "max_tokens: expected at most 100 tokens, got 247 tokens");
    row("label replaces the made-up one", R"({"type": "max_tokens", "value": 100, "label": "token budget"})",
        R"({"tokens": 247})", false, "token budget: expected at most 100 tokens, got 247 tokens");
}

} // namespace

void TestAssertions::evaluates_data()
{
    QTest::addColumn<QString>("assertion");
    QTest::addColumn<QString>("observed");
    QTest::addColumn<bool>("pass");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<QString>("error");
    valueRows();
    structureRows();
    toolAndBudgetRows();
}

void TestAssertions::evaluates()
{
    QFETCH(QString, assertion);
    QFETCH(QString, observed);
    QFETCH(bool, pass);
    QFETCH(QString, reason);
    QFETCH(QString, error);
    QList<DatasetProblem> problems;
    const EvalAssertion a = eval::parseAssertion(
        obj(assertion.toUtf8().constData()), QStringLiteral("$.a"), nullptr, &problems);
    QCOMPARE(toStrings(problems), QStringList());
    const AssertionOutcome out = eval::evaluate(a, observation(obj(observed.toUtf8().constData())), 3);
    QCOMPARE(out.reason, reason);
    QCOMPARE(out.pass, pass);
    QCOMPARE(out.error, error);
    QCOMPARE(out.errorKind, error.isEmpty() ? QString() : QStringLiteral("invalid"));
    QCOMPARE(out.index, 3);
    QCOMPARE(out.type, a.type);
    if (a.type != u"trajectory" || a.negate)
        QCOMPARE(out.score, pass ? 1.0 : 0.0);
}

void TestAssertions::parseProblems_data()
{
    QTest::addColumn<QString>("assertion");
    QTest::addColumn<QStringList>("problems");
    auto row = [](const char *name, const char *a, std::initializer_list<const char *> p) {
        QStringList list;
        for (const char *x : p)
            list.append(QString::fromUtf8(x));
        QTest::newRow(name) << QString::fromUtf8(a) << list;
    };
    const QString known = eval::assertionTypes().join(QStringLiteral(", "));
    QTest::newRow("no type") << QStringLiteral(R"({"value": 1})")
                             << QStringList { QStringLiteral("$.a.type: missing (known: %1)").arg(known) };
    QTest::newRow("unknown type")
        << QStringLiteral(R"({"type": "equal", "value": 1})")
        << QStringList { QStringLiteral("$.a.type: unknown assertion type 'equal' (known: %1)").arg(known) };
    row("equals without value", R"({"type": "equals", "field": "verdict"})",
        { "$.a.value: missing (required)" });
    row("regex invalid", R"({"type": "regex", "value": "a(b"})",
        { "$.a.value: invalid regular expression: missing closing parenthesis (at offset 3)" });
    row("regex not a string", R"({"type": "regex", "value": 3})", { "$.a.value: expected a string, got 3" });
    row("one_of not a list", R"({"type": "one_of", "value": "a"})",
        { R"($.a.value: expected a non-empty list, got "a")" });
    row("between without bounds", R"({"type": "between"})",
        { "$.a.min: missing (between needs min, max or both)" });
    row("between min above max", R"({"type": "between", "min": 5, "max": 1})", { "$.a.max: is below min" });
    row("contains bad match", R"({"type": "contains", "value": "a", "match": "some"})",
        { R"($.a.match: expected one of all, any, got "some")" });
    row("json_schema unknown keyword",
        R"({"type": "json_schema", "schema": {"type": "object", "properties": {"a": {"type": "string", "minLenght": 2}}}})",
        { "$.a.schema.properties.a.minLenght: unknown JSON Schema keyword 'minLenght'" });
    row("json_schema bad type", R"({"type": "json_schema", "schema": {"type": "strin"}})",
        { "$.a.schema.type: unknown type 'strin' (expected string, number, integer, boolean, object, array "
          "or null)" });
    row("json_schema missing", R"({"type": "json_schema"})", { "$.a.schema: missing (required)" });
    row("status unknown", R"({"type": "status", "value": "done"})",
        { R"($.a.value: expected one of queued, running, completed, failed, cancelled, interrupted, got "done")" });
    row("tool_called without tool", R"({"type": "tool_called", "times": -1})",
        { "$.a.tool: missing (tool_called needs tool or pattern)",
            "$.a.times: expected an integer ≥ 0, got -1" });
    row("trajectory bad mode and item", R"({"type": "trajectory", "mode": "sorted", "tools": ["a", 3]})",
        { R"($.a.mode: expected one of exact, in_order, any_order, got "sorted")",
            R"($.a.tools[1]: expected a tool name or {"tool", "args"}, got 3)" });
    row("max_cost negative", R"({"type": "max_cost_usd", "value": -1})",
        { "$.a.value: expected a number ≥ 0, got -1" });
    row("max_tool_calls fraction", R"({"type": "max_tool_calls", "value": 1.5})",
        { "$.a.value: expected an integer ≥ 0, got 1.5" });
    row("judge without rubric", R"({"type": "judge", "agent": "critic"})",
        { "$.a.rubric: missing (required)" });
    row("judge bad shape",
        R"({"type": "judge", "rubric": "ok", "samples": 0, "threshold": 1.5, "template": "other"})",
        { "$.a.samples: expected an integer ≥ 1, got 0",
            "$.a.threshold: expected a number between 0 and 1, got 1.5",
            R"($.a.template: expected one of rubric, closedqa, factuality, got "other")" });
    row("field on a budget", R"({"type": "max_tokens", "value": 3, "field": "x"})",
        { "$.a.field: max_tokens does not look at an output field",
            "$.a.field: the output has no field 'x'" });
    row("not must be bool", R"({"type": "is_json", "not": "yes"})",
        { R"($.a.not: expected true or false, got "yes")" });
    row("field not in outputs", R"({"type": "equals", "field": "verdit", "value": 1})",
        { "$.a.field: the output has no field 'verdit'" });
    row("unknown key", R"({"type": "equals", "feild": "verdict", "value": 1})",
        { "$.a.feild: unknown key for equals (known: type, value, field, not, weight, metric, label)" });
    row("key of another type", R"({"type": "regex", "value": "x", "match": "any"})",
        { "$.a.match: unknown key for regex (known: type, value, field, not, weight, metric, label)" });
    row("good",
        R"({"type": "contains", "field": "issues.0", "value": ["a", "b"], "weight": 2, "metric": "m"})", {});
}

void TestAssertions::parseProblems()
{
    QFETCH(QString, assertion);
    QFETCH(QStringList, problems);
    QList<DatasetProblem> found;
    FieldSpec verdict, issues;
    verdict.name = QStringLiteral("verdict");
    issues.name = QStringLiteral("issues");
    const QList<FieldSpec> outputs { verdict, issues };
    eval::parseAssertion(obj(assertion.toUtf8().constData()), QStringLiteral("$.a"), &outputs, &found);
    QCOMPARE(toStrings(found), problems);
}

void TestAssertions::jsonSchemaSubset_data()
{
    QTest::addColumn<QString>("schema");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("problem"); // "" = fits
    auto row = [](const char *name, const char *s, const char *v, const char *p) {
        QTest::newRow(name) << QString::fromUtf8(s) << QString::fromUtf8(v) << QString::fromUtf8(p);
    };
    row("type ok", R"({"type": "integer"})", "3", "");
    row("type wrong", R"({"type": "integer"})", "3.5", "$: expected an integer, got 3.5");
    row("properties", R"({"properties": {"a": {"type": "string"}}})", R"({"a": 1})",
        "$.a: expected a string, got 1");
    row("required", R"({"required": ["a"]})", "{}", "$.a: missing (required)");
    row("items", R"({"items": {"type": "number"}})", R"([1, "x"])", R"($[1]: expected a number, got "x")");
    row("enum", R"({"enum": ["a", "b"]})", R"("c")", R"($: expected one of "a", "b", got "c")");
    row("minimum", R"({"minimum": 2})", "1", "$: expected at least 2, got 1");
    row("maximum", R"({"maximum": 2})", "3", "$: expected at most 2, got 3");
    row("minLength", R"({"minLength": 2})", R"("a")", "$: expected at least 2 characters, got 1");
    row("maxLength", R"({"maxLength": 2})", R"("abc")", "$: expected at most 2 characters, got 3");
    row("pattern", R"({"pattern": "^[A-Z]\\d$"})", R"("A12")",
        R"($: "A12" does not match the pattern "^[A-Z]\\d$")");
    row("additionalProperties false", R"({"properties": {"a": {}}, "additionalProperties": false})",
        R"({"a": 1, "b": 2})", "$.b: unknown property (expected a)");
    row("additionalProperties schema", R"({"additionalProperties": {"type": "string"}})", R"({"b": 2})",
        "$.b: expected a string, got 2");
    row("nested fits",
        R"({"type": "object", "required": ["xs"], "properties": {"xs": {"type": "array", "items": {"enum": [1, 2]}}}})",
        R"({"xs": [1, 2.0]})", "");
}

void TestAssertions::jsonSchemaSubset()
{
    QFETCH(QString, schema);
    QFETCH(QString, value);
    QFETCH(QString, problem);
    const QString a = QStringLiteral(R"({"type": "json_schema", "schema": %1})").arg(schema);
    QList<DatasetProblem> problems;
    const EvalAssertion parsed
        = eval::parseAssertion(obj(a.toUtf8().constData()), QStringLiteral("$.a"), nullptr, &problems);
    QCOMPARE(toStrings(problems), QStringList());
    CaseObservation obs;
    obs.status = QStringLiteral("completed");
    obs.outputText = value;
    const AssertionOutcome out = eval::evaluate(parsed, obs);
    QCOMPARE(out.pass, problem.isEmpty());
    if (!problem.isEmpty())
        QVERIFY2(
            out.reason.endsWith(QStringLiteral(" (") + problem + QLatin1Char(')')), qPrintable(out.reason));
}

void TestAssertions::trajectoryScores_data()
{
    auto L = [](std::initializer_list<const char *> names) {
        QStringList out;
        for (const char *n : names)
            out.append(QString::fromLatin1(n));
        return out;
    };
    QTest::addColumn<QStringList>("expected");
    QTest::addColumn<QStringList>("actual");
    QTest::addColumn<double>("inOrder");
    QTest::addColumn<double>("anyOrder");
    QTest::newRow("reference in_order") << L({ "a", "b", "c" }) << L({ "a", "x", "b" }) << 2.0 / 3 << 2.0 / 3;
    QTest::newRow("set F1 subset") << L({ "get_weather", "book_flight" }) << L({ "get_weather" }) << 2.0 / 3
                                   << 2.0 / 3;
    QTest::newRow("set F1 extra") << L({ "get_weather", "book_flight" })
                                  << L({ "get_weather", "book_flight", "search" }) << 0.8 << 0.8;
    QTest::newRow("reversed") << L({ "a", "b" }) << L({ "b", "a" }) << 0.5 << 1.0;
    QTest::newRow("duplicates count") << L({ "a", "a" }) << L({ "a" }) << 2.0 / 3 << 2.0 / 3;
    QTest::newRow("both empty") << L({}) << L({}) << 1.0 << 1.0;
    QTest::newRow("one empty") << L({ "a" }) << L({}) << 0.0 << 0.0;
    QTest::newRow("disjoint") << L({ "a" }) << L({ "b" }) << 0.0 << 0.0;
}

void TestAssertions::trajectoryScores()
{
    QFETCH(QStringList, expected);
    QFETCH(QStringList, actual);
    QFETCH(double, inOrder);
    QFETCH(double, anyOrder);
    QVERIFY(qAbs(eval::trajectoryF1InOrder(expected, actual) - inOrder) < 1e-9);
    QVERIFY(qAbs(eval::trajectoryF1AnyOrder(expected, actual) - anyOrder) < 1e-9);
}

void TestAssertions::trajectoryModeScores()
{
    // The score of a trajectory shows how close a run came, whatever the verdict.
    const CaseObservation obs
        = observation(obj(R"({"calls": [{"name": "a"}, {"name": "x"}, {"name": "b"}]})"));
    auto outcome = [&obs](const char *a) {
        return eval::evaluate(eval::parseAssertion(obj(a), QStringLiteral("$.a"), nullptr, nullptr), obs);
    };
    const AssertionOutcome inOrder = outcome(R"({"type": "trajectory", "tools": ["a", "b", "c"]})");
    QVERIFY(!inOrder.pass);
    QVERIFY(qAbs(inOrder.score - 2.0 / 3) < 1e-9);
    const AssertionOutcome anyOrder
        = outcome(R"({"type": "trajectory", "mode": "any_order", "tools": ["b", "a"]})");
    QVERIFY(anyOrder.pass);
    QVERIFY(qAbs(anyOrder.score - 0.8) < 1e-9);
    const AssertionOutcome exact = outcome(R"({"type": "trajectory", "mode": "exact", "tools": ["a", "x"]})");
    QVERIFY(!exact.pass);
    QCOMPARE(exact.score, 0.0);
}

void TestAssertions::verdictScoring_data()
{
    // Each outcome: pass, score, weight, error.
    QTest::addColumn<QString>("outcomes");
    QTest::addColumn<QVariant>("threshold");
    QTest::addColumn<QString>("outcome");
    QTest::addColumn<double>("score");
    const QString promptfoo = QString::fromUtf8(
        R"([{"pass": false, "score": 0, "weight": 2}, {"pass": true, "score": 1, "weight": 1}])");
    QTest::newRow("promptfoo 1/3, no threshold")
        << promptfoo << QVariant() << QStringLiteral("fail") << 1.0 / 3;
    QTest::newRow("promptfoo 1/3, threshold 0.5")
        << promptfoo << QVariant(0.5) << QStringLiteral("fail") << 1.0 / 3;
    QTest::newRow("promptfoo 1/3, threshold 0.2")
        << promptfoo << QVariant(0.2) << QStringLiteral("pass") << 1.0 / 3;
    QTest::newRow("threshold 0 always passes")
        << promptfoo << QVariant(0.0) << QStringLiteral("pass") << 1.0 / 3;
    QTest::newRow("all pass") << QString::fromUtf8(
        R"([{"pass": true, "score": 1}, {"pass": true, "score": 1}])")
                              << QVariant() << QStringLiteral("pass") << 1.0;
    QTest::newRow("weight 0 moves nothing")
        << QString::fromUtf8(R"([{"pass": true, "score": 1}, {"pass": false, "score": 0, "weight": 0}])")
        << QVariant() << QStringLiteral("pass") << 1.0;
    QTest::newRow("partial trajectory score")
        << QString::fromUtf8(R"([{"pass": false, "score": 0.5}, {"pass": true, "score": 1}])")
        << QVariant(0.7) << QStringLiteral("pass") << 0.75;
    QTest::newRow("no assertions") << QString::fromUtf8("[]") << QVariant() << QStringLiteral("pass") << 1.0;
    QTest::newRow("error wins") << QString::fromUtf8(
        R"([{"pass": true, "score": 1}, {"pass": false, "score": 0, "error": "cost unknown"}])")
                                << QVariant(0.0) << QStringLiteral("error") << 0.5;
}

void TestAssertions::verdictScoring()
{
    QFETCH(QString, outcomes);
    QFETCH(QVariant, threshold);
    QFETCH(QString, outcome);
    QFETCH(double, score);
    QList<AssertionOutcome> list;
    for (const QJsonValue &v : QJsonDocument::fromJson(outcomes.toUtf8()).array()) {
        AssertionOutcome o;
        o.label = QStringLiteral("x");
        o.pass = v[QLatin1String("pass")].toBool();
        o.score = v[QLatin1String("score")].toDouble();
        o.weight = v[QLatin1String("weight")].toDouble(1);
        o.error = v[QLatin1String("error")].toString();
        list.append(o);
    }
    const eval::CaseVerdict v = eval::verdict(
        list, threshold.isValid() ? std::optional<double>(threshold.toDouble()) : std::nullopt);
    QCOMPARE(toWire(v.outcome), outcome);
    QVERIFY2(qAbs(v.score - score) < 1e-9, qPrintable(QString::number(v.score)));
    if (outcome == u"error") {
        QCOMPARE(v.error, QStringLiteral("x: cost unknown"));
        QCOMPARE(v.errorKind, QStringLiteral("invalid"));
    }
}

void TestAssertions::observationFromRecord()
{
    ExecutionRecord r;
    r.id = QStringLiteral("e1");
    r.status = ExecutionStatus::Completed;
    r.outputData = obj(R"({"answer": "It ships today", "order_status": "shipped"})");
    r.executionTimeMs = 420;
    r.inputTokens = 30;
    r.outputTokens = 12;
    r.costUsd = 0.002;
    auto step = [&r](StepKind kind, const char *name, int number, const char *input,
                    StepStatus status = StepStatus::Completed) {
        StepRecord s;
        s.kind = kind;
        s.name = QString::fromLatin1(name);
        s.stepNumber = number;
        s.inputData = obj(input);
        s.status = status;
        s.provider = QStringLiteral("orders-src");
        r.steps.append(s);
    };
    // Out of order on purpose: steps are taken by step number.
    step(StepKind::Tool, "refund_policy", 3, R"({"category": "books"})", StepStatus::Failed);
    step(StepKind::Llm, "scripted", 1, R"({"turn": 1})");
    step(StepKind::Tool, "orders", 2, R"({"order_id": "A1"})");
    step(StepKind::Llm, "scripted", 4, R"({"turn": 2})");
    step(StepKind::Tool, "orders", 5, R"({"order_id": "B7"})");
    r.steps[3].outputData = obj(R"({"text": "x", "cached": true})");
    FieldSpec answer, status;
    answer.name = QStringLiteral("answer");
    status.name = QStringLiteral("order_status");
    status.type = FieldType::Enum;
    const CaseObservation obs = CaseObservation::fromRecord(r, { answer, status });
    QCOMPARE(obs.executionId, QStringLiteral("e1"));
    QCOMPARE(obs.status, QStringLiteral("completed"));
    QCOMPARE(obs.tokens, 42);
    QCOMPARE(obs.latencyMs, 420);
    QCOMPARE(obs.costUsd, std::optional<double>(0.002));
    QVERIFY(obs.cached);
    QCOMPARE(obs.outputText, QStringLiteral(R"({"answer":"It ships today","order_status":"shipped"})"));
    QCOMPARE(obs.toolCalls.size(), 3);
    QCOMPARE(obs.toolCalls[0].name, QStringLiteral("orders"));
    QCOMPARE(obs.toolCalls[0].source, QStringLiteral("orders-src"));
    QCOMPARE(obs.toolCalls[0].args, obj(R"({"order_id": "A1"})"));
    QCOMPARE(obs.toolCalls[0].turn, 1);
    QVERIFY(obs.toolCalls[0].ok);
    QCOMPARE(obs.toolCalls[1].name, QStringLiteral("refund_policy"));
    QVERIFY(!obs.toolCalls[1].ok);
    QCOMPARE(obs.toolCalls[1].turn, 1);
    QCOMPARE(obs.toolCalls[2].turn, 2);
    // A single str output is the text itself.
    const CaseObservation text = CaseObservation::fromRecord(r, { answer });
    QCOMPARE(text.outputText, QStringLiteral("It ships today"));
    r.steps[3].outputData = {};
    QVERIFY(!CaseObservation::fromRecord(r, {}).cached);
}

QTEST_GUILESS_MAIN(TestAssertions)
#include "tst_assertions.moc"
