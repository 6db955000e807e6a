#pragma once

#include "core/common/Result.h"
#include "core/model/Workspace.h"

#include <QJsonObject>
#include <QString>

#include <optional>

// One variant of an agent in the Single Agent side-by-side comparison (docs/side-by-side.md):
// what it changes of the agent — instructions, provider and model name, temperature, max
// tokens. An unset temperature or max tokens means "as the agent has it" both when it runs and
// when it is kept. Plain value, any thread.
struct VariantSpec
{
    QString name;
    QString instructions;
    QString provider; // a provider id of the workspace
    QString model; // model name
    std::optional<double> temperature;
    std::optional<int> maxTokens;

    static constexpr int MaxVariants = 4;

    // The agent as it is (its instructions and model settings), named `name`.
    static VariantSpec fromAgent(const AgentSpec &agent, const QString &name);

    // The request's agent_overrides for running this variant of `agent`:
    // {agent id: {"instructions"?, "model"?: {"provider", "name", "temperature"?, "max_tokens"?}}},
    // only what differs from the agent; empty for the agent as it is.
    QJsonObject overridesFor(const AgentSpec &agent) const;
    // `agent` with this variant's settings written into it (other keys of its model object,
    // scripted options for instance, stay).
    AgentSpec appliedTo(const AgentSpec &agent) const;
    // `workspace` with agent `agentId` replaced by appliedTo(); fails, naming the agent, when
    // the agent is not there or the result does not validate (every problem of that agent, with
    // its JSON path).
    Result<Workspace> keptIn(const Workspace &workspace, const QString &agentId) const;
    // "offline · scripted · temperature 0.7 · max 512 tokens"
    QString summary() const;

    bool operator==(const VariantSpec &o) const = default;
};
