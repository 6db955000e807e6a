#pragma once

#include "core/api/ExecutionBackend.h"
#include "core/api/ExecutionFold.h"
#include "core/api/ExecutionRecord.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QPointer>
#include <QSet>

// The history list: stored executions, one page at
// a time through ExecutionBackend::queryHistory (canFetchMore / fetchMore follow the cursor),
// so a million stored runs cost one page of memory until the user scrolls.
//
// Stale results are dropped: every request has a context object, replaced by the next one, so
// only the answer in flight for the current query is accepted, so changing the filters while a page is on its
// way never mixes two queries. Live: eventsReceived updates status and metrics of listed rows; a new
// execution (its first status event) is fetched and inserted at the top when it fits the filters.
//
// Sorting happens in the query, not in a proxy: with lazy loading only the store can sort.
// GUI thread only; never touches the database itself.
class HistoryModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HistoryModel)
public:
    enum Column {
        StatusColumn,
        NameColumn,
        ModeColumn,
        TimeColumn,
        LatencyColumn,
        TokensColumn,
        CostColumn,
        ColumnCount
    };
    enum Role {
        ExecutionIdRole = Qt::UserRole, // QString
        StatusRole, // QString
        CostRole, // double, or invalid QVariant when unknown
        LatencyRole, // qint64 ms
        QueuedAtRole, // QDateTime
        TokensRole, // qint64 input + output
    };

    // backend: Not owned (the app's ActiveBackend, connected once); may be null (an empty
    // model).
    explicit HistoryModel(ExecutionBackend *backend, QObject *parent = nullptr);
    ~HistoryModel() override;

    ExecutionBackend *backend() const { return m_backend; }

    // Replaces the list: resets and requests the first page. The query's cursor is ignored.
    void setQuery(const HistoryQuery &query);
    HistoryQuery query() const { return m_query; }
    void refresh() { setQuery(m_query); }
    void setPageSize(int rows);
    int pageSize() const { return m_pageSize; }

    bool isLoading() const { return m_loading; }
    bool hasMore() const { return !m_nextCursor.isEmpty(); }
    QString lastError() const { return m_lastError; }

    const ExecutionRecord &record(int row) const { return m_rows[row]; }
    const QList<ExecutionRecord> &records() const { return m_rows; }
    int rowOf(const QString &executionId) const;
    // Drops rows (after the backend deleted them).
    void removeExecutions(const QStringList &ids);

    // QAbstractItemModel
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

signals:
    void loadingChanged(bool loading);
    // A page arrived (rows appended) or the first page of a new query.
    void pageLoaded(int rows, bool first);
    void loadFailed(const QString &message);

private:
    void request(const QString &cursor);
    void onHistoryReady(const HistoryPage &page);
    void onQueryFailed(const QString &message);
    void onEventsReceived(const ExecutionEventList &events);
    void onExecutionFetched(const QString &id, const ExecutionRecord &record);
    void dropPending();
    void applyEvent(ExecutionRecord &r, const ExecutionEvent &ev);
    // Lists a run that just appeared if it fits the filters, or waits for its end if its end
    // may fit them.
    void listOrWait(ExecutionRecord r);
    bool fitsQuery(const ExecutionRecord &r) const;
    void rebuildIndex();
    void insertAtTop(ExecutionRecord r);

    QPointer<ExecutionBackend> m_backend;
    HistoryQuery m_query;
    int m_pageSize = 100;
    QObject *m_queryContext = nullptr; // Owned: context of the one page request in flight
    bool m_loading = false;
    bool m_pendingFirst = false;
    QString m_nextCursor;
    QString m_lastError;
    QList<ExecutionRecord> m_rows; // without steps
    QHash<QString, int> m_rowById;
    QObject *m_fetchContext = nullptr; // Owned: context of the live inserts' fetches in flight
    QHash<QString, ExecutionEventList> m_heldEvents; // events for ids being fetched
    QSet<QString> m_notListed; // fetched, did not fit the filters
    // New runs whose status does not fit the status filter yet: listed if they end in one.
    QHash<QString, ExecutionRecord> m_waiting;
    QHash<QString, ExecutionFold> m_folds; // runs still going: id -> fold of their events
};
