#include "core/server/cluster/ClusterNode.h"

#include "core/server/cluster/EventWriter.h"
#include "core/server/cluster/PgListener.h"
#include "core/server/cluster/Reaper.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QPointer>
#include <QThread>
#include <QTimer>

#include <memory>

// Threads (docs/team-server.md, "Several instances"): the writer (EventWriter, a loop of its
// own), the listener thread (PgListener: LISTEN connection + reader connection) and the
// heartbeat thread (Reaper). Each opens its connections itself. This object lives on the
// server's thread; results come back to it as queued calls.

namespace {

// A thread with an event loop and one object living there to run work on.
struct Worker
{
    QThread thread;
    QObject *context = nullptr;

    void start(const QString &name)
    {
        thread.setObjectName(name);
        context = new QObject;
        context->moveToThread(&thread);
        QObject::connect(&thread, &QThread::finished, context, &QObject::deleteLater);
        thread.start();
    }
    template <typename F> void post(F &&f) { QMetaObject::invokeMethod(context, std::forward<F>(f)); }
    template <typename F> void run(F &&f)
    {
        QMetaObject::invokeMethod(context, std::forward<F>(f), Qt::BlockingQueuedConnection);
    }
    void finish()
    {
        thread.quit();
        thread.wait();
    }
};

} // namespace

struct ClusterNode::Private
{
    Settings settings;
    bool started = false;
    std::unique_ptr<EventWriter> writer;
    Worker listenThread;
    Worker beatThread;
    std::unique_ptr<PgListener> listener; // used on listenThread only
    std::unique_ptr<Reaper> reaper; // used on beatThread only
    QTimer *beatTimer = nullptr; // lives on beatThread
};

ClusterNode::ClusterNode(Settings settings, QObject *parent)
    : QObject(parent)
    , d(new Private { std::move(settings) })
{
}

ClusterNode::~ClusterNode()
{
    stop();
    delete d;
}

Result<void> ClusterNode::start()
{
    if (d->started)
        return {};
    const Settings &s = d->settings;
    const QString prefix = QStringLiteral("agentstudio-cluster-") + s.instanceId;
    d->beatThread.start(QStringLiteral("cluster-heartbeat"));
    // Registration waits for its answer: this is startup, before the server serves anything.
    Result<void> registered;
    d->beatThread.run([this, &registered, prefix] {
        const Settings &s = d->settings;
        d->reaper = std::make_unique<Reaper>(Reaper::Settings { s.databaseUri,
            prefix + QStringLiteral("-beat"), s.instanceId, s.instanceName, s.leaseMs, s.retainEventsMs });
        registered = d->reaper->registerSelf();
        if (!registered)
            return;
        d->beatTimer = new QTimer(d->beatThread.context);
        connect(d->beatTimer, &QTimer::timeout, d->beatThread.context, [this] {
            const QStringList interrupted = d->reaper->beat();
            if (!interrupted.isEmpty())
                QMetaObject::invokeMethod(
                    this, [this, interrupted] { emit interruptedByLease(interrupted); });
        });
        d->beatTimer->start(qMax(10, s.heartbeatMs));
    });
    if (!registered) {
        d->beatThread.run([this] {
            d->reaper->close();
            d->reaper.reset();
        });
        d->beatThread.finish();
        return registered;
    }

    d->writer = std::make_unique<EventWriter>(s.databaseUri, prefix + QStringLiteral("-write"));
    d->writer->setObjectName(QStringLiteral("cluster-writer"));
    d->writer->start();

    PgListener::Callbacks callbacks;
    callbacks.delivered
        = [this](const QString &id, const ExecutionEventList &events, const QList<double> &lags) {
              QMetaObject::invokeMethod(this, [this, id, events, lags] {
                  for (double lag : lags)
                      emit relayLag(lag);
                  emit relayedEvents(id, events);
              });
          };
    callbacks.cancelRequested = [this](const QString &id) {
        QMetaObject::invokeMethod(this, [this, id] { emit cancelRequested(id); });
    };
    d->listener = std::make_unique<PgListener>(
        s.databaseUri, s.instanceId, prefix, qBound(100, s.heartbeatMs, 1000), std::move(callbacks));
    d->listenThread.start(QStringLiteral("cluster-listener"));
    d->listenThread.run([this] { d->listener->start(d->listenThread.context); });
    d->started = true;
    return {};
}

void ClusterNode::stop()
{
    if (!d->started)
        return;
    d->started = false;
    d->writer->finish(); // every published event is in the table before we deregister
    d->writer.reset();
    d->listenThread.run([this] { d->listener->stop(); });
    d->listenThread.finish();
    d->listener.reset();
    d->beatThread.run([this] {
        delete d->beatTimer;
        d->beatTimer = nullptr;
        d->reaper->deregister();
        d->reaper->close();
        d->reaper.reset();
    });
    d->beatThread.finish();
}

QString ClusterNode::instanceId() const
{
    return d->settings.instanceId;
}

QString ClusterNode::instanceName() const
{
    return d->settings.instanceName;
}

void ClusterNode::publish(const QString &, const ExecutionEventList &events)
{
    if (!d->started)
        return;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QList<OutgoingEvent> out;
    out.reserve(events.size());
    for (const ExecutionEvent &e : events) {
        if (e.executionId.isEmpty() || e.seq <= 0 || e.type == ExecutionEvent::Type::Error)
            continue; // not a stream event
        out.append(OutgoingEvent { e.executionId, e.seq,
            QString::fromUtf8(QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact)), e.isTerminal(),
            now });
    }
    d->writer->enqueue(out);
}

void ClusterNode::follow(const QString &executionId, qint64 afterSeq)
{
    if (d->started)
        d->listenThread.post([this, executionId, afterSeq] { d->listener->follow(executionId, afterSeq); });
}

void ClusterNode::unfollow(const QString &executionId)
{
    if (d->started)
        d->listenThread.post([this, executionId] { d->listener->unfollow(executionId); });
}

void ClusterNode::routeCancel(const QString &executionId)
{
    if (d->started)
        d->writer->enqueueCancel(executionId);
}

void ClusterNode::hasEvents(const QString &executionId, QObject *context, std::function<void(bool)> callback)
{
    if (!d->started) {
        QMetaObject::invokeMethod(
            context, [callback] { callback(false); }, Qt::QueuedConnection);
        return;
    }
    QPointer<QObject> target(context);
    d->listenThread.post([this, executionId, target, callback] {
        const bool has = d->listener->hasEvents(executionId);
        if (target)
            QMetaObject::invokeMethod(target.data(), [callback, has] { callback(has); });
    });
}
