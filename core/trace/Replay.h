#pragma once

#include "core/api/ExecutionEvent.h"
#include "core/api/ExecutionRecord.h"

#include <QList>

// Replay of a stored execution: the events the engine would have emitted,
// synthesized from the record and its steps with their recorded times, so a viewer can play
// the run back at the recorded pace or faster with no provider call.
struct TimedEvent
{
    qint64 atMs = 0; // offset from the execution's start (queued_at, else started_at)
    ExecutionEvent event; // seq is gap-free from 1 in time order
};

struct ReplayOptions
{
    // An llm step's raw reply is streamed as at most this many chunk events between its first
    // token (ttft) and its end; 0 sends no chunks.
    int maxChunksPerStep = 24;
};

// Status(queued), Status(running), per step StepStarted / Chunk… / StepCompleted at their
// recorded times, then Complete with the execution's totals. Steps without times are spread
// evenly. Sorted by time (ties keep the causal order: a step starts before its children).
QList<TimedEvent> synthesizeReplay(const ExecutionRecord &execution, const ReplayOptions &options = {});
