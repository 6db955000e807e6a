// bench_server: agentstudio-server under load, in-process (the server and its engines on their
// own threads, the subscribers on the main thread, all over loopback WebSockets).
//
//   A. throughput: M executions streaming as fast as the scripted provider goes, N subscribers
//      each; prints chunk messages/s delivered to all subscribers together and per subscriber.
//   B. latency: M2 paced executions (100 tokens/s) × N2 subscribers; chunk latency = time from
//      the event entering the server's buffers (an in-process tap, on the server thread) to its
//      arrival at a subscriber (main thread), p50 / p99 / max.
//   C. resume: RemoteBackend follows a paced execution and is cut off 50 times; time from the
//      drop to the stream's resume (reconnected) and to the next event delivered, p50 / p99.
//
// usage: bench_server [--subscribers N] [--executions M] [--tokens K]
#include "core/remote/RemoteBackend.h"
#include "core/server/WorkspaceServer.h"
#include "tests/support/ServerFixture.h"

#include <QCoreApplication>
#include <QMutex>
#include <QThread>

#include <algorithm>
#include <chrono>
#include <cstdio>

using namespace serverfixture;

namespace {

qint64 nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

double percentile(QList<qint64> v, double p)
{
    if (v.isEmpty())
        return 0;
    std::sort(v.begin(), v.end());
    const qsizetype i = qMin(v.size() - 1, qsizetype(p * double(v.size() - 1) + 0.5));
    return double(v[i]);
}

QByteArray benchWorkspace(int fastTokens)
{
    QJsonObject ws = QJsonDocument::fromJson(alphaWorkspace()).object();
    QJsonArray agents = ws.value(QLatin1String("agents")).toArray();
    agents.append(scriptedAgent(QStringLiteral("bench_fast"),
        QJsonObject { { QStringLiteral("reply_tokens"), fastTokens },
            { QStringLiteral("tokens_per_second"), 0 }, { QStringLiteral("ttft_ms"), 1000 } }));
    agents.append(scriptedAgent(QStringLiteral("bench_paced"),
        QJsonObject { { QStringLiteral("reply_tokens"), 500 }, { QStringLiteral("tokens_per_second"), 100 },
            { QStringLiteral("ttft_ms"), 500 } }));
    agents.append(scriptedAgent(QStringLiteral("bench_resume"),
        QJsonObject { { QStringLiteral("reply_tokens"), 2000 }, { QStringLiteral("tokens_per_second"), 200 },
            { QStringLiteral("ttft_ms"), 0 } }));
    ws.insert(QStringLiteral("agents"), agents);
    return QJsonDocument(ws).toJson();
}

// Ingest times by execution id and seq (written on the server thread, read on main).
struct Tap
{
    QMutex mutex;
    QHash<QString, QHash<qint64, qint64>> ingestNs;
};

// A subscriber that resumes by itself when the server drops it for lagging.
struct Subscriber
{
    QWebSocket *socket = nullptr;
    QString executionId;
    qint64 lastSeq = 0;
    qint64 chunks = 0;
    int drops = 0;
    bool done = false;
    bool broken = false;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    int subscribers = 8, executions = 4, tokens = 20000;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--subscribers"))
            subscribers = args[i + 1].toInt();
        else if (args[i] == QLatin1String("--executions"))
            executions = args[i + 1].toInt();
        else if (args[i] == QLatin1String("--tokens"))
            tokens = args[i + 1].toInt();
    }

    QTemporaryDir dir;
    ServerOptions options;
    options.workspacePaths
        = { testsupport::writeFile(dir.path(), QStringLiteral("bench.agents.json"), benchWorkspace(tokens)) };
    options.databasePath = dir.filePath(QStringLiteral("bench.db"));
    options.tokensPath = testsupport::writeFile(dir.path(), QStringLiteral("tokens.json"), tokensFile());
    options.port = 0;
    options.concurrency = qMax(8, executions);
    // Every subscriber is one loopback WebSocket with the same token: lift those caps.
    options.maxConnectionsPerPeer = options.maxSessionsPerToken = qMax(64, 2 * subscribers * executions + 16);

    Tap tap;
    QThread serverThread;
    serverThread.setObjectName(QStringLiteral("server"));
    serverThread.start();
    QObject anchor;
    anchor.moveToThread(&serverThread);
    WorkspaceServer *server = nullptr;
    QString startError;
    QMetaObject::invokeMethod(
        &anchor,
        [&] {
            server = new WorkspaceServer;
            server->setEventTap([&tap](const ExecutionEvent &e) {
                if (e.type != ExecutionEvent::Type::Chunk)
                    return;
                const qint64 t = nowNs();
                QMutexLocker lock(&tap.mutex);
                tap.ingestNs[e.executionId].insert(e.seq, t);
            });
            const Result<void> r = server->start(options);
            if (!r)
                startError = r.error();
        },
        Qt::BlockingQueuedConnection);
    if (!startError.isEmpty()) {
        std::fprintf(stderr, "bench_server: %s\n", qPrintable(startError));
        return 1;
    }
    QUrl url;
    QMetaObject::invokeMethod(
        &anchor, [&] { url = server->url(); }, Qt::BlockingQueuedConnection);
    QNetworkAccessManager nam;

    auto startRun = [&](const QString &agent) {
        QUrl u = url;
        u.setPath(QStringLiteral("/api/agents/%1/test").arg(agent));
        const HttpResult r = http(nam, "POST", u, kAlphaToken, R"({"inputs":{"text":"bench"}})");
        return r.json.value(QLatin1String("execution_id")).toString();
    };
    auto wsUrl = [&](const QString &id, qint64 after) {
        QUrl u = url;
        u.setScheme(QStringLiteral("ws"));
        u.setPath(QStringLiteral("/ws/execution/") + id);
        if (after > 0)
            u.setQuery(QStringLiteral("after_seq=%1").arg(after));
        return u;
    };

    // Runs subscribers until all are done; onChunk gets (subscriber, seq, receive time).
    auto runSubscribers
        = [&](QList<Subscriber> &subs, const std::function<void(Subscriber &, qint64, qint64)> &onChunk) {
              std::function<void(Subscriber &)> open = [&](Subscriber &s) {
                  s.socket = new QWebSocket;
                  QObject::connect(s.socket, &QWebSocket::textMessageReceived, s.socket,
                      [&s, &onChunk](const QString &text) {
                          const qint64 t = nowNs();
                          const QJsonObject o = QJsonDocument::fromJson(text.toUtf8()).object();
                          const qint64 seq = o.value(QLatin1String("seq")).toInteger();
                          const QString type = o.value(QLatin1String("type")).toString();
                          if (seq != s.lastSeq + 1) {
                              s.broken = true;
                              return;
                          }
                          s.lastSeq = seq;
                          if (type == QLatin1String("chunk")) {
                              ++s.chunks;
                              onChunk(s, seq, t);
                          } else if (type == QLatin1String("complete")) {
                              s.done = true;
                          }
                      });
                  QWebSocket *socket = s.socket;
                  QObject::connect(socket, &QWebSocket::disconnected, socket, [&s, &open, socket] {
                      socket->deleteLater();
                      if (s.socket == socket)
                          s.socket = nullptr;
                      if (!s.done && !s.broken) {
                          ++s.drops;
                          open(s); // resume after a drop for lagging
                      }
                  });
                  QNetworkRequest request(wsUrl(s.executionId, s.lastSeq));
                  request.setRawHeader("Authorization", "Bearer " + kAlphaToken.toUtf8());
                  s.socket->open(request);
              };
              for (Subscriber &s : subs)
                  open(s);
              QElapsedTimer guard;
              guard.start();
              while (guard.elapsed() < 300000) {
                  bool all = true;
                  for (const Subscriber &s : subs)
                      all &= s.done || s.broken;
                  if (all)
                      break;
                  QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
              }
              for (Subscriber &s : subs) {
                  if (!s.socket)
                      continue;
                  s.socket->disconnect(); // no more resumes
                  s.socket->close();
                  s.socket->deleteLater();
                  s.socket = nullptr;
              }
              QCoreApplication::processEvents();
          };

    // --- A. throughput --------------------------------------------------------------------
    {
        QList<Subscriber> subs;
        for (int m = 0; m < executions; ++m) {
            const QString id = startRun(QStringLiteral("bench_fast"));
            for (int n = 0; n < subscribers; ++n) {
                Subscriber s;
                s.executionId = id;
                subs.append(s);
            }
        }
        qint64 first = 0, last = 0;
        runSubscribers(subs, [&](Subscriber &, qint64, qint64 t) {
            if (first == 0)
                first = t;
            last = t;
        });
        qint64 total = 0;
        int drops = 0, broken = 0;
        for (const Subscriber &s : subs) {
            total += s.chunks;
            drops += s.drops;
            broken += s.broken;
        }
        const double seconds = double(last - first) / 1e9;
        qint64 produceFirst = 0, produceLast = 0, produced = 0;
        {
            QMutexLocker lock(&tap.mutex);
            for (const auto &perExec : std::as_const(tap.ingestNs))
                for (const qint64 t : perExec) {
                    produceFirst = produceFirst == 0 ? t : qMin(produceFirst, t);
                    produceLast = qMax(produceLast, t);
                    ++produced;
                }
        }
        std::printf(
            "A throughput: %d executions x %d subscribers, reply_tokens %d (%lld chunk events in all)\n",
            executions, subscribers, tokens, produced);
        std::printf(
            "  delivered %lld chunk messages in %.2f s = %.0f chunks/s total, %.0f chunks/s per subscriber\n",
            total, seconds, double(total) / seconds, double(total) / seconds / double(subs.size()));
        std::printf("  engine produced %lld chunks in %.2f s = %.0f chunks/s; every subscriber got every "
                    "chunk once: %s;"
                    " lag drops (resumed) %d; broken streams %d\n",
            produced, double(produceLast - produceFirst) / 1e9,
            double(produced) / (double(produceLast - produceFirst) / 1e9),
            total == produced * subscribers ? "yes" : "NO", drops, broken);
        std::fflush(stdout);
        QMutexLocker lock(&tap.mutex);
        tap.ingestNs.clear();
    }

    // --- B. latency -------------------------------------------------------------------------
    {
        const int m2 = 8, n2 = 4;
        QList<Subscriber> subs;
        for (int m = 0; m < m2; ++m) {
            const QString id = startRun(QStringLiteral("bench_paced"));
            for (int n = 0; n < n2; ++n) {
                Subscriber s;
                s.executionId = id;
                subs.append(s);
            }
        }
        QList<qint64> latencies;
        runSubscribers(subs, [&](Subscriber &s, qint64 seq, qint64 t) {
            QMutexLocker lock(&tap.mutex);
            const qint64 in = tap.ingestNs.value(s.executionId).value(seq, 0);
            if (in > 0)
                latencies.append(t - in);
        });
        std::printf("B latency: %d paced executions (100 tokens/s) x %d subscribers, %lld chunk deliveries\n",
            m2, n2, qint64(latencies.size()));
        std::printf("  server buffer -> subscriber: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
            percentile(latencies, 0.5) / 1e6, percentile(latencies, 0.99) / 1e6,
            percentile(latencies, 1.0) / 1e6);
        std::fflush(stdout);
    }

    // --- C. resume after a drop ---------------------------------------------------------------
    {
        RemoteBackend backend(url, kAlphaToken);
        backend.setReconnectDelays(50, 1000);
        QList<qint64> toResumed, toEvent;
        qint64 droppedAt = 0;
        bool waitingResume = false, waitingEvent = false;
        int dropsDone = 0;
        bool complete = false;
        qint64 lastSeq = 0;
        bool ordered = true;
        QObject::connect(&backend, &RemoteBackend::streamResumed, &backend, [&](const QString &, qint64) {
            if (waitingResume) {
                toResumed.append(nowNs() - droppedAt);
                waitingResume = false;
            }
        });
        QObject::connect(
            &backend, &ExecutionBackend::eventsReceived, &backend, [&](const ExecutionEventList &events) {
                for (const ExecutionEvent &e : events) {
                    ordered &= e.seq == lastSeq + 1;
                    lastSeq = e.seq;
                    complete |= e.isTerminal();
                }
                if (waitingEvent) {
                    toEvent.append(nowNs() - droppedAt);
                    waitingEvent = false;
                }
            });
        QTimer dropper;
        dropper.setInterval(100);
        QObject::connect(&dropper, &QTimer::timeout, &backend, [&] {
            if (dropsDone >= 50 || waitingResume || waitingEvent || lastSeq == 0)
                return;
            ++dropsDone;
            droppedAt = nowNs();
            waitingResume = waitingEvent = true;
            backend.dropConnections();
        });
        ExecutionRequest request;
        request.agentId = QStringLiteral("bench_resume");
        request.inputs = QJsonObject { { QStringLiteral("text"), QStringLiteral("resume") } };
        backend.start(request, nullptr, {}); // the events say how it goes
        dropper.start();
        QElapsedTimer guard;
        guard.start();
        while (!complete && guard.elapsed() < 120000)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
        std::printf("C resume: %d forced drops of a paced stream (200 tokens/s); events in order, none lost "
                    "or doubled: %s\n",
            dropsDone, ordered && complete ? "yes" : "NO");
        std::printf("  drop -> reconnected: p50 %.2f ms, p99 %.2f ms; drop -> next event delivered: p50 %.2f "
                    "ms, p99 %.2f ms\n",
            percentile(toResumed, 0.5) / 1e6, percentile(toResumed, 0.99) / 1e6,
            percentile(toEvent, 0.5) / 1e6, percentile(toEvent, 0.99) / 1e6);
        std::fflush(stdout);
    }

    QMetaObject::invokeMethod(
        &anchor, [&] { delete server; }, Qt::BlockingQueuedConnection);
    serverThread.quit();
    serverThread.wait();
    return 0;
}
