#pragma once

#include "core/api/ExecutionTypes.h"

#include <QColor>
#include <QIcon>
#include <QStringView>

// The one mapping from the state of a run, a step or a workflow node to its colours and its
// status dot. The workflow graph, the node list, the trace tree and timeline, the history list
// and the metrics bar all read it, so "running" looks the same everywhere (blue).
// GUI thread only (icons are cached).
namespace statuspalette {

// Every state something is shown in. Waiting covers queued / starting / not reached yet;
// Idle is "nothing to show" (no run, unknown status).
enum class Tone { Idle, Waiting, Running, Succeeded, Failed, Cancelled, Skipped, Interrupted };

Tone tone(ExecutionStatus status);
Tone tone(StepStatus status);
// A status as stored or sent ("completed", "running", …), or one of the test panel's own
// ("starting", "detached"). Anything else is Idle.
Tone toneOf(QStringView status);

// The strong colour: text, borders, dots, bars, badges.
QColor color(Tone tone);
// The light colour: the background of a box in that state.
QColor fill(Tone tone);
// A dot in color(tone), 12 × 12.
QIcon icon(Tone tone);

inline QColor colorOf(QStringView status)
{
    return color(toneOf(status));
}
inline QIcon iconOf(QStringView status)
{
    return icon(toneOf(status));
}

} // namespace statuspalette
