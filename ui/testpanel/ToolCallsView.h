#pragma once

#include "core/api/ExecutionRecord.h"

#include <QHash>
#include <QPointer>
#include <QTreeWidget>

class ExecutionTracker;

// The tool calls of the followed run, live (test panel, "toolCalls"): one collapsible row per
// call — the tool and its source, then running / its latency / error — with its arguments and,
// once it ends, its result (or error) as child rows. Fed by the tracker's step_started /
// step_completed of `tool` steps; cleared when a run starts; hidden while a run has no tool
// call. GUI thread only.
class ToolCallsView final : public QTreeWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ToolCallsView)
public:
    ToolCallsView(ExecutionTracker *tracker, QWidget *parent);

    int callCount() const { return topLevelItemCount(); }
    // The row of the call of step `stepId` (nullptr when unknown).
    QTreeWidgetItem *callItem(const QString &stepId) const { return m_items.value(stepId); }

    void clearCalls();

signals:
    void callsChanged(int count);

private:
    void onStep(const StepRecord &step, bool completed);
    QTreeWidgetItem *itemFor(const StepRecord &step);
    static void setDetail(
        QTreeWidgetItem *call, int index, const QString &label, const QString &text, bool error);

    QPointer<ExecutionTracker> m_tracker;
    QHash<QString, QTreeWidgetItem *> m_items; // step id -> its row (owned by the tree)
};
