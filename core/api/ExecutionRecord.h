#pragma once

#include "core/api/ErrorCode.h"
#include "core/api/ExecutionTypes.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

// One row of `execution_steps` (docs/store.md). Times are UTC; JSON columns are objects here.
struct StepRecord
{
    QString id; // UUID
    QString executionId;
    QString agentId;
    int stepNumber = 0; // 1-based, in the order steps started
    QJsonObject inputData; // for llm steps: {"messages":[…], "model":…}
    QJsonObject outputData; // for llm steps: {"text": raw reply}; parse: parsed outputs
    StepStatus status = StepStatus::Running;
    QDateTime startedAt, completedAt;
    qint64 executionTimeMs = 0;
    qint64 tokensUsed = 0; // input + output
    std::optional<double> costUsd; // null = unknown price
    QString parentStepId;
    QString spanId; // 16 hex
    StepKind kind = StepKind::Llm;
    QString name;
    QString nodeId;
    QString provider, model;
    qint64 inputTokens = 0, outputTokens = 0;
    qint64 cachedTokens = 0, reasoningTokens = 0; // extra detail, kept in the row too
    bool tokensEstimated = false;
    qint64 ttftMs = -1; // -1 = none
    int attempt = 1;
    QString errorMessage;
    QString toolCallId; // tool steps: the id the model gave the call (tool_call_id)

    // Column names as keys, input_data/output_data as objects, times ISO strings,
    // cost_usd null when unknown.
    QJsonObject toJson() const;
    static StepRecord fromJson(const QJsonObject &o);
};

// One row of `executions` (docs/store.md), optionally with its steps.
struct ExecutionRecord
{
    QString id;
    QString organizationId = QStringLiteral("local");
    QString workspaceId;
    QString gatewayId;
    ExecutionType executionType = ExecutionType::Agent;
    QString agentId, orchestrationId;
    QString version;
    QString triggeredBy;
    TriggerType triggerType = TriggerType::Api;
    QJsonObject inputData, outputData;
    ExecutionStatus status = ExecutionStatus::Queued;
    QString errorMessage;
    // Why it failed (in memory and on the wire in `complete`; not a column): None unless failed
    // or cancelled.
    ErrorCode errorCode = ErrorCode::None;
    QDateTime queuedAt, startedAt, completedAt;
    qint64 executionTimeMs = 0;
    qint64 inputTokens = 0, outputTokens = 0;
    std::optional<double> costUsd; // null = unknown (some model had no price)
    QString traceId; // 32 hex
    TestMode testMode = TestMode::Unset;
    QString nodeId;
    QString provider, model;
    qint64 queueMs = 0;
    qint64 ttftMs = -1; // -1 = none
    qint64 cachedTokens = 0;
    bool tokensEstimated = false;
    QString rerunOf;
    // A conversation is a chain of executions (docs/tools.md): the id shared by its turns
    // (the first execution's id) and this execution's 1-based turn (0: not a conversation).
    QString conversationId;
    int turn = 0;
    QJsonObject toolOverrides; // the run's tool_overrides, as requested
    QJsonObject budget; // the run's budget, as requested
    QList<StepRecord> steps;

    QJsonObject toJson(bool withSteps) const; // "steps": [...] only when withSteps
    static ExecutionRecord fromJson(const QJsonObject &o);
};

// Filters of the history list (docs/wire-protocol.md `GET /api/executions`, runner `history`).
struct HistoryQuery
{
    QString organizationId, workspaceId; // empty = any
    QList<ExecutionStatus> statuses; // empty = any
    std::optional<ExecutionType> executionType;
    std::optional<TestMode> testMode;
    std::optional<TriggerType> triggerType;
    QString agentId, orchestrationId;
    QString search; // FTS5 query over inputs, outputs, errors
    QDateTime since, until; // on queued_at
    std::optional<double> minCost, maxCost;
    std::optional<qint64> minLatencyMs, maxLatencyMs;
    enum class Sort { NewestFirst, OldestFirst, CostDesc, LatencyDesc } sort = Sort::NewestFirst;
    int limit = 50;
    QString cursor; // opaque, from HistoryPage::nextCursor
};

struct HistoryPage
{
    QList<ExecutionRecord> items; // without steps
    QString nextCursor; // empty when there is no more
};
