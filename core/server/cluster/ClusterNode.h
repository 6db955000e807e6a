#pragma once

#include "core/api/ExecutionEvent.h"
#include "core/common/Result.h"

#include <QObject>
#include <QString>

#include <functional>

// One agentstudio-server instance's membership in a group of instances sharing one PostgreSQL
// database (docs/team-server.md). Created by WorkspaceServer only when --db is a PostgreSQL URI.
//
// - Registry and leases: the instance row in server_instances, a heartbeat every
//   --heartbeat ms; any instance marks `interrupted` the queued/running executions of an
//   instance whose heartbeat is older than --lease ms (and appends their terminal event).
// - Event relay: every event of an execution this instance runs is published (execution_events
//   rows + NOTIFY as the wake-up call; the table is the source of truth for what a
//   notification cannot carry); events of executions other instances run are delivered for
//   the executions this instance follows (a WebSocket client here), in seq order, each once.
// - Cancel routing: a cancel for an execution another instance runs reaches that instance.
//
// Its database connections live on its own threads; this object lives on the server's thread
// and every signal arrives there.
class ClusterNode : public QObject
{
    Q_OBJECT
public:
    struct Settings
    {
        QString databaseUri;
        QString instanceId; // unique per process start
        QString instanceName; // --instance (for people: health, metrics, the app's status bar)
        int heartbeatMs = 1000;
        int leaseMs = 5000;
        // Event rows of executions finished longer ago than this are deleted (0: never).
        int retainEventsMs = 0;
    };

    explicit ClusterNode(Settings settings, QObject *parent = nullptr);
    ~ClusterNode() override; // stop()

    // Registers the instance and starts heartbeat, reaper and relay. Fails naming the problem.
    Result<void> start();
    // Deregisters (its executions are finished or cancelled by then), stops the threads.
    void stop();

    QString instanceId() const;
    QString instanceName() const;

    // Events of executions this instance runs (workspaceKey: Principal::workspaceKey()).
    void publish(const QString &workspaceKey, const ExecutionEventList &events);
    // Starts delivering events of `executionId` with seq > afterSeq through relayedEvents(),
    // from the table first, then live; `found` tells whether the relay knows the execution at all.
    void follow(const QString &executionId, qint64 afterSeq);
    void unfollow(const QString &executionId);
    // Asks the instance that runs `executionId` to cancel it.
    void routeCancel(const QString &executionId);
    // Answers on `context`'s thread whether execution_events holds rows of `executionId`.
    void hasEvents(const QString &executionId, QObject *context, std::function<void(bool)> callback);

signals:
    // Events of a followed execution, in seq order, never one twice.
    void relayedEvents(const QString &executionId, const ExecutionEventList &events);
    // Another instance asked to cancel an execution (the server cancels it if it runs it here).
    void cancelRequested(const QString &executionId);
    // Seconds from an event's commit on its instance to its delivery here (for /metrics).
    void relayLag(double seconds);
    // The executions this instance marked interrupted because their instance's lease expired.
    void interruptedByLease(const QStringList &executionIds);

private:
    struct Private;
    Private *d;
};
