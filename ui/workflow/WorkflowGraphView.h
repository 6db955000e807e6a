#pragma once

#include "core/model/Workspace.h"
#include "ui/common/StatusPalette.h"

#include <QColor>
#include <QGraphicsView>
#include <QHash>
#include <QString>
#include <QStringList>

class QGraphicsScene;
class QTimer;

namespace workflowgraph {
class NodeItem;
class EdgeItem;
}

// Full Workflow: an orchestration drawn as a graph whose nodes change colour as
// they run. Layered layout (Sugiyama style): longest-path layers from an "Inputs" source node
// to an "Outputs" sink node, virtual points for edges that span several layers, barycenter
// sweeps to reduce crossings. Edges are arrows labelled with their field mapping
// ("text → draft"); several edges between the same two nodes share one arrow.
//
// Interaction: click selects a node (nodeSelected), double-click or the context menu's "Test in
// context" asks for Node in Context (testInContextRequested). The view fits the graph on resize
// (never magnifying past 100 %) until the user zooms with Ctrl+wheel; "Fit to view" in the
// background context menu (or Ctrl+0) returns to fitting.
//
// GUI thread only. objectName "workflowGraph"; the context menu is "workflowGraphMenu" with the
// actions "testInContextAction" and "fitToViewAction".
class WorkflowGraphView final : public QGraphicsView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WorkflowGraphView)
public:
    // Unscoped so that both WorkflowGraphView::Running and WorkflowGraphView::State::Running work.
    enum State { Waiting, Running, Done, Failed, Skipped };
    Q_ENUM(State)

    explicit WorkflowGraphView(QWidget *parent = nullptr);
    ~WorkflowGraphView() override;

    // Lays the orchestration out anew; every node starts Waiting and nothing is selected.
    void setOrchestration(const OrchestrationSpec &spec);
    const OrchestrationSpec &orchestration() const { return m_spec; }

    void setNodeState(const QString &nodeId, State state);
    // A short second line under the state, e.g. "1.2 s · 230 tok". Empty clears it.
    void setNodeDetail(const QString &nodeId, const QString &detail);
    // Every node back to Waiting, details cleared.
    void resetStates();
    State nodeState(const QString &nodeId) const;

    // The selected orchestration node, or empty.
    QString selectedNode() const;
    // Programmatic selection (empty clears it). Does not emit nodeSelected, so a caller that
    // mirrors the selection elsewhere cannot loop.
    void selectNode(const QString &nodeId);

    // The palette tone of a state (ui/common/StatusPalette): the border is its colour, the
    // fill (stateColor, also used by the legend) its light colour.
    static statuspalette::Tone tone(State state);
    static QColor stateColor(State state);
    static QString stateName(State state);

    // Layout facts, for tests and for callers that want to scroll to a node.
    QStringList nodeIds() const; // orchestration nodes, in spec order
    QRectF nodeSceneRect(const QString &nodeId) const; // also "input" / "output" for the two ends
    int nodeLayer(const QString &nodeId) const; // 0 is the Inputs node; -1 unknown
    QColor nodeFillColor(const QString &nodeId) const; // what is painted now
    QStringList edgeLabels() const; // one per drawn arrow
    // Arrows drawn highlighted ("source -> target"): those of the selected node.
    QStringList highlightedEdges() const;

public slots:
    void fitToView();

signals:
    // The user selected a node (empty when the selection was cleared).
    void nodeSelected(const QString &nodeId);
    void testInContextRequested(const QString &nodeId);

protected:
    void resizeEvent(QResizeEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void drawForeground(QPainter *painter, const QRectF &rect) override;
    void showEvent(QShowEvent *event) override;

private:
    void rebuild();
    void onSceneSelectionChanged();
    void highlightEdgesOf(const QString &nodeId);
    void updateSpinner();
    workflowgraph::NodeItem *nodeAt(const QPoint &viewportPos) const;

    OrchestrationSpec m_spec;
    QGraphicsScene *m_scene = nullptr; // Owned (child).
    QHash<QString, workflowgraph::NodeItem *> m_nodes; // Owned by the scene.
    QList<workflowgraph::EdgeItem *> m_edges; // Owned by the scene.
    QTimer *m_spinner = nullptr; // Animates Running nodes. Owned (child).
    QString m_lastSelected;
    int m_spinnerPhase = 0;
    bool m_autoFit = true;
    bool m_settingSelection = false;
};
