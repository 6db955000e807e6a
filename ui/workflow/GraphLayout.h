#pragma once

#include <QList>
#include <QPair>
#include <QStringList>

// The layered layout of the Full Workflow graph, apart from the scene items that draw it:
// layers from the orchestration graph (longest path from the inputs), virtual points on edges
// that span several layers, barycenter ordering within layers, coordinates and edge ports.
// Pure and headless (Qt Core only), so it is tested without a widget; WorkflowGraphView turns
// the result into items. Any thread.
namespace workflowgraph {

// Vertical sizes and gaps (scene units).
constexpr qreal kNodeHeight = 74;
constexpr qreal kDummyHeight = 18; // a virtual point of a long edge
constexpr qreal kNodeGap = 34; // vertical space between boxes in a layer
constexpr qreal kDummyGap = 12; // next to a virtual point
constexpr qreal kMinLayerGap = 90; // horizontal space between layers (grows with labels)

struct LayoutInput
{
    // Real vertices: 0 is the Inputs box, 1..nodes.size() the nodes (distinct ids, in order),
    // the last one the Outputs box.
    QStringList nodes;
    QList<qreal> heights; // per real vertex
    QList<QPair<int, int>> edges; // (source, target) between real vertices, each pair once
    QList<qreal> labelWidths; // per edge: its label sits in the gap before the target
    qreal nodeWidth = 150; // every box is this wide
};

struct LayoutVertex
{
    bool point = false; // a virtual point of a long edge, not a box
    int layer = 0;
    qreal y = 0; // top
    qreal height = kDummyHeight;
    qreal centerY() const { return y + height / 2; }
};

struct LayoutEdge
{
    QList<int> path; // vertex indices: source, virtual points..., target
    bool backward = false; // closes a cycle (target not right of source): drawn below
    qreal startY = 0, endY = 0; // where it leaves the source box and enters the target box
};

struct Layout
{
    QList<LayoutVertex> vertices; // the real vertices (same indices as the input), then points
    QList<LayoutEdge> edges; // in the order of the input
    QList<qreal> layerX; // left edge of each layer
    int crossings = 0; // edge crossings of the ordering kept
};

Layout layoutGraph(const LayoutInput &input);

} // namespace workflowgraph
