#include "core/server/cluster/EventWriter.h"

#include "core/server/cluster/PgConnection.h"

#include <QElapsedTimer>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace {
constexpr qsizetype kMaxBatch = 500; // rows per INSERT (5 values each)
}

EventWriter::EventWriter(QString uri, QString connectionName)
    : m_uri(std::move(uri))
    , m_connection(std::move(connectionName))
{
}

EventWriter::~EventWriter()
{
    finish();
}

void EventWriter::enqueue(const QList<OutgoingEvent> &events)
{
    if (events.isEmpty())
        return;
    QMutexLocker lock(&m_mutex);
    m_pending += events;
    m_wake.wakeOne();
}

void EventWriter::enqueueCancel(const QString &executionId)
{
    QMutexLocker lock(&m_mutex);
    m_cancels.append(executionId);
    m_wake.wakeOne();
}

void EventWriter::finish(int graceMs)
{
    {
        QMutexLocker lock(&m_mutex);
        m_stopping = true;
        m_graceMs = graceMs;
        m_wake.wakeOne();
    }
    wait();
}

void EventWriter::run()
{
    QSqlDatabase db = pgconn::add(m_connection, m_uri, QStringLiteral("agentstudio-relay-writer"));
    QElapsedTimer failingSince;
    for (;;) {
        QList<OutgoingEvent> batch;
        QStringList cancels;
        {
            QMutexLocker lock(&m_mutex);
            while (m_pending.isEmpty() && m_cancels.isEmpty() && !m_stopping)
                m_wake.wait(&m_mutex);
            if (m_pending.isEmpty() && m_cancels.isEmpty())
                break; // stopping, all written
            batch = m_pending.mid(0, kMaxBatch);
            m_pending.remove(0, batch.size());
            cancels.swap(m_cancels);
        }
        QString error;
        const bool opened = pgconn::ensureOpen(db, &error);
        const bool eventsOk = opened && writeEvents(db, batch, &error);
        const bool cancelsOk = opened && sendCancels(db, cancels, &error);
        if (eventsOk && cancelsOk) {
            failingSince.invalidate();
            continue;
        }
        if (!failingSince.isValid()) {
            failingSince.start();
            qWarning("agentstudio-server: event relay: write failed, retrying: %s", qPrintable(error));
        }
        db.close(); // reopened on the next attempt
        QMutexLocker lock(&m_mutex);
        if (m_stopping && failingSince.elapsed() > m_graceMs) {
            qWarning("agentstudio-server: event relay: %lld event(s) not written at shutdown",
                qlonglong(batch.size() + m_pending.size()));
            break;
        }
        if (!eventsOk)
            m_pending = batch + m_pending; // rewritten: ON CONFLICT keeps it exactly once
        if (!cancelsOk)
            m_cancels = cancels + m_cancels;
        m_wake.wait(&m_mutex, 200);
    }
    db = QSqlDatabase();
    pgconn::remove(m_connection);
}

// One statement: insert the rows (a row already there, e.g. the terminal event a reaper wrote
// for this execution, is kept) and notify each inserted one in seq order. The payload carries
// the event when it stays under 7000 bytes, otherwise listeners read it from the table.
bool EventWriter::writeEvents(QSqlDatabase &db, const QList<OutgoingEvent> &batch, QString *error)
{
    if (batch.isEmpty())
        return true;
    QString values;
    values.reserve(int(batch.size()) * 48);
    for (qsizetype i = 0; i < batch.size(); ++i)
        values += i ? QStringLiteral(",(?,?::bigint,?,?::boolean,?::bigint)")
                    : QStringLiteral("(?,?::bigint,?,?::boolean,?::bigint)");
    const QString sql = QStringLiteral(
        "WITH v(execution_id, seq, event, terminal, t) AS (VALUES %1), "
        "ins AS (INSERT INTO execution_events (execution_id, seq, event, terminal) "
        "  SELECT execution_id, seq, event, terminal FROM v ON CONFLICT DO NOTHING "
        "  RETURNING execution_id, seq) "
        "SELECT count(pg_notify('agentstudio_events', "
        "  CASE WHEN octet_length(p.full_payload) < 7000 THEN p.full_payload ELSE p.small_payload END)) "
        "FROM (SELECT json_build_object('execution_id', v.execution_id, 'seq', v.seq, 'event', v.event, "
        "               't', v.t)::text AS full_payload, "
        "             json_build_object('execution_id', v.execution_id, 'seq', v.seq, 't', v.t)::text "
        "               AS small_payload "
        "      FROM ins JOIN v ON v.execution_id = ins.execution_id AND v.seq = ins.seq "
        "      ORDER BY v.execution_id, v.seq) p")
                            .arg(values);
    QSqlQuery q(db);
    if (!q.prepare(sql)) {
        *error = q.lastError().text();
        return false;
    }
    for (const OutgoingEvent &e : batch) {
        q.addBindValue(e.executionId);
        q.addBindValue(e.seq);
        q.addBindValue(e.text);
        q.addBindValue(e.terminal ? QStringLiteral("true") : QStringLiteral("false"));
        q.addBindValue(e.publishedMs);
    }
    if (!q.exec()) {
        *error = q.lastError().text();
        return false;
    }
    return true;
}

bool EventWriter::sendCancels(QSqlDatabase &db, const QStringList &ids, QString *error)
{
    for (const QString &id : ids) {
        QSqlQuery q(db);
        q.prepare(QStringLiteral(
            "SELECT pg_notify('agentstudio_cancel', json_build_object('execution_id', id, "
            "'instance_id', instance_id)::text) FROM executions WHERE id = ? AND instance_id IS NOT NULL"));
        q.addBindValue(id);
        if (!q.exec()) {
            *error = q.lastError().text();
            return false;
        }
    }
    return true;
}
