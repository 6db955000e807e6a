#pragma once

#include "core/common/Result.h"
#include "core/store/StoreSchema.h"

#include <QSqlDatabase>
#include <QString>

// The PostgreSQL schema of the store (docs/postgres-store.md, "Schema"): the same tables and
// columns as the SQLite schema (storeschema::executionColumns() etc.) with ids as text (byte
// order, like SQLite), JSON as jsonb, times as timestamptz(3), plus the full-text columns, the
// owner instance of an execution and the cluster tables. Versions live in schema_version; its
// numbering is PostgreSQL's own (1 = everything of SQLite version 4 and the cluster tables).
namespace pgschema {

constexpr int SchemaVersion = 1;

// Runs every pending migration in ONE transaction under a transaction-level advisory lock, so
// instances starting at the same moment migrate once; a database newer than this build fails,
// naming both versions.
Result<void> migrate(QSqlDatabase &db);

// The SELECT expression reading `column` back in the text form the row readers
// (core/store/StoreRows.h) expect: JSON as text, times as ISO-8601 UTC with milliseconds.
QString readExpression(const QString &table, const storeschema::Column &column);
// "expr, expr, …" of readExpression() for every column, in order.
QString selectList(const QString &table, const QList<storeschema::Column> &columns);
// Whether a column is jsonb / timestamptz.
bool isJson(const QString &table, const QString &column);
bool isTime(const QString &column);
// ISO-8601 UTC text with milliseconds of a timestamptz expression.
QString isoText(const QString &expression);

} // namespace pgschema
