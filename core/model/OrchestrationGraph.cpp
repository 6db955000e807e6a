#include "core/model/OrchestrationGraph.h"

#include "core/model/Workspace.h"

#include <algorithm>
#include <functional>

OrchestrationGraph::OrchestrationGraph(const OrchestrationSpec &spec)
{
    m_ids.reserve(spec.nodes.size());
    for (const NodeSpec &n : spec.nodes)
        m_ids.append(n.id);
    m_succ.resize(m_ids.size());
    m_pred.resize(m_ids.size());
    for (int i = int(m_ids.size()) - 1; i >= 0; --i) // the first of a repeated id wins
        m_index.insert(m_ids.at(i), i);
    for (const EdgeSpec &e : spec.edges)
        if (e.fromNode != QLatin1String("input"))
            addEdge(indexOf(e.fromNode), indexOf(e.toNode));
}

OrchestrationGraph::OrchestrationGraph(const QStringList &ids, const QList<QPair<QString, QString>> &edges)
    : m_ids(ids)
{
    m_succ.resize(m_ids.size());
    m_pred.resize(m_ids.size());
    for (int i = int(m_ids.size()) - 1; i >= 0; --i)
        m_index.insert(m_ids.at(i), i);
    for (const auto &[from, to] : edges)
        addEdge(indexOf(from), indexOf(to));
}

void OrchestrationGraph::addEdge(int from, int to)
{
    if (from < 0 || to < 0 || m_succ.at(from).contains(to))
        return;
    m_succ[from].append(to);
    m_pred[to].append(from);
}

QList<int> OrchestrationGraph::roots() const
{
    QList<int> out;
    for (int i = 0; i < size(); ++i)
        if (m_pred.at(i).isEmpty())
            out.append(i);
    return out;
}

QList<int> OrchestrationGraph::kahn(bool ignoreSelfLoops) const
{
    QList<int> indegree(size());
    for (int i = 0; i < size(); ++i)
        indegree[i] = int(m_pred.at(i).size()) - (ignoreSelfLoops && m_succ.at(i).contains(i) ? 1 : 0);
    QList<int> order;
    order.reserve(size());
    for (int i = 0; i < size(); ++i)
        if (indegree.at(i) == 0)
            order.append(i);
    for (qsizetype next = 0; next < order.size(); ++next)
        for (int s : m_succ.at(order.at(next)))
            if (s != order.at(next) && --indegree[s] == 0)
                order.append(s);
    return order;
}

QList<int> OrchestrationGraph::topologicalOrder() const
{
    return kahn(false);
}

QList<QList<int>> OrchestrationGraph::cycles() const
{
    QList<int> index(size(), -1), low(size(), 0);
    QList<bool> onStack(size(), false);
    QList<int> stack;
    int counter = 0;
    QList<QList<int>> components;
    std::function<void(int)> strong = [&](int v) {
        index[v] = low[v] = counter++;
        stack.append(v);
        onStack[v] = true;
        for (int s : m_succ.at(v)) {
            if (index.at(s) < 0) {
                strong(s);
                low[v] = qMin(low.at(v), low.at(s));
            } else if (onStack.at(s)) {
                low[v] = qMin(low.at(v), index.at(s));
            }
        }
        if (low.at(v) != index.at(v))
            return;
        QList<int> comp;
        int x;
        do {
            x = stack.takeLast();
            onStack[x] = false;
            comp.append(x);
        } while (x != v);
        if (comp.size() > 1 || m_succ.at(v).contains(v))
            components.append(comp);
    };
    for (int i = 0; i < size(); ++i)
        if (index.at(i) < 0)
            strong(i);

    QList<QList<int>> out;
    for (const QList<int> &comp : std::as_const(components)) {
        // Walk inside the component from its lowest index back to it, depth first.
        const int start = *std::min_element(comp.begin(), comp.end());
        QList<bool> inComp(size(), false), visited(size(), false);
        for (int v : comp)
            inComp[v] = true;
        visited[start] = true;
        QList<int> path { start };
        std::function<bool(int)> walk = [&](int v) -> bool {
            for (int s : m_succ.at(v)) {
                if (!inComp.at(s))
                    continue;
                if (s == start)
                    return true;
                if (visited.at(s))
                    continue;
                visited[s] = true;
                path.append(s);
                if (walk(s))
                    return true;
                path.removeLast();
            }
            return false;
        };
        walk(start);
        path.append(start);
        out.append(path);
    }
    return out;
}

QList<int> OrchestrationGraph::layers() const
{
    QList<int> order = kahn(true);
    QList<bool> done(size(), false);
    for (int v : std::as_const(order))
        done[v] = true;
    for (int i = 0; i < size(); ++i)
        if (!done.at(i))
            order.append(i);
    QList<int> layer(size(), 0);
    done.fill(false);
    for (int v : std::as_const(order)) {
        for (int p : m_pred.at(v))
            if (done.at(p))
                layer[v] = qMax(layer.at(v), layer.at(p) + 1);
        done[v] = true;
    }
    return layer;
}
