#include "core/providers/ApiKeyLookup.h"

#include "core/providers/ApiKeys.h"

#include <QCoreApplication>
#include <QThread>

#include <qt6keychain/keychain.h>

namespace {
// Carries one keychain answer from the main thread to the lookup's thread as plain values.
class KeychainReadRelay final : public QObject
{
    Q_OBJECT
signals:
    void answered(const QString &key, bool reached, const QString &reason);
};
} // namespace

namespace apikeys {

QString keychainService()
{
    return QStringLiteral("agentstudio");
}

QString keychainEntry(const QString &providerId)
{
    return QStringLiteral("provider/") + providerId;
}

QString missingKeyMessage(const ProviderConfig &provider, const QString &variable, bool keychainAllowed)
{
    const QString who = provider.kind.isEmpty() ? provider.id : provider.kind;
    if (keychainAllowed)
        return QStringLiteral(
            "%1: no API key: set %2 or store one in the system keychain (Settings > API Keys)")
            .arg(who, variable);
    return QStringLiteral("%1: no API key: set %2").arg(who, variable);
}

void storeKey(const QString &providerId, const QString &key, QObject *context,
    std::function<void(const QString &error)> done)
{
    auto *job = new QKeychain::WritePasswordJob(keychainService());
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(keychainEntry(providerId));
    job->setTextData(key);
    QObject::connect(
        job, &QKeychain::Job::finished, context, [job, done = std::move(done)](QKeychain::Job *) {
            done(job->error() == QKeychain::NoError ? QString() : job->errorString());
        });
    job->start();
}

void removeKey(const QString &providerId, QObject *context, std::function<void(const QString &error)> done)
{
    auto *job = new QKeychain::DeletePasswordJob(keychainService());
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(keychainEntry(providerId));
    QObject::connect(
        job, &QKeychain::Job::finished, context, [job, done = std::move(done)](QKeychain::Job *) {
            const bool ok = job->error() == QKeychain::NoError || job->error() == QKeychain::EntryNotFound;
            done(ok ? QString() : job->errorString());
        });
    job->start();
}

void probeKey(
    const QString &providerId, QObject *context, std::function<void(bool exists, const QString &error)> done)
{
    auto *job = new QKeychain::ReadPasswordJob(keychainService());
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(keychainEntry(providerId));
    QObject::connect(
        job, &QKeychain::Job::finished, context, [job, done = std::move(done)](QKeychain::Job *) {
            if (job->error() == QKeychain::NoError)
                done(!job->textData().trimmed().isEmpty(), QString());
            else if (job->error() == QKeychain::EntryNotFound)
                done(false, QString());
            else
                done(false, job->errorString());
        });
    job->start();
}

} // namespace apikeys

ApiKeyLookup::ApiKeyLookup(const ProviderConfig &provider, QObject *parent)
    : QObject(parent)
    , m_provider(provider)
{
    m_timeout.setSingleShot(true);
}

// A keychain job still running keeps going on the main thread and deletes itself when it ends;
// its result is dropped because this object (its connection's context) is gone.
ApiKeyLookup::~ApiKeyLookup() = default;

void ApiKeyLookup::start()
{
    if (m_started)
        return;
    m_started = true;
    const KeyPlan plan = credentials::planFor(m_provider);
    if (plan.needsTrust && !m_trust.allows(plan.use)) {
        // Not even the environment is read for a use nobody trusted.
        const QString error = credentials::untrustedMessage(plan.use);
        QMetaObject::invokeMethod(
            this, [this, error] { finish({}, error); }, Qt::QueuedConnection);
        return;
    }
    QString error;
    const QString key = resolveApiKey(m_provider, m_trust, &error);
    if (plan.variable.isEmpty() || !key.isEmpty() || !plan.keychainAllowed) {
        // The keychain holds keys for the official hosts only: anything else ends here.
        const QString missing = key.isEmpty() && !plan.variable.isEmpty()
            ? apikeys::missingKeyMessage(m_provider, plan.variable, false)
            : QString();
        QMetaObject::invokeMethod(
            this, [this, key, missing] { finish(key, missing); }, Qt::QueuedConnection);
        return;
    }
    startKeychainRead(plan.variable);
}

void ApiKeyLookup::startKeychainRead(const QString &variable)
{
    const QString missing = apikeys::missingKeyMessage(m_provider, variable);
    // The job and its relay live on the main thread; the relay reads the job while it is alive
    // (the job deletes itself right after finished()) and hands plain values to this object
    // through a queued signal, dropped by Qt if this object is gone by then.
    auto *job = new QKeychain::ReadPasswordJob(apikeys::keychainService());
    job->setAutoDelete(true);
    job->setInsecureFallback(false); // never a plain-text file
    job->setKey(apikeys::keychainEntry(m_provider.id));
    auto *relay = new KeychainReadRelay;
    connect(job, &QKeychain::Job::finished, relay, [job, relay](QKeychain::Job *) {
        const bool found = job->error() == QKeychain::NoError;
        const bool missingEntry = job->error() == QKeychain::EntryNotFound;
        emit relay->answered(found ? job->textData().trimmed() : QString(), found || missingEntry,
            found || missingEntry ? QString() : job->errorString());
        relay->deleteLater();
    });
    connect(
        relay, &KeychainReadRelay::answered, this,
        [this, missing](const QString &key, bool reached, const QString &reason) {
            if (!key.isEmpty())
                finish(key, {});
            else if (reached)
                finish({}, missing);
            else
                finish({},
                    missing
                        + QStringLiteral(" (system keychain: %1)")
                              .arg(reason.isEmpty() ? QStringLiteral("unavailable") : reason));
        },
        Qt::QueuedConnection);
    connect(&m_timeout, &QTimer::timeout, this, [this, missing] {
        finish({}, missing + QStringLiteral(" (system keychain: no answer within %1 ms)").arg(m_timeoutMs));
    });
    m_timeout.start(m_timeoutMs);
    // QtKeychain queues its jobs in one process-wide executor created by the first job: keep
    // them all on the main thread (the settings dialog's thread too), which outlives engines.
    QThread *main = QCoreApplication::instance() ? QCoreApplication::instance()->thread() : thread();
    if (main != thread()) {
        job->moveToThread(main);
        relay->moveToThread(main);
    }
    QMetaObject::invokeMethod(job, &QKeychain::Job::start, Qt::QueuedConnection);
}

void ApiKeyLookup::finish(const QString &key, const QString &error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_timeout.stop();
    emit finished(key, error);
}

#include "ApiKeyLookup.moc"
