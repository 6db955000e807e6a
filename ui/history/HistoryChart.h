#pragma once

#include <QChartView>

class HistoryModel;
class QDateTimeAxis;
class QLineSeries;
class QScatterSeries;
class QTimer;
class QValueAxis;

// Cost and latency over the runs the history list has loaded for the current filters (issue 6
// "a chart of cost and latency over the filtered runs"): cost (USD, left axis) and latency
// (ms, right axis) against the queued time. Runs with an unknown price are left out of the cost
// line, never drawn as $0. Redrawn at most every 200 ms as pages load or runs finish.
// Object name: historyChart. GUI thread only; the model is not owned.
class HistoryChart final : public QChartView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HistoryChart)
public:
    explicit HistoryChart(HistoryModel *model, QWidget *parent = nullptr);

    int costPoints() const;
    int latencyPoints() const;
    void rebuild();

private:
    HistoryModel *m_model;
    QLineSeries *m_cost;
    QLineSeries *m_latency;
    QDateTimeAxis *m_time;
    QValueAxis *m_costAxis;
    QValueAxis *m_latencyAxis;
    QTimer *m_debounce;
};
