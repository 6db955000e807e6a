#include "core/mcp/JsonRpcSession.h"

#include "core/mcp/McpTransport.h"

#include <QJsonDocument>
#include <QTimer>

#include <cmath>

namespace {

// Our ids are integers; anything else (a string, a fraction) is not ours.
std::optional<qint64> ownId(const QJsonValue &id)
{
    if (!id.isDouble())
        return std::nullopt;
    const double value = id.toDouble();
    if (std::floor(value) != value)
        return std::nullopt;
    return qint64(value);
}

} // namespace

JsonRpcSession::JsonRpcSession(McpTransport *transport, QObject *parent)
    : QObject(parent)
    , m_transport(transport)
{
    connect(transport, &McpTransport::messageReceived, this, &JsonRpcSession::onMessage);
    connect(transport, &McpTransport::sendFailed, this, &JsonRpcSession::onSendFailed);
}

JsonRpcSession::~JsonRpcSession()
{
    for (Pending &p : m_pending)
        delete p.timer;
}

void JsonRpcSession::write(QJsonObject message)
{
    message.insert(u"jsonrpc", QStringLiteral("2.0"));
    m_transport->send(message);
}

qint64 JsonRpcSession::request(const QString &method, const QJsonObject &params, int timeoutMs,
    ReplyCallback done, ProgressCallback progress)
{
    const qint64 id = m_nextId++;
    Pending pending { method, std::move(done), std::move(progress), nullptr };
    if (timeoutMs > 0) {
        pending.timer = new QTimer(this);
        pending.timer->setSingleShot(true);
        connect(pending.timer, &QTimer::timeout, this, [this, id, timeoutMs] {
            const auto it = m_pending.constFind(id);
            if (it == m_pending.cend())
                return;
            const QString why = QStringLiteral("%1 timed out after %2 ms").arg(it->method).arg(timeoutMs);
            // The spec asks the requester to cancel what it stops waiting for.
            if (it->method != u"initialize")
                notify(QStringLiteral("notifications/cancelled"),
                    QJsonObject { { QStringLiteral("requestId"), id }, { QStringLiteral("reason"), why } });
            m_transport->abandon(QJsonValue(id));
            Reply reply;
            reply.message = why;
            reply.timedOut = true;
            finish(id, reply);
        });
        pending.timer->start(timeoutMs);
    }
    QJsonObject p = params;
    if (pending.progress) {
        QJsonObject meta = p.value(u"_meta").toObject();
        meta.insert(u"progressToken", id);
        p.insert(u"_meta", meta);
    }
    m_pending.insert(id, std::move(pending));
    QJsonObject message { { QStringLiteral("id"), id }, { QStringLiteral("method"), method } };
    if (!p.isEmpty())
        message.insert(u"params", p);
    write(message);
    return id;
}

void JsonRpcSession::notify(const QString &method, const QJsonObject &params)
{
    QJsonObject message { { QStringLiteral("method"), method } };
    if (!params.isEmpty())
        message.insert(u"params", params);
    write(message);
}

void JsonRpcSession::cancel(qint64 id, const QString &reason)
{
    const auto it = m_pending.find(id);
    if (it == m_pending.end())
        return;
    delete it->timer;
    m_pending.erase(it);
    notify(QStringLiteral("notifications/cancelled"),
        QJsonObject { { QStringLiteral("requestId"), id }, { QStringLiteral("reason"), reason } });
    m_transport->abandon(QJsonValue(id));
}

void JsonRpcSession::failAll(const QString &error)
{
    const QList<qint64> ids = m_pending.keys();
    for (const qint64 id : ids) {
        Reply reply;
        reply.message = error;
        finish(id, reply);
    }
}

void JsonRpcSession::finish(qint64 id, const Reply &reply)
{
    const auto it = m_pending.find(id);
    if (it == m_pending.end())
        return;
    Pending pending = std::move(*it);
    m_pending.erase(it);
    if (pending.timer)
        pending.timer->deleteLater(); // may be the timer whose timeout runs this
    if (pending.done)
        pending.done(reply);
}

void JsonRpcSession::onMessage(const QJsonObject &message)
{
    if (message.contains(u"method")) {
        if (message.contains(u"id"))
            onServerRequest(message);
        else if (message.value(u"method").toString() == u"notifications/progress")
            onProgress(message.value(u"params").toObject());
        else
            emit notificationReceived(
                message.value(u"method").toString(), message.value(u"params").toObject());
        return;
    }
    if (message.contains(u"result") || message.contains(u"error")) {
        onResponse(message);
        return;
    }
    emit logged(
        QStringLiteral("a message from the server is neither a request, a notification nor a response: ")
        + QString::fromUtf8(QJsonDocument(message).toJson(QJsonDocument::Compact).left(200)));
}

void JsonRpcSession::onResponse(const QJsonObject &message)
{
    const std::optional<qint64> id = ownId(message.value(u"id"));
    if (!id || !m_pending.contains(*id)) {
        // A late answer to a cancelled or timed-out request, or an error the server could not
        // attach to a request (id null): nothing waits for it.
        if (message.contains(u"error") && !id)
            emit logged(QStringLiteral("the server reported an error: ")
                + message.value(u"error").toObject().value(u"message").toString());
        return;
    }
    Reply reply;
    if (message.contains(u"error")) {
        const QJsonObject error = message.value(u"error").toObject();
        reply.code = error.value(u"code").toInt();
        reply.message = error.value(u"message").toString();
    } else {
        reply.ok = true;
        reply.result = message.value(u"result").toObject();
    }
    finish(*id, reply);
}

void JsonRpcSession::onServerRequest(const QJsonObject &message)
{
    const QString method = message.value(u"method").toString();
    QJsonObject answer { { QStringLiteral("id"), message.value(u"id") } };
    if (method == u"ping") {
        answer.insert(u"result", QJsonObject());
    } else {
        // No capability is declared (roots, sampling, elicitation): the spec's answer is -32601.
        answer.insert(u"error",
            QJsonObject { { QStringLiteral("code"), -32601 },
                { QStringLiteral("message"), QString(QStringLiteral("Method not found: ") + method) } });
    }
    write(answer);
}

void JsonRpcSession::onProgress(const QJsonObject &params)
{
    const std::optional<qint64> token = ownId(params.value(u"progressToken"));
    const auto it = token ? m_pending.constFind(*token) : m_pending.cend();
    if (it == m_pending.cend() || !it->progress)
        return; // late progress of a finished or cancelled request
    const QJsonValue total = params.value(u"total");
    const ProgressCallback progress = it->progress; // it may cancel, and so erase, itself
    progress(params.value(u"progress").toDouble(),
        total.isDouble() ? std::optional<double>(total.toDouble()) : std::nullopt,
        params.value(u"message").toString());
}

void JsonRpcSession::onSendFailed(const QJsonValue &id, const QString &error)
{
    const std::optional<qint64> own = ownId(id);
    if (!own)
        return;
    Reply reply;
    reply.message = error;
    finish(*own, reply);
}
