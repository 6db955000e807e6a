// Events per second from the scripted provider at unlimited pace, through the engine thread, to
// a consumer on the main thread (goal: >= 500,000 events/s).
//
//   bench_engine_events [executions=20] [reply_tokens=50000] [concurrency=20]
//
// Runs once without a database and once with one (a temporary SQLite file), and prints
// events/s, batches and the mean batch size for each.

#include "core/common/Util.h"
#include "core/engine/LocalBackend.h"
#include "tests/support/GeneratedWorkspace.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QSet>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <ctime>

namespace {

struct Figures
{
    qint64 events = 0, chunks = 0, batches = 0, ms = 0;
    double cpuMs = 0; // CPU time of the whole process (both threads)
    int completed = 0;
};

Figures runOnce(const Workspace &ws, const QString &dbPath, int executions, int concurrency)
{
    EngineSettings settings;
    settings.databasePath = dbPath;
    settings.concurrency = concurrency;
    LocalBackend backend(ws, settings);

    Figures f;
    QSet<QString> ids;
    QEventLoop loop;
    QObject::connect(
        &backend, &ExecutionBackend::eventsReceived, &loop, [&](const ExecutionEventList &events) {
            ++f.batches;
            f.events += events.size();
            for (const ExecutionEvent &e : events) {
                if (e.type == ExecutionEvent::Type::Chunk)
                    ++f.chunks;
                else if (e.isTerminal()) {
                    if (e.status == ExecutionStatus::Completed)
                        ++f.completed;
                    ids.remove(e.executionId);
                }
            }
            if (ids.isEmpty())
                loop.quit();
        });
    QElapsedTimer clock;
    clock.start();
    const std::clock_t cpu0 = std::clock();
    for (int i = 0; i < executions; ++i) {
        ExecutionRequest r;
        r.agentId = QStringLiteral("streamer");
        r.inputs = QJsonObject { { QStringLiteral("in"), QStringLiteral("benchmark run %1").arg(i) } };
        r.executionId = as::newId();
        ids.insert(r.executionId);
        backend.start(r, nullptr, {}); // the events say how it goes
    }
    loop.exec();
    f.ms = qMax<qint64>(1, clock.elapsed());
    f.cpuMs = double(std::clock() - cpu0) * 1000.0 / CLOCKS_PER_SEC;
    return f;
}

void print(const char *label, const Figures &f, int executions)
{
    std::printf(
        "%-10s %d/%d completed, %lld events (%lld chunks) in %lld ms: %.0f events/s (wall), %.0f ms CPU, "
        "%lld batches, %.0f events/batch\n",
        label, f.completed, executions, static_cast<long long>(f.events), static_cast<long long>(f.chunks),
        static_cast<long long>(f.ms), double(f.events) * 1000.0 / double(f.ms), f.cpuMs,
        static_cast<long long>(f.batches), double(f.events) / double(qMax<qint64>(1, f.batches)));
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int executions = args.size() > 1 ? args.at(1).toInt() : 20;
    const int replyTokens = args.size() > 2 ? args.at(2).toInt() : 50000;
    const int concurrency = args.size() > 3 ? args.at(3).toInt() : 20;

    const QJsonArray agents { gen::agent(QStringLiteral("streamer"), { QStringLiteral("in") },
        QJsonObject { { QStringLiteral("reply_tokens"), replyTokens } }) };
    QStringList problems;
    Result<Workspace> ws = Workspace::fromJson(gen::workspace(agents, QJsonArray {}), &problems);
    if (!ws.ok()) {
        std::fprintf(stderr, "workspace: %s\n", qPrintable(ws.error()));
        return 1;
    }
    std::printf("bench_engine_events: %d executions x %d-token replies, concurrency %d, scripted provider at "
                "unlimited pace\n",
        executions, replyTokens, concurrency);
    print("no-db", runOnce(ws.value(), QString(), executions, concurrency), executions);
    QTemporaryDir dir;
    print("with-db", runOnce(ws.value(), dir.filePath(QStringLiteral("bench.db")), executions, concurrency),
        executions);
    return 0;
}
