#include "core/engine/LocalBackend.h"

#include "core/api/ExecutionTypes.h"
#include "core/engine/Engine.h"
#include "core/store/ExecutionStore.h"
#include "core/tools/ToolHost.h"

#include <QSemaphore>
#include <QThread>

namespace {

// The tenant whose stored executions this backend may read: the workspace it runs (the app's
// open workspace file, the server's served workspace), exactly as the engine scopes its own
// reads (docs/store.md, "Tenants").
StoreScope storeScope(const Workspace &ws)
{
    return StoreScope::workspace(ws.organizationId, ws.workspaceId);
}

template <typename T> Error errorOf(const Result<T> &r)
{
    return { r.errorCode().value_or(ErrorCode::Internal), r.error() };
}

// Why a request cannot start in `ws`, checked here so the caller gets a code (the engine checks
// the same and answers with a message only).
Error requestProblem(const Workspace &ws, const ExecutionRequest &request)
{
    // An inline agent (agent_spec) is not in the workspace: the engine checks it.
    const bool inlineAgent = !request.agentSpec.isEmpty() && request.orchestrationId.isEmpty();
    const bool hasAgent = !request.agentId.isEmpty() || inlineAgent;
    const bool hasOrch = !request.orchestrationId.isEmpty();
    if (hasAgent == hasOrch)
        return { ErrorCode::InvalidInput,
            QStringLiteral("request: give either an agent or an orchestration, not both or neither") };
    if (hasAgent && !inlineAgent && !ws.agent(request.agentId))
        return { ErrorCode::NotFound, QStringLiteral("unknown agent '%1'").arg(request.agentId) };
    if (hasOrch) {
        const OrchestrationSpec *orch = ws.orchestration(request.orchestrationId);
        if (!orch)
            return { ErrorCode::NotFound,
                QStringLiteral("unknown orchestration '%1'").arg(request.orchestrationId) };
        if (!request.nodeId.isEmpty() && !orch->node(request.nodeId))
            return { ErrorCode::NotFound,
                QStringLiteral("orchestration '%1' has no node '%2'")
                    .arg(request.orchestrationId, request.nodeId) };
    }
    return { ErrorCode::None, QString() };
}

} // namespace

// The history side of the embedded engine: lives on the "agentstudio-history" thread and owns
// that thread's own connection to the database (WAL lets it read while the engine writes).
class HistoryReader final : public QObject
{
public:
    explicit HistoryReader(QString path)
        : m_path(std::move(path))
    {
    }

    // On the history thread: open the connection there (a QSqlDatabase connection belongs to
    // the thread that opened it).
    void open()
    {
        if (m_path.isEmpty())
            return;
        m_store = std::make_unique<ExecutionStore>(m_path);
        const Result<void> r = m_store->open();
        if (!r) {
            qWarning("history: cannot open the execution store: %s", qPrintable(r.error()));
            m_openError = r.error();
            m_store.reset();
        }
    }
    void close() { m_store.reset(); }

    // The store, or a failure that says why there is none.
    Result<ExecutionStore *> store() const
    {
        if (m_store)
            return m_store.get();
        if (m_path.isEmpty())
            return Failure { QStringLiteral("no history: the engine runs without a database") };
        return Failure { QStringLiteral("no history: ") + m_openError };
    }

    // Deletes the finished ones among `ids` (queued and running executions are still being
    // written by the engine: they stay).
    Result<int> removeFinished(const StoreScope &scope, const QStringList &ids)
    {
        Result<ExecutionStore *> s = store();
        if (!s)
            return Failure { s.error() };
        QStringList finished;
        for (const QString &id : ids) {
            const Result<ExecutionRecord> r = (*s)->execution(scope, id, false);
            if (r && isTerminal(r->status))
                finished.append(id);
        }
        return (*s)->remove(scope, finished);
    }

private:
    QString m_path;
    QString m_openError;
    std::unique_ptr<ExecutionStore> m_store;
};

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

    m_readerThread = new QThread(this);
    m_readerThread->setObjectName(QStringLiteral("agentstudio-history"));
    m_reader = new HistoryReader(settings.databasePath);
    m_reader->moveToThread(m_readerThread);
    connect(m_readerThread, &QThread::finished, m_reader, &QObject::deleteLater);

    // Every connection has this object as context: the signals arrive queued on our thread.
    connect(m_engine, &Engine::started, this, [this](quint64 ticket, const QString &id) {
        m_starts.take(ticket)(id, Error { ErrorCode::None, QString() });
    });
    connect(m_engine, &Engine::startFailed, this, [this](quint64 ticket, const QString &message) {
        // Unknown names were answered before submitting: what is left is a request that does
        // not fit (an execution id that exists, …).
        m_starts.take(ticket)(QString(), Error { ErrorCode::InvalidInput, message });
    });
    connect(m_engine, &Engine::eventsReady, this, &LocalBackend::onEngineEvents);
    connect(m_engine, &Engine::countsChanged, this, [this](int running, int queued) {
        m_running = running;
        m_queued = queued;
        emit countsChanged(running, queued);
    });

    m_thread->start();
    m_readerThread->start();
    // The reader opens its connection once the engine has opened (created, migrated, switched
    // to WAL) the file: two connections doing that at once make one fail ("database is
    // locked"). Its queued calls wait behind the open.
    auto engineReady = std::make_shared<QSemaphore>();
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(
        m_engine,
        [engine, engineReady] {
            engine->initialize();
            engineReady->release();
        },
        Qt::QueuedConnection);
    HistoryReader *reader = m_reader;
    QMetaObject::invokeMethod(
        m_reader,
        [reader, engineReady] {
            engineReady->acquire();
            reader->open();
        },
        Qt::QueuedConnection);
    // The engine's ToolHost exists once initialize() has run (queued before this): its status
    // changes come here queued, as toolsChanged().
    QMetaObject::invokeMethod(
        m_engine,
        [this, engine] {
            if (ToolHost *host = engine->tools())
                connect(host, &ToolHost::statusChanged, this, [this] { emit toolsChanged(); });
        },
        Qt::QueuedConnection);
    // The embedded engine is always "connected"; said once, after the caller had a chance to
    // connect to the signal.
    QMetaObject::invokeMethod(
        this, [this] { emit connectionStateChanged(QStringLiteral("connected")); }, Qt::QueuedConnection);
}

LocalBackend::~LocalBackend()
{
    // Cancel everything and close the store on the engine thread, then end its loop from
    // there (so the shutdown call runs before the loop exits) and wait for it. The history
    // thread closes its connection the same way.
    Engine *engine = m_engine;
    QThread *thread = m_thread;
    QMetaObject::invokeMethod(
        m_engine,
        [engine, thread] {
            engine->shutdown();
            thread->quit();
        },
        Qt::QueuedConnection);
    HistoryReader *reader = m_reader;
    QThread *readerThread = m_readerThread;
    QMetaObject::invokeMethod(
        m_reader,
        [reader, readerThread] {
            reader->close();
            readerThread->quit();
        },
        Qt::QueuedConnection);
    m_thread->wait();
    m_readerThread->wait();
    m_engine = nullptr;
    m_reader = nullptr;
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

void LocalBackend::start(const ExecutionRequest &request, QObject *context, StartCallback callback)
{
    StartReply reply(context, std::move(callback));
    if (const Error problem = requestProblem(m_workspace, request); problem.code != ErrorCode::None) {
        replyLater(std::move(reply), QString(), problem);
        return;
    }
    const quint64 ticket = m_nextTicket++;
    m_starts.insert(ticket, std::move(reply));
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(
        m_engine, [engine, ticket, request] { engine->submit(ticket, request); }, Qt::QueuedConnection);
}

void LocalBackend::cancel(const QString &executionId)
{
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(
        m_engine, [engine, executionId] { engine->cancel(executionId); }, Qt::QueuedConnection);
}

void LocalBackend::onEngineEvents(const ExecutionEventList &events)
{
    emit eventsReceived(events);
    if (m_subscribers.isEmpty())
        return;
    // Each subscriber gets the events of its execution it does not have yet, once.
    QHash<QString, ExecutionEventList> byExecution;
    for (const ExecutionEvent &e : events)
        if (m_subscribers.contains(e.executionId))
            byExecution[e.executionId].append(e);
    for (auto it = byExecution.cbegin(); it != byExecution.cend(); ++it) {
        // A callback may unsubscribe or subscribe: work on a copy and look each one up again.
        const QList<Subscription> subscribers = m_subscribers.value(it.key());
        for (const Subscription &s : subscribers) {
            if (!s.caughtUp || s.context.isNull())
                continue; // its catch-up (taken later on the engine thread) holds these
            const ExecutionEventList fresh = newerThan(it.value(), s.lastSeq);
            if (fresh.isEmpty())
                continue;
            QList<Subscription> &now = m_subscribers[it.key()];
            for (Subscription &live : now)
                if (live.context == s.context)
                    live.lastSeq = fresh.last().seq;
            s.callback(fresh);
        }
    }
}

void LocalBackend::subscribe(
    const QString &executionId, qint64 afterSeq, QObject *context, EventsCallback callback)
{
    if (!context) {
        qWarning("LocalBackend::subscribe(%s): no context (the subscription ends with it)",
            qPrintable(executionId));
        return;
    }
    unsubscribe(executionId, context);
    const QMetaObject::Connection ends = connect(context, &QObject::destroyed, this,
        [this, executionId, context] { unsubscribe(executionId, context); });
    m_subscribers[executionId].append(Subscription { context, std::move(callback), afterSeq, false, ends });
    // The catch-up is taken on the engine thread: every batch emitted before it is already
    // queued to us (and is ignored for this subscriber), every later batch comes after it.
    Engine *engine = m_engine;
    QPointer<QObject> guard(context);
    QMetaObject::invokeMethod(
        m_engine,
        [this, engine, executionId, afterSeq, guard] {
            const ExecutionEventList past = engine->eventsSince(executionId, afterSeq);
            QMetaObject::invokeMethod(
                this, [this, executionId, guard, past] { deliverCatchUp(executionId, guard, past); },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

void LocalBackend::deliverCatchUp(
    const QString &executionId, QObject *context, const ExecutionEventList &past)
{
    if (!context)
        return;
    auto it = m_subscribers.find(executionId);
    if (it == m_subscribers.end())
        return;
    for (Subscription &s : *it) {
        if (s.context != context || s.caughtUp)
            continue;
        s.caughtUp = true;
        const ExecutionEventList fresh = newerThan(past, s.lastSeq);
        if (fresh.isEmpty())
            return;
        s.lastSeq = fresh.last().seq;
        const EventsCallback callback = s.callback;
        callback(fresh);
        return;
    }
}

void LocalBackend::unsubscribe(const QString &executionId, QObject *context)
{
    auto it = m_subscribers.find(executionId);
    if (it == m_subscribers.end())
        return;
    dropSubscription(*it, context);
    if (it->isEmpty())
        m_subscribers.erase(it);
}

void LocalBackend::onReader(std::function<void(HistoryReader &)> job)
{
    HistoryReader *reader = m_reader;
    QMetaObject::invokeMethod(
        m_reader, [reader, job] { job(*reader); }, Qt::QueuedConnection);
}

void LocalBackend::queryHistory(const HistoryQuery &query, QObject *context, HistoryCallback callback)
{
    const StoreScope scope = storeScope(m_workspace);
    onReader([this, scope, query, reply = HistoryReply(context, std::move(callback))](HistoryReader &r) {
        Result<ExecutionStore *> store = r.store();
        const Result<HistoryPage> page = store ? (*store)->query(scope, query) : Failure { store.error() };
        if (page)
            replyLater(reply, page.value(), Error { ErrorCode::None, QString() });
        else
            replyLater(reply, HistoryPage(), errorOf(page));
    });
}

void LocalBackend::fetchExecution(const QString &executionId, QObject *context, FetchCallback callback)
{
    const StoreScope scope = storeScope(m_workspace);
    onReader([this, scope, executionId, reply = FetchReply(context, std::move(callback))](HistoryReader &r) {
        Result<ExecutionStore *> store = r.store();
        const Result<ExecutionRecord> record
            = store ? (*store)->execution(scope, executionId, true) : Failure { store.error() };
        if (record)
            replyLater(reply, record.value(), Error { ErrorCode::None, QString() });
        else
            replyLater(reply, ExecutionRecord(), errorOf(record));
    });
}

void LocalBackend::deleteExecutions(const QStringList &ids, QObject *context, DeleteCallback callback)
{
    const StoreScope scope = storeScope(m_workspace);
    onReader([this, scope, ids, reply = DeleteReply(context, std::move(callback))](HistoryReader &r) {
        const Result<int> removed = r.removeFinished(scope, ids);
        replyLater(reply, removed ? removed.value() : 0,
            removed ? Error { ErrorCode::None, QString() } : errorOf(removed));
    });
}

void LocalBackend::applyRetention(
    int keepLast, const QDateTime &olderThan, QObject *context, DeleteCallback callback)
{
    const StoreScope scope = storeScope(m_workspace);
    onReader([this, scope, keepLast, olderThan, reply = DeleteReply(context, std::move(callback))](
                 HistoryReader &r) {
        Result<ExecutionStore *> store = r.store();
        // The store keeps queued and running executions itself.
        const Result<int> removed
            = store ? (*store)->applyRetention(scope, keepLast, olderThan) : Failure { store.error() };
        replyLater(reply, removed ? removed.value() : 0,
            removed ? Error { ErrorCode::None, QString() } : errorOf(removed));
    });
}

// The ToolHost lives on the engine thread: it is called there, and replyLater() brings each
// answer back to this (the caller's) thread.
void LocalBackend::listTools(QObject *context, ToolsCallback callback)
{
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(
        m_engine,
        [this, engine, reply = ToolsReply(context, std::move(callback))]() mutable {
            ToolHost *host = engine->tools();
            if (!host) {
                replyLater(reply, QList<ToolSourceStatus>(),
                    Error {
                        ErrorCode::Internal, QStringLiteral("the engine has no tools (not initialized)") });
                return;
            }
            host->refresh(engine, [this, reply](const QList<ToolSourceStatus> &sources) mutable {
                replyLater(reply, sources, Error { ErrorCode::None, QString() });
            });
        },
        Qt::QueuedConnection);
}

void LocalBackend::callTool(const QString &sourceId, const QString &tool, const QJsonObject &arguments,
    QObject *context, ToolCallCallback callback)
{
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(
        m_engine,
        [this, engine, sourceId, tool, arguments,
            reply = ToolCallReply(context, std::move(callback))]() mutable {
            ToolHost *host = engine->tools();
            if (!host) {
                replyLater(reply, ToolResult(),
                    Error {
                        ErrorCode::Internal, QStringLiteral("the engine has no tools (not initialized)") });
                return;
            }
            host->call(sourceId, tool, arguments, engine,
                [this, reply](const ToolResult &result, const Error &error) mutable {
                    replyLater(reply, result, error);
                });
        },
        Qt::QueuedConnection);
}
