// ConnectDialog (File > Connect to remote workspace) against the real agentstudio-server: connects,
// hands over a working RemoteBackend, saves a profile that never holds the token, refills the token
// from memory, and shows server errors in the dialog.
#include "core/remote/RemoteBackend.h"
#include "tests/support/ServerFixture.h"
#include "ui/remote/ConnectDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using namespace serverfixture;

class TestConnectDialog : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    ServerProcess m_server;

    template <typename T> static T *child(QWidget &w, const char *name)
    {
        return w.findChild<T *>(QString::fromLatin1(name));
    }

private slots:
    void initTestCase()
    {
        qRegisterMetaType<RemoteBackend *>();
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("AgentStudioTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_connectdialog"));
        QSettings().clear();
        QString error;
        QVERIFY2(m_server.start(m_dir.path(), {}, &error), qPrintable(error));
    }
    void cleanupTestCase()
    {
        QSettings().clear();
        QCOMPARE(m_server.terminate(), 0);
    }

    void connectsAndSavesProfileWithoutToken()
    {
        ConnectDialog d;
        d.show();
        for (const char *name :
            { "remoteProfileCombo", "remoteProfileNameEdit", "remoteUrlEdit", "remoteTokenEdit",
                "remoteSaveProfileCheck", "remoteRememberTokenCheck", "remoteDeleteProfileButton",
                "remoteConnectButton", "remoteCancelButton", "remoteStatusLabel" })
            QVERIFY2(d.findChild<QWidget *>(QString::fromLatin1(name)), name);
        QCOMPARE(child<QLineEdit>(d, "remoteTokenEdit")->echoMode(), QLineEdit::Password);
        child<QLineEdit>(d, "remoteProfileNameEdit")->setText(QStringLiteral("ci server"));
        child<QLineEdit>(d, "remoteUrlEdit")->setText(m_server.url.toString());
        child<QLineEdit>(d, "remoteTokenEdit")->setText(kAlphaToken);
        RemoteBackend *backend = nullptr;
        connect(&d, &ConnectDialog::connected, this, [&backend](RemoteBackend *b) { backend = b; });
        QTest::mouseClick(child<QPushButton>(d, "remoteConnectButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(backend != nullptr, 15000);
        std::unique_ptr<RemoteBackend> owned(backend);
        QVERIFY(backend->workspace().agent(QStringLiteral("echo")));
        QCOMPARE(backend->connectionState(), QStringLiteral("connected"));
        QCOMPARE(d.result(), int(QDialog::Accepted));

        const QList<ConnectDialog::Profile> profiles = ConnectDialog::savedProfiles();
        QCOMPARE(profiles.size(), 1);
        QCOMPARE(profiles.first().name, QStringLiteral("ci server"));
        QCOMPARE(profiles.first().url, m_server.url);
        QSettings settings;
        settings.sync();
        QFile file(settings.fileName());
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray stored = file.readAll();
        QVERIFY(stored.contains("ci server"));
        QVERIFY(!stored.contains(kAlphaToken.toUtf8()));
    }

    void profileRefillsTokenFromMemory()
    {
        ConnectDialog d;
        auto *combo = child<QComboBox>(d, "remoteProfileCombo");
        QCOMPARE(combo->count(), 2); // "(new connection)" + the saved one
        combo->setCurrentIndex(1);
        QCOMPARE(child<QLineEdit>(d, "remoteUrlEdit")->text(), m_server.url.toString());
        QCOMPARE(child<QLineEdit>(d, "remoteTokenEdit")->text(), kAlphaToken);
    }

    void showsServerAndInputErrors()
    {
        ConnectDialog d;
        d.show();
        QSignalSpy connected(&d, &ConnectDialog::connected);
        auto *status = child<QLabel>(d, "remoteStatusLabel");
        auto *button = child<QPushButton>(d, "remoteConnectButton");
        child<QLineEdit>(d, "remoteUrlEdit")->setText(QStringLiteral("ftp://example.org"));
        child<QLineEdit>(d, "remoteTokenEdit")->setText(QStringLiteral("whatever-token"));
        QTest::mouseClick(button, Qt::LeftButton);
        QVERIFY(status->text().contains(QLatin1String("Server URL")));

        child<QLineEdit>(d, "remoteUrlEdit")->setText(m_server.url.toString());
        child<QLineEdit>(d, "remoteTokenEdit")->clear();
        QTest::mouseClick(button, Qt::LeftButton);
        QVERIFY(status->text().contains(QLatin1String("Token")));

        child<QLineEdit>(d, "remoteTokenEdit")->setText(QStringLiteral("wrong-token-0000"));
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QLatin1String("401")), 15000);
        QVERIFY(!status->text().contains(QLatin1String("wrong-token-0000")));
        QVERIFY(button->isEnabled());
        QCOMPARE(connected.size(), 0);
        QVERIFY(d.isVisible());
    }

    void deletesProfile()
    {
        ConnectDialog d;
        child<QComboBox>(d, "remoteProfileCombo")->setCurrentIndex(1);
        QTest::mouseClick(child<QPushButton>(d, "remoteDeleteProfileButton"), Qt::LeftButton);
        QCOMPARE(ConnectDialog::savedProfiles().size(), 0);
        QCOMPARE(child<QComboBox>(d, "remoteProfileCombo")->count(), 1);
    }
};

QTEST_MAIN(TestConnectDialog)
#include "tst_connectdialog.moc"
