#include "core/server/StreamSession.h"

#include "core/server/StreamMessage.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QWebSocket>

StreamSession::StreamSession(QWebSocket *socket, const Principal &principal, const QString &executionId,
    const Limits &limits, QObject *parent)
    : QObject(parent)
    , m_socket(socket)
    , m_principal(principal)
    , m_executionId(executionId)
    , m_limits(limits)
{
    m_socket->setParent(this);
    m_socket->setMaxAllowedIncomingMessageSize(quint64(limits.maxMessageBytes));
    m_socket->setMaxAllowedIncomingFrameSize(quint64(limits.maxMessageBytes));
    connect(m_socket, &QWebSocket::textMessageReceived, this, &StreamSession::onTextMessage);
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &) {
        if (m_stream && !m_closing)
            badMessage(QStringLiteral("binary messages are not accepted"));
    });
    connect(m_socket, &QWebSocket::bytesWritten, this, [this](qint64) { pump(); });
    connect(m_socket, &QWebSocket::disconnected, this, &QObject::deleteLater);
    // A subscriber that vanished without closing (no pong, no message for two heartbeats) is
    // cut, so its socket does not linger.
    connect(
        m_socket, &QWebSocket::pong, this, [this](quint64, const QByteArray &) { m_awaitingPong = false; });
    m_heartbeat.setInterval(limits.heartbeatMs);
    connect(&m_heartbeat, &QTimer::timeout, this, [this] {
        if (m_awaitingPong) {
            m_socket->abort();
            return;
        }
        m_awaitingPong = true;
        m_socket->ping();
    });
    m_heartbeat.start();
}

StreamSession::~StreamSession()
{
    if (m_stream)
        m_stream->sessions.removeAll(QPointer<StreamSession>(this));
}

void StreamSession::attach(std::shared_ptr<ExecutionStream> stream, qint64 afterSeq)
{
    if (m_closing)
        return;
    const qint64 last = stream->lastSeq();
    if (afterSeq > last) {
        // A resume past a rebuilt stream is told how it ended, numbered after the client's seq;
        // a seq with no representable successor is refused like any other bad after_seq.
        if (stream->synthesized && stream->terminal && !stream->events.isEmpty()
            && afterSeq < StreamMessage::kMaxSeq) {
            // The live buffer is gone (evicted, or the server restarted): the client resumes
            // past what the store can rebuild. Tell it how the execution ended, after its seq.
            QJsonObject complete = QJsonDocument::fromJson(stream->events.constLast().text.toUtf8()).object();
            complete.insert(QStringLiteral("seq"), afterSeq + 1);
            sendChecked(QString::fromUtf8(QJsonDocument(complete).toJson(QJsonDocument::Compact)));
            m_lastSent = afterSeq + 1;
            closeWith(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("complete"));
            return;
        }
        failAndClose(QStringLiteral("bad_after_seq"),
            QStringLiteral("after_seq %1 is beyond the last event (%2) of execution %3")
                .arg(afterSeq)
                .arg(last)
                .arg(m_executionId));
        return;
    }
    m_stream = std::move(stream);
    m_stream->sessions.append(QPointer<StreamSession>(this));
    m_cursor = m_stream->indexAfter(afterSeq);
    m_liveFrom = m_stream->events.size();
    m_lastSent = afterSeq;
    pump();
    if (!m_closing && m_stream->synthesized && !m_stream->terminal && m_cursor >= m_stream->events.size())
        failAndClose(QStringLiteral("not_live"),
            QStringLiteral("execution %1 is %2 but not running on this server")
                .arg(m_executionId, toWire(m_stream->status)));
}

void StreamSession::pump()
{
    if (!m_stream || m_closing)
        return;
    const QList<BufferedEvent> &events = m_stream->events;
    while (m_cursor < events.size()) {
        if (m_socket->bytesToWrite() > m_limits.highWaterBytes)
            break;
        if (m_ackSeen && m_lastSent - m_lastAcked >= m_limits.ackWindow)
            break;
        const BufferedEvent &e = events[m_cursor++];
        if (!sendChecked(e.text))
            return;
        m_lastSent = e.seq;
        if (e.terminal) {
            closeWith(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("complete"));
            return;
        }
    }
    const qsizetype liveUnsent = events.size() - qMax(m_cursor, m_liveFrom);
    if (liveUnsent > m_limits.maxLagEvents)
        closeWith(
            CloseCodeLagging, QStringLiteral("too far behind; resume with after_seq=%1").arg(m_lastSent));
}

void StreamSession::closeForShutdown()
{
    if (!m_closing)
        closeWith(CloseCodeShutdown, QStringLiteral("server shutting down"));
}

void StreamSession::failAndClose(const QString &code, const QString &message)
{
    if (m_closing)
        return;
    sendError(code, message);
    closeWith(QWebSocketProtocol::CloseCodePolicyViolated, code);
}

void StreamSession::sendError(const QString &code, const QString &message)
{
    QJsonObject o { { QStringLiteral("type"), QStringLiteral("error") },
        { QStringLiteral("execution_id"), m_executionId }, { QStringLiteral("code"), code },
        { QStringLiteral("message"), message } };
    sendChecked(QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)));
}

bool StreamSession::sendChecked(const QString &text)
{
    if (m_socket->bytesToWrite() > m_limits.maxUnsentBytes) {
        // The client does not read: a close frame would queue behind the rest. Cut it.
        m_closing = true;
        if (m_stream)
            m_stream->sessions.removeAll(QPointer<StreamSession>(this));
        m_socket->abort();
        return false;
    }
    m_socket->sendTextMessage(text);
    return true;
}

void StreamSession::badMessage(const QString &problem)
{
    if (!m_badWindow.isValid() || m_badWindow.elapsed() > 10000) {
        m_badWindow.start();
        m_badInWindow = 0;
    }
    if (++m_badInWindow > m_limits.maxBadMessages) {
        failAndClose(QStringLiteral("too_many_bad_messages"),
            QStringLiteral("more than %1 bad messages in 10 s").arg(m_limits.maxBadMessages));
        return;
    }
    sendError(QStringLiteral("bad_message"), problem);
}

void StreamSession::closeWith(int code, const QString &reason)
{
    m_closing = true;
    if (m_stream)
        m_stream->sessions.removeAll(QPointer<StreamSession>(this));
    m_socket->close(QWebSocketProtocol::CloseCode(code), reason);
}

void StreamSession::onTextMessage(const QString &message)
{
    m_awaitingPong = false;
    // Nothing is acted on before the subscription was authorized and attached (a refused one
    // is closing): a cancel must not reach an execution the client may not see.
    if (!m_stream || m_closing)
        return;
    const StreamMessage m = StreamMessage::parse(message, m_lastSent);
    switch (m.kind) {
    case StreamMessage::Kind::Ack:
        m_ackSeen = true;
        m_lastAcked = qMax(m_lastAcked, m.seq);
        pump();
        break;
    case StreamMessage::Kind::Cancel:
        if (onCancelRequested)
            onCancelRequested(this);
        break;
    case StreamMessage::Kind::Bad:
        badMessage(m.problem);
        break;
    }
}
