#include "core/api/EventSynthesizer.h"

#include <QJsonValue>

#include <algorithm>

namespace {

qint64 offset(const QDateTime &t, const QDateTime &origin, qint64 fallback)
{
    if (!t.isValid() || !origin.isValid())
        return fallback;
    return qMax<qint64>(0, origin.msecsTo(t));
}

struct Pending
{
    qint64 atMs;
    int order; // tie-break: emission order
    ExecutionEvent event;
};

// A step as the engine announces it when it starts: what is known then, nothing of its end.
StepRecord startedStep(const StepRecord &s)
{
    StepRecord head;
    head.id = s.id;
    head.executionId = s.executionId;
    head.agentId = s.agentId;
    head.stepNumber = s.stepNumber;
    head.inputData = s.inputData;
    head.status = StepStatus::Running;
    head.startedAt = s.startedAt;
    head.parentStepId = s.parentStepId;
    head.spanId = s.spanId;
    head.kind = s.kind;
    head.name = s.name;
    head.nodeId = s.nodeId;
    head.provider = s.provider;
    head.model = s.model;
    head.attempt = s.attempt;
    head.toolCallId = s.toolCallId; // a running tool call already names its call id
    return head;
}

} // namespace

QList<TimedEvent> synthesizeEvents(const ExecutionRecord &e, const SynthesisOptions &options)
{
    const QDateTime origin = e.queuedAt.isValid() ? e.queuedAt : e.startedAt;
    const qint64 startMs = offset(e.startedAt, origin, 0);
    qint64 endMs = offset(e.completedAt, origin, startMs + qMax<qint64>(0, e.executionTimeMs));

    std::vector<Pending> pending;
    pending.reserve(size_t(e.steps.size()) * 2 + 3);
    int order = 0;
    auto push = [&](qint64 at, ExecutionEvent ev) {
        ev.executionId = e.id;
        pending.push_back({ at, order++, std::move(ev) });
    };

    ExecutionEvent queued = ExecutionEvent::makeStatus(e.id, ExecutionStatus::Queued);
    queued.header = ExecutionHeader::of(e);
    push(0, queued);
    const bool ended = isTerminal(e.status);
    if (e.startedAt.isValid() || ended || !e.steps.isEmpty()) {
        ExecutionEvent running = ExecutionEvent::makeStatus(e.id, ExecutionStatus::Running);
        running.queueMs = e.queueMs;
        push(startMs, running);
    }

    // Steps in the order they started (step_number), whatever order the record lists them.
    QList<StepRecord> steps = e.steps;
    std::stable_sort(steps.begin(), steps.end(),
        [](const StepRecord &a, const StepRecord &b) { return a.stepNumber < b.stepNumber; });
    const int n = int(steps.size());
    const qint64 span = qMax<qint64>(1, endMs - startMs);
    for (int i = 0; i < n; ++i) {
        const StepRecord &s = steps[i];
        // Steps with no recorded time are spread evenly over the run.
        const qint64 even = startMs + span * i / qMax(1, n);
        const qint64 sMs = offset(s.startedAt, origin, even);
        qint64 eMs = offset(s.completedAt, origin, sMs + qMax<qint64>(0, s.executionTimeMs));
        eMs = qMax(eMs, sMs);
        endMs = qMax(endMs, eMs);

        ExecutionEvent se = ExecutionEvent::makeStep(ExecutionEvent::Type::StepStarted, startedStep(s));
        push(sMs, se);

        const QString text = s.outputData.value(u"text").toString();
        if (s.kind == StepKind::Llm && !text.isEmpty() && options.maxChunksPerStep > 0) {
            const qint64 first = sMs + (s.ttftMs >= 0 ? qMin(s.ttftMs, eMs - sMs) : 0);
            const int chunks = int(qMin<qint64>(options.maxChunksPerStep, text.size()));
            const qint64 tokens = qMax<qint64>(s.outputTokens, chunks);
            qint64 sentTokens = 0;
            for (int c = 0; c < chunks; ++c) {
                const qsizetype from = text.size() * c / chunks;
                const qsizetype to = text.size() * (c + 1) / chunks;
                const qint64 upTo = tokens * (c + 1) / chunks;
                const qint64 at = chunks > 1 ? first + (eMs - first) * c / (chunks - 1) : first;
                push(at,
                    ExecutionEvent::makeChunk(e.id, s.id, text.mid(from, to - from), int(upTo - sentTokens)));
                sentTokens = upTo;
            }
        }

        if (isTerminal(s.status))
            push(eMs, ExecutionEvent::makeStep(ExecutionEvent::Type::StepCompleted, s));
    }

    if (ended)
        push(endMs, ExecutionEvent::makeComplete(e.id, e.status, ExecutionSummary::of(e)));

    std::stable_sort(pending.begin(), pending.end(), [](const Pending &a, const Pending &b) {
        return a.atMs != b.atMs ? a.atMs < b.atMs : a.order < b.order;
    });
    // A child may be recorded as starting in the same ms as, or (clock skew) before, its
    // parent; stable order by time keeps the list order for ties, which is start order.
    QList<TimedEvent> out;
    out.reserve(qsizetype(pending.size()));
    qint64 seq = 0;
    for (Pending &p : pending) {
        p.event.seq = ++seq;
        out.append({ p.atMs, std::move(p.event) });
    }
    return out;
}
