#pragma once

#include "core/api/ExecutionBackend.h"

#include <QChartView>
#include <QPointer>

class HistoryModel;
class QDateTimeAxis;
class QLineSeries;
class QScatterSeries;
class QTimer;
class QValueAxis;

// Cost and latency over the filtered runs: cost (USD, left axis) and latency (ms,
// right axis) against the queued time, for the newest 5,000 runs matching the list's filters.
// While visible, it asks the backend for them with its own query (the list itself only holds the
// pages scrolled so far); without a backend it plots the list's loaded rows. Runs with an
// unknown price are left out of the cost line, never drawn as $0. Redrawn at most every 300 ms
// as filters change or runs finish. Object name: historyChart. GUI thread only; the model and
// the backend are not owned.
class HistoryChart final : public QChartView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HistoryChart)
public:
    explicit HistoryChart(HistoryModel *model, QWidget *parent = nullptr);

    int costPoints() const;
    int latencyPoints() const;
    // Re-reads the points now (asynchronously when there is a backend).
    void rebuild();
    bool isLoading() const { return m_request != nullptr; }

signals:
    void rebuilt();

protected:
    void showEvent(QShowEvent *event) override;

private:
    void plot(const QList<ExecutionRecord> &records);

    HistoryModel *m_model;
    QObject *m_request = nullptr; // Owned: context of the query in flight (the model's backend)
    bool m_stale = true;
    QLineSeries *m_cost;
    QLineSeries *m_latency;
    QDateTimeAxis *m_time;
    QValueAxis *m_costAxis;
    QValueAxis *m_latencyAxis;
    QTimer *m_debounce;
};
