#pragma once

#include "core/api/ExecutionTypes.h"

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

    QJsonObject toJson() const;
    static ExecutionRequest fromJson(const QJsonObject &o);
    // testMode, or the mode the ids imply when it is Unset.
    TestMode effectiveTestMode() const;
};
