#pragma once

#include "core/api/ErrorCode.h"
#include "core/api/ExecutionRecord.h"
#include "core/engine/StoreWriter.h"
#include "core/metering/Usage.h"
#include "core/model/Workspace.h"
#include "core/providers/CredentialPolicy.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>

#include <functional>
#include <optional>

class ApiKeyLookup;
class LlmCall;
class PricingTable;
class QNetworkAccessManager;
struct LlmRequest;
struct LlmResult;

// One agent task of an execution (docs/architecture.md, "Agent task"): builds the prompt,
// finds the API key (environment, or the keychain asynchronously), makes the call, records
// every failed attempt as its own failed `llm` step and the next attempt as a new one, parses
// the reply in a `parse` step and prices the tokens. It reports through its Host (steps, chunks,
// usage) and ends exactly once with an Outcome passed to the `done` callback.
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
    };

    struct Context
    {
        const ProviderConfig *provider = nullptr; // of the agent's model; nullptr: unknown
        CredentialTrust trust; // the decision in force when the execution was submitted
        const PricingTable *pricing = nullptr;
        QNetworkAccessManager *network = nullptr;
        StoreWriter *writer = nullptr; // partial outputs go there while the call runs (optional)
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
    // Aborts the call; the outcome (cancelled) follows, usually at once.
    void cancel();
    // Ends now as cancelled with the text so far, whatever the call does (shutdown).
    void abort();
    bool ended() const { return m_ended; }
    const AgentSpec &agent() const { return m_agent; }

    const StepRecord *takeDirtyPartial() override;

private:
    void startKeyLookup(const LlmRequest &request);
    void launch(const LlmRequest &request);
    void failLater(const QString &error);
    void onChunk(const QString &text, int tokens);
    void onAttemptFailed(int attempt, const QString &error);
    void onFinished(const LlmResult &result);
    std::optional<double> price(const LlmResult &result) const;
    void parse(Outcome &o);
    void end(Outcome o);

    Host &m_host;
    Context m_context;
    AgentSpec m_agent;
    QString m_nodeId, m_parentStepId;
    QJsonObject m_llmInput; // input_data of every llm attempt (never the key)
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
