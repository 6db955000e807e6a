#include "core/store/ResponseCacheStore.h"

// Placeholder so the foundation links; implemented by the store and cache part.
ResponseCacheStore::ResponseCacheStore(QString path)
    : m_path(std::move(path))
{
}

ResponseCacheStore::~ResponseCacheStore() = default;

Result<void> ResponseCacheStore::open()
{
    return Failure { QStringLiteral("response cache: not implemented") };
}

std::optional<CachedResponse> ResponseCacheStore::lookup(const QByteArray &)
{
    return std::nullopt;
}

bool ResponseCacheStore::store(const QByteArray &, const CachedResponse &, QString *error)
{
    if (error)
        *error = QStringLiteral("response cache: not implemented");
    return false;
}

Result<qint64> ResponseCacheStore::count() const
{
    return Failure { QStringLiteral("response cache: not implemented") };
}
