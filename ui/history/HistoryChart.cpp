#include "ui/history/HistoryChart.h"

#include "ui/history/HistoryModel.h"

#include <QChart>
#include <QDateTimeAxis>
#include <QLineSeries>
#include <QTimer>
#include <QValueAxis>

#include <algorithm>

namespace {
// Points drawn at most (newest first in the model): beyond this the line is a blur anyway.
constexpr int kMaxPoints = 5000;
} // namespace

HistoryChart::HistoryChart(HistoryModel *model, QWidget *parent)
    : QChartView(parent)
    , m_model(model)
    , m_cost(new QLineSeries)
    , m_latency(new QLineSeries)
    , m_time(new QDateTimeAxis)
    , m_costAxis(new QValueAxis)
    , m_latencyAxis(new QValueAxis)
    , m_debounce(new QTimer(this))
{
    setObjectName(QStringLiteral("historyChart"));
    setRenderHint(QPainter::Antialiasing);
    auto *chart = new QChart; // Owned by this view (setChart).
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    m_cost->setName(tr("Cost (USD)"));
    m_latency->setName(tr("Latency (ms)"));
    chart->addSeries(m_cost);
    chart->addSeries(m_latency);
    m_time->setFormat(QStringLiteral("MM-dd HH:mm"));
    m_time->setTickCount(5);
    m_costAxis->setLabelFormat(QStringLiteral("%.4f"));
    m_costAxis->setTitleText(QStringLiteral("USD"));
    m_latencyAxis->setLabelFormat(QStringLiteral("%d"));
    m_latencyAxis->setTitleText(QStringLiteral("ms"));
    chart->addAxis(m_time, Qt::AlignBottom);
    chart->addAxis(m_costAxis, Qt::AlignLeft);
    chart->addAxis(m_latencyAxis, Qt::AlignRight);
    m_cost->attachAxis(m_time);
    m_cost->attachAxis(m_costAxis);
    m_latency->attachAxis(m_time);
    m_latency->attachAxis(m_latencyAxis);
    setChart(chart);
    // Low enough that the history dock stays well under half of a 720 px high window; the
    // dock is made taller by hand when the chart needs room.
    setMinimumHeight(90);

    m_debounce->setSingleShot(true);
    m_debounce->setInterval(300);
    connect(m_debounce, &QTimer::timeout, this, &HistoryChart::rebuild);
    // Hidden charts only note that they are stale; showing one re-reads it.
    auto later = [this] {
        m_stale = true;
        if (isVisible())
            m_debounce->start();
    };
    connect(model, &QAbstractItemModel::modelReset, this, later);
    connect(model, &QAbstractItemModel::rowsInserted, this, later);
    connect(model, &QAbstractItemModel::rowsRemoved, this, later);
    connect(model, &QAbstractItemModel::dataChanged, this, later);
}

void HistoryChart::showEvent(QShowEvent *event)
{
    QChartView::showEvent(event);
    if (m_stale)
        m_debounce->start(0);
}

void HistoryChart::rebuild()
{
    m_stale = false;
    ExecutionBackend *backend = m_model->backend();
    if (!backend) {
        plot(m_model->records().mid(0, kMaxPoints));
        return;
    }
    HistoryQuery q = m_model->query();
    q.cursor.clear();
    q.limit = kMaxPoints;
    // A newer request makes an older answer stale: its context goes with it.
    delete m_request;
    m_request = new QObject(this);
    backend->queryHistory(q, m_request, [this](const HistoryPage &page, const Error &error) {
        delete std::exchange(m_request, nullptr);
        if (error.code == ErrorCode::None)
            plot(page.items);
    });
}

void HistoryChart::plot(const QList<ExecutionRecord> &records)
{
    QList<QPointF> cost, latency;
    cost.reserve(records.size());
    latency.reserve(records.size());
    double maxCost = 0, maxLatency = 0;
    qint64 minT = std::numeric_limits<qint64>::max(), maxT = std::numeric_limits<qint64>::min();
    for (const ExecutionRecord &r : records) {
        if (!r.queuedAt.isValid() || !isTerminal(r.status))
            continue;
        const double t = double(r.queuedAt.toMSecsSinceEpoch());
        minT = qMin(minT, qint64(t));
        maxT = qMax(maxT, qint64(t));
        latency.append({ t, double(r.executionTimeMs) });
        maxLatency = qMax(maxLatency, double(r.executionTimeMs));
        if (r.costUsd) {
            cost.append({ t, *r.costUsd });
            maxCost = qMax(maxCost, *r.costUsd);
        }
    }
    // Sorted by time whatever the list's sort order.
    auto byX = [](const QPointF &a, const QPointF &b) { return a.x() < b.x(); };
    std::sort(cost.begin(), cost.end(), byX);
    std::sort(latency.begin(), latency.end(), byX);
    m_cost->replace(cost);
    m_latency->replace(latency);
    if (minT <= maxT) {
        const qint64 pad = qMax<qint64>(1000, (maxT - minT) / 50);
        m_time->setRange(
            QDateTime::fromMSecsSinceEpoch(minT - pad), QDateTime::fromMSecsSinceEpoch(maxT + pad));
    }
    m_costAxis->setRange(0, maxCost > 0 ? maxCost * 1.1 : 0.001);
    m_latencyAxis->setRange(0, maxLatency > 0 ? maxLatency * 1.1 : 1000);
    emit rebuilt();
}

int HistoryChart::costPoints() const
{
    return int(m_cost->count());
}

int HistoryChart::latencyPoints() const
{
    return int(m_latency->count());
}
