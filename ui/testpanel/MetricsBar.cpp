#include "ui/testpanel/MetricsBar.h"

#include "ui/common/StatusPalette.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace {
// A caption over a value, like a small dashboard tile.
QLabel *addTile(QGridLayout *tiles, int columns, const QString &caption, const QString &name, QWidget *parent)
{
    auto *box = new QVBoxLayout;
    box->setSpacing(0);
    auto *cap = new QLabel(caption, parent);
    QFont small = cap->font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    cap->setFont(small);
    cap->setStyleSheet(QStringLiteral("color: palette(dark);"));
    auto *value = new QLabel(QStringLiteral("–"), parent);
    value->setObjectName(name);
    value->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont bold = value->font();
    bold.setBold(true);
    value->setFont(bold);
    box->addWidget(cap);
    box->addWidget(value);
    const int index = tiles->count();
    tiles->addLayout(box, index / columns, index % columns);
    return value;
}
} // namespace

MetricsBar::MetricsBar(QWidget *parent, Density density)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("metricsBar"));
    const bool wide = density == Density::Wide;
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(6, 4, 6, 4);
    outer->setSpacing(4);
    auto *row = new QHBoxLayout;
    row->setSpacing(18);
    m_status = new QLabel(tr("Ready"), this);
    m_status->setObjectName(QStringLiteral("metricStatus"));
    m_status->setAlignment(Qt::AlignCenter);
    m_status->setMinimumWidth(90);
    row->addWidget(m_status);
    auto *tiles = new QGridLayout;
    tiles->setHorizontalSpacing(wide ? 18 : 10);
    tiles->setVerticalSpacing(4);
    const int columns = wide ? 6 : 2;
    m_queue = addTile(tiles, columns, tr("Queue"), QStringLiteral("metricQueue"), this);
    m_ttft = addTile(tiles, columns, tr("First token"), QStringLiteral("metricTtft"), this);
    m_latency = addTile(tiles, columns, tr("Total"), QStringLiteral("metricLatency"), this);
    m_tokens = addTile(
        tiles, columns, wide ? tr("Tokens in → out") : tr("Tokens"), QStringLiteral("metricTokens"), this);
    m_rate = addTile(tiles, columns, tr("Tokens/s"), QStringLiteral("metricRate"), this);
    m_cost = addTile(tiles, columns, tr("Cost"), QStringLiteral("metricCost"), this);
    if (wide) {
        row->addLayout(tiles);
        row->addStretch();
        outer->addLayout(row);
    } else {
        row->addStretch();
        outer->addLayout(row);
        outer->addLayout(tiles);
    }
    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("metricError"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_error->hide();
    outer->addWidget(m_error);

    m_tick.setInterval(100);
    connect(&m_tick, &QTimer::timeout, this, &MetricsBar::refresh);
    showMetrics(RunMetrics());
}

void MetricsBar::setTracker(ExecutionTracker *tracker)
{
    m_tracker = tracker;
    connect(tracker, &ExecutionTracker::metricsChanged, this, &MetricsBar::refresh);
    refresh();
}

void MetricsBar::refresh()
{
    if (!m_tracker)
        return;
    const RunMetrics &m = m_tracker->metrics();
    showMetrics(m);
    if (m_tracker->isActive() && !m_tick.isActive())
        m_tick.start();
    else if (!m_tracker->isActive())
        m_tick.stop();
}

QString MetricsBar::formatMs(qint64 ms)
{
    if (ms < 0)
        return QStringLiteral("–");
    if (ms < 1000)
        return QStringLiteral("%1 ms").arg(ms);
    if (ms < 60000)
        return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'f', 2);
    return QStringLiteral("%1 min %2 s").arg(ms / 60000).arg((ms % 60000) / 1000);
}

QString MetricsBar::formatCost(const std::optional<double> &cost, bool finished)
{
    if (!finished)
        return QStringLiteral("–");
    if (!cost)
        return tr("price unknown");
    const double c = *cost;
    if (c == 0)
        return QStringLiteral("$0");
    return QStringLiteral("$") + QString::number(c, 'f', c < 0.01 ? 6 : 4);
}

void MetricsBar::showMetrics(const RunMetrics &m)
{
    const QString status = m.status.isEmpty() ? tr("ready") : m.status;
    m_status->setText(status);
    const QString color = statuspalette::colorOf(m.status).name();
    m_status->setStyleSheet(QStringLiteral("QLabel { color: white; background: %1; border-radius: 9px;"
                                           " padding: 3px 10px; font-weight: bold; }")
                                .arg(color));
    m_queue->setText(formatMs(m.queueMs));
    m_ttft->setText(formatMs(m.ttftMs));
    m_latency->setText(formatMs(m.totalMs));
    const QString tilde = m.tokensEstimated ? QStringLiteral("~") : QString();
    const QString in = m.inputTokens >= 0 ? tilde + QLocale().toString(m.inputTokens) : QStringLiteral("–");
    const QString out
        = (m.status.isEmpty()) ? QStringLiteral("–") : tilde + QLocale().toString(m.outputTokens);
    m_tokens->setText(in + QStringLiteral(" → ") + out);
    m_tokens->setToolTip(m.tokensEstimated
            ? tr("Estimated: the provider reported no token counts, a local tokenizer counted them")
            : tr("Exact counts reported by the provider"));
    m_rate->setText(m.tokensPerSecond >= 0
            ? QString::number(m.tokensPerSecond, 'f', m.tokensPerSecond < 100 ? 1 : 0)
            : QStringLiteral("–"));
    m_cost->setText(formatCost(m.costUsd, m.finished));
    m_cost->setToolTip(
        m.finished && !m.costUsd ? tr("This model has no entry in the pricing table") : QString());
    m_error->setText(m.errorMessage);
    m_error->setVisible(!m.errorMessage.isEmpty());
}
