#include "core/providers/HttpStreamCall.h"
#include "core/providers/SseParser.h"
#include "core/providers/ToolWire.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

// Anthropic Messages API streaming (Anthropic's streaming reference): message_start (usage with cache
// fields), content_block_* (text, tool input JSON, thinking), message_delta (cumulative
// usage: the last one wins), message_stop; ping and unknown events are ignored; an error
// event fails the call.
class AnthropicCall final : public HttpStreamCall
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AnthropicCall)
public:
    using HttpStreamCall::HttpStreamCall;

protected:
    QString providerName() const override { return QStringLiteral("anthropic"); }
    QNetworkRequest buildRequest() const override;
    QByteArray buildBody() const override;
    void resetStream() override;
    void onBytes(QByteArrayView bytes) override;
    void onEndOfStream() override;
    QString errorFromBody(int status, const QByteArray &body) const override;
    int maxRetryAfterMs() const override { return 60000; }

private:
    void handleEvent(const SseParser::Event &event);
    void readUsage(const QJsonObject &usage);
    void updateUsage();

    SseParser m_sse;
    toolwire::CallAccumulator m_toolUses; // content block index -> tool_use block
    qint64 m_input = 0, m_cacheWrite = 0, m_cacheRead = 0, m_output = 0;
    bool m_sawStop = false;
};

namespace {

QString anthropicErrorText(const QJsonObject &root)
{
    const QJsonObject e = root.value(u"error").toObject();
    const QString type = e.value(u"type").toString();
    const QString message = e.value(u"message").toString();
    if (type.isEmpty())
        return message;
    if (message.isEmpty())
        return type;
    return type + QStringLiteral(": ") + message;
}

} // namespace

// The conversation in Anthropic's shape: system messages become the top-level `system`; an
// assistant turn that called tools is a list of blocks (its text, then one tool_use per call);
// tool results are tool_result blocks of ONE user message — consecutive tool messages are
// merged, and a user message right after them joins it as a text block, since the roles must
// alternate and every tool_use needs its result in the next user turn.
static QJsonArray anthropicMessages(const QList<ChatMessage> &list, QStringList *system)
{
    QJsonArray messages;
    QJsonArray results; // tool_result blocks not yet sent
    auto flushResults = [&](const QJsonArray &extra = {}) {
        if (results.isEmpty())
            return false;
        for (const QJsonValue &b : extra)
            results.append(b);
        messages.append(QJsonObject {
            { QStringLiteral("role"), QStringLiteral("user") }, { QStringLiteral("content"), results } });
        results = QJsonArray();
        return true;
    };
    for (const ChatMessage &m : list) {
        if (m.role == u"system") {
            system->append(m.content); // no system role: a top-level field
        } else if (m.role == u"tool") {
            QJsonObject block { { QStringLiteral("type"), QStringLiteral("tool_result") },
                { QStringLiteral("tool_use_id"), m.toolCallId }, { QStringLiteral("is_error"), m.isError } };
            if (!m.content.isEmpty())
                block.insert(QStringLiteral("content"), m.content);
            results.append(block);
        } else if (m.role == u"user"
            && flushResults({ QJsonObject { { QStringLiteral("type"), QStringLiteral("text") },
                { QStringLiteral("text"), m.content } } })) {
            continue; // the text went with the results
        } else if (m.role == u"assistant" && !m.toolCalls.isEmpty()) {
            flushResults();
            QJsonArray blocks;
            if (!m.content.isEmpty())
                blocks.append(QJsonObject { { QStringLiteral("type"), QStringLiteral("text") },
                    { QStringLiteral("text"), m.content } });
            for (const ModelToolCall &c : m.toolCalls)
                blocks.append(QJsonObject { { QStringLiteral("type"), QStringLiteral("tool_use") },
                    { QStringLiteral("id"), c.id }, { QStringLiteral("name"), c.name },
                    { QStringLiteral("input"), c.arguments } });
            messages.append(
                QJsonObject { { QStringLiteral("role"), m.role }, { QStringLiteral("content"), blocks } });
        } else {
            flushResults();
            messages.append(
                QJsonObject { { QStringLiteral("role"), m.role }, { QStringLiteral("content"), m.content } });
        }
    }
    flushResults();
    return messages;
}

QNetworkRequest AnthropicCall::buildRequest() const
{
    QNetworkRequest req(
        QUrl(baseUrl(QStringLiteral("https://api.anthropic.com")) + QStringLiteral("/v1/messages")));
    req.setRawHeader("Accept", "text/event-stream");
    req.setRawHeader("anthropic-version", "2023-06-01");
    if (!request().apiKey.isEmpty())
        req.setRawHeader("x-api-key", request().apiKey.toUtf8());
    return req;
}

QByteArray AnthropicCall::buildBody() const
{
    const LlmRequest &r = request();
    QStringList system;
    const QJsonArray messages = anthropicMessages(r.messages, &system);
    QJsonObject body {
        { QStringLiteral("model"), r.model.name },
        { QStringLiteral("max_tokens"), r.model.maxTokens.value_or(4096) }, // required by the API
        { QStringLiteral("messages"), messages },
        { QStringLiteral("stream"), true },
    };
    if (!system.isEmpty())
        body.insert(QStringLiteral("system"), system.join(QStringLiteral("\n\n")));
    if (r.model.temperature)
        body.insert(QStringLiteral("temperature"), qBound(0.0, *r.model.temperature, 1.0));
    if (!r.tools.isEmpty())
        body.insert(QStringLiteral("tools"), toolwire::anthropicTools(r.tools));
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

void AnthropicCall::resetStream()
{
    m_sse.reset();
    m_toolUses.clear();
    m_input = m_cacheWrite = m_cacheRead = m_output = 0;
    m_sawStop = false;
}

void AnthropicCall::onBytes(QByteArrayView bytes)
{
    const QList<SseParser::Event> events = m_sse.feed(bytes);
    for (const SseParser::Event &e : events) {
        handleEvent(e);
        if (isDone())
            return;
    }
}

void AnthropicCall::readUsage(const QJsonObject &usage)
{
    // message_delta repeats the input counts in newer API versions; all values are cumulative.
    if (usage.contains(u"input_tokens"))
        m_input = usage.value(u"input_tokens").toInteger();
    if (usage.contains(u"cache_creation_input_tokens"))
        m_cacheWrite = usage.value(u"cache_creation_input_tokens").toInteger();
    if (usage.contains(u"cache_read_input_tokens"))
        m_cacheRead = usage.value(u"cache_read_input_tokens").toInteger();
    if (usage.contains(u"output_tokens"))
        m_output = usage.value(u"output_tokens").toInteger();
    updateUsage();
}

void AnthropicCall::updateUsage()
{
    TokenUsage &u = result().usage;
    u.inputTokens = m_input + m_cacheWrite + m_cacheRead; // all input, cached included
    u.cachedTokens = m_cacheRead;
    u.cacheWriteTokens = m_cacheWrite;
    u.outputTokens = m_output; // includes thinking tokens
    u.estimated = false;
    setUsageReported();
}

void AnthropicCall::handleEvent(const SseParser::Event &event)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(event.data, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        failStream(
            QStringLiteral("invalid JSON in stream event: ") + QString::fromUtf8(event.data.left(200)));
        return;
    }
    const QJsonObject data = doc.object();
    const QString type = event.event.isEmpty() ? data.value(u"type").toString() : event.event;

    if (type == u"content_block_delta") {
        const QJsonObject delta = data.value(u"delta").toObject();
        const QString deltaType = delta.value(u"type").toString();
        if (deltaType == u"text_delta") {
            deliverText(delta.value(u"text").toString());
        } else if (deltaType == u"input_json_delta") {
            const int index = data.value(u"index").toInt();
            if (m_toolUses.contains(index)) // partial JSON of a tool_use block, parsed at the end
                m_toolUses.appendArguments(index, delta.value(u"partial_json").toString());
        } else if (deltaType == u"thinking_delta") {
            result().reasoning += delta.value(u"thinking").toString();
        }
    } else if (type == u"message_start") {
        const QJsonObject message = data.value(u"message").toObject();
        result().responseModel = message.value(u"model").toString();
        readUsage(message.value(u"usage").toObject());
    } else if (type == u"content_block_start") {
        const QJsonObject block = data.value(u"content_block").toObject();
        if (block.value(u"type").toString() == u"tool_use") {
            const int index = data.value(u"index").toInt();
            m_toolUses.start(index, block.value(u"id").toString(), block.value(u"name").toString());
            m_toolUses.setInitialArguments(index, block.value(u"input").toObject()); // normally {}
        } else if (block.value(u"type").toString() == u"text") {
            deliverText(block.value(u"text").toString()); // normally ""
        }
    } else if (type == u"message_delta") {
        const QJsonValue stop = data.value(u"delta").toObject().value(u"stop_reason");
        if (stop.isString())
            result().finishReason = stop.toString();
        readUsage(data.value(u"usage").toObject());
    } else if (type == u"message_stop") {
        m_sawStop = true;
    } else if (type == u"error") {
        const QString text = anthropicErrorText(data);
        failStream(text.isEmpty() ? QStringLiteral("stream error") : text);
    }
    // ping, content_block_stop and event types added later are ignored.
}

void AnthropicCall::onEndOfStream()
{
    result().toolCalls = m_toolUses.calls(); // an empty input is {}
    const bool partialEvent = m_sse.finish();
    if (!m_sawStop) {
        failStream(partialEvent ? QStringLiteral("stream cut in the middle of an event")
                                : QStringLiteral("stream ended before message_stop"));
    }
}

QString AnthropicCall::errorFromBody(int status, const QByteArray &body) const
{
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    if (doc.isObject() && doc.object().value(u"error").isObject()) {
        const QString text = anthropicErrorText(doc.object());
        if (!text.isEmpty())
            return QStringLiteral("%1 %2").arg(status).arg(text);
    }
    return HttpStreamCall::errorFromBody(status, body);
}

LlmCall *createAnthropicCall(const LlmRequest &request, QNetworkAccessManager *network, QObject *parent)
{
    return new AnthropicCall(request, network, parent);
}

#include "AnthropicCall.moc"
