#include "core/server/ExecutionStreamHub.h"

#include "core/api/EventSynthesizer.h"
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

std::shared_ptr<ExecutionStream> ExecutionStreamHub::synthesize(
    const ExecutionRecord &record, const QString &workspaceKey)
{
    auto stream = std::make_shared<ExecutionStream>();
    stream->executionId = record.id;
    stream->workspaceKey = workspaceKey;
    stream->synthesized = true;
    // The one synthesizer of events from a stored record (also the trace viewer's replay);
    // a resumed client gets each llm step's stored reply as one chunk.
    SynthesisOptions options;
    options.maxChunksPerStep = 1;
    for (const TimedEvent &t : synthesizeEvents(record, options)) {
        BufferedEvent b;
        b.seq = t.event.seq;
        b.text = serialize(t.event);
        b.terminal = t.event.isTerminal();
        stream->events.append(std::move(b));
    }
    stream->status = record.status;
    stream->terminal = isTerminal(record.status);
    return stream;
}
