#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

// The response cache of evaluations (docs/evaluations.md, "Response cache"): recorded provider
// answers keyed by the full provider request, replayed without any network.
//
//   off        never read, never write
//   read       replay a hit; a miss fails the call with "cache miss: …" (no request is sent)
//   write      always call the provider, store (overwrite) the answer
//   readwrite  replay a hit; on a miss call the provider and store the answer
enum class CacheMode { Off, Read, Write, ReadWrite };

QString toWire(CacheMode m); // "off" | "read" | "write" | "readwrite"
std::optional<CacheMode> cacheModeFromWire(QStringView text);

// What a request asks of the cache (ExecutionRequest::responseCache, wire "response_cache":
// {"mode", "file"?, "namespace"?}).
struct ResponseCacheOptions
{
    CacheMode mode = CacheMode::Off;
    // A cache file of its own (SQLite; created when missing). Empty: the history database the
    // engine records into. A remote server accepts only the empty form (its own database).
    QString file;
    // Keeps otherwise identical requests apart: the repeat index of an eval case ("r2") and,
    // for judges, the sample index ("r2.s3"). Part of the key.
    QString nameSpace;

    bool isOff() const { return mode == CacheMode::Off; }
    QJsonObject toJson() const;
    static ResponseCacheOptions fromJson(const QJsonObject &o);
};

// One recorded answer: the raw body bytes of a successful (2xx, complete) response, as
// received (SSE or NDJSON lines for streams), so a replay drives the same parser. Never an
// error answer, never a header, never a key.
struct CachedResponse
{
    QByteArray body;
    int httpStatus = 200;
    QJsonObject request; // the request body as sent (for inspection; it holds no credentials)
    QString provider; // provider kind
    QString model;
    qint64 latencyMs = -1; // of the recorded call
    qint64 ttftMs = -1;
    QString recordedAt; // ISO-8601 UTC
};

// Storage of cached responses. Implemented in core/store (ResponseCacheStore: a table in the
// history database or in a file of its own). Used on ONE thread (the engine's).
class ResponseCache
{
public:
    virtual ~ResponseCache() = default;
    virtual std::optional<CachedResponse> lookup(const QByteArray &key) = 0;
    // Stores (replaces) the entry under `key`; false with *error on a write failure.
    virtual bool store(const QByteArray &key, const CachedResponse &entry, QString *error) = 0;

    // The key: SHA-256 (hex) of the canonical JSON (sorted keys, compact) of {"v": format
    // version, "provider": kind, "base_url", "model", "body": the request body as sent (parsed
    // JSON; raw text when it is not JSON), "ns": nameSpace}. Headers (and so credentials) are
    // never part of it.
    static QByteArray key(const QString &providerKind, const QString &baseUrl, const QString &model,
        const QByteArray &body, const QString &nameSpace);
};
