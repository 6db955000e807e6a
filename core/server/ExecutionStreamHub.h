#pragma once

#include "core/api/ExecutionEvent.h"
#include "core/api/ExecutionRecord.h"

#include <QHash>
#include <QList>
#include <QPointer>
#include <QString>

#include <memory>

class StreamSession;

// One event as sent on the wire: its seq and the compact JSON text, serialised once.
struct BufferedEvent
{
    qint64 seq = 0;
    QString text;
    bool terminal = false;
};

// Every event of one execution, in seq order, shared by all its subscribers: each subscriber
// keeps only a cursor into `events`, so a slow one costs no copy and never holds up others.
struct ExecutionStream
{
    QString executionId;
    QString workspaceKey; // Principal::workspaceKey() of the workspace the execution belongs to
    QList<BufferedEvent> events;
    bool terminal = false;
    bool synthesized = false; // rebuilt from the store, not the engine's live events
    ExecutionStatus status = ExecutionStatus::Queued;
    qint64 finishedAtMs = 0;
    QList<QPointer<StreamSession>> sessions;

    qint64 lastSeq() const { return events.isEmpty() ? 0 : events.constLast().seq; }
    // Index of the first event with seq > afterSeq (events.size() when none).
    qsizetype indexAfter(qint64 afterSeq) const;
};

// The server's per-execution event buffers (server main thread only). Live executions stay
// until they finish; finished ones are kept `retainMs` for late subscribers and resumes, then
// evicted (a later subscriber gets events synthesised from the store instead).
class ExecutionStreamHub
{
public:
    std::shared_ptr<ExecutionStream> find(const QString &executionId) const;
    std::shared_ptr<ExecutionStream> create(const QString &executionId, const QString &workspaceKey);
    void remove(const QString &executionId);
    // Appends an engine event (duplicates by seq are dropped; seq 0 gets the next seq).
    // Returns the stream it went to, or null when it was a duplicate.
    std::shared_ptr<ExecutionStream> append(const QString &workspaceKey, ExecutionEvent event);
    // Registers a stream rebuilt from the store (or returns the one that won a race).
    std::shared_ptr<ExecutionStream> adoptSynthesized(std::shared_ptr<ExecutionStream> stream);
    QList<std::shared_ptr<ExecutionStream>> liveStreams() const;
    int size() const { return int(m_streams.size()); }
    void evict(qint64 nowMs, int retainMs, int maxRetained);

    // Rebuilds an execution's events from its record with steps: status queued (and running),
    // per step step_started (+ one chunk with an llm step's reply) and step_completed, then
    // complete when the execution has finished. Deterministic, so seqs are stable across calls.
    static std::shared_ptr<ExecutionStream> synthesize(
        const ExecutionRecord &record, const QString &workspaceKey);
    static QString serialize(const ExecutionEvent &event);

private:
    QHash<QString, std::shared_ptr<ExecutionStream>> m_streams;
};
