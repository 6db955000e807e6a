#include "core/engine/LocalBackend.h"
#include "core/providers/ApiKeyLookup.h"
#include "tests/keychain/KeychainTestEnv.h"
#include "tests/keychain/KeychainWorkspace.h"
#include "ui/mainwindow/MainWindow.h"
#include "ui/settings/ApiKeysDialog.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

// Settings > API Keys with no secret service reachable (as in CI): the list shows each network
// provider's key source, the key field hides what is typed, and storing fails with a message
// (never a plain-text fallback) without the key in it.
class TestApiKeysDialog : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_runtime;

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        isolateFromSessionBus(m_runtime);
        QStandardPaths::setTestModeEnabled(true);
    }

    // Settings > API Keys in the real main window opens the dialog on the open workspace (the
    // bundled example: openai, claude, ollama and the scripted provider).
    void openedFromMainWindow()
    {
        QSettings().clear();
        LocalBackend backend { Workspace(), EngineSettings() };
        MainWindow window(&backend);
        window.openInitialWorkspace();
        auto *action = window.findChild<QAction *>(QStringLiteral("actionApiKeys"));
        QVERIFY(action);
        action->trigger();
        auto *dialog = window.findChild<ApiKeysDialog *>(QStringLiteral("apiKeysDialog"));
        QVERIFY(dialog);
        QVERIFY(dialog->isVisible());
        auto *list = dialog->findChild<QTreeWidget *>(QStringLiteral("apiKeysList"));
        QVERIFY(list);
        QCOMPARE(list->topLevelItemCount(), 3);
        QTRY_COMPARE_WITH_TIMEOUT(dialog->pendingOperations(), 0, 20000);
        dialog->close();
    }

    void listsNetworkProviders()
    {
        qputenv("AS_KC_UI_KEY", "sk-ui-env-SECRET");
        qunsetenv("AS_KC_TEST_ANTHROPIC_KEY");
        ApiKeysDialog dialog(
            keychainWorkspace(QUrl(QStringLiteral("http://127.0.0.1:9")), QStringLiteral("AS_KC_UI_KEY")));
        auto *list = dialog.findChild<QTreeWidget *>(QStringLiteral("apiKeysList"));
        QVERIFY(list);
        QAbstractItemModelTester tester(
            list->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTRY_COMPARE_WITH_TIMEOUT(dialog.pendingOperations(), 0, 20000);

        QCOMPARE(list->topLevelItemCount(), 3); // the scripted provider is not listed
        QHash<QString, QString> source;
        for (int i = 0; i < list->topLevelItemCount(); ++i)
            source.insert(list->topLevelItem(i)->text(ApiKeysDialog::ProviderColumn),
                list->topLevelItem(i)->text(ApiKeysDialog::SourceColumn));
        QCOMPARE(source.value(QStringLiteral("cloud")), QStringLiteral("from $AS_KC_UI_KEY"));
        QVERIFY2(source.value(QStringLiteral("claude"))
                     .startsWith(QLatin1String("not set: set $AS_KC_TEST_ANTHROPIC_KEY")),
            qPrintable(source.value(QStringLiteral("claude"))));
        QCOMPARE(source.value(QStringLiteral("local")), QStringLiteral("no key needed"));
        for (const QString &s : std::as_const(source))
            QVERIFY(!s.contains(QLatin1String("sk-ui-env-SECRET")));

        auto *info = dialog.findChild<QLabel *>(QStringLiteral("apiKeysInfo"));
        QVERIFY(info);
        QVERIFY(info->text().contains(QLatin1String("system keychain")));
    }

    void storeWithoutSecretServiceFails()
    {
        qunsetenv("AS_KC_UI_KEY");
        ApiKeysDialog dialog(
            keychainWorkspace(QUrl(QStringLiteral("http://127.0.0.1:9")), QStringLiteral("AS_KC_UI_KEY")));
        dialog.show();
        QTRY_COMPARE_WITH_TIMEOUT(dialog.pendingOperations(), 0, 20000);
        auto *list = dialog.findChild<QTreeWidget *>(QStringLiteral("apiKeysList"));
        auto *edit = dialog.findChild<QLineEdit *>(QStringLiteral("apiKeyEdit"));
        auto *store = dialog.findChild<QPushButton *>(QStringLiteral("storeKeyButton"));
        auto *remove = dialog.findChild<QPushButton *>(QStringLiteral("removeKeyButton"));
        auto *status = dialog.findChild<QLabel *>(QStringLiteral("apiKeysStatus"));
        QVERIFY(list && edit && store && remove && status);
        QCOMPARE(edit->echoMode(), QLineEdit::Password);

        // The local Ollama row needs no key: nothing to store.
        for (int i = 0; i < list->topLevelItemCount(); ++i)
            if (list->topLevelItem(i)->text(ApiKeysDialog::ProviderColumn) == u"local")
                list->setCurrentItem(list->topLevelItem(i));
        QVERIFY(!edit->isEnabled());
        QVERIFY(!store->isEnabled());

        // The loopback "cloud" row is not an official host: the keychain would never serve it.
        for (int i = 0; i < list->topLevelItemCount(); ++i)
            if (list->topLevelItem(i)->text(ApiKeysDialog::ProviderColumn) == u"cloud") {
                list->setCurrentItem(list->topLevelItem(i));
                QCOMPARE(list->topLevelItem(i)->text(ApiKeysDialog::SourceColumn),
                    QStringLiteral("not set: set $AS_KC_UI_KEY (the keychain serves official hosts only)"));
            }
        QVERIFY(!edit->isEnabled());
        QVERIFY(!store->isEnabled());

        // "claude" points at api.anthropic.com: its key may live in the keychain.
        for (int i = 0; i < list->topLevelItemCount(); ++i)
            if (list->topLevelItem(i)->text(ApiKeysDialog::ProviderColumn) == u"claude")
                list->setCurrentItem(list->topLevelItem(i));
        QVERIFY(edit->isEnabled());
        QVERIFY(!store->isEnabled()); // nothing typed yet
        QVERIFY(!remove->isEnabled()); // no keychain entry
        QTest::keyClicks(edit, QStringLiteral("sk-typed-SECRET"));
        QVERIFY(store->isEnabled());
        QSignalSpy done(&dialog, &ApiKeysDialog::keychainOperationFinished);
        QTest::mouseClick(store, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(
            status->text().startsWith(QLatin1String("Could not store the key for 'claude'")), 20000);
        QVERIFY(!status->text().contains(QLatin1String("sk-typed-SECRET")));
        QVERIFY(done.size() >= 1);
    }
};

QTEST_MAIN(TestApiKeysDialog)
#include "tst_apikeys_dialog.moc"
