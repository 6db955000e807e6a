#include "core/api/ExecutionEvent.h"

#include <QJsonValue>

namespace {

struct TypeName
{
    ExecutionEvent::Type type;
    QLatin1String name;
};

constexpr TypeName kTypeNames[] = {
    { ExecutionEvent::Type::Status, QLatin1String("status") },
    { ExecutionEvent::Type::StepStarted, QLatin1String("step_started") },
    { ExecutionEvent::Type::Chunk, QLatin1String("chunk") },
    { ExecutionEvent::Type::StepCompleted, QLatin1String("step_completed") },
    { ExecutionEvent::Type::Complete, QLatin1String("complete") },
    { ExecutionEvent::Type::Error, QLatin1String("error") },
};

// Keys that toJson() writes itself; everything else of a status/complete/error object is `data`.
bool isEnvelopeKey(const QString &key)
{
    return key == QLatin1String("type") || key == QLatin1String("execution_id") || key == QLatin1String("seq")
        || key == QLatin1String("status");
}

} // namespace

QString ExecutionEvent::typeName(Type t)
{
    for (const TypeName &n : kTypeNames)
        if (n.type == t)
            return QString(n.name);
    return QStringLiteral("unknown");
}

QJsonObject ExecutionEvent::toJson() const
{
    QJsonObject o;
    // Status, Complete and Error carry their extra fields flat in the message (docs/wire-protocol.md).
    if (type == Type::Status || type == Type::Complete || type == Type::Error)
        o = data;
    o.insert(QStringLiteral("type"), typeName(type));
    if (!executionId.isEmpty())
        o.insert(QStringLiteral("execution_id"), executionId);
    if (seq > 0)
        o.insert(QStringLiteral("seq"), seq);
    switch (type) {
    case Type::Status:
    case Type::Complete:
        o.insert(QStringLiteral("status"), status);
        break;
    case Type::StepStarted:
    case Type::StepCompleted:
        o.insert(QStringLiteral("step"), step);
        break;
    case Type::Chunk:
        if (!stepId.isEmpty())
            o.insert(QStringLiteral("step_id"), stepId);
        o.insert(QStringLiteral("content"), content);
        o.insert(QStringLiteral("tokens"), tokens);
        break;
    case Type::Error:
        break;
    }
    return o;
}

Result<ExecutionEvent> ExecutionEvent::fromJson(const QJsonObject &o)
{
    const QJsonValue typeValue = o.value(QLatin1String("type"));
    if (!typeValue.isString())
        return Failure { QStringLiteral("event: missing \"type\"") };
    const QString name = typeValue.toString();
    ExecutionEvent e;
    bool known = false;
    for (const TypeName &n : kTypeNames) {
        if (name == n.name) {
            e.type = n.type;
            known = true;
            break;
        }
    }
    if (!known)
        return Failure { QStringLiteral("event: unknown type '%1'").arg(name) };

    const QJsonValue idValue = o.value(QLatin1String("execution_id"));
    if (!idValue.isUndefined() && !idValue.isNull() && !idValue.isString())
        return Failure { QStringLiteral("event.execution_id: expected a string") };
    e.executionId = idValue.toString();

    const QJsonValue seqValue = o.value(QLatin1String("seq"));
    if (!seqValue.isUndefined() && !seqValue.isNull()) {
        if (!seqValue.isDouble() || seqValue.toDouble() < 0
            || seqValue.toDouble() != double(qint64(seqValue.toDouble())))
            return Failure { QStringLiteral("event.seq: expected a non-negative integer") };
        e.seq = qint64(seqValue.toDouble());
    }

    switch (e.type) {
    case Type::Status:
    case Type::Complete:
    case Type::Error:
        for (auto it = o.begin(); it != o.end(); ++it)
            if (!isEnvelopeKey(it.key()))
                e.data.insert(it.key(), it.value());
        e.status = o.value(QLatin1String("status")).toString();
        if (e.type == Type::Status && e.status.isEmpty())
            return Failure { QStringLiteral("event.status: missing") };
        // A minimal server (no seq) sends {"type":"complete","execution_id"} with no status.
        if (e.type == Type::Complete && e.status.isEmpty())
            e.status = QStringLiteral("completed");
        break;
    case Type::StepStarted:
    case Type::StepCompleted: {
        const QJsonValue s = o.value(QLatin1String("step"));
        if (!s.isObject())
            return Failure { QStringLiteral("event.step: expected an object") };
        e.step = s.toObject();
        e.stepId = e.step.value(QLatin1String("id")).toString();
        break;
    }
    case Type::Chunk: {
        const QJsonValue c = o.value(QLatin1String("content"));
        if (!c.isString())
            return Failure { QStringLiteral("event.content: expected a string") };
        e.content = c.toString();
        e.stepId = o.value(QLatin1String("step_id")).toString();
        const QJsonValue t = o.value(QLatin1String("tokens"));
        if (!t.isUndefined() && !t.isNull() && !t.isDouble())
            return Failure { QStringLiteral("event.tokens: expected a number") };
        e.tokens = t.toInt();
        break;
    }
    }
    return e;
}

ExecutionEvent ExecutionEvent::makeStatus(const QString &executionId, const QString &status)
{
    ExecutionEvent e;
    e.type = Type::Status;
    e.executionId = executionId;
    e.status = status;
    return e;
}

ExecutionEvent ExecutionEvent::makeChunk(
    const QString &executionId, const QString &stepId, const QString &content, int tokens)
{
    ExecutionEvent e;
    e.type = Type::Chunk;
    e.executionId = executionId;
    e.stepId = stepId;
    e.content = content;
    e.tokens = tokens;
    return e;
}
