// The evaluation overhead per case (goal: < 0.5 ms/case): an eval run of N cases with three cheap
// assertions (contains, status, max_latency_ms) through EvalRunner over a LocalBackend, minus the
// engine-only time of the same N runs (started with the same number in flight, each awaited to
// its `complete`); the faster of two runs of each side, databases in /dev/shm when possible. The scripted
// provider runs at unlimited pace (no ttft, no token pacing).
//
//   bench_eval_overhead [cases=10000] [concurrency=8]
//
// The overhead holds what an eval run does beyond running: following each execution through
// subscribe, fetching its record with steps, evaluating, building and publishing its result.

#include "core/engine/LocalBackend.h"
#include "core/eval/EvalRunner.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>

#include <cstdio>

namespace {

const char *kWorkspace = "{\"format\": \"agentstudio/1\", \"workspace_id\": \"bench\","
                         " \"providers\": {\"offline\": {\"kind\": \"scripted\"}},"
                         " \"agents\": [{\"id\": \"quick\", \"model\": {\"provider\": \"offline\","
                         "   \"name\": \"scripted\", \"ttft_ms\": 0, \"tokens_per_second\": 0,"
                         "   \"replies\": [\"a short fixed reply\"]},"
                         "  \"instructions\": \"Reply.\","
                         "  \"signature\": {\"inputs\": [{\"name\": \"topic\", \"type\": \"str\"}],"
                         "                \"outputs\": [{\"name\": \"text\", \"type\": \"str\"}]}}]}";

ExecutionRequest request(int i)
{
    ExecutionRequest r;
    r.agentId = QStringLiteral("quick");
    r.inputs = QJsonObject { { QStringLiteral("topic"), QStringLiteral("case %1").arg(i) } };
    r.executionType = ExecutionType::Test;
    r.triggerType = TriggerType::Cli;
    return r;
}

// The same runs, `concurrency` in flight, each awaited to its `complete`.
qint64 engineOnly(const Workspace &ws, const QString &db, int cases, int concurrency)
{
    EngineSettings s;
    s.databasePath = db;
    s.concurrency = concurrency;
    LocalBackend backend(ws, s);
    QEventLoop loop;
    int started = 0, completed = 0;
    QObject context;
    std::function<void()> startNext = [&] {
        const int i = started++;
        backend.start(request(i), &context, [](const QString &, const Error &) {});
    };
    QObject::connect(
        &backend, &ExecutionBackend::eventsReceived, &context, [&](const ExecutionEventList &events) {
            for (const ExecutionEvent &e : events) {
                if (e.type != ExecutionEvent::Type::Complete)
                    continue;
                if (++completed == cases)
                    loop.quit();
                else if (started < cases)
                    startNext();
            }
        });
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < qMin(concurrency, cases); ++i)
        startNext();
    loop.exec();
    return clock.elapsed();
}

qint64 evalRun(const Workspace &ws, const QString &db, int cases, int concurrency, EvalRunRecord *out)
{
    QJsonArray list;
    const QJsonArray asserts { QJsonObject { { QStringLiteral("type"), QStringLiteral("contains") },
                                   { QStringLiteral("value"), QStringLiteral("fixed") } },
        QJsonObject { { QStringLiteral("type"), QStringLiteral("status") },
            { QStringLiteral("value"), QStringLiteral("completed") } },
        QJsonObject { { QStringLiteral("type"), QStringLiteral("max_latency_ms") },
            { QStringLiteral("value"), 60000 } } };
    for (int i = 0; i < cases; ++i)
        list.append(QJsonObject { { QStringLiteral("id"), QStringLiteral("c%1").arg(i) },
            { QStringLiteral("inputs"),
                QJsonObject { { QStringLiteral("topic"), QStringLiteral("case %1").arg(i) } } },
            { QStringLiteral("assert"), asserts } });
    const QJsonObject ds { { QStringLiteral("format"), QStringLiteral("agentstudio-eval/1") },
        { QStringLiteral("target"), QJsonObject { { QStringLiteral("agent"), QStringLiteral("quick") } } },
        { QStringLiteral("cases"), list } };
    Result<Dataset> d = Dataset::fromJson(QJsonDocument(ds).toJson(), QStringLiteral("bench.eval.json"), ws);
    if (!d.ok()) {
        std::fprintf(stderr, "dataset: %s\n", qPrintable(d.error()));
        return -1;
    }
    EngineSettings s;
    s.databasePath = db;
    s.concurrency = concurrency;
    LocalBackend backend(ws, s);
    EvalRunner runner(&backend, nullptr);
    QEventLoop loop;
    QObject::connect(&runner, &EvalRunner::finished, &loop, [&](const EvalRunRecord &r) {
        *out = r;
        loop.quit();
    });
    EvalOptions o;
    o.concurrency = concurrency;
    QElapsedTimer clock;
    clock.start();
    runner.start(d.value(), o);
    loop.exec();
    return clock.elapsed();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int cases = argc > 1 ? QString::fromLocal8Bit(argv[1]).toInt() : 10000;
    const int concurrency = argc > 2 ? QString::fromLocal8Bit(argv[2]).toInt() : 8;
    Result<Workspace> ws = Workspace::fromJson(kWorkspace);
    if (!ws.ok()) {
        std::fprintf(stderr, "workspace: %s\n", qPrintable(ws.error()));
        return 1;
    }
    // The databases live in memory-backed /dev/shm when there is one, so disk flushes (shared
    // with whatever else the machine does) do not drown the figure; each side runs twice, in
    // alternating order, and the faster of its two runs counts.
    QTemporaryDir dir(QFileInfo(QStringLiteral("/dev/shm")).isWritable()
            ? QStringLiteral("/dev/shm/bench_eval_XXXXXX")
            : QString());
    std::printf("bench_eval_overhead: %d cases, concurrency %d, scripted provider at unlimited pace, "
                "3 assertions per case, databases in %s\n",
        cases, concurrency, qPrintable(dir.path()));
    qint64 engineMs = -1, evalMs = -1;
    EvalRunRecord run;
    for (int round = 0; round < 2; ++round) {
        const QString tag = QString::number(round);
        auto engine = [&] {
            const qint64 ms
                = engineOnly(ws.value(), dir.filePath(tag + QStringLiteral("engine.db")), cases, concurrency);
            engineMs = engineMs < 0 ? ms : qMin(engineMs, ms);
        };
        auto eval = [&] {
            const qint64 ms = evalRun(
                ws.value(), dir.filePath(tag + QStringLiteral("eval.db")), cases, concurrency, &run);
            evalMs = evalMs < 0 ? ms : qMin(evalMs, ms);
        };
        if (round == 0) {
            engine();
            eval();
        } else {
            eval();
            engine();
        }
        if (run.passed != cases)
            break;
    }
    std::printf("  engine only:  %lld ms (%.3f ms/run)\n", qint64(engineMs), double(engineMs) / cases);
    std::printf("  eval run:     %lld ms (%d passed, %d failed, %d errors)\n", qint64(evalMs), run.passed,
        run.failed, run.errored);
    std::printf("  overhead:     %.3f ms/case (goal < 0.5)\n", double(evalMs - engineMs) / cases);
    return run.passed == cases ? 0 : 1;
}
