#pragma once

#include <QList>
#include <QMutex>
#include <QString>
#include <QStringList>
#include <QThread>
#include <QWaitCondition>

class QSqlDatabase;

// One event of an execution this instance runs, on its way to execution_events.
struct OutgoingEvent
{
    QString executionId;
    qint64 seq = 0;
    QString text; // the exact wire JSON
    bool terminal = false;
    qint64 publishedMs = 0; // wall clock at publish(), carried in the NOTIFY payload (relay lag)
};

// The relay's writer (docs/team-server.md, "Relay"): its own thread and connection. Whatever
// was queued while the previous INSERT ran goes into the next one (one multi-row INSERT + the
// NOTIFYs in one statement), so latency stays one round trip under light load and batches grow
// under heavy load. Failed writes are kept and retried; enqueue never blocks on the database.
class EventWriter : public QThread
{
public:
    EventWriter(QString uri, QString connectionName);
    ~EventWriter() override; // finish()

    void enqueue(const QList<OutgoingEvent> &events); // any thread
    void enqueueCancel(const QString &executionId); // NOTIFY agentstudio_cancel to the owner
    // Writes what is queued (gives up after `graceMs` of database failures), then ends the thread.
    void finish(int graceMs = 3000);

protected:
    void run() override;

private:
    bool writeEvents(QSqlDatabase &db, const QList<OutgoingEvent> &batch, QString *error);
    bool sendCancels(QSqlDatabase &db, const QStringList &ids, QString *error);

    const QString m_uri;
    const QString m_connection;
    QMutex m_mutex;
    QWaitCondition m_wake;
    QList<OutgoingEvent> m_pending; // guarded by m_mutex
    QStringList m_cancels; // guarded by m_mutex
    bool m_stopping = false; // guarded by m_mutex
    int m_graceMs = 3000;
};
