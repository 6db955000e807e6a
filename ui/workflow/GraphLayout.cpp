#include "ui/workflow/GraphLayout.h"

#include "core/model/OrchestrationGraph.h"

#include <QHash>

#include <algorithm>

namespace workflowgraph {

namespace {

// A vertex while laying out: proper (adjacent-layer) neighbours, after virtual points.
struct Work
{
    QList<int> preds, succs;
};

int countCrossings(const QList<QList<int>> &layers, const QList<Work> &w, const QHash<int, int> &pos)
{
    int crossings = 0;
    for (qsizetype l = 0; l + 1 < layers.size(); ++l) {
        QList<QPair<int, int>> edges;
        for (int a : layers.at(l))
            for (int b : w.at(a).succs)
                edges.append({ pos.value(a), pos.value(b) });
        for (qsizetype i = 0; i < edges.size(); ++i)
            for (qsizetype j = i + 1; j < edges.size(); ++j) {
                const auto &e = edges.at(i), &f = edges.at(j);
                if ((e.first < f.first && e.second > f.second) || (e.first > f.first && e.second < f.second))
                    ++crossings;
            }
    }
    return crossings;
}

// Inputs on layer 0, each node one past its deepest predecessor (at least 1), Outputs last.
// Edges closing a cycle do not push their target: the graph helper places such nodes from the
// predecessors laid out before them.
void assignLayers(const LayoutInput &in, Layout &out)
{
    const int n = int(in.nodes.size());
    QList<QPair<QString, QString>> nodeEdges;
    for (const auto &[s, t] : in.edges)
        if (s >= 1 && s <= n && t >= 1 && t <= n)
            nodeEdges.append({ in.nodes.at(s - 1), in.nodes.at(t - 1) });
    const QList<int> layers = OrchestrationGraph(in.nodes, nodeEdges).layers();
    int maxLayer = 0;
    for (int i = 0; i < n; ++i) {
        out.vertices[i + 1].layer = layers.at(i) + 1;
        maxLayer = qMax(maxLayer, layers.at(i) + 1);
    }
    out.vertices[0].layer = 0;
    out.vertices[n + 1].layer = maxLayer + 1;
}

// Edges spanning several layers get a virtual point in each layer between their ends.
void addPoints(const LayoutInput &in, Layout &out, QList<Work> &w)
{
    for (int k = 0; k < int(in.edges.size()); ++k) {
        const auto [source, target] = in.edges.at(k);
        LayoutEdge &e = out.edges[k];
        e.path = { source };
        const int ls = out.vertices.at(source).layer, lt = out.vertices.at(target).layer;
        if (lt <= ls) {
            e.backward = true;
            e.path.append(target);
            continue;
        }
        int prev = source;
        for (int l = ls + 1; l < lt; ++l) {
            LayoutVertex point;
            point.point = true;
            point.layer = l;
            const int d = int(out.vertices.size());
            out.vertices.append(point);
            w.append(Work());
            w[prev].succs.append(d);
            w[d].preds.append(prev);
            e.path.append(d);
            prev = d;
        }
        w[prev].succs.append(target);
        w[target].preds.append(prev);
        e.path.append(target);
    }
}

// Order within layers: barycenter sweeps, keeping the best ordering seen.
QList<QList<int>> orderLayers(Layout &out, const QList<Work> &w)
{
    int layerCount = 0;
    for (const LayoutVertex &x : std::as_const(out.vertices))
        layerCount = qMax(layerCount, x.layer + 1);
    QList<QList<int>> layers(layerCount);
    for (int i = 0; i < int(out.vertices.size()); ++i)
        layers[out.vertices.at(i).layer].append(i);
    QHash<int, int> pos;
    auto indexPositions = [&] {
        for (const QList<int> &l : std::as_const(layers))
            for (int i = 0; i < int(l.size()); ++i)
                pos.insert(l.at(i), i);
    };
    indexPositions();
    QList<QList<int>> best = layers;
    int bestCrossings = countCrossings(layers, w, pos);
    for (int iteration = 0; iteration < 8 && bestCrossings > 0; ++iteration) {
        const bool down = iteration % 2 == 0;
        for (int step = 1; step < layerCount; ++step) {
            const int l = down ? step : layerCount - 1 - step;
            QList<QPair<qreal, int>> keyed;
            for (int x : std::as_const(layers.at(l))) {
                const QList<int> &nb = down ? w.at(x).preds : w.at(x).succs;
                qreal sum = 0;
                for (int n : nb)
                    sum += pos.value(n);
                keyed.append({ nb.isEmpty() ? qreal(pos.value(x)) : sum / nb.size(), x });
            }
            std::stable_sort(
                keyed.begin(), keyed.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
            for (int i = 0; i < int(keyed.size()); ++i) {
                layers[l][i] = keyed.at(i).second;
                pos.insert(keyed.at(i).second, i);
            }
        }
        const int c = countCrossings(layers, w, pos);
        if (c < bestCrossings) {
            bestCrossings = c;
            best = layers;
        }
    }
    out.crossings = bestCrossings;
    return best;
}

// Columns (each label sits in the gap before its edge's target, so gaps grow to fit their
// labels) and rows (each layer centred on y = 0).
void placeVertices(const LayoutInput &in, Layout &out, const QList<QList<int>> &layers)
{
    const int layerCount = int(layers.size());
    QList<qreal> gap(layerCount, kMinLayerGap);
    for (int k = 0; k < int(in.edges.size()); ++k) {
        const int g = qMax(0, out.vertices.at(in.edges.at(k).second).layer - 1);
        if (!out.edges.at(k).backward)
            gap[g] = qMax(gap.at(g), in.labelWidths.at(k) + 36);
    }
    out.layerX = QList<qreal>(layerCount, 0);
    for (int l = 1; l < layerCount; ++l)
        out.layerX[l] = out.layerX.at(l - 1) + in.nodeWidth + gap.at(l - 1);
    QList<LayoutVertex> &v = out.vertices;
    auto gapBefore = [&v](const QList<int> &l, int i) {
        return !v.at(l.at(i)).point && !v.at(l.at(i - 1)).point ? kNodeGap : kDummyGap;
    };
    for (const QList<int> &l : layers) {
        qreal total = 0;
        for (int i = 0; i < int(l.size()); ++i)
            total += v.at(l.at(i)).height + (i ? gapBefore(l, i) : 0);
        qreal y = -total / 2;
        for (int i = 0; i < int(l.size()); ++i) {
            if (i)
                y += gapBefore(l, i);
            v[l.at(i)].y = y;
            y += v.at(l.at(i)).height;
        }
    }
}

// Ports: the arrows leaving (or entering) a box are spread over its height in the order of
// the other ends, which keeps them apart and uncrossed.
void placePorts(const LayoutInput &in, Layout &out)
{
    for (int i = 0; i < int(in.heights.size()); ++i) {
        QList<QPair<qreal, int>> outs, ins;
        for (int k = 0; k < int(out.edges.size()); ++k) {
            const QList<int> &path = out.edges.at(k).path;
            if (path.constFirst() == i)
                outs.append({ out.vertices.at(path.at(1)).centerY(), k });
            if (path.constLast() == i)
                ins.append({ out.vertices.at(path.at(path.size() - 2)).centerY(), k });
        }
        std::stable_sort(
            outs.begin(), outs.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
        std::stable_sort(
            ins.begin(), ins.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
        const qreal top = out.vertices.at(i).y + 12, span = out.vertices.at(i).height - 24;
        for (int k = 0; k < int(outs.size()); ++k)
            out.edges[outs.at(k).second].startY = top + span * (k + 1) / (outs.size() + 1);
        for (int k = 0; k < int(ins.size()); ++k)
            out.edges[ins.at(k).second].endY = top + span * (k + 1) / (ins.size() + 1);
    }
}

} // namespace

Layout layoutGraph(const LayoutInput &in)
{
    Layout out;
    out.vertices.resize(in.heights.size());
    for (int i = 0; i < int(in.heights.size()); ++i)
        out.vertices[i].height = in.heights.at(i);
    out.edges.resize(in.edges.size());
    QList<Work> w(in.heights.size());
    assignLayers(in, out);
    addPoints(in, out, w);
    placeVertices(in, out, orderLayers(out, w));
    placePorts(in, out);
    return out;
}

} // namespace workflowgraph
