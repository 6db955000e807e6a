#include "core/store/StoreRows.h"

#include "core/common/Util.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>

namespace storerows {

namespace {
// NULL for "nothing" so the columns read naturally in SQL (agent_id IS NULL, not '').
QVariant textOrNull(const QString &s)
{
    return s.isEmpty() ? QVariant() : QVariant(s);
}

QVariant timeOrNull(const QDateTime &t)
{
    return t.isValid() ? QVariant(as::isoTime(t)) : QVariant();
}

QVariant costOrNull(const std::optional<double> &c)
{
    return c ? QVariant(*c) : QVariant();
}

QVariant msOrNull(qint64 ms)
{
    return ms < 0 ? QVariant() : QVariant(ms);
}

QJsonObject jsonObject(const QVariant &v)
{
    return as::parseJsonValue(v.toString()).toObject();
}

std::optional<double> optionalDouble(const QVariant &v)
{
    if (v.isNull())
        return std::nullopt;
    return v.toDouble();
}

QDateTime timeValue(const QVariant &v)
{
    return v.isNull() ? QDateTime() : as::parseIsoTime(v.toString());
}

} // namespace

// Values in the order of storeschema::executionColumns().
QVariantList executionValues(const ExecutionRecord &e)
{
    return {
        e.id,
        e.organizationId.isEmpty() ? QStringLiteral("local") : e.organizationId,
        e.workspaceId.isNull() ? QStringLiteral("") : e.workspaceId,
        textOrNull(e.gatewayId),
        toWire(e.executionType),
        textOrNull(e.agentId),
        textOrNull(e.orchestrationId),
        textOrNull(e.version),
        textOrNull(e.triggeredBy),
        toWire(e.triggerType),
        as::compactJson(e.inputData),
        as::compactJson(e.outputData),
        toWire(e.status),
        textOrNull(e.errorMessage),
        e.queuedAt.isValid() ? as::isoTime(e.queuedAt) : as::nowIso(),
        timeOrNull(e.startedAt),
        timeOrNull(e.completedAt),
        e.executionTimeMs,
        e.inputTokens,
        e.outputTokens,
        costOrNull(e.costUsd),
        textOrNull(e.traceId),
        textOrNull(toWire(e.testMode)),
        textOrNull(e.nodeId),
        textOrNull(e.provider),
        textOrNull(e.model),
        e.queueMs,
        msOrNull(e.ttftMs),
        e.cachedTokens,
        int(e.tokensEstimated),
        textOrNull(e.rerunOf),
        textOrNull(e.conversationId),
        e.turn,
        e.toolOverrides.isEmpty() ? QVariant() : QVariant(as::compactJson(e.toolOverrides)),
        e.budget.isEmpty() ? QVariant() : QVariant(as::compactJson(e.budget)),
    };
}

ExecutionRecord executionFromRow(const QSqlQuery &q)
{
    ExecutionRecord e;
    int i = 0;
    e.id = q.value(i++).toString();
    e.organizationId = q.value(i++).toString();
    e.workspaceId = q.value(i++).toString();
    e.gatewayId = q.value(i++).toString();
    e.executionType = fromWireOr(q.value(i++).toString(), ExecutionType::Agent);
    e.agentId = q.value(i++).toString();
    e.orchestrationId = q.value(i++).toString();
    e.version = q.value(i++).toString();
    e.triggeredBy = q.value(i++).toString();
    e.triggerType = fromWireOr(q.value(i++).toString(), TriggerType::Api);
    e.inputData = jsonObject(q.value(i++));
    e.outputData = jsonObject(q.value(i++));
    e.status = fromWireOr(q.value(i++).toString(), ExecutionStatus::Failed);
    e.errorMessage = q.value(i++).toString();
    e.queuedAt = timeValue(q.value(i++));
    e.startedAt = timeValue(q.value(i++));
    e.completedAt = timeValue(q.value(i++));
    e.executionTimeMs = q.value(i++).toLongLong();
    e.inputTokens = q.value(i++).toLongLong();
    e.outputTokens = q.value(i++).toLongLong();
    e.costUsd = optionalDouble(q.value(i++));
    e.traceId = q.value(i++).toString();
    e.testMode = fromWireOr(q.value(i++).toString(), TestMode::Unset);
    e.nodeId = q.value(i++).toString();
    e.provider = q.value(i++).toString();
    e.model = q.value(i++).toString();
    e.queueMs = q.value(i++).toLongLong();
    const QVariant ttft = q.value(i++);
    e.ttftMs = ttft.isNull() ? -1 : ttft.toLongLong();
    e.cachedTokens = q.value(i++).toLongLong();
    e.tokensEstimated = q.value(i++).toInt() != 0;
    e.rerunOf = q.value(i++).toString();
    e.conversationId = q.value(i++).toString();
    e.turn = q.value(i++).toInt();
    e.toolOverrides = jsonObject(q.value(i++));
    e.budget = jsonObject(q.value(i++));
    return e;
}

// Values in the order of storeschema::stepColumns().
QVariantList stepValues(const StepRecord &s)
{
    return {
        s.id,
        s.executionId,
        textOrNull(s.agentId),
        s.stepNumber,
        as::compactJson(s.inputData),
        as::compactJson(s.outputData),
        toWire(s.status),
        timeOrNull(s.startedAt),
        timeOrNull(s.completedAt),
        s.executionTimeMs,
        s.tokensUsed,
        costOrNull(s.costUsd),
        textOrNull(s.parentStepId),
        textOrNull(s.spanId),
        toWire(s.kind),
        textOrNull(s.name),
        textOrNull(s.nodeId),
        textOrNull(s.provider),
        textOrNull(s.model),
        s.inputTokens,
        s.outputTokens,
        s.cachedTokens,
        s.reasoningTokens,
        int(s.tokensEstimated),
        msOrNull(s.ttftMs),
        s.attempt,
        textOrNull(s.errorMessage),
        textOrNull(s.toolCallId),
    };
}

StepRecord stepFromRow(const QSqlQuery &q)
{
    StepRecord s;
    int i = 0;
    s.id = q.value(i++).toString();
    s.executionId = q.value(i++).toString();
    s.agentId = q.value(i++).toString();
    s.stepNumber = q.value(i++).toInt();
    s.inputData = jsonObject(q.value(i++));
    s.outputData = jsonObject(q.value(i++));
    s.status = fromWireOr(q.value(i++).toString(), StepStatus::Failed);
    s.startedAt = timeValue(q.value(i++));
    s.completedAt = timeValue(q.value(i++));
    s.executionTimeMs = q.value(i++).toLongLong();
    s.tokensUsed = q.value(i++).toLongLong();
    s.costUsd = optionalDouble(q.value(i++));
    s.parentStepId = q.value(i++).toString();
    s.spanId = q.value(i++).toString();
    s.kind = fromWireOr(q.value(i++).toString(), StepKind::Llm);
    s.name = q.value(i++).toString();
    s.nodeId = q.value(i++).toString();
    s.provider = q.value(i++).toString();
    s.model = q.value(i++).toString();
    s.inputTokens = q.value(i++).toLongLong();
    s.outputTokens = q.value(i++).toLongLong();
    s.cachedTokens = q.value(i++).toLongLong();
    s.reasoningTokens = q.value(i++).toLongLong();
    s.tokensEstimated = q.value(i++).toInt() != 0;
    const QVariant ttft = q.value(i++);
    s.ttftMs = ttft.isNull() ? -1 : ttft.toLongLong();
    s.attempt = q.value(i++).toInt();
    s.errorMessage = q.value(i++).toString();
    s.toolCallId = q.value(i++).toString();
    return s;
}

// A history query's own organization / workspace filters against the scope: within a
// workspace scope they are implied by it (dropped; scopeClause says them) or ask for another
// tenant, where there is nothing to find (no query).
std::optional<HistoryQuery> withinScope(const StoreScope &scope, const HistoryQuery &q)
{
    if (scope.isEveryWorkspace())
        return q;
    if ((!q.organizationId.isEmpty() && q.organizationId != scope.organizationId())
        || (!q.workspaceId.isEmpty() && q.workspaceId != scope.workspaceId()))
        return std::nullopt;
    HistoryQuery scoped = q;
    scoped.organizationId.clear();
    scoped.workspaceId.clear();
    return scoped;
}

// Cursor: base64url of the compact JSON [sort key, id] of the last row of a page.
QString encodeCursor(const QVariant &key, const QString &id, bool numeric)
{
    const QJsonArray a { numeric ? QJsonValue(key.toDouble()) : QJsonValue(key.toString()), id };
    return QString::fromLatin1(QJsonDocument(a)
                                   .toJson(QJsonDocument::Compact)
                                   .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

bool decodeCursor(const QString &cursor, bool numeric, QVariant *key, QString *id)
{
    const auto decoded = QByteArray::fromBase64Encoding(
        cursor.toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return false;
    const QJsonDocument doc = QJsonDocument::fromJson(*decoded);
    const QJsonArray a = doc.array();
    if (a.size() != 2 || !a.at(1).isString() || (numeric ? !a.at(0).isDouble() : !a.at(0).isString()))
        return false;
    *key = numeric ? QVariant(a.at(0).toDouble()) : QVariant(a.at(0).toString());
    *id = a.at(1).toString();
    return true;
}

namespace {

// NOT NULL text columns: a null QString would bind as NULL.
QString text(const QString &s)
{
    return s.isNull() ? QStringLiteral("") : s;
}

} // namespace

// Values in the order of storeschema::evalRunColumns().
QVariantList runValues(const EvalRunRecord &r)
{
    return { r.id, text(r.name), text(r.datasetPath), text(r.datasetSha256), as::compactJson(r.dataset),
        as::compactJson(r.target), as::compactJson(QJsonArray::fromStringList(r.variants)), r.repeat,
        r.concurrency, toWire(r.cacheMode), toWire(r.status), textOrNull(r.error),
        r.organizationId.isEmpty() ? QStringLiteral("local") : r.organizationId,
        r.workspaceId.isNull() ? QStringLiteral("") : r.workspaceId,
        r.backend.isEmpty() ? QStringLiteral("local") : r.backend, textOrNull(r.baselineId),
        r.startedAt.isValid() ? as::isoTime(r.startedAt) : as::nowIso(), timeOrNull(r.completedAt), r.total,
        r.passed, r.failed, r.errored, r.skipped, r.tokens, costOrNull(r.costUsd), r.judgeTokens,
        costOrNull(r.judgeCostUsd), msOrNull(r.wallMs) };
}

EvalRunRecord runFromRow(const QSqlQuery &q)
{
    EvalRunRecord r;
    int i = 0;
    r.id = q.value(i++).toString();
    r.name = q.value(i++).toString();
    r.datasetPath = q.value(i++).toString();
    r.datasetSha256 = q.value(i++).toString();
    r.dataset = as::parseJsonValue(q.value(i++).toString()).toObject();
    r.target = as::parseJsonValue(q.value(i++).toString()).toObject();
    for (const QJsonValue &v : as::parseJsonValue(q.value(i++).toString()).toArray())
        r.variants.append(v.toString());
    r.repeat = q.value(i++).toInt();
    r.concurrency = q.value(i++).toInt();
    r.cacheMode = cacheModeFromWire(q.value(i++).toString()).value_or(CacheMode::Off);
    r.status = evalRunStatusFromWire(q.value(i++).toString()).value_or(EvalRunStatus::Failed);
    r.error = q.value(i++).toString();
    r.organizationId = q.value(i++).toString();
    r.workspaceId = q.value(i++).toString();
    r.backend = q.value(i++).toString();
    r.baselineId = q.value(i++).toString();
    r.startedAt = timeValue(q.value(i++));
    r.completedAt = timeValue(q.value(i++));
    r.total = q.value(i++).toInt();
    r.passed = q.value(i++).toInt();
    r.failed = q.value(i++).toInt();
    r.errored = q.value(i++).toInt();
    r.skipped = q.value(i++).toInt();
    r.tokens = q.value(i++).toLongLong();
    r.costUsd = optionalDouble(q.value(i++));
    r.judgeTokens = q.value(i++).toLongLong();
    r.judgeCostUsd = optionalDouble(q.value(i++));
    const QVariant wall = q.value(i++);
    r.wallMs = wall.isNull() ? -1 : wall.toLongLong();
    return r;
}

// Values in the order of storeschema::evalResultColumns().
QVariantList resultValues(const EvalResultRecord &r)
{
    QJsonArray assertions;
    for (const AssertionOutcome &a : r.assertions)
        assertions.append(a.toJson());
    // The output keeps its JSON type (object, text, number…) in a one-element array.
    const QVariant output = r.output.isNull() || r.output.isUndefined()
        ? QVariant()
        : QVariant(as::compactJson(QJsonArray { r.output }));
    return { r.evalRunId, r.caseId, text(r.variant), r.repeatIndex, r.caseOrder, textOrNull(r.executionId),
        toWire(r.outcome), r.score, textOrNull(r.errorKind), textOrNull(r.error), textOrNull(r.status),
        msOrNull(r.latencyMs), r.tokens, costOrNull(r.costUsd), r.judgeTokens, costOrNull(r.judgeCostUsd),
        int(r.cached), as::compactJson(assertions), output, timeOrNull(r.completedAt) };
}

EvalResultRecord resultFromRow(const QSqlQuery &q)
{
    EvalResultRecord r;
    int i = 0;
    r.evalRunId = q.value(i++).toString();
    r.caseId = q.value(i++).toString();
    r.variant = q.value(i++).toString();
    r.repeatIndex = q.value(i++).toInt();
    r.caseOrder = q.value(i++).toInt();
    r.executionId = q.value(i++).toString();
    r.outcome = evalOutcomeFromWire(q.value(i++).toString()).value_or(EvalOutcome::Error);
    r.score = q.value(i++).toDouble();
    r.errorKind = q.value(i++).toString();
    r.error = q.value(i++).toString();
    r.status = q.value(i++).toString();
    const QVariant latency = q.value(i++);
    r.latencyMs = latency.isNull() ? -1 : latency.toLongLong();
    r.tokens = q.value(i++).toLongLong();
    r.costUsd = optionalDouble(q.value(i++));
    r.judgeTokens = q.value(i++).toLongLong();
    r.judgeCostUsd = optionalDouble(q.value(i++));
    r.cached = q.value(i++).toInt() != 0;
    for (const QJsonValue &a : as::parseJsonValue(q.value(i++).toString()).toArray())
        r.assertions.append(AssertionOutcome::fromJson(a.toObject()));
    const QVariant output = q.value(i++);
    r.output = output.isNull() ? QJsonValue() : as::parseJsonValue(output.toString()).toArray().at(0);
    r.completedAt = timeValue(q.value(i++));
    return r;
}

} // namespace storerows
