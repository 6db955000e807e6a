// The event relay between two real agentstudio-server instances on one PostgreSQL database
// (docs/team-server.md, "Relay"). One run on A; a WebSocket client on A and one on B follow it.
//   1. latency: a paced scripted run (--tps chunks/s); per chunk, the arrival on B minus the
//      arrival on A (what the relay adds on top of A's own stream), p50 / p99 / max;
//   2. throughput: a run emitting --flood chunks as fast as the engine can; chunks/s seen by
//      the client on B (first to last chunk) beside the client on A.
// Usage: bench_relay [--tps 200] [--paced 2000] [--flood 60000]
#include "tests/cluster/ClusterFixture.h"

#include <QCoreApplication>

#include <tuple>

#include <algorithm>
#include <cstdio>

using namespace clusterfixture;

namespace {

struct Arrivals
{
    QHash<qint64, qint64> atNs; // seq -> arrival (steady clock)
    qint64 firstChunkNs = 0, lastChunkNs = 0, lastSeq = 0;
    int chunks = 0;
    bool complete = false;
};

void watch(WsRecorder &ws, Arrivals &a, QElapsedTimer &clock)
{
    ws.onMessage = [&a, &clock](const QJsonObject &m) {
        const qint64 now = clock.nsecsElapsed();
        const QString type = m.value(QLatin1String("type")).toString();
        const qint64 seq = m.value(QLatin1String("seq")).toInteger();
        if (seq <= a.lastSeq)
            return; // a resume may repeat nothing, but be sure
        a.lastSeq = seq;
        a.atNs.insert(seq, now);
        if (type == QLatin1String("chunk")) {
            if (!a.chunks++)
                a.firstChunkNs = now;
            a.lastChunkNs = now;
        } else if (type == QLatin1String("complete"))
            a.complete = true;
    };
}

bool runAndFollow(QNetworkAccessManager &nam, ServerProcess &a, ServerProcess &b, const QString &agent,
    Arrivals &onA, Arrivals &onB)
{
    QElapsedTimer clock;
    clock.start();
    const QString id = startAgent(nam, a, agent);
    if (id.isEmpty())
        return false;
    WsRecorder wa, wb;
    watch(wa, onA, clock);
    watch(wb, onB, clock);
    wa.open(a.wsUrl(QStringLiteral("/ws/execution/") + id), kAlphaToken);
    wb.open(b.wsUrl(QStringLiteral("/ws/execution/") + id), kAlphaToken);
    QElapsedTimer t;
    t.start();
    // A client that falls too far behind is cut with 4001 and resumes with after_seq, as the
    // app does (docs/wire-protocol.md): this one client reads two streams on one thread.
    const auto resume = [id](WsRecorder &ws, const Arrivals &seen, const ServerProcess &server) {
        if (!ws.closed || ws.closeCode != 4001)
            return;
        ws.closed = false;
        ws.open(server.wsUrl(QStringLiteral("/ws/execution/%1?after_seq=%2").arg(id).arg(seen.lastSeq)),
            kAlphaToken);
    };
    while (!(onA.complete && onB.complete) && t.elapsed() < 300000) {
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
        resume(wa, onA, a);
        resume(wb, onB, b);
        if ((wa.closed || onA.complete) && (wb.closed || onB.complete))
            break;
    }
    if (!(onA.complete && onB.complete)) {
        // Say what each client saw, so a failure names its instance and its close.
        for (const auto &[name, ws, seen] : { std::tuple { "A", &wa, &onA }, std::tuple { "B", &wb, &onB } })
            std::fprintf(stderr, "client on %s: %d chunks, complete %s, closed %s (code %d: %s)\n", name,
                seen->chunks, seen->complete ? "yes" : "no", ws->closed ? "yes" : "no", ws->closeCode,
                qPrintable(ws->closeReason));
    }
    return onA.complete && onB.complete;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    int tps = 200, paced = 2000, flood = 60000;
    QStringList extra; // e.g. --heartbeat 1000 (the instances' heartbeat and listener check)
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--tps"))
            tps = args[i + 1].toInt();
        else if (args[i] == QLatin1String("--paced"))
            paced = args[i + 1].toInt();
        else if (args[i] == QLatin1String("--flood"))
            flood = args[i + 1].toInt();
        else if (args[i] == QLatin1String("--heartbeat"))
            extra = QStringList { QStringLiteral("--heartbeat"), args[i + 1], QStringLiteral("--lease"),
                QString::number(5 * args[i + 1].toInt()) };
    }
    PgCluster pg;
    const Result<void> started = pg.start({ QStringLiteral("max_connections=200") });
    if (!started) {
        std::fprintf(stderr, "PostgreSQL: %s\n", qPrintable(started.error()));
        return 1;
    }
    const Result<QString> db = pg.createDatabase(QStringLiteral("relay"));
    QTemporaryDir dirA, dirB;
    QNetworkAccessManager nam;
    std::printf("event relay, two instances, one PostgreSQL 15 database (loopback)\n");
    // Latency: the `long` agent paced at tps.
    {
        ServerProcess a, b;
        QString error;
        if (!startInstance(a, dirA.path(), pg.uri(db.value()), QStringLiteral("a"), &error, extra, paced, tps)
            || !startInstance(
                b, dirB.path(), pg.uri(db.value()), QStringLiteral("b"), &error, extra, paced, tps)) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return 1;
        }
        Arrivals onA, onB;
        if (!runAndFollow(nam, a, b, QStringLiteral("long"), onA, onB)) {
            std::fprintf(stderr, "paced run did not complete on both\n");
            return 1;
        }
        std::vector<double> ms;
        for (auto it = onB.atNs.begin(); it != onB.atNs.end(); ++it)
            if (it.key() > 100 && onA.atNs.contains(it.key())) // after both clients caught up
                ms.push_back((it.value() - onA.atNs.value(it.key())) / 1e6);
        std::sort(ms.begin(), ms.end());
        auto pct = [&](double p) { return ms[std::min(ms.size() - 1, size_t(p * ms.size()))]; };
        std::printf(
            "latency, %zu events paced at %d chunks/s: relay adds p50 %.2f ms, p99 %.2f ms, max %.2f ms "
            "(B's client minus A's client)\n",
            ms.size(), tps, pct(0.5), pct(0.99), ms.back());
        a.terminate();
        b.terminate();
    }
    // Throughput: the fixture's `flood` agent.
    {
        ServerProcess a, b;
        QString error;
        if (!startInstance(a, dirA.path(), pg.uri(db.value()), QStringLiteral("a"), &error, extra, flood, 0)
            || !startInstance(
                b, dirB.path(), pg.uri(db.value()), QStringLiteral("b"), &error, extra, flood, 0)) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return 1;
        }
        Arrivals onA, onB;
        if (!runAndFollow(nam, a, b, QStringLiteral("long"), onA, onB)) {
            std::fprintf(stderr, "flood run did not complete on both\n");
            return 1;
        }
        auto rate = [](const Arrivals &x) { return x.chunks / ((x.lastChunkNs - x.firstChunkNs) / 1e9); };
        std::printf(
            "throughput, %d chunks as fast as possible: client on A %.0f chunks/s, client on B (relayed) "
            "%.0f chunks/s; B's last chunk %.1f ms after A's\n",
            onB.chunks, rate(onA), rate(onB), (onB.lastChunkNs - onA.lastChunkNs) / 1e6);
        a.terminate();
        b.terminate();
    }
    return 0;
}
