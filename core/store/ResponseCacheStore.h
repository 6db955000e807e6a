#pragma once

#include "core/api/ResponseCache.h"
#include "core/common/Result.h"

#include <QString>

// The response cache on disk (docs/evaluations.md, "Response cache"): a `response_cache`
// table in a SQLite file, either the history database or a cache file of its own (next to a
// dataset, so recorded answers can be committed with it), or in the history database on
// PostgreSQL when the path is a postgresql:// URI (docs/postgres-store.md). Entries hold no
// credentials.
//
// Threading: like ExecutionStore, used from the one thread that called open() (the engine's),
// with its own connection.
class ResponseCacheStore : public ResponseCache
{
public:
    explicit ResponseCacheStore(QString path);
    ~ResponseCacheStore() override;
    ResponseCacheStore(const ResponseCacheStore &) = delete;
    ResponseCacheStore &operator=(const ResponseCacheStore &) = delete;

    Result<void> open(); // creates the file and the table when missing
    QString path() const { return m_path; }

    std::optional<CachedResponse> lookup(const QByteArray &key) override;
    bool store(const QByteArray &key, const CachedResponse &entry, QString *error) override;
    Result<qint64> count() const;

private:
    Result<void> openPostgres();

    QString m_path;
    QString m_connection;
    bool m_pg = false; // the path is a PostgreSQL URI (the server's history database)
};
