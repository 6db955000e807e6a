#pragma once

#include "core/api/ExecutionRecord.h"

#include <QList>
#include <QString>

#include <optional>

// Side-by-side comparison of two executions: their steps aligned one to one,
// outputs diffed line by line, tokens/cost/latency deltas, and the steps present in only one.
// Pure functions: usable from any thread (the UI runs them off the GUI thread for big traces).

struct DiffLine
{
    enum class Kind { Same, Removed, Added }; // Removed: only left; Added: only right
    Kind kind = Kind::Same;
    QString text;
    bool operator==(const DiffLine &o) const = default;
};

// Line-based diff (longest common subsequence of lines, common head and tail trimmed first).
// Very large inputs whose middle parts exceed `maxCells` LCS cells fall back to
// "all of left removed, all of right added" for that middle part.
QList<DiffLine> diffLines(const QString &left, const QString &right, qint64 maxCells = 4'000'000);

// The text of a step's output that the compare view diffs: an llm step's raw reply
// (output_data.text); a tool step's arguments and result (text blocks, images by type and
// size, structured content); else the output object as indented JSON; the error message is
// appended.
QString stepOutputText(const StepRecord &step);
QString executionOutputText(const ExecutionRecord &execution);

struct CompareRow
{
    int left = -1; // index into left.steps, -1 = the step exists only on the right
    int right = -1; // index into right.steps, -1 = only on the left
    int depth = 0; // nesting depth of the step in its tree (root steps 0)
    QString key; // the alignment path: "node:draft/llm:chat"
    bool outputChanged = false;
    QList<DiffLine> outputDiff; // empty when both outputs are equal or one side is missing
    qint64 tokensDelta = 0; // right - left (input + output tokens); 0 when one-sided
    qint64 latencyDeltaMs = 0; // right - left execution_time_ms
    std::optional<double> costDelta; // right - left; nullopt when a cost is unknown or one-sided

    bool onlyLeft() const { return right < 0; }
    bool onlyRight() const { return left < 0; }
};

struct CompareResult
{
    QList<CompareRow> rows; // in tree (depth-first) order of both traces, merged
    int matched = 0, onlyLeft = 0, onlyRight = 0, changed = 0;
    qint64 tokensDelta = 0; // execution totals, right - left
    qint64 latencyDeltaMs = 0;
    std::optional<double> costDelta;
    bool outputChanged = false;
    QList<DiffLine> outputDiff; // the executions' outputs
};

// The alignment key of every step (its kind:node_id-or-name path from the root), in the order
// of `steps`. Exposed for tests and for the view's labels.
QStringList stepAlignmentKeys(const QList<StepRecord> &steps);

// Aligns the steps of `left` and `right`: steps are put in depth-first tree order, keyed by their
// path (kind + node id or name from the root), and matched by the longest common subsequence of
// keys, so the k-th attempt matches the k-th attempt and an extra retry or node shows up as
// one-sided. Steps the LCS leaves over are then paired by key and occurrence (parallel nodes
// that started in another order); traces too long for an LCS table (above `maxCells`) are
// matched by that second pass alone.
CompareResult compareExecutions(
    const ExecutionRecord &left, const ExecutionRecord &right, qint64 maxCells = 4'000'000);
