#include "core/api/EvalTypes.h"

#include "core/api/JsonFields.h"
#include "core/common/Util.h"

#include <QCryptographicHash>
#include <QJsonDocument>

namespace {

template <typename E, size_t N> QString wireOf(E value, const char *const (&names)[N])
{
    const size_t i = size_t(value);
    return i < N ? QString::fromLatin1(names[i]) : QString();
}

template <typename E, size_t N> std::optional<E> enumOf(QStringView text, const char *const (&names)[N])
{
    for (size_t i = 0; i < N; ++i)
        if (text == QLatin1String(names[i]))
            return E(i);
    return std::nullopt;
}

const char *const kCacheModes[] = { "off", "read", "write", "readwrite" };
const char *const kOutcomes[] = { "pass", "fail", "error", "skipped" };
const char *const kRunStatuses[] = { "running", "completed", "cancelled", "failed", "interrupted" };

QJsonValue textOrNull(const QString &s)
{
    return jsonfield::textOrNull(s);
}

} // namespace

QString toWire(CacheMode m)
{
    return wireOf(m, kCacheModes);
}
std::optional<CacheMode> cacheModeFromWire(QStringView text)
{
    return enumOf<CacheMode>(text, kCacheModes);
}
QString toWire(EvalOutcome o)
{
    return wireOf(o, kOutcomes);
}
QString toWire(EvalRunStatus s)
{
    return wireOf(s, kRunStatuses);
}
std::optional<EvalOutcome> evalOutcomeFromWire(QStringView text)
{
    return enumOf<EvalOutcome>(text, kOutcomes);
}
std::optional<EvalRunStatus> evalRunStatusFromWire(QStringView text)
{
    return enumOf<EvalRunStatus>(text, kRunStatuses);
}

QJsonObject ResponseCacheOptions::toJson() const
{
    QJsonObject o { { QStringLiteral("mode"), toWire(mode) } };
    if (!file.isEmpty())
        o.insert(QStringLiteral("file"), file);
    if (!nameSpace.isEmpty())
        o.insert(QStringLiteral("namespace"), nameSpace);
    return o;
}

ResponseCacheOptions ResponseCacheOptions::fromJson(const QJsonObject &o)
{
    ResponseCacheOptions r;
    r.mode = cacheModeFromWire(o.value(QLatin1String("mode")).toString()).value_or(CacheMode::Off);
    r.file = o.value(QLatin1String("file")).toString();
    r.nameSpace = o.value(QLatin1String("namespace")).toString();
    return r;
}

QByteArray ResponseCache::key(const QString &providerKind, const QString &baseUrl, const QString &model,
    const QByteArray &body, const QString &nameSpace)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &pe);
    QJsonValue bodyValue;
    if (pe.error == QJsonParseError::NoError && doc.isObject())
        bodyValue = doc.object();
    else if (pe.error == QJsonParseError::NoError && doc.isArray())
        bodyValue = doc.array();
    else
        bodyValue = QString::fromUtf8(body);
    // QJsonObject keeps keys sorted, so the compact text is canonical.
    const QJsonObject k { { QStringLiteral("v"), 1 }, { QStringLiteral("provider"), providerKind },
        { QStringLiteral("base_url"), baseUrl }, { QStringLiteral("model"), model },
        { QStringLiteral("body"), bodyValue }, { QStringLiteral("ns"), nameSpace } };
    return QCryptographicHash::hash(
        QJsonDocument(k).toJson(QJsonDocument::Compact), QCryptographicHash::Sha256)
        .toHex();
}

QJsonObject JudgeSample::toJson() const
{
    return QJsonObject { { QStringLiteral("execution_id"), textOrNull(executionId) },
        { QStringLiteral("parsed"), parsed }, { QStringLiteral("pass"), pass },
        { QStringLiteral("score"), score }, { QStringLiteral("reason"), reason },
        { QStringLiteral("error"), textOrNull(error) }, { QStringLiteral("tokens"), tokens },
        { QStringLiteral("cost_usd"), jsonfield::costToJson(costUsd) },
        { QStringLiteral("cached"), cached } };
}

JudgeSample JudgeSample::fromJson(const QJsonObject &o)
{
    JudgeSample s;
    s.executionId = o.value(QLatin1String("execution_id")).toString();
    s.parsed = o.value(QLatin1String("parsed")).toBool();
    s.pass = o.value(QLatin1String("pass")).toBool();
    s.score = o.value(QLatin1String("score")).toDouble();
    s.reason = o.value(QLatin1String("reason")).toString();
    s.error = o.value(QLatin1String("error")).toString();
    s.tokens = jsonfield::integerOr(o.value(QLatin1String("tokens")), 0);
    s.costUsd = jsonfield::costFromJson(o.value(QLatin1String("cost_usd")));
    s.cached = o.value(QLatin1String("cached")).toBool();
    return s;
}

QJsonObject AssertionOutcome::toJson() const
{
    QJsonObject o { { QStringLiteral("index"), index }, { QStringLiteral("type"), type },
        { QStringLiteral("label"), label }, { QStringLiteral("pass"), pass },
        { QStringLiteral("score"), score }, { QStringLiteral("weight"), weight },
        { QStringLiteral("reason"), reason } };
    if (!metric.isEmpty())
        o.insert(QStringLiteral("metric"), metric);
    if (!error.isEmpty()) {
        o.insert(QStringLiteral("error"), error);
        o.insert(QStringLiteral("error_kind"), errorKind);
    }
    if (!judgeSamples.isEmpty()) {
        QJsonArray samples;
        for (const JudgeSample &s : judgeSamples)
            samples.append(s.toJson());
        o.insert(QStringLiteral("judge_samples"), samples);
        o.insert(QStringLiteral("judge_tokens"), judgeTokens);
        o.insert(QStringLiteral("judge_cost_usd"), jsonfield::costToJson(judgeCostUsd));
    }
    return o;
}

AssertionOutcome AssertionOutcome::fromJson(const QJsonObject &o)
{
    AssertionOutcome a;
    a.index = o.value(QLatin1String("index")).toInt();
    a.type = o.value(QLatin1String("type")).toString();
    a.label = o.value(QLatin1String("label")).toString();
    a.pass = o.value(QLatin1String("pass")).toBool();
    a.score = o.value(QLatin1String("score")).toDouble();
    a.weight = o.value(QLatin1String("weight")).toDouble(1);
    a.metric = o.value(QLatin1String("metric")).toString();
    a.reason = o.value(QLatin1String("reason")).toString();
    a.error = o.value(QLatin1String("error")).toString();
    a.errorKind = o.value(QLatin1String("error_kind")).toString();
    for (const QJsonValue &v : o.value(QLatin1String("judge_samples")).toArray())
        a.judgeSamples.append(JudgeSample::fromJson(v.toObject()));
    a.judgeTokens = jsonfield::integerOr(o.value(QLatin1String("judge_tokens")), 0);
    a.judgeCostUsd = jsonfield::costFromJson(o.value(QLatin1String("judge_cost_usd")));
    return a;
}

QJsonObject EvalResultRecord::toJson() const
{
    QJsonArray asserts;
    for (const AssertionOutcome &a : assertions)
        asserts.append(a.toJson());
    return QJsonObject { { QStringLiteral("eval_run_id"), evalRunId }, { QStringLiteral("case_id"), caseId },
        { QStringLiteral("variant"), variant }, { QStringLiteral("repeat_index"), repeatIndex },
        { QStringLiteral("case_order"), caseOrder },
        { QStringLiteral("execution_id"), textOrNull(executionId) },
        { QStringLiteral("outcome"), toWire(outcome) }, { QStringLiteral("score"), score },
        { QStringLiteral("error_kind"), textOrNull(errorKind) },
        { QStringLiteral("error"), textOrNull(error) }, { QStringLiteral("status"), textOrNull(status) },
        { QStringLiteral("latency_ms"), jsonfield::msOrNull(latencyMs) },
        { QStringLiteral("tokens"), tokens }, { QStringLiteral("cost_usd"), jsonfield::costToJson(costUsd) },
        { QStringLiteral("judge_tokens"), judgeTokens },
        { QStringLiteral("judge_cost_usd"), jsonfield::costToJson(judgeCostUsd) },
        { QStringLiteral("cached"), cached }, { QStringLiteral("assertions"), asserts },
        { QStringLiteral("output"), output },
        { QStringLiteral("completed_at"), jsonfield::timeOrNull(completedAt) } };
}

EvalResultRecord EvalResultRecord::fromJson(const QJsonObject &o)
{
    EvalResultRecord r;
    r.evalRunId = o.value(QLatin1String("eval_run_id")).toString();
    r.caseId = o.value(QLatin1String("case_id")).toString();
    r.variant = o.value(QLatin1String("variant")).toString();
    r.repeatIndex = o.value(QLatin1String("repeat_index")).toInt(1);
    r.caseOrder = o.value(QLatin1String("case_order")).toInt();
    r.executionId = o.value(QLatin1String("execution_id")).toString();
    r.outcome
        = evalOutcomeFromWire(o.value(QLatin1String("outcome")).toString()).value_or(EvalOutcome::Skipped);
    r.score = o.value(QLatin1String("score")).toDouble();
    r.errorKind = o.value(QLatin1String("error_kind")).toString();
    r.error = o.value(QLatin1String("error")).toString();
    r.status = o.value(QLatin1String("status")).toString();
    r.latencyMs = jsonfield::integerOr(o.value(QLatin1String("latency_ms")), -1);
    r.tokens = jsonfield::integerOr(o.value(QLatin1String("tokens")), 0);
    r.costUsd = jsonfield::costFromJson(o.value(QLatin1String("cost_usd")));
    r.judgeTokens = jsonfield::integerOr(o.value(QLatin1String("judge_tokens")), 0);
    r.judgeCostUsd = jsonfield::costFromJson(o.value(QLatin1String("judge_cost_usd")));
    r.cached = o.value(QLatin1String("cached")).toBool();
    for (const QJsonValue &v : o.value(QLatin1String("assertions")).toArray())
        r.assertions.append(AssertionOutcome::fromJson(v.toObject()));
    r.output = o.value(QLatin1String("output"));
    r.completedAt = as::parseIsoTime(o.value(QLatin1String("completed_at")).toString());
    return r;
}

QString EvalResultRecord::displayName(int repeats) const
{
    return repeats > 1 ? QStringLiteral("%1 [%2/%3]").arg(caseId).arg(repeatIndex).arg(repeats) : caseId;
}

QJsonObject EvalRunRecord::toJson() const
{
    return QJsonObject { { QStringLiteral("id"), id }, { QStringLiteral("name"), name },
        { QStringLiteral("dataset_path"), datasetPath }, { QStringLiteral("dataset_sha256"), datasetSha256 },
        { QStringLiteral("dataset"), dataset }, { QStringLiteral("target"), target },
        { QStringLiteral("variants"), QJsonArray::fromStringList(variants) },
        { QStringLiteral("repeat"), repeat }, { QStringLiteral("concurrency"), concurrency },
        { QStringLiteral("cache_mode"), toWire(cacheMode) }, { QStringLiteral("status"), toWire(status) },
        { QStringLiteral("error"), textOrNull(error) }, { QStringLiteral("organization_id"), organizationId },
        { QStringLiteral("workspace_id"), workspaceId }, { QStringLiteral("backend"), backend },
        { QStringLiteral("baseline_id"), textOrNull(baselineId) },
        { QStringLiteral("started_at"), jsonfield::timeOrNull(startedAt) },
        { QStringLiteral("completed_at"), jsonfield::timeOrNull(completedAt) },
        { QStringLiteral("total"), total }, { QStringLiteral("passed"), passed },
        { QStringLiteral("failed"), failed }, { QStringLiteral("errored"), errored },
        { QStringLiteral("skipped"), skipped }, { QStringLiteral("tokens"), tokens },
        { QStringLiteral("cost_usd"), jsonfield::costToJson(costUsd) },
        { QStringLiteral("judge_tokens"), judgeTokens },
        { QStringLiteral("judge_cost_usd"), jsonfield::costToJson(judgeCostUsd) },
        { QStringLiteral("wall_ms"), jsonfield::msOrNull(wallMs) } };
}

EvalRunRecord EvalRunRecord::fromJson(const QJsonObject &o)
{
    EvalRunRecord r;
    r.id = o.value(QLatin1String("id")).toString();
    r.name = o.value(QLatin1String("name")).toString();
    r.datasetPath = o.value(QLatin1String("dataset_path")).toString();
    r.datasetSha256 = o.value(QLatin1String("dataset_sha256")).toString();
    r.dataset = jsonfield::objectFromJson(o.value(QLatin1String("dataset")));
    r.target = jsonfield::objectFromJson(o.value(QLatin1String("target")));
    for (const QJsonValue &v : o.value(QLatin1String("variants")).toArray())
        r.variants.append(v.toString());
    r.repeat = o.value(QLatin1String("repeat")).toInt(1);
    r.concurrency = o.value(QLatin1String("concurrency")).toInt(4);
    r.cacheMode = cacheModeFromWire(o.value(QLatin1String("cache_mode")).toString()).value_or(CacheMode::Off);
    r.status
        = evalRunStatusFromWire(o.value(QLatin1String("status")).toString()).value_or(EvalRunStatus::Running);
    r.error = o.value(QLatin1String("error")).toString();
    r.organizationId = o.value(QLatin1String("organization_id")).toString(QStringLiteral("local"));
    r.workspaceId = o.value(QLatin1String("workspace_id")).toString();
    r.backend = o.value(QLatin1String("backend")).toString();
    r.baselineId = o.value(QLatin1String("baseline_id")).toString();
    r.startedAt = as::parseIsoTime(o.value(QLatin1String("started_at")).toString());
    r.completedAt = as::parseIsoTime(o.value(QLatin1String("completed_at")).toString());
    r.total = o.value(QLatin1String("total")).toInt();
    r.passed = o.value(QLatin1String("passed")).toInt();
    r.failed = o.value(QLatin1String("failed")).toInt();
    r.errored = o.value(QLatin1String("errored")).toInt();
    r.skipped = o.value(QLatin1String("skipped")).toInt();
    r.tokens = jsonfield::integerOr(o.value(QLatin1String("tokens")), 0);
    r.costUsd = jsonfield::costFromJson(o.value(QLatin1String("cost_usd")));
    r.judgeTokens = jsonfield::integerOr(o.value(QLatin1String("judge_tokens")), 0);
    r.judgeCostUsd = jsonfield::costFromJson(o.value(QLatin1String("judge_cost_usd")));
    r.wallMs = jsonfield::integerOr(o.value(QLatin1String("wall_ms")), -1);
    return r;
}
