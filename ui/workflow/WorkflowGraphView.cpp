#include "ui/workflow/WorkflowGraphView.h"

#include "ui/workflow/GraphLayout.h"

#include <QContextMenuEvent>
#include <QFontMetricsF>
#include <QGraphicsItem>
#include <QGraphicsScene>
#include <QGraphicsSceneHoverEvent>
#include <QKeyEvent>
#include <QMenu>
#include <QPainter>
#include <QPainterPath>
#include <QScrollBar>
#include <QSet>
#include <QStyleOptionGraphicsItem>
#include <QTimer>
#include <QWheelEvent>
#include <QtMath>

#include <algorithm>
#include <cmath>

namespace workflowgraph {

namespace {

constexpr qreal kNodeMinWidth = 150;
constexpr qreal kNodeMaxWidth = 240;
constexpr qreal kLabelPad = 4;
constexpr qreal kLegendHeight = 30;

QColor borderColor(WorkflowGraphView::State s)
{
    return statuspalette::color(WorkflowGraphView::tone(s));
}

const QColor kText(0x21, 0x21, 0x21);
const QColor kSubtleText(0x61, 0x61, 0x61);
const QColor kEndFill(0xe3, 0xf2, 0xfd);
const QColor kEndBorder(0x64, 0xb5, 0xf6);
const QColor kSelection(0x15, 0x65, 0xc0);
const QColor kEdge(0x78, 0x90, 0x9c);
const QColor kEdgeDone(0x2e, 0x7d, 0x32);

} // namespace

// One box: an orchestration node, or the Inputs / Outputs end of the graph.
class NodeItem final : public QGraphicsItem
{
public:
    enum Kind { Node, Inputs, Outputs };

    NodeItem(Kind kind, QString id, QString title, QString subtitle, QStringList lines, qreal width)
        : m_kind(kind)
        , m_id(std::move(id))
        , m_title(std::move(title))
        , m_subtitle(std::move(subtitle))
        , m_lines(std::move(lines))
    {
        const qreal height = kind == Node ? kNodeHeight : qMax<qreal>(52, 34 + 17 * m_lines.size());
        m_rect = QRectF(0, 0, width, height);
        if (kind == Node) {
            setFlag(ItemIsSelectable);
            setCursor(Qt::PointingHandCursor);
            setAcceptHoverEvents(true);
        }
        setZValue(2);
    }

    Kind kind() const { return m_kind; }
    const QString &id() const { return m_id; }
    QRectF rect() const { return m_rect; }
    qreal height() const { return m_rect.height(); }

    WorkflowGraphView::State state() const { return m_state; }
    void setState(WorkflowGraphView::State s)
    {
        if (m_state == s)
            return;
        m_state = s;
        update();
    }
    void setDetail(const QString &d)
    {
        if (m_detail == d)
            return;
        m_detail = d;
        update();
    }
    void setSpinnerPhase(int phase)
    {
        m_phase = phase;
        update();
    }
    QColor fill() const { return m_kind == Node ? WorkflowGraphView::stateColor(m_state) : kEndFill; }

    QRectF boundingRect() const override { return m_rect.adjusted(-3, -3, 3, 3); }

    QPainterPath shape() const override
    {
        QPainterPath p;
        p.addRoundedRect(m_rect, 8, 8);
        return p;
    }

    void paint(QPainter *painter, const QStyleOptionGraphicsItem *, QWidget *) override
    {
        painter->setRenderHint(QPainter::Antialiasing);
        const bool selected = isSelected();
        QPen pen(m_kind == Node ? borderColor(m_state) : kEndBorder, selected ? 3 : 1.6);
        if (m_kind == Node && m_state == WorkflowGraphView::Skipped)
            pen.setStyle(Qt::DashLine);
        if (selected)
            pen.setColor(kSelection);
        painter->setPen(pen);
        painter->setBrush(fill());
        painter->drawRoundedRect(m_rect, 8, 8);

        QFont titleFont = painter->font();
        titleFont.setBold(true);
        QFont small = painter->font();
        small.setPointSizeF(qMax<qreal>(7, small.pointSizeF() * 0.88));
        const qreal textWidth = m_rect.width() - 20;
        const bool skipped = m_kind == Node && m_state == WorkflowGraphView::Skipped;

        painter->setFont(titleFont);
        painter->setPen(skipped ? kSubtleText : kText);
        const QFontMetricsF tm(titleFont);
        qreal y = 8;
        painter->drawText(QRectF(10, y, textWidth - (m_kind == Node ? 14 : 0), tm.height()),
            Qt::AlignLeft | Qt::AlignVCenter,
            tm.elidedText(m_title, Qt::ElideRight, textWidth - (m_kind == Node ? 14 : 0)));
        y += tm.height() + 2;

        painter->setFont(small);
        const QFontMetricsF sm(small);
        if (m_kind == Node) {
            painter->setPen(kSubtleText);
            painter->drawText(QRectF(10, y, textWidth, sm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                sm.elidedText(m_subtitle, Qt::ElideRight, textWidth));
            y += sm.height() + 3;
            QString status = WorkflowGraphView::stateName(m_state);
            if (!m_detail.isEmpty())
                status += QStringLiteral(" · ") + m_detail;
            QFont statusFont = small;
            statusFont.setItalic(skipped);
            statusFont.setBold(m_state == WorkflowGraphView::Running || m_state == WorkflowGraphView::Failed);
            painter->setFont(statusFont);
            painter->setPen(
                m_state == WorkflowGraphView::Waiting ? kSubtleText : borderColor(m_state).darker(130));
            painter->drawText(QRectF(10, y, textWidth, sm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                QFontMetricsF(statusFont).elidedText(status, Qt::ElideRight, textWidth));
            if (m_state == WorkflowGraphView::Running) {
                // A turning arc in the corner: running nodes are visible at a glance.
                const QRectF arc(m_rect.right() - 22, 9, 13, 13);
                painter->setPen(QPen(borderColor(m_state), 2.2, Qt::SolidLine, Qt::RoundCap));
                painter->setBrush(Qt::NoBrush);
                painter->drawArc(arc, -m_phase * 16 * 30, 16 * 260);
            } else if (m_state == WorkflowGraphView::Done || m_state == WorkflowGraphView::Failed) {
                const QRectF mark(m_rect.right() - 22, 9, 13, 13);
                painter->setPen(QPen(borderColor(m_state), 2.2, Qt::SolidLine, Qt::RoundCap));
                if (m_state == WorkflowGraphView::Done) {
                    painter->drawPolyline(QPolygonF { mark.topLeft() + QPointF(1, 7),
                        mark.topLeft() + QPointF(5, 11), mark.topLeft() + QPointF(12, 2) });
                } else {
                    painter->drawLine(mark.topLeft() + QPointF(2, 2), mark.bottomRight() - QPointF(2, 2));
                    painter->drawLine(mark.topRight() + QPointF(-2, 2), mark.bottomLeft() + QPointF(2, -2));
                }
            }
        } else {
            painter->setPen(kSubtleText);
            for (const QString &line : m_lines) {
                painter->drawText(QRectF(10, y, textWidth, sm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                    sm.elidedText(line, Qt::ElideRight, textWidth));
                y += 17;
            }
        }
    }

private:
    Kind m_kind;
    QString m_id;
    QString m_title, m_subtitle;
    QStringList m_lines;
    QString m_detail;
    QRectF m_rect;
    WorkflowGraphView::State m_state = WorkflowGraphView::Waiting;
    int m_phase = 0;
};

// A field-mapping label on a white chip.
class LabelItem final : public QGraphicsItem
{
public:
    LabelItem(const QStringList &lines, const QFont &font)
        : m_lines(lines)
        , m_font(font)
    {
        const QFontMetricsF fm(m_font);
        qreal w = 0;
        for (const QString &l : m_lines)
            w = qMax(w, fm.horizontalAdvance(l));
        m_rect = QRectF(0, 0, w + 2 * kLabelPad + 2, m_lines.size() * fm.height() + 2 * kLabelPad - 2);
        setZValue(3);
    }
    QRectF boundingRect() const override { return m_rect; }
    QSizeF size() const { return m_rect.size(); }
    QString text() const { return m_lines.join(QLatin1Char('\n')); }
    void paint(QPainter *painter, const QStyleOptionGraphicsItem *, QWidget *) override
    {
        painter->setRenderHint(QPainter::Antialiasing);
        painter->setPen(QPen(QColor(0xcf, 0xd8, 0xdc), 1));
        painter->setBrush(QColor(255, 255, 255, 235));
        painter->drawRoundedRect(m_rect.adjusted(0.5, 0.5, -0.5, -0.5), 4, 4);
        painter->setFont(m_font);
        painter->setPen(QColor(0x37, 0x47, 0x4f));
        const QFontMetricsF fm(m_font);
        qreal y = kLabelPad - 1;
        for (const QString &l : m_lines) {
            painter->drawText(
                QRectF(kLabelPad + 1, y, m_rect.width() - 2 * kLabelPad, fm.height()), Qt::AlignCenter, l);
            y += fm.height();
        }
    }

private:
    QStringList m_lines;
    QFont m_font;
    QRectF m_rect;
};

// One arrow (possibly carrying several field mappings) with its label.
class EdgeItem final : public QGraphicsPathItem
{
public:
    EdgeItem(QString source, QString target)
        : m_source(std::move(source))
        , m_target(std::move(target))
    {
        setZValue(1);
        setColor(kEdge);
    }
    const QString &source() const { return m_source; }
    const QString &target() const { return m_target; }
    LabelItem *label = nullptr; // Owned by the scene.
    QPointF end;
    qreal endAngle = 0; // degrees, QPainterPath convention

    void setColor(const QColor &c)
    {
        m_color = c;
        applyPen();
    }
    // The edges of the selected node stand out.
    void setHighlighted(bool on)
    {
        if (m_highlighted == on)
            return;
        m_highlighted = on;
        setZValue(on ? 1.5 : 1);
        applyPen();
    }
    bool isHighlighted() const { return m_highlighted; }
    QRectF boundingRect() const override { return QGraphicsPathItem::boundingRect().adjusted(-8, -8, 8, 8); }
    void paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget) override
    {
        painter->setRenderHint(QPainter::Antialiasing);
        QGraphicsPathItem::paint(painter, option, widget);
        // Arrow head at the target, along the path's last direction.
        const qreal a = qDegreesToRadians(endAngle);
        const QPointF dir(std::cos(a), -std::sin(a));
        const QPointF normal(-dir.y(), dir.x());
        const QPointF base = end - dir * 9;
        painter->setPen(Qt::NoPen);
        painter->setBrush(pen().color());
        painter->drawPolygon(QPolygonF { end, base + normal * 4.5, base - normal * 4.5 });
    }

private:
    void applyPen()
    {
        setPen(QPen(m_highlighted ? kSelection : m_color, m_highlighted ? 2.4 : 1.6, Qt::SolidLine,
            Qt::RoundCap, Qt::RoundJoin));
        update();
    }

    QString m_source, m_target;
    QColor m_color;
    bool m_highlighted = false;
};

} // namespace workflowgraph

using namespace workflowgraph;

namespace {

// "text → draft", or just "topic" when both sides have the same name.
QString mapping(const QString &from, const QString &to)
{
    return from == to ? from : from + QStringLiteral(" → ") + to;
}

// One arrow per (source, target) pair, labelled with every field mapping it carries.
struct VisualEdge
{
    int source = -1, target = -1;
    QStringList labels;
};

// The arrows of the graph, one per (source, target) pair of vertices; `index` maps node ids to
// their vertices, Inputs and Outputs have their own.
QList<VisualEdge> visualEdges(
    const OrchestrationSpec &spec, const QHash<QString, int> &index, int inputsV, int outputsV)
{
    QList<VisualEdge> edges;
    QHash<QPair<int, int>, int> edgeIndex;
    auto link = [&](int s, int t, const QString &label) {
        const QPair<int, int> key(s, t);
        if (!edgeIndex.contains(key)) {
            edgeIndex.insert(key, int(edges.size()));
            VisualEdge e;
            e.source = s;
            e.target = t;
            edges.append(e);
        }
        QStringList &labels = edges[edgeIndex.value(key)].labels;
        if (!labels.contains(label))
            labels.append(label);
    };
    auto sourceVertex = [&](const QString &node) {
        return node == QLatin1String("input") ? inputsV : index.value(node, -1);
    };
    for (const EdgeSpec &e : spec.edges) {
        const int s = sourceVertex(e.fromNode), t = index.value(e.toNode, -1);
        if (s >= 0 && t >= 0)
            link(s, t, mapping(e.fromField, e.toField));
    }
    for (const WorkflowOutputSpec &o : spec.outputs) {
        const int s = sourceVertex(o.fromNode);
        if (s >= 0)
            link(s, outputsV, mapping(o.fromField, o.name));
    }
    return edges;
}

// The arrow of layout edge k, from its source box's right side to its target's left side,
// through its virtual points; labelAt receives where its label is centred.
QPainterPath edgePath(const Layout &layout, int k, qreal width, QPointF *labelAt)
{
    const QList<LayoutVertex> &v = layout.vertices;
    const QList<qreal> &x = layout.layerX;
    const LayoutEdge &le = layout.edges.at(k);
    const int source = le.path.constFirst(), target = le.path.constLast();
    QPainterPath path;
    const QPointF start(x.at(v.at(source).layer) + width, le.startY);
    const QPointF end(x.at(v.at(target).layer), le.endY);
    path.moveTo(start);
    if (le.backward) {
        // A cycle (invalid workflow): loop below the boxes back to the target.
        const qreal below
            = qMax(v.at(source).y + v.at(source).height, v.at(target).y + v.at(target).height) + 50;
        path.cubicTo(start + QPointF(70, 0), QPointF(start.x() + 70, below),
            QPointF((start.x() + end.x()) / 2, below));
        path.cubicTo(QPointF(end.x() - 70, below), end - QPointF(70, 0), end);
        *labelAt = QPointF((start.x() + end.x()) / 2, below);
        return path;
    }
    QPointF from = start;
    for (int p = 1; p < int(le.path.size()); ++p) {
        const int idx = le.path.at(p);
        const bool last = p == int(le.path.size()) - 1;
        const QPointF to = last ? end : QPointF(x.at(v.at(idx).layer), v.at(idx).centerY());
        const qreal dx = (to.x() - from.x()) / 2;
        path.cubicTo(from + QPointF(dx, 0), to - QPointF(dx, 0), to);
        if (last) {
            *labelAt = (from + to) / 2;
        } else {
            // Straight through the virtual point's column.
            from = QPointF(x.at(v.at(idx).layer) + width, v.at(idx).centerY());
            path.lineTo(from);
        }
    }
    return path;
}

// Labels in one gap must not cover each other: push apart vertically, then re-centre.
void spreadLabels(QHash<int, QList<LabelItem *>> &labelsInGap)
{
    for (auto it = labelsInGap.begin(); it != labelsInGap.end(); ++it) {
        QList<LabelItem *> &ls = it.value();
        if (ls.size() < 2)
            continue;
        std::stable_sort(ls.begin(), ls.end(), [](LabelItem *a, LabelItem *b) { return a->y() < b->y(); });
        qreal moved = 0;
        qreal bottom = -1e18;
        for (LabelItem *l : ls) {
            const qreal want = qMax(l->y(), bottom + 4);
            moved += want - l->y();
            l->setY(want);
            bottom = want + l->size().height();
        }
        const qreal shift = moved / ls.size() / 2;
        for (LabelItem *l : ls)
            l->setY(l->y() - shift);
    }
}

} // namespace

WorkflowGraphView::WorkflowGraphView(QWidget *parent)
    : QGraphicsView(parent)
    , m_scene(new QGraphicsScene(this))
    , m_spinner(new QTimer(this))
{
    setObjectName(QStringLiteral("workflowGraph"));
    setScene(m_scene);
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    setDragMode(QGraphicsView::ScrollHandDrag);
    setViewportUpdateMode(QGraphicsView::FullViewportUpdate); // the legend is painted in view coordinates
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setBackgroundBrush(QColor(0xfb, 0xfc, 0xfd));
    setMinimumSize(200, 140);
    setFocusPolicy(Qt::StrongFocus);
    setToolTip(QString());
    m_spinner->setInterval(80);
    connect(m_spinner, &QTimer::timeout, this, &WorkflowGraphView::updateSpinner);
    connect(m_scene, &QGraphicsScene::selectionChanged, this, &WorkflowGraphView::onSceneSelectionChanged);
}

WorkflowGraphView::~WorkflowGraphView()
{
    // The scene is a child QObject; disconnect first so its teardown does not call back.
    disconnect(m_scene, nullptr, this, nullptr);
}

statuspalette::Tone WorkflowGraphView::tone(State state)
{
    switch (state) {
    case Waiting:
        return statuspalette::Tone::Waiting;
    case Running:
        return statuspalette::Tone::Running;
    case Done:
        return statuspalette::Tone::Succeeded;
    case Failed:
        return statuspalette::Tone::Failed;
    case Skipped:
        return statuspalette::Tone::Skipped;
    }
    return statuspalette::Tone::Idle;
}

QColor WorkflowGraphView::stateColor(State state)
{
    return statuspalette::fill(tone(state));
}

QString WorkflowGraphView::stateName(State state)
{
    switch (state) {
    case Waiting:
        return tr("waiting");
    case Running:
        return tr("running");
    case Done:
        return tr("done");
    case Failed:
        return tr("failed");
    case Skipped:
        return tr("skipped");
    }
    return {};
}

void WorkflowGraphView::setOrchestration(const OrchestrationSpec &spec)
{
    m_spec = spec;
    rebuild();
}

void WorkflowGraphView::rebuild()
{
    m_settingSelection = true;
    m_scene->clear();
    m_settingSelection = false;
    m_nodes.clear();
    m_edges.clear();
    m_spinner->stop();
    if (!m_lastSelected.isEmpty()) {
        m_lastSelected.clear();
        emit nodeSelected(QString());
    }
    m_autoFit = true;

    if (m_spec.nodes.isEmpty()) {
        auto *text = m_scene->addSimpleText(
            m_spec.id.isEmpty() ? tr("No workflow selected") : tr("This workflow has no nodes"));
        text->setBrush(kSubtleText);
        m_scene->setSceneRect(text->boundingRect().adjusted(-20, -20, 20, 20));
        fitToView();
        return;
    }

    const QFont baseFont = font();
    QFont titleFont = baseFont;
    titleFont.setBold(true);
    QFont smallFont = baseFont;
    smallFont.setPointSizeF(qMax<qreal>(7, baseFont.pointSizeF() * 0.88));
    const QFontMetricsF tm(titleFont), sm(smallFont);

    // ---- vertices: Inputs, every node, Outputs ----
    QList<NodeItem *> items; // per layout vertex; owned by the scene
    QHash<QString, int> index; // node id -> vertex
    LayoutInput in;
    QStringList inputLines, outputLines;
    for (const FieldSpec &f : m_spec.inputs)
        inputLines.append(f.name + QStringLiteral(": ") + FieldSpec::typeName(f.type));
    for (const WorkflowOutputSpec &o : m_spec.outputs)
        outputLines.append(o.name);
    if (inputLines.isEmpty())
        inputLines.append(tr("(none)"));
    if (outputLines.isEmpty())
        outputLines.append(tr("(none)"));

    qreal width = kNodeMinWidth;
    for (const NodeSpec &n : m_spec.nodes)
        width = qMax(width, qMax(tm.horizontalAdvance(n.id) + 36, sm.horizontalAdvance(n.agent) + 24));
    for (const QString &l : inputLines + outputLines)
        width = qMax(width, sm.horizontalAdvance(l) + 24);
    width = qMin(width, kNodeMaxWidth);
    in.nodeWidth = width;

    auto addVertex = [&](NodeItem *item) {
        items.append(item);
        in.heights.append(item->height());
        m_scene->addItem(item);
        return int(items.size() - 1);
    };
    const int inputsV = addVertex(
        new NodeItem(NodeItem::Inputs, QStringLiteral("input"), tr("Inputs"), QString(), inputLines, width));
    for (const NodeSpec &n : m_spec.nodes) {
        if (n.id.isEmpty() || index.contains(n.id))
            continue;
        auto *item = new NodeItem(NodeItem::Node, n.id, n.id, QStringLiteral("agent: ") + n.agent, {}, width);
        QStringList ins, outs;
        for (const EdgeSpec &e : m_spec.edgesInto(n.id))
            ins.append(e.toField + QStringLiteral(" ← ") + e.fromNode + QLatin1Char('.') + e.fromField);
        item->setToolTip(
            tr("<b>%1</b> — agent <i>%2</i><br>%3<br><br>Double-click or right-click: Test in context")
                .arg(n.id.toHtmlEscaped(), n.agent.toHtmlEscaped(),
                    ins.isEmpty() ? tr("No upstream inputs")
                                  : ins.join(QStringLiteral("<br>")).toHtmlEscaped()));
        item->setData(0, n.id);
        index.insert(n.id, addVertex(item));
        in.nodes.append(n.id);
        m_nodes.insert(n.id, item);
    }
    const int outputsV = addVertex(new NodeItem(
        NodeItem::Outputs, QStringLiteral("output"), tr("Outputs"), QString(), outputLines, width));
    items[inputsV]->setToolTip(tr("Workflow inputs"));
    items[outputsV]->setToolTip(tr("Workflow outputs"));

    // ---- visual edges: one per (source, target) pair ----
    const QList<VisualEdge> edges = visualEdges(m_spec, index, inputsV, outputsV);
    QList<LabelItem *> labelOf;
    for (const VisualEdge &e : std::as_const(edges)) {
        labelOf.append(new LabelItem(e.labels, smallFont));
        in.edges.append({ e.source, e.target });
        in.labelWidths.append(labelOf.constLast()->size().width());
    }

    // ---- layout, then boxes, edges and labels at its coordinates ----
    const Layout layout = layoutGraph(in);
    const QList<LayoutVertex> &v = layout.vertices;
    const QList<qreal> &x = layout.layerX;
    for (int i = 0; i < int(items.size()); ++i)
        items.at(i)->setPos(x.at(v.at(i).layer), v.at(i).y);
    QHash<int, QList<LabelItem *>> labelsInGap;
    for (int k = 0; k < int(edges.size()); ++k) {
        const VisualEdge &e = edges.at(k);
        const LayoutEdge &le = layout.edges.at(k);
        auto *item = new EdgeItem(items.at(e.source)->id(), items.at(e.target)->id());
        QPointF labelAt;
        const QPainterPath path = edgePath(layout, k, width, &labelAt);
        const QPointF end = path.currentPosition();
        item->setPath(path);
        item->end = end;
        item->endAngle = path.angleAtPercent(1);
        item->setToolTip(e.labels.join(QLatin1Char('\n')));
        m_scene->addItem(item);
        LabelItem *label = labelOf.at(k);
        label->setPos(labelAt - QPointF(label->size().width() / 2, label->size().height() / 2));
        label->setToolTip(item->toolTip());
        m_scene->addItem(label);
        item->label = label;
        labelsInGap[le.backward ? -1 - k : qMax(0, v.at(e.target).layer - 1)].append(label);
        m_edges.append(item);
    }
    spreadLabels(labelsInGap);

    const QRectF bounds = m_scene->itemsBoundingRect();
    m_scene->setSceneRect(bounds.adjusted(-30, -30 - kLegendHeight, 30, 30));
    fitToView();
    viewport()->update();
}

void WorkflowGraphView::setNodeState(const QString &nodeId, State state)
{
    NodeItem *item = m_nodes.value(nodeId);
    if (!item)
        return;
    item->setState(state);
    for (EdgeItem *e : std::as_const(m_edges))
        if (e->source() == nodeId)
            e->setColor(state == Done ? kEdgeDone : kEdge);
    updateSpinner();
}

void WorkflowGraphView::setNodeDetail(const QString &nodeId, const QString &detail)
{
    if (NodeItem *item = m_nodes.value(nodeId))
        item->setDetail(detail);
}

void WorkflowGraphView::resetStates()
{
    for (NodeItem *item : std::as_const(m_nodes)) {
        item->setState(Waiting);
        item->setDetail(QString());
    }
    for (EdgeItem *e : std::as_const(m_edges))
        e->setColor(kEdge);
    updateSpinner();
}

WorkflowGraphView::State WorkflowGraphView::nodeState(const QString &nodeId) const
{
    const NodeItem *item = m_nodes.value(nodeId);
    return item ? item->state() : Waiting;
}

QString WorkflowGraphView::selectedNode() const
{
    for (QGraphicsItem *item : m_scene->selectedItems())
        if (auto *node = dynamic_cast<NodeItem *>(item))
            return node->id();
    return {};
}

void WorkflowGraphView::selectNode(const QString &nodeId)
{
    m_settingSelection = true;
    m_scene->clearSelection();
    if (NodeItem *item = m_nodes.value(nodeId)) {
        item->setSelected(true);
        ensureVisible(item, 20, 20);
    }
    m_settingSelection = false;
    m_lastSelected = selectedNode();
    highlightEdgesOf(m_lastSelected);
}

void WorkflowGraphView::highlightEdgesOf(const QString &nodeId)
{
    for (EdgeItem *e : std::as_const(m_edges))
        e->setHighlighted(!nodeId.isEmpty() && (e->source() == nodeId || e->target() == nodeId));
}

void WorkflowGraphView::onSceneSelectionChanged()
{
    if (m_settingSelection)
        return;
    const QString now = selectedNode();
    highlightEdgesOf(now);
    if (now == m_lastSelected)
        return;
    m_lastSelected = now;
    emit nodeSelected(now);
}

void WorkflowGraphView::updateSpinner()
{
    bool running = false;
    if (sender() == m_spinner)
        ++m_spinnerPhase;
    for (NodeItem *item : std::as_const(m_nodes)) {
        if (item->state() == Running) {
            running = true;
            item->setSpinnerPhase(m_spinnerPhase);
        }
    }
    if (running && !m_spinner->isActive())
        m_spinner->start();
    else if (!running)
        m_spinner->stop();
}

QStringList WorkflowGraphView::nodeIds() const
{
    QStringList ids;
    for (const NodeSpec &n : m_spec.nodes)
        if (m_nodes.contains(n.id) && !ids.contains(n.id))
            ids.append(n.id);
    return ids;
}

static NodeItem *endItem(QGraphicsScene *scene, NodeItem::Kind kind)
{
    for (QGraphicsItem *i : scene->items())
        if (auto *n = dynamic_cast<NodeItem *>(i); n && n->kind() == kind)
            return n;
    return nullptr;
}

QRectF WorkflowGraphView::nodeSceneRect(const QString &nodeId) const
{
    const NodeItem *item = m_nodes.value(nodeId);
    if (!item && nodeId == QLatin1String("input"))
        item = endItem(m_scene, NodeItem::Inputs);
    if (!item && nodeId == QLatin1String("output"))
        item = endItem(m_scene, NodeItem::Outputs);
    return item ? item->mapRectToScene(item->rect()) : QRectF();
}

int WorkflowGraphView::nodeLayer(const QString &nodeId) const
{
    const QRectF r = nodeSceneRect(nodeId);
    const QRectF first = nodeSceneRect(QStringLiteral("input"));
    if (r.isNull() || first.isNull())
        return -1;
    // Columns are ordered by x; count the distinct column positions left of this one.
    QList<qreal> columns;
    for (QGraphicsItem *i : m_scene->items())
        if (auto *n = dynamic_cast<NodeItem *>(i))
            if (!columns.contains(n->x()))
                columns.append(n->x());
    std::sort(columns.begin(), columns.end());
    return int(columns.indexOf(r.x()));
}

QColor WorkflowGraphView::nodeFillColor(const QString &nodeId) const
{
    const NodeItem *item = m_nodes.value(nodeId);
    return item ? item->fill() : QColor();
}

QStringList WorkflowGraphView::edgeLabels() const
{
    QStringList out;
    for (const EdgeItem *e : m_edges)
        out.append(e->source() + QStringLiteral(" -> ") + e->target() + QStringLiteral(": ")
            + (e->label ? e->label->text().replace(QLatin1Char('\n'), QStringLiteral(", ")) : QString()));
    return out;
}

void WorkflowGraphView::fitToView()
{
    m_autoFit = true;
    const QRectF r = m_scene->sceneRect();
    if (r.isEmpty() || viewport()->width() < 10 || viewport()->height() < 10)
        return;
    const qreal s
        = qMin<qreal>(1.0, qMin(viewport()->width() / r.width(), viewport()->height() / r.height()));
    setTransform(QTransform::fromScale(s, s));
    centerOn(r.center());
}

void WorkflowGraphView::resizeEvent(QResizeEvent *event)
{
    QGraphicsView::resizeEvent(event);
    if (m_autoFit)
        fitToView();
}

void WorkflowGraphView::showEvent(QShowEvent *event)
{
    QGraphicsView::showEvent(event);
    if (m_autoFit)
        fitToView();
}

void WorkflowGraphView::wheelEvent(QWheelEvent *event)
{
    if (!(event->modifiers() & Qt::ControlModifier)) {
        QGraphicsView::wheelEvent(event);
        return;
    }
    const qreal factor = std::pow(1.0015, event->angleDelta().y());
    const qreal current = transform().m11();
    const qreal target = qBound<qreal>(0.1, current * factor, 4.0);
    m_autoFit = false;
    scale(target / current, target / current);
    event->accept();
}

void WorkflowGraphView::keyPressEvent(QKeyEvent *event)
{
    if (event->modifiers() & Qt::ControlModifier) {
        if (event->key() == Qt::Key_0) {
            fitToView();
            return;
        }
        if (event->key() == Qt::Key_Plus || event->key() == Qt::Key_Equal || event->key() == Qt::Key_Minus) {
            const qreal f = event->key() == Qt::Key_Minus ? 1 / 1.2 : 1.2;
            const qreal target = qBound<qreal>(0.1, transform().m11() * f, 4.0);
            m_autoFit = false;
            scale(target / transform().m11(), target / transform().m11());
            return;
        }
    }
    if ((event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) && !selectedNode().isEmpty()) {
        emit testInContextRequested(selectedNode());
        return;
    }
    QGraphicsView::keyPressEvent(event);
}

NodeItem *WorkflowGraphView::nodeAt(const QPoint &viewportPos) const
{
    for (QGraphicsItem *i : items(viewportPos))
        if (auto *n = dynamic_cast<NodeItem *>(i); n && n->kind() == NodeItem::Node)
            return n;
    return nullptr;
}

void WorkflowGraphView::contextMenuEvent(QContextMenuEvent *event)
{
    NodeItem *node = nodeAt(event->pos());
    QMenu menu(this);
    menu.setObjectName(QStringLiteral("workflowGraphMenu"));
    if (node) {
        if (selectedNode() != node->id()) {
            m_scene->clearSelection();
            node->setSelected(true); // emits nodeSelected through the scene
        }
        QAction *test = menu.addAction(tr("Test in context"));
        test->setObjectName(QStringLiteral("testInContextAction"));
        test->setToolTip(tr("Run only this node, with its upstream inputs simulated"));
        const QString id = node->id();
        connect(test, &QAction::triggered, this, [this, id] { emit testInContextRequested(id); });
        menu.addSeparator();
    }
    QAction *fit = menu.addAction(tr("Fit to view"));
    fit->setObjectName(QStringLiteral("fitToViewAction"));
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    connect(fit, &QAction::triggered, this, &WorkflowGraphView::fitToView);
    menu.exec(event->globalPos());
    event->accept();
}

void WorkflowGraphView::mouseDoubleClickEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton) {
        if (NodeItem *node = nodeAt(event->position().toPoint())) {
            emit testInContextRequested(node->id());
            event->accept();
            return;
        }
        fitToView();
        event->accept();
        return;
    }
    QGraphicsView::mouseDoubleClickEvent(event);
}

void WorkflowGraphView::drawForeground(QPainter *painter, const QRectF &rect)
{
    Q_UNUSED(rect);
    if (m_nodes.isEmpty())
        return;
    // The legend stays in the view's top-left corner whatever the zoom.
    painter->save();
    painter->resetTransform();
    painter->setRenderHint(QPainter::Antialiasing);
    QFont f = font();
    f.setPointSizeF(qMax<qreal>(7, f.pointSizeF() * 0.85));
    painter->setFont(f);
    const QFontMetricsF fm(f);
    const State states[] = { Waiting, Running, Done, Failed, Skipped };
    qreal w = 8;
    for (State s : states)
        w += 14 + 4 + fm.horizontalAdvance(stateName(s)) + 10;
    const QRectF box(6, 6, w, fm.height() + 10);
    painter->setPen(QPen(QColor(0xcf, 0xd8, 0xdc), 1));
    painter->setBrush(QColor(255, 255, 255, 225));
    painter->drawRoundedRect(box, 5, 5);
    qreal xPos = box.left() + 8;
    for (State s : states) {
        const QRectF swatch(xPos, box.center().y() - 6, 12, 12);
        QPen pen(borderColor(s), 1.4);
        if (s == Skipped)
            pen.setStyle(Qt::DashLine);
        painter->setPen(pen);
        painter->setBrush(stateColor(s));
        painter->drawRoundedRect(swatch, 3, 3);
        xPos += 16;
        painter->setPen(kText);
        const QString name = stateName(s);
        painter->drawText(QRectF(xPos, box.top(), fm.horizontalAdvance(name) + 2, box.height()),
            Qt::AlignVCenter | Qt::AlignLeft, name);
        xPos += fm.horizontalAdvance(name) + 12;
    }
    painter->restore();
}

QStringList WorkflowGraphView::highlightedEdges() const
{
    QStringList out;
    for (const EdgeItem *e : m_edges)
        if (e->isHighlighted())
            out.append(e->source() + QStringLiteral(" -> ") + e->target());
    return out;
}
