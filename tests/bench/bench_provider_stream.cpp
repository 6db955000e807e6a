// Overhead of the openai provider per streamed chunk: a local server, on its
// own thread, pushes an OpenAI-style SSE stream at full speed (the whole response written as
// fast as the socket takes it) to an OpenAiCall on this thread. Printed:
//   - end to end: µs per chunk from the first body byte read to the last chunk() signal,
//     i.e. QNetworkAccessManager's socket read + SSE parse + JSON parse + chunk() emission,
//     and chunks/s (the server is never the bottleneck: its bytes are prebuilt);
//   - parse only: SseParser + QJsonDocument on the same bytes fed in 16 KiB blocks.
// Usage: bench_provider_stream [chunks=200000] [runs=3]
#include "core/metering/Pricing.h"
#include "core/providers/LlmCall.h"
#include "core/providers/SseParser.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <algorithm>
#include <cstdio>

namespace {

QByteArray buildStream(int chunks)
{
    QByteArray body;
    body.reserve(qsizetype(chunks) * 190);
    for (int i = 0; i < chunks; ++i) {
        body
            += "data: {\"id\":\"chatcmpl-B1\",\"object\":\"chat.completion.chunk\",\"created\":1727346178,"
               "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok";
        body += QByteArray::number(i % 1000);
        body += "\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
    }
    body += "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":"
        + QByteArray::number(chunks)
        + "}}\n\n"
          "data: [DONE]\n\n";
    return body;
}

// Serves the same prebuilt response to every connection, from its own thread.
class PushServer : public QObject
{
public:
    explicit PushServer(QByteArray response)
        : m_response(std::move(response))
    {
    }
    quint16 listen()
    {
        connect(m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server->nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    if (s->property("answered").toBool())
                        return;
                    if (!s->peek(1 << 20).contains("\r\n\r\n"))
                        return;
                    s->readAll();
                    s->setProperty("answered", true);
                    s->write(m_response);
                    s->disconnectFromHost(); // after everything is written
                });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
        m_server->listen(QHostAddress::LocalHost, 0);
        return m_server->serverPort();
    }

private:
    QByteArray m_response;
    QTcpServer *m_server = new QTcpServer(this); // a child: moves to the server thread with us
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int chunks = argc > 1 ? QByteArray(argv[1]).toInt() : 200000;
    const int runs = argc > 2 ? QByteArray(argv[2]).toInt() : 3;
    const QByteArray body = buildStream(chunks);
    const QByteArray response
        = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + body;

    QThread serverThread;
    serverThread.setObjectName(QStringLiteral("push-server"));
    PushServer *server = new PushServer(response);
    server->moveToThread(&serverThread);
    serverThread.start();
    quint16 port = 0;
    QMetaObject::invokeMethod(
        server, [&] { port = server->listen(); }, Qt::BlockingQueuedConnection);

    std::printf("bench_provider_stream: %d chunks (%.1f MB SSE) per run, %d runs\n", chunks,
        double(body.size()) / 1e6, runs);
    QList<double> perChunk;
    for (int run = 0; run < runs; ++run) {
        QNetworkAccessManager network;
        LlmRequest request;
        request.provider.kind = QStringLiteral("openai");
        request.provider.baseUrl = QStringLiteral("http://127.0.0.1:%1/v1").arg(port);
        request.model.name = QStringLiteral("gpt-4o-mini");
        request.messages = { { QStringLiteral("user"), QStringLiteral("go") } };
        request.idleTimeoutMs = 60000;
        QString error;
        LlmCall *call = createLlmCall(request, &network, nullptr, &error);
        int received = 0;
        QElapsedTimer clock;
        qint64 firstNs = -1, lastNs = 0;
        bool ok = false;
        QEventLoop loop;
        QObject::connect(call, &LlmCall::chunk, call, [&](const QString &) {
            if (firstNs < 0)
                firstNs = clock.nsecsElapsed();
            ++received;
            lastNs = clock.nsecsElapsed();
        });
        QObject::connect(call, &LlmCall::finished, call, [&](const LlmResult &r) {
            ok = r.ok;
            if (!r.ok)
                std::printf("  run %d failed: %s\n", run, qPrintable(r.error));
            loop.quit();
        });
        clock.start();
        call->start();
        loop.exec();
        delete call;
        if (!ok || received != chunks)
            return 1;
        // From the first chunk (≈ first body bytes read) to the last: the steady-state cost.
        const double us = double(lastNs - firstNs) / 1000.0 / std::max(1, received - 1);
        perChunk.append(us);
        std::printf("  run %d: %.2f us/chunk end to end, %.0f chunks/s, total %.0f ms\n", run, us, 1e6 / us,
            double(clock.nsecsElapsed()) / 1e6);
    }
    std::sort(perChunk.begin(), perChunk.end());
    const double median = perChunk.at(perChunk.size() / 2);

    // Parse only: the SSE parser and the JSON parse, no network, no signals.
    QElapsedTimer parseClock;
    parseClock.start();
    SseParser parser;
    qint64 events = 0, bytesOfContent = 0;
    for (qsizetype pos = 0; pos < body.size(); pos += 16384) {
        for (const SseParser::Event &e :
            parser.feed(QByteArrayView(body).sliced(pos, std::min<qsizetype>(16384, body.size() - pos)))) {
            ++events;
            if (!e.data.startsWith("[DONE]"))
                bytesOfContent += QJsonDocument::fromJson(e.data).object().size();
        }
    }
    const double parseUs = double(parseClock.nsecsElapsed()) / 1000.0 / double(events);

    std::printf("RESULT openai stream: median %.2f us/chunk end to end (socket read -> chunk signal), %.0f "
                "chunks/s\n",
        median, 1e6 / median);
    std::printf("RESULT parse only (SSE + JSON): %.2f us/event over %lld events\n", parseUs,
        static_cast<long long>(events));
    std::fflush(stdout);

    // The local token estimate (run on every chunk, and on whole replies without usage).
    QString prose;
    for (int i = 0; i < 2000; ++i)
        prose += QStringLiteral("The quick brown fox jumps over the lazy dog, naïve café 12345. ");
    QElapsedTimer estimateClock;
    estimateClock.start();
    qint64 tokens = 0;
    for (int i = 0; i < 20; ++i)
        tokens += estimateTokens(prose);
    const double estimateNs = double(estimateClock.nsecsElapsed());
    const double mb = 20.0 * double(prose.toUtf8().size()) / 1e6;
    std::printf("RESULT estimateTokens: %.1f MB/s, %.3f us per token (%lld tokens)\n",
        mb / (estimateNs / 1e9), estimateNs / 1000.0 / double(tokens), static_cast<long long>(tokens));
    QElapsedTimer smallClock;
    smallClock.start();
    for (int i = 0; i < 100000; ++i)
        tokens += estimateTokens(QStringLiteral(" tok123"));
    std::printf("RESULT estimateTokens on a 7-char chunk: %.2f us\n",
        double(smallClock.nsecsElapsed()) / 1000.0 / 100000);

    QMetaObject::invokeMethod(
        server, [server] { delete server; }, Qt::BlockingQueuedConnection);
    serverThread.quit();
    serverThread.wait();
    return bytesOfContent > 0 ? 0 : 1;
}
