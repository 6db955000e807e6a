#include "core/store/PgQuery.h"

#include "core/api/ErrorCode.h"
#include "core/common/Util.h"
#include "core/store/PgSchema.h"
#include "core/store/StoreRows.h"
#include "core/store/StoreSchema.h"

#include <QRegularExpression>
#include <QSqlError>
#include <QSqlQuery>

#include <algorithm>

namespace pgquery {

namespace {

Failure sqlFailure(const QString &what, const QSqlQuery &q)
{
    return Failure { QStringLiteral("store: %1: %2").arg(what, q.lastError().text()) };
}

struct SortSpec
{
    QString key; // SQL of the sort key
    QString keyRead; // how the cursor reads it back
    bool descending;
    bool numericKey;
};

SortSpec sortSpec(HistoryQuery::Sort sort)
{
    const QString queued = QStringLiteral("queued_at");
    switch (sort) {
    case HistoryQuery::Sort::OldestFirst:
        return { queued, pgschema::isoText(queued), false, false };
    case HistoryQuery::Sort::CostDesc:
        return { QStringLiteral("coalesce(cost_usd, -1.0)"), QStringLiteral("coalesce(cost_usd, -1.0)"), true,
            true };
    case HistoryQuery::Sort::LatencyDesc:
        return { QStringLiteral("execution_time_ms"), QStringLiteral("execution_time_ms"), true, true };
    case HistoryQuery::Sort::NewestFirst:
        break;
    }
    return { queued, pgschema::isoText(queued), true, false };
}

QString marks(qsizetype n)
{
    QStringList m;
    for (qsizetype i = 0; i < n; ++i)
        m.append(QStringLiteral("?"));
    return m.join(QStringLiteral(", "));
}

// Whether any ended tool step matches: only then does the search look into steps at all, so
// the common case stays one index condition the planner estimates well.
Result<bool> stepsMatch(QSqlDatabase db, const QString &tsquery)
{
    QSqlQuery q(db);
    if (!q.prepare(QStringLiteral("SELECT 1 FROM execution_steps WHERE search_tsv @@ ?::tsquery LIMIT 1"))
        || !execBound(q, { tsquery }))
        return sqlFailure(QStringLiteral("full-text search"), q);
    return q.next();
}

// The filters of `q` (already through withinScope) plus the search, as terms.
Result<Where> filterClause(QSqlDatabase db, const StoreScope &scope, const HistoryQuery &q)
{
    Where w = scopeClause(scope);
    auto equals = [&w](const char *column, const QString &value) {
        if (value.isEmpty())
            return;
        w.terms.append(QLatin1String(column) + QStringLiteral(" = ?"));
        w.values.append(value);
    };
    equals("organization_id", q.organizationId);
    equals("workspace_id", q.workspaceId);
    if (q.statuses.size() == 1) {
        equals("status", toWire(q.statuses.first()));
    } else if (!q.statuses.isEmpty()) {
        w.terms.append(QStringLiteral("status IN (%1)").arg(marks(q.statuses.size())));
        for (ExecutionStatus s : q.statuses)
            w.values.append(toWire(s));
    }
    if (q.executionType)
        equals("execution_type", toWire(*q.executionType));
    if (q.testMode)
        equals("test_mode", toWire(*q.testMode));
    equals("agent_id", q.agentId);
    equals("orchestration_id", q.orchestrationId);
    if (q.triggerType)
        equals("trigger_type", toWire(*q.triggerType));
    const Result<QString> tsquery = searchQuery(db, q.search);
    if (!tsquery)
        return Failure { tsquery.error() };
    if (!tsquery->isEmpty()) {
        const Result<bool> inSteps = stepsMatch(db, *tsquery);
        if (!inSteps)
            return Failure { inSteps.error() };
        if (*inSteps) {
            w.terms.append(QStringLiteral("(search_tsv @@ ?::tsquery OR id IN (SELECT execution_id FROM "
                                          "execution_steps WHERE search_tsv @@ ?::tsquery))"));
            w.values << *tsquery << *tsquery;
        } else {
            w.terms.append(QStringLiteral("search_tsv @@ ?::tsquery"));
            w.values << *tsquery;
        }
    }
    const struct
    {
        bool set;
        const char *term;
        QVariant value;
    } ranges[] = {
        { q.since.isValid(), "queued_at >= ?::timestamptz", as::isoTime(q.since) },
        { q.until.isValid(), "queued_at < ?::timestamptz", as::isoTime(q.until) },
        { bool(q.minCost), "cost_usd >= ?", q.minCost.value_or(0) },
        { bool(q.maxCost), "cost_usd <= ?", q.maxCost.value_or(0) },
        { bool(q.minLatencyMs), "execution_time_ms >= ?", q.minLatencyMs.value_or(0) },
        { bool(q.maxLatencyMs), "execution_time_ms <= ?", q.maxLatencyMs.value_or(0) },
    };
    for (const auto &r : ranges) {
        if (!r.set)
            continue;
        w.terms.append(QLatin1String(r.term));
        w.values.append(r.value);
    }
    return w;
}

} // namespace

QString Where::sql() const
{
    return terms.isEmpty() ? QString() : QStringLiteral(" WHERE ") + terms.join(QStringLiteral(" AND "));
}

Where scopeClause(const StoreScope &scope)
{
    Where w;
    if (!scope.isEveryWorkspace()) {
        w.terms << QStringLiteral("organization_id = ?") << QStringLiteral("workspace_id = ?");
        w.values << scope.organizationId() << scope.workspaceId();
    }
    return w;
}

bool execBound(QSqlQuery &q, const QVariantList &values)
{
    for (int i = 0; i < values.size(); ++i)
        q.bindValue(i, values.at(i));
    return q.exec();
}

Result<QString> searchQuery(QSqlDatabase db, const QString &userText)
{
    // The same terms the SQLite store makes phrases of (ExecutionStore::ftsMatchExpression).
    QStringList parts;
    QVariantList values;
    const QStringList terms = userText.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
    for (QString term : terms) {
        const bool prefix = term.endsWith(QLatin1Char('*'));
        if (prefix)
            term.chop(1);
        if (!std::any_of(term.cbegin(), term.cend(), [](QChar c) { return c.isLetterOrNumber(); }))
            continue;
        // A phrase of the term's words parsed like the indexed text (which keeps "v1.2.3" or
        // "a-b" whole beside their parts), or a phrase of its letter-and-digit runs alone
        // (SQLite's words: "a-b" also finds "a b"); a prefix marks the last word.
        const QString phrase = prefix
            ? QStringLiteral("regexp_replace(phraseto_tsquery('simple', ?)::text, '''$', ''':*')::tsquery")
            : QStringLiteral("phraseto_tsquery('simple', ?)");
        parts.append(QStringLiteral("(%1 || %1)").arg(phrase));
        QString words = term;
        for (QChar &c : words)
            if (!c.isLetterOrNumber())
                c = QLatin1Char(' ');
        values << term << words;
    }
    if (parts.isEmpty())
        return QString();
    QSqlQuery q(db);
    if (!q.prepare(QStringLiteral("SELECT (%1)::text").arg(parts.join(QStringLiteral(" && "))))
        || !execBound(q, values) || !q.next())
        return sqlFailure(QStringLiteral("full-text search"), q);
    const QString text = q.value(0).toString();
    // Text with no word PostgreSQL indexes (punctuation only) matches nothing, as in SQLite.
    return text.isEmpty() ? QStringLiteral("''") : text;
}

Result<HistoryPage> historyPage(QSqlDatabase db, const StoreScope &scope, const HistoryQuery &request)
{
    const std::optional<HistoryQuery> scoped = storerows::withinScope(scope, request);
    if (!scoped)
        return HistoryPage();
    const HistoryQuery &hq = *scoped;
    const SortSpec sort = sortSpec(hq.sort);
    Result<Where> filtered = filterClause(db, scope, hq);
    if (!filtered)
        return Failure { filtered.error() };
    Where where = *filtered;
    if (!hq.cursor.isEmpty()) {
        QVariant key;
        QString id;
        if (!storerows::decodeCursor(hq.cursor, sort.numericKey, &key, &id))
            return Failure { QStringLiteral("invalid cursor '%1'").arg(hq.cursor), ErrorCode::InvalidCursor };
        // A row value: one range on the (key, id) index.
        where.terms.append(QStringLiteral("(%1, id) %2 (?%3, ?)")
                               .arg(sort.key, sort.descending ? QStringLiteral("<") : QStringLiteral(">"),
                                   sort.numericKey ? QString() : QStringLiteral("::timestamptz")));
        where.values << key << id;
    }
    const int limit = hq.limit > 0 ? qMin(hq.limit, 10000) : 50;
    const QString dir = sort.descending ? QStringLiteral("DESC") : QStringLiteral("ASC");
    const QString sql
        = QStringLiteral("SELECT %1, %2 FROM executions%3 ORDER BY %4 %5, id %5 LIMIT %6")
              .arg(pgschema::selectList(QStringLiteral("executions"), storeschema::executionColumns()),
                  sort.keyRead, where.sql(), sort.key, dir)
              .arg(limit + 1);
    QSqlQuery q(db);
    if (!q.prepare(sql) || !execBound(q, where.values))
        return sqlFailure(QStringLiteral("history query"), q);
    HistoryPage page;
    const int keyColumn = int(storeschema::executionColumns().size());
    QVariant lastKey;
    while (q.next()) {
        if (page.items.size() == limit) {
            page.nextCursor = storerows::encodeCursor(lastKey, page.items.constLast().id, sort.numericKey);
            break;
        }
        page.items.append(storerows::executionFromRow(q));
        lastKey = q.value(keyColumn);
    }
    return page;
}

Result<qint64> historyCount(QSqlDatabase db, const StoreScope &scope, const HistoryQuery &request)
{
    const std::optional<HistoryQuery> hq = storerows::withinScope(scope, request);
    if (!hq)
        return qint64(0);
    const Result<Where> where = filterClause(db, scope, *hq);
    if (!where)
        return Failure { where.error() };
    QSqlQuery q(db);
    if (!q.prepare(QStringLiteral("SELECT count(*) FROM executions") + where->sql())
        || !execBound(q, where->values) || !q.next())
        return sqlFailure(QStringLiteral("history count"), q);
    return q.value(0).toLongLong();
}

} // namespace pgquery
