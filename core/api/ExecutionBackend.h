#pragma once

#include "core/api/ExecutionEvent.h"
#include "core/api/ExecutionRecord.h"
#include "core/api/ExecutionRequest.h"
#include "core/model/Workspace.h"

#include <QObject>
#include <QString>

// The one interface the UI and the runner see (docs/architecture.md): start, cancel, query history, and
// a stream of execution events. Implementations: LocalBackend (embedded engine thread) and
// RemoteBackend (agentstudio-server over HTTP + WebSocket).
//
// Threading: lives on and is called from the GUI (or main) thread; every method returns at once;
// results arrive as signals on that thread. Tickets let callers match replies to requests and
// drop stale ones.
class ExecutionBackend : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~ExecutionBackend() override = default;

    virtual QString displayName() const = 0; // "Local" or "remote host:port"

    // The agents and orchestrations this backend can run.
    virtual Workspace workspace() const = 0;

    // Queues a run. started(ticket, executionId) or startFailed(ticket, message) follows.
    virtual quint64 start(const ExecutionRequest &request) = 0;
    virtual void cancel(const QString &executionId) = 0;

    // Subscribes to an execution's events (live and already-past ones from `afterSeq`). Runs
    // started through this backend are subscribed automatically.
    virtual void subscribe(const QString &executionId, qint64 afterSeq = 0) = 0;

    // historyReady(ticket, page) / queryFailed(ticket, message).
    virtual quint64 queryHistory(const HistoryQuery &query) = 0;
    // executionFetched(ticket, record with steps) / queryFailed(ticket, message).
    virtual quint64 fetchExecution(const QString &executionId) = 0;

    // Deletes stored executions and their steps (queued or running ones are kept):
    // executionsDeleted(ticket, count) / queryFailed(ticket, message). Retention keeps only the
    // newest `keepLast` (if > 0) and drops anything queued before `olderThan` (if valid).
    // A backend that cannot delete returns 0 and emits nothing (default).
    virtual quint64 deleteExecutions(const QStringList &ids)
    {
        Q_UNUSED(ids);
        return 0;
    }
    virtual quint64 applyRetention(int keepLast, const QDateTime &olderThan)
    {
        Q_UNUSED(keepLast);
        Q_UNUSED(olderThan);
        return 0;
    }

    virtual int runningCount() const = 0;
    virtual int queuedCount() const = 0;

signals:
    void started(quint64 ticket, const QString &executionId);
    void startFailed(quint64 ticket, const QString &message);
    // A batch of events, in seq order per execution (bursts are coalesced into one batch).
    void eventsReceived(const ExecutionEventList &events);
    void historyReady(quint64 ticket, const HistoryPage &page);
    void executionFetched(quint64 ticket, const ExecutionRecord &record);
    void queryFailed(quint64 ticket, const QString &message);
    void executionsDeleted(quint64 ticket, int count);
    void countsChanged(int running, int queued);
    // "connected", "connecting", "disconnected" — the local backend is always "connected".
    void connectionStateChanged(const QString &state);
    // The workspace was replaced (remote: fetched; local: setWorkspace).
    void workspaceChanged();
};

Q_DECLARE_METATYPE(HistoryPage)
Q_DECLARE_METATYPE(ExecutionRecord)
