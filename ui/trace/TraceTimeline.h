#pragma once

#include <QWidget>

class QTreeView;
class TraceModel;

// The waterfall beside the step tree: one bar per VISIBLE tree row on a shared time
// axis, drawn in the tree's row geometry, so scrolling or expanding the tree moves the bars
// with it and a 30,000-step trace paints only the ~50 rows on screen. Queue time is a hatched
// lead-in on the execution row, time to first token a darker head on llm bars with a tick.
//
// Zoom: Ctrl+wheel (around the cursor), +/-; pan: drag, Shift+wheel, Left/Right; 0 fits.
// A plain wheel scrolls the tree (one vertical scroll for both). Clicking a bar selects its
// row. GUI thread only; the tree and model are not owned.
class TraceTimeline final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TraceTimeline)
public:
    explicit TraceTimeline(QTreeView *tree, TraceModel *model, QWidget *parent = nullptr);

    // The visible window of the time axis, in ms from the model's origin.
    qint64 viewStartMs() const { return m_viewStartMs; }
    double viewSpanMs() const;
    bool isFitted() const { return m_fit; }
    void fit();
    void zoomBy(double factor, int anchorX);
    void panBy(int pixels);
    // How many bars the last paint drew (tests and the benchmark check virtualization).
    int lastPaintedBars() const { return m_lastPaintedBars; }

    QSize sizeHint() const override { return { 420, 300 }; }
    QSize minimumSizeHint() const override { return { 120, 80 }; }

signals:
    void painted();

protected:
    void paintEvent(QPaintEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    bool event(QEvent *event) override;

private:
    int axisHeight() const;
    int rowTop(const QRect &visualRect) const;
    double xOf(qint64 ms) const;
    qint64 msAt(int x) const;
    QModelIndex indexAtY(int y) const;
    void drawAxis(QPainter &p, int height);

    QTreeView *m_tree; // Not owned.
    TraceModel *m_model; // Not owned.
    bool m_fit = true;
    qint64 m_viewStartMs = 0;
    double m_viewSpanMs = 1000;
    bool m_dragging = false;
    int m_dragX = 0;
    int m_pressX = 0;
    int m_lastPaintedBars = 0;
};
