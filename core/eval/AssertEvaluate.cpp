#include "core/eval/AssertSupport.h"
#include "core/eval/Assertions.h"
#include "core/model/JsonSchema.h"

#include <QJsonArray>
#include <QRegularExpression>

#include <algorithm>

// Verdicts of the deterministic assertions on one case run (docs/evaluations.md,
// "Assertions"). Pure: called by the eval runner on its thread, per case.

using eval::detail::Check;

namespace {

QString quoted(const QJsonValue &v)
{
    return describeJsonValue(v);
}

QString quotedText(const QString &s)
{
    return describeJsonValue(QJsonValue(s));
}

int levenshtein(const QString &a, const QString &b)
{
    const QList<uint> x = a.toUcs4(), y = b.toUcs4();
    QList<int> row(y.size() + 1);
    for (qsizetype j = 0; j <= y.size(); ++j)
        row[j] = int(j);
    for (qsizetype i = 1; i <= x.size(); ++i) {
        int diagonal = row[0];
        row[0] = int(i);
        for (qsizetype j = 1; j <= y.size(); ++j) {
            const int up = row[j];
            row[j] = std::min({ row[j] + 1, row[j - 1] + 1, diagonal + (x[i - 1] == y[j - 1] ? 0 : 1) });
            diagonal = up;
        }
    }
    return row[y.size()];
}

// The subject of an output assertion: the field's value, or the whole output (its text, and
// the parsed value when it is JSON).
struct Subject
{
    bool present = true;
    bool whole = true;
    QJsonValue value; // the field, or the parsed whole output (undefined when not JSON)
    QString text;
};

Subject subjectOf(const EvalAssertion &a, const CaseObservation &obs)
{
    Subject s;
    if (a.field.isEmpty()) {
        s.text = obs.outputText;
        if (const auto parsed = eval::detail::parseJsonText(obs.outputText, nullptr))
            s.value = *parsed;
        else
            s.value = QJsonValue(QJsonValue::Undefined);
        return s;
    }
    s.whole = false;
    const auto v = eval::detail::fieldValue(obs.output, a.field);
    s.present = v.has_value();
    s.value = v.value_or(QJsonValue(QJsonValue::Undefined));
    s.text = eval::detail::textOf(s.value);
    return s;
}

QString gotOf(const Subject &s)
{
    return s.whole ? quotedText(s.text) : quoted(s.value);
}

// equals / one_of: the whole output compares as text with a string value, as JSON otherwise;
// a field compares as JSON (numbers by value).
bool sameAs(const Subject &s, const QJsonValue &expected)
{
    if (s.whole && expected.isString())
        return s.text == expected.toString();
    return jsonValuesEqual(s.value, expected);
}

Check containsCheck(const EvalAssertion &a, const Subject &s, bool caseless)
{
    const QJsonValue value = a.value();
    const QJsonArray wanted = value.isArray() ? value.toArray() : QJsonArray { value };
    const bool any = a.spec.value(QLatin1String("match")).toString() == u"any";
    const Qt::CaseSensitivity cs = caseless ? Qt::CaseInsensitive : Qt::CaseSensitive;
    QStringList missing, found;
    for (const QJsonValue &w : wanted) {
        const QString needle = eval::detail::textOf(w);
        (s.text.contains(needle, cs) ? found : missing).append(quotedText(needle));
    }
    Check c;
    c.holds = any ? !found.isEmpty() : missing.isEmpty();
    const QString suffix = caseless ? QStringLiteral(" (any case)") : QString();
    if (wanted.size() == 1)
        c.expected = QStringLiteral("text containing %1%2")
                         .arg(quotedText(eval::detail::textOf(wanted.first())), suffix);
    else
        c.expected = QStringLiteral("text containing %1 of %2%3")
                         .arg(any ? QStringLiteral("any") : QStringLiteral("all"), quoted(value), suffix);
    c.got = gotOf(s);
    if (wanted.size() > 1 && !a.negate && !c.holds)
        c.got += QStringLiteral(" (missing %1)").arg(missing.join(QStringLiteral(", ")));
    else if (wanted.size() > 1 && a.negate && c.holds)
        c.got += QStringLiteral(" (found %1)").arg(found.join(QStringLiteral(", ")));
    return c;
}

Check betweenCheck(const EvalAssertion &a, const Subject &s)
{
    const QJsonValue min = a.spec.value(QLatin1String("min")), max = a.spec.value(QLatin1String("max"));
    Check c;
    if (min.isDouble() && max.isDouble())
        c.expected = QStringLiteral("a number between %1 and %2").arg(quoted(min), quoted(max));
    else if (min.isDouble())
        c.expected = QStringLiteral("a number ≥ %1").arg(quoted(min));
    else
        c.expected = QStringLiteral("a number ≤ %1").arg(quoted(max));
    c.got = gotOf(s);
    if (!s.value.isDouble())
        return c; // not a number never holds (and `not` does not make it one)
    const double x = s.value.toDouble();
    c.holds = (!min.isDouble() || x >= min.toDouble()) && (!max.isDouble() || x <= max.toDouble());
    return c;
}

// The JSON objects and arrays embedded in `text` ("extract": true, promptfoo's contains-json):
// each balanced {…} or […] (strings honoured) that parses, in order of appearance.
QList<QJsonValue> embeddedJson(const QString &text)
{
    QList<QJsonValue> found;
    for (qsizetype start = 0; start < text.size(); ++start) {
        const QChar open = text.at(start);
        if (open != u'{' && open != u'[')
            continue;
        int depth = 0;
        bool inString = false;
        for (qsizetype i = start; i < text.size(); ++i) {
            const QChar ch = text.at(i);
            if (inString) {
                if (ch == u'\\')
                    ++i;
                else if (ch == u'"')
                    inString = false;
                continue;
            }
            if (ch == u'"')
                inString = true;
            else if (ch == u'{' || ch == u'[')
                ++depth;
            else if ((ch == u'}' || ch == u']') && --depth == 0) {
                if (const auto v = eval::detail::parseJsonText(text.mid(start, i - start + 1), nullptr)) {
                    found.append(*v);
                    start = i; // continue after this value
                }
                break;
            }
        }
    }
    return found;
}

bool extracts(const EvalAssertion &a)
{
    return a.spec.value(QLatin1String("extract")).toBool();
}

Check schemaCheck(const EvalAssertion &a, const Subject &s)
{
    Check c;
    c.expected = QStringLiteral("a value that fits the schema");
    const JsonSchema schema(a.spec.value(QLatin1String("schema")).toObject());
    if (extracts(a)) {
        const QList<QJsonValue> values = embeddedJson(s.text);
        c.expected = QStringLiteral("text holding a JSON value that fits the schema");
        c.got = gotOf(s);
        QStringList first;
        for (const QJsonValue &v : values) {
            const QStringList problems = schema.validate(v);
            if (problems.isEmpty()) {
                c.holds = true;
                return c;
            }
            if (first.isEmpty())
                first = problems;
        }
        c.got += values.isEmpty()
            ? QStringLiteral(" (no JSON value in the text)")
            : QStringLiteral(" (") + first.join(QStringLiteral("; ")) + QLatin1Char(')');
        return c;
    }
    QJsonValue value = s.value;
    if (!s.whole && value.isString()) // a str field holding JSON text
        if (const auto parsed = eval::detail::parseJsonText(value.toString(), nullptr))
            value = *parsed;
    if (value.isUndefined()) {
        c.got = gotOf(s) + QStringLiteral(" (not JSON)");
        return c;
    }
    const QStringList problems = schema.validate(value);
    c.holds = problems.isEmpty();
    c.got = quoted(value)
        + (problems.isEmpty()
                ? QString()
                : QStringLiteral(" (") + problems.join(QStringLiteral("; ")) + QLatin1Char(')'));
    return c;
}

Check outputCheck(const EvalAssertion &a, const Subject &s)
{
    const QString &t = a.type;
    const QJsonValue value = a.value();
    Check c;
    c.got = gotOf(s);
    if (t == u"equals") {
        c.holds = sameAs(s, value);
        c.expected = quoted(value);
    } else if (t == u"contains" || t == u"icontains") {
        return containsCheck(a, s, t == u"icontains");
    } else if (t == u"regex") {
        c.holds = QRegularExpression(value.toString()).match(s.text).hasMatch();
        c.expected = QStringLiteral("text matching /%1/").arg(value.toString());
    } else if (t == u"starts_with") {
        c.holds = s.text.startsWith(value.toString());
        c.expected = QStringLiteral("text starting with %1").arg(quoted(value));
    } else if (t == u"levenshtein") {
        const int max = a.spec.value(QLatin1String("max_distance")).toInt(5);
        const int d = levenshtein(s.text, value.toString());
        c.holds = d <= max;
        c.expected = QStringLiteral("text within edit distance %1 of %2").arg(max).arg(quoted(value));
        c.got += QStringLiteral(" (distance %1)").arg(d);
    } else if (t == u"one_of") {
        const QJsonArray options = value.toArray();
        c.holds
            = std::any_of(options.begin(), options.end(), [&s](const QJsonValue &v) { return sameAs(s, v); });
        c.expected = QStringLiteral("one of %1").arg(quoted(value));
    } else if (t == u"between") {
        return betweenCheck(a, s);
    } else if (t == u"is_json") {
        QString error;
        c.expected = QStringLiteral("JSON");
        if (extracts(a)) {
            c.expected = QStringLiteral("text holding a JSON object or array");
            c.holds = !embeddedJson(s.text).isEmpty();
            if (!c.holds)
                c.got += QStringLiteral(" (no JSON value in the text)");
        } else if (s.whole || s.value.isString()) {
            c.holds = eval::detail::parseJsonText(s.text, &error).has_value();
            if (!c.holds)
                c.got += QStringLiteral(" (%1)").arg(error);
        } else {
            c.holds = true; // a typed field is JSON already
        }
    } else if (t == u"json_schema") {
        return schemaCheck(a, s);
    }
    return c;
}

Check budgetCheck(const EvalAssertion &a, const CaseObservation &obs)
{
    const QString &t = a.type;
    const double limit = a.value().toDouble();
    Check c;
    if (t == u"max_cost_usd") {
        c.expected = QStringLiteral("a cost of at most $%1").arg(limit);
        if (!obs.costUsd) {
            c.error = QStringLiteral("the run's cost is unknown (a model has no price)");
            return c;
        }
        c.holds = *obs.costUsd <= limit;
        c.got = QStringLiteral("$%1").arg(*obs.costUsd);
    } else if (t == u"max_latency_ms") {
        c.expected = QStringLiteral("a latency of at most %1 ms").arg(limit);
        if (obs.cached) {
            c.error = QStringLiteral("latency not measured: the responses came from cache");
            return c;
        }
        if (obs.latencyMs < 0) {
            c.error = QStringLiteral("the run's latency is unknown");
            return c;
        }
        c.holds = double(obs.latencyMs) <= limit;
        c.got = QStringLiteral("%1 ms").arg(obs.latencyMs);
    } else if (t == u"max_tokens") {
        c.expected = QStringLiteral("at most %1 tokens").arg(limit);
        c.holds = double(obs.tokens) <= limit;
        c.got = QStringLiteral("%1 tokens").arg(obs.tokens);
    } else if (t == u"status") {
        c.expected = QStringLiteral("status %1").arg(quoted(a.value()));
        c.holds = obs.status == a.value().toString();
        c.got = quotedText(obs.status);
        if (!obs.errorMessage.isEmpty())
            c.got += QStringLiteral(" (%1)").arg(obs.errorMessage);
    }
    return c;
}

} // namespace

namespace eval {

AssertionOutcome evaluate(const EvalAssertion &a, const CaseObservation &obs, int index)
{
    const QString &t = a.type;
    Check c;
    if (t.isEmpty() || !assertionTypes().contains(t)) {
        c.error = QStringLiteral("unknown assertion type '%1'").arg(t);
    } else if (isJudge(a)) {
        c.error = QStringLiteral("a judge is run by the eval runner, not evaluated here");
    } else if (t == u"tool_called") {
        c = detail::checkToolCalled(a, obs);
    } else if (t == u"trajectory") {
        c = detail::checkTrajectory(a, obs);
    } else if (t == u"max_tool_calls") {
        c = detail::checkMaxToolCalls(a, obs);
    } else if (t.startsWith(u"max_") || t == u"status") {
        c = budgetCheck(a, obs);
    } else {
        const Subject s = subjectOf(a, obs);
        if (!s.present || (s.whole && obs.status != u"completed" && obs.output.isEmpty())) {
            // Nothing to look at is a failure whatever `not` says: a negated check on a missing
            // field must not pass.
            AssertionOutcome out = detail::finish(a, index, outputCheck(a, s));
            out.pass = false;
            out.score = 0;
            const QString why = !s.present
                ? QStringLiteral("nothing (no field '%1' in the output)").arg(a.field)
                : QStringLiteral("no output (the run ended %1%2)")
                      .arg(obs.status,
                          obs.errorMessage.isEmpty() ? QString() : QStringLiteral(": ") + obs.errorMessage);
            out.reason = a.label + QStringLiteral(": expected ")
                + (a.negate ? QStringLiteral("not ") : QString()) + outputCheck(a, s).expected
                + QStringLiteral(", got ") + why;
            return out;
        }
        c = outputCheck(a, s);
    }
    return detail::finish(a, index, c);
}

} // namespace eval
