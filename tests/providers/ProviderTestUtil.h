#pragma once

#include "core/providers/LlmCall.h"
#include "tests/support/ScriptedHttpServer.h"

#include <QEventLoop>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

// Shared by the provider integration tests: builds requests against a ScriptedHttpServer and
// collects what a call emits. Every call gets its own QNetworkAccessManager on the test thread.
// Waits (event loop running) until the call has finished; fails the test after 15 s.
#define WAIT_FINISHED(run) QTRY_VERIFY_WITH_TIMEOUT(!(run).results.isEmpty(), 15000)

namespace providertest {

inline const QString kApiKey = QStringLiteral("sk-test-SECRET-0123456789abcdef");

inline LlmRequest makeRequest(
    const QString &kind, const QUrl &base, const QString &model = QStringLiteral("gpt-4o-mini"))
{
    LlmRequest r;
    r.provider.id = kind;
    r.provider.kind = kind;
    r.provider.baseUrl = base.toString() + (kind == u"openai" ? QStringLiteral("/v1") : QString());
    r.model.provider = kind;
    r.model.name = model;
    r.messages = { { QStringLiteral("system"), QStringLiteral("You are terse.") },
        { QStringLiteral("user"), QStringLiteral("Say hello.") } };
    r.apiKey = kApiKey;
    r.connectTimeoutMs = 5000;
    r.idleTimeoutMs = 5000;
    r.totalTimeoutMs = 30000;
    return r;
}

struct Attempt
{
    int attempt;
    QString error;
    int delayMs;
};

// Runs one call to completion and records everything it emitted.
struct CallRun
{
    QNetworkAccessManager network;
    LlmCall *call = nullptr;
    QStringList chunks;
    int chunkTokens = 0;
    QList<Attempt> attempts;
    QList<LlmResult> results;

    explicit CallRun(const LlmRequest &request)
    {
        QString error;
        call = createLlmCall(request, &network, nullptr, &error);
        if (!call)
            qFatal("createLlmCall: %s", qPrintable(error));
        QObject::connect(call, &LlmCall::chunk, call, [this](const QString &text, int tokens) {
            chunks.append(text);
            chunkTokens += tokens;
        });
        QObject::connect(
            call, &LlmCall::attemptFailed, call, [this](int attempt, const QString &error, int delayMs) {
                attempts.append({ attempt, error, delayMs });
            });
        QObject::connect(call, &LlmCall::finished, call, [this](const LlmResult &r) { results.append(r); });
    }
    ~CallRun() { delete call; }

    void start() { call->start(); }
    const LlmResult &result() const { return results.constFirst(); }
};

// Plays `body` so that every byte boundary k (1 … size-1) is a point where the response is
// cut between two writes 1 ms apart, so the call reads the pieces separately (inside "data:",
// inside a JSON string, inside a UTF-8 sequence, …). With splitsPerRequest = 1 there is one
// request per k (the body in two pieces); with n, each request is cut at n boundaries spread
// over the body (k, k + S, k + 2S, … for S = ceil((size-1) / n)), so long bodies need fewer
// requests. `check(k, result, streamedText)` judges each result (k = the request's first cut)
// with QCOMPARE/QVERIFY; the replay stops at the first failure. Not QTRY_*: its 50 ms polling
// step would dominate thousands of runs.
template <typename Check>
inline void replayAtEverySplit(const LlmRequest &request, const QByteArray &body,
    const QByteArray &contentType, Check check, int splitsPerRequest = 1)
{
    ScriptedHttpServer server;
    QNetworkAccessManager network;
    LlmRequest r = request;
    r.provider.baseUrl
        = server.url().toString() + (r.provider.kind == u"openai" ? QStringLiteral("/v1") : QString());
    const int boundaries = int(body.size()) - 1;
    const int stride = (boundaries + splitsPerRequest - 1) / qMax(1, splitsPerRequest);
    for (int k = 1; k <= stride && !QTest::currentTestFailed(); ++k) {
        ScriptedHttpServer::Response response;
        response.headers = { { "Content-Type", contentType } };
        response.body = body;
        for (int cut = k; cut <= boundaries; cut += stride)
            response.splits.append(cut);
        response.gapMs = 1;
        server.enqueue(response);
        LlmCall *call = createLlmCall(r, &network, nullptr, nullptr);
        QString text;
        QList<LlmResult> results;
        QObject::connect(call, &LlmCall::chunk, call, [&](const QString &t) { text += t; });
        QEventLoop loop;
        QObject::connect(call, &LlmCall::finished, call, [&](const LlmResult &res) {
            results.append(res);
            loop.quit();
        });
        QTimer::singleShot(20000, &loop, &QEventLoop::quit);
        call->start();
        loop.exec();
        delete call;
        if (results.size() != 1)
            QFAIL(qPrintable(QStringLiteral("split at %1: %2 finished signals").arg(k).arg(results.size())));
        check(k, results.constFirst(), text);
    }
    if (!QTest::currentTestFailed())
        QCOMPARE(server.requests.size(), stride);
}

inline QJsonObject jsonBody(const ScriptedHttpServer::Request &r)
{
    return QJsonDocument::fromJson(r.body).object();
}

// Text with CRLF line ends instead of LF.
inline QByteArray crlf(QByteArray text)
{
    return text.replace("\n", "\r\n");
}

inline ScriptedHttpServer::Response sseResponse(
    const QByteArray &body, ScriptedHttpServer::Transfer transfer = ScriptedHttpServer::Transfer::Close)
{
    ScriptedHttpServer::Response r;
    r.headers = { { "Content-Type", "text/event-stream" } };
    r.body = body;
    r.transfer = transfer;
    return r;
}

inline ScriptedHttpServer::Response jsonError(
    int status, const QByteArray &body, QList<QPair<QByteArray, QByteArray>> extraHeaders = {})
{
    ScriptedHttpServer::Response r;
    r.status = status;
    r.headers = { { "Content-Type", "application/json" } };
    r.headers += extraHeaders;
    r.body = body;
    r.transfer = ScriptedHttpServer::Transfer::ContentLength;
    return r;
}

inline ScriptedHttpServer::Response redirectTo(int status, const QUrl &location)
{
    ScriptedHttpServer::Response r;
    r.status = status;
    r.headers = { { "Location", location.toString().toUtf8() } };
    r.transfer = ScriptedHttpServer::Transfer::ContentLength;
    return r;
}

// A provider answering 307 to another origin (a second loopback server on another port): the
// call fails saying so and the second server never sees the key — nor any request at all.
// `path` is the provider's request path ("/v1/chat/completions").
inline void expectCrossOriginRedirectRefused(
    const QString &kind, const QByteArray &path, const QByteArray &keyHeader)
{
    ScriptedHttpServer first;
    ScriptedHttpServer second;
    first.enqueue(redirectTo(307, QUrl(second.url().toString() + QString::fromLatin1(path))));
    second.enqueue(sseResponse("data: [DONE]\n\n"));
    CallRun run(makeRequest(kind, first.url()));
    run.start();
    WAIT_FINISHED(run);
    QCOMPARE(first.requests.size(), 1);
    QVERIFY(first.requests.first().headers.value(keyHeader).contains(kApiKey.toUtf8()));
    for (const ScriptedHttpServer::Request &r : std::as_const(second.requests)) {
        QVERIFY2(!r.headers.contains("authorization"), r.headers.value("authorization").constData());
        QVERIFY2(!r.headers.contains("x-api-key"), r.headers.value("x-api-key").constData());
    }
    QCOMPARE(second.requests.size(), 0);
    QVERIFY(!run.result().ok);
    QCOMPARE(run.result().error,
        QStringLiteral("%1: 307 redirect to %2 not followed: a key is never sent to another origin")
            .arg(kind, second.url().toString() + QString::fromLatin1(path)));
    QCOMPARE(run.result().attempts, 1);
}

} // namespace providertest
