#include "core/server/cluster/PgListener.h"

#include "core/server/cluster/PgConnection.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimer>
#include <QVariant>

namespace {
const QString kEvents = QStringLiteral("agentstudio_events");
const QString kCancel = QStringLiteral("agentstudio_cancel");

std::optional<ExecutionEvent> parseEvent(const QString &text)
{
    Result<ExecutionEvent> e = ExecutionEvent::fromJson(QJsonDocument::fromJson(text.toUtf8()).object());
    if (!e) {
        qWarning("agentstudio-server: event relay: unreadable event row: %s", qPrintable(e.error()));
        return std::nullopt;
    }
    return e.take();
}
} // namespace

PgListener::PgListener(
    QString uri, QString instanceId, QString connectionPrefix, int checkMs, Callbacks callbacks)
    : m_uri(std::move(uri))
    , m_instanceId(std::move(instanceId))
    , m_listenName(connectionPrefix + QStringLiteral("-listen"))
    , m_queryName(connectionPrefix + QStringLiteral("-read"))
    , m_checkMs(checkMs)
    , m_callbacks(std::move(callbacks))
{
}

PgListener::~PgListener() = default;

void PgListener::start(QObject *context)
{
    m_context = context;
    QSqlDatabase listen = pgconn::add(m_listenName, m_uri, QStringLiteral("agentstudio-relay-listener"));
    pgconn::add(m_queryName, m_uri, QStringLiteral("agentstudio-relay-reader"));
    // Connected once: the driver object survives close()/open(); twice would deliver twice.
    QObject::connect(listen.driver(), &QSqlDriver::notification, context,
        [this](const QString &channel, QSqlDriver::NotificationSource, const QVariant &payload) {
            onNotification(channel, payload.toString());
        });
    m_timer = new QTimer(context);
    QObject::connect(m_timer, &QTimer::timeout, context, [this] { check(); });
    m_timer->start(m_checkMs);
    connectAndListen();
}

void PgListener::stop()
{
    delete m_timer;
    m_timer = nullptr;
    pgconn::remove(m_listenName);
    pgconn::remove(m_queryName);
}

bool PgListener::connectAndListen()
{
    QSqlDatabase db = QSqlDatabase::database(m_listenName, false);
    db.close(); // also clears the stale subscription list
    QString error;
    if (!pgconn::ensureOpen(db, &error)) {
        qWarning(
            "agentstudio-server: event relay: listener cannot connect (retrying): %s", qPrintable(error));
        return false;
    }
    if (!db.driver()->subscribeToNotification(kEvents) || !db.driver()->subscribeToNotification(kCancel)) {
        db.close();
        return false;
    }
    if (m_everConnected) {
        ++m_reconnects;
        // Whatever was notified while we were away is lost: read it from the table.
        const QStringList ids = m_lastSeq.keys();
        for (const QString &id : ids)
            replay(id);
        flush();
    }
    m_everConnected = true;
    return true;
}

void PgListener::check()
{
    QSqlDatabase db = QSqlDatabase::database(m_listenName, false);
    if (db.isOpen()) {
        QSqlQuery q(db);
        if (q.exec(QStringLiteral("SELECT 1")))
            return; // also catches a silently dropped connection
    }
    connectAndListen(); // retried every tick
}

void PgListener::onNotification(const QString &channel, const QString &payload)
{
    const QJsonObject o = QJsonDocument::fromJson(payload.toUtf8()).object();
    const QString id = o.value(QLatin1String("execution_id")).toString();
    if (channel == kCancel) {
        if (o.value(QLatin1String("instance_id")).toString() == m_instanceId && m_callbacks.cancelRequested)
            m_callbacks.cancelRequested(id);
        return;
    }
    auto it = m_lastSeq.find(id);
    if (it == m_lastSeq.end())
        return; // not followed here
    const qint64 seq = o.value(QLatin1String("seq")).toInteger();
    if (seq <= it.value())
        return; // delivered already (from the table)
    const QJsonValue event = o.value(QLatin1String("event"));
    if (seq == it.value() + 1 && event.isString()) {
        if (std::optional<ExecutionEvent> e = parseEvent(event.toString())) {
            const qint64 t = o.value(QLatin1String("t")).toInteger();
            deliver(id, *e, t > 0 ? (QDateTime::currentMSecsSinceEpoch() - t) / 1000.0 : -1);
            return;
        }
    }
    replay(id); // a gap, or the event did not fit the payload
}

void PgListener::replay(const QString &id)
{
    auto it = m_lastSeq.find(id);
    if (it == m_lastSeq.end())
        return;
    QSqlDatabase db = QSqlDatabase::database(m_queryName, false);
    for (int attempt = 0; attempt < 2; ++attempt) {
        QString error;
        if (!pgconn::ensureOpen(db, &error)) {
            qWarning("agentstudio-server: event relay: reader cannot connect: %s", qPrintable(error));
            return; // the next notification or reconnect replays again
        }
        QSqlQuery q(db);
        q.prepare(QStringLiteral(
            "SELECT seq, event, (extract(epoch FROM created_at) * 1000)::bigint FROM execution_events "
            "WHERE execution_id = ? AND seq > ? ORDER BY seq"));
        q.addBindValue(id);
        q.addBindValue(it.value());
        if (!q.exec()) {
            db.close(); // a cut connection: reopen once
            continue;
        }
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        while (q.next()) {
            if (std::optional<ExecutionEvent> e = parseEvent(q.value(1).toString())) {
                e->seq = q.value(0).toLongLong();
                deliver(id, *e, (now - q.value(2).toLongLong()) / 1000.0);
            }
        }
        return;
    }
}

void PgListener::deliver(const QString &id, const ExecutionEvent &event, double lag)
{
    auto it = m_lastSeq.find(id);
    if (it == m_lastSeq.end() || event.seq <= it.value())
        return;
    it.value() = event.seq;
    m_outEvents[id].append(event);
    if (lag >= 0)
        m_outLags[id].append(lag);
    if (event.isTerminal())
        m_finished.insert(id);
    if (!m_flushArmed) {
        // One batch per burst of notifications (the driver reads them all in one go).
        m_flushArmed = true;
        QTimer::singleShot(0, m_context, [this] { flush(); });
    }
}

void PgListener::flush()
{
    m_flushArmed = false;
    const auto events = std::exchange(m_outEvents, {});
    const auto lags = std::exchange(m_outLags, {});
    for (auto it = events.begin(); it != events.end(); ++it)
        m_callbacks.delivered(it.key(), it.value(), lags.value(it.key()));
    for (const QString &id : std::exchange(m_finished, {}))
        m_lastSeq.remove(id); // nothing follows a terminal event
}

void PgListener::follow(const QString &id, qint64 afterSeq)
{
    if (m_lastSeq.contains(id))
        return;
    m_lastSeq.insert(id, afterSeq);
    replay(id);
}

void PgListener::unfollow(const QString &id)
{
    m_lastSeq.remove(id);
    m_outEvents.remove(id);
    m_outLags.remove(id);
}

bool PgListener::hasEvents(const QString &id)
{
    QSqlDatabase db = QSqlDatabase::database(m_queryName, false);
    QString error;
    if (!pgconn::ensureOpen(db, &error))
        return false;
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT 1 FROM execution_events WHERE execution_id = ? LIMIT 1"));
    q.addBindValue(id);
    return q.exec() && q.next();
}
