// The readiness check behind GET /api/health for a PostgreSQL store (core/server/ServerOps.h,
// docs/operations.md "Health"), against a real throwaway PostgreSQL cluster: it reports a
// reachable database, and an unreachable one (wrong password, server gone) with a problem that
// names the database without its password; ServerOpsState follows it.
#include "core/server/ServerOps.h"
#include "tests/support/PgCluster.h"

#include <QSignalSpy>
#include <QTest>
#include <QUrl>

namespace {
const QString kWrongPassword = QStringLiteral("wrong-password-31337");
}

class TestDatabaseProbe : public QObject
{
    Q_OBJECT

    PgCluster m_cluster;

    // A probe on its own thread (as the server runs it); its results arrive here.
    struct Running
    {
        QThread thread;
        DatabaseProbe *probe = nullptr;
        Running(const QString &uri, int intervalMs)
        {
            probe = new DatabaseProbe(uri, intervalMs);
            probe->moveToThread(&thread);
            QObject::connect(&thread, &QThread::finished, probe, &QObject::deleteLater);
            thread.start();
        }
        ~Running()
        {
            thread.quit();
            thread.wait();
        }
        void begin() { QMetaObject::invokeMethod(probe, &DatabaseProbe::begin, Qt::QueuedConnection); }
    };

private slots:
    void initTestCase()
    {
        const Result<void> started = m_cluster.start();
        QVERIFY2(started, started ? "" : qPrintable(started.error()));
    }

    void reachableDatabaseIsReady()
    {
        Running r(m_cluster.uri(), 60000);
        QSignalSpy spy(r.probe, &DatabaseProbe::checked);
        r.begin();
        QVERIFY(spy.wait(10000));
        QCOMPARE(spy.first().at(0).toBool(), true);
        QCOMPARE(spy.first().at(1).toString(), QString());
    }

    void wrongPasswordIsNamedWithoutThePassword()
    {
        QUrl u(m_cluster.uri());
        u.setPassword(kWrongPassword);
        Running r(u.toString(), 60000);
        QSignalSpy spy(r.probe, &DatabaseProbe::checked);
        r.begin();
        QVERIFY(spy.wait(10000));
        QCOMPARE(spy.first().at(0).toBool(), false);
        const QString problem = spy.first().at(1).toString();
        QVERIFY2(problem.startsWith(QStringLiteral("database postgresql://postgres@127.0.0.1:")),
            qPrintable(problem));
        QVERIFY2(problem.contains(QLatin1String("password authentication failed")), qPrintable(problem));
        QVERIFY2(!problem.contains(kWrongPassword) && !problem.contains(m_cluster.password()),
            qPrintable(problem));
    }

    void stateFollowsTheDatabaseGoingAway()
    {
        // Last: stops the cluster.
        ServerOpsState state;
        state.probeDatabase(m_cluster.uri(), 200);
        QTRY_VERIFY_WITH_TIMEOUT(state.ready && state.problem.isEmpty(), 10000);
        m_cluster.stop();
        QTRY_VERIFY_WITH_TIMEOUT(!state.ready, 15000);
        QVERIFY2(state.problem.startsWith(QStringLiteral("database postgresql://postgres@127.0.0.1:")),
            qPrintable(state.problem));
        QVERIFY(!state.problem.contains(m_cluster.password()));
    }
};

QTEST_GUILESS_MAIN(TestDatabaseProbe)
#include "tst_databaseprobe.moc"
