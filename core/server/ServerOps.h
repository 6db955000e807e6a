#pragma once

#include "core/api/ExecutionEvent.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QString>
#include <QThread>

// What WorkspaceServer's operations part (core/server/ServerOps.cpp, docs/operations.md) keeps
// between calls: the executions started here (for their finished counters, duration and log line)
// and the database readiness that GET /api/health reports.
//
// Threading: lives on the server's thread (a child of WorkspaceServer). For a PostgreSQL store a
// DatabaseProbe on its own thread checks the database every few seconds with its own connection
// and reports back here, so /api/health never waits for the database.
class ServerOpsState final : public QObject
{
    Q_OBJECT
public:
    struct Running
    {
        ExecutionHeader header;
        QString workspace; // "org/workspace"
        QElapsedTimer clock; // since its first event here
    };

    explicit ServerOpsState(QObject *parent = nullptr);
    ~ServerOpsState() override;

    // Starts the periodic check of a PostgreSQL URI (every intervalMs; first one at once).
    void probeDatabase(const QString &uri, int intervalMs);

    QHash<QString, Running> running; // execution id -> what it is
    bool ready = true;
    QString problem; // why not ready (never a password)

private:
    QThread m_thread;
};

// Checks that a PostgreSQL database answers `SELECT 1`, on the thread it lives on (its own
// QSqlDatabase connection, opened there). Emits checked() after every check.
class DatabaseProbe final : public QObject
{
    Q_OBJECT
public:
    DatabaseProbe(QString uri, int intervalMs);
    ~DatabaseProbe() override;
    void begin(); // on the probe's thread

signals:
    void checked(bool ok, const QString &problem);

private:
    void check();
    QString m_uri;
    QString m_connection;
    int m_intervalMs;
};
