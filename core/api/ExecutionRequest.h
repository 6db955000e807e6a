#pragma once

#include "core/api/ExecutionTypes.h"
#include "core/api/ResponseCache.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <optional>

// Limits of one run (docs/tools.md): exceeding one ends the run failed with the reason.
struct ExecutionBudget
{
    std::optional<double> maxCostUsd; // max_cost_usd
    std::optional<int> maxToolCalls; // max_tool_calls
    bool isEmpty() const { return !maxCostUsd && !maxToolCalls; }
    QJsonObject toJson() const;
    static ExecutionBudget fromJson(const QJsonObject &o);
    // Reads a request's budget strictly: why it does not fit ("budget.max_tool_calls:
    // expected an integer >= 0"), or "" with *out set.
    static QString parse(const QJsonObject &o, ExecutionBudget *out);
};

// Why one tool_overrides entry does not fit ({"result"} | {"error": string} | {"latency_ms":
// integer >= 0}, latency_ms combinable with either), naming `path` ("tool_overrides.weather");
// "" when it fits.
QString toolOverrideProblem(const QString &path, const QJsonValue &entry);

// What to run (docs/architecture.md). Exactly one of agentId / orchestrationId is set.
struct ExecutionRequest
{
    QString agentId;
    QString orchestrationId;
    QString nodeId; // with orchestrationId: Node in Context
    QJsonObject inputs; // agent inputs, workflow inputs, or the node's own inputs
    QJsonObject upstream; // Node in Context: values of the node inputs that edges feed
    TestMode testMode = TestMode::Unset; // Unset: derived from the ids
    TriggerType triggerType = TriggerType::TestPanel;
    QString triggeredBy;
    QString rerunOf; // execution id this re-runs
    QString executionId; // empty: assigned by the backend
    // Per-run tool overrides (docs/tools.md): tool name -> {"result": any} | {"error": "..."}
    // | {"latency_ms": N}; recorded in the execution.
    QJsonObject toolOverrides;
    ExecutionBudget budget;
    // Continue a conversation: the execution to continue and the new user message.
    QString conversationOf; // conversation_of
    QString message;

    // Evaluations (docs/evaluations.md). All optional; absent keys leave a request as before.
    // execution_type: "test" for eval case runs and judges (default: derived from the target).
    std::optional<ExecutionType> executionType;
    // agent_overrides: what a variant changes, keyed by agent id (Single Agent) or node id
    // (workflow, Node in Context): {"instructions"?: str, "prompt"?: str, "model"?: {partial
    // model object: provider, name, temperature, max_tokens, …}}. Applied to this run only.
    QJsonObject agentOverrides;
    // agent_spec: an agent given inline in the workspace format (with "id"), run instead of a
    // workspace agent (judges by model, promptfoo prompts). agentId is then empty or its id.
    QJsonObject agentSpec;
    // providers: extra provider entries (workspace format) the inline agent may name. The
    // embedded engine only: a server refuses them (it would send its keys elsewhere).
    QJsonArray providers;
    // response_cache: read or record provider answers (docs/evaluations.md).
    ResponseCacheOptions responseCache;

    QJsonObject toJson() const;
    static ExecutionRequest fromJson(const QJsonObject &o);
    // testMode, or the mode the ids imply when it is Unset.
    TestMode effectiveTestMode() const;
};
