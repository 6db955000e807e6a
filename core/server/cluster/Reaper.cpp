#include "core/server/cluster/Reaper.h"

#include "core/server/cluster/PgConnection.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace {
constexpr qint64 kPruneEveryMs = 10000;
}

Reaper::Reaper(Settings settings)
    : m_s(std::move(settings))
{
    pgconn::add(m_s.connectionName, m_s.uri, QStringLiteral("agentstudio-cluster"));
}

bool Reaper::ensureOpen()
{
    QSqlDatabase db = QSqlDatabase::database(m_s.connectionName, false);
    QString error;
    if (pgconn::ensureOpen(db, &error))
        return true;
    if (!m_failing)
        qWarning("agentstudio-server: cluster: database unreachable (retrying): %s", qPrintable(error));
    m_failing = true;
    return false;
}

Result<void> Reaper::registerSelf()
{
    QSqlDatabase db = QSqlDatabase::database(m_s.connectionName, false);
    QString error;
    if (!pgconn::ensureOpen(db, &error))
        return Failure { QStringLiteral("cluster: cannot connect: ") + error };
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO server_instances (id, name, lease_ms) VALUES (?, ?, ?)"));
    q.addBindValue(m_s.instanceId);
    q.addBindValue(m_s.instanceName);
    q.addBindValue(m_s.leaseMs);
    if (!q.exec())
        return Failure { QStringLiteral("cluster: cannot register the instance: ")
            + q.lastError().databaseText().trimmed() };
    return {};
}

QStringList Reaper::beat()
{
    if (!ensureOpen())
        return {};
    QSqlDatabase db = QSqlDatabase::database(m_s.connectionName, false);
    QSqlQuery q(db);
    // An upsert: a row removed by an operator comes back; a stopped row is never renewed.
    q.prepare(QStringLiteral(
        "INSERT INTO server_instances (id, name, lease_ms) VALUES (?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET heartbeat_at = now() WHERE server_instances.stopped_at IS NULL"));
    q.addBindValue(m_s.instanceId);
    q.addBindValue(m_s.instanceName);
    q.addBindValue(m_s.leaseMs);
    if (!q.exec()) {
        if (!m_failing)
            qWarning("agentstudio-server: cluster: heartbeat failed (retrying): %s",
                qPrintable(q.lastError().databaseText().trimmed()));
        m_failing = true;
        db.close();
        return {};
    }
    if (m_failing)
        qInfo("agentstudio-server: cluster: database reachable again");
    m_failing = false;
    QStringList interrupted;
    QSqlQuery reap(db);
    if (reap.exec(QStringLiteral("SELECT agentstudio_interrupt_expired()"))) {
        while (reap.next())
            interrupted.append(reap.value(0).toString());
    } else {
        qWarning("agentstudio-server: cluster: lease reaper failed: %s",
            qPrintable(reap.lastError().databaseText().trimmed()));
    }
    // The first beat prunes, then every kPruneEveryMs.
    if (m_s.retainEventsMs > 0 && (!m_sincePrune.isValid() || m_sincePrune.elapsed() > kPruneEveryMs)) {
        m_sincePrune.start();
        prune();
    }
    return interrupted;
}

// One instance at a time (a transaction-level try-lock; the others skip this round).
void Reaper::prune()
{
    QSqlDatabase db = QSqlDatabase::database(m_s.connectionName, false);
    if (!db.transaction())
        return;
    QSqlQuery q(db);
    const bool mine
        = q.exec(QStringLiteral(
              "SELECT pg_try_advisory_xact_lock(hashtextextended('agentstudio:prune-events', 0))"))
        && q.next() && q.value(0).toBool();
    if (mine) {
        QSqlQuery del(db);
        del.prepare(
            QStringLiteral("DELETE FROM execution_events e USING executions x WHERE e.execution_id = x.id "
                           "AND x.status IN ('completed', 'failed', 'cancelled', 'interrupted') "
                           "AND x.completed_at < now() - ? * interval '1 ms'"));
        del.addBindValue(m_s.retainEventsMs);
        if (!del.exec())
            qWarning("agentstudio-server: cluster: pruning event rows failed: %s",
                qPrintable(del.lastError().databaseText().trimmed()));
    }
    db.commit();
}

void Reaper::deregister()
{
    if (!ensureOpen())
        return;
    QSqlQuery q(QSqlDatabase::database(m_s.connectionName, false));
    q.prepare(QStringLiteral("UPDATE server_instances SET stopped_at = now() WHERE id = ?"));
    q.addBindValue(m_s.instanceId);
    q.exec();
}

void Reaper::close()
{
    pgconn::remove(m_s.connectionName);
}
