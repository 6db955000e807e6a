#pragma once

#include "core/api/ExecutionRecord.h"
#include "core/common/Result.h"
#include "core/store/StoreScope.h"

#include <QSqlDatabase>
#include <QStringList>
#include <QVariantList>

class QSqlQuery;

// History reads of the PostgreSQL store (docs/postgres-store.md, "History and search"): the
// filters of HistoryQuery, keyset paging on (sort key, id) with the SQLite store's cursors, and
// full-text search over the generated tsvector columns with the SQLite store's user semantics.
// Runs on the store's thread, on its connection.
namespace pgquery {

struct Where
{
    QStringList terms;
    QVariantList values;
    QString sql() const; // " WHERE a AND b", or empty
};

// The terms that keep a statement inside `scope` (none for every workspace).
Where scopeClause(const StoreScope &scope);
bool execBound(QSqlQuery &q, const QVariantList &values);

// The user's search text as a tsquery text (the SQLite store's ftsMatchExpression meaning:
// whitespace-separated terms ANDed, each term a phrase of its words, a trailing '*' a prefix
// on its last word, operators plain text). Empty when the text has no term.
Result<QString> searchQuery(QSqlDatabase db, const QString &userText);

Result<HistoryPage> historyPage(QSqlDatabase db, const StoreScope &scope, const HistoryQuery &q);
Result<qint64> historyCount(QSqlDatabase db, const StoreScope &scope, const HistoryQuery &q);

} // namespace pgquery
