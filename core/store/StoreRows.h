#pragma once

#include "core/api/EvalTypes.h"
#include "core/api/ExecutionRecord.h"
#include "core/store/StoreScope.h"

#include <QVariant>

#include <optional>

class QSqlQuery;

// Rows of the store's tables as bound values and back, shared by both backends (SQLite in
// ExecutionStore.cpp / EvalStore.cpp, PostgreSQL in PgStore.cpp): the values follow the column
// order of storeschema::executionColumns() etc., and a row read back must select those columns
// in that order, JSON as text and times as ISO-8601 UTC text with milliseconds.
namespace storerows {

QVariantList executionValues(const ExecutionRecord &e);
ExecutionRecord executionFromRow(const QSqlQuery &q);
QVariantList stepValues(const StepRecord &s);
StepRecord stepFromRow(const QSqlQuery &q);
QVariantList runValues(const EvalRunRecord &r);
EvalRunRecord runFromRow(const QSqlQuery &q);
QVariantList resultValues(const EvalResultRecord &r);
EvalResultRecord resultFromRow(const QSqlQuery &q);

// A history query's own organization / workspace filters against the scope: within a
// workspace scope they are implied by it (dropped) or ask for another tenant, where there is
// nothing to find (no query).
std::optional<HistoryQuery> withinScope(const StoreScope &scope, const HistoryQuery &q);

// Cursor: base64url of the compact JSON [sort key, id] of the last row of a page.
QString encodeCursor(const QVariant &key, const QString &id, bool numeric);
bool decodeCursor(const QString &cursor, bool numeric, QVariant *key, QString *id);

} // namespace storerows
