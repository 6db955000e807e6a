// The PostgreSQL store's own properties (core/store/PgStore, docs/postgres-store.md), against a
// real throwaway cluster (tests/support/PgCluster); the behaviour it shares with the SQLite
// store is tst_executionstore_pg (the same suite as tst_executionstore).
#include "core/common/Util.h"
#include "core/store/ExecutionStore.h"
#include "core/store/PgConnection.h"
#include "core/store/PgStore.h"
#include "tests/support/PgCluster.h"

#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <memory>

using namespace Qt::StringLiterals;

namespace {

const StoreScope kEvery = StoreScope::everyWorkspace();
const QDateTime kBase = QDateTime(QDate(2026, 11, 1), QTime(9, 0, 0, 125), Qt::UTC);

ExecutionRecord makeExecution(
    const QString &text, int secondsAfterBase, ExecutionStatus status = ExecutionStatus::Completed)
{
    ExecutionRecord e;
    e.id = as::newId();
    e.workspaceId = u"demo"_s;
    e.executionType = ExecutionType::Agent;
    e.agentId = u"summarizer"_s;
    e.triggerType = TriggerType::Api;
    e.inputData = QJsonObject { { u"text"_s, text } };
    e.outputData = QJsonObject { { u"summary"_s, u"done"_s } };
    e.status = status;
    e.queuedAt = kBase.addSecs(secondsAfterBase);
    return e;
}

QString errorOf(const Result<void> &r)
{
    return r ? QString() : r.error();
}

// SQL on the test's database through its own connection (the store's is its own).
class Sql
{
public:
    explicit Sql(const QString &uri)
        : m_name(u"sql-%1"_s.arg(as::newId()))
    {
        const Result<void> r = pgconn::open(m_name, uri, u"test"_s);
        if (!r)
            qWarning() << r.error();
    }
    ~Sql() { pgconn::close(m_name); }
    QVariant scalar(const QString &sql) const
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        if (!q.exec(sql)) {
            qWarning() << sql << q.lastError().text();
            return {};
        }
        return q.next() ? q.value(0) : QVariant();
    }
    bool exec(const QString &sql) const
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        const bool ok = q.exec(sql);
        if (!ok)
            qWarning() << sql << q.lastError().text();
        return ok;
    }

private:
    QString m_name;
};

} // namespace

class TestPgStore : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();

    void opensMigratesAndRoundTrips();

private:
    PgCluster m_cluster;
    QString m_db;
    QString m_uri;
};

void TestPgStore::initTestCase()
{
    // Fails (never skips) without PostgreSQL: CI installs it.
    const Result<void> started = m_cluster.start();
    QVERIFY2(started, qPrintable(errorOf(started)));
}

void TestPgStore::init()
{
    const Result<QString> db = m_cluster.createDatabase(u"pg"_s);
    QVERIFY2(db, qPrintable(db ? QString() : db.error()));
    m_db = *db;
    m_uri = m_cluster.uri(m_db);
}

void TestPgStore::opensMigratesAndRoundTrips()
{
    ExecutionStore store(m_uri);
    QCOMPARE(store.kind(), u"postgresql"_s);
    int recovered = -1;
    const Result<void> opened = store.open(&recovered);
    QVERIFY2(opened, qPrintable(errorOf(opened)));
    QCOMPARE(recovered, 0);
    ExecutionRecord e = makeExecution(u"hello world"_s, 1, ExecutionStatus::Running);
    QVERIFY(store.insertExecution(e).ok());
    e.status = ExecutionStatus::Completed;
    e.completedAt = e.queuedAt.addMSecs(1500);
    QVERIFY(store.updateExecution(e).ok());
    const Result<ExecutionRecord> back = store.execution(kEvery, e.id, true);
    QVERIFY2(back, qPrintable(back ? QString() : back.error()));
    QCOMPARE(back->toJson(true), e.toJson(true));
    HistoryQuery q;
    q.search = u"hello"_s;
    const Result<HistoryPage> page = store.query(kEvery, q);
    QVERIFY2(page, qPrintable(page ? QString() : page.error()));
    QCOMPARE(page->items.size(), 1);
    Sql sql(m_uri);
    QCOMPARE(sql.scalar(u"SELECT max(version) FROM schema_version"_s).toInt(), 1);
}

QTEST_GUILESS_MAIN(TestPgStore)
#include "tst_pgstore.moc"
