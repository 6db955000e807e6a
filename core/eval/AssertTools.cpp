#include "core/eval/AssertSupport.h"
#include "core/eval/Assertions.h"
#include "core/model/JsonSchema.h"

#include <QJsonArray>
#include <QRegularExpression>

#include <algorithm>
#include <functional>

// Tool-call assertions (docs/evaluations.md, "Tool calls and trajectories"): tool_called,
// trajectory (exact / in_order / any_order) and max_tool_calls over the calls a run made.

using eval::detail::Check;

namespace {

// One expected call: a name or a glob, and optionally a subset of its arguments.
struct Expected
{
    QString tool;
    QString pattern;
    QJsonObject args;
    bool hasArgs = false;

    QString text() const
    {
        const QString name = tool.isEmpty() ? pattern : tool;
        return hasArgs ? name + describeJsonValue(args) : name;
    }
};

Expected expectedFrom(const QJsonValue &v)
{
    Expected e;
    if (v.isString()) {
        e.tool = v.toString();
        return e;
    }
    const QJsonObject o = v.toObject();
    e.tool = o.value(QLatin1String("tool")).toString();
    e.pattern = o.value(QLatin1String("pattern")).toString();
    e.hasArgs = o.contains(QLatin1String("args"));
    e.args = o.value(QLatin1String("args")).toObject();
    return e;
}

// Recursive subset: every key of `want` is in `have` with an equal value; objects recurse,
// lists and scalars compare whole (numbers by value).
bool argsSubset(const QJsonObject &want, const QJsonObject &have)
{
    for (auto it = want.begin(); it != want.end(); ++it) {
        if (!have.contains(it.key()))
            return false;
        const QJsonValue h = have.value(it.key());
        if (it.value().isObject() && h.isObject()) {
            if (!argsSubset(it.value().toObject(), h.toObject()))
                return false;
        } else if (!jsonValuesEqual(it.value(), h)) {
            return false;
        }
    }
    return true;
}

bool matches(const Expected &e, const ObservedToolCall &call)
{
    if (!e.tool.isEmpty() && e.tool != call.name)
        return false;
    if (e.tool.isEmpty()
        && !QRegularExpression::fromWildcard(e.pattern, Qt::CaseSensitive).match(call.name).hasMatch())
        return false;
    return !e.hasArgs || argsSubset(e.args, call.args);
}

QList<ObservedToolCall> callsFor(const EvalAssertion &a, const CaseObservation &obs)
{
    const bool includeFailed = a.spec.value(QLatin1String("include_failed")).toBool();
    QList<ObservedToolCall> out;
    for (const ObservedToolCall &c : obs.toolCalls)
        if (c.ok || includeFailed)
            out.append(c);
    std::stable_sort(out.begin(), out.end(), [](const auto &x, const auto &y) { return x.turn < y.turn; });
    return out;
}

QString namesOf(const QList<ObservedToolCall> &calls)
{
    QStringList names;
    for (const ObservedToolCall &c : calls)
        names.append(c.name);
    return QLatin1Char('[') + names.join(QStringLiteral(", ")) + QLatin1Char(']');
}

// Kuhn's augmenting paths: is there a matching that gives every expected call its own actual
// call? Greedy first-fit misses assignments once argument subsets overlap.
bool perfectMatching(const QList<Expected> &expected, const QList<ObservedToolCall> &actual)
{
    QList<int> owner(actual.size(), -1);
    std::function<bool(int, QList<bool> &)> assign = [&](int e, QList<bool> &seen) {
        for (qsizetype k = 0; k < actual.size(); ++k) {
            if (seen[k] || !matches(expected[e], actual[k]))
                continue;
            seen[k] = true;
            if (owner[k] < 0 || assign(owner[k], seen)) {
                owner[k] = e;
                return true;
            }
        }
        return false;
    };
    for (int e = 0; e < expected.size(); ++e) {
        QList<bool> seen(actual.size(), false);
        if (!assign(e, seen))
            return false;
    }
    return true;
}

} // namespace

namespace eval {

double trajectoryF1InOrder(const QStringList &expected, const QStringList &actual)
{
    if (expected.isEmpty() && actual.isEmpty())
        return 1;
    if (expected.isEmpty() || actual.isEmpty())
        return 0;
    QList<QList<int>> lcs(expected.size() + 1, QList<int>(actual.size() + 1, 0));
    for (qsizetype i = 1; i <= expected.size(); ++i)
        for (qsizetype j = 1; j <= actual.size(); ++j)
            lcs[i][j] = expected[i - 1] == actual[j - 1] ? lcs[i - 1][j - 1] + 1
                                                         : std::max(lcs[i - 1][j], lcs[i][j - 1]);
    const double common = lcs[expected.size()][actual.size()];
    if (common == 0)
        return 0;
    const double p = common / double(actual.size()), r = common / double(expected.size());
    return 2 * p * r / (p + r);
}

double trajectoryF1AnyOrder(const QStringList &expected, const QStringList &actual)
{
    if (expected.isEmpty() && actual.isEmpty())
        return 1;
    if (expected.isEmpty() || actual.isEmpty())
        return 0;
    QStringList rest = actual;
    int common = 0;
    for (const QString &e : expected)
        if (rest.removeOne(e))
            ++common;
    if (common == 0)
        return 0;
    const double p = double(common) / double(actual.size()), r = double(common) / double(expected.size());
    return 2 * p * r / (p + r);
}

} // namespace eval

namespace eval::detail {

Check checkToolCalled(const EvalAssertion &a, const CaseObservation &obs)
{
    const Expected e = expectedFrom(a.spec);
    const QList<ObservedToolCall> calls = callsFor(a, obs);
    const auto count
        = std::count_if(calls.begin(), calls.end(), [&e](const auto &c) { return matches(e, c); });
    const QJsonValue times = a.spec.value(QLatin1String("times")), min = a.spec.value(QLatin1String("min")),
                     max = a.spec.value(QLatin1String("max"));
    Check c;
    QString how;
    if (times.isDouble()) {
        c.holds = count == times.toInt();
        how = QStringLiteral("exactly %1 time(s)").arg(times.toInt());
    } else if (min.isDouble() || max.isDouble()) {
        c.holds = count >= min.toInt(0) && (!max.isDouble() || count <= max.toInt());
        how = max.isDouble() ? QStringLiteral("%1 to %2 time(s)").arg(min.toInt(0)).arg(max.toInt())
                             : QStringLiteral("at least %1 time(s)").arg(min.toInt());
    } else {
        c.holds = count >= 1;
        how = QStringLiteral("at least once");
    }
    c.expected = QStringLiteral("%1 called %2").arg(e.text(), how);
    c.got = QStringLiteral("%1 matching call(s) among %2").arg(count).arg(namesOf(calls));
    return c;
}

Check checkTrajectory(const EvalAssertion &a, const CaseObservation &obs)
{
    const QString mode = a.spec.value(QLatin1String("mode")).toString(QStringLiteral("in_order"));
    QList<Expected> expected;
    QStringList expectedNames, expectedTexts, actualNames;
    for (const QJsonValue &v : a.spec.value(QLatin1String("tools")).toArray()) {
        expected.append(expectedFrom(v));
        expectedNames.append(expected.last().tool.isEmpty() ? expected.last().pattern : expected.last().tool);
        expectedTexts.append(expected.last().text());
    }
    const QList<ObservedToolCall> calls = callsFor(a, obs);
    for (const ObservedToolCall &call : calls)
        actualNames.append(call.name);
    Check c;
    if (mode == u"exact") {
        c.holds = expected.size() == calls.size();
        for (qsizetype i = 0; c.holds && i < expected.size(); ++i)
            c.holds = matches(expected[i], calls[i]);
        c.score = c.holds ? 1 : 0;
    } else if (mode == u"any_order") {
        c.holds = perfectMatching(expected, calls);
        c.score = eval::trajectoryF1AnyOrder(expectedNames, actualNames);
    } else {
        qsizetype j = 0;
        for (const ObservedToolCall &call : calls)
            if (j < expected.size() && matches(expected[j], call))
                ++j;
        c.holds = j == expected.size();
        c.score = eval::trajectoryF1InOrder(expectedNames, actualNames);
    }
    const QString modeText = mode == u"exact" ? QStringLiteral("exactly")
        : mode == u"any_order"                ? QStringLiteral("in any order")
                                              : QStringLiteral("in this order");
    c.expected = QStringLiteral("tool calls [%1] %2").arg(expectedTexts.join(QStringLiteral(", ")), modeText);
    c.got = namesOf(calls) + QStringLiteral(" (score %1)").arg(c.score, 0, 'f', 3);
    return c;
}

Check checkMaxToolCalls(const EvalAssertion &a, const CaseObservation &obs)
{
    // Failed attempts count: they cost a turn as much as a successful call does.
    Check c;
    const int limit = a.value().toInt();
    c.holds = obs.toolCalls.size() <= limit;
    c.expected = QStringLiteral("at most %1 tool call(s)").arg(limit);
    c.got = QStringLiteral("%1 call(s) %2").arg(obs.toolCalls.size()).arg(namesOf(obs.toolCalls));
    return c;
}

} // namespace eval::detail
