#include "core/trace/Replay.h"

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

QJsonValue costValue(const std::optional<double> &c)
{
    return c ? QJsonValue(*c) : QJsonValue(QJsonValue::Null);
}

} // namespace

QList<TimedEvent> synthesizeReplay(const ExecutionRecord &e, const ReplayOptions &options)
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

    ExecutionEvent queued = ExecutionEvent::makeStatus(e.id, QStringLiteral("queued"));
    push(0, queued);
    ExecutionEvent running = ExecutionEvent::makeStatus(e.id, QStringLiteral("running"));
    running.data.insert(u"queue_ms", e.queueMs);
    push(startMs, running);

    const int n = int(e.steps.size());
    const qint64 span = qMax<qint64>(1, endMs - startMs);
    for (int i = 0; i < n; ++i) {
        const StepRecord &s = e.steps[i];
        // Steps with no recorded time are spread evenly over the run.
        const qint64 even = startMs + span * i / qMax(1, n);
        const qint64 sMs = offset(s.startedAt, origin, even);
        qint64 eMs = offset(s.completedAt, origin, sMs + qMax<qint64>(0, s.executionTimeMs));
        eMs = qMax(eMs, sMs);
        endMs = qMax(endMs, eMs);

        StepRecord started = s;
        started.status = QStringLiteral("running");
        started.outputData = {};
        started.completedAt = {};
        started.errorMessage.clear();
        ExecutionEvent se;
        se.type = ExecutionEvent::Type::StepStarted;
        se.stepId = s.id;
        se.step = started.toJson();
        push(sMs, se);

        const QString text = s.outputData.value(u"text").toString();
        if (s.kind == QLatin1String("llm") && !text.isEmpty() && options.maxChunksPerStep > 0) {
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

        ExecutionEvent ce;
        ce.type = ExecutionEvent::Type::StepCompleted;
        ce.stepId = s.id;
        ce.step = s.toJson();
        push(eMs, ce);
    }

    ExecutionEvent done;
    done.type = ExecutionEvent::Type::Complete;
    done.status = e.status.isEmpty() ? QStringLiteral("completed") : e.status;
    done.data.insert(u"output_data", e.outputData);
    done.data.insert(u"input_tokens", e.inputTokens);
    done.data.insert(u"output_tokens", e.outputTokens);
    done.data.insert(u"cached_tokens", e.cachedTokens);
    done.data.insert(u"tokens_estimated", e.tokensEstimated);
    done.data.insert(u"cost_usd", costValue(e.costUsd));
    done.data.insert(u"execution_time_ms", e.executionTimeMs);
    done.data.insert(u"queue_ms", e.queueMs);
    if (e.ttftMs >= 0)
        done.data.insert(u"ttft_ms", e.ttftMs);
    if (!e.errorMessage.isEmpty())
        done.data.insert(u"error_message", e.errorMessage);
    push(endMs, done);

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
