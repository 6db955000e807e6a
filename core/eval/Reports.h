#pragma once

#include "core/api/EvalTypes.h"
#include "core/eval/Compare.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

// Reports of an eval run (docs/evaluations.md, "Reports"): what `agentstudio-run eval --format`
// prints and what the Evaluations panel exports. `results` in result order.
namespace evalreport {

// JUnit XML: one testsuite per variant, one testcase per case × repeat; failures carry every
// assertion's line, errors their kind; forbidden XML characters are replaced first.
QByteArray junit(const EvalRunRecord &run, const QList<EvalResultRecord> &results);
// One row per result: case, variant, repeat, outcome, score, latency, tokens, cost, judge
// cost, execution id, failed assertions (RFC 4180 quoting).
QByteArray csv(const EvalRunRecord &run, const QList<EvalResultRecord> &results);
// {"run": {...}, "results": [...], "comparison"?: {...}}
QJsonObject json(const EvalRunRecord &run, const QList<EvalResultRecord> &results,
    const std::optional<EvalComparison> &comparison = std::nullopt);
// One jsonl line per finished case: {"type": "result", ...result}; the last line
// {"type": "summary", ...run}.
QJsonObject resultEvent(const EvalResultRecord &result);
QJsonObject summaryEvent(
    const EvalRunRecord &run, const std::optional<EvalComparison> &comparison = std::nullopt);
// The final text table (cases × variants with outcome, score, latency, cost; failures listed
// with their messages; totals; the comparison when given).
QString textTable(const EvalRunRecord &run, const QList<EvalResultRecord> &results,
    const std::optional<EvalComparison> &comparison = std::nullopt);
// The live progress line: "12/40 done · 10 passed · 2 failed · $0.0123 · ETA 8s".
QString progressLine(const EvalProgress &p);

} // namespace evalreport
