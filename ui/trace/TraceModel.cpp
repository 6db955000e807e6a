#include "ui/trace/TraceModel.h"

#include "ui/common/StatusPalette.h"
#include "ui/trace/TraceFormat.h"

#include <QColor>
#include <QIcon>
#include <QJsonValue>
#include <QPainter>
#include <QPixmap>

#include <algorithm>

namespace {

bool isWorkflow(const ExecutionRecord &e)
{
    return e.executionType == ExecutionType::Orchestration
        || (e.executionType != ExecutionType::Agent && !e.orchestrationId.isEmpty());
}

} // namespace

TraceModel::TraceModel(QObject *parent)
    : QAbstractItemModel(parent)
{
}

TraceModel::~TraceModel() = default;

// --- building ------------------------------------------------------------------------------

qint64 TraceModel::offsetOf(const QDateTime &t) const
{
    if (!t.isValid() || !m_origin.isValid())
        return -1;
    return qMax<qint64>(0, t.toMSecsSinceEpoch() - m_origin.toMSecsSinceEpoch());
}

void TraceModel::fillRoot(const ExecutionRecord &e)
{
    Node &n = m_nodes[0];
    n.id = e.id;
    const bool workflow = isWorkflow(e);
    n.kind = workflow ? QStringLiteral("workflow") : QStringLiteral("agent");
    n.name = workflow ? e.orchestrationId : e.agentId;
    if (workflow && !e.nodeId.isEmpty())
        n.name += QStringLiteral(" · node ") + e.nodeId;
    if (n.name.isEmpty())
        n.name = e.id;
    n.status = toWire(e.status);
    n.ended = isTerminal(e.status);
    n.active = !n.ended;
    n.failed = e.status == ExecutionStatus::Failed;
    n.stopped = e.status == ExecutionStatus::Cancelled || e.status == ExecutionStatus::Interrupted;
    n.stepKind.reset();
    n.metered = true;
    n.model = e.model;
    n.errorMessage = e.errorMessage;
    n.queueMs = e.queueMs;
    n.startMs = offsetOf(e.startedAt);
    if (e.completedAt.isValid())
        n.endMs = offsetOf(e.completedAt);
    else if (isTerminal(e.status) && n.startMs >= 0)
        n.endMs = n.startMs + e.executionTimeMs;
    else
        n.endMs = -1;
    n.latencyMs = isTerminal(e.status) ? e.executionTimeMs : -1;
    n.ttftMs = e.ttftMs;
    n.inputTokens = e.inputTokens;
    n.outputTokens = e.outputTokens;
    n.cachedTokens = e.cachedTokens;
    n.reasoningTokens = 0;
    n.cost = e.costUsd;
    n.estimated = e.tokensEstimated;
    m_maxEndMs = qMax(m_maxEndMs, qMax(n.startMs, n.endMs));
}

void TraceModel::fillNode(Node &n, const StepRecord &s) const
{
    n.id = s.id;
    n.kind = toWire(s.kind);
    n.name = s.name.isEmpty() ? n.kind : s.name;
    n.status = toWire(s.status);
    n.ended = isTerminal(s.status);
    n.active = !n.ended;
    n.failed = s.status == StepStatus::Failed;
    n.stopped = s.status == StepStatus::Cancelled;
    n.stepKind = s.kind;
    n.metered = s.kind == StepKind::Llm || s.kind == StepKind::Node;
    n.nodeId = s.nodeId;
    n.model = s.model;
    n.errorMessage = s.errorMessage;
    n.startMs = offsetOf(s.startedAt);
    const bool done = isTerminal(s.status);
    if (s.completedAt.isValid())
        n.endMs = qMax(n.startMs, offsetOf(s.completedAt));
    else if (done && n.startMs >= 0)
        n.endMs = n.startMs + s.executionTimeMs;
    else
        n.endMs = -1;
    if (done)
        n.latencyMs = s.executionTimeMs > 0 || n.endMs < 0 ? s.executionTimeMs : n.endMs - n.startMs;
    else
        n.latencyMs = -1;
    n.ttftMs = s.ttftMs;
    n.inputTokens = s.inputTokens;
    n.outputTokens = s.outputTokens;
    n.cachedTokens = s.cachedTokens;
    n.reasoningTokens = s.reasoningTokens;
    n.cost = s.costUsd;
    n.estimated = s.tokensEstimated;
    n.attempt = s.attempt;
    n.stepNumber = s.stepNumber;
}

// Everything derived from the record and its events; callers reset the model around it.
void TraceModel::clearState()
{
    m_nodes.clear();
    m_byId.clear();
    m_orphans.clear();
    m_clockMs = 0;
    m_maxEndMs = 0;
    m_match.clear();
    m_subtreeMatch.clear();
    m_matchList.clear();
}

void TraceModel::resetTo(const ExecutionRecord &record, bool withSteps)
{
    beginResetModel();
    ExecutionRecord seed = record;
    if (!withSteps)
        seed.steps.clear();
    m_fold.seed(seed);
    clearState();

    m_origin = record.queuedAt.isValid() ? record.queuedAt : record.startedAt;
    if (!m_origin.isValid()) {
        for (const StepRecord &s : std::as_const(m_fold.record().steps))
            if (s.startedAt.isValid() && (!m_origin.isValid() || s.startedAt < m_origin))
                m_origin = s.startedAt;
    }
    if (!m_origin.isValid())
        m_origin = QDateTime::currentDateTimeUtc();

    const int stepCount = int(m_fold.record().steps.size());
    m_nodes.reserve(size_t(stepCount) + 1);
    m_byId.reserve(stepCount + 1);
    m_nodes.emplace_back();
    fillRoot(m_fold.record());

    // Two passes, so a step listed before its parent still lands under it.
    for (int i = 0; i < stepCount; ++i) {
        const StepRecord &s = m_fold.record().steps[i];
        Node n;
        fillNode(n, s);
        n.stepIndex = i;
        m_maxEndMs = qMax(m_maxEndMs, qMax(n.startMs, n.endMs));
        m_byId.insert(s.id, int(m_nodes.size()));
        m_nodes.push_back(std::move(n));
    }
    for (int i = 1; i <= stepCount; ++i) {
        Node &n = m_nodes[size_t(i)];
        int parent = m_byId.value(m_fold.record().steps[n.stepIndex].parentStepId, 0);
        if (parent == i)
            parent = 0;
        // A damaged record with a parent cycle: hang the step on the execution instead.
        for (int p = parent, guard = 0; p > 0 && guard <= stepCount; ++guard) {
            const int up = m_byId.value(m_fold.record().steps[m_nodes[size_t(p)].stepIndex].parentStepId, 0);
            if (up == i) {
                parent = 0;
                break;
            }
            p = up == p ? 0 : up;
        }
        n.parent = parent;
        std::vector<int> &kids = m_nodes[size_t(parent)].children;
        n.row = int(kids.size());
        kids.push_back(i);
    }
    endResetModel();
    emit timesChanged();
}

void TraceModel::setExecution(const ExecutionRecord &record)
{
    resetTo(record, true);
    emit executionStatusChanged(m_fold.record().status);
}

void TraceModel::startLive(const QString &executionId)
{
    ExecutionRecord header;
    header.id = executionId;
    header.status = ExecutionStatus::Queued;
    header.queuedAt = QDateTime::currentDateTimeUtc();
    resetTo(header, false);
    emit executionStatusChanged(m_fold.record().status);
}

void TraceModel::setIdentity(const ExecutionRecord &header)
{
    if (m_nodes.empty() || header.id != m_fold.record().id)
        return;
    ExecutionRecord &r = m_fold.record();
    ExecutionHeader::of(header).applyTo(r);
    r.provider = header.provider;
    r.model = header.model;
    if (r.traceId.isEmpty())
        r.traceId = header.traceId;
    fillIdentity();
    const QModelIndex root = index(0, 0);
    emit dataChanged(root, root.siblingAtColumn(ColumnCount - 1));
}

void TraceModel::fillIdentity()
{
    const ExecutionRecord &r = m_fold.record();
    Node &n = m_nodes[0];
    const bool workflow = isWorkflow(r);
    n.kind = workflow ? QStringLiteral("workflow") : QStringLiteral("agent");
    n.name = workflow ? r.orchestrationId : r.agentId;
    if (workflow && !r.nodeId.isEmpty())
        n.name += QStringLiteral(" · node ") + r.nodeId;
    if (n.name.isEmpty())
        n.name = r.id;
    if (n.model.isEmpty())
        n.model = r.model;
}

void TraceModel::startReplay(const ExecutionRecord &record)
{
    ExecutionRecord header = record;
    header.steps.clear();
    header.status = ExecutionStatus::Queued;
    header.completedAt = {};
    header.outputData = {};
    header.errorMessage.clear();
    header.executionTimeMs = 0;
    header.inputTokens = header.outputTokens = header.cachedTokens = 0;
    header.costUsd.reset();
    header.ttftMs = -1;
    if (!header.queuedAt.isValid())
        header.queuedAt = header.startedAt;
    header.startedAt = {}; // set by the replayed "running" event
    resetTo(header, false);
    emit executionStatusChanged(m_fold.record().status);
}

void TraceModel::clear()
{
    beginResetModel();
    m_fold.seed(ExecutionRecord {});
    clearState();
    m_origin = {};
    endResetModel();
    emit timesChanged();
}

// --- live events ---------------------------------------------------------------------------

int TraceModel::addStep(const StepRecord &s, bool notify)
{
    int parent = 0;
    bool orphan = false;
    if (!s.parentStepId.isEmpty()) {
        const auto it = m_byId.constFind(s.parentStepId);
        if (it != m_byId.constEnd())
            parent = *it;
        else
            orphan = true; // parent not seen yet: park under the execution
    }
    Node n;
    fillNode(n, s);
    if (n.startMs < 0 && s.status != StepStatus::Skipped)
        n.startMs = offsetOf(QDateTime::currentDateTimeUtc());
    n.parent = parent;
    n.row = insertionRow(parent, s.stepNumber);
    n.stepIndex = m_fold.stepIndex(s.id);
    const int index = int(m_nodes.size());
    const int row = n.row;
    if (notify)
        beginInsertRows(indexOfNode(parent), row, row);
    m_nodes.push_back(std::move(n));
    std::vector<int> &kids = m_nodes[size_t(parent)].children;
    kids.insert(kids.begin() + row, index);
    renumberRows(parent, row + 1);
    m_byId.insert(s.id, index);
    m_maxEndMs = qMax(m_maxEndMs, qMax(m_nodes.back().startMs, m_nodes.back().endMs));
    if (!m_search.isEmpty()) {
        m_match.resize(m_nodes.size(), 0);
        m_subtreeMatch.resize(m_nodes.size(), 0);
        if (nodeMatches(m_nodes.back())) {
            m_match.back() = 1;
            m_matchList.push_back(index);
            for (int p = index; p >= 0; p = m_nodes[size_t(p)].parent)
                m_subtreeMatch[size_t(p)] = 1;
        }
    }
    if (notify)
        endInsertRows();
    if (orphan)
        m_orphans[s.parentStepId].append(index);
    // Children that arrived before this step move under it.
    const QList<int> waiting = m_orphans.take(s.id);
    for (int child : waiting)
        moveUnder(child, index);
    if (!waiting.isEmpty() && !m_search.isEmpty())
        recomputeMatches();
    return index;
}

void TraceModel::moveUnder(int child, int newParent)
{
    const int oldParent = m_nodes[size_t(child)].parent;
    const int oldRow = m_nodes[size_t(child)].row;
    if (oldParent == newParent || child == newParent)
        return;
    const int newRow = insertionRow(newParent, m_nodes[size_t(child)].stepNumber);
    if (!beginMoveRows(indexOfNode(oldParent), oldRow, oldRow, indexOfNode(newParent), newRow))
        return;
    std::vector<int> &oldKids = m_nodes[size_t(oldParent)].children;
    oldKids.erase(oldKids.begin() + oldRow);
    renumberRows(oldParent, oldRow);
    m_nodes[size_t(child)].parent = newParent;
    std::vector<int> &newKids = m_nodes[size_t(newParent)].children;
    newKids.insert(newKids.begin() + newRow, child);
    renumberRows(newParent, newRow);
    endMoveRows();
}

int TraceModel::insertionRow(int parent, int stepNumber) const
{
    const std::vector<int> &kids = m_nodes[size_t(parent)].children;
    // In-order arrival (the normal case) appends; a late step goes before the first sibling
    // with a higher step number.
    if (stepNumber <= 0 || kids.empty() || m_nodes[size_t(kids.back())].stepNumber <= stepNumber)
        return int(kids.size());
    const auto it = std::upper_bound(kids.begin(), kids.end(), stepNumber, [this](int number, int k) {
        const int other = m_nodes[size_t(k)].stepNumber;
        return other > 0 && number < other;
    });
    return int(it - kids.begin());
}

void TraceModel::renumberRows(int parent, int fromRow)
{
    const std::vector<int> &kids = m_nodes[size_t(parent)].children;
    for (size_t r = size_t(qMax(0, fromRow)); r < kids.size(); ++r)
        m_nodes[size_t(kids[r])].row = int(r);
}

void TraceModel::refreshStep(int nodeIndex)
{
    Node &n = m_nodes[size_t(nodeIndex)];
    const StepRecord &s = m_fold.record().steps[n.stepIndex];
    const qint64 oldStart = n.startMs;
    const qint64 streamedTokens = n.streamedTokens;
    fillNode(n, s);
    n.streamedTokens = streamedTokens;
    if (n.startMs < 0)
        n.startMs = oldStart;
    const bool done = isTerminal(s.status);
    if (done && n.endMs < 0)
        n.endMs = qMax(n.startMs, offsetOf(QDateTime::currentDateTimeUtc()));
    if (n.latencyMs <= 0 && n.endMs >= 0 && n.startMs >= 0 && done)
        n.latencyMs = n.endMs - n.startMs;
    m_maxEndMs = qMax(m_maxEndMs, qMax(n.startMs, n.endMs));
}

void TraceModel::notifyRow(int nodeIndex)
{
    emit dataChanged(indexOfNode(nodeIndex, 0), indexOfNode(nodeIndex, ColumnCount - 1));
}

void TraceModel::applyEvents(const ExecutionEventList &events)
{
    if (m_nodes.empty())
        return;
    bool rootChanged = false;
    bool statusChanged = false;
    bool any = false;
    for (const ExecutionEvent &ev : events) {
        if (ev.executionId != m_fold.executionId())
            continue;
        const ExecutionStatus before = m_fold.record().status;
        // The fold decides what an event means for the record (dedupe, stale, merge);
        // this model only mirrors the result into its rows.
        if (m_fold.apply(ev) != ExecutionFold::Outcome::Applied)
            continue;
        any = true;
        switch (ev.type) {
        case ExecutionEvent::Type::Status:
            statusChanged |= applyStatusToRoot(ev, before);
            rootChanged = true;
            break;
        case ExecutionEvent::Type::StepStarted:
        case ExecutionEvent::Type::StepCompleted:
            applyStepToRows(ev);
            break;
        case ExecutionEvent::Type::Chunk: {
            const auto it = m_byId.constFind(ev.stepId);
            if (it == m_byId.constEnd())
                break; // a step not seen yet: its text stays in the fold
            Node &n = m_nodes[size_t(*it)];
            n.streamedTokens += ev.tokens;
            if (n.ttftMs < 0 && n.startMs >= 0)
                n.ttftMs = qMax<qint64>(0, m_clockMs - n.startMs);
            notifyRow(*it);
            break;
        }
        case ExecutionEvent::Type::Complete:
            applyCompleteToRoot();
            statusChanged = rootChanged = true;
            break;
        case ExecutionEvent::Type::Error:
            m_nodes[0].errorMessage = m_fold.record().errorMessage;
            rootChanged = true;
            break;
        }
    }
    if (rootChanged)
        notifyRow(0);
    if (statusChanged)
        emit executionStatusChanged(m_fold.record().status);
    if (any)
        emit timesChanged();
}

bool TraceModel::applyStatusToRoot(const ExecutionEvent &ev, ExecutionStatus before)
{
    ExecutionRecord &r = m_fold.record();
    Node &root = m_nodes[0];
    if (ev.header)
        fillIdentity();
    root.status = toWire(r.status);
    root.ended = isTerminal(r.status);
    root.active = !root.ended;
    if (r.status == ExecutionStatus::Running && root.startMs < 0) {
        r.startedAt = QDateTime::currentDateTimeUtc();
        root.startMs = offsetOf(r.startedAt);
    }
    if (ev.status == ExecutionStatus::Running && ev.queueMs >= 0 && root.startMs >= 0)
        root.queueMs = r.queueMs;
    root.errorMessage = r.errorMessage;
    return r.status != before;
}

void TraceModel::applyStepToRows(const ExecutionEvent &ev)
{
    const QString id = ev.step->id.isEmpty() ? ev.stepId : ev.step->id;
    const auto it = m_byId.constFind(id);
    if (it != m_byId.constEnd()) {
        refreshStep(*it);
        notifyRow(*it);
        return;
    }
    StepRecord &s = m_fold.record().steps[m_fold.stepIndex(id)];
    if (ev.type == ExecutionEvent::Type::StepStarted && !s.startedAt.isValid())
        s.startedAt = QDateTime::currentDateTimeUtc();
    const int index = addStep(s, true);
    if (ev.type == ExecutionEvent::Type::StepCompleted)
        refreshStep(index);
}

void TraceModel::applyCompleteToRoot()
{
    ExecutionRecord &r = m_fold.record();
    Node &root = m_nodes[0];
    root.status = toWire(r.status);
    root.ended = true;
    root.active = false;
    root.failed = r.status == ExecutionStatus::Failed;
    root.stopped = r.status == ExecutionStatus::Cancelled || r.status == ExecutionStatus::Interrupted;
    root.inputTokens = r.inputTokens;
    root.outputTokens = r.outputTokens;
    root.cachedTokens = r.cachedTokens;
    root.ttftMs = r.ttftMs;
    root.queueMs = r.queueMs;
    root.estimated = r.tokensEstimated;
    root.cost = r.costUsd;
    root.errorMessage = r.errorMessage;
    if (root.startMs < 0)
        root.startMs = root.queueMs;
    root.latencyMs = r.executionTimeMs;
    root.endMs = r.executionTimeMs > 0 ? root.startMs + r.executionTimeMs : qMax(root.startMs, m_clockMs);
    r.completedAt = m_origin.addMSecs(root.endMs);
    m_maxEndMs = qMax(m_maxEndMs, root.endMs);
}

void TraceModel::setClockMs(qint64 ms)
{
    if (ms == m_clockMs)
        return;
    m_clockMs = ms;
    emit timesChanged();
}

bool TraceModel::isLive() const
{
    return !m_nodes.empty() && !m_nodes[0].ended;
}

qint64 TraceModel::totalMs() const
{
    qint64 total = m_maxEndMs;
    if (isLive())
        total = qMax(total, m_clockMs);
    return qMax<qint64>(1, total);
}

// --- lookup ---------------------------------------------------------------------------------

const TraceModel::Node *TraceModel::node(const QModelIndex &index) const
{
    const int i = nodeIndex(index);
    return i < 0 ? nullptr : &m_nodes[size_t(i)];
}

int TraceModel::nodeIndex(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this)
        return -1;
    const auto i = qsizetype(index.internalId());
    return i >= 0 && size_t(i) < m_nodes.size() ? int(i) : -1;
}

QModelIndex TraceModel::indexOfNode(int i, int column) const
{
    if (i < 0 || size_t(i) >= m_nodes.size())
        return {};
    return createIndex(m_nodes[size_t(i)].row, column, quintptr(i));
}

QModelIndex TraceModel::indexForStep(const QString &stepId) const
{
    if (!m_nodes.empty() && stepId == m_fold.record().id)
        return indexOfNode(0);
    const auto it = m_byId.constFind(stepId);
    return it == m_byId.constEnd() ? QModelIndex() : indexOfNode(*it);
}

const StepRecord *TraceModel::step(const QModelIndex &index) const
{
    const Node *n = node(index);
    if (!n || n->stepIndex < 0)
        return nullptr;
    return &m_fold.record().steps[n->stepIndex];
}

// --- search ---------------------------------------------------------------------------------

bool TraceModel::nodeMatches(const Node &n) const
{
    const Qt::CaseSensitivity cs = Qt::CaseInsensitive;
    return n.name.contains(m_search, cs) || n.kind.contains(m_search, cs) || n.status.contains(m_search, cs)
        || n.nodeId.contains(m_search, cs) || n.model.contains(m_search, cs)
        || n.errorMessage.contains(m_search, cs) || n.id.startsWith(m_search, cs);
}

void TraceModel::recomputeMatches()
{
    m_matchList.clear();
    m_match.assign(m_nodes.size(), 0);
    m_subtreeMatch.assign(m_nodes.size(), 0);
    if (m_search.isEmpty() || m_nodes.empty())
        return;
    // Depth-first, so "next match" walks the tree top to bottom.
    std::vector<int> stack { 0 };
    while (!stack.empty()) {
        const int i = stack.back();
        stack.pop_back();
        const Node &n = m_nodes[size_t(i)];
        if (nodeMatches(n)) {
            m_match[size_t(i)] = 1;
            m_matchList.push_back(i);
            for (int p = i; p >= 0 && !m_subtreeMatch[size_t(p)]; p = m_nodes[size_t(p)].parent)
                m_subtreeMatch[size_t(p)] = 1;
        }
        for (auto it = n.children.rbegin(); it != n.children.rend(); ++it)
            stack.push_back(*it);
    }
}

int TraceModel::setSearchText(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed == m_search)
        return int(m_matchList.size());
    m_search = trimmed;
    recomputeMatches();
    // Repaint highlights: one dataChanged per parent with children.
    if (!m_nodes.empty()) {
        notifyRow(0);
        for (size_t i = 0; i < m_nodes.size(); ++i) {
            const Node &n = m_nodes[i];
            if (n.children.empty())
                continue;
            emit dataChanged(indexOfNode(n.children.front(), 0),
                indexOfNode(n.children.back(), ColumnCount - 1), { Qt::BackgroundRole, SearchMatchRole });
        }
    }
    return int(m_matchList.size());
}

bool TraceModel::subtreeMatches(int node) const
{
    if (m_search.isEmpty())
        return true;
    return node >= 0 && size_t(node) < m_subtreeMatch.size() && m_subtreeMatch[size_t(node)];
}

// --- QAbstractItemModel ----------------------------------------------------------------------

QModelIndex TraceModel::index(int row, int column, const QModelIndex &parent) const
{
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    if (!parent.isValid()) {
        if (row != 0 || m_nodes.empty())
            return {};
        return createIndex(0, column, quintptr(0));
    }
    if (parent.column() != 0)
        return {};
    const int p = nodeIndex(parent);
    if (p < 0)
        return {};
    const std::vector<int> &kids = m_nodes[size_t(p)].children;
    if (size_t(row) >= kids.size())
        return {};
    return createIndex(row, column, quintptr(kids[size_t(row)]));
}

QModelIndex TraceModel::parent(const QModelIndex &child) const
{
    const int i = nodeIndex(child);
    if (i <= 0)
        return {};
    return indexOfNode(m_nodes[size_t(i)].parent, 0);
}

int TraceModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return m_nodes.empty() ? 0 : 1;
    if (parent.column() != 0)
        return 0;
    const int p = nodeIndex(parent);
    return p < 0 ? 0 : int(m_nodes[size_t(p)].children.size());
}

int TraceModel::columnCount(const QModelIndex &parent) const
{
    Q_UNUSED(parent);
    return ColumnCount;
}

bool TraceModel::hasChildren(const QModelIndex &parent) const
{
    return rowCount(parent) > 0;
}

TraceModel::KindTimes TraceModel::kindTimes() const
{
    KindTimes t;
    for (const Node &n : m_nodes) {
        if (n.stepKind == StepKind::Tool) {
            ++t.toolSteps;
            t.toolMs += qMax<qint64>(0, n.latencyMs);
        } else if (n.stepKind == StepKind::Llm) {
            t.modelMs += qMax<qint64>(0, n.latencyMs);
        }
    }
    return t;
}

namespace {

// The tree's mark of a tool step (beside "tool" in the Kind column): a wrench-orange square.
const QIcon &toolIcon()
{
    static const QIcon icon = [] {
        QPixmap pixmap(12, 12);
        pixmap.fill(Qt::transparent);
        QPainter p(&pixmap);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(Qt::NoPen);
        p.setBrush(traceformat::kindColor(StepKind::Tool));
        p.drawRoundedRect(QRectF(1, 1, 10, 10), 2, 2);
        p.setBrush(Qt::white);
        p.drawRect(QRectF(5, 3, 2, 6));
        p.drawRect(QRectF(3, 3, 6, 2));
        return QIcon(pixmap);
    }();
    return icon;
}

} // namespace

QVariant TraceModel::data(const QModelIndex &index, int role) const
{
    const int i = nodeIndex(index);
    if (i < 0)
        return {};
    const Node &n = m_nodes[size_t(i)];
    const bool running = n.active;
    const bool metered = i == 0 || n.metered;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return n.attempt > 1 ? QStringLiteral("%1 (attempt %2)").arg(n.name).arg(n.attempt) : n.name;
        case KindColumn:
            return n.kind;
        case StatusColumn:
            return n.status;
        case LatencyColumn:
            if (n.latencyMs >= 0)
                return traceformat::latency(n.latencyMs);
            return running ? QStringLiteral("…") : QString();
        case TokensColumn:
            if (running && n.streamedTokens > 0)
                return QStringLiteral("… → %1").arg(n.streamedTokens);
            if (!metered && n.inputTokens == 0 && n.outputTokens == 0)
                return QString();
            if (running && n.inputTokens == 0 && n.outputTokens == 0)
                return QString();
            return traceformat::tokens(n.inputTokens, n.outputTokens, n.estimated);
        case CostColumn:
            if (running || (!metered && !n.cost))
                return QString();
            if (!n.cost && n.inputTokens == 0 && n.outputTokens == 0)
                return QString();
            return traceformat::cost(n.cost);
        }
        return {};
    case Qt::DecorationRole:
        if (index.column() == NameColumn)
            return statuspalette::iconOf(n.status);
        if (index.column() == KindColumn && n.stepKind == StepKind::Tool)
            return toolIcon();
        return {};
    case Qt::ToolTipRole:
        if (index.column() == TokensColumn && metered) {
            QString tip = tr("input %1 (cached %2), output %3 (reasoning %4)")
                              .arg(n.inputTokens)
                              .arg(n.cachedTokens)
                              .arg(n.outputTokens)
                              .arg(n.reasoningTokens);
            if (n.estimated)
                tip += tr(" — estimated");
            return tip;
        }
        if (!n.errorMessage.isEmpty())
            return n.errorMessage;
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() >= LatencyColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::BackgroundRole:
        if (isMatch(i))
            return QColor(0xff, 0xec, 0x8b);
        return {};
    case Qt::ForegroundRole:
        if (index.column() == StatusColumn && n.failed)
            return statuspalette::colorOf(n.status);
        if (index.column() == KindColumn && n.stepKind == StepKind::Tool)
            return traceformat::kindColor(StepKind::Tool);
        return {};
    case StepIdRole:
        return n.id;
    case KindRole:
        return i == 0 ? QStringLiteral("execution") : n.kind;
    case StatusRole:
        return n.status;
    case StartMsRole:
        return n.startMs;
    case EndMsRole:
        return n.endMs;
    case TtftMsRole:
        return n.ttftMs;
    case AttemptRole:
        return n.attempt;
    case SearchMatchRole:
        return isMatch(i);
    }
    return {};
}

QVariant TraceModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return tr("Step");
    case KindColumn:
        return tr("Kind");
    case StatusColumn:
        return tr("Status");
    case LatencyColumn:
        return tr("Latency");
    case TokensColumn:
        return tr("Tokens in → out");
    case CostColumn:
        return tr("Cost");
    }
    return {};
}
