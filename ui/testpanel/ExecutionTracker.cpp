#include "ui/testpanel/ExecutionTracker.h"

#include "core/api/ActiveBackend.h"
#include "core/common/Util.h"

ExecutionTracker::ExecutionTracker(ExecutionBackend *backend, QObject *parent)
    : QObject(parent)
    , m_backend(backend)
{
    if (!backend)
        return;
    connect(backend, &ExecutionBackend::eventsReceived, this, &ExecutionTracker::onEvents);
    if (auto *active = qobject_cast<ActiveBackend *>(backend))
        connect(active, &ActiveBackend::backendChanged, this, &ExecutionTracker::detach);
}

void ExecutionTracker::detach()
{
    delete std::exchange(m_runContext, nullptr);
    if (m_active)
        finish(QStringLiteral("detached"),
            { { QStringLiteral("error_message"),
                tr("The test panel switched to another engine; this run goes on where it was started "
                   "and is in that engine's history.") } });
}

void ExecutionTracker::onStartReply(const QString &id, const Error &error)
{
    if (!m_active || m_confirmed)
        return;
    if (error.code != ErrorCode::None) {
        finish(QStringLiteral("failed"), { { QStringLiteral("error_message"), error.message } });
        return;
    }
    m_confirmed = true;
    if (id != m_executionId) {
        // The backend chose another id (a remote server does): follow that one.
        m_executionId = id;
        m_lastSeq = 0;
    }
    if (std::exchange(m_cancelPending, false) && m_backend)
        m_backend->cancel(id);
    emit runConfirmed(id);
}

QString ExecutionTracker::start(ExecutionRequest request)
{
    if (m_beforeStart)
        m_beforeStart();
    if (request.executionId.isEmpty())
        request.executionId = as::newId();
    m_executionId = request.executionId;
    m_active = true;
    m_confirmed = m_cancelPending = false;
    m_lastSeq = 0;
    m_stepNode.clear();
    m_metrics = RunMetrics();
    m_metrics.status = QStringLiteral("starting");
    m_startMs = as::nowMs();
    m_runningMs = m_firstChunkMs = m_endMs = 0;
    emit runStarted(m_executionId);
    emit statusChanged(m_metrics.status);
    emit metricsChanged();
    delete m_runContext;
    m_runContext = new QObject(this);
    if (m_backend)
        m_backend->start(request, m_runContext,
            [this](const QString &id, const Error &error) { onStartReply(id, error); });
    return m_executionId;
}

void ExecutionTracker::cancel()
{
    if (!m_active || !m_backend)
        return;
    // The local engine knows the id at once; a server only once it has answered the start.
    m_backend->cancel(m_executionId);
    if (!m_confirmed)
        m_cancelPending = true;
}

const RunMetrics &ExecutionTracker::metrics() const
{
    if (m_active && m_runningMs > 0) {
        const qint64 now = as::nowMs();
        m_metrics.totalMs = now - m_runningMs;
        if (m_firstChunkMs > 0) {
            const double genSeconds = double(now - m_firstChunkMs) / 1000.0;
            if (genSeconds > 0.05)
                m_metrics.tokensPerSecond = double(m_metrics.outputTokens) / genSeconds;
        }
    }
    return m_metrics;
}

void ExecutionTracker::onEvents(const ExecutionEventList &events)
{
    if (!m_active)
        return;
    bool any = false;
    for (const ExecutionEvent &e : events) {
        if (e.executionId != m_executionId)
            continue;
        if (e.seq > 0) {
            if (e.seq <= m_lastSeq)
                continue; // already have it (replay after reconnect)
            m_lastSeq = e.seq;
        }
        if (!m_confirmed) {
            // Events under our id: the backend took it (whichever of started / events comes first).
            m_confirmed = true;
            emit runConfirmed(m_executionId);
            if (!m_active)
                break;
        }
        any = true;
        handle(e);
        if (!m_active)
            break;
    }
    if (any && m_active)
        emit metricsChanged();
}

void ExecutionTracker::handle(const ExecutionEvent &e)
{
    switch (e.type) {
    case ExecutionEvent::Type::Status:
        m_metrics.status = e.status;
        if (e.data.contains(QStringLiteral("queue_ms")))
            m_metrics.queueMs = e.data.value(QStringLiteral("queue_ms")).toInteger();
        if (e.status == QStringLiteral("running") && m_runningMs == 0) {
            m_runningMs = as::nowMs();
            if (m_metrics.queueMs < 0)
                m_metrics.queueMs = m_runningMs - m_startMs;
        }
        emit statusChanged(e.status);
        break;
    case ExecutionEvent::Type::StepStarted: {
        const QString id = e.step.value(QStringLiteral("id")).toString();
        QString node = e.step.value(QStringLiteral("node_id")).toString();
        if (node.isEmpty())
            node = m_stepNode.value(e.step.value(QStringLiteral("parent_step_id")).toString());
        if (!node.isEmpty())
            m_stepNode.insert(id, node);
        emit stepStarted(e.step);
        break;
    }
    case ExecutionEvent::Type::Chunk:
        if (m_firstChunkMs == 0) {
            m_firstChunkMs = as::nowMs();
            if (m_runningMs > 0)
                m_metrics.ttftMs = m_firstChunkMs - m_runningMs;
        }
        m_metrics.outputTokens += e.tokens;
        m_metrics.tokensEstimated = true; // counted from chunks until the engine reports
        emit chunkReceived(e.stepId, m_stepNode.value(e.stepId), e.content, e.tokens);
        break;
    case ExecutionEvent::Type::StepCompleted:
        if (e.step.value(QStringLiteral("kind")).toString() == QStringLiteral("llm")) {
            const qint64 in = e.step.value(QStringLiteral("input_tokens")).toInteger();
            m_metrics.inputTokens = qMax<qint64>(0, m_metrics.inputTokens) + in;
        }
        emit stepCompleted(e.step);
        break;
    case ExecutionEvent::Type::Complete:
        finish(e.status, e.data);
        break;
    case ExecutionEvent::Type::Error:
        finish(QStringLiteral("failed"),
            { { QStringLiteral("error_message"), e.data.value(QStringLiteral("message")).toString() } });
        break;
    }
}

void ExecutionTracker::finish(const QString &status, const QJsonObject &data)
{
    m_active = false;
    m_endMs = as::nowMs();
    RunMetrics &m = m_metrics;
    m.status = status.isEmpty() ? QStringLiteral("failed") : status;
    m.finished = true;
    auto num = [&](const char *key, qint64 fallback) {
        const QJsonValue v = data.value(QLatin1String(key));
        return v.isDouble() ? v.toInteger() : fallback;
    };
    m.queueMs = num("queue_ms", m.queueMs);
    m.ttftMs = num("ttft_ms", m.ttftMs);
    m.totalMs = num("execution_time_ms", m_runningMs > 0 ? m_endMs - m_runningMs : -1);
    m.inputTokens = num("input_tokens", m.inputTokens);
    m.outputTokens = num("output_tokens", m.outputTokens);
    if (data.contains(QStringLiteral("tokens_estimated")))
        m.tokensEstimated = data.value(QStringLiteral("tokens_estimated")).toBool();
    const QJsonValue cost = data.value(QStringLiteral("cost_usd"));
    m.costUsd = cost.isDouble() ? std::optional<double>(cost.toDouble()) : std::nullopt;
    const qint64 genMs = m.totalMs - qMax<qint64>(0, m.ttftMs);
    m.tokensPerSecond
        = (m.outputTokens > 0 && genMs > 0) ? double(m.outputTokens) * 1000.0 / double(genMs) : -1;
    m.errorMessage = data.value(QStringLiteral("error_message")).toString();
    emit statusChanged(m.status);
    emit metricsChanged();
    emit finished(m.status, data.value(QStringLiteral("output_data")).toObject(), m.errorMessage);
}
