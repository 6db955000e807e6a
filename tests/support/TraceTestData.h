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

// A 1x1 red PNG, base64: the image block of tool results in tests.
inline QString tinyPngBase64()
{
    return QStringLiteral(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==");
}

// A synthetic agent run with tools: `turns` turns, each an llm step (80 ms, asking for one
// tool) followed by a tool step (20 ms) of source "orders" on tool "lookup_order" — siblings at
// the top level, like the agent loop records them. Every `errorEvery`-th tool step (if > 0) is
// an error result (status failed); the first tool result carries an image block. Used by the
// trace tests and the 200-turn trace benchmark.
inline ExecutionRecord makeToolTraceRecord(
    int turns, int errorEvery = 0, const QString &id = QStringLiteral("exec-tools"))
{
    const QDateTime base = QDateTime::fromMSecsSinceEpoch(1'790'000'000'000LL, Qt::UTC);
    ExecutionRecord e;
    e.id = id;
    e.workspaceId = QStringLiteral("demo");
    e.executionType = ExecutionType::Agent;
    e.agentId = QStringLiteral("order_agent");
    e.testMode = TestMode::SingleAgent;
    e.status = ExecutionStatus::Completed;
    e.queuedAt = base;
    e.startedAt = base.addMSecs(5);
    e.provider = QStringLiteral("scripted");
    e.model = QStringLiteral("scripted");
    e.traceId = QStringLiteral("4bf92f3577b34da6a3ce929d0e0e4736");
    e.inputData = QJsonObject { { QStringLiteral("question"), QStringLiteral("where is order 42?") } };
    e.outputData = QJsonObject { { QStringLiteral("answer"), QStringLiteral("shipped") } };
    e.steps.reserve(turns * 2);
    qint64 t = 5;
    int number = 0;
    for (int i = 0; i < turns; ++i) {
        const QString callId = QStringLiteral("call_%1").arg(i);
        StepRecord llm;
        llm.id = QStringLiteral("%1-l%2").arg(id).arg(i);
        llm.executionId = e.id;
        llm.agentId = e.agentId;
        llm.kind = StepKind::Llm;
        llm.name = QStringLiteral("chat");
        llm.stepNumber = ++number;
        llm.provider = e.provider;
        llm.model = e.model;
        llm.status = StepStatus::Completed;
        llm.startedAt = base.addMSecs(t);
        llm.executionTimeMs = 80;
        llm.completedAt = llm.startedAt.addMSecs(80);
        llm.inputTokens = 40;
        llm.outputTokens = 10;
        llm.tokensUsed = 50;
        llm.costUsd = 0.0;
        llm.inputData = QJsonObject { { QStringLiteral("messages"),
            QJsonArray { QJsonObject { { QStringLiteral("role"), QStringLiteral("user") },
                { QStringLiteral("content"), QStringLiteral("turn %1").arg(i) } } } } };
        llm.outputData = QJsonObject { { QStringLiteral("text"), QString() },
            { QStringLiteral("tool_calls"),
                QJsonArray { QJsonObject { { QStringLiteral("id"), callId },
                    { QStringLiteral("name"), QStringLiteral("lookup_order") } } } } };
        e.steps.append(llm);
        t += 80;

        StepRecord tool;
        tool.id = QStringLiteral("%1-t%2").arg(id).arg(i);
        tool.executionId = e.id;
        tool.agentId = e.agentId;
        tool.kind = StepKind::Tool;
        tool.name = QStringLiteral("lookup_order");
        tool.provider = QStringLiteral("orders");
        tool.stepNumber = ++number;
        tool.toolCallId = callId;
        tool.startedAt = base.addMSecs(t);
        tool.executionTimeMs = 20;
        tool.completedAt = tool.startedAt.addMSecs(20);
        tool.inputData = QJsonObject { { QStringLiteral("order_id"), 42 + i } };
        const bool error = errorEvery > 0 && (i + 1) % errorEvery == 0;
        if (error) {
            tool.status = StepStatus::Failed;
            tool.errorMessage = QStringLiteral("order %1 not found").arg(42 + i);
            tool.outputData = QJsonObject { { QStringLiteral("isError"), true },
                { QStringLiteral("content"),
                    QJsonArray { QJsonObject { { QStringLiteral("type"), QStringLiteral("text") },
                        { QStringLiteral("text"), tool.errorMessage } } } } };
        } else {
            tool.status = StepStatus::Completed;
            QJsonArray content { QJsonObject { { QStringLiteral("type"), QStringLiteral("text") },
                { QStringLiteral("text"), QStringLiteral("order %1: shipped").arg(42 + i) } } };
            if (i == 0)
                content.append(QJsonObject { { QStringLiteral("type"), QStringLiteral("image") },
                    { QStringLiteral("mimeType"), QStringLiteral("image/png") },
                    { QStringLiteral("data"), tinyPngBase64() } });
            tool.outputData
                = QJsonObject { { QStringLiteral("isError"), false }, { QStringLiteral("content"), content },
                      { QStringLiteral("structuredContent"),
                          QJsonObject { { QStringLiteral("status"), QStringLiteral("shipped") } } } };
        }
        e.steps.append(tool);
        t += 20;
    }
    e.completedAt = base.addMSecs(t);
    e.executionTimeMs = t - 5;
    e.inputTokens = 40LL * turns;
    e.outputTokens = 10LL * turns;
    e.costUsd = 0.0;
    return e;
}
