#pragma once

#include "core/server/ExecutionStreamHub.h"
#include "core/server/TokenTable.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>

#include <functional>
#include <memory>

class QWebSocket;

// One WebSocket subscriber of /ws/execution/{id}. Owns its socket; deletes
// itself when the socket is gone. Sends the shared stream's events from its cursor, writing
// only while the socket's unsent bytes stay under a high-water mark (and, once the client acks,
// while unacked events stay under a window). A subscriber that leaves more than `maxLagEvents`
// live events unsent is dropped with close code 4001 and may resume with after_seq.
// Client messages (ack, cancel) are ignored until the subscription was authorized and attached;
// a client that leaves more than `maxUnsentBytes` unread (error replies included) is aborted,
// and one that sends more than `maxBadMessages` bad messages in 10 s is closed with 1008.
// Server main thread only.
class StreamSession final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamSession)
public:
    struct Limits
    {
        qint64 highWaterBytes = 256 * 1024;
        int maxLagEvents = 20000;
        int ackWindow = 8192;
        qint64 maxMessageBytes = 64 * 1024;
        int heartbeatMs = 30000; // ping; a peer silent for two heartbeats is cut
        qint64 maxUnsentBytes = 1024 * 1024; // unread bytes (events, errors) before an abort
        int maxBadMessages = 20; // per 10 s window, before the session is closed
    };
    static constexpr int CloseCodeLagging = 4001;
    static constexpr int CloseCodeShutdown = 1001; // going away

    StreamSession(QWebSocket *socket, const Principal &principal, const QString &executionId,
        const Limits &limits, QObject *parent = nullptr);
    ~StreamSession() override;

    const Principal &principal() const { return m_principal; }
    const QString &executionId() const { return m_executionId; }
    qint64 lastSentSeq() const { return m_lastSent; }
    qint64 lastAckedSeq() const { return m_lastAcked; }

    // Called once the subscription is resolved; validates afterSeq against the stream.
    void attach(std::shared_ptr<ExecutionStream> stream, qint64 afterSeq);
    // Sends {"type":"error","code","message"} and closes.
    void failAndClose(const QString &code, const QString &message);
    // New events were appended to the stream: send what the socket takes.
    void pump();
    void closeForShutdown();

    std::function<void(StreamSession *)> onCancelRequested;

private:
    void onTextMessage(const QString &message);
    void sendError(const QString &code, const QString &message);
    void closeWith(int code, const QString &reason);
    // Sends unless the client already left maxUnsentBytes unread; then aborts. False if aborted.
    bool sendChecked(const QString &text);
    void badMessage(const QString &problem);

    QWebSocket *m_socket; // Owned.
    Principal m_principal;
    QString m_executionId;
    Limits m_limits;
    std::shared_ptr<ExecutionStream> m_stream;
    qsizetype m_cursor = 0; // next index of m_stream->events to send
    qsizetype m_liveFrom = 0; // events from here on arrived after attach (for lag)
    qint64 m_lastSent = 0;
    qint64 m_lastAcked = 0;
    bool m_ackSeen = false;
    bool m_closing = false;
    bool m_awaitingPong = false;
    int m_badInWindow = 0;
    QElapsedTimer m_badWindow;
    QTimer m_heartbeat;
};
