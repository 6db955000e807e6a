#pragma once

#include "core/api/ErrorCode.h"
#include "core/api/ExecutionRecord.h"
#include "core/api/ExecutionTypes.h"
#include "core/common/Result.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

#include <memory>
#include <optional>

// A payload held once and shared by the copies of an event (copy on write). Most events are
// chunks and carry none of the big payloads (a step, the figures, the header); holding them
// by pointer keeps an event small, which the event rate and the replay buffer depend on
// (tests/bench/bench_engine_events). Reads of an empty one see a default-constructed value.
template <typename T> class SharedPayload
{
public:
    SharedPayload() = default;
    SharedPayload(const T &value)
        : m_value(std::make_shared<const T>(value))
    {
    }
    SharedPayload(T &&value)
        : m_value(std::make_shared<const T>(std::move(value)))
    {
    }
    const T &operator*() const { return m_value ? *m_value : empty(); }
    const T *operator->() const { return &**this; }
    explicit operator bool() const { return bool(m_value); }
    void reset() { m_value.reset(); }
    // A private copy to change.
    T &edit()
    {
        auto own = std::make_shared<T>(**this);
        T &ref = *own;
        m_value = std::move(own);
        return ref;
    }

private:
    static const T &empty()
    {
        static const T value {};
        return value;
    }
    std::shared_ptr<const T> m_value;
};

// What an execution is, sent once with its first status event (`queued`) so that no view has
// to fetch it back from the store (docs/wire-protocol.md, "header").
struct ExecutionHeader
{
    QString organizationId, workspaceId; // the tenant it runs in
    QString agentId, orchestrationId, nodeId;
    TestMode testMode = TestMode::Unset;
    ExecutionType executionType = ExecutionType::Agent;
    TriggerType triggerType = TriggerType::Api;
    QString rerunOf;
    QJsonObject inputData; // the record's input_data
    QDateTime queuedAt;

    static ExecutionHeader of(const ExecutionRecord &record);
    void applyTo(ExecutionRecord &record) const;
    QJsonObject toJson() const; // record column names
    static ExecutionHeader fromJson(const QJsonObject &o);
};

// The figures of a finished execution, sent with `complete`.
struct ExecutionSummary
{
    QJsonObject outputData;
    qint64 inputTokens = 0, outputTokens = 0, cachedTokens = 0;
    bool tokensEstimated = false;
    std::optional<double> costUsd; // nullopt: some model had no price (null on the wire)
    qint64 executionTimeMs = 0;
    qint64 ttftMs = -1; // -1: no first token
    qint64 queueMs = 0;
    QString errorMessage;
    ErrorCode errorCode = ErrorCode::None;

    static ExecutionSummary of(const ExecutionRecord &record);
    void applyTo(ExecutionRecord &record) const;
};

// One execution event, the same definition in-process and on the wire (docs/wire-protocol.md).
// Every event carries its execution id and a gap-free per-execution seq starting at 1
// (seq 0 = unsequenced, from a minimal server: docs/wire-protocol.md). The payload is typed;
// JSON exists only at the wire (toJson / fromJson), used by the server, the remote backend
// and the runner's jsonl output.
struct ExecutionEvent
{
    enum class Type { Status, StepStarted, Chunk, StepCompleted, Complete, Error };

    Type type = Type::Status;
    QString executionId;
    qint64 seq = 0;

    // Status, Complete.
    ExecutionStatus status = ExecutionStatus::Queued;
    // Status: the first one (queued) carries the header (false when absent).
    SharedPayload<ExecutionHeader> header;
    // Status(running): how long it waited; -1 when not said.
    qint64 queueMs = -1;
    // Status (optional), Error.
    QString errorMessage;
    // StepStarted / StepCompleted: the step as it is now (its id is also in stepId).
    SharedPayload<StepRecord> step;
    // Chunk: the step the text belongs to, the text, its token count.
    QString stepId;
    QString content;
    int tokens = 0;
    // Complete.
    SharedPayload<ExecutionSummary> summary;
    // Error (a stream error, not an execution failure): the wire code ("not_found",
    // "bad_after_seq", …) and what it means.
    QString errorWireCode;
    ErrorCode errorCode = ErrorCode::None;

    static QString typeName(Type t); // "status", "step_started", "chunk", …
    QJsonObject toJson() const; // the wire object
    static Result<ExecutionEvent> fromJson(const QJsonObject &o);

    static ExecutionEvent makeStatus(const QString &executionId, ExecutionStatus status);
    static ExecutionEvent makeChunk(
        const QString &executionId, const QString &stepId, const QString &content, int tokens);
    static ExecutionEvent makeStep(Type type, const StepRecord &step); // StepStarted / StepCompleted
    static ExecutionEvent makeComplete(
        const QString &executionId, ExecutionStatus status, const ExecutionSummary &s);
    bool isTerminal() const { return type == Type::Complete; }
};

using ExecutionEventList = QList<ExecutionEvent>;
Q_DECLARE_METATYPE(ExecutionEvent)
Q_DECLARE_METATYPE(ExecutionEventList)
