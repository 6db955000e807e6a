#pragma once

#include "core/api/ExecutionEvent.h"
#include "core/api/ExecutionRecord.h"

#include <QList>

// The events the engine would have emitted for a stored execution, synthesized from the record
// and its steps with their recorded times. One synthesizer for every consumer: the trace
// viewer's replay (plays them at the recorded pace or faster, no provider call) and the
// server's resume of an execution it no longer holds in memory (docs/wire-protocol.md).
struct TimedEvent
{
    qint64 atMs = 0; // offset from the execution's start (queued_at, else started_at)
    ExecutionEvent event; // seq is gap-free from 1 in time order
};

struct SynthesisOptions
{
    // An llm step's raw reply is streamed as at most this many chunk events between its first
    // token (ttft) and its end; 0 sends no chunks.
    int maxChunksPerStep = 24;
};

// Status(queued) with the header; Status(running) once it started; per step StepStarted /
// Chunk… / StepCompleted (the latter only for a step that ended) at their recorded times; and
// Complete with the execution's figures when the execution ended. Steps without times are
// spread evenly. Sorted by time (ties keep the causal order: a step starts before its
// children). Pure; any thread.
QList<TimedEvent> synthesizeEvents(const ExecutionRecord &execution, const SynthesisOptions &options = {});
