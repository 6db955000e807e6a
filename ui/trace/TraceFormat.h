#pragma once

#include "core/api/ExecutionTypes.h"

#include <QColor>
#include <QDateTime>
#include <QString>

#include <optional>

// Shared display formats of the trace viewer, the history list and the compare view, so a
// latency or a cost reads the same everywhere. Status colours and dots: ui/common/StatusPalette.
namespace traceformat {

QString latency(qint64 ms); // "840 ms", "1.24 s", "2 m 05 s"; "" for < 0
QString cost(const std::optional<double> &usd); // "$0.000186"; "price unknown" for nullopt
QString costDelta(const std::optional<double> &usd); // "+$0.0012" / "−$0.0012" / ""
QString signedNumber(qint64 value); // "+12", "−3", "0"
QString tokens(qint64 in, qint64 out, bool estimated); // "52 → 18", "~52 → ~18"
QString time(const QDateTime &t); // local "2026-11-24 19:02:11"
QString modeLabel(TestMode testMode, ExecutionType executionType);
// The colour of a step kind in the timeline, the tree and the legend (nullopt: the execution):
// model time and tool time read apart at a glance.
QColor kindColor(std::optional<StepKind> kind);

} // namespace traceformat
