// Overhead of the agent loop per tool call (docs/agent-loop.md): an agent with a mock tool
// (latency 0) on the scripted provider at unlimited pace (ttft_ms 0, tokens_per_second 0)
// runs TURNS turns of CALLS tool calls each, then answers. Goal: < 0.2 ms per call.
//
//   bench_tool_loop [turns=1] [calls=1000] [repeats=3] [no-db|with-db]
//
// One turn of many calls measures the loop's own work per call; many turns also grow the
// conversation every turn re-sends (and the provider re-reads), a cost per turn, not per call.
//
// Printed per configuration (best of `repeats`): wall time of the run from start() to the
// `complete` event on the main thread, per call; and the marginal cost of a call: the same
// turns with CALLS calls versus 1 call each, the difference divided by the extra calls (what
// one more call costs, the model turns taken out).

#include "core/common/Util.h"
#include "core/engine/LocalBackend.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>

#include <cstdio>

namespace {

QByteArray workspace(int turns, int calls)
{
    QJsonArray callList;
    for (int i = 0; i < calls; ++i)
        callList.append(QJsonObject { { QStringLiteral("name"), QStringLiteral("orders") },
            { QStringLiteral("arguments"),
                QJsonObject { { QStringLiteral("id"), QStringLiteral("A%1").arg(i) } } } });
    QJsonArray replies;
    for (int t = 0; t < turns; ++t)
        replies.append(QJsonObject { { QStringLiteral("tool_calls"), callList } });
    replies.append(QStringLiteral("done"));
    const QJsonObject field { { QStringLiteral("name"), QStringLiteral("q") },
        { QStringLiteral("type"), QStringLiteral("str") } };
    const QJsonObject out { { QStringLiteral("name"), QStringLiteral("answer") },
        { QStringLiteral("type"), QStringLiteral("str") } };
    const QJsonObject agent { { QStringLiteral("id"), QStringLiteral("looper") },
        { QStringLiteral("name"), QStringLiteral("looper") },
        { QStringLiteral("version"), QStringLiteral("1") },
        { QStringLiteral("tools"), QJsonArray { QStringLiteral("orders") } },
        { QStringLiteral("max_turns"), turns + 1 },
        { QStringLiteral("model"),
            QJsonObject { { QStringLiteral("provider"), QStringLiteral("offline") },
                { QStringLiteral("name"), QStringLiteral("scripted") },
                { QStringLiteral("replies"), replies } } },
        { QStringLiteral("instructions"), QStringLiteral("Look every order up.") },
        { QStringLiteral("signature"),
            QJsonObject { { QStringLiteral("inputs"), QJsonArray { field } },
                { QStringLiteral("outputs"), QJsonArray { out } } } } };
    const QJsonObject orders { { QStringLiteral("kind"), QStringLiteral("mock") },
        { QStringLiteral("description"), QStringLiteral("Look an order up") },
        { QStringLiteral("parameters"),
            QJsonObject { { QStringLiteral("type"), QStringLiteral("object") },
                { QStringLiteral("properties"),
                    QJsonObject { { QStringLiteral("id"),
                        QJsonObject { { QStringLiteral("type"), QStringLiteral("string") } } } } } } },
        { QStringLiteral("responses"),
            QJsonArray { QJsonObject { { QStringLiteral("result"),
                QJsonObject { { QStringLiteral("status"), QStringLiteral("shipped") } } } } } } };
    const QJsonObject root { { QStringLiteral("format"), QStringLiteral("agentstudio/1") },
        { QStringLiteral("providers"),
            QJsonObject { { QStringLiteral("offline"),
                QJsonObject { { QStringLiteral("kind"), QStringLiteral("scripted") },
                    { QStringLiteral("ttft_ms"), 0 }, { QStringLiteral("tokens_per_second"), 0 } } } } },
        { QStringLiteral("tools"), QJsonObject { { QStringLiteral("orders"), orders } } },
        { QStringLiteral("agents"), QJsonArray { agent } } };
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

// Wall ms of one run from start() to its complete event; -1 when it did not complete.
qint64 runOnce(LocalBackend &backend)
{
    const QString id = as::newId();
    QEventLoop loop;
    ExecutionStatus status = ExecutionStatus::Queued;
    const auto c = QObject::connect(
        &backend, &ExecutionBackend::eventsReceived, &loop, [&](const ExecutionEventList &events) {
            for (const ExecutionEvent &e : events)
                if (e.executionId == id && e.isTerminal()) {
                    status = e.status;
                    loop.quit();
                }
        });
    ExecutionRequest r;
    r.agentId = QStringLiteral("looper");
    r.inputs = QJsonObject { { QStringLiteral("q"), QStringLiteral("all orders") } };
    r.executionId = id;
    QElapsedTimer clock;
    clock.start();
    backend.start(r, nullptr, {});
    loop.exec();
    const qint64 ms = clock.elapsed();
    QObject::disconnect(c);
    return status == ExecutionStatus::Completed ? ms : -1;
}

qint64 best(int turns, int calls, int repeats, const QString &db)
{
    Result<Workspace> ws = Workspace::fromJson(workspace(turns, calls));
    if (!ws.ok()) {
        std::fprintf(stderr, "workspace: %s\n", qPrintable(ws.error()));
        return -1;
    }
    EngineSettings s;
    s.databasePath = db;
    LocalBackend backend(ws.value(), s);
    runOnce(backend); // warm-up: sources started, caches filled
    qint64 b = -1;
    for (int i = 0; i < repeats; ++i) {
        const qint64 ms = runOnce(backend);
        if (ms < 0)
            return -1;
        b = b < 0 ? ms : qMin(b, ms);
    }
    return b;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int turns = args.size() > 1 ? args.at(1).toInt() : 1;
    const int calls = args.size() > 2 ? args.at(2).toInt() : 1000;
    const int repeats = args.size() > 3 ? args.at(3).toInt() : 3;
    const QString mode = args.size() > 4 ? args.at(4) : QStringLiteral("both");
    QTemporaryDir dir;
    for (const bool withDb : { false, true }) {
        if ((withDb && mode == u"no-db") || (!withDb && mode == u"with-db"))
            continue;
        const QString db = withDb ? dir.filePath(QStringLiteral("bench-%1.db").arg(as::newId())) : QString();
        const qint64 many = best(turns, calls, repeats, db);
        const qint64 one
            = best(turns, 1, repeats, withDb ? dir.filePath(QStringLiteral("one.db")) : QString());
        if (many < 0 || one < 0) {
            std::fprintf(stderr, "bench_tool_loop: a run did not complete\n");
            return 1;
        }
        const int total = turns * calls;
        std::printf("%s: %d turns x %d calls: %lld ms = %.4f ms per call; %d turns x 1 call: %lld ms; "
                    "marginal %.4f ms per call (goal < 0.2)\n",
            withDb ? "with-db" : "no-db", turns, calls, static_cast<long long>(many), double(many) / total,
            turns, static_cast<long long>(one), double(many - one) / (total - turns));
    }
    return 0;
}
