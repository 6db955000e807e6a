#include "core/providers/LlmCall.h"

// Each provider kind has its own file; they are declared here rather than in headers because
// nothing but this factory creates them.
LlmCall *createScriptedCall(const LlmRequest &request, QObject *parent);
LlmCall *createOpenAiCall(const LlmRequest &request, QNetworkAccessManager *network, QObject *parent);
LlmCall *createAnthropicCall(const LlmRequest &request, QNetworkAccessManager *network, QObject *parent);
LlmCall *createOllamaCall(const LlmRequest &request, QNetworkAccessManager *network, QObject *parent);

LlmCall *createLlmCall(
    const LlmRequest &request, QNetworkAccessManager *network, QObject *parent, QString *error)
{
    const QString &kind = request.provider.kind;
    if (kind == QLatin1String("scripted"))
        return createScriptedCall(request, parent);
    if (kind == QLatin1String("openai") || kind == QLatin1String("anthropic")
        || kind == QLatin1String("ollama")) {
        if (!network) {
            if (error)
                *error = QStringLiteral("provider '%1': %2 needs a network access manager")
                             .arg(request.provider.id, kind);
            return nullptr;
        }
        if (kind == QLatin1String("openai"))
            return createOpenAiCall(request, network, parent);
        if (kind == QLatin1String("anthropic"))
            return createAnthropicCall(request, network, parent);
        return createOllamaCall(request, network, parent);
    }
    if (error)
        *error = QStringLiteral("provider '%1': unknown kind '%2'").arg(request.provider.id, kind);
    return nullptr;
}

ChatMessage LlmResult::assistantMessage() const
{
    ChatMessage m;
    m.role = QStringLiteral("assistant");
    m.content = text;
    m.toolCalls = toolCalls;
    return m;
}
