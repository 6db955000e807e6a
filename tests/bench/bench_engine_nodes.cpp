// Engine overhead per node on generated 1,000-node orchestrations (a chain and a wide fan-out)
// with a zero-latency scripted provider (ttft_ms 0, tokens_per_second 0). Goal:
// < 0.2 ms per node.
//
//   bench_engine_nodes [nodes=1000] [repeats=3] [no-db|with-db]
//
// Each figure is the wall time from start() to the complete event seen on the main thread,
// divided by the node count; the best of `repeats` runs, without and with a database.

#include "core/common/Util.h"
#include "core/engine/LocalBackend.h"
#include "tests/support/GeneratedWorkspace.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTemporaryDir>

#include <cstdio>
#include <ctime>

namespace {

struct Run
{
    qint64 ms = 0;
    double cpuMs = 0; // CPU time of the whole process (both threads) during the run
    ExecutionStatus status = ExecutionStatus::Queued;
    qint64 events = 0;
};

Run runOnce(LocalBackend &backend, const QString &orchestration)
{
    Run run;
    const QString id = as::newId();
    QEventLoop loop;
    const auto c = QObject::connect(
        &backend, &ExecutionBackend::eventsReceived, &loop, [&](const ExecutionEventList &events) {
            for (const ExecutionEvent &e : events) {
                if (e.executionId != id)
                    continue;
                ++run.events;
                if (e.isTerminal()) {
                    run.status = e.status;
                    loop.quit();
                }
            }
        });
    ExecutionRequest r;
    r.orchestrationId = orchestration;
    r.inputs = QJsonObject { { QStringLiteral("topic"), QStringLiteral("overhead per node") } };
    r.executionId = id;
    QElapsedTimer clock;
    clock.start();
    const std::clock_t cpu0 = std::clock();
    backend.start(r, nullptr, {}); // the events say how it goes
    loop.exec();
    run.ms = clock.elapsed();
    run.cpuMs = double(std::clock() - cpu0) * 1000.0 / CLOCKS_PER_SEC;
    QObject::disconnect(c);
    return run;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int nodes = args.size() > 1 ? args.at(1).toInt() : 1000;
    const int repeats = args.size() > 2 ? args.at(2).toInt() : 3;
    const QString only = args.size() > 3 ? args.at(3) : QString();

    const QJsonArray agents { gen::agent(QStringLiteral("relay"), { QStringLiteral("in") }) };
    QStringList problems;
    Result<Workspace> ws = Workspace::fromJson(gen::workspace(agents,
                                                   QJsonArray { gen::chain(QStringLiteral("chain"), nodes),
                                                       gen::fanOut(QStringLiteral("wide"), nodes, false) }),
        &problems);
    if (!ws.ok()) {
        std::fprintf(stderr, "workspace: %s\n", qPrintable(ws.error()));
        return 1;
    }
    std::printf(
        "bench_engine_nodes: %d-node chain and %d-node fan-out, zero-latency scripted provider, best of %d\n",
        nodes, nodes, repeats);
    {
        // Part of every run's fixed cost: the orchestration is validated before it starts.
        QElapsedTimer v;
        v.start();
        const QList<ValidationProblem> found = ws->validate();
        std::printf("validate(): %lld ms for the whole workspace (%lld problems)\n",
            static_cast<long long>(v.elapsed()), static_cast<long long>(found.size()));
    }
    QTemporaryDir dir;
    for (const bool withDb : { false, true }) {
        if ((withDb && only == QLatin1String("no-db")) || (!withDb && only == QLatin1String("with-db")))
            continue;
        EngineSettings settings;
        settings.databasePath = withDb ? dir.filePath(QStringLiteral("bench.db")) : QString();
        LocalBackend backend(ws.value(), settings);
        for (const QString &o : { QStringLiteral("chain"), QStringLiteral("wide") }) {
            Run best;
            best.ms = -1;
            for (int i = 0; i < repeats; ++i) {
                const Run r = runOnce(backend, o);
                if (r.status != ExecutionStatus::Completed) {
                    std::fprintf(stderr, "%s ended %s\n", qPrintable(o), qPrintable(toWire(r.status)));
                    return 1;
                }
                if (best.ms < 0 || r.ms < best.ms)
                    best = r;
            }
            std::printf(
                "%-8s %-6s %lld ms total, %.3f ms per node (wall), %.3f ms CPU per node, %lld events\n",
                withDb ? "with-db" : "no-db", qPrintable(o), static_cast<long long>(best.ms),
                double(best.ms) / nodes, best.cpuMs / nodes, static_cast<long long>(best.events));
            std::fflush(stdout);
        }
    }
    return 0;
}
