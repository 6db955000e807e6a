#include "core/server/ExecutionStreamHub.h"
#include "core/server/StreamSession.h"

#include "core/common/Util.h"

#include <QJsonDocument>

#include <algorithm>

qsizetype ExecutionStream::indexAfter(qint64 afterSeq) const
{
    const auto it = std::upper_bound(
        events.cbegin(), events.cend(), afterSeq, [](qint64 s, const BufferedEvent &e) { return s < e.seq; });
    return it - events.cbegin();
}

std::shared_ptr<ExecutionStream> ExecutionStreamHub::find(const QString &executionId) const
{
    return m_streams.value(executionId);
}

std::shared_ptr<ExecutionStream> ExecutionStreamHub::create(
    const QString &executionId, const QString &workspaceKey)
{
    auto existing = m_streams.value(executionId);
    if (existing)
        return existing;
    auto stream = std::make_shared<ExecutionStream>();
    stream->executionId = executionId;
    stream->workspaceKey = workspaceKey;
    m_streams.insert(executionId, stream);
    return stream;
}

void ExecutionStreamHub::remove(const QString &executionId)
{
    m_streams.remove(executionId);
}

std::shared_ptr<ExecutionStream> ExecutionStreamHub::append(const QString &workspaceKey, ExecutionEvent event)
{
    auto stream = m_streams.value(event.executionId);
    if (!stream || stream->synthesized) {
        // A synthesized stream of an execution that is live after all: the engine is the truth.
        stream = std::make_shared<ExecutionStream>();
        stream->executionId = event.executionId;
        stream->workspaceKey = workspaceKey;
        m_streams.insert(event.executionId, stream);
    }
    const qint64 last = stream->lastSeq();
    if (event.seq == 0)
        event.seq = last + 1;
    else if (event.seq <= last)
        return nullptr; // already held
    BufferedEvent b;
    b.seq = event.seq;
    b.text = serialize(event);
    b.terminal = event.isTerminal();
    stream->events.append(std::move(b));
    if (event.type == ExecutionEvent::Type::Status || event.type == ExecutionEvent::Type::Complete)
        stream->status = event.status;
    if (event.isTerminal()) {
        stream->terminal = true;
        stream->finishedAtMs = as::nowMs();
    }
    return stream;
}

std::shared_ptr<ExecutionStream> ExecutionStreamHub::adoptSynthesized(std::shared_ptr<ExecutionStream> stream)
{
    if (auto existing = m_streams.value(stream->executionId))
        return existing;
    stream->finishedAtMs = as::nowMs();
    m_streams.insert(stream->executionId, stream);
    return stream;
}

QList<std::shared_ptr<ExecutionStream>> ExecutionStreamHub::liveStreams() const
{
    QList<std::shared_ptr<ExecutionStream>> out;
    for (const auto &s : m_streams)
        if (!s->terminal && !s->synthesized)
            out.append(s);
    return out;
}

void ExecutionStreamHub::evict(qint64 nowMs, int retainMs, int maxRetained)
{
    auto unused = [](const ExecutionStream &s) {
        for (const auto &p : s.sessions)
            if (p)
                return false;
        return true;
    };
    QList<std::shared_ptr<ExecutionStream>> finished;
    for (auto it = m_streams.begin(); it != m_streams.end();) {
        ExecutionStream &s = **it;
        if ((s.terminal || s.synthesized) && unused(s)) {
            if (nowMs - s.finishedAtMs > retainMs) {
                it = m_streams.erase(it);
                continue;
            }
            finished.append(*it);
        }
        ++it;
    }
    if (finished.size() > maxRetained) {
        std::sort(finished.begin(), finished.end(),
            [](const auto &a, const auto &b) { return a->finishedAtMs < b->finishedAtMs; });
        for (qsizetype i = 0; i < finished.size() - maxRetained; ++i)
            m_streams.remove(finished[i]->executionId);
    }
}

QString ExecutionStreamHub::serialize(const ExecutionEvent &event)
{
    return QString::fromUtf8(QJsonDocument(event.toJson()).toJson(QJsonDocument::Compact));
}

bool ExecutionStreamHub::isTerminalStatus(const QString &status)
{
    return status == QLatin1String("completed") || status == QLatin1String("failed")
        || status == QLatin1String("cancelled") || status == QLatin1String("interrupted");
}

std::shared_ptr<ExecutionStream> ExecutionStreamHub::synthesize(
    const ExecutionRecord &record, const QString &workspaceKey)
{
    auto stream = std::make_shared<ExecutionStream>();
    stream->executionId = record.id;
    stream->workspaceKey = workspaceKey;
    stream->synthesized = true;
    qint64 seq = 0;
    auto push = [&](ExecutionEvent e) {
        e.executionId = record.id;
        e.seq = ++seq;
        BufferedEvent b;
        b.seq = e.seq;
        b.text = serialize(e);
        b.terminal = e.isTerminal();
        stream->events.append(std::move(b));
    };

    ExecutionEvent queued = ExecutionEvent::makeStatus(record.id, QStringLiteral("queued"));
    push(queued);
    if (record.startedAt.isValid()) {
        ExecutionEvent running = ExecutionEvent::makeStatus(record.id, QStringLiteral("running"));
        running.data.insert(QStringLiteral("queue_ms"), record.queueMs);
        push(running);
    }
    QList<StepRecord> steps = record.steps;
    std::stable_sort(steps.begin(), steps.end(),
        [](const StepRecord &a, const StepRecord &b) { return a.stepNumber < b.stepNumber; });
    for (const StepRecord &s : std::as_const(steps)) {
        ExecutionEvent started;
        started.type = ExecutionEvent::Type::StepStarted;
        started.stepId = s.id;
        const QJsonObject full = s.toJson();
        QJsonObject head;
        for (const char *key : { "id", "name", "kind", "node_id", "parent_step_id", "agent_id", "step_number",
                 "started_at", "provider", "model", "attempt" }) {
            const QString k = QString::fromLatin1(key);
            if (full.contains(k))
                head.insert(k, full.value(k));
        }
        head.insert(QStringLiteral("status"), QStringLiteral("running"));
        started.step = head;
        push(started);
        const QString text = s.outputData.value(QLatin1String("text")).toString();
        if (s.kind == QLatin1String("llm") && !text.isEmpty())
            push(ExecutionEvent::makeChunk(record.id, s.id, text, int(s.outputTokens)));
        if (s.status != QLatin1String("running")) {
            ExecutionEvent done;
            done.type = ExecutionEvent::Type::StepCompleted;
            done.stepId = s.id;
            done.step = full;
            push(done);
        }
    }
    stream->status = record.status;
    if (isTerminalStatus(record.status)) {
        ExecutionEvent complete;
        complete.type = ExecutionEvent::Type::Complete;
        complete.status = record.status;
        QJsonObject d;
        d.insert(QStringLiteral("output_data"), record.outputData);
        d.insert(QStringLiteral("input_tokens"), record.inputTokens);
        d.insert(QStringLiteral("output_tokens"), record.outputTokens);
        d.insert(QStringLiteral("cached_tokens"), record.cachedTokens);
        d.insert(QStringLiteral("tokens_estimated"), record.tokensEstimated);
        d.insert(QStringLiteral("cost_usd"),
            record.costUsd ? QJsonValue(*record.costUsd) : QJsonValue(QJsonValue::Null));
        d.insert(QStringLiteral("execution_time_ms"), record.executionTimeMs);
        d.insert(QStringLiteral("ttft_ms"),
            record.ttftMs >= 0 ? QJsonValue(record.ttftMs) : QJsonValue(QJsonValue::Null));
        d.insert(QStringLiteral("queue_ms"), record.queueMs);
        if (!record.errorMessage.isEmpty())
            d.insert(QStringLiteral("error_message"), record.errorMessage);
        complete.data = d;
        push(complete);
        stream->terminal = true;
    }
    return stream;
}
