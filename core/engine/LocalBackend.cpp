#include "core/engine/LocalBackend.h"

#include "core/engine/Engine.h"

#include <QThread>

LocalBackend::LocalBackend(const Workspace &workspace, const EngineSettings &settings, QObject *parent)
    : ExecutionBackend(parent)
    , m_workspace(workspace)
{
    Engine::registerMetaTypes();
    m_thread = new QThread(this);
    m_thread->setObjectName(QStringLiteral("agentstudio-engine"));
    m_engine = new Engine(workspace, settings);
    m_engine->moveToThread(m_thread);
    // The engine is deleted on its own thread once the thread's loop has ended.
    connect(m_thread, &QThread::finished, m_engine, &QObject::deleteLater);

    // Every connection has this object as context: the signals arrive queued on our thread.
    connect(m_engine, &Engine::started, this, &LocalBackend::started);
    connect(m_engine, &Engine::startFailed, this, &LocalBackend::startFailed);
    connect(m_engine, &Engine::eventsReady, this, &LocalBackend::eventsReceived);
    connect(m_engine, &Engine::historyReady, this, &LocalBackend::historyReady);
    connect(m_engine, &Engine::executionFetched, this, &LocalBackend::executionFetched);
    connect(m_engine, &Engine::queryFailed, this, &LocalBackend::queryFailed);
    connect(m_engine, &Engine::executionsDeleted, this, &LocalBackend::executionsDeleted);
    connect(m_engine, &Engine::countsChanged, this, [this](int running, int queued) {
        m_running = running;
        m_queued = queued;
        emit countsChanged(running, queued);
    });

    m_thread->start();
    QMetaObject::invokeMethod(m_engine, &Engine::initialize, Qt::QueuedConnection);
    // The embedded engine is always "connected"; said once, after the caller had a chance to
    // connect to the signal.
    QMetaObject::invokeMethod(
        this, [this] { emit connectionStateChanged(QStringLiteral("connected")); }, Qt::QueuedConnection);
}

LocalBackend::~LocalBackend()
{
    // Cancel everything and close the store on the engine thread, then end its loop from
    // there (so the shutdown call runs before the loop exits) and wait for it.
    Engine *engine = m_engine;
    QThread *thread = m_thread;
    QMetaObject::invokeMethod(
        m_engine,
        [engine, thread] {
            engine->shutdown();
            thread->quit();
        },
        Qt::QueuedConnection);
    m_thread->wait();
    m_engine = nullptr;
}

void LocalBackend::setWorkspace(const Workspace &workspace)
{
    m_workspace = workspace;
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(
        m_engine, [engine, workspace] { engine->setWorkspace(workspace); }, Qt::QueuedConnection);
    emit workspaceChanged();
}

void LocalBackend::setCredentialTrust(const CredentialTrust &trust)
{
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(
        m_engine, [engine, trust] { engine->setCredentialTrust(trust); }, Qt::QueuedConnection);
}

quint64 LocalBackend::start(const ExecutionRequest &request)
{
    const quint64 ticket = m_nextTicket++;
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(
        m_engine, [engine, ticket, request] { engine->submit(ticket, request); }, Qt::QueuedConnection);
    return ticket;
}

void LocalBackend::cancel(const QString &executionId)
{
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(
        m_engine, [engine, executionId] { engine->cancel(executionId); }, Qt::QueuedConnection);
}

void LocalBackend::subscribe(const QString &executionId, qint64 afterSeq)
{
    // Every batch of the engine is forwarded already; a subscription only replays what is past.
    // Delivered in a later turn so callers can connect after calling subscribe().
    QMetaObject::invokeMethod(
        this,
        [this, executionId, afterSeq] {
            const ExecutionEventList past
                = m_engine ? m_engine->eventsSince(executionId, afterSeq) : ExecutionEventList();
            if (!past.isEmpty())
                emit eventsReceived(past);
        },
        Qt::QueuedConnection);
}

quint64 LocalBackend::queryHistory(const HistoryQuery &query)
{
    const quint64 ticket = m_nextTicket++;
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(
        m_engine, [engine, ticket, query] { engine->queryHistory(ticket, query); }, Qt::QueuedConnection);
    return ticket;
}

quint64 LocalBackend::fetchExecution(const QString &executionId)
{
    const quint64 ticket = m_nextTicket++;
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(
        m_engine, [engine, ticket, executionId] { engine->fetchExecution(ticket, executionId); },
        Qt::QueuedConnection);
    return ticket;
}

quint64 LocalBackend::deleteExecutions(const QStringList &ids)
{
    const quint64 ticket = m_nextTicket++;
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(
        m_engine, [engine, ticket, ids] { engine->deleteExecutions(ticket, ids); }, Qt::QueuedConnection);
    return ticket;
}

quint64 LocalBackend::applyRetention(int keepLast, const QDateTime &olderThan)
{
    const quint64 ticket = m_nextTicket++;
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(
        m_engine,
        [engine, ticket, keepLast, olderThan] { engine->applyRetention(ticket, keepLast, olderThan); },
        Qt::QueuedConnection);
    return ticket;
}
