#include "core/engine/Engine.h"

#include "core/store/ResponseCacheStore.h"

#include <QFileInfo>

// The engine's response caches (docs/response-cache.md). A request's response_cache names a
// cache file, or "" for the history database this engine records into. Each file is opened
// once, on the engine thread (its connection is used only there), and shared by every run
// that names it until shutdown(). Engine thread only.

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
    auto cache = std::make_shared<ResponseCacheStore>(path);
    if (const Result<void> r = cache->open(); !r)
        return QStringLiteral("response_cache: %1").arg(r.error());
    m_responseCaches.insert(path, std::move(cache));
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
