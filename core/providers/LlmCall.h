#pragma once

#include "core/api/ResponseCache.h"
#include "core/api/ToolTypes.h"
#include "core/metering/Usage.h"
#include "core/model/Prompt.h"
#include "core/model/Workspace.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QString>

#include <memory>

class QNetworkAccessManager;

// Everything one LLM request needs. The API key is resolved by the engine (environment or
// keychain) just before the call and lives only in memory.
struct LlmRequest
{
    ProviderConfig provider;
    ModelConfig model;
    QList<ChatMessage> messages;
    QJsonObject outputSchema; // JSON Schema for JSON modes; empty => plain text reply
    QString schemaName; // name for the JSON mode schema (the agent id); "output" if empty
    Signature signature; // the agent's signature (the scripted provider answers to fit it)
    // The tools offered to the model, each named as the model sees it (`name` is the exposed
    // name; inputSchema converted per provider). Empty: no tools in the request.
    QList<ToolDefinition> tools;
    QString apiKey; // never logged, stored or traced
    int maxRetries = 2;
    int connectTimeoutMs = 15000;
    int idleTimeoutMs = 60000;
    int totalTimeoutMs = 600000;
    // The response cache (docs/evaluations.md): consulted by HTTP providers before sending and
    // filled after a complete 2xx answer, per cacheMode; null or Off: not used. Lives on the
    // engine thread like the call.
    std::shared_ptr<ResponseCache> cache;
    CacheMode cacheMode = CacheMode::Off;
    QString cacheNamespace;
};

struct LlmResult
{
    bool ok = false;
    bool cancelled = false;
    QString text; // the whole reply text (partial when failed or cancelled)
    QString error; // readable, secret-free: "openai: 401 invalid_api_key: …"
    // The last attempt never got an HTTP answer (connection refused or dropped, connect
    // timeout): the provider could not be reached, as opposed to answering with an error.
    bool unreachable = false;
    TokenUsage usage;
    QString responseModel; // the model the provider says it used, if any
    // The provider's own word (OpenAI "stop" | "length" | "tool_calls", Anthropic "end_turn" |
    // "tool_use" | "max_tokens", Ollama "stop" | "length"), except that a reply with tool calls
    // from Ollama or the scripted provider says "tool_calls". Whether the model asked for tools
    // is wantsTools(), the same test for every provider.
    QString finishReason;
    // The calls the model asked for, in the order it gave them (by stream index); set when the
    // stream ended cleanly. Arguments that are not a JSON object keep their text and say why
    // in argumentsError.
    QList<ModelToolCall> toolCalls;
    QString reasoning; // thinking text, when the provider streams it (never in `text`)
    qint64 ttftMs = -1; // request sent -> first token
    int attempts = 1;
    bool cached = false; // replayed from the response cache (no request was sent)

    // The reply asks for tools: the loop runs them and sends their results back.
    bool wantsTools() const { return !toolCalls.isEmpty(); }
    // The reply as the assistant turn of the next request: its text and its tool calls.
    ChatMessage assistantMessage() const;
};

// One running request. Lives on the engine thread; emits in order: attemptFailed* (one per
// failed attempt that will be retried), chunk*, finished (exactly once, also after cancel()).
class LlmCall : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~LlmCall() override = default;

    virtual void start() = 0;
    // Aborts at once; finished() follows with cancelled = true and the text so far.
    virtual void cancel() = 0;

signals:
    void chunk(const QString &text, int tokens);
    // A failed attempt that will be retried after delayMs (recorded as its own trace step).
    void attemptFailed(int attempt, const QString &error, int delayMs);
    void finished(const LlmResult &result);
};

// Creates the call for request.provider.kind ("scripted", "openai", "anthropic", "ollama").
// Returns nullptr and sets *error for an unknown kind. The call is parented to `parent`.
LlmCall *createLlmCall(
    const LlmRequest &request, QNetworkAccessManager *network, QObject *parent, QString *error);
