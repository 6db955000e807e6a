#include "core/store/ResponseCacheStore.h"

#include "core/common/Util.h"
#include "core/store/PgConnection.h"
#include "core/store/PgSchema.h"
#include "core/store/PgStore.h"
#include "core/store/StoreSchema.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <atomic>

// The response cache on disk (docs/response-cache.md). One connection per instance, used on
// the thread that opened it (the engine's). In the history database the table comes from
// schema version 4; a cache file of its own gets it here. Either way CREATE TABLE IF NOT
// EXISTS: the history database may be older than this build's first open of it elsewhere.
namespace {

std::atomic<quint64> g_cacheConnections { 0 };
constexpr int kCacheBusyTimeoutMs = 15000;

} // namespace

ResponseCacheStore::ResponseCacheStore(QString path)
    : m_path(std::move(path))
    , m_connection(QStringLiteral("agentstudio-response-cache-%1").arg(++g_cacheConnections))
{
}

ResponseCacheStore::~ResponseCacheStore()
{
    if (!QSqlDatabase::contains(m_connection))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(m_connection, false);
        db.close();
    }
    QSqlDatabase::removeDatabase(m_connection);
}

Result<void> ResponseCacheStore::open()
{
    if (QSqlDatabase::contains(m_connection))
        return {};
    if (m_path.isEmpty())
        return Failure { QStringLiteral("response cache: no file given") };
    if (PgStore::isUri(m_path))
        return openPostgres();
    if (m_path != QStringLiteral(":memory:") && !QDir().mkpath(QFileInfo(m_path).absolutePath()))
        return Failure {
            QStringLiteral("response cache: cannot create folder %1").arg(QFileInfo(m_path).absolutePath())
        };
    QString error;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
        db.setDatabaseName(m_path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(kCacheBusyTimeoutMs));
        if (!db.open()) {
            error = QStringLiteral("response cache: cannot open %1: %2").arg(m_path, db.lastError().text());
        } else {
            QSqlQuery q(db);
            const QString statements[] = {
                QStringLiteral("PRAGMA journal_mode = WAL"),
                QStringLiteral("PRAGMA synchronous = NORMAL"),
                storeschema::responseCacheTableSql(),
            };
            for (const QString &sql : statements) {
                if (!q.exec(sql)) {
                    error = QStringLiteral("response cache: %1: %2 (%3)")
                                .arg(m_path, q.lastError().text(), sql.left(40));
                    break;
                }
            }
        }
    }
    if (!error.isEmpty()) {
        QSqlDatabase::removeDatabase(m_connection);
        return Failure { error };
    }
    return {};
}

// A history database on PostgreSQL keeps the cache in its response_cache table (bytea body,
// jsonb request, timestamptz(3) recorded_at), created by the store's migrations, which run here
// too (idempotent, under their advisory lock) so the cache never depends on who opened first.
Result<void> ResponseCacheStore::openPostgres()
{
    if (auto r = pgconn::open(m_connection, m_path, QStringLiteral("response cache")); !r)
        return r;
    Result<void> migrated;
    {
        QSqlDatabase db = QSqlDatabase::database(m_connection, false);
        migrated = pgschema::migrate(db);
    }
    if (!migrated) {
        pgconn::close(m_connection);
        return Failure { QStringLiteral("response cache: %1").arg(migrated.error()) };
    }
    m_pg = true;
    return {};
}

std::optional<CachedResponse> ResponseCacheStore::lookup(const QByteArray &key)
{
    if (!QSqlDatabase::contains(m_connection))
        return std::nullopt;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.setForwardOnly(true);
    q.prepare(
        QStringLiteral("SELECT body, http_status, %1, provider, model, latency_ms, ttft_ms, %2 FROM "
                       "response_cache WHERE key = ?")
            .arg(m_pg ? QStringLiteral("request::text") : QStringLiteral("request"),
                m_pg ? pgschema::isoText(QStringLiteral("recorded_at")) : QStringLiteral("recorded_at")));
    q.addBindValue(QString::fromLatin1(key));
    if (!q.exec() || !q.next())
        return std::nullopt;
    CachedResponse c;
    c.body = q.value(0).toByteArray();
    c.httpStatus = q.value(1).toInt();
    c.request = as::parseJsonValue(q.value(2).toString()).toObject();
    c.provider = q.value(3).toString();
    c.model = q.value(4).toString();
    c.latencyMs = q.value(5).isNull() ? -1 : q.value(5).toLongLong();
    c.ttftMs = q.value(6).isNull() ? -1 : q.value(6).toLongLong();
    c.recordedAt = q.value(7).toString();
    return c;
}

bool ResponseCacheStore::store(const QByteArray &key, const CachedResponse &entry, QString *error)
{
    auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    if (!QSqlDatabase::contains(m_connection))
        return fail(QStringLiteral("response cache: %1 is not open").arg(m_path));
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    const QString columns = QStringLiteral("response_cache (key, provider, model, request, body, "
                                           "http_status, latency_ms, ttft_ms, recorded_at)");
    q.prepare(m_pg
            ? QStringLiteral(
                "INSERT INTO %1 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                "provider = excluded.provider, model = excluded.model, request = "
                "excluded.request, body = excluded.body, http_status = excluded.http_status, "
                "latency_ms = excluded.latency_ms, ttft_ms = excluded.ttft_ms, recorded_at = "
                "excluded.recorded_at")
                  .arg(columns)
            : QStringLiteral("INSERT OR REPLACE INTO %1 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)").arg(columns));
    q.addBindValue(QString::fromLatin1(key));
    q.addBindValue(entry.provider.isNull() ? QStringLiteral("") : entry.provider);
    q.addBindValue(entry.model.isNull() ? QStringLiteral("") : entry.model);
    q.addBindValue(as::compactJson(entry.request));
    q.addBindValue(entry.body.isNull() ? QByteArray("") : entry.body);
    q.addBindValue(entry.httpStatus);
    q.addBindValue(entry.latencyMs < 0 ? QVariant() : QVariant(entry.latencyMs));
    q.addBindValue(entry.ttftMs < 0 ? QVariant() : QVariant(entry.ttftMs));
    q.addBindValue(entry.recordedAt.isEmpty() ? as::nowIso() : entry.recordedAt);
    if (!q.exec())
        return fail(QStringLiteral("response cache: writing %1: %2").arg(m_path, q.lastError().text()));
    return true;
}

Result<qint64> ResponseCacheStore::count() const
{
    if (!QSqlDatabase::contains(m_connection))
        return Failure { QStringLiteral("response cache: %1 is not open").arg(m_path) };
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (!q.exec(QStringLiteral("SELECT COUNT(*) FROM response_cache")) || !q.next())
        return Failure {
            QStringLiteral("response cache: counting %1: %2").arg(m_path, q.lastError().text())
        };
    return q.value(0).toLongLong();
}
