#include "ui/history/HistoryModel.h"

#include "ui/common/StatusPalette.h"
#include "ui/trace/TraceFormat.h"

#include <QJsonValue>

HistoryModel::HistoryModel(ExecutionBackend *backend, QObject *parent)
    : QAbstractTableModel(parent)
    , m_backend(backend)
{
    if (!backend)
        return;
    connect(backend, &ExecutionBackend::eventsReceived, this, &HistoryModel::onEventsReceived);
    connect(backend, &QObject::destroyed, this, [this] { dropPending(); });
}

HistoryModel::~HistoryModel() = default;

void HistoryModel::dropPending()
{
    // Deleting the contexts drops the answers still in flight (stale now).
    delete std::exchange(m_queryContext, nullptr);
    delete std::exchange(m_fetchContext, nullptr);
    m_heldEvents.clear();
    if (std::exchange(m_loading, false))
        emit loadingChanged(false);
}

void HistoryModel::setPageSize(int rows)
{
    m_pageSize = qBound(1, rows, 10'000);
}

void HistoryModel::setQuery(const HistoryQuery &query)
{
    beginResetModel();
    m_query = query;
    m_query.cursor.clear();
    m_rows.clear();
    m_rowById.clear();
    m_nextCursor.clear();
    m_lastError.clear();
    m_notListed.clear();
    m_waiting.clear();
    delete std::exchange(m_queryContext, nullptr); // whatever is in flight is stale now
    delete std::exchange(m_fetchContext, nullptr);
    m_heldEvents.clear();
    endResetModel();
    request(QString());
}

void HistoryModel::request(const QString &cursor)
{
    if (!m_backend) {
        dropPending();
        return;
    }
    HistoryQuery q = m_query;
    q.limit = m_pageSize;
    q.cursor = cursor;
    const bool wasLoading = std::exchange(m_loading, true);
    m_pendingFirst = cursor.isEmpty();
    // One request in flight: its context is the only one whose answer is accepted.
    delete m_queryContext;
    m_queryContext = new QObject(this);
    m_backend->queryHistory(q, m_queryContext, [this](const HistoryPage &page, const Error &error) {
        delete std::exchange(m_queryContext, nullptr);
        m_loading = false;
        if (error.code != ErrorCode::None)
            onQueryFailed(error.message);
        else
            onHistoryReady(page);
    });
    if (!wasLoading)
        emit loadingChanged(true);
}

void HistoryModel::onHistoryReady(const HistoryPage &page)
{
    m_nextCursor = page.nextCursor;
    QList<ExecutionRecord> fresh;
    fresh.reserve(page.items.size());
    for (const ExecutionRecord &r : page.items)
        if (!m_rowById.contains(r.id)) // a live insert may already hold it
            fresh.append(r);
    if (!fresh.isEmpty()) {
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(fresh.size()) - 1);
        for (ExecutionRecord &r : fresh) {
            r.steps.clear();
            m_rowById.insert(r.id, int(m_rows.size()));
            m_rows.append(std::move(r));
        }
        endInsertRows();
    }
    emit loadingChanged(false);
    emit pageLoaded(int(fresh.size()), m_pendingFirst);
}

void HistoryModel::onQueryFailed(const QString &message)
{
    m_nextCursor.clear(); // no retry loop through fetchMore; refresh() tries again
    m_lastError = message;
    emit loadingChanged(false);
    emit loadFailed(message);
}

bool HistoryModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && m_backend && !m_nextCursor.isEmpty() && !m_loading;
}

void HistoryModel::fetchMore(const QModelIndex &parent)
{
    if (!canFetchMore(parent))
        return;
    request(m_nextCursor);
}

void HistoryModel::sort(int column, Qt::SortOrder order)
{
    HistoryQuery q = m_query;
    switch (column) {
    case TimeColumn:
        q.sort = order == Qt::DescendingOrder ? HistoryQuery::Sort::NewestFirst
                                              : HistoryQuery::Sort::OldestFirst;
        break;
    case CostColumn:
        q.sort = HistoryQuery::Sort::CostDesc; // the store sorts cost and latency descending
        break;
    case LatencyColumn:
        q.sort = HistoryQuery::Sort::LatencyDesc;
        break;
    default:
        return;
    }
    if (q.sort != m_query.sort)
        setQuery(q);
}

// --- live updates ---------------------------------------------------------------------------

void HistoryModel::applyEvent(ExecutionRecord &r, const ExecutionEvent &ev)
{
    // One fold per live run (what an event means, a late "running" never undoing the end,
    // duplicates) — the row is a copy of its record without steps.
    auto fold = m_folds.find(r.id);
    if (fold == m_folds.end()) {
        fold = m_folds.insert(r.id, ExecutionFold());
        fold->seed(r);
    }
    if (fold->apply(ev) != ExecutionFold::Outcome::Applied)
        return;
    const QDateTime completedAt = r.completedAt;
    r = fold->record();
    if (ev.type == ExecutionEvent::Type::Complete && !completedAt.isValid())
        r.completedAt = QDateTime::currentDateTimeUtc();
    if (fold->isFinished())
        m_folds.erase(fold);
}

bool HistoryModel::fitsQuery(const ExecutionRecord &r) const
{
    const HistoryQuery &q = m_query;
    // What the model cannot judge client-side (full-text search, metric ranges of a run that
    // has not finished, other sort orders) is left to the next refresh.
    if (!q.search.trimmed().isEmpty() || q.minCost || q.maxCost || q.minLatencyMs || q.maxLatencyMs)
        return false;
    if (q.sort != HistoryQuery::Sort::NewestFirst)
        return false;
    auto fits = [](const QString &want, const QString &have) { return want.isEmpty() || want == have; };
    auto fitsOne = [](const auto &want, const auto &have) { return !want || *want == have; };
    if (!fits(q.organizationId, r.organizationId) || !fits(q.workspaceId, r.workspaceId)
        || !fitsOne(q.executionType, r.executionType) || !fitsOne(q.testMode, r.testMode)
        || !fits(q.agentId, r.agentId) || !fits(q.orchestrationId, r.orchestrationId)
        || !fitsOne(q.triggerType, r.triggerType))
        return false;
    if (!q.statuses.isEmpty() && !q.statuses.contains(r.status))
        return false;
    if (q.since.isValid() && r.queuedAt.isValid() && r.queuedAt < q.since)
        return false;
    if (q.until.isValid() && r.queuedAt.isValid() && r.queuedAt > q.until)
        return false;
    return true;
}

void HistoryModel::onEventsReceived(const ExecutionEventList &events)
{
    QSet<int> changed;
    for (const ExecutionEvent &ev : events) {
        if (ev.type != ExecutionEvent::Type::Status && ev.type != ExecutionEvent::Type::Complete
            && ev.type != ExecutionEvent::Type::Error)
            continue;
        const auto row = m_rowById.constFind(ev.executionId);
        if (row != m_rowById.constEnd()) {
            applyEvent(m_rows[*row], ev);
            changed.insert(*row);
            continue;
        }
        const auto held = m_heldEvents.find(ev.executionId);
        if (held != m_heldEvents.end()) {
            held->append(ev);
            continue;
        }
        const auto waiting = m_waiting.find(ev.executionId);
        if (waiting != m_waiting.end()) {
            applyEvent(*waiting, ev);
            if (isTerminal(waiting->status)) {
                ExecutionRecord r = m_waiting.take(ev.executionId);
                if (fitsQuery(r))
                    insertAtTop(std::move(r));
                else
                    m_notListed.insert(ev.executionId);
            }
            continue;
        }
        // A run we have not listed: its first status event says what it is (the header);
        // from an older server without one, fetch its record once and hold its events
        // meanwhile.
        if (ev.type == ExecutionEvent::Type::Status && ev.header && !m_notListed.contains(ev.executionId)) {
            ExecutionRecord r;
            r.id = ev.executionId;
            applyEvent(r, ev);
            listOrWait(std::move(r));
            continue;
        }
        if (ev.type == ExecutionEvent::Type::Status && m_backend && !ev.executionId.isEmpty()
            && !m_notListed.contains(ev.executionId)) {
            m_heldEvents.insert(ev.executionId, ExecutionEventList { ev });
            if (!m_fetchContext)
                m_fetchContext = new QObject(this);
            const QString id = ev.executionId;
            m_backend->fetchExecution(
                id, m_fetchContext, [this, id](const ExecutionRecord &record, const Error &error) {
                    if (error.code != ErrorCode::None)
                        m_heldEvents.remove(id);
                    else
                        onExecutionFetched(id, record);
                });
        }
    }
    for (int row : std::as_const(changed))
        emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

void HistoryModel::onExecutionFetched(const QString &id, const ExecutionRecord &record)
{
    const ExecutionEventList held = m_heldEvents.take(id);
    if (m_rowById.contains(id) || record.id != id)
        return;
    ExecutionRecord r = record;
    r.steps.clear();
    for (const ExecutionEvent &ev : held)
        if (ev.type == ExecutionEvent::Type::Complete || isTerminal(ev.status) || !isTerminal(r.status))
            applyEvent(r, ev);
    listOrWait(std::move(r));
}

void HistoryModel::listOrWait(ExecutionRecord r)
{
    if (!fitsQuery(r)) {
        // A run still going may yet end in a status the filter lists: wait for its end.
        ExecutionRecord anyStatus = r;
        if (!m_query.statuses.isEmpty())
            anyStatus.status = m_query.statuses.first();
        const QString id = r.id;
        if (!isTerminal(r.status) && !m_query.statuses.isEmpty() && fitsQuery(anyStatus))
            m_waiting.insert(id, std::move(r));
        else
            m_notListed.insert(id);
        return;
    }
    insertAtTop(std::move(r));
}

void HistoryModel::insertAtTop(ExecutionRecord r)
{
    beginInsertRows({}, 0, 0);
    m_rows.prepend(std::move(r));
    rebuildIndex();
    endInsertRows();
}

void HistoryModel::rebuildIndex()
{
    m_rowById.clear();
    m_rowById.reserve(m_rows.size());
    for (int i = 0; i < int(m_rows.size()); ++i)
        m_rowById.insert(m_rows[i].id, i);
}

int HistoryModel::rowOf(const QString &executionId) const
{
    return m_rowById.value(executionId, -1);
}

void HistoryModel::removeExecutions(const QStringList &ids)
{
    bool any = false;
    for (const QString &id : ids) {
        const int row = rowOf(id);
        if (row < 0)
            continue;
        beginRemoveRows({}, row, row);
        m_rows.removeAt(row);
        rebuildIndex();
        endRemoveRows();
        any = true;
    }
    Q_UNUSED(any);
}

// --- QAbstractItemModel ----------------------------------------------------------------------

int HistoryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int HistoryModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant HistoryModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ExecutionRecord &r = m_rows[index.row()];
    const bool done = isTerminal(r.status);
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case StatusColumn:
            return toWire(r.status);
        case NameColumn: {
            QString name = r.orchestrationId.isEmpty() ? r.agentId : r.orchestrationId;
            if (!r.orchestrationId.isEmpty() && !r.nodeId.isEmpty())
                name += QStringLiteral(" · ") + r.nodeId;
            return name;
        }
        case ModeColumn:
            return traceformat::modeLabel(r.testMode, r.executionType);
        case TimeColumn:
            return traceformat::time(r.queuedAt);
        case LatencyColumn:
            return done ? traceformat::latency(r.executionTimeMs) : QStringLiteral("…");
        case TokensColumn:
            if (!done && r.inputTokens == 0 && r.outputTokens == 0)
                return QString();
            return traceformat::tokens(r.inputTokens, r.outputTokens, r.tokensEstimated);
        case CostColumn:
            if (!done || (!r.costUsd && r.inputTokens == 0 && r.outputTokens == 0))
                return QString();
            return traceformat::cost(r.costUsd);
        }
        return {};
    case Qt::DecorationRole:
        if (index.column() == StatusColumn)
            return statuspalette::icon(statuspalette::tone(r.status));
        return {};
    case Qt::ToolTipRole:
        if (!r.errorMessage.isEmpty())
            return r.errorMessage;
        if (index.column() == TokensColumn)
            return tr("input %1 (cached %2), output %3%4")
                .arg(r.inputTokens)
                .arg(r.cachedTokens)
                .arg(r.outputTokens)
                .arg(r.tokensEstimated ? tr(" — estimated") : QString());
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() >= LatencyColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case ExecutionIdRole:
        return r.id;
    case StatusRole:
        return toWire(r.status);
    case CostRole:
        return r.costUsd ? QVariant(*r.costUsd) : QVariant();
    case LatencyRole:
        return r.executionTimeMs;
    case QueuedAtRole:
        return r.queuedAt;
    case TokensRole:
        return r.inputTokens + r.outputTokens;
    }
    return {};
}

QVariant HistoryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case StatusColumn:
        return tr("Status");
    case NameColumn:
        return tr("Agent / orchestration");
    case ModeColumn:
        return tr("Mode");
    case TimeColumn:
        return tr("Time");
    case LatencyColumn:
        return tr("Latency");
    case TokensColumn:
        return tr("Tokens");
    case CostColumn:
        return tr("Cost");
    }
    return {};
}
