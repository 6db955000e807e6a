#pragma once

#include <QPointer>
#include <QTimer>
#include <QWidget>

#include "ui/testpanel/ExecutionTracker.h"

class QLabel;

// Status, queue time, TTFT, total latency, tokens in/out (marked "~" when estimated),
// tokens/s and cost ("price unknown" when the model has no price) of the run a tracker follows;
// refreshed ten times a second while it runs, final when it ends, with the error message of a
// failed run below. Child labels: metricStatus, metricQueue, metricTtft, metricLatency,
// metricTokens, metricRate, metricCost, metricError. Wide: one row (a tab's output pane);
// Compact: the status over a grid of two tiles per row (a side-by-side variant column).
class MetricsBar final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MetricsBar)
public:
    enum class Density { Wide, Compact };
    explicit MetricsBar(QWidget *parent = nullptr, Density density = Density::Wide);

    void setTracker(ExecutionTracker *tracker);
    void showMetrics(const RunMetrics &m);

    static QString formatMs(qint64 ms);
    static QString formatCost(const std::optional<double> &cost, bool finished);

private:
    void refresh();

    QPointer<ExecutionTracker> m_tracker;
    QTimer m_tick;
    QLabel *m_status = nullptr; // Owned (children, all of them).
    QLabel *m_queue = nullptr;
    QLabel *m_ttft = nullptr;
    QLabel *m_latency = nullptr;
    QLabel *m_tokens = nullptr;
    QLabel *m_rate = nullptr;
    QLabel *m_cost = nullptr;
    QLabel *m_error = nullptr;
};
