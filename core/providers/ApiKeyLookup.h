#pragma once

#include "core/model/Workspace.h"
#include "core/providers/CredentialPolicy.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>

// Where a provider's API key comes from, in order (docs/credentials.md):
//   0. nowhere, when the use needs trust the lookup was not given (CredentialPolicy.h);
//   1. the environment variable the workspace names (apiKeyVariable(), read synchronously);
//   2. the system keychain through QtKeychain, when the provider points at its official host:
//      service "agentstudio", key "provider/<provider id>" (what ui/settings/ApiKeysDialog writes).
// The key lives only in memory; it is never written to a file, the database, a trace or a log.
//
// The keychain read is asynchronous (Secret Service / KWallet over D-Bus) and bounded by a
// timeout, so a machine with no secret service or no session bus at all (CI, headless servers)
// fails fast with a clear message instead of hanging a run.

namespace apikeys {

QString keychainService(); // "agentstudio"
QString keychainEntry(const QString &providerId); // "provider/<id>"
constexpr int kDefaultKeychainTimeoutMs = 3000;

// "openai: no API key: set OPENAI_API_KEY or store one in the system keychain (Settings > API Keys)"
// (without the keychain part when the keychain may not be used for this provider's host).
QString missingKeyMessage(
    const ProviderConfig &provider, const QString &variable, bool keychainAllowed = true);

// Keychain edits for the settings dialog (and tests). Asynchronous: `done` is called once on
// `context`'s thread (never if context is deleted first), with an empty error on success.
// Must be called on the main thread.
void storeKey(const QString &providerId, const QString &key, QObject *context,
    std::function<void(const QString &error)> done);
void removeKey(const QString &providerId, QObject *context, std::function<void(const QString &error)> done);
// Whether an entry exists (reads it; the value is dropped at once, never handed out).
void probeKey(
    const QString &providerId, QObject *context, std::function<void(bool exists, const QString &error)> done);

} // namespace apikeys

// One lookup of one provider's key. Lives on the thread that creates it (the engine thread);
// the QtKeychain job itself runs on the application's main thread, where QtKeychain's job queue
// lives, and its result comes back here queued. finished() is emitted exactly once, always in a
// later event-loop turn than start(), unless the object is deleted first (then never: deleting
// it is how a caller gives up). Not copyable.
class ApiKeyLookup final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApiKeyLookup)
public:
    explicit ApiKeyLookup(const ProviderConfig &provider, QObject *parent = nullptr);
    ~ApiKeyLookup() override;

    void setTimeoutMs(int ms) { m_timeoutMs = ms; }
    // The trust decision for this provider's key use (default: none, so only the implicit
    // default to the official host resolves).
    void setTrust(const CredentialTrust &trust) { m_trust = trust; }
    void start();
    bool isFinished() const { return m_finished; }

signals:
    // key is empty on error (and when the provider needs no key: then error is empty too).
    // error never contains a key.
    void finished(const QString &key, const QString &error);

private:
    void finish(const QString &key, const QString &error);
    void startKeychainRead(const QString &variable);

    ProviderConfig m_provider;
    CredentialTrust m_trust;
    int m_timeoutMs = apikeys::kDefaultKeychainTimeoutMs;
    bool m_started = false;
    bool m_finished = false;
    QTimer m_timeout;
};
