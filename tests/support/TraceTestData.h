#pragma once

#include "core/api/ExecutionRecord.h"

#include <QJsonArray>

// A synthetic workflow execution: `nodes` node steps, each with an llm step (every
// `retryEvery`-th node has a failed first attempt and a second one) and a parse step, spread
// over time like a fan-out run. Used by the trace model/view tests and the trace benchmark.
inline ExecutionRecord makeTraceRecord(
    int nodes, int retryEvery = 0, const QString &id = QStringLiteral("exec-trace"))
{
    const QDateTime base = QDateTime::fromMSecsSinceEpoch(1'790'000'000'000LL, Qt::UTC);
    ExecutionRecord e;
    e.id = id;
    e.workspaceId = QStringLiteral("demo");
    e.executionType = ExecutionType::Orchestration;
    e.orchestrationId = QStringLiteral("brief");
    e.testMode = TestMode::FullWorkflow;
    e.status = ExecutionStatus::Completed;
    e.queuedAt = base;
    e.queueMs = 12;
    e.startedAt = base.addMSecs(12);
    e.traceId = QStringLiteral("0af7651916cd43dd8448eb211c80319c");
    e.inputData = QJsonObject { { QStringLiteral("topic"), QStringLiteral("tides") } };
    e.outputData = QJsonObject { { QStringLiteral("verdict"), QStringLiteral("ok") } };
    e.steps.reserve(nodes * 3 + (retryEvery > 0 ? nodes / retryEvery + 1 : 0));
    int number = 0;
    qint64 lastEnd = 12;
    double cost = 0;
    for (int i = 0; i < nodes; ++i) {
        const qint64 start = 12 + qint64(i) * 7;
        StepRecord node;
        node.id = QStringLiteral("%1-n%2").arg(id).arg(i);
        node.executionId = e.id;
        node.kind = StepKind::Node;
        node.name = QStringLiteral("node%1").arg(i);
        node.nodeId = node.name;
        node.agentId = i % 2 ? QStringLiteral("critic") : QStringLiteral("writer");
        node.stepNumber = ++number;
        node.status = StepStatus::Completed;
        node.startedAt = base.addMSecs(start);
        node.inputData = QJsonObject { { QStringLiteral("topic"), QStringLiteral("tides %1").arg(i) } };
        e.steps.append(node);
        const int nodeIndex = int(e.steps.size()) - 1;

        qint64 t = start + 1;
        const bool retry = retryEvery > 0 && i % retryEvery == 0;
        for (int attempt = 1; attempt <= (retry ? 2 : 1); ++attempt) {
            StepRecord llm;
            llm.id = QStringLiteral("%1-l%2-%3").arg(id).arg(i).arg(attempt);
            llm.executionId = e.id;
            llm.parentStepId = node.id;
            llm.kind = StepKind::Llm;
            llm.name = QStringLiteral("chat");
            llm.nodeId = node.nodeId;
            llm.stepNumber = ++number;
            llm.attempt = attempt;
            llm.provider = QStringLiteral("openai");
            llm.model = QStringLiteral("gpt-4o-mini");
            llm.startedAt = base.addMSecs(t);
            llm.ttftMs = 40;
            llm.inputData = QJsonObject { { QStringLiteral("model"), QStringLiteral("gpt-4o-mini") },
                { QStringLiteral("messages"),
                    QJsonArray { QJsonObject { { QStringLiteral("role"), QStringLiteral("system") },
                                     { QStringLiteral("content"), QStringLiteral("You write briefs.") } },
                        QJsonObject { { QStringLiteral("role"), QStringLiteral("user") },
                            { QStringLiteral("content"), QStringLiteral("topic: tides %1").arg(i) } } } } };
            if (retry && attempt == 1) {
                llm.status = StepStatus::Failed;
                llm.errorMessage = QStringLiteral("openai: 429 rate_limit_exceeded: slow down");
                llm.executionTimeMs = 20;
            } else {
                llm.status = StepStatus::Completed;
                llm.executionTimeMs = 90;
                llm.inputTokens = 50;
                llm.outputTokens = 20;
                llm.cachedTokens = 10;
                llm.costUsd = 0.00002;
                cost += 0.00002;
                llm.outputData = QJsonObject { { QStringLiteral("text"),
                    QStringLiteral("{\"text\": \"draft %1\"}").arg(i) } };
            }
            llm.completedAt = llm.startedAt.addMSecs(llm.executionTimeMs);
            llm.tokensUsed = llm.inputTokens + llm.outputTokens;
            t += llm.executionTimeMs;
            e.steps.append(llm);
        }
        StepRecord parse;
        parse.id = QStringLiteral("%1-p%2").arg(id).arg(i);
        parse.executionId = e.id;
        parse.parentStepId = node.id;
        parse.kind = StepKind::Parse;
        parse.name = QStringLiteral("parse");
        parse.nodeId = node.nodeId;
        parse.stepNumber = ++number;
        parse.status = StepStatus::Completed;
        parse.startedAt = base.addMSecs(t);
        parse.completedAt = parse.startedAt.addMSecs(1);
        parse.executionTimeMs = 1;
        parse.outputData = QJsonObject { { QStringLiteral("text"), QStringLiteral("draft %1").arg(i) } };
        e.steps.append(parse);
        t += 1;

        StepRecord &n = e.steps[nodeIndex];
        n.completedAt = base.addMSecs(t);
        n.executionTimeMs = t - start;
        n.inputTokens = 50;
        n.outputTokens = 20;
        n.costUsd = 0.00002;
        n.outputData = QJsonObject { { QStringLiteral("text"), QStringLiteral("draft %1").arg(i) } };
        lastEnd = qMax(lastEnd, t);
    }
    e.completedAt = base.addMSecs(lastEnd + 2);
    e.executionTimeMs = lastEnd + 2 - 12;
    e.inputTokens = 50LL * nodes;
    e.outputTokens = 20LL * nodes;
    e.cachedTokens = 10LL * nodes;
    e.costUsd = cost;
    e.ttftMs = 41;
    return e;
}
