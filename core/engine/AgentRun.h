#pragma once

#include "core/api/ErrorCode.h"
#include "core/api/ExecutionRecord.h"
#include "core/engine/StoreWriter.h"
#include "core/metering/Usage.h"
#include "core/model/Prompt.h"
#include "core/model/Workspace.h"
#include "core/providers/CredentialPolicy.h"
#include "core/providers/LlmCall.h"
#include "core/tools/ToolHost.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QPointer>

#include <functional>
#include <optional>

class ApiKeyLookup;
class PricingTable;
class QNetworkAccessManager;
class QTimer;

// One agent task of an execution (docs/architecture.md, "Agent task"; docs/agent-loop.md):
// builds the prompt, finds the API key (environment, or the keychain asynchronously), makes the
// call, records every failed attempt as its own failed `llm` step and the next attempt as a new
// one, parses the reply in a `parse` step and prices the tokens. An agent with tools runs the
// agent loop: its tools are resolved first (ToolHost, on this thread), each model turn is one
// `llm` step whose request offers them, every call a reply asks for is a `tool` step (all calls
// of a turn run at once), their results go back as tool messages, and the loop ends at a reply
// with no tool calls (then the parse step) or fails at max_turns. It reports through its Host
// (steps, chunks, usage, budget) and ends exactly once with an Outcome passed to `done`.
//
// Threading: created, used and deleted on the engine thread. Owned by its execution; the
// LlmCall and the key lookup are owned by the AgentRun. A deleted AgentRun drops its pending
// answers (callbacks are guarded by it as context object).
class AgentRun final : public QObject, public StoreWriter::PartialSource
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AgentRun)
public:
    // What the agent run needs from the execution it belongs to (the engine implements it).
    class Host
    {
    public:
        virtual ~Host() = default;
        // A new step of this execution (id, number, span, status running).
        virtual StepRecord newStep(
            StepKind kind, const QString &name, const QString &parentStepId, const QString &nodeId)
            = 0;
        virtual void stepStarted(StepRecord &step) = 0;
        virtual void stepFinished(StepRecord &step, StepStatus status) = 0;
        // A chunk of the reply of the running `llm` step.
        virtual void chunk(const StepRecord &llm, const QString &text, int tokens) = 0;
        // Tokens and cost of one finished call (nullopt cost: no price known).
        virtual void charge(const TokenUsage &usage, const std::optional<double> &cost) = 0;
        // The execution is being cancelled: a failed call counts as cancelled.
        virtual bool cancelRequested() const = 0;
        // The request's tool_overrides: tool name -> {"result"} | {"error"} | {"latency_ms"}.
        virtual QJsonObject toolOverrides() const = 0;
        // Counts `calls` more tool calls against the budget; returns why that exceeds it ("").
        virtual QString takeToolCalls(int calls) = 0;
        // Why the cost so far exceeds the budget, or "".
        virtual QString overBudget() const = 0;
    };

    struct Context
    {
        const ProviderConfig *provider = nullptr; // of the agent's model; nullptr: unknown
        CredentialTrust trust; // the decision in force when the execution was submitted
        const PricingTable *pricing = nullptr;
        QNetworkAccessManager *network = nullptr;
        StoreWriter *writer = nullptr; // partial outputs go there while the call runs (optional)
        // The engine's tool sources (ToolHost::resolve / ToolHost::source; unset: no tools).
        std::function<void(const AgentSpec &, QObject *, ToolHost::ResolveCallback)> resolveTools;
        std::function<ToolSource *(const QString &sourceId)> toolSource;
        int toolTimeoutMs = 60000; // one tool call
        // The response cache of the run (docs/response-cache.md); null: none.
        std::shared_ptr<ResponseCache> cache;
        CacheMode cacheMode = CacheMode::Off;
        QString cacheNamespace;
    };

    struct Outcome
    {
        enum class Status { Completed, Failed, Cancelled };
        Status status = Status::Completed;
        ErrorCode code = ErrorCode::None; // Provider / Cancelled / InvalidInput (set by callers)
        QJsonObject outputs; // parsed, when completed
        QString error;
        QString partialText; // the reply text (whole or partial)
        TokenUsage usage; // of every attempt
        std::optional<double> cost = 0.0;
    };
    using Done = std::function<void(AgentRun *, const Outcome &)>;

    AgentRun(Host &host, const Context &context, const AgentSpec &agent, const QString &parentStepId,
        const QString &nodeId, QObject *parent = nullptr);
    ~AgentRun() override;

    // Records the `llm` step and starts; `done` is called exactly once, never from inside
    // start() (a failure found here is reported in a later turn).
    void start(const QJsonObject &inputs, Done done);
    // Before start(): continue a conversation instead of building the prompt from inputs: the
    // earlier messages (rebuilt from the store) and the new user message.
    void continueConversation(const QList<ChatMessage> &history, const QString &message);
    // Aborts the call; the outcome (cancelled) follows, usually at once.
    void cancel();
    // Ends now as cancelled with the text so far, whatever the call does (shutdown).
    void abort();
    bool ended() const { return m_ended; }
    const AgentSpec &agent() const { return m_agent; }

    const StepRecord *takeDirtyPartial() override;

    // A message as an llm step's input_data holds it, and back (conversations rebuild the
    // exact message list from these): {"role","content","tool_calls"?:[{"id","name",
    // "arguments","arguments_text"?}],"tool_call_id"?,"name"?,"is_error"?}.
    static QJsonObject messageToJson(const ChatMessage &m);
    static ChatMessage messageFromJson(const QJsonObject &o);
    static QJsonArray toolCallsToJson(const QList<ModelToolCall> &calls);
    static QList<ModelToolCall> toolCallsFromJson(const QJsonArray &a);

private:
    // One call of the current turn: its `tool` step, what it calls and the message it answers.
    struct ToolCall
    {
        StepRecord step;
        ModelToolCall call;
        const BoundTool *tool = nullptr; // into m_tools; null: the model named no offered tool
        QJsonObject override; // this run's tool_overrides entry for it
        QPointer<ToolSource> source; // Not owned (the ToolHost's)
        quint64 handle = 0; // of source->callTool (0: not at the source)
        QTimer *delay = nullptr; // Owned (child): the override's added latency
        bool done = false;
        ChatMessage reply; // the tool message
    };
    void onToolsResolved(const QList<BoundTool> &tools, const QString &error);
    void obtainKey();
    void openTurn();
    void startKeyLookup();
    void launch();
    void failLater(const QString &error);
    void onChunk(const QString &text, int tokens);
    void onAttemptFailed(int attempt, const QString &error);
    void onFinished(const LlmResult &result);
    std::optional<double> price(const LlmResult &result) const;
    void recordReply(const LlmResult &result, const QList<ModelToolCall> &calls);
    void runTools(const QList<ModelToolCall> &calls);
    void dispatchTool(int index);
    void callTool(int index);
    void deliverLater(int index, const ToolResult &result);
    void toolDone(int index, const ToolResult &result);
    void stopTools(bool now);
    void fail(ErrorCode code, const QString &error);
    void parse(Outcome &o);
    void end(Outcome o);

    Host &m_host;
    Context m_context;
    AgentSpec m_agent;
    QString m_nodeId, m_parentStepId;
    QJsonObject m_llmInput; // input_data of every llm attempt of the turn (never the key)
    LlmRequest m_request; // the turn's request; apiKey held for the run's later turns only
    QList<ChatMessage> m_messages; // the conversation so far
    QList<BoundTool> m_tools; // offered to the model (resolved before the first turn)
    QList<ToolCall> m_calls; // the running turn's tool calls
    int m_turn = 0;
    quint64 m_turnSerial = 0; // drops late answers of an earlier turn
    bool m_cancelling = false;
    QString m_startError; // found in start(), reported on the first llm step
    LlmCall *m_call = nullptr; // Owned (child) while running.
    ApiKeyLookup *m_keyLookup = nullptr; // Owned (child): the keychain read of the key.
    StepRecord m_llm; // the current attempt
    QElapsedTimer m_llmClock;
    QString m_text;
    bool m_dirty = false; // text not yet written to the store
    bool m_ended = false;
    bool m_requested = false; // the call was started (something may be billed)
    TokenUsage m_usage;
    std::optional<double> m_cost = 0.0;
    Done m_done;
};
