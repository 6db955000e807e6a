#include "core/engine/Engine.h"

#include "core/store/ResponseCacheStore.h"

#include <QFileInfo>

// The engine's response caches (docs/response-cache.md). A request's response_cache names a
// cache file, or "" for the history database this engine records into. Each file is opened
// once, on the engine thread (its connection is used only there), and shared by every run
// that names it until shutdown(). Engine thread only.

namespace {

// The cache in the history database: a second connection on the file the engine's StoreWriter
// writes to, on the same thread. The writer keeps a transaction open for up to 100 ms; a cache
// write meanwhile would wait for that lock on the very thread that holds it (then fail with
// "database is locked"), so the writer commits first. Lookups only read (WAL: never blocked).
class HistoryResponseCache final : public ResponseCache
{
public:
    HistoryResponseCache(std::unique_ptr<ResponseCacheStore> store, StoreWriter *writer)
        : m_store(std::move(store))
        , m_writer(writer)
    {
    }
    std::optional<CachedResponse> lookup(const QByteArray &key) override { return m_store->lookup(key); }
    bool store(const QByteArray &key, const CachedResponse &entry, QString *error) override
    {
        m_writer->commit();
        return m_store->store(key, entry, error);
    }

private:
    std::unique_ptr<ResponseCacheStore> m_store;
    StoreWriter *m_writer;
};

} // namespace

QString Engine::responseCachePath(const ResponseCacheOptions &options) const
{
    const QString file = options.file.isEmpty() ? m_settings.databasePath : options.file;
    return file.isEmpty() ? QString() : QFileInfo(file).absoluteFilePath();
}

QString Engine::openResponseCache(const ResponseCacheOptions &options)
{
    if (options.isOff())
        return {};
    const QString path = responseCachePath(options);
    if (path.isEmpty())
        return QStringLiteral("response_cache: no history database to keep the cache in (history is "
                              "off): give response_cache.file");
    if (m_responseCaches.contains(path))
        return {};
    auto store = std::make_unique<ResponseCacheStore>(path);
    if (const Result<void> r = store->open(); !r)
        return QStringLiteral("response_cache: %1").arg(r.error());
    const bool inHistory
        = !m_settings.databasePath.isEmpty() && path == QFileInfo(m_settings.databasePath).absoluteFilePath();
    if (inHistory)
        m_responseCaches.insert(path, std::make_shared<HistoryResponseCache>(std::move(store), &m_writer));
    else
        m_responseCaches.insert(path, std::shared_ptr<ResponseCache>(std::move(store)));
    return {};
}

void Engine::applyResponseCache(const ResponseCacheOptions &options, AgentRun::Context *context) const
{
    if (options.isOff())
        return;
    // Opened at submit; a missing entry (shut down meanwhile) leaves the run uncached.
    context->cache = m_responseCaches.value(responseCachePath(options));
    context->cacheMode = options.mode;
    context->cacheNamespace = options.nameSpace;
}
