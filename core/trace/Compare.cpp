#include "core/trace/Compare.h"

#include "core/api/ToolTypes.h"

#include "core/common/Util.h"

#include <QHash>
#include <QJsonDocument>

#include <algorithm>
#include <vector>

namespace {

// Longest common subsequence of a[aBegin, aEnd) and b[bBegin, bEnd) as matched index pairs in
// increasing order, or nullopt when the DP table would exceed maxCells.
template <typename T>
std::optional<std::vector<std::pair<int, int>>> lcsPairs(
    const QList<T> &a, int aBegin, int aEnd, const QList<T> &b, int bBegin, int bEnd, qint64 maxCells)
{
    const int n = aEnd - aBegin;
    const int m = bEnd - bBegin;
    std::vector<std::pair<int, int>> pairs;
    if (n == 0 || m == 0)
        return pairs;
    if (qint64(n + 1) * qint64(m + 1) > maxCells)
        return std::nullopt;
    // table[i][j] = LCS length of a[i..n) and b[j..m) (suffixes), so backtracking runs forward.
    std::vector<quint32> table(size_t(n + 1) * size_t(m + 1), 0);
    auto at = [&](int i, int j) -> quint32 & { return table[size_t(i) * size_t(m + 1) + size_t(j)]; };
    for (int i = n - 1; i >= 0; --i)
        for (int j = m - 1; j >= 0; --j)
            at(i, j) = a[aBegin + i] == b[bBegin + j] ? at(i + 1, j + 1) + 1
                                                      : std::max(at(i + 1, j), at(i, j + 1));
    int i = 0, j = 0;
    while (i < n && j < m) {
        if (a[aBegin + i] == b[bBegin + j]) {
            pairs.emplace_back(aBegin + i, bBegin + j);
            ++i;
            ++j;
        } else if (at(i + 1, j) >= at(i, j + 1)) {
            ++i;
        } else {
            ++j;
        }
    }
    return pairs;
}

// Matches a and b: common head and tail first, then the LCS of the middle; matched[i] = index in
// b or -1. Returns false for the middle when it is too big (the caller falls back).
template <typename T>
bool alignSequences(const QList<T> &a, const QList<T> &b, qint64 maxCells, std::vector<int> &matchA,
    int &midBeginA, int &midEndA, int &midBeginB, int &midEndB)
{
    const int n = int(a.size());
    const int m = int(b.size());
    matchA.assign(size_t(n), -1);
    int head = 0;
    while (head < n && head < m && a[head] == b[head]) {
        matchA[size_t(head)] = head;
        ++head;
    }
    int tail = 0;
    while (tail < n - head && tail < m - head && a[n - 1 - tail] == b[m - 1 - tail]) {
        matchA[size_t(n - 1 - tail)] = m - 1 - tail;
        ++tail;
    }
    midBeginA = head;
    midEndA = n - tail;
    midBeginB = head;
    midEndB = m - tail;
    const auto pairs = lcsPairs(a, midBeginA, midEndA, b, midBeginB, midEndB, maxCells);
    if (!pairs)
        return false;
    for (const auto &[i, j] : *pairs)
        matchA[size_t(i)] = j;
    return true;
}

struct Ordered
{
    QList<int> order; // step indices in depth-first order
    QList<int> depth; // per position in order
    QStringList keys; // per position in order
};

Ordered depthFirst(const QList<StepRecord> &steps)
{
    const int n = int(steps.size());
    QHash<QString, int> byId;
    byId.reserve(n);
    for (int i = 0; i < n; ++i)
        byId.insert(steps[i].id, i);

    // Children in step_number order (the list order, stable-sorted by step_number).
    std::vector<int> sorted(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
        sorted[size_t(i)] = i;
    std::stable_sort(sorted.begin(), sorted.end(),
        [&](int x, int y) { return steps[x].stepNumber < steps[y].stepNumber; });
    std::vector<std::vector<int>> children(static_cast<size_t>(n));
    std::vector<int> roots;
    for (int i : sorted) {
        const int parent = byId.value(steps[i].parentStepId, -1);
        if (parent >= 0 && parent != i)
            children[size_t(parent)].push_back(i);
        else
            roots.push_back(i);
    }

    Ordered out;
    out.order.reserve(n);
    out.depth.reserve(n);
    out.keys.reserve(n);
    std::vector<QString> path(static_cast<size_t>(n));
    std::vector<char> seen(static_cast<size_t>(n), 0);
    // Iterative DFS; a stack of (index, depth), children pushed in reverse.
    std::vector<std::pair<int, int>> stack;
    for (auto it = roots.rbegin(); it != roots.rend(); ++it)
        stack.emplace_back(*it, 0);
    auto segment = [&](const StepRecord &s) {
        const QString what = s.kind == StepKind::Node && !s.nodeId.isEmpty() ? s.nodeId : s.name;
        return what.isEmpty() ? toWire(s.kind) : QString(toWire(s.kind) + u':' + what);
    };
    while (!stack.empty()) {
        const auto [i, d] = stack.back();
        stack.pop_back();
        if (seen[size_t(i)])
            continue; // a parent cycle in a damaged record: show each step once
        seen[size_t(i)] = 1;
        const int parent = byId.value(steps[i].parentStepId, -1);
        const QString seg = segment(steps[i]);
        path[size_t(i)] = parent >= 0 && parent != i && !path[size_t(parent)].isEmpty()
            ? QString(path[size_t(parent)] + u'/' + seg)
            : seg;
        out.order.append(i);
        out.depth.append(d);
        out.keys.append(path[size_t(i)]);
        const auto &kids = children[size_t(i)];
        for (auto it = kids.rbegin(); it != kids.rend(); ++it)
            stack.emplace_back(*it, d + 1);
    }
    // Steps only reachable through a cycle.
    for (int i = 0; i < n; ++i) {
        if (!seen[size_t(i)]) {
            out.order.append(i);
            out.depth.append(0);
            out.keys.append(segment(steps[i]));
        }
    }
    return out;
}

qint64 stepTokens(const StepRecord &s)
{
    return s.inputTokens + s.outputTokens;
}

void fillDeltas(CompareRow &row, const StepRecord *l, const StepRecord *r)
{
    if (!l || !r)
        return;
    row.tokensDelta = stepTokens(*r) - stepTokens(*l);
    row.latencyDeltaMs = r->executionTimeMs - l->executionTimeMs;
    if (l->costUsd && r->costUsd)
        row.costDelta = *r->costUsd - *l->costUsd;
    const QString lt = stepOutputText(*l);
    const QString rt = stepOutputText(*r);
    if (lt != rt) {
        row.outputChanged = true;
        row.outputDiff = diffLines(lt, rt);
    }
}

QString indentedJson(const QJsonObject &o)
{
    if (o.isEmpty())
        return {};
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented)).trimmed();
}

} // namespace

QList<DiffLine> diffLines(const QString &left, const QString &right, qint64 maxCells)
{
    const QStringList a = left.isEmpty() ? QStringList() : left.split(u'\n');
    const QStringList b = right.isEmpty() ? QStringList() : right.split(u'\n');
    std::vector<int> matchA;
    int ab = 0, ae = 0, bb = 0, be = 0;
    const bool full = alignSequences(a, b, maxCells, matchA, ab, ae, bb, be);
    Q_UNUSED(full); // when the middle is too big, it stays unmatched: removed then added

    QList<DiffLine> out;
    out.reserve(qMax(a.size(), b.size()));
    int j = 0;
    for (int i = 0; i < int(a.size()); ++i) {
        const int mj = matchA[size_t(i)];
        if (mj < 0) {
            out.append({ DiffLine::Kind::Removed, a[i] });
            continue;
        }
        while (j < mj)
            out.append({ DiffLine::Kind::Added, b[j++] });
        out.append({ DiffLine::Kind::Same, a[i] });
        j = mj + 1;
    }
    while (j < int(b.size()))
        out.append({ DiffLine::Kind::Added, b[j++] });
    return out;
}

// A tool call as the compare view diffs it: its arguments, then its result block by block
// (an image by its type and size, never its base64), then the structured content.
QString toolCallText(const StepRecord &step)
{
    QStringList lines { QStringLiteral("arguments: ") + as::compactJson(step.inputData) };
    const ToolResult result = ToolResult::fromJson(step.outputData);
    if (result.isError)
        lines << QStringLiteral("error result");
    for (const QJsonValue &v : std::as_const(result.content)) {
        const QJsonObject block = v.toObject();
        const QString type = block.value(u"type").toString();
        if (type == QLatin1String("text"))
            lines << QStringLiteral("text: ") + block.value(u"text").toString();
        else if (type == QLatin1String("image") || type == QLatin1String("audio"))
            lines << QStringLiteral("%1: %2, %3 base64 characters")
                         .arg(type, block.value(u"mimeType").toString())
                         .arg(block.value(u"data").toString().size());
        else
            lines << type + QStringLiteral(": ") + as::compactJson(block);
    }
    if (!result.structuredContent.isUndefined())
        lines << QStringLiteral("structured: ")
                + (result.structuredContent.isObject() ? indentedJson(result.structuredContent.toObject())
                                                       : as::compactJson(result.structuredContent));
    return lines.join(u'\n');
}

QString stepOutputText(const StepRecord &step)
{
    QString text;
    const QJsonValue raw = step.outputData.value(u"text");
    if (step.kind == StepKind::Llm && raw.isString())
        text = raw.toString();
    else if (step.kind == StepKind::Tool)
        text = toolCallText(step);
    else
        text = indentedJson(step.outputData);
    if (!step.errorMessage.isEmpty())
        text += (text.isEmpty() ? QString() : QStringLiteral("\n")) + QStringLiteral("error: ")
            + step.errorMessage;
    return text;
}

QString executionOutputText(const ExecutionRecord &execution)
{
    QString text = indentedJson(execution.outputData);
    if (!execution.errorMessage.isEmpty())
        text += (text.isEmpty() ? QString() : QStringLiteral("\n")) + QStringLiteral("error: ")
            + execution.errorMessage;
    return text;
}

QStringList stepAlignmentKeys(const QList<StepRecord> &steps)
{
    const Ordered o = depthFirst(steps);
    QStringList keys(steps.size());
    for (int p = 0; p < int(o.order.size()); ++p)
        keys[o.order[p]] = o.keys[p];
    return keys;
}

CompareResult compareExecutions(const ExecutionRecord &left, const ExecutionRecord &right, qint64 maxCells)
{
    CompareResult result;
    const Ordered lo = depthFirst(left.steps);
    const Ordered ro = depthFirst(right.steps);

    std::vector<int> matchA;
    int ab = 0, ae = 0, bb = 0, be = 0;
    // LCS of the key sequences (when the table fits), then the leftovers: the k-th unmatched
    // occurrence of a key on the left pairs with the k-th unmatched one on the right. The second
    // pass catches parallel nodes that started in another order, and does all the work for
    // traces too long for an LCS table.
    alignSequences(lo.keys, ro.keys, maxCells, matchA, ab, ae, bb, be);
    {
        std::vector<char> taken(size_t(ro.order.size()), 0);
        for (int mj : matchA)
            if (mj >= 0)
                taken[size_t(mj)] = 1;
        QHash<QString, QList<int>> rightByKey;
        for (int j = 0; j < int(ro.keys.size()); ++j)
            if (!taken[size_t(j)])
                rightByKey[ro.keys[j]].append(j);
        QHash<QString, int> used;
        for (int i = 0; i < int(lo.keys.size()); ++i) {
            if (matchA[size_t(i)] >= 0)
                continue;
            const QString &key = lo.keys[i];
            const auto it = rightByKey.constFind(key);
            if (it == rightByKey.constEnd())
                continue;
            int &k = used[key];
            if (k < int(it->size()))
                matchA[size_t(i)] = it->at(k++);
        }
    }

    std::vector<char> rightMatched(size_t(ro.order.size()), 0);
    for (int mj : matchA)
        if (mj >= 0)
            rightMatched[size_t(mj)] = 1;

    auto emitRightOnly = [&](int p) {
        CompareRow row;
        row.right = ro.order[p];
        row.depth = ro.depth[p];
        row.key = ro.keys[p];
        result.rows.append(row);
        ++result.onlyRight;
    };

    int next = 0; // next right position not yet emitted (for one-sided rows)
    std::vector<char> rightEmitted(size_t(ro.order.size()), 0);
    for (int p = 0; p < int(lo.order.size()); ++p) {
        const int mj = matchA[size_t(p)];
        if (mj >= 0) {
            for (; next < mj; ++next)
                if (!rightMatched[size_t(next)] && !rightEmitted[size_t(next)]) {
                    rightEmitted[size_t(next)] = 1;
                    emitRightOnly(next);
                }
            next = std::max(next, mj + 1);
        }
        CompareRow row;
        row.left = lo.order[p];
        row.depth = lo.depth[p];
        row.key = lo.keys[p];
        if (mj >= 0) {
            row.right = ro.order[mj];
            fillDeltas(row, &left.steps[row.left], &right.steps[row.right]);
            ++result.matched;
            if (row.outputChanged)
                ++result.changed;
        } else {
            ++result.onlyLeft;
        }
        result.rows.append(row);
    }
    for (int q = 0; q < int(ro.order.size()); ++q)
        if (!rightMatched[size_t(q)] && !rightEmitted[size_t(q)]) {
            rightEmitted[size_t(q)] = 1;
            emitRightOnly(q);
        }

    result.tokensDelta = (right.inputTokens + right.outputTokens) - (left.inputTokens + left.outputTokens);
    result.latencyDeltaMs = right.executionTimeMs - left.executionTimeMs;
    if (left.costUsd && right.costUsd)
        result.costDelta = *right.costUsd - *left.costUsd;
    const QString lt = executionOutputText(left);
    const QString rt = executionOutputText(right);
    if (lt != rt) {
        result.outputChanged = true;
        result.outputDiff = diffLines(lt, rt);
    }
    return result;
}
