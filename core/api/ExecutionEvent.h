#pragma once

#include "core/common/Result.h"

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

// One execution event, the same definition in-process and on the wire (docs/wire-protocol.md).
// Every event carries its execution id and a gap-free per-execution seq starting at 1
// (seq 0 = unsequenced, from a minimal server: docs/wire-protocol.md).
struct ExecutionEvent
{
    enum class Type { Status, StepStarted, Chunk, StepCompleted, Complete, Error };

    Type type = Type::Status;
    QString executionId;
    qint64 seq = 0;

    QString status; // Status, Complete: queued | running | completed | failed | cancelled | interrupted
    QString stepId; // Chunk: the step the text belongs to
    QString content; // Chunk
    int tokens = 0; // Chunk
    // StepStarted / StepCompleted: {"id","name","kind","node_id","parent_step_id","status",
    // "output_data",…} — StepRecord::toJson() keys.
    QJsonObject step;
    // Complete: output_data, input_tokens, output_tokens, cached_tokens, tokens_estimated,
    // cost_usd (null when unknown), execution_time_ms, ttft_ms, queue_ms, error_message.
    // Error: code, message. Status: optional error_message, queue_ms.
    QJsonObject data;

    static QString typeName(Type t); // "status", "step_started", "chunk", …
    QJsonObject toJson() const; // the wire object
    static Result<ExecutionEvent> fromJson(const QJsonObject &o);

    static ExecutionEvent makeStatus(const QString &executionId, const QString &status);
    static ExecutionEvent makeChunk(
        const QString &executionId, const QString &stepId, const QString &content, int tokens);
    bool isTerminal() const { return type == Type::Complete; }
};

using ExecutionEventList = QList<ExecutionEvent>;
Q_DECLARE_METATYPE(ExecutionEvent)
Q_DECLARE_METATYPE(ExecutionEventList)
