#pragma once

#include "core/engine/AgentRun.h"

#include <QStringList>

// An AgentRun::Host that records what a run reports (steps, chunks, charges) and applies a
// budget and tool overrides like an execution: the agent run tests, without engine or store.
struct RecordingHost final : AgentRun::Host
{
    StepRecord newStep(
        StepKind kind, const QString &name, const QString &parent, const QString &node) override
    {
        StepRecord s;
        s.id = QStringLiteral("s%1").arg(++n);
        s.stepNumber = n;
        s.kind = kind;
        s.name = name;
        s.parentStepId = parent;
        s.nodeId = node;
        s.status = StepStatus::Running;
        return s;
    }
    void stepStarted(StepRecord &s) override
    {
        s.startedAt = QDateTime::currentDateTimeUtc();
        log << QStringLiteral("start %1 %2").arg(toWire(s.kind)).arg(s.attempt);
    }
    void stepFinished(StepRecord &s, StepStatus status) override
    {
        s.status = status;
        s.completedAt = QDateTime::currentDateTimeUtc();
        s.executionTimeMs = s.startedAt.msecsTo(s.completedAt);
        log << QStringLiteral("end %1 %2").arg(toWire(s.kind), toWire(status));
        finished << s;
    }
    void chunk(const StepRecord &, const QString &text, int) override { streamed += text; }
    void charge(const TokenUsage &u, const std::optional<double> &c) override
    {
        tokens += u.outputTokens;
        cost += c.value_or(0);
    }
    bool cancelRequested() const override { return false; }
    QJsonObject toolOverrides() const override { return overrides; }
    QString takeToolCalls(int calls) override
    {
        toolCalls += calls;
        return maxToolCalls >= 0 && toolCalls > maxToolCalls ? QStringLiteral("over max_tool_calls")
                                                             : QString();
    }
    QString overBudget() const override
    {
        return maxCost >= 0 && cost > maxCost ? QStringLiteral("over max_cost_usd") : QString();
    }

    QList<StepRecord> finishedOf(StepKind kind) const
    {
        QList<StepRecord> out;
        for (const StepRecord &s : finished)
            if (s.kind == kind)
                out << s;
        return out;
    }

    int n = 0;
    QStringList log;
    QList<StepRecord> finished;
    QString streamed;
    qint64 tokens = 0;
    double cost = 0;
    QJsonObject overrides;
    int toolCalls = 0;
    int maxToolCalls = -1; // -1: none
    double maxCost = -1; // -1: none
};
