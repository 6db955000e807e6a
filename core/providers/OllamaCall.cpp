#include "core/common/Util.h"
#include "core/providers/HttpStreamCall.h"
#include "core/providers/NdjsonParser.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

// Ollama's native /api/chat with NDJSON streaming (Ollama's API reference). Usage arrives on the
// done:true line (prompt_eval_count, eval_count; a missing field means 0).
class OllamaCall final : public HttpStreamCall
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OllamaCall)
public:
    using HttpStreamCall::HttpStreamCall;

protected:
    QString providerName() const override { return QStringLiteral("ollama"); }
    QNetworkRequest buildRequest() const override;
    QByteArray buildBody() const override;
    void resetStream() override;
    void onBytes(QByteArrayView bytes) override;
    void onEndOfStream() override;
    QString errorFromBody(int status, const QByteArray &body) const override;

private:
    void handleLine(const QByteArray &line);

    NdjsonParser m_ndjson;
    bool m_sawDone = false;
};

QNetworkRequest OllamaCall::buildRequest() const
{
    QNetworkRequest req(
        QUrl(baseUrl(QStringLiteral("http://127.0.0.1:11434")) + QStringLiteral("/api/chat")));
    req.setRawHeader("Accept", "application/x-ndjson");
    if (!request().apiKey.isEmpty()) // Ollama's hosted service; a local server needs none
        req.setRawHeader("Authorization", "Bearer " + request().apiKey.toUtf8());
    return req;
}

QByteArray OllamaCall::buildBody() const
{
    const LlmRequest &r = request();
    QJsonArray messages;
    for (const ChatMessage &m : r.messages)
        messages.append(
            QJsonObject { { QStringLiteral("role"), m.role }, { QStringLiteral("content"), m.content } });
    QJsonObject options;
    if (r.model.temperature)
        options.insert(QStringLiteral("temperature"), *r.model.temperature);
    if (r.model.maxTokens)
        options.insert(QStringLiteral("num_predict"), *r.model.maxTokens);
    QJsonObject body {
        { QStringLiteral("model"), r.model.name },
        { QStringLiteral("messages"), messages },
        { QStringLiteral("stream"), true },
    };
    if (!options.isEmpty())
        body.insert(QStringLiteral("options"), options);
    if (!r.outputSchema.isEmpty())
        body.insert(QStringLiteral("format"), r.outputSchema);
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

void OllamaCall::resetStream()
{
    m_ndjson = NdjsonParser();
    m_sawDone = false;
}

void OllamaCall::onBytes(QByteArrayView bytes)
{
    const QList<QByteArray> lines = m_ndjson.feed(bytes);
    for (const QByteArray &line : lines) {
        handleLine(line);
        if (isDone())
            return;
    }
}

void OllamaCall::handleLine(const QByteArray &line)
{
    if (m_sawDone)
        return;
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(line, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        failStream(QStringLiteral("invalid JSON in stream line: ") + QString::fromUtf8(line.left(200)));
        return;
    }
    const QJsonObject o = doc.object();
    if (o.contains(u"error")) {
        const QJsonValue e = o.value(u"error");
        failStream(e.isString() ? e.toString() : as::compactJson(e));
        return;
    }
    const QString model = o.value(u"model").toString();
    if (!model.isEmpty())
        result().responseModel = model;
    const QJsonObject message = o.value(u"message").toObject();
    const QJsonValue thinking = message.value(u"thinking");
    if (thinking.isString())
        result().reasoning += thinking.toString();
    deliverText(message.value(u"content").toString());
    const QJsonArray toolCalls = message.value(u"tool_calls").toArray();
    for (const QJsonValue &t : toolCalls) {
        const QJsonObject call = t.toObject();
        const QJsonObject fn = call.value(u"function").toObject();
        result().toolCalls.append(QJsonObject {
            { QStringLiteral("id"), call.value(u"id").toString() },
            { QStringLiteral("name"), fn.value(u"name").toString() },
            { QStringLiteral("arguments"), as::compactJson(fn.value(u"arguments")) }, // an object here
        });
    }
    if (o.value(u"done").toBool()) {
        m_sawDone = true;
        result().finishReason = o.value(u"done_reason").toString();
        const bool hasIn = o.contains(u"prompt_eval_count");
        const bool hasOut = o.contains(u"eval_count");
        if (hasIn || hasOut) { // both missing: nothing reported, the base class estimates
            TokenUsage &u = result().usage;
            u.inputTokens = o.value(u"prompt_eval_count").toInteger();
            u.outputTokens = o.value(u"eval_count").toInteger();
            u.estimated = false;
            setUsageReported();
        }
    }
}

void OllamaCall::onEndOfStream()
{
    const QByteArray last = m_ndjson.finish(); // a final line without its newline
    if (!last.isEmpty()) {
        if (!QJsonDocument::fromJson(last).isObject()) {
            failStream(QStringLiteral("stream cut in the middle of a line"));
            return;
        }
        handleLine(last);
    }
    if (isDone())
        return;
    if (!m_sawDone)
        failStream(QStringLiteral("stream ended before the done line"));
}

QString OllamaCall::errorFromBody(int status, const QByteArray &body) const
{
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    if (doc.isObject()) {
        const QJsonValue e = doc.object().value(u"error");
        if (e.isString())
            return QStringLiteral("%1 %2").arg(status).arg(e.toString());
        if (e.isObject() && e.toObject().value(u"message").isString()) // OpenAI-style body
            return QStringLiteral("%1 %2").arg(status).arg(e.toObject().value(u"message").toString());
    }
    return HttpStreamCall::errorFromBody(status, body);
}

LlmCall *createOllamaCall(const LlmRequest &request, QNetworkAccessManager *network, QObject *parent)
{
    return new OllamaCall(request, network, parent);
}

#include "OllamaCall.moc"
