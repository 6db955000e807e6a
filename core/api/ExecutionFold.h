#pragma once

#include "core/api/ExecutionEvent.h"
#include "core/api/ExecutionRecord.h"

#include <QHash>
#include <QMap>

// Folds the events of one execution into its record: the one place that knows what each event
// means for the record (docs/architecture.md, "Data path of a run"). The trace model, the
// history model, the test panel's tracker and the runner each keep one per execution they
// follow, and react to the events apply() hands back.
//
// Ordering (seq > 0): events are applied in seq order, each exactly once. A duplicate (seq
// already applied or already held) is dropped. An event past a gap is held until the gap
// fills — so a replay that arrives after live events (a late subscription's catch-up) slots in
// before them — or until releaseHeld() is called (the missing events will not come: a stream
// resumed past events the server rebuilt). Unsequenced events (seq 0, a minimal server) are
// applied in arrival order.
//
// A fold may start from a stored record (seed) whose last seq is unknown: the first sequenced
// event then sets the baseline instead of waiting for seq 1.
//
// Pure value type; any thread (one at a time).
class ExecutionFold
{
public:
    explicit ExecutionFold(const QString &executionId = {});

    // Starts from a stored record. `lastSeq` is the seq the record reflects: 0 = nothing yet
    // (wait for seq 1), -1 = unknown (take the next event as it comes).
    void seed(const ExecutionRecord &record, qint64 lastSeq = -1);

    // Applies `event` (and any held events it releases). Returns the events applied now, in
    // order; empty for a duplicate, a held event or another execution's event.
    ExecutionEventList apply(const ExecutionEvent &event);
    // Applies every held event in seq order, accepting the gaps before them.
    ExecutionEventList releaseHeld();

    const ExecutionRecord &record() const { return m_record; }
    QString executionId() const { return m_record.id; }
    qint64 lastSeq() const { return m_lastSeq; }
    bool hasGap() const { return !m_held.isEmpty(); }
    int heldCount() const { return int(m_held.size()); }
    // Complete was applied (or an Error event ended the stream).
    bool isFinished() const { return m_finished; }
    // The streamed text of a step so far (chunks), until its StepCompleted replaces it.
    QString streamedText(const QString &stepId) const { return m_text.value(stepId); }
    // The step, or nullptr.
    const StepRecord *step(const QString &stepId) const;
    // Output tokens counted from chunks (an estimate until Complete).
    qint64 streamedTokens() const { return m_streamedTokens; }

private:
    void applyOne(const ExecutionEvent &e);
    StepRecord &stepSlot(const QString &stepId);

    ExecutionRecord m_record;
    qint64 m_lastSeq = 0; // -1: unknown baseline
    QMap<qint64, ExecutionEvent> m_held; // past a gap, by seq
    QHash<QString, int> m_stepIndex; // step id -> index in m_record.steps
    QHash<QString, QString> m_text; // step id -> streamed text
    qint64 m_streamedTokens = 0;
    bool m_finished = false;
};
