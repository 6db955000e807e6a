#pragma once

#include "core/api/EvalTypes.h"
#include "core/eval/Compare.h"
#include "ui/common/StatusPalette.h"

#include <QString>

#include <optional>

// The words and colours of eval results in the Evaluations panel (docs/evaluations-ui.md):
// pure functions, tested headless, shared by the matrix, its details pane and the summary line.
namespace evaltext {

// pass: succeeded (green), fail: failed (red), error: cancelled (amber), skipped: skipped.
statuspalette::Tone tone(EvalOutcome outcome);
// "$0.0012", "$?" when the price is unknown.
QString cost(const std::optional<double> &usd);
// "340 ms", "2.4 s", "—" when unknown (< 0).
QString latency(qint64 ms);
// A signed delta: "+$0.0010", "−120 ms".
QString costDelta(double usd);
QString latencyDelta(qint64 ms);

// A matrix cell: "pass 1.00 · $0.0012 · 340 ms"; a newly failing cell starts with "▼ new ",
// a newly passing one with "▲ new ".
QString cellText(const EvalResultRecord &r, const std::optional<EvalCaseDelta::Change> &change);
// The failed assertions' labels and reasons, one per line (or the error).
QString cellToolTip(const EvalResultRecord &r, const std::optional<EvalCaseDelta::Change> &change);
// The details pane of a cell: outcome, metrics, each assertion with its message, judge samples
// with their execution ids and reasons, the baseline delta when given.
QString detailsHtml(const EvalResultRecord &r, const EvalCaseDelta *delta);
// "vs baseline 1a2b3c4d: 2 newly failing · 1 newly passing · cost +$0.0010 · latency −120 ms
// · score −0.050"
QString comparisonSummary(const EvalComparison &c);
// "3 cases × 2 variants × 1: 4 passed · 2 failed · 0 errors · $0.0034 · 1.2 s"
QString runSummary(const EvalRunRecord &run);

} // namespace evaltext
