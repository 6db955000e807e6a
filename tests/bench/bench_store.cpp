// Execution store benchmark: how fast executions are written, and how fast the history
// queries of the app and the runner answer on a large database.
//
//   bench_store [N] [--dir DIR] [--keep]
//
// N (default 100000) is the number of executions in the query database. Prints plain figures;
// never fails on speed.

#include "core/common/Util.h"
#include "core/store/ExecutionStore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTextStream>

#include <algorithm>
#include <cstdio>

namespace {

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

// A deterministic vocabulary of made-up words; picks are skewed so a few words are common and
// most are rare, as in real text.
class Words
{
public:
    explicit Words(int size)
    {
        static const char *syllables[] = { "ka", "lo", "mi", "ner", "tu", "sa", "vo", "rin", "ble", "dax",
            "po", "qua", "zen", "fi", "gor", "hal", "jub", "wex", "ty", "um" };
        QRandomGenerator rng(7);
        while (m_words.size() < size) {
            QString w;
            const int n = 2 + int(rng.bounded(3));
            for (int i = 0; i < n; ++i)
                w += QLatin1String(syllables[rng.bounded(20)]);
            if (!m_words.contains(w))
                m_words.append(w);
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

ExecutionStatus pickStatus(QRandomGenerator &rng)
{
    const int r = int(rng.bounded(100));
    if (r < 80)
        return ExecutionStatus::Completed;
    if (r < 92)
        return ExecutionStatus::Failed;
    if (r < 97)
        return ExecutionStatus::Cancelled;
    return ExecutionStatus::Interrupted;
}

// The step's own state at the end of a run that ended in `s` (an interrupted run's step failed).
StepStatus stepStatusOf(ExecutionStatus s)
{
    return fromWireOr<StepStatus>(toWire(s), StepStatus::Failed);
}

// Rows are written to workspace "bench" and read back scoped to it, as an engine reads.
StoreScope benchScope()
{
    return StoreScope::workspace(QStringLiteral("local"), QStringLiteral("bench"));
}

ExecutionRecord makeRecord(QRandomGenerator &rng, const Words &words, const QDateTime &queuedAt)
{
    ExecutionRecord e;
    e.id = as::newId();
    e.workspaceId = QStringLiteral("bench");
    e.agentId = kAgents.at(int(rng.bounded(int(kAgents.size()))));
    const bool workflow = rng.bounded(10) == 0;
    e.executionType = workflow ? ExecutionType::Orchestration : ExecutionType::Agent;
    if (workflow) {
        e.orchestrationId = QStringLiteral("brief");
        e.testMode = TestMode::FullWorkflow;
    } else {
        e.testMode = TestMode::SingleAgent;
    }
    e.version = QStringLiteral("1.0.0");
    e.triggeredBy = QStringLiteral("bench");
    e.triggerType = rng.bounded(4) == 0 ? TriggerType::Cli : TriggerType::TestPanel;
    e.inputData = QJsonObject { { QStringLiteral("text"), words.sentence(rng, 20 + int(rng.bounded(60))) },
        { QStringLiteral("max_words"), 30 + int(rng.bounded(100)) } };
    e.status = pickStatus(rng);
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
    e.provider = QStringLiteral("offline");
    e.model = QStringLiteral("scripted");
    e.ttftMs = 100 + int(rng.bounded(300));
    e.tokensEstimated = true;
    return e;
}

StepRecord makeStep(const ExecutionRecord &e)
{
    StepRecord s;
    s.id = as::newId();
    s.executionId = e.id;
    s.agentId = e.agentId;
    s.stepNumber = 1;
    s.kind = StepKind::Llm;
    s.name = e.model;
    s.spanId = as::newSpanId();
    s.inputData = QJsonObject { { QStringLiteral("model"), e.model } };
    s.outputData = QJsonObject { { QStringLiteral("text"),
        e.outputData.value(QStringLiteral("summary")).toString() } };
    s.status = stepStatusOf(e.status);
    s.startedAt = e.startedAt;
    s.completedAt = e.completedAt;
    s.executionTimeMs = e.executionTimeMs;
    s.inputTokens = e.inputTokens;
    s.outputTokens = e.outputTokens;
    s.tokensUsed = e.inputTokens + e.outputTokens;
    s.costUsd = e.costUsd;
    s.provider = e.provider;
    s.model = e.model;
    s.ttftMs = e.ttftMs;
    return s;
}

bool check(const Result<void> &r)
{
    if (!r) {
        out() << "error: " << r.error() << Qt::endl;
        return false;
    }
    return true;
}

QString fileSize(const QString &path)
{
    const qint64 bytes = QFileInfo(path).size() + QFileInfo(path + QStringLiteral("-wal")).size();
    return QStringLiteral("%1 MB").arg(double(bytes) / (1024.0 * 1024.0), 0, 'f', 1);
}

struct Timing
{
    double p50 = 0, p95 = 0, max = 0;
};

template <typename F> Timing measure(int repetitions, F &&f)
{
    QList<double> ms;
    for (int i = 0; i < repetitions; ++i) {
        QElapsedTimer t;
        t.start();
        f(i);
        ms.append(double(t.nsecsElapsed()) / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    return { ms.at(ms.size() / 2), ms.at(qMin(ms.size() - 1, qsizetype(ms.size() * 0.95))), ms.last() };
}

// Takes the row count by reference: it is read after the measurement has run.
void printTiming(const QString &what, const Timing &t, const qint64 &rows)
{
    out() << QStringLiteral("  %1 p50 %2 ms   p95 %3 ms   max %4 ms   (%5 rows)")
                 .arg(what, -44)
                 .arg(t.p50, 7, 'f', 2)
                 .arg(t.p95, 7, 'f', 2)
                 .arg(t.max, 7, 'f', 2)
                 .arg(rows)
          << Qt::endl;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    qint64 n = 100000;
    QString dir;
    bool keep = false;
    const QStringList args = app.arguments().mid(1);
    for (qsizetype i = 0; i < args.size(); ++i) {
        if (args.at(i) == QStringLiteral("--dir") && i + 1 < args.size())
            dir = args.at(++i);
        else if (args.at(i) == QStringLiteral("--keep"))
            keep = true;
        else if (args.at(i).toLongLong() > 0)
            n = args.at(i).toLongLong();
        else {
            out() << "usage: bench_store [N] [--dir DIR] [--keep]" << Qt::endl;
            return 2;
        }
    }
    QTemporaryDir tmp(dir.isEmpty() ? QDir::tempPath() + QStringLiteral("/bench_store-XXXXXX")
                                    : dir + QStringLiteral("/bench_store-XXXXXX"));
    tmp.setAutoRemove(!keep);
    const Words words(5000);
    QRandomGenerator rng(42);
    const QDateTime start = QDateTime::currentDateTimeUtc().addDays(-90);

    out() << "Execution store benchmark (SQLite WAL, synchronous=NORMAL), N = " << n << Qt::endl;

    // 1. Write speed.
    {
        const QString path = tmp.filePath(QStringLiteral("writes.db"));
        ExecutionStore store(path);
        if (!check(store.open()))
            return 1;
        const int single = 2000;
        QElapsedTimer t;
        t.start();
        for (int i = 0; i < single; ++i)
            if (!check(store.insertExecution(makeRecord(rng, words, start.addMSecs(i)))))
                return 1;
        const double singleRate = single / (double(t.nsecsElapsed()) / 1e9);

        const int batched = 50000, batch = 500;
        t.restart();
        for (int i = 0; i < batched; i += batch) {
            if (!check(store.begin()))
                return 1;
            for (int j = 0; j < batch; ++j)
                if (!check(store.insertExecution(makeRecord(rng, words, start.addSecs(10 + i + j)))))
                    return 1;
            if (!check(store.commit()))
                return 1;
        }
        const double batchedRate = batched / (double(t.nsecsElapsed()) / 1e9);

        // What the engine does per run, each write its own transaction: insert queued, update
        // running, insert step, update step, update completed.
        const int runs = 1000;
        t.restart();
        for (int i = 0; i < runs; ++i) {
            ExecutionRecord e = makeRecord(rng, words, start.addSecs(100000 + i));
            const ExecutionStatus finalStatus = e.status;
            e.status = ExecutionStatus::Queued;
            StepRecord s = makeStep(e);
            s.status = StepStatus::Running;
            if (!check(store.insertExecution(e)))
                return 1;
            e.status = ExecutionStatus::Running;
            if (!check(store.updateExecution(e)) || !check(store.insertStep(s)))
                return 1;
            s.status = stepStatusOf(finalStatus);
            e.status = finalStatus;
            if (!check(store.updateStep(s)) || !check(store.updateExecution(e)))
                return 1;
        }
        const double runRate = runs / (double(t.nsecsElapsed()) / 1e9);
        out() << "writes:" << Qt::endl;
        out() << QStringLiteral("  single inserts (autocommit each)            %1 executions/s")
                     .arg(singleRate, 10, 'f', 0)
              << Qt::endl;
        out() << QStringLiteral("  batched inserts (500 per transaction)       %1 executions/s")
                     .arg(batchedRate, 10, 'f', 0)
              << Qt::endl;
        out() << QStringLiteral("  full run lifecycle (5 writes, autocommit)   %1 runs/s")
                     .arg(runRate, 10, 'f', 0)
              << Qt::endl;
    }

    // 2. Build the query database.
    const QString path = tmp.filePath(QStringLiteral("history.db"));
    ExecutionStore store(path);
    if (!check(store.open()))
        return 1;
    QElapsedTimer build;
    build.start();
    const qint64 spanMs = 90LL * 24 * 3600 * 1000;
    for (qint64 i = 0; i < n; i += 5000) {
        if (!check(store.begin()))
            return 1;
        for (qint64 j = i; j < qMin(n, i + 5000); ++j) {
            const ExecutionRecord e = makeRecord(rng, words, start.addMSecs(spanMs * j / n));
            if (!check(store.insertExecution(e)) || !check(store.insertStep(makeStep(e))))
                return 1;
        }
        if (!check(store.commit()))
            return 1;
    }
    const double buildSeconds = double(build.nsecsElapsed()) / 1e9;
    out() << QStringLiteral("database: %1 executions + %1 steps written in %2 s (%3 executions/s), size %4")
                 .arg(n)
                 .arg(buildSeconds, 0, 'f', 1)
                 .arg(n / buildSeconds, 0, 'f', 0)
                 .arg(fileSize(path))
          << Qt::endl;
    store.close();
    if (!check(store.open())) // fresh connection: PRAGMA optimize ran, caches cold-ish
        return 1;

    // 3. History queries, each repeated with varying parameters.
    const int reps = 60;
    const QList<ExecutionStatus> statuses
        = { ExecutionStatus::Failed, ExecutionStatus::Cancelled, ExecutionStatus::Completed };
    qint64 rows = 0;
    auto run = [&](const HistoryQuery &q) {
        const Result<HistoryPage> page = store.query(benchScope(), q);
        if (!page)
            out() << "error: " << page.error() << Qt::endl;
        else
            rows = page->items.size();
    };
    out() << "history queries (first page of 50, newest first):" << Qt::endl;
    printTiming(QStringLiteral("first page, no filter"), measure(reps, [&](int) { run({}); }), rows);
    printTiming(QStringLiteral("filter by status"),
        measure(reps,
            [&](int i) {
                HistoryQuery q;
                q.statuses = { statuses.at(i % statuses.size()) };
                run(q);
            }),
        rows);
    printTiming(QStringLiteral("filter by agent"),
        measure(reps,
            [&](int i) {
                HistoryQuery q;
                q.agentId = kAgents.at(i % kAgents.size());
                run(q);
            }),
        rows);
    printTiming(QStringLiteral("filter by status + agent"),
        measure(reps,
            [&](int i) {
                HistoryQuery q;
                q.statuses = { statuses.at(i % statuses.size()) };
                q.agentId = kAgents.at(i % kAgents.size());
                run(q);
            }),
        rows);
    printTiming(QStringLiteral("FTS search, common word"),
        measure(reps,
            [&](int i) {
                HistoryQuery q;
                q.search = words.at(i % 5);
                run(q);
            }),
        rows);
    printTiming(QStringLiteral("FTS search, mid-frequency word"),
        measure(reps,
            [&](int i) {
                HistoryQuery q;
                q.search = words.at(200 + i);
                run(q);
            }),
        rows);
    printTiming(QStringLiteral("FTS search, rare word"),
        measure(reps,
            [&](int i) {
                HistoryQuery q;
                q.search = words.at(words.size() - 1 - i);
                run(q);
            }),
        rows);
    printTiming(QStringLiteral("FTS search + status failed"),
        measure(reps,
            [&](int i) {
                HistoryQuery q;
                q.search = words.at(i % 5);
                q.statuses = { ExecutionStatus::Failed };
                run(q);
            }),
        rows);
    // Scrolling: page 20 reached through cursors (time of the 20th page only).
    {
        HistoryQuery q;
        for (int p = 0; p < 19; ++p)
            q.cursor = store.query(benchScope(), q)->nextCursor;
        printTiming(QStringLiteral("page 20 via cursor"), measure(reps, [&](int) { run(q); }), rows);
    }
    printTiming(QStringLiteral("count by status"),
        measure(20,
            [&](int i) {
                HistoryQuery q;
                q.statuses = { statuses.at(i % statuses.size()) };
                rows = store.count(benchScope(), q).value();
            }),
        rows);
    printTiming(QStringLiteral("open one execution with steps"),
        measure(reps,
            [&](int) {
                const QString id = store.query(benchScope(), {})->items.first().id;
                rows = store.execution(benchScope(), id).ok() ? 1 : 0;
            }),
        rows);
    store.close();
    out() << "database size after close: " << fileSize(path) << Qt::endl;
    if (keep)
        out() << "kept: " << tmp.path() << Qt::endl;
    return 0;
}
