#include "core/api/HistoryQueryCodec.h"

#include "core/common/Util.h"

#include <array>
#include <utility>

namespace HistoryQueryCodec {

namespace {

const std::array<std::pair<HistoryQuery::Sort, QLatin1String>, 4> kSorts { {
    { HistoryQuery::Sort::NewestFirst, QLatin1String("newest") },
    { HistoryQuery::Sort::OldestFirst, QLatin1String("oldest") },
    { HistoryQuery::Sort::CostDesc, QLatin1String("cost") },
    { HistoryQuery::Sort::LatencyDesc, QLatin1String("latency") },
} };

// A closed-set filter: the value must be one of the set's wire names. `what` names it in the
// message.
template <typename E>
std::optional<QString> oneOf(
    const QString &key, const QString &value, const char *what, std::optional<E> &field)
{
    const std::optional<E> v = fromWire<E>(value);
    if (!v || value.isEmpty())
        return QStringLiteral("%1: unknown %2 '%3'").arg(key, QLatin1String(what), value);
    field = v;
    return std::nullopt;
}

// Decodes one item into `q`; returns the problem, or nothing when the item was taken.
std::optional<QString> decode(const QString &key, const QString &value, HistoryQuery &q)
{
    if (key == QLatin1String("status")) {
        for (const QString &s : value.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const std::optional<ExecutionStatus> status = fromWire<ExecutionStatus>(s.trimmed());
            if (!status)
                return QStringLiteral("status: unknown status '%1'").arg(s);
            q.statuses.append(*status);
        }
    } else if (key == QLatin1String("execution_type")) {
        return oneOf(key, value, "type", q.executionType);
    } else if (key == QLatin1String("test_mode")) {
        return oneOf(key, value, "mode", q.testMode);
    } else if (key == QLatin1String("trigger_type")) {
        return oneOf(key, value, "trigger", q.triggerType);
    } else if (key == QLatin1String("agent_id")) {
        q.agentId = value;
    } else if (key == QLatin1String("orchestration_id")) {
        q.orchestrationId = value;
    } else if (key == QLatin1String("q")) {
        q.search = value;
    } else if (key == QLatin1String("cursor")) {
        q.cursor = value;
    } else if (key == QLatin1String("since") || key == QLatin1String("until")) {
        const QDateTime t = as::parseIsoTime(value);
        if (!t.isValid())
            return QStringLiteral("%1: not an ISO-8601 time: '%2'").arg(key, value);
        (key == QLatin1String("since") ? q.since : q.until) = t;
    } else if (key == QLatin1String("limit")) {
        bool ok = false;
        const int n = value.toInt(&ok);
        if (!ok || n < 1 || n > kMaxLimit)
            return QStringLiteral("limit: expected an integer from 1 to %1, got '%2'")
                .arg(kMaxLimit)
                .arg(value);
        q.limit = n;
    } else if (key == QLatin1String("min_cost") || key == QLatin1String("max_cost")) {
        bool ok = false;
        const double v = value.toDouble(&ok);
        if (!ok || v < 0)
            return QStringLiteral("%1: expected a non-negative number, got '%2'").arg(key, value);
        (key == QLatin1String("min_cost") ? q.minCost : q.maxCost) = v;
    } else if (key == QLatin1String("min_latency_ms") || key == QLatin1String("max_latency_ms")) {
        bool ok = false;
        const qint64 v = value.toLongLong(&ok);
        if (!ok || v < 0)
            return QStringLiteral("%1: expected a non-negative integer, got '%2'").arg(key, value);
        (key == QLatin1String("min_latency_ms") ? q.minLatencyMs : q.maxLatencyMs) = v;
    } else if (key == QLatin1String("sort")) {
        for (const auto &[sort, name] : kSorts)
            if (value == name) {
                q.sort = sort;
                return std::nullopt;
            }
        return QStringLiteral("sort: expected newest, oldest, cost or latency, got '%1'").arg(value);
    } else {
        return QStringLiteral("%1: unknown query parameter").arg(key);
    }
    return std::nullopt;
}

} // namespace

QString sortName(HistoryQuery::Sort sort)
{
    for (const auto &[s, name] : kSorts)
        if (s == sort)
            return name;
    return QStringLiteral("newest");
}

QUrlQuery toUrlQuery(const HistoryQuery &query)
{
    QUrlQuery q;
    auto add = [&q](const char *key, const QString &value) {
        if (!value.isEmpty())
            q.addQueryItem(QString::fromLatin1(key), value);
    };
    QStringList statuses;
    for (ExecutionStatus s : query.statuses)
        statuses << toWire(s);
    add("status", statuses.join(QLatin1Char(',')));
    if (query.executionType)
        add("execution_type", toWire(*query.executionType));
    if (query.testMode)
        add("test_mode", toWire(*query.testMode));
    add("agent_id", query.agentId);
    add("orchestration_id", query.orchestrationId);
    if (query.triggerType)
        add("trigger_type", toWire(*query.triggerType));
    add("q", query.search);
    if (query.since.isValid())
        add("since", as::isoTime(query.since));
    if (query.until.isValid())
        add("until", as::isoTime(query.until));
    if (query.limit > 0)
        add("limit", QString::number(qMin(query.limit, kMaxLimit)));
    if (query.minCost)
        add("min_cost", QString::number(*query.minCost, 'g', 17));
    if (query.maxCost)
        add("max_cost", QString::number(*query.maxCost, 'g', 17));
    if (query.minLatencyMs)
        add("min_latency_ms", QString::number(*query.minLatencyMs));
    if (query.maxLatencyMs)
        add("max_latency_ms", QString::number(*query.maxLatencyMs));
    add("cursor", query.cursor);
    if (query.sort != HistoryQuery::Sort::NewestFirst)
        add("sort", sortName(query.sort));
    return q;
}

Result<HistoryQuery> fromUrlQuery(const QUrlQuery &query)
{
    HistoryQuery q;
    const QList<QPair<QString, QString>> items = query.queryItems(QUrl::FullyDecoded);
    for (const auto &[key, value] : items)
        if (const std::optional<QString> problem = decode(key, value, q))
            return Failure { *problem };
    return q;
}

} // namespace HistoryQueryCodec
