#pragma once

#include "core/api/ExecutionEvent.h"
#include "core/api/ExecutionRecord.h"

#include <QHash>
#include <QSet>

// Folds the events of one execution into its record: the one place that knows what each event
// means for the record (docs/architecture.md, "Data path of a run"). The trace model, the
// history model, the test panel's tracker and the runner each keep one per execution they
// follow, and react to the events apply() hands back.
//
// Ordering: events may come in any order and more than once — a late subscription's catch-up
// arrives after live events, a reconnect replays what was already seen, a resumed stream skips
// numbers. Each seq (> 0) is applied at most once; every other event is applied as it comes,
// and a later seq always wins: an older status never replaces a newer one, a replayed
// step_started never reopens a completed step, a chunk of a completed step is dropped, and
// nothing undoes the end. Unsequenced events (seq 0, a minimal server) are applied in
// arrival order. So the record does not depend on the order the events arrived in — except
// the order of record().steps, which is the order steps were first seen (step_number gives
// the order they started).
//
// Pure value type; any thread (one at a time).
class ExecutionFold
{
public:
    explicit ExecutionFold(const QString &executionId = {});

    // Starts from a stored record (its steps included); events then apply on top.
    void seed(const ExecutionRecord &record);

    // What apply() did with an event.
    enum class Outcome {
        Applied, // the record changed accordingly
        Duplicate, // this seq was applied before
        Stale, // older than what the record already has (a replayed start, a late status)
        Foreign, // another execution's event
    };
    Outcome apply(const ExecutionEvent &event);

    const ExecutionRecord &record() const { return m_record; }
    ExecutionRecord &record() { return m_record; }
    QString executionId() const { return m_record.id; }
    qint64 lastSeq() const { return m_lastSeq; } // the highest seq applied
    // Every seq up to this one was applied (no gap below it).
    qint64 contiguousSeq() const { return m_contiguousSeq; }
    bool hasGap() const { return !m_above.isEmpty(); }
    // Complete was applied, or an Error event ended the stream.
    bool isFinished() const { return m_finished; }
    // The streamed text of a step so far (chunks); dropped once the step completes.
    QString streamedText(const QString &stepId) const { return m_text.value(stepId); }
    // Index of a step in record().steps (arrival order), or -1.
    int stepIndex(const QString &stepId) const { return m_stepIndex.value(stepId, -1); }
    // Output tokens counted from chunks (an estimate until Complete).
    qint64 streamedTokens() const { return m_streamedTokens; }

private:
    bool takeSeq(qint64 seq);
    Outcome applyStatus(const ExecutionEvent &e);
    Outcome applyStep(const ExecutionEvent &e);

    ExecutionRecord m_record;
    qint64 m_lastSeq = 0;
    qint64 m_contiguousSeq = 0;
    QSet<qint64> m_above; // applied seqs above m_contiguousSeq
    qint64 m_statusSeq = 0; // seq of the status the record has
    QHash<QString, int> m_stepIndex; // step id -> index in m_record.steps
    QHash<QString, qint64> m_stepSeq; // step id -> seq of its last applied event
    QHash<QString, QString> m_text; // step id -> streamed text
    qint64 m_streamedTokens = 0;
    bool m_finished = false;
};
