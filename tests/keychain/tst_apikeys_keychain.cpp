#include "core/providers/ApiKeyLookup.h"
#include "tests/keychain/KeychainTestEnv.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

// Key resolution with the keychain in the picture, on a machine with no session bus (as in CI):
// the environment still wins, and "no key anywhere" ends quickly with the message naming both
// places, never hanging on a missing secret service.
class TestApiKeysKeychain : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_runtime;

    static ProviderConfig provider(const QString &kind, const QString &baseUrl, const QString &env)
    {
        ProviderConfig p;
        p.id = QStringLiteral("kc-test-") + kind;
        p.kind = kind;
        p.baseUrl = baseUrl;
        p.apiKeyEnv = env;
        return p;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        isolateFromSessionBus(m_runtime);
    }

    void names()
    {
        QCOMPARE(apikeys::keychainService(), QStringLiteral("agentstudio"));
        QCOMPARE(apikeys::keychainEntry(QStringLiteral("openai")), QStringLiteral("provider/openai"));
    }

    void resolve_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("baseUrl");
        QTest::addColumn<QString>("env");
        QTest::addColumn<QByteArray>("envValue");
        QTest::addColumn<bool>("trusted");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("error");

        const QString more = QStringLiteral(" or store one in the system keychain (Settings > API Keys)");
        QTest::newRow("named variable set")
            << "openai"
            << ""
            << "AS_KC_TEST_KEY" << QByteArray(" sk-env-1\n") << true << "sk-env-1"
            << "";
        QTest::newRow("named variable set, untrusted: not even read")
            << "openai"
            << ""
            << "AS_KC_TEST_KEY" << QByteArray(" sk-env-1\n") << false << ""
            << "provider 'kc-test-openai' (openai) would send AS_KC_TEST_KEY to host api.openai.com (not "
               "openai's "
               "default variable OPENAI_API_KEY); this workspace is not trusted";
        QTest::newRow("named variable empty, no keychain service")
            << "openai"
            << ""
            << "AS_KC_TEST_KEY" << QByteArray("") << true << ""
            << QString(QStringLiteral("openai: no API key: set AS_KC_TEST_KEY") + more);
        QTest::newRow("official openai host, nothing set")
            << "openai"
            << "https://api.openai.com/v1"
            << "" << QByteArray() << false << ""
            << QString(QStringLiteral("openai: no API key: set OPENAI_API_KEY") + more);
        QTest::newRow("anthropic, nothing set")
            << "anthropic"
            << ""
            << "" << QByteArray() << false << ""
            << QString(QStringLiteral("anthropic: no API key: set ANTHROPIC_API_KEY") + more);
        // The keychain holds keys for the official hosts: never asked for another one.
        QTest::newRow("trusted other host, nothing set: no keychain")
            << "openai"
            << "http://127.0.0.1:1/v1"
            << "AS_KC_TEST_KEY" << QByteArray() << true << ""
            << "openai: no API key: set AS_KC_TEST_KEY";
        QTest::newRow("local server needs no key") << "openai"
                                                   << "http://127.0.0.1:1/v1"
                                                   << "" << QByteArray() << false << ""
                                                   << "";
        QTest::newRow("ollama needs no key") << "ollama"
                                             << ""
                                             << "" << QByteArray() << false << ""
                                             << "";
    }

    // finished() comes once, in a later turn, with the key or the message (the keychain part of
    // the message may carry the reason the keychain could not answer).
    void resolve()
    {
        QFETCH(QString, kind);
        QFETCH(QString, baseUrl);
        QFETCH(QString, env);
        QFETCH(QByteArray, envValue);
        QFETCH(bool, trusted);
        QFETCH(QString, key);
        QFETCH(QString, error);
        qunsetenv("OPENAI_API_KEY");
        qunsetenv("ANTHROPIC_API_KEY");
        qunsetenv("AS_KC_TEST_KEY");
        if (!envValue.isNull())
            qputenv("AS_KC_TEST_KEY", envValue);

        ApiKeyLookup lookup(provider(kind, baseUrl, env));
        if (trusted)
            lookup.setTrust(CredentialTrust::everything());
        QSignalSpy finished(&lookup, &ApiKeyLookup::finished);
        lookup.start();
        QCOMPARE(finished.size(), 0); // never synchronous
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 20000);
        QCOMPARE(finished.at(0).at(0).toString(), key);
        const QString gotError = finished.at(0).at(1).toString();
        if (error.isEmpty())
            QVERIFY2(gotError.isEmpty(), qPrintable(gotError));
        else
            // Only a message that points at the keychain may carry the keychain's own reason.
            QVERIFY2(gotError == error
                    || (error.contains(QLatin1String("system keychain"))
                        && gotError.startsWith(error + QStringLiteral(" (system keychain: "))),
                qPrintable(gotError));
        QVERIFY(lookup.isFinished());
        // Nothing is delivered twice: a sentinel queued to the lookup now runs after anything
        // the lookup had queued for itself (posted events run in order).
        bool drained = false;
        QMetaObject::invokeMethod(
            &lookup, [&drained] { drained = true; }, Qt::QueuedConnection);
        QTRY_VERIFY(drained);
        QCOMPARE(finished.size(), 1);
    }

    // Giving up on a lookup (deleting it while the keychain may still be answering) is safe;
    // the keychain job finishes on its own and nothing is delivered.
    void deleteWhileLookingUp()
    {
        qunsetenv("AS_KC_TEST_KEY");
        auto *lookup = new ApiKeyLookup(
            provider(QStringLiteral("openai"), QString(), QStringLiteral("AS_KC_TEST_KEY")));
        lookup->setTrust(CredentialTrust::everything());
        lookup->start();
        delete lookup;
        // A second lookup afterwards still gets its answer (the keychain queue is not stuck).
        ApiKeyLookup next(provider(QStringLiteral("openai"), QString(), QStringLiteral("AS_KC_TEST_KEY")));
        next.setTrust(CredentialTrust::everything());
        QSignalSpy finished(&next, &ApiKeyLookup::finished);
        next.start();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 20000);
        QVERIFY(finished.at(0).at(1).toString().startsWith(
            QStringLiteral("openai: no API key: set AS_KC_TEST_KEY")));
    }

    // Store/remove without a secret service fail with a message (no plain-text fallback).
    void storeWithoutServiceFails()
    {
        QString error = QStringLiteral("unset");
        bool called = false;
        apikeys::storeKey(
            QStringLiteral("kc-test-store"), QStringLiteral("sk-never-stored"), this, [&](const QString &e) {
                error = e;
                called = true;
            });
        QTRY_VERIFY_WITH_TIMEOUT(called, 20000);
        QVERIFY(!error.isEmpty());
        QVERIFY(!error.contains(QLatin1String("sk-never-stored")));
    }
};

QTEST_GUILESS_MAIN(TestApiKeysKeychain)
#include "tst_apikeys_keychain.moc"
