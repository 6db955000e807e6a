#include "core/tools/SingleToolSource.h"

#include <QTimer>

SingleToolSource::SingleToolSource(const ToolSourceSpec &spec, QObject *parent)
    : ToolSource(spec.id, parent)
    , m_spec(spec)
{
}

SingleToolSource::~SingleToolSource() = default;

ToolDefinition SingleToolSource::definition() const
{
    ToolDefinition d;
    d.source = id();
    d.name = id();
    d.description = m_spec.description;
    d.inputSchema = m_spec.argumentSchema();
    return d;
}

ToolSourceStatus SingleToolSource::status() const
{
    ToolSourceStatus s;
    s.id = id();
    s.kind = kind();
    s.target = target();
    s.state = m_state;
    s.error = m_error;
    s.log = m_log;
    s.tools = { definition() };
    return s;
}

void SingleToolSource::listTools(QObject *context, ListCallback callback)
{
    // Never inside the call: the answer is posted.
    QTimer::singleShot(0, this,
        [reply = BackendReply<const QList<ToolDefinition> &, const QString &>(context, std::move(callback)),
            tools = QList<ToolDefinition> { definition() }]() mutable { reply(tools, QString()); });
}

quint64 SingleToolSource::callTool(const QString &name, const QJsonObject &arguments,
    const ToolCallOptions &options, QObject *context, CallCallback done, ProgressCallback)
{
    const quint64 handle = m_nextHandle++;
    Call &call = m_calls[handle];
    call.done = BackendReply<const ToolResult &>(context, std::move(done));
    call.clock.start();
    if (name != id()) {
        const ToolResult wrong = ToolResult::fromError(
            QStringLiteral("%1 source '%2' has no tool '%3' (its one tool is '%2')").arg(kind(), id(), name));
        QTimer::singleShot(0, this, [this, handle, wrong] { finish(handle, wrong); });
        return handle;
    }
    // The shorter of the source's own limit and the caller's.
    int limit = m_spec.timeoutMs;
    if (options.timeoutMs > 0 && (limit <= 0 || options.timeoutMs < limit))
        limit = options.timeoutMs;
    if (limit > 0) {
        call.timeout = new QTimer(this);
        call.timeout->setSingleShot(true);
        connect(call.timeout, &QTimer::timeout, this, [this, handle, limit] {
            if (!isRunning(handle))
                return;
            const QString detail = failureDetail(handle);
            abort(handle);
            m_calls[handle].ending = true;
            QString message = QStringLiteral("%1 timed out after %2 ms").arg(subject()).arg(limit);
            if (!detail.isEmpty())
                message += QLatin1Char('\n') + detail;
            finish(handle, ToolResult::fromError(message));
        });
        call.timeout->start(limit);
    }
    start(handle, arguments);
    return handle;
}

void SingleToolSource::cancel(quint64 handle)
{
    if (!isRunning(handle))
        return;
    abort(handle);
    Call &call = m_calls[handle];
    call.ending = true; // nothing else may answer it now (its timeout, a late process exit)
    if (call.timeout)
        call.timeout->stop();
    // The answer still comes later, never inside cancel().
    QTimer::singleShot(
        0, this, [this, handle] { finish(handle, ToolResult::fromCancel(QStringLiteral("cancelled"))); });
}

void SingleToolSource::shutdown()
{
    const QList<quint64> handles = m_calls.keys();
    for (quint64 handle : handles)
        cancel(handle);
}

void SingleToolSource::finish(quint64 handle, ToolResult result)
{
    auto it = m_calls.find(handle);
    if (it == m_calls.end())
        return;
    Call call = std::move(*it);
    m_calls.erase(it);
    if (call.timeout) {
        call.timeout->stop();
        call.timeout->deleteLater(); // finish() may run inside its timeout signal
    }
    result.latencyMs = call.clock.elapsed();
    call.done(result);
}

void SingleToolSource::setState(ToolSourceState state, const QString &error)
{
    if (state == m_state && error == m_error)
        return;
    m_state = state;
    m_error = error;
    emit statusChanged();
}

void SingleToolSource::setLog(const QStringList &log)
{
    if (log == m_log)
        return;
    m_log = log;
    emit statusChanged();
}
