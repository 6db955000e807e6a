#include "ui/trace/TraceTimeline.h"

#include "ui/common/StatusPalette.h"
#include "ui/trace/TraceFormat.h"
#include "ui/trace/TraceModel.h"

#include <QApplication>
#include <QHeaderView>
#include <QHelpEvent>
#include <QItemSelectionModel>
#include <QPainter>
#include <QScrollBar>
#include <QToolTip>
#include <QTreeView>
#include <QWheelEvent>

#include <cmath>

namespace {

constexpr int kLeftPad = 6;
constexpr int kRightPad = 12;

// A "nice" tick step (1, 2, 5 × 10^k ms) giving ticks about `targetPx` apart.
double tickStep(double spanMs, double widthPx, double targetPx = 90)
{
    const double raw = spanMs * targetPx / qMax(1.0, widthPx);
    const double magnitude = std::pow(10.0, std::floor(std::log10(qMax(raw, 1e-3))));
    for (double m : { 1.0, 2.0, 5.0, 10.0 })
        if (m * magnitude >= raw)
            return m * magnitude;
    return 10 * magnitude;
}

QString tickLabel(double ms)
{
    if (ms == 0)
        return QStringLiteral("0");
    if (ms < 1000)
        return QStringLiteral("%1 ms").arg(ms, 0, 'g', 4);
    if (ms < 60'000)
        return QStringLiteral("%1 s").arg(ms / 1000.0, 0, 'g', 4);
    return QStringLiteral("%1 min").arg(ms / 60'000.0, 0, 'g', 4);
}

} // namespace

TraceTimeline::TraceTimeline(QTreeView *tree, TraceModel *model, QWidget *parent)
    : QWidget(parent)
    , m_tree(tree)
    , m_model(model)
{
    setObjectName(QStringLiteral("traceTimeline"));
    setFocusPolicy(Qt::ClickFocus);
    setMouseTracking(false);
    setAttribute(Qt::WA_OpaquePaintEvent);
    auto repaint = [this] { update(); };
    connect(tree->verticalScrollBar(), &QScrollBar::valueChanged, this, repaint);
    connect(tree, &QTreeView::expanded, this, repaint);
    connect(tree, &QTreeView::collapsed, this, repaint);
    connect(tree->header(), &QHeaderView::geometriesChanged, this, repaint);
    if (tree->selectionModel())
        connect(tree->selectionModel(), &QItemSelectionModel::currentChanged, this, repaint);
    connect(model, &TraceModel::timesChanged, this, repaint);
    connect(model, &QAbstractItemModel::dataChanged, this, repaint);
    connect(model, &QAbstractItemModel::rowsInserted, this, repaint);
    connect(model, &QAbstractItemModel::layoutChanged, this, repaint);
    connect(model, &QAbstractItemModel::modelReset, this, [this] {
        m_fit = true;
        update();
    });
}

double TraceTimeline::viewSpanMs() const
{
    return m_fit ? double(m_model->totalMs()) * 1.02 : m_viewSpanMs;
}

void TraceTimeline::fit()
{
    m_fit = true;
    m_viewStartMs = 0;
    update();
}

void TraceTimeline::zoomBy(double factor, int anchorX)
{
    const double span = viewSpanMs();
    const qint64 anchorMs = msAt(anchorX);
    const double newSpan = qBound(1.0, span * factor, double(m_model->totalMs()) * 50.0);
    const double frac = double(anchorX - kLeftPad) / qMax(1, width() - kLeftPad - kRightPad);
    m_fit = false;
    m_viewSpanMs = newSpan;
    m_viewStartMs = qint64(double(anchorMs) - frac * newSpan);
    update();
}

void TraceTimeline::panBy(int pixels)
{
    const double span = viewSpanMs();
    if (m_fit) {
        m_fit = false;
        m_viewSpanMs = span;
        m_viewStartMs = 0;
    }
    m_viewStartMs -= qint64(double(pixels) * span / qMax(1, width() - kLeftPad - kRightPad));
    update();
}

int TraceTimeline::axisHeight() const
{
    // Rows start where the tree's viewport starts: the band above it (the tree's header) is
    // the time axis.
    const QWidget *top = window();
    const int treeTop = m_tree->viewport()->mapTo(top, QPoint(0, 0)).y();
    const int ownTop = mapTo(top, QPoint(0, 0)).y();
    return qMax(16, treeTop - ownTop);
}

double TraceTimeline::xOf(qint64 ms) const
{
    const double start = m_fit ? 0.0 : double(m_viewStartMs);
    const double w = qMax(1, width() - kLeftPad - kRightPad);
    return kLeftPad + (double(ms) - start) * w / viewSpanMs();
}

qint64 TraceTimeline::msAt(int x) const
{
    const double start = m_fit ? 0.0 : double(m_viewStartMs);
    const double w = qMax(1, width() - kLeftPad - kRightPad);
    return qint64(start + double(x - kLeftPad) * viewSpanMs() / w);
}

QModelIndex TraceTimeline::indexAtY(int y) const
{
    const int top = axisHeight();
    if (y < top)
        return {};
    return m_tree->indexAt(QPoint(1, y - top));
}

void TraceTimeline::drawAxis(QPainter &p, int axis)
{
    p.fillRect(QRect(0, 0, width(), axis), palette().button());
    p.setPen(palette().color(QPalette::Mid));
    p.drawLine(0, axis - 1, width(), axis - 1);
    const double span = viewSpanMs();
    const double step = tickStep(span, width() - kLeftPad - kRightPad);
    const double start = m_fit ? 0.0 : double(m_viewStartMs);
    const double first = std::ceil(start / step) * step;
    p.setPen(palette().color(QPalette::ButtonText));
    const QFontMetrics fm = p.fontMetrics();
    for (double t = first; t <= start + span; t += step) {
        const int x = int(xOf(qint64(t)));
        p.drawLine(x, axis - 5, x, axis - 1);
        const QString label = tickLabel(t);
        p.drawText(x + 3, axis - 6 - fm.descent() + fm.ascent() / 2 - 2, label);
    }
}

void TraceTimeline::paintEvent(QPaintEvent *event)
{
    Q_UNUSED(event);
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    const int axis = axisHeight();
    const int viewportHeight = m_tree->viewport()->height();
    const QModelIndex current = m_tree->currentIndex();
    const qint64 clock = m_model->clockMs();
    const bool live = m_model->isLive();

    // Grid lines under the bars.
    {
        const double span = viewSpanMs();
        const double step = tickStep(span, width() - kLeftPad - kRightPad);
        const double start = m_fit ? 0.0 : double(m_viewStartMs);
        p.setPen(QColor(0, 0, 0, 18));
        for (double t = std::ceil(start / step) * step; t <= start + span; t += step) {
            const int x = int(xOf(qint64(t)));
            p.drawLine(x, axis, x, height());
        }
    }

    int painted = 0;
    p.setClipRect(QRect(0, axis, width(), height() - axis));
    for (QModelIndex idx = m_tree->indexAt(QPoint(1, 1)); idx.isValid(); idx = m_tree->indexBelow(idx)) {
        const QRect r = m_tree->visualRect(idx);
        if (r.top() > viewportHeight)
            break;
        const int i = m_model->nodeIndex(idx.siblingAtColumn(0));
        if (i < 0)
            continue;
        const TraceModel::Node &n = m_model->nodeAt(i);
        const int y = axis + r.top();
        const int h = r.height();
        const QRect rowRect(0, y, width(), h);
        if (idx.siblingAtColumn(0) == current.siblingAtColumn(0))
            p.fillRect(rowRect, palette().color(QPalette::Highlight).lighter(170));
        else if (m_model->isMatch(i))
            p.fillRect(rowRect, QColor(0xff, 0xec, 0x8b));
        if (n.startMs < 0)
            continue;
        const qint64 end = n.endMs >= 0 ? n.endMs : qMax(n.startMs, live ? clock : m_model->totalMs());
        const int barTop = y + qMax(2, h / 5);
        const int barHeight = qMax(3, h - 2 * qMax(2, h / 5));

        // Queue time (the execution row): hatched lead-in.
        if (i == 0 && n.queueMs > 0) {
            const double qx0 = xOf(qMax<qint64>(0, n.startMs - n.queueMs));
            const double qx1 = xOf(n.startMs);
            const QRectF q(qx0, barTop, qMax(1.0, qx1 - qx0), barHeight);
            p.fillRect(q, QBrush(QColor(0x9a, 0x9a, 0x9a), Qt::BDiagPattern));
            p.setPen(QColor(0x9a, 0x9a, 0x9a));
            p.drawRect(q);
        }

        const double x0 = xOf(n.startMs);
        const double x1 = qMax(x0 + 2.0, xOf(end));
        if (x1 < 0 || x0 > width())
            continue;
        QColor color = traceformat::kindColor(n.stepKind);
        if (n.failed)
            color = statuspalette::color(statuspalette::Tone::Failed);
        else if (n.stopped)
            color = color.lighter(140);
        const bool running = n.endMs < 0;
        const QRectF bar(x0, barTop, x1 - x0, barHeight);
        p.fillRect(bar, running ? color.lighter(135) : color);

        // Time to first token: the waiting head of the bar is darker, ended by a tick.
        if (n.ttftMs >= 0 && (n.stepKind == StepKind::Llm || i == 0)) {
            const double tx = qMin(x1, xOf(n.startMs + n.ttftMs));
            p.fillRect(QRectF(x0, barTop, qMax(0.0, tx - x0), barHeight), color.darker(150));
            p.setPen(QPen(QColor(0x20, 0x20, 0x20), 1));
            p.drawLine(QPointF(tx, barTop - 2), QPointF(tx, barTop + barHeight + 1));
        }
        if (running) {
            p.setPen(QPen(color.darker(130), 1, Qt::DashLine));
            p.drawRect(bar);
        }
        ++painted;
    }
    p.setClipping(false);
    drawAxis(p, axis);
    m_lastPaintedBars = painted;
    emit this->painted();
}

void TraceTimeline::wheelEvent(QWheelEvent *event)
{
    const int delta = event->angleDelta().y() != 0 ? event->angleDelta().y() : event->angleDelta().x();
    if (event->modifiers() & Qt::ControlModifier) {
        zoomBy(delta > 0 ? 0.8 : 1.25, int(event->position().x()));
        event->accept();
    } else if (event->modifiers() & Qt::ShiftModifier) {
        panBy(delta / 2);
        event->accept();
    } else {
        QApplication::sendEvent(m_tree->verticalScrollBar(), event);
    }
}

void TraceTimeline::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton) {
        m_dragging = true;
        m_dragX = m_pressX = int(event->position().x());
        setCursor(Qt::ClosedHandCursor);
    }
}

void TraceTimeline::mouseMoveEvent(QMouseEvent *event)
{
    if (!m_dragging)
        return;
    const int x = int(event->position().x());
    panBy(x - m_dragX);
    m_dragX = x;
}

void TraceTimeline::mouseReleaseEvent(QMouseEvent *event)
{
    if (!m_dragging)
        return;
    m_dragging = false;
    unsetCursor();
    if (qAbs(int(event->position().x()) - m_pressX) < 4) {
        const QModelIndex idx = indexAtY(int(event->position().y()));
        if (idx.isValid())
            m_tree->setCurrentIndex(idx.siblingAtColumn(0));
    }
}

void TraceTimeline::keyPressEvent(QKeyEvent *event)
{
    switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomBy(0.8, width() / 2);
        break;
    case Qt::Key_Minus:
        zoomBy(1.25, width() / 2);
        break;
    case Qt::Key_0:
        fit();
        break;
    case Qt::Key_Left:
        panBy(width() / 8);
        break;
    case Qt::Key_Right:
        panBy(-width() / 8);
        break;
    default:
        QWidget::keyPressEvent(event);
    }
}

bool TraceTimeline::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const QModelIndex idx = indexAtY(help->pos().y());
        const int i = m_model->nodeIndex(idx.siblingAtColumn(0));
        if (i < 0) {
            QToolTip::hideText();
            return true;
        }
        const TraceModel::Node &n = m_model->nodeAt(i);
        QString tip
            = QStringLiteral("<b>%1</b> (%2)<br>start +%3")
                  .arg(n.name.toHtmlEscaped(), n.kind, traceformat::latency(qMax<qint64>(0, n.startMs)));
        if (n.latencyMs >= 0)
            tip += QStringLiteral(", took %1").arg(traceformat::latency(n.latencyMs));
        if (i == 0 && n.queueMs > 0)
            tip += QStringLiteral("<br>queued %1").arg(traceformat::latency(n.queueMs));
        if (n.ttftMs >= 0)
            tip += QStringLiteral("<br>first token after %1").arg(traceformat::latency(n.ttftMs));
        QToolTip::showText(help->globalPos(), tip, this);
        return true;
    }
    return QWidget::event(event);
}
