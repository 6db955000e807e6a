#include "core/common/Util.h"
#include "core/providers/HttpStreamCall.h"
#include "core/providers/NdjsonParser.h"
#include "core/providers/ToolWire.h"

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
    QList<ModelToolCall> m_toolCalls; // of this attempt, given to the result on the done line
    bool m_sawDone = false;
};

// One message of the conversation: an assistant turn that called tools carries them with
// their arguments as an object, a tool result names the tool it answers (Ollama has no call
// ids on its native API).
static QJsonObject ollamaMessage(const ChatMessage &m)
{
    QJsonObject o { { QStringLiteral("role"), m.role }, { QStringLiteral("content"), m.content } };
    if (m.role == u"assistant" && !m.toolCalls.isEmpty()) {
        QJsonArray calls;
        for (const ModelToolCall &c : m.toolCalls)
            calls.append(QJsonObject { { QStringLiteral("function"),
                QJsonObject {
                    { QStringLiteral("name"), c.name }, { QStringLiteral("arguments"), c.arguments } } } });
        o.insert(QStringLiteral("tool_calls"), calls);
    } else if (m.role == u"tool") {
        o.insert(QStringLiteral("tool_name"), m.toolName);
    }
    return o;
}

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
        messages.append(ollamaMessage(m));
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
    if (!r.tools.isEmpty()) {
        body.insert(QStringLiteral("tools"), toolwire::openAiTools(r.tools));
    } else if (!r.outputSchema.isEmpty()) {
        // `format` constrains every token of the output to the schema, so a model offered
        // tools could never emit a call (ollama/ollama#8095: tool_calls always empty). With
        // tools the system prompt alone asks for the JSON object, and the reply is still
        // parsed and validated against the output signature.
        body.insert(QStringLiteral("format"), r.outputSchema);
    }
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

void OllamaCall::resetStream()
{
    m_ndjson = NdjsonParser();
    m_toolCalls.clear();
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
    // Calls arrive whole (arguments an object), on any line; ids only from newer servers, so
    // the missing ones are made up from the position in the reply: call_0, call_1, …
    const QJsonArray toolCalls = message.value(u"tool_calls").toArray();
    for (const QJsonValue &t : toolCalls) {
        const QJsonObject call = t.toObject();
        const QJsonObject fn = call.value(u"function").toObject();
        QString id = call.value(u"id").toString();
        if (id.isEmpty())
            id = QStringLiteral("call_%1").arg(m_toolCalls.size());
        const QJsonValue args = fn.value(u"arguments");
        m_toolCalls.append(args.isObject() || args.isUndefined() || args.isNull()
                ? ModelToolCall::fromObject(id, fn.value(u"name").toString(), args.toObject())
                : ModelToolCall::fromText(id, fn.value(u"name").toString(),
                    args.isString() ? args.toString() : as::compactJson(args)));
    }
    if (o.value(u"done").toBool()) {
        m_sawDone = true;
        result().finishReason = o.value(u"done_reason").toString();
        if (!m_toolCalls.isEmpty() && result().finishReason == u"stop")
            result().finishReason = QStringLiteral("tool_calls"); // as Ollama's own /v1 says it
        result().toolCalls = m_toolCalls;
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
