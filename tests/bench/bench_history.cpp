// History at scale: 1,000,000 stored executions, queried the way the history dock
// does (first page, filters, full-text search, scrolling), directly on the store and through
// the LocalBackend round trip the GUI uses (engine thread + queued signal).
//
//   bench_history [N] [--db FILE] [--rebuild]
//
// N defaults to 1,000,000. The database is cached (default /tmp/agentstudio-bench-history-N.db)
// and reused when it already holds N executions, since writing a million rows takes minutes.
// Rows are written in one big transaction through the store's prepared statements; executions
// only (the history list never reads steps). The generator follows tests/bench/bench_store.cpp
// (its helpers are file-local there). Prints p50/p95 over 50 queries each; never fails on speed.

#include "core/common/Util.h"
#include "core/engine/LocalBackend.h"
#include "core/store/ExecutionStore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QTextStream>
#include <QTimer>

#include <algorithm>
#include <functional>

namespace {

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

// A deterministic vocabulary of made-up words, picked with a skew so a few words are common
// and most are rare, as in real text.
class Words
{
public:
    explicit Words(int size)
    {
        static const char *syllables[] = { "ka", "lo", "mi", "ner", "tu", "sa", "vo", "rin", "ble", "dax",
            "po", "qua", "zen", "fi", "gor", "hal", "jub", "wex", "ty", "um" };
        QRandomGenerator rng(7);
        QSet<QString> seen;
        while (m_words.size() < size) {
            QString w;
            const int n = 2 + int(rng.bounded(3));
            for (int i = 0; i < n; ++i)
                w += QLatin1String(syllables[rng.bounded(20)]);
            if (!seen.contains(w)) {
                seen.insert(w);
                m_words.append(w);
            }
        }
    }
    QString pick(QRandomGenerator &rng) const
    {
        const double r = rng.generateDouble();
        return m_words.at(qMin(int(m_words.size()) - 1, int(m_words.size() * r * r * r)));
    }
    QString sentence(QRandomGenerator &rng, int n) const
    {
        QStringList parts;
        for (int i = 0; i < n; ++i)
            parts.append(pick(rng));
        return parts.join(QLatin1Char(' '));
    }
    const QString &at(int i) const { return m_words.at(i); }
    int size() const { return int(m_words.size()); }

private:
    QStringList m_words;
};

const QStringList kAgents = { QStringLiteral("summarizer"), QStringLiteral("writer"),
    QStringLiteral("critic"), QStringLiteral("classifier"), QStringLiteral("extractor"),
    QStringLiteral("translator"), QStringLiteral("planner"), QStringLiteral("router") };

// Every row is written to workspace "bench" of organization "local", and read back scoped to
// it, as the app's engine reads its open workspace.
StoreScope benchScope()
{
    return StoreScope::workspace(QStringLiteral("local"), QStringLiteral("bench"));
}

ExecutionRecord makeRecord(QRandomGenerator &rng, const Words &words, const QDateTime &queuedAt)
{
    ExecutionRecord e;
    e.id = as::newId();
    e.workspaceId = QStringLiteral("bench");
    const bool workflow = rng.bounded(10) == 0;
    if (workflow) {
        e.executionType = ExecutionType::Orchestration;
        e.orchestrationId = rng.bounded(2) ? QStringLiteral("brief") : QStringLiteral("triage");
        e.testMode = TestMode::FullWorkflow;
    } else {
        e.executionType = ExecutionType::Agent;
        e.agentId = kAgents.at(int(rng.bounded(int(kAgents.size()))));
        e.testMode = TestMode::SingleAgent;
    }
    e.version = QStringLiteral("1.0.0");
    e.triggeredBy = QStringLiteral("bench");
    e.triggerType = rng.bounded(4) == 0 ? TriggerType::Cli : TriggerType::TestPanel;
    e.inputData = QJsonObject { { QStringLiteral("text"), words.sentence(rng, 20 + int(rng.bounded(60))) },
        { QStringLiteral("max_words"), 30 + int(rng.bounded(100)) } };
    const int r = int(rng.bounded(100));
    e.status = r < 80 ? ExecutionStatus::Completed
        : r < 92      ? ExecutionStatus::Failed
        : r < 97      ? ExecutionStatus::Cancelled
                      : ExecutionStatus::Interrupted;
    if (e.status == ExecutionStatus::Completed)
        e.outputData
            = QJsonObject { { QStringLiteral("summary"), words.sentence(rng, 10 + int(rng.bounded(40))) },
                  { QStringLiteral("confidence"), rng.generateDouble() } };
    else if (e.status == ExecutionStatus::Failed)
        e.errorMessage = QStringLiteral("summary: expected a string near ") + words.pick(rng);
    e.queuedAt = queuedAt;
    e.queueMs = int(rng.bounded(30));
    e.startedAt = queuedAt.addMSecs(e.queueMs);
    e.executionTimeMs = 200 + int(rng.bounded(5000));
    e.completedAt = e.startedAt.addMSecs(e.executionTimeMs);
    e.inputTokens = 40 + int(rng.bounded(400));
    e.outputTokens = 10 + int(rng.bounded(300));
    if (rng.bounded(5) != 0)
        e.costUsd = (e.inputTokens * 0.15 + e.outputTokens * 0.6) / 1e6;
    e.traceId = as::newTraceId();
    e.provider = QStringLiteral("openai");
    e.model = QStringLiteral("gpt-4o-mini");
    e.ttftMs = 100 + int(rng.bounded(300));
    return e;
}

QString sizeOf(const QString &path)
{
    const qint64 bytes = QFileInfo(path).size() + QFileInfo(path + QStringLiteral("-wal")).size();
    return QStringLiteral("%1 MB").arg(double(bytes) / (1024.0 * 1024.0), 0, 'f', 1);
}

struct Timing
{
    double p50 = 0, p95 = 0, max = 0;
};

Timing measure(int reps, const std::function<void(int)> &f)
{
    QList<double> ms;
    for (int i = 0; i < reps; ++i) {
        QElapsedTimer t;
        t.start();
        f(i);
        ms.append(double(t.nsecsElapsed()) / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    return { ms.at(ms.size() / 2), ms.at(qMin(ms.size() - 1, qsizetype(ms.size() * 0.95))), ms.last() };
}

// Takes `rows` by reference: read after the timing ran (argument order is unspecified).
void print(const QString &what, const Timing &t, const qint64 &rows, const QString &goal = {})
{
    out() << QStringLiteral("  %1 p50 %2 ms   p95 %3 ms   max %4 ms   (%5 rows)%6")
                 .arg(what, -40)
                 .arg(t.p50, 7, 'f', 2)
                 .arg(t.p95, 7, 'f', 2)
                 .arg(t.max, 7, 'f', 2)
                 .arg(rows)
                 .arg(goal.isEmpty() ? QString() : QStringLiteral("   goal ") + goal)
          << Qt::endl;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    qint64 n = 1'000'000;
    QString path;
    bool rebuild = false;
    const QStringList args = app.arguments().mid(1);
    for (qsizetype i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--db") && i + 1 < args.size())
            path = args[++i];
        else if (args[i] == QLatin1String("--rebuild"))
            rebuild = true;
        else if (args[i].toLongLong() > 0)
            n = args[i].toLongLong();
        else {
            out() << "usage: bench_history [N] [--db FILE] [--rebuild]" << Qt::endl;
            return 2;
        }
    }
    if (path.isEmpty())
        path = QStringLiteral("/tmp/agentstudio-bench-history-%1.db").arg(n);
    const Words words(5000);
    out() << "History benchmark: " << n << " executions in " << path << Qt::endl;

    // 1. The database: reuse the cached one when it holds N executions.
    {
        bool reuse = false;
        if (!rebuild && QFileInfo::exists(path)) {
            ExecutionStore probe(path);
            if (probe.open().ok()) {
                const Result<qint64> count = probe.count(StoreScope::everyWorkspace(), {});
                reuse = count.ok() && count.value() == n;
            }
        }
        if (!reuse) {
            for (const QString &suffix : { QString(), QStringLiteral("-wal"), QStringLiteral("-shm") })
                QFile::remove(path + suffix);
            ExecutionStore store(path);
            if (const Result<void> r = store.open(); !r.ok()) {
                out() << "error: " << r.error() << Qt::endl;
                return 1;
            }
            QRandomGenerator rng(42);
            const QDateTime start = QDateTime::currentDateTimeUtc().addDays(-365);
            const qint64 spanMs = 365LL * 24 * 3600 * 1000;
            QElapsedTimer t;
            t.start();
            if (!store.begin().ok())
                return 1;
            for (qint64 i = 0; i < n; ++i) {
                if (const Result<void> r
                    = store.insertExecution(makeRecord(rng, words, start.addMSecs(spanMs * i / n)));
                    !r.ok()) {
                    out() << "error: " << r.error() << Qt::endl;
                    return 1;
                }
                if ((i + 1) % 100'000 == 0)
                    out() << "  written " << (i + 1) << " in " << t.elapsed() / 1000 << " s" << Qt::endl;
            }
            if (const Result<void> r = store.commit(); !r.ok()) {
                out() << "error: " << r.error() << Qt::endl;
                return 1;
            }
            const double s = double(t.nsecsElapsed()) / 1e9;
            out() << QStringLiteral("  built: %1 executions in %2 s (%3 /s, one transaction)")
                         .arg(n)
                         .arg(s, 0, 'f', 1)
                         .arg(double(n) / s, 0, 'f', 0)
                  << Qt::endl;
        } else {
            out() << "  reusing the cached database (--rebuild to write it again)" << Qt::endl;
        }
    }
    out() << "  database size: " << sizeOf(path) << Qt::endl;

    // 2. Store queries, on a fresh connection (as the engine thread has).
    const int reps = 50;
    const int page = 100; // the history dock's page size
    const QList<ExecutionStatus> statuses = { ExecutionStatus::Failed, ExecutionStatus::Cancelled,
        ExecutionStatus::Completed, ExecutionStatus::Interrupted };
    {
        ExecutionStore store(path);
        QElapsedTimer openTimer;
        openTimer.start();
        if (const Result<void> r = store.open(); !r.ok()) {
            out() << "error: " << r.error() << Qt::endl;
            return 1;
        }
        const double openMs = double(openTimer.nsecsElapsed()) / 1e6;
        qint64 rows = 0;
        auto run = [&](HistoryQuery q) {
            q.limit = page;
            const Result<HistoryPage> p = store.query(benchScope(), q);
            if (!p.ok())
                out() << "error: " << p.error() << Qt::endl;
            else
                rows = p.value().items.size();
        };
        out() << QStringLiteral("store (ExecutionStore::query, page of %1, newest first); open %2 ms:")
                     .arg(page)
                     .arg(openMs, 0, 'f', 1)
              << Qt::endl;
        print(QStringLiteral("first page, first query (cold)"), measure(1, [&](int) { run({}); }), rows);
        print(QStringLiteral("first page, no filter"), measure(reps, [&](int) { run({}); }), rows,
            QStringLiteral("100 ms"));
        print(QStringLiteral("filter by status"),
            measure(reps,
                [&](int i) {
                    HistoryQuery q;
                    q.statuses = { statuses[i % statuses.size()] };
                    run(q);
                }),
            rows, QStringLiteral("20 ms"));
        print(QStringLiteral("filter by agent"),
            measure(reps,
                [&](int i) {
                    HistoryQuery q;
                    q.agentId = kAgents[i % kAgents.size()];
                    run(q);
                }),
            rows, QStringLiteral("20 ms"));
        print(QStringLiteral("filter by status + agent"),
            measure(reps,
                [&](int i) {
                    HistoryQuery q;
                    q.statuses = { statuses[i % statuses.size()] };
                    q.agentId = kAgents[i % kAgents.size()];
                    run(q);
                }),
            rows, QStringLiteral("20 ms"));
        print(QStringLiteral("FTS search, common words"),
            measure(reps,
                [&](int i) {
                    HistoryQuery q;
                    q.search = words.at(i % 5);
                    run(q);
                }),
            rows, QStringLiteral("50 ms"));
        print(QStringLiteral("FTS search, mid-frequency words"),
            measure(reps,
                [&](int i) {
                    HistoryQuery q;
                    q.search = words.at(200 + i);
                    run(q);
                }),
            rows, QStringLiteral("50 ms"));
        print(QStringLiteral("FTS search, rare words"),
            measure(reps,
                [&](int i) {
                    HistoryQuery q;
                    q.search = words.at(words.size() - 1 - i);
                    run(q);
                }),
            rows, QStringLiteral("50 ms"));
        print(QStringLiteral("FTS search + status failed"),
            measure(reps,
                [&](int i) {
                    HistoryQuery q;
                    q.search = words.at(i % 5);
                    q.statuses = { ExecutionStatus::Failed };
                    run(q);
                }),
            rows);
        print(QStringLiteral("sort by cost, first page"),
            measure(reps,
                [&](int) {
                    HistoryQuery q;
                    q.sort = HistoryQuery::Sort::CostDesc;
                    run(q);
                }),
            rows);
        print(QStringLiteral("sort by latency, first page"),
            measure(reps,
                [&](int) {
                    HistoryQuery q;
                    q.sort = HistoryQuery::Sort::LatencyDesc;
                    run(q);
                }),
            rows);
        {
            // Scrolling: the 50th page, reached through cursors (time of that page only).
            HistoryQuery q;
            q.limit = page;
            for (int p = 0; p < 49; ++p)
                q.cursor = store.query(benchScope(), q).value().nextCursor;
            print(
                QStringLiteral("page 50 via cursor (scrolling)"), measure(reps, [&](int) { run(q); }), rows);
        }
        print(QStringLiteral("time range (last 7 days)"),
            measure(reps,
                [&](int) {
                    HistoryQuery q;
                    q.since = QDateTime::currentDateTimeUtc().addDays(-7);
                    run(q);
                }),
            rows);
        print(QStringLiteral("cost range + latency range"),
            measure(reps,
                [&](int) {
                    HistoryQuery q;
                    q.minCost = 0.0001;
                    q.maxLatencyMs = 1000;
                    run(q);
                }),
            rows);
    }

    // 3. Through LocalBackend (what the history dock sees): engine thread + queued signal.
    {
        EngineSettings settings;
        settings.databasePath = path;
        Workspace ws;
        ws.workspaceId = QStringLiteral("bench"); // the engine reads its own workspace's rows only
        LocalBackend backend(ws, settings);
        qint64 rows = 0;
        auto roundTrip = [&](HistoryQuery q) {
            q.limit = page;
            QEventLoop loop;
            backend.queryHistory(q, &loop, [&](const HistoryPage &p, const Error &e) {
                if (e.code != ErrorCode::None)
                    out() << "error: " << e.message << Qt::endl;
                rows = p.items.size();
                loop.quit();
            });
            loop.exec();
        };
        out() << "LocalBackend::queryHistory round trip (what the dock waits for):" << Qt::endl;
        print(QStringLiteral("first query (the reader opens the store)"),
            measure(1, [&](int) { roundTrip({}); }), rows);
        print(QStringLiteral("first page, no filter"), measure(reps, [&](int) { roundTrip({}); }), rows,
            QStringLiteral("100 ms"));
        print(QStringLiteral("filter by status"),
            measure(reps,
                [&](int i) {
                    HistoryQuery q;
                    q.statuses = { statuses[i % statuses.size()] };
                    roundTrip(q);
                }),
            rows, QStringLiteral("20 ms"));
        print(QStringLiteral("filter by agent"),
            measure(reps,
                [&](int i) {
                    HistoryQuery q;
                    q.agentId = kAgents[i % kAgents.size()];
                    roundTrip(q);
                }),
            rows, QStringLiteral("20 ms"));
        print(QStringLiteral("FTS search, mixed words"),
            measure(reps,
                [&](int i) {
                    HistoryQuery q;
                    q.search = words.at((i * 97) % words.size());
                    roundTrip(q);
                }),
            rows, QStringLiteral("50 ms"));
    }
    out() << "database size at the end: " << sizeOf(path) << Qt::endl;
    return 0;
}
