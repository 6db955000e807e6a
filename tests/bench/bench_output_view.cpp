// How many streamed tokens per second the Single Agent output view absorbs while the GUI stays
// responsive (goal: >= 20,000 tokens/s with every frame stall under 16 ms).
//
// The real path is measured: chunk events go through a backend's eventsReceived signal into an
// ExecutionTracker and the RunOutputPane (stream page, coalesced to one insert per frame) of a
// shown window (offscreen platform unless QT_QPA_PLATFORM says otherwise). Events arrive in
// batches every 4 ms, as the engine's per-turn flush delivers them. A 1 ms heartbeat timer
// records the longest gap of the event loop; the rate passes when that stall stays < 16 ms.
//
//   bench_output_view [seconds-per-rate (default 2)]
#include "core/api/ExecutionBackend.h"
#include "ui/testpanel/ExecutionTracker.h"
#include "ui/testpanel/RunOutputPane.h"
#include "ui/testpanel/StreamOutputView.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

#include <algorithm>
#include <cstdio>

namespace {
// Just enough backend to feed events in: start() is accepted, everything else is a no-op.
class FeedBackend final : public ExecutionBackend
{
public:
    using ExecutionBackend::ExecutionBackend;
    QString displayName() const override { return QStringLiteral("bench"); }
    Workspace workspace() const override { return {}; }
    void start(const ExecutionRequest &request, QObject *context, StartCallback callback) override
    {
        replyLater(StartReply(context, std::move(callback)), request.executionId,
            Error { ErrorCode::None, QString() });
    }
    void cancel(const QString &) override { }
    void subscribe(const QString &, qint64, QObject *, EventsCallback) override { }
    void unsubscribe(const QString &, QObject *) override { }
    void queryHistory(const HistoryQuery &, QObject *, HistoryCallback) override { }
    void fetchExecution(const QString &, QObject *, FetchCallback) override { }
    int runningCount() const override { return 0; }
    int queuedCount() const override { return 0; }
    QString connectionState() const override { return QStringLiteral("connected"); }
    void feed(const ExecutionEventList &events) { emit eventsReceived(events); }
};

struct RateResult
{
    double achievedRate = 0;
    qint64 maxStallMs = 0;
    int stallsOver16 = 0;
    qint64 maxStallAtMs = 0;
    qint64 flushes = 0;
    qsizetype chars = 0;
};

RateResult runAt(FeedBackend &backend, ExecutionTracker &tracker, RunOutputPane &pane, int rate, int seconds)
{
    ExecutionRequest request;
    request.agentId = QStringLiteral("bench");
    const QString id = tracker.start(request);
    ExecutionEvent running = ExecutionEvent::makeStatus(id, ExecutionStatus::Running);
    qint64 seq = 1;
    running.seq = seq++;
    backend.feed({ running });

    static const QString words[] = { QStringLiteral(" the"), QStringLiteral(" quick"),
        QStringLiteral(" brown"), QStringLiteral(" fox"), QStringLiteral(" jumps"), QStringLiteral(" over"),
        QStringLiteral(" a"), QStringLiteral(" lazy"), QStringLiteral(" dog.\n") };
    QElapsedTimer clock;
    clock.start();
    qint64 sent = 0;
    qint64 lastBeat = 0;
    RateResult r;
    const qint64 durationMs = qint64(seconds) * 1000;
    const qint64 flushesBefore = pane.stream()->flushCount();

    QTimer heartbeat;
    heartbeat.setTimerType(Qt::PreciseTimer);
    heartbeat.setInterval(1);
    QObject::connect(&heartbeat, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        if (lastBeat > 0 && now - lastBeat > r.maxStallMs) {
            r.maxStallMs = now - lastBeat;
            r.maxStallAtMs = now;
        }
        if (lastBeat > 0 && now - lastBeat >= 16)
            ++r.stallsOver16;
        lastBeat = now;
    });
    QTimer feeder;
    feeder.setTimerType(Qt::PreciseTimer);
    feeder.setInterval(4);
    QEventLoop loop;
    QObject::connect(&feeder, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        if (now >= durationMs) {
            loop.quit();
            return;
        }
        const qint64 due = qint64(double(rate) * double(now) / 1000.0);
        ExecutionEventList batch;
        batch.reserve(int(due - sent));
        for (; sent < due; ++sent) {
            ExecutionEvent e = ExecutionEvent::makeChunk(id, QStringLiteral("llm-step"), words[sent % 9], 1);
            e.seq = seq++;
            batch.append(e);
        }
        if (!batch.isEmpty())
            backend.feed(batch);
    });
    heartbeat.start();
    feeder.start();
    loop.exec();
    heartbeat.stop();
    feeder.stop();
    pane.stream()->flush();
    const qint64 elapsed = clock.elapsed();
    r.achievedRate = double(sent) * 1000.0 / double(elapsed);
    r.flushes = pane.stream()->flushCount() - flushesBefore;
    r.chars = pane.stream()->document()->characterCount();

    ExecutionEvent done;
    done.type = ExecutionEvent::Type::Complete;
    done.executionId = id;
    done.seq = seq++;
    done.status = ExecutionStatus::Completed;
    backend.feed({ done });
    return r;
}
} // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const int seconds = argc > 1 ? qMax(1, QString::fromLocal8Bit(argv[1]).toInt()) : 2;

    FeedBackend backend;
    QWidget window;
    ExecutionTracker tracker(&backend, &window);
    auto *pane = new RunOutputPane(&tracker, &window);
    pane->resize(900, 650);
    window.resize(900, 650);
    window.show();
    QCoreApplication::processEvents();

    std::printf("bench_output_view: %d s per rate, platform %s, events batched every 4 ms\n", seconds,
        qPrintable(QGuiApplication::platformName()));
    std::printf(
        "%12s %12s %12s %10s %12s\n", "target tok/s", "fed tok/s", "max stall ms", "repaints", "doc chars");
    std::printf("(median of 3 runs per rate)\n");
    // Each rate runs three times; the machine may be shared, so a rate passes when the median
    // of the three worst stalls is under 16 ms (the minimum and maximum are printed too).
    int best = 0;
    bool failed = false;
    for (int rate : { 1000, 5000, 10000, 20000, 40000, 80000, 160000, 320000, 640000 }) {
        QList<RateResult> trials;
        for (int t = 0; t < 3; ++t)
            trials << runAt(backend, tracker, *pane, rate, seconds);
        std::sort(trials.begin(), trials.end(),
            [](const RateResult &a, const RateResult &b) { return a.maxStallMs < b.maxStallMs; });
        const RateResult &r = trials.at(1);
        std::printf("%12d %12.0f %12lld %10lld %12lld  (worst stall of 3 runs: min %lld, max %lld ms)\n",
            rate, r.achievedRate, static_cast<long long>(r.maxStallMs), static_cast<long long>(r.flushes),
            static_cast<long long>(r.chars), static_cast<long long>(trials.first().maxStallMs),
            static_cast<long long>(trials.last().maxStallMs));
        std::fflush(stdout);
        if (r.maxStallMs < 16 && !failed)
            best = rate;
        else
            failed = true; // the figure is the highest rate below the first failing one
    }
    std::printf("RESULT highest rate with every event-loop stall < 16 ms: %d tokens/s\n", best);
    return 0;
}
