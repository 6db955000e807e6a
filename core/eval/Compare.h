#pragma once

#include "core/api/EvalTypes.h"

#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

// A run against a baseline run (docs/evaluations.md, "Baselines"): per case × variant × repeat
// what newly fails, newly passes, and the score, cost and latency deltas.
struct EvalCaseDelta
{
    enum class Change { Same, NewlyFailing, NewlyPassing, Added, Removed };
    QString caseId;
    QString variant;
    int repeatIndex = 1;
    Change change = Change::Same;
    std::optional<EvalOutcome> baseline; // nullopt: not in the baseline (Added)
    std::optional<EvalOutcome> current; // nullopt: not in this run (Removed)
    double scoreDelta = 0; // current - baseline
    std::optional<qint64> latencyDeltaMs; // both known
    std::optional<double> costDeltaUsd; // both known
};

struct EvalComparison
{
    QString baselineId;
    QString currentId;
    QList<EvalCaseDelta> cases; // in the current run's order, then removed ones
    int newlyFailing = 0;
    int newlyPassing = 0;
    int added = 0;
    int removed = 0;
    std::optional<double> costDeltaUsd; // totals
    std::optional<qint64> latencyDeltaMs; // sum of per-case deltas where both known
    double meanScoreDelta = 0;
};

QString toWire(EvalCaseDelta::Change c); // same | newly_failing | newly_passing | added | removed

namespace eval {
// A pass is `pass`; fail, error and skipped all count as not passing.
EvalComparison compareRuns(const EvalRunRecord &baseline, const QList<EvalResultRecord> &baselineResults,
    const EvalRunRecord &current, const QList<EvalResultRecord> &currentResults);
QJsonObject toJson(const EvalComparison &c);
} // namespace eval
