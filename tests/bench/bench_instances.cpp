// Throughput of one vs two real agentstudio-server instances on one PostgreSQL database
// (docs/team-server.md): --runs scripted runs with --concurrency in flight at any time, each
// started by POST on an instance (round robin over the instances) and followed to `complete`
// on a WebSocket of that instance. Prints executions/s for one and for two instances and the
// ratio. Usage: bench_instances [--runs 640] [--concurrency 64] [--tokens 200] [--engine-slots 8]
#include "tests/cluster/ClusterFixture.h"

#include <QCoreApplication>

#include <cstdio>
#include <memory>

using namespace clusterfixture;

namespace {

// Keeps `concurrency` runs in flight until `runs` completed; returns executions/s.
double drive(QNetworkAccessManager &nam, const QList<ServerProcess *> &servers, int runs, int concurrency)
{
    int startedCount = 0, done = 0, failed = 0;
    QList<std::shared_ptr<WsRecorder>> open;
    QElapsedTimer clock;
    clock.start();
    std::function<void()> startOne = [&] {
        ServerProcess *server = servers[startedCount % servers.size()];
        ++startedCount;
        const QString id = startAgent(nam, *server, QStringLiteral("long"));
        if (id.isEmpty()) {
            ++failed;
            ++done;
            return;
        }
        auto ws = std::make_shared<WsRecorder>();
        WsRecorder *raw = ws.get();
        ws->onMessage = [&, raw](const QJsonObject &m) {
            if (m.value(QLatin1String("type")).toString() != QLatin1String("complete"))
                return;
            ++done;
            raw->socket.close();
        };
        ws->open(server->wsUrl(QStringLiteral("/ws/execution/") + id), kAlphaToken);
        open.append(ws);
    };
    while (done < runs && clock.elapsed() < 600000) {
        while (startedCount < runs && startedCount - done < concurrency)
            startOne();
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 20);
    }
    if (failed)
        std::fprintf(stderr, "%d run(s) failed to start\n", failed);
    return done / (clock.nsecsElapsed() / 1e9);
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    int runs = 640, concurrency = 64, tokens = 200, engineSlots = 8;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--runs"))
            runs = args[i + 1].toInt();
        else if (args[i] == QLatin1String("--concurrency"))
            concurrency = args[i + 1].toInt();
        else if (args[i] == QLatin1String("--tokens"))
            tokens = args[i + 1].toInt();
        else if (args[i] == QLatin1String("--engine-slots"))
            engineSlots = args[i + 1].toInt(); // the servers' --concurrency
    }
    PgCluster pg;
    const Result<void> started = pg.start({ QStringLiteral("max_connections=300") });
    if (!started) {
        std::fprintf(stderr, "PostgreSQL: %s\n", qPrintable(started.error()));
        return 1;
    }
    QNetworkAccessManager nam;
    // The default heartbeat and lease (the fixture's 100 ms heartbeat is for tests of the lease).
    const QStringList extra { QStringLiteral("--concurrency"), QString::number(engineSlots),
        QStringLiteral("--heartbeat"), QStringLiteral("1000"), QStringLiteral("--lease"),
        QStringLiteral("5000") };
    std::printf(
        "%d scripted runs (%d chunks each, unpaced), %d in flight, --concurrency %d per instance, one "
        "PostgreSQL 15 database\n",
        runs, tokens, concurrency, engineSlots);
    double rates[2] = {};
    for (int instances = 1; instances <= 2; ++instances) {
        const Result<QString> db = pg.createDatabase(QStringLiteral("inst"));
        QTemporaryDir dirs[2];
        ServerProcess servers[2];
        QList<ServerProcess *> list;
        for (int i = 0; i < instances; ++i) {
            QString error;
            if (!startInstance(servers[i], dirs[i].path(), pg.uri(db.value()), QStringLiteral("i%1").arg(i),
                    &error, extra, tokens, 0)) {
                std::fprintf(stderr, "%s\n", qPrintable(error));
                return 1;
            }
            list.append(&servers[i]);
        }
        rates[instances - 1] = drive(nam, list, runs, concurrency);
        std::printf("%d instance(s): %.1f executions/s\n", instances, rates[instances - 1]);
        for (ServerProcess *s : list)
            s->terminate();
    }
    std::printf("two instances / one: %.2fx\n", rates[1] / rates[0]);
    return 0;
}
