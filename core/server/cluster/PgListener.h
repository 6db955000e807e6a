#pragma once

#include "core/api/ExecutionEvent.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>

#include <functional>

class QTimer;

// The relay's receiving side (docs/team-server.md, "Relay"). Lives on its own thread with two
// connections opened there: a dedicated, idle LISTEN connection (agentstudio_events and
// agentstudio_cancel) and one for reading execution_events. Keeps, per followed execution,
// the last seq delivered: a notification with the next seq and its event is delivered as is;
// anything else (a gap, a payload without the event, a reconnect) reads the rows after that
// seq from the table. So every event is delivered once and in order, whatever was missed.
// Liveness: a query every checkMs on the LISTEN connection; on failure it reconnects,
// subscribes again and replays every followed execution from the table.
class PgListener
{
public:
    struct Callbacks
    {
        // Called on the listener's thread; the callee posts to its own thread.
        std::function<void(const QString &id, const ExecutionEventList &events, const QList<double> &lags)>
            delivered;
        std::function<void(const QString &id)> cancelRequested;
    };

    PgListener(QString uri, QString instanceId, QString connectionPrefix, int checkMs, Callbacks callbacks);
    ~PgListener();

    // All of these run on the listener's thread.
    void start(QObject *context);
    void stop();
    void follow(const QString &id, qint64 afterSeq);
    void unfollow(const QString &id);
    bool hasEvents(const QString &id);
    int reconnects() const { return m_reconnects; }

private:
    bool connectAndListen();
    void check();
    void onNotification(const QString &channel, const QString &payload);
    void replay(const QString &id);
    void deliver(const QString &id, const ExecutionEvent &event, double lag);
    void flush();

    const QString m_uri;
    const QString m_instanceId;
    const QString m_listenName;
    const QString m_queryName;
    const int m_checkMs;
    Callbacks m_callbacks;
    QObject *m_context = nullptr;
    QTimer *m_timer = nullptr;
    bool m_everConnected = false;
    bool m_flushArmed = false;
    int m_reconnects = 0;
    QHash<QString, qint64> m_lastSeq; // followed executions: last seq delivered
    QHash<QString, ExecutionEventList> m_outEvents; // delivered at the next flush
    QHash<QString, QList<double>> m_outLags;
    QSet<QString> m_finished; // terminal delivered: unfollowed at the flush
};
