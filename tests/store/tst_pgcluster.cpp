// The tests' throwaway PostgreSQL cluster (tests/support/PgCluster): starts as root through
// the postgres user, answers on its socket and on TCP with the password, makes databases, and
// leaves nothing behind.
#include "tests/support/PgCluster.h"

#include <QDir>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

class TestPgCluster : public QObject
{
    Q_OBJECT
private slots:
    void startsQueriesAndCleansUp()
    {
        QString dir;
        {
            PgCluster pg;
            const Result<void> started = pg.start();
            QVERIFY2(started, qPrintable(started ? QString() : started.error()));
            dir = pg.socketDir();
            QVERIFY(QDir(dir).exists());
            const Result<QString> one = pg.psql(QStringLiteral("SELECT 40 + 2"));
            QVERIFY2(one, qPrintable(one ? QString() : one.error()));
            QCOMPARE(one.value().trimmed(), QStringLiteral("42"));
            const Result<QString> db = pg.createDatabase(QStringLiteral("probe"));
            QVERIFY2(db, qPrintable(db ? QString() : db.error()));

            // TCP with the password, through Qt's QPSQL driver.
            QVERIFY(QSqlDatabase::drivers().contains(QStringLiteral("QPSQL")));
            {
                QSqlDatabase c = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QStringLiteral("probe"));
                c.setHostName(QStringLiteral("127.0.0.1"));
                c.setPort(pg.port());
                c.setDatabaseName(db.value());
                c.setUserName(pg.user());
                c.setPassword(pg.password());
                QVERIFY2(c.open(), qPrintable(c.lastError().text()));
                QSqlQuery q(c);
                QVERIFY(q.exec(QStringLiteral("SELECT current_database()")) && q.next());
                QCOMPARE(q.value(0).toString(), db.value());
                c.setPassword(QStringLiteral("wrong"));
                c.close();
                QVERIFY(!c.open());
                QVERIFY2(
                    c.lastError().databaseText().contains(QLatin1String("password authentication failed")),
                    qPrintable(c.lastError().databaseText()));
            }
            QSqlDatabase::removeDatabase(QStringLiteral("probe"));
        }
        QVERIFY(!QDir(dir).exists());
    }
};

QTEST_GUILESS_MAIN(TestPgCluster)
#include "tst_pgcluster.moc"
