#include "core/eval/Compare.h"

#include <QHash>
#include <QJsonArray>

// A run against a baseline (docs/evaluations.md, "Baselines"). Pure; any thread.

QString toWire(EvalCaseDelta::Change c)
{
    static const char *const names[] = { "same", "newly_failing", "newly_passing", "added", "removed" };
    return QString::fromLatin1(names[int(c)]);
}

namespace {

QString keyOf(const EvalResultRecord &r)
{
    return r.caseId + QChar(0x1f) + r.variant + QChar(0x1f) + QString::number(r.repeatIndex);
}

EvalCaseDelta deltaOf(const EvalResultRecord *base, const EvalResultRecord *cur)
{
    const EvalResultRecord &any = cur ? *cur : *base;
    EvalCaseDelta d;
    d.caseId = any.caseId;
    d.variant = any.variant;
    d.repeatIndex = any.repeatIndex;
    if (base)
        d.baseline = base->outcome;
    if (cur)
        d.current = cur->outcome;
    if (!base) {
        d.change = EvalCaseDelta::Change::Added;
        return d;
    }
    if (!cur) {
        d.change = EvalCaseDelta::Change::Removed;
        return d;
    }
    const bool was = base->outcome == EvalOutcome::Pass, is = cur->outcome == EvalOutcome::Pass;
    d.change = was == is ? EvalCaseDelta::Change::Same
        : is             ? EvalCaseDelta::Change::NewlyPassing
                         : EvalCaseDelta::Change::NewlyFailing;
    d.scoreDelta = cur->score - base->score;
    if (base->latencyMs >= 0 && cur->latencyMs >= 0)
        d.latencyDeltaMs = cur->latencyMs - base->latencyMs;
    if (base->costUsd && cur->costUsd)
        d.costDeltaUsd = *cur->costUsd - *base->costUsd;
    return d;
}

} // namespace

namespace eval {

EvalComparison compareRuns(const EvalRunRecord &baseline, const QList<EvalResultRecord> &baselineResults,
    const EvalRunRecord &current, const QList<EvalResultRecord> &currentResults)
{
    EvalComparison c;
    c.baselineId = baseline.id;
    c.currentId = current.id;
    QHash<QString, const EvalResultRecord *> before;
    for (const EvalResultRecord &r : baselineResults)
        before.insert(keyOf(r), &r);
    QSet<QString> seen;
    double scoreSum = 0;
    int compared = 0;
    for (const EvalResultRecord &r : currentResults) {
        seen.insert(keyOf(r));
        c.cases.append(deltaOf(before.value(keyOf(r)), &r));
    }
    for (const EvalResultRecord &r : baselineResults)
        if (!seen.contains(keyOf(r)))
            c.cases.append(deltaOf(&r, nullptr));
    for (const EvalCaseDelta &d : std::as_const(c.cases)) {
        c.newlyFailing += d.change == EvalCaseDelta::Change::NewlyFailing;
        c.newlyPassing += d.change == EvalCaseDelta::Change::NewlyPassing;
        c.added += d.change == EvalCaseDelta::Change::Added;
        c.removed += d.change == EvalCaseDelta::Change::Removed;
        if (d.baseline && d.current) {
            scoreSum += d.scoreDelta;
            ++compared;
        }
        if (d.latencyDeltaMs)
            c.latencyDeltaMs = c.latencyDeltaMs.value_or(0) + *d.latencyDeltaMs;
    }
    c.meanScoreDelta = compared ? scoreSum / compared : 0;
    // The runs' own totals: unknown when either run had an unknown price.
    if (baseline.costUsd && current.costUsd)
        c.costDeltaUsd = *current.costUsd - *baseline.costUsd;
    return c;
}

QJsonObject toJson(const EvalComparison &c)
{
    QJsonArray cases;
    for (const EvalCaseDelta &d : c.cases) {
        QJsonObject o { { QStringLiteral("case_id"), d.caseId }, { QStringLiteral("variant"), d.variant },
            { QStringLiteral("repeat_index"), d.repeatIndex }, { QStringLiteral("change"), toWire(d.change) },
            { QStringLiteral("baseline"), d.baseline ? QJsonValue(toWire(*d.baseline)) : QJsonValue() },
            { QStringLiteral("current"), d.current ? QJsonValue(toWire(*d.current)) : QJsonValue() },
            { QStringLiteral("score_delta"), d.scoreDelta },
            { QStringLiteral("latency_delta_ms"),
                d.latencyDeltaMs ? QJsonValue(double(*d.latencyDeltaMs)) : QJsonValue() },
            { QStringLiteral("cost_delta_usd"),
                d.costDeltaUsd ? QJsonValue(*d.costDeltaUsd) : QJsonValue() } };
        cases.append(o);
    }
    return { { QStringLiteral("baseline_id"), c.baselineId }, { QStringLiteral("current_id"), c.currentId },
        { QStringLiteral("newly_failing"), c.newlyFailing },
        { QStringLiteral("newly_passing"), c.newlyPassing }, { QStringLiteral("added"), c.added },
        { QStringLiteral("removed"), c.removed },
        { QStringLiteral("cost_delta_usd"), c.costDeltaUsd ? QJsonValue(*c.costDeltaUsd) : QJsonValue() },
        { QStringLiteral("latency_delta_ms"),
            c.latencyDeltaMs ? QJsonValue(double(*c.latencyDeltaMs)) : QJsonValue() },
        { QStringLiteral("mean_score_delta"), c.meanScoreDelta }, { QStringLiteral("cases"), cases } };
}

} // namespace eval
