#include "core/api/ActiveBackend.h"

ActiveBackend::ActiveBackend(QObject *parent)
    : ExecutionBackend(parent)
{
}

ActiveBackend::~ActiveBackend() = default;

void ActiveBackend::setBackend(ExecutionBackend *backend)
{
    if (backend == m_backend)
        return;
    for (const QMetaObject::Connection &c : std::as_const(m_connections))
        disconnect(c);
    m_connections.clear();
    m_backend = backend;
    if (backend) {
        m_connections
            << connect(backend, &ExecutionBackend::eventsReceived, this, &ExecutionBackend::eventsReceived)
            << connect(backend, &ExecutionBackend::countsChanged, this, &ExecutionBackend::countsChanged)
            << connect(backend, &ExecutionBackend::connectionStateChanged, this,
                   &ExecutionBackend::connectionStateChanged)
            << connect(
                   backend, &ExecutionBackend::workspaceChanged, this, &ExecutionBackend::workspaceChanged)
            << connect(backend, &ExecutionBackend::toolsChanged, this, &ExecutionBackend::toolsChanged);
    }
    emit backendChanged(backend);
    emit workspaceChanged();
    emit countsChanged(runningCount(), queuedCount());
    emit connectionStateChanged(connectionState());
    emit toolsChanged();
}

Error ActiveBackend::noBackend() const
{
    return { ErrorCode::Unreachable, QStringLiteral("no backend") };
}

QString ActiveBackend::displayName() const
{
    return m_backend ? m_backend->displayName() : QString();
}

Workspace ActiveBackend::workspace() const
{
    return m_backend ? m_backend->workspace() : Workspace();
}

void ActiveBackend::start(const ExecutionRequest &request, QObject *context, StartCallback callback)
{
    if (m_backend)
        m_backend->start(request, context, std::move(callback));
    else
        replyLater(StartReply(context, std::move(callback)), QString(), noBackend());
}

void ActiveBackend::cancel(const QString &executionId)
{
    if (m_backend)
        m_backend->cancel(executionId);
}

void ActiveBackend::subscribe(
    const QString &executionId, qint64 afterSeq, QObject *context, EventsCallback callback)
{
    if (m_backend)
        m_backend->subscribe(executionId, afterSeq, context, std::move(callback));
}

void ActiveBackend::unsubscribe(const QString &executionId, QObject *context)
{
    if (m_backend)
        m_backend->unsubscribe(executionId, context);
}

void ActiveBackend::queryHistory(const HistoryQuery &query, QObject *context, HistoryCallback callback)
{
    if (m_backend)
        m_backend->queryHistory(query, context, std::move(callback));
    else
        replyLater(HistoryReply(context, std::move(callback)), HistoryPage(), noBackend());
}

void ActiveBackend::fetchExecution(const QString &executionId, QObject *context, FetchCallback callback)
{
    if (m_backend)
        m_backend->fetchExecution(executionId, context, std::move(callback));
    else
        replyLater(FetchReply(context, std::move(callback)), ExecutionRecord(), noBackend());
}

bool ActiveBackend::canDelete() const
{
    return m_backend && m_backend->canDelete();
}

void ActiveBackend::listTools(QObject *context, ToolsCallback callback)
{
    if (m_backend)
        m_backend->listTools(context, std::move(callback));
    else
        replyLater(ToolsReply(context, std::move(callback)), QList<ToolSourceStatus>(), noBackend());
}

void ActiveBackend::callTool(const QString &sourceId, const QString &tool, const QJsonObject &arguments,
    QObject *context, ToolCallCallback callback)
{
    if (m_backend)
        m_backend->callTool(sourceId, tool, arguments, context, std::move(callback));
    else
        replyLater(ToolCallReply(context, std::move(callback)), ToolResult(), noBackend());
}

void ActiveBackend::deleteExecutions(const QStringList &ids, QObject *context, DeleteCallback callback)
{
    if (m_backend)
        m_backend->deleteExecutions(ids, context, std::move(callback));
    else
        replyLater(DeleteReply(context, std::move(callback)), 0, noBackend());
}

void ActiveBackend::applyRetention(
    int keepLast, const QDateTime &olderThan, QObject *context, DeleteCallback callback)
{
    if (m_backend)
        m_backend->applyRetention(keepLast, olderThan, context, std::move(callback));
    else
        replyLater(DeleteReply(context, std::move(callback)), 0, noBackend());
}

int ActiveBackend::runningCount() const
{
    return m_backend ? m_backend->runningCount() : 0;
}

int ActiveBackend::queuedCount() const
{
    return m_backend ? m_backend->queuedCount() : 0;
}

QString ActiveBackend::connectionState() const
{
    return m_backend ? m_backend->connectionState() : QStringLiteral("disconnected");
}

Error ActiveBackend::connectionError() const
{
    return m_backend ? m_backend->connectionError() : noBackend();
}
