#pragma once

#include "core/common/Result.h"

#include <QElapsedTimer>
#include <QString>
#include <QStringList>

// The instance's registry row, heartbeat and lease reaper (docs/team-server.md, "Leases"). Runs
// on its own thread with its own connection; every call below happens on that thread.
class Reaper
{
public:
    struct Settings
    {
        QString uri;
        QString connectionName;
        QString instanceId;
        QString instanceName;
        int leaseMs = 5000;
        int retainEventsMs = 0;
    };
    explicit Reaper(Settings settings);

    Result<void> registerSelf(); // the server_instances row
    // Renews heartbeat_at (database clock), marks interrupted the executions of instances whose
    // lease expired (returns their ids), and now and then prunes old event rows.
    QStringList beat();
    void deregister(); // stopped_at = now(): the others reap what is left at once
    void close();

private:
    bool ensureOpen();
    void prune();

    Settings m_s;
    QElapsedTimer m_sincePrune;
    bool m_failing = false;
};
