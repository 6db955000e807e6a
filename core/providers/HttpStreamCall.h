#pragma once

#include "core/providers/LlmCall.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>

class QTimer;

// Base of every network provider: one streamed HTTP POST with retries and timeouts
// (docs/architecture.md, "The data path of a run"). Subclasses build the request and parse the body bytes.
//
// Threading: lives on the thread of the QNetworkAccessManager it is given (the engine thread);
// the manager is not owned. The reply is owned by this object and deleted when done.
//
// Retries (at most request.maxRetries, only while no text has been delivered — a retry after
// streamed text would duplicate it): connection errors, connect timeouts, 408, 409, 429, 5xx
// (529 overloaded included), or `x-should-retry: true`; never with `x-should-retry: false`.
// Delay: `retry-after-ms`, else `retry-after` (seconds or HTTP date) when 0 < value <= the
// provider's cap; else min(0.5 s × 2^(attempt-1), 8 s) × (1 − 0.25·random).
// Each retried attempt emits attemptFailed(attempt, error, delayMs) before the wait.
//
// Response cache (docs/response-cache.md; request().cache with a mode other than off): the
// key is taken over the body as built. read/readwrite hits replay the recorded body bytes
// through onBytes()/onEndOfStream() from the event loop, with result().cached set and nothing
// sent; a read miss finishes failed ("cache miss: …") without a request; write/readwrite
// store the raw body of a complete successful 2xx answer (never errors, cut or cancelled
// streams, headers).
//
// finished() is emitted exactly once: from the event loop, or synchronously inside cancel()
// (cancelled = true, the text so far kept) and inside start() when the key is missing.
// Signals may be emitted from inside QNetworkReply's own signals: a receiver must not delete
// the call synchronously (use deleteLater()).
// Without a usage report (cut stream, cancel, servers that send none) the result carries a
// local estimate with usage.estimated = true; after a failure, a reported output count lower
// than the estimate of the text received is replaced by the estimate.
class HttpStreamCall : public LlmCall
{
    Q_OBJECT
public:
    HttpStreamCall(const LlmRequest &request, QNetworkAccessManager *network, QObject *parent);
    ~HttpStreamCall() override;

    void start() override;
    void cancel() override;

    // The delay before retry number `retry` (1-based) given a response's headers; -1 means the
    // headers forbid a retry (retry-after beyond the cap when capMeansNoRetry). Exposed for tests.
    static int retryDelayMs(int retry, const QList<QNetworkReply::RawHeaderPair> &headers,
        int maxRetryAfterMs, bool capMeansNoRetry, double random);

protected:
    // --- hooks for the provider -------------------------------------------------------------
    virtual QString providerName() const = 0; // "openai": the prefix of every message
    virtual QNetworkRequest buildRequest() const = 0; // URL and provider headers
    virtual QByteArray buildBody() const = 0;
    virtual void resetStream() = 0; // before each attempt
    virtual void onBytes(QByteArrayView bytes) = 0; // body bytes of a 2xx response
    // The body ended cleanly (no network error). Call succeed() or failStream().
    virtual void onEndOfStream() = 0;
    // "401 invalid_api_key: Incorrect API key provided" from an error response body.
    virtual QString errorFromBody(int status, const QByteArray &body) const;
    virtual bool isRetryableStatus(int status, const QByteArray &body) const;
    virtual int maxRetryAfterMs() const { return 60000; }
    virtual bool retryAfterCapMeansNoRetry() const { return false; }

    // --- for the provider -------------------------------------------------------------------
    const LlmRequest &request() const { return m_request; }
    LlmResult &result() { return m_result; }
    // Appends streamed reply text and emits chunk(); records ttft on the first one.
    void deliverText(const QString &text);
    // Marks the provider's usage report as received (fields set through result().usage).
    void setUsageReported() { m_usageReported = true; }
    void succeed();
    // Ends the call as failed; `message` gets the provider prefix ("openai: " + message).
    void failStream(const QString &message);
    bool isDone() const { return m_done; }
    // base_url without a trailing slash, or `fallback` when the workspace gives none.
    QString baseUrl(const QString &fallback) const;
    // Input token estimate of the request's messages (OpenAI cookbook: 3 per message + 3).
    qint64 estimateInputTokens() const;

private:
    void sendAttempt();
    void onReadyRead();
    void onReplyFinished();
    void onHeadersReceived();
    void onConnectTimeout();
    void onIdleTimeout();
    void onTotalTimeout();
    // A failed attempt: retries when allowed, else finishes with the error.
    void handleFailedAttempt(
        const QString &message, bool retryable, const QList<QNetworkReply::RawHeaderPair> &headers = {});
    void dropReply();
    void finish(bool ok, bool cancelled, const QString &error);
    // The cache step of start(): true when it took the call over (hit or read miss).
    bool consultCache();
    void replayCached(const QByteArray &body);
    void storeInCache();

    LlmRequest m_request;
    QPointer<QNetworkAccessManager> m_network; // not owned
    QNetworkReply *m_reply = nullptr; // owned while an attempt runs
    QTimer *m_connectTimer;
    QTimer *m_idleTimer;
    QTimer *m_totalTimer;
    QTimer *m_retryTimer;
    QElapsedTimer m_attemptClock; // request started (post) -> now, for ttft
    LlmResult m_result;
    QByteArray m_errorBody;
    QByteArray m_cacheKey; // empty: the cache is not written for this call
    QByteArray m_sentBody; // the body of the request (recorded with the answer)
    QByteArray m_recordedBody; // the 2xx body bytes of the current attempt
    int m_attempt = 0;
    int m_status = 0;
    bool m_headersSeen = false;
    bool m_streaming = false; // 2xx: body bytes go to onBytes()
    bool m_usageReported = false;
    bool m_started = false;
    bool m_done = false;
};
