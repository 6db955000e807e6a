#pragma once

#include "core/common/Result.h"

#include <QList>
#include <QSqlDatabase>
#include <QString>

// The SQL schema of the execution store (docs/store.md) and its migrations.
//
// Versions live in PRAGMA user_version. Each migration takes the database from version N-1 to
// N inside one IMMEDIATE transaction; later versions append to migrations(). A database with
// user_version 0 that already has an `executions` table is the schema of the Python
// prototype): migration 1 rebuilds its tables with the full column set, keeping every row.
namespace storeschema {

struct Column
{
    const char *name;
    const char *decl; // type and constraints, as in CREATE TABLE
    const char *fallback; // SQL used for NULLs when copying old rows (nullptr: keep NULL)
};

const QList<Column> &executionColumns();
const QList<Column> &stepColumns();
const QList<Column> &evalRunColumns(); // eval_runs (schema version 4)
const QList<Column> &evalResultColumns(); // eval_results, without its UNIQUE row key
// CREATE TABLE IF NOT EXISTS response_cache (the history database and cache files of their own).
QString responseCacheTableSql();

// "id, organization_id, …" in the order of executionColumns() / stepColumns().
QString columnList(const QList<Column> &columns, const QString &prefix = {});

struct Migration
{
    int version;
    const char *what;
    Result<void> (*apply)(QSqlDatabase &db);
};
const QList<Migration> &migrations();

// The text that full-text search indexes for a JSON column: every scalar value, no keys.
QString ftsTextExpression(const QString &column);

} // namespace storeschema
