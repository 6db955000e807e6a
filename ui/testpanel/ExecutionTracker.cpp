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
        finish(QStringLiteral("detached"), nullptr,
            tr("The test panel switched to another engine; this run goes on where it was started "
               "and is in that engine's history."));
}

void ExecutionTracker::onStartReply(const QString &id, const Error &error)
{
    if (!m_active || m_confirmed)
        return;
    if (error.code != ErrorCode::None) {
        finish(toWire(ExecutionStatus::Failed), nullptr, error.message);
        return;
    }
    m_confirmed = true;
    if (id != m_executionId) {
        // The backend chose another id (a remote server does): follow that one.
        m_executionId = id;
        m_fold = ExecutionFold(id);
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
    m_fold = ExecutionFold(m_executionId);
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
        // The fold drops what we already have (replay after a reconnect) and stale events.
        if (m_fold.apply(e) != ExecutionFold::Outcome::Applied)
            continue;
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
    const ExecutionRecord &r = m_fold.record();
    switch (e.type) {
    case ExecutionEvent::Type::Status:
        m_metrics.status = toWire(r.status);
        if (e.queueMs >= 0)
            m_metrics.queueMs = e.queueMs;
        if (r.status == ExecutionStatus::Running && m_runningMs == 0) {
            m_runningMs = as::nowMs();
            if (m_metrics.queueMs < 0)
                m_metrics.queueMs = m_runningMs - m_startMs;
        }
        emit statusChanged(m_metrics.status);
        break;
    case ExecutionEvent::Type::StepStarted: {
        const StepRecord &step = r.steps[m_fold.stepIndex(e.step->id)];
        QString node = step.nodeId;
        if (node.isEmpty())
            node = m_stepNode.value(step.parentStepId);
        if (!node.isEmpty())
            m_stepNode.insert(step.id, node);
        emit stepStarted(step);
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
    case ExecutionEvent::Type::StepCompleted: {
        const StepRecord &step = r.steps[m_fold.stepIndex(e.step->id)];
        if (step.kind == StepKind::Llm)
            m_metrics.inputTokens = qMax<qint64>(0, m_metrics.inputTokens) + step.inputTokens;
        emit stepCompleted(step);
        break;
    }
    case ExecutionEvent::Type::Complete:
        finish(toWire(r.status), &r);
        break;
    case ExecutionEvent::Type::Error:
        finish(toWire(ExecutionStatus::Failed), nullptr, e.errorMessage);
        break;
    }
}

void ExecutionTracker::finish(const QString &status, const ExecutionRecord *end, const QString &error)
{
    m_active = false;
    m_endMs = as::nowMs();
    RunMetrics &m = m_metrics;
    m.status = status.isEmpty() ? toWire(ExecutionStatus::Failed) : status;
    m.finished = true;
    QJsonObject outputs;
    if (end) {
        // The engine's figures (docs/wire-protocol.md, `complete`).
        m.queueMs = end->queueMs;
        m.ttftMs = end->ttftMs;
        m.totalMs = end->executionTimeMs;
        m.inputTokens = end->inputTokens;
        m.outputTokens = end->outputTokens;
        m.tokensEstimated = end->tokensEstimated;
        m.costUsd = end->costUsd;
        m.errorMessage = end->errorMessage;
        outputs = end->outputData;
    } else {
        // Not run to its end here (refused, detached, a stream error): the live figures stay.
        m.totalMs = m_runningMs > 0 ? m_endMs - m_runningMs : -1;
        m.costUsd.reset();
        m.errorMessage = error;
    }
    const qint64 genMs = m.totalMs - qMax<qint64>(0, m.ttftMs);
    m.tokensPerSecond
        = (m.outputTokens > 0 && genMs > 0) ? double(m.outputTokens) * 1000.0 / double(genMs) : -1;
    emit statusChanged(m.status);
    emit metricsChanged();
    emit finished(m.status, outputs, m.errorMessage);
}
