#include "core/providers/HttpStreamCall.h"
#include "core/providers/SseParser.h"
#include "core/providers/ToolWire.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QUrl>

// OpenAI Chat Completions with SSE streaming (OpenAI's API reference). Also the wire of
// OpenAI-compatible servers (Ollama /v1, vLLM, llama.cpp, LM Studio, OpenRouter…).
class OpenAiCall final : public HttpStreamCall
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OpenAiCall)
public:
    using HttpStreamCall::HttpStreamCall;

protected:
    QString providerName() const override { return QStringLiteral("openai"); }
    QNetworkRequest buildRequest() const override;
    QByteArray buildBody() const override;
    void resetStream() override;
    void onBytes(QByteArrayView bytes) override;
    void onEndOfStream() override;
    QString errorFromBody(int status, const QByteArray &body) const override;
    bool isRetryableStatus(int status, const QByteArray &body) const override;
    int maxRetryAfterMs() const override { return 120000; }
    bool retryAfterCapMeansNoRetry() const override { return true; }

private:
    void handleEvent(const SseParser::Event &event);
    bool isOfficialHost() const;

    SseParser m_sse;
    toolwire::CallAccumulator m_toolCalls; // accumulated per tool_calls[].index
    bool m_sawDone = false;
};

namespace {

QString openAiErrorText(const QJsonValue &errorValue)
{
    if (errorValue.isString())
        return errorValue.toString();
    const QJsonObject e = errorValue.toObject();
    QString code = e.value(u"code").toString();
    if (code.isEmpty() && e.value(u"code").isDouble())
        code = QString::number(e.value(u"code").toInt());
    if (code.isEmpty())
        code = e.value(u"type").toString();
    const QString message = e.value(u"message").toString();
    if (code.isEmpty())
        return message;
    if (message.isEmpty())
        return code;
    return code + QStringLiteral(": ") + message;
}

} // namespace

// Structured Outputs' strict mode accepts only a subset of JSON Schema: every property
// required, no additional properties, every property typed. A schema outside it is sent
// non-strict (the reply is still validated against the signature) rather than refused (400).
static bool fitsStrictMode(const QJsonObject &schema)
{
    if (schema.value(u"type").toString() != u"object"
        || schema.value(u"additionalProperties") != QJsonValue(false))
        return false;
    const QJsonObject properties = schema.value(u"properties").toObject();
    QSet<QString> required;
    for (const QJsonValue &v : schema.value(u"required").toArray())
        required.insert(v.toString());
    for (auto it = properties.begin(); it != properties.end(); ++it) {
        const QJsonObject p = it.value().toObject();
        if (!required.contains(it.key()) || !p.contains(u"type"))
            return false;
        if (p.value(u"type").toString() == u"object" && !fitsStrictMode(p))
            return false;
    }
    return true;
}

static bool isReasoningModel(const QString &model)
{
    const QString m = model.toLower();
    return m.startsWith(QLatin1String("o1")) || m.startsWith(QLatin1String("o3"))
        || m.startsWith(QLatin1String("o4"))
        || (m.startsWith(QLatin1String("gpt-5")) && !m.contains(QLatin1String("chat")));
}

// One message of the conversation: an assistant turn that called tools carries them (content
// null when it said nothing), a tool result answers its call by id.
static QJsonObject openAiMessage(const ChatMessage &m)
{
    QJsonObject o { { QStringLiteral("role"), m.role }, { QStringLiteral("content"), m.content } };
    if (m.role == u"assistant" && !m.toolCalls.isEmpty()) {
        QJsonArray calls;
        for (const ModelToolCall &c : m.toolCalls)
            calls.append(QJsonObject { { QStringLiteral("id"), c.id },
                { QStringLiteral("type"), QStringLiteral("function") },
                { QStringLiteral("function"),
                    QJsonObject { { QStringLiteral("name"), c.name },
                        { QStringLiteral("arguments"), c.argumentsJson() } } } });
        o.insert(QStringLiteral("tool_calls"), calls);
        if (m.content.isEmpty())
            o.insert(QStringLiteral("content"), QJsonValue::Null);
    } else if (m.role == u"tool") {
        o.insert(QStringLiteral("tool_call_id"), m.toolCallId);
    }
    return o;
}

bool OpenAiCall::isOfficialHost() const
{
    return QUrl(baseUrl(QStringLiteral("https://api.openai.com/v1")))
        .host()
        .endsWith(QLatin1String("openai.com"));
}

QNetworkRequest OpenAiCall::buildRequest() const
{
    QNetworkRequest req(
        QUrl(baseUrl(QStringLiteral("https://api.openai.com/v1")) + QStringLiteral("/chat/completions")));
    req.setRawHeader("Accept", "text/event-stream");
    if (!request().apiKey.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + request().apiKey.toUtf8());
    return req;
}

QByteArray OpenAiCall::buildBody() const
{
    const LlmRequest &r = request();
    QJsonArray messages;
    for (const ChatMessage &m : r.messages)
        messages.append(openAiMessage(m));
    QJsonObject body {
        { QStringLiteral("model"), r.model.name },
        { QStringLiteral("messages"), messages },
        { QStringLiteral("stream"), true },
        { QStringLiteral("stream_options"), QJsonObject { { QStringLiteral("include_usage"), true } } },
    };
    if (r.model.temperature && !(isOfficialHost() && isReasoningModel(r.model.name))) {
        // OpenAI's reasoning models accept only the default temperature and answer 400 to any
        // other value; compatible servers get what the agent asks for.
        body.insert(QStringLiteral("temperature"), *r.model.temperature);
    }
    if (r.model.maxTokens) {
        // max_tokens is deprecated at OpenAI (and rejected by reasoning models); compatible
        // servers mostly know only max_tokens.
        body.insert(isOfficialHost() ? QStringLiteral("max_completion_tokens") : QStringLiteral("max_tokens"),
            *r.model.maxTokens);
    }
    if (!r.tools.isEmpty())
        body.insert(QStringLiteral("tools"), toolwire::openAiTools(r.tools));
    // Structured Outputs and tools go together: the model calls tools, and its final reply
    // follows the schema.
    if (!r.outputSchema.isEmpty()) {
        // Schema names are at most 64 of [a-zA-Z0-9_-].
        QString name = r.schemaName.left(64);
        for (QChar &c : name)
            if (!(c.unicode() < 128 && (c.isLetterOrNumber() || c == u'_' || c == u'-')))
                c = u'_';
        if (name.isEmpty())
            name = QStringLiteral("output");
        body.insert(QStringLiteral("response_format"),
            QJsonObject { { QStringLiteral("type"), QStringLiteral("json_schema") },
                { QStringLiteral("json_schema"),
                    QJsonObject { { QStringLiteral("name"), name },
                        { QStringLiteral("strict"), fitsStrictMode(r.outputSchema) },
                        { QStringLiteral("schema"), r.outputSchema } } } });
    }
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

void OpenAiCall::resetStream()
{
    m_sse.reset();
    m_toolCalls.clear();
    m_sawDone = false;
}

void OpenAiCall::onBytes(QByteArrayView bytes)
{
    const QList<SseParser::Event> events = m_sse.feed(bytes);
    for (const SseParser::Event &e : events) {
        handleEvent(e);
        if (isDone())
            return;
    }
}

void OpenAiCall::handleEvent(const SseParser::Event &event)
{
    if (m_sawDone)
        return;
    if (event.data.startsWith("[DONE]")) {
        m_sawDone = true;
        return;
    }
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(event.data, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        failStream(
            QStringLiteral("invalid JSON in stream event: ") + QString::fromUtf8(event.data.left(200)));
        return;
    }
    const QJsonObject chunk = doc.object();
    if (chunk.contains(u"error")) {
        const QString text = openAiErrorText(chunk.value(u"error"));
        failStream(QStringLiteral("stream error: ")
            + (text.isEmpty() ? QStringLiteral("An error occurred during streaming") : text));
        return;
    }
    const QString model = chunk.value(u"model").toString();
    if (!model.isEmpty())
        result().responseModel = model;

    const QJsonValue usageValue = chunk.value(u"usage");
    if (usageValue.isObject()) {
        const QJsonObject u = usageValue.toObject();
        TokenUsage &usage = result().usage;
        usage.inputTokens = u.value(u"prompt_tokens").toInteger();
        usage.outputTokens = u.value(u"completion_tokens").toInteger();
        const QJsonObject in = u.value(u"prompt_tokens_details").toObject();
        usage.cachedTokens = in.value(u"cached_tokens").toInteger();
        usage.cacheWriteTokens = in.value(u"cache_write_tokens").toInteger();
        usage.reasoningTokens
            = u.value(u"completion_tokens_details").toObject().value(u"reasoning_tokens").toInteger();
        usage.estimated = false;
        setUsageReported();
    }

    const QJsonArray choices = chunk.value(u"choices").toArray();
    for (const QJsonValue &c : choices) {
        const QJsonObject choice = c.toObject();
        if (choice.value(u"index").toInt() != 0)
            continue; // n > 1 is never requested
        const QJsonObject delta = choice.value(u"delta").toObject();
        for (const auto key : { u"reasoning_content", u"reasoning" }) {
            const QJsonValue r = delta.value(key); // DeepSeek, Ollama /v1, vLLM
            if (r.isString())
                result().reasoning += r.toString();
        }
        const QJsonValue content = delta.value(u"content");
        if (content.isString())
            deliverText(content.toString());
        const QJsonArray toolCalls = delta.value(u"tool_calls").toArray();
        for (const QJsonValue &t : toolCalls) {
            // The first delta of an index brings id and name; the following ones append
            // slices of the arguments text. Parallel calls each have their own index.
            const QJsonObject call = t.toObject();
            const int index = call.value(u"index").toInt();
            if (call.value(u"id").isString())
                m_toolCalls.setId(index, call.value(u"id").toString());
            const QJsonObject fn = call.value(u"function").toObject();
            if (fn.value(u"name").isString())
                m_toolCalls.appendName(index, fn.value(u"name").toString());
            m_toolCalls.appendArguments(index, fn.value(u"arguments").toString());
        }
        const QJsonValue finish = choice.value(u"finish_reason");
        if (finish.isString())
            result().finishReason = finish.toString();
    }
}

void OpenAiCall::onEndOfStream()
{
    result().toolCalls = m_toolCalls.calls();
    const bool partialEvent = m_sse.finish();
    // [DONE] ends a complete stream; some compatible servers omit it but still send a
    // finish_reason. Neither means the connection closed mid-reply.
    if (!m_sawDone && result().finishReason.isEmpty()) {
        failStream(partialEvent ? QStringLiteral("stream cut in the middle of an event")
                                : QStringLiteral("stream ended before the reply was complete"));
    }
}

QString OpenAiCall::errorFromBody(int status, const QByteArray &body) const
{
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    if (doc.isObject() && doc.object().contains(u"error")) {
        const QString text = openAiErrorText(doc.object().value(u"error"));
        if (!text.isEmpty())
            return QStringLiteral("%1 %2").arg(status).arg(text);
    }
    return HttpStreamCall::errorFromBody(status, body);
}

bool OpenAiCall::isRetryableStatus(int status, const QByteArray &body) const
{
    // An exhausted quota is a 429 that no wait will fix.
    if (status == 429 && body.contains("insufficient_quota"))
        return false;
    return HttpStreamCall::isRetryableStatus(status, body);
}

LlmCall *createOpenAiCall(const LlmRequest &request, QNetworkAccessManager *network, QObject *parent)
{
    return new OpenAiCall(request, network, parent);
}

#include "OpenAiCall.moc"
