#include "core/common/Util.h"
#include "core/engine/LocalBackend.h"
#include "core/providers/ApiKeyLookup.h"
#include "tests/keychain/KeychainWorkspace.h"
#include "tests/support/ScriptedHttpServer.h"
#include "ui/settings/ApiKeysDialog.h"

#include <QApplication>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTest>
#include <QTreeWidget>

// With a real Secret Service (CTest runs this inside a private D-Bus session with its own
// unlocked gnome-keyring: run_with_secret_service.sh): a key stored through Settings > API Keys
// is the one a run then sends, with no environment variable set; after removing it, the run
// fails with the message. Skips itself when no secret service is reachable. Keychain keys go
// only to their provider's official host: the loopback server stands in for api.openai.com
// (credentials::setOfficialOriginForTesting), and once it no longer does, the stored key stays
// home.
namespace {

const QString kKey = QStringLiteral("sk-kc-keyring-SECRET-42");

ScriptedHttpServer::Response okResponse()
{
    ScriptedHttpServer::Response ok;
    ok.headers = { { "Content-Type", "text/event-stream" } };
    ok.body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"from keyring\"}}]}\n\n"
              "data: [DONE]\n\n";
    return ok;
}

} // namespace

class TestKeychainSecretService : public QObject
{
    Q_OBJECT

private:
    static QTreeWidgetItem *row(QTreeWidget *list, const QString &provider)
    {
        for (int i = 0; i < list->topLevelItemCount(); ++i)
            if (list->topLevelItem(i)->text(ApiKeysDialog::ProviderColumn) == provider)
                return list->topLevelItem(i);
        return nullptr;
    }

    struct Run
    {
        QString status, error, everything;
    };

    Run runOnce(const QUrl &server)
    {
        EngineSettings settings;
        settings.credentialTrust = CredentialTrust::everything(); // the test's own workspace
        LocalBackend backend(keychainWorkspace(server, QStringLiteral("AS_KC_SS_KEY")), settings);
        Run run;
        bool done = false;
        connect(&backend, &ExecutionBackend::eventsReceived, this, [&](const ExecutionEventList &events) {
            for (const ExecutionEvent &e : events) {
                run.everything += e.content + e.errorMessage + e.summary->errorMessage
                    + QString::fromUtf8(QJsonDocument(e.toJson()).toJson());
                if (e.isTerminal()) {
                    run.status = toWire(e.status);
                    run.error = e.summary->errorMessage;
                    done = true;
                }
            }
        });
        ExecutionRequest r;
        r.executionId = as::newId();
        r.agentId = QStringLiteral("cloudy");
        r.inputs = QJsonObject { { QStringLiteral("in"), QStringLiteral("hello") } };
        backend.start(r, nullptr, {}); // the events say how it goes
        if (!QTest::qWaitFor([&] { return done; }, 30000))
            run.status = QStringLiteral("<no end>");
        return run;
    }

private slots:
    void initTestCase()
    {
        QString error = QStringLiteral("<no answer>");
        bool answered = false;
        apikeys::storeKey(
            QStringLiteral("kc-test-probe"), QStringLiteral("probe"), this, [&](const QString &e) {
                error = e;
                answered = true;
            });
        if (!QTest::qWaitFor([&] { return answered; }, 20000))
            QSKIP("no secret service reachable: no answer from the keychain");
        if (!error.isEmpty())
            QSKIP(qPrintable(QStringLiteral("no secret service reachable: ") + error));
        answered = false;
        apikeys::removeKey(QStringLiteral("kc-test-probe"), this, [&](const QString &) { answered = true; });
        QTRY_VERIFY_WITH_TIMEOUT(answered, 20000);
    }

    void storedKeyIsUsedThenRemoved()
    {
        qunsetenv("AS_KC_SS_KEY");
        ScriptedHttpServer server;
        credentials::setOfficialOriginForTesting(QStringLiteral("openai"), server.url());
        ApiKeysDialog dialog(keychainWorkspace(server.url(), QStringLiteral("AS_KC_SS_KEY")));
        dialog.show();
        QTRY_COMPARE_WITH_TIMEOUT(dialog.pendingOperations(), 0, 20000);
        auto *list = dialog.findChild<QTreeWidget *>(QStringLiteral("apiKeysList"));
        auto *edit = dialog.findChild<QLineEdit *>(QStringLiteral("apiKeyEdit"));
        auto *store = dialog.findChild<QPushButton *>(QStringLiteral("storeKeyButton"));
        auto *remove = dialog.findChild<QPushButton *>(QStringLiteral("removeKeyButton"));
        auto *status = dialog.findChild<QLabel *>(QStringLiteral("apiKeysStatus"));
        QVERIFY(list && edit && store && remove && status);
        QTreeWidgetItem *cloud = row(list, QStringLiteral("cloud"));
        QVERIFY(cloud);
        list->setCurrentItem(cloud);

        QTest::keyClicks(edit, kKey);
        QTest::mouseClick(store, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(
            status->text(), QStringLiteral("Stored the key for 'cloud' in the system keychain."), 20000);
        QTRY_COMPARE_WITH_TIMEOUT(
            cloud->text(ApiKeysDialog::SourceColumn), QStringLiteral("from the system keychain"), 20000);
        QVERIFY(edit->text().isEmpty());
        QTRY_VERIFY(remove->isEnabled());

        server.enqueue(okResponse());
        const Run used = runOnce(server.url());
        QCOMPARE(used.status, QStringLiteral("completed"));
        QCOMPARE(server.requests.size(), 1);
        QCOMPARE(
            server.requests.first().headers.value("authorization"), QByteArray("Bearer " + kKey.toUtf8()));
        QVERIFY(!used.everything.contains(kKey));

        // The same entry, the same workspace, but the server is no longer the official host.
        credentials::setOfficialOriginForTesting(QStringLiteral("openai"), QUrl());
        const Run elsewhere = runOnce(server.url());
        QCOMPARE(elsewhere.status, QStringLiteral("failed"));
        QCOMPARE(elsewhere.error, QStringLiteral("openai: no API key: set AS_KC_SS_KEY"));
        QCOMPARE(server.requests.size(), 1);
        credentials::setOfficialOriginForTesting(QStringLiteral("openai"), server.url());

        QTest::mouseClick(remove, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(
            status->text(), QStringLiteral("Removed the key for 'cloud' from the system keychain."), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(
            cloud->text(ApiKeysDialog::SourceColumn).startsWith(QLatin1String("not set")), 20000);

        const Run missing = runOnce(server.url());
        QCOMPARE(missing.status, QStringLiteral("failed"));
        QVERIFY2(missing.error.startsWith(QLatin1String(
                     "openai: no API key: set AS_KC_SS_KEY or store one in the system keychain")),
            qPrintable(missing.error));
        QCOMPARE(server.requests.size(), 1);
        credentials::setOfficialOriginForTesting(QStringLiteral("openai"), QUrl());
    }
};

QTEST_MAIN(TestKeychainSecretService)
#include "tst_keychain_secret_service.moc"
