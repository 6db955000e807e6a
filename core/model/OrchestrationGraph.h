#pragma once

#include <QHash>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

struct OrchestrationSpec;

// The node graph of an orchestration, written once for everything that walks it: the
// workspace validator (cycles), the engine's scheduler (dependencies, ready set), the Full
// Workflow graph (layers) and OrchestrationSpec's own queries.
//
// Vertices are indices 0..size()-1. Built from a spec they are the entries of `nodes` in order
// (an id given twice is two vertices; edges reach the first). An edge links two nodes: edges
// from "input" (the workflow inputs) and edges naming an unknown node are not in the graph, and
// several edges between the same two nodes (different fields) are one graph edge. Field-level
// edges stay in the spec (edgesInto, edgesFrom). A value type: build it, query it, any thread.
class OrchestrationGraph
{
public:
    OrchestrationGraph() = default;
    explicit OrchestrationGraph(const OrchestrationSpec &spec);
    // A graph over arbitrary ids, for callers whose vertices are not exactly `nodes` (the graph
    // view drops empty and repeated ids). Edges as (from id, to id); unknown ids are dropped.
    OrchestrationGraph(const QStringList &ids, const QList<QPair<QString, QString>> &edges);

    int size() const { return int(m_ids.size()); }
    const QString &id(int vertex) const { return m_ids.at(vertex); }
    int indexOf(const QString &id) const { return m_index.value(id, -1); }

    // Direct neighbours, without duplicates, in the order of the first edge to each. A self-loop
    // lists the vertex in both.
    const QList<int> &successors(int vertex) const { return m_succ.at(vertex); }
    const QList<int> &predecessors(int vertex) const { return m_pred.at(vertex); }
    // Vertices without predecessors, in index order: what a run starts with.
    QList<int> roots() const;

    // Kahn's algorithm, ties in index order. Vertices on a cycle, and everything downstream of
    // one, are missing: the order is complete exactly when the graph is acyclic.
    QList<int> topologicalOrder() const;

    // One closed path per strongly connected component that has a cycle (several vertices, or a
    // self-loop), found by Tarjan's algorithm: it starts and ends at the component's lowest
    // index and follows edges in order, e.g. {2, 5, 2}. Components in Tarjan's emission order.
    QList<QList<int>> cycles() const;

    // A layer per vertex, the longest path from a root: roots on 0, every other vertex one past
    // its deepest predecessor. For drawing invalid graphs too: self-loops are ignored, and the
    // vertices a cycle keeps out of the topological order are placed after all others in index
    // order, one past the deepest predecessor placed before them.
    QList<int> layers() const;

private:
    void addEdge(int from, int to);
    QList<int> kahn(bool ignoreSelfLoops) const;

    QStringList m_ids;
    QHash<QString, int> m_index;
    QList<QList<int>> m_succ, m_pred;
};
