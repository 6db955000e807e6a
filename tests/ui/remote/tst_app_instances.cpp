// The real MainWindow connected to two REAL agentstudio-server instances (docs/remote-instances.md):
// the status bar names the instance in use ("Remote: host:port · instance a"); when that instance
// is killed the window carries on with the next one, the status bar names it and the history dock
// lists its runs; with every instance down the status bar says so, naming them.
#include "core/engine/LocalBackend.h"
#include "core/remote/RemoteBackend.h"
#include "tests/support/ServerFixture.h"
#include "ui/common/MessageBox.h"
#include "ui/history/HistoryDock.h"
#include "ui/history/HistoryModel.h"
#include "ui/mainwindow/MainWindow.h"
#include "ui/trace/CompareView.h"

#include <QLabel>
#include <QSettings>
#include <QStandardPaths>
#include <QTest>

#include <memory>

using namespace serverfixture;

class TestAppInstances : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("AgentStudioTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_app_instances"));
        QSettings().clear();
        MessageBox::setDefaultAnswer(QMessageBox::NoButton);
    }

    void statusBarNamesTheInstanceAndFollowsTheMove()
    {
        QTemporaryDir dirA;
        QTemporaryDir dirB;
        QTemporaryDir local;
        ServerProcess a;
        ServerProcess b;
        QString error;
        QVERIFY2(a.start(dirA.path(), { QStringLiteral("--instance"), QStringLiteral("a") }, &error),
            qPrintable(error));
        QVERIFY2(b.start(dirB.path(), { QStringLiteral("--instance"), QStringLiteral("b") }, &error),
            qPrintable(error));
        // A run that only B's database holds: listed once the window has moved to B.
        QNetworkAccessManager nam;
        QUrl testOnB = b.url;
        testOnB.setPath(QStringLiteral("/api/agents/echo/test"));
        const HttpResult started
            = http(nam, "POST", testOnB, kAlphaToken, R"({"inputs":{"text":"only on b"}})");
        QCOMPARE(started.status, 202);
        const QString onlyOnB = started.json.value(QLatin1String("execution_id")).toString();
        QVERIFY(!onlyOnB.isEmpty());

        EngineSettings settings;
        settings.databasePath = local.filePath(QStringLiteral("local.db"));
        LocalBackend localBackend(Workspace(), settings);
        MainWindow window(&localBackend);
        window.openInitialWorkspace();
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *remote = new RemoteBackend(QList<QUrl> { a.url, b.url }, kAlphaToken);
        remote->setHeartbeatInterval(200); // health is re-read each heartbeat: a stop is seen soon
        QVERIFY(window.useRemoteBackend(remote));
        auto *label = window.findChild<QLabel *>(QStringLiteral("engineLabel"));
        QVERIFY(label);
        const QString hostA = QStringLiteral("127.0.0.1:%1").arg(a.url.port());
        const QString hostB = QStringLiteral("127.0.0.1:%1").arg(b.url.port());
        QTRY_VERIFY2_WITH_TIMEOUT(
            label->text().startsWith(QStringLiteral("Remote: %1 · instance a ").arg(hostA))
                && label->text().endsWith(QStringLiteral("connected")),
            qPrintable(label->text()), 10000);
        HistoryDock *history = window.historyDock();
        QTRY_VERIFY_WITH_TIMEOUT(!history->model()->isLoading(), 10000);
        QCOMPARE(history->model()->rowOf(onlyOnB), -1);

        a.kill(); // SIGKILL
        QTRY_VERIFY2_WITH_TIMEOUT(
            label->text().startsWith(QStringLiteral("Remote: %1 · instance b ").arg(hostB))
                && label->text().endsWith(QStringLiteral("connected")),
            qPrintable(label->text()), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(history->model()->rowOf(onlyOnB) >= 0, 10000);

        b.kill();
        QTRY_VERIFY2_WITH_TIMEOUT(
            label->text().contains(QStringLiteral("all instances down (%1, %2)").arg(hostA, hostB)),
            qPrintable(label->text()), 10000);
        QVERIFY2(label->toolTip().contains(QStringLiteral("all 2 server instances are down")),
            qPrintable(label->toolTip()));
        QVERIFY(window.useLocalEngine());
    }
};

QTEST_MAIN(TestAppInstances)
#include "tst_app_instances.moc"
