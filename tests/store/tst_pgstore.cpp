// The PostgreSQL store's own properties (core/store/PgStore, docs/postgres-store.md), against a
// real throwaway cluster (tests/support/PgCluster); the behaviour it shares with the SQLite
// store is tst_executionstore_pg (the same suite as tst_executionstore).
#include "core/common/Util.h"
#include "core/store/ExecutionStore.h"
#include "core/store/PgConnection.h"
#include "core/store/PgStore.h"
#include "core/store/ResponseCacheStore.h"
#include "tests/support/PgCluster.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QSemaphore>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
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
    void concurrentOpensMigrateOnce();
    void newerSchemaIsRefused();
    void connectionErrorsNameTheProblem_data();
    void connectionErrorsNameTheProblem();
    void passwordFromEnvironmentOrPasswordFile();
    void fullTextSearchMatchesSqlite_data();
    void fullTextSearchMatchesSqlite();
    void keysetPagingAcrossIdenticalTimestamps();
    void jsonbRoundTrip();
    void expiredLeaseInterruptsOnlyItsExecutions();
    void ownerInstanceIsRecorded();
    void responseCacheLivesInTheDatabase();

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

// Three stores open the same fresh database at the same moment: the migration runs once, under
// the advisory lock, and none of them fails.
void TestPgStore::concurrentOpensMigrateOnce()
{
    QList<QThread *> threads;
    QStringList errors;
    QMutex lock;
    QSemaphore ready, go;
    for (int i = 0; i < 3; ++i) {
        threads.append(QThread::create([&]() {
            ExecutionStore store(m_uri);
            ready.release();
            go.acquire();
            const Result<void> r = store.open();
            QMutexLocker locked(&lock);
            errors.append(errorOf(r));
        }));
        threads.last()->start();
    }
    ready.acquire(3);
    go.release(3);
    for (QThread *t : threads) {
        QVERIFY(t->wait(60000));
        delete t;
    }
    QCOMPARE(errors, QStringList({ QString(), QString(), QString() }));
    Sql sql(m_uri);
    QCOMPARE(sql.scalar(u"SELECT count(*) FROM schema_version"_s).toInt(), 1);
    QCOMPARE(
        sql.scalar(u"SELECT count(*) FROM pg_proc WHERE proname = 'agentstudio_interrupt_expired'"_s).toInt(),
        1);
}

void TestPgStore::newerSchemaIsRefused()
{
    {
        ExecutionStore store(m_uri);
        QVERIFY(store.open().ok());
    }
    Sql sql(m_uri);
    QVERIFY(sql.exec(u"INSERT INTO schema_version (version) VALUES (7)"_s));
    ExecutionStore store(m_uri);
    const Result<void> r = store.open();
    QVERIFY(!r);
    QVERIFY2(
        r.error().contains(u"schema version 7"_s) && r.error().contains(u"(1)"_s), qPrintable(r.error()));
    QVERIFY(!store.isOpen());
}

void TestPgStore::connectionErrorsNameTheProblem_data()
{
    QTest::addColumn<QString>("uri");
    QTest::addColumn<QStringList>("expected");
    const QString secret = u"Zx9-secret-pw"_s;
    const quint16 port = m_cluster.port();
    // A port nothing listens on: the cluster's port + 1 is not ours, probed below.
    QTest::newRow("unreachable") << u"postgresql://postgres:%1@127.0.0.1:1/postgres?connect_timeout=3"_s.arg(
        secret) << QStringList { u"unreachable"_s, u"127.0.0.1:1"_s };
    QTest::newRow("wrong password")
        << u"postgresql://postgres:%1@127.0.0.1:%2/postgres?sslmode=disable"_s.arg(secret).arg(port)
        << QStringList { u"authentication failed for user \"postgres\""_s };
    QTest::newRow("missing database")
        << u"postgresql://postgres:%1@127.0.0.1:%2/no_such_db?sslmode=disable"_s.arg(m_cluster.password())
               .arg(port)
        << QStringList { u"database \"no_such_db\" does not exist"_s };
    QTest::newRow("bad port") << u"postgresql://postgres:%1@127.0.0.1:54x2/postgres"_s.arg(secret)
                              << QStringList { u"bad PostgreSQL URI"_s, u"invalid port '54x2'"_s };
    QTest::newRow("bad parameter")
        << u"postgresql://postgres:%1@127.0.0.1:%2/postgres?bogus_option=1"_s.arg(secret).arg(port)
        << QStringList { u"bogus_option"_s };
    QTest::newRow("ssl required")
        << u"postgresql://postgres:%1@127.0.0.1:%2/postgres?sslmode=require"_s.arg(secret).arg(port)
        << QStringList { u"SSL problem"_s, u"sslmode=require"_s };
}

void TestPgStore::connectionErrorsNameTheProblem()
{
    QFETCH(QString, uri);
    QFETCH(QStringList, expected);
    ExecutionStore store(uri);
    const Result<void> r = store.open();
    QVERIFY(!r);
    for (const QString &part : expected)
        QVERIFY2(r.error().contains(part), qPrintable(r.error()));
    // Neither the password of the URI nor the cluster's ever shows.
    QVERIFY2(!r.error().contains(u"Zx9-secret-pw"_s), qPrintable(r.error()));
    QVERIFY2(!r.error().contains(m_cluster.password()), qPrintable(r.error()));
    QVERIFY(!store.displayPath().contains(u"Zx9-secret-pw"_s));
}

// No password in the URI: libpq takes PGPASSWORD, or the password file named by passfile=.
void TestPgStore::passwordFromEnvironmentOrPasswordFile()
{
    QTemporaryDir dir;
    const QString nowhere = dir.filePath(u"none"_s);
    qputenv("PGPASSFILE", nowhere.toLocal8Bit()); // keep ~/.pgpass out of it
    qunsetenv("PGPASSWORD");
    const QString bare = m_cluster.uriWithoutPassword(m_db);
    {
        ExecutionStore store(bare);
        const Result<void> r = store.open();
        QVERIFY(!r);
        QVERIFY2(r.error().contains(u"authentication failed"_s), qPrintable(r.error()));
    }
    qputenv("PGPASSWORD", m_cluster.password().toLocal8Bit());
    {
        ExecutionStore store(bare);
        const Result<void> r = store.open();
        QVERIFY2(r, qPrintable(errorOf(r)));
    }
    qunsetenv("PGPASSWORD");
    const QString passfile = dir.filePath(u"pgpass"_s);
    {
        QFile f(passfile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(u"127.0.0.1:%1:*:postgres:%2\n"_s.arg(m_cluster.port()).arg(m_cluster.password()).toUtf8());
        f.close();
        f.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    }
    ExecutionStore store(bare + u"&passfile="_s + passfile);
    const Result<void> r = store.open();
    QVERIFY2(r, qPrintable(errorOf(r)));
    qunsetenv("PGPASSFILE");
}

void TestPgStore::fullTextSearchMatchesSqlite_data()
{
    QTest::addColumn<QString>("search");
    QTest::addColumn<int>("matches");
    QTest::newRow("word") << u"timeout"_s << 2;
    QTest::newRow("two words anywhere") << u"gateway timeout"_s << 2;
    QTest::newRow("case") << u"TIMEOUT"_s << 2;
    QTest::newRow("prefix") << u"time*"_s << 4;
    // A term's words in a row, as SQLite's phrase of a term ("quotes" are text, not grouping).
    QTest::newRow("phrase of a term") << u"timed-out"_s << 1;
    QTest::newRow("phrase order") << u"out-timed"_s << 0;
    QTest::newRow("phrase prefix") << u"timed-ou*"_s << 1;
    QTest::newRow("quotes are text") << u"\"gateway timeout\""_s << 2;
    QTest::newRow("number value") << u"4711"_s << 1;
    QTest::newRow("key is not text") << u"summary"_s << 0;
    QTest::newRow("operators are text") << u"gateway OR nothing"_s << 0;
    QTest::newRow("error message") << u"refused"_s << 1;
    QTest::newRow("punctuation only") << u"***"_s << 5;
    QTest::newRow("absent") << u"zebracorn"_s << 0;
}

// The same rows in a SQLite file and in PostgreSQL answer every search with the same ids.
void TestPgStore::fullTextSearchMatchesSqlite()
{
    QFETCH(QString, search);
    QFETCH(int, matches);
    QTemporaryDir dir;
    ExecutionStore lite(dir.filePath(u"h.db"_s));
    ExecutionStore pg(m_uri);
    QVERIFY(lite.open().ok());
    QVERIFY(pg.open().ok());
    const QString texts[] = { u"the gateway answered after a timeout"_s, u"timeout at the gateway"_s,
        u"timed out, see the gateway"_s, u"timeline shown"_s, u"all good"_s };
    for (int i = 0; i < 5; ++i) {
        ExecutionRecord e = makeExecution(texts[i], i);
        if (i == 1)
            e.outputData = QJsonObject { { u"summary"_s, u"order"_s }, { u"count"_s, 4711 } };
        if (i == 4)
            e.errorMessage = u"connection refused"_s;
        QVERIFY(lite.insertExecution(e).ok());
        QVERIFY(pg.insertExecution(e).ok());
    }
    HistoryQuery q;
    q.search = search;
    const Result<HistoryPage> a = lite.query(kEvery, q);
    const Result<HistoryPage> b = pg.query(kEvery, q);
    QVERIFY2(a && b, qPrintable(a ? (b ? QString() : b.error()) : a.error()));
    QStringList liteIds, pgIds;
    for (const ExecutionRecord &e : a->items)
        liteIds.append(e.id);
    for (const ExecutionRecord &e : b->items)
        pgIds.append(e.id);
    QCOMPARE(pgIds, liteIds);
    QCOMPARE(pgIds.size(), matches);
}

// Many rows at the same millisecond: pages continue on the id, nothing repeats or is lost.
void TestPgStore::keysetPagingAcrossIdenticalTimestamps()
{
    ExecutionStore store(m_uri);
    QVERIFY(store.open().ok());
    QStringList inserted;
    QVERIFY(store.begin().ok());
    for (int i = 0; i < 120; ++i) {
        ExecutionRecord e = makeExecution(u"same time"_s, 0);
        QVERIFY(store.insertExecution(e).ok());
        inserted.append(e.id);
    }
    QVERIFY(store.commit().ok());
    std::sort(inserted.begin(), inserted.end(), std::greater<QString>());
    QStringList seen;
    HistoryQuery q;
    q.limit = 50;
    int pages = 0;
    do {
        const Result<HistoryPage> page = store.query(kEvery, q);
        QVERIFY2(page, qPrintable(page ? QString() : page.error()));
        for (const ExecutionRecord &e : page->items)
            seen.append(e.id);
        q.cursor = page->nextCursor;
        ++pages;
    } while (!q.cursor.isEmpty() && pages < 10);
    QCOMPARE(pages, 3);
    QCOMPARE(seen, inserted);
}

// JSON is stored as jsonb and comes back with the same value (types, nesting, unicode).
void TestPgStore::jsonbRoundTrip()
{
    ExecutionStore store(m_uri);
    QVERIFY(store.open().ok());
    ExecutionRecord e = makeExecution(u"json"_s, 1);
    e.inputData
        = QJsonObject { { u"b"_s, 1 }, { u"a"_s, QJsonArray { 1.5, true, QJsonValue::Null, u"ü ✓ \"q\""_s } },
              { u"nested"_s, QJsonObject { { u"deep"_s, QJsonObject { { u"x"_s, -3 } } } } } };
    e.toolOverrides = QJsonObject { { u"weather"_s, QJsonObject { { u"error"_s, u"offline"_s } } } };
    QVERIFY(store.insertExecution(e).ok());
    const Result<ExecutionRecord> back = store.execution(kEvery, e.id, false);
    QVERIFY(back.ok());
    QCOMPARE(back->inputData, e.inputData);
    QCOMPARE(back->toolOverrides, e.toolOverrides);
    Sql sql(m_uri);
    QCOMPARE(sql.scalar(u"SELECT pg_typeof(input_data)::text FROM executions"_s).toString(), u"jsonb"_s);
    QCOMPARE(sql.scalar(u"SELECT input_data->'nested'->'deep'->>'x' FROM executions"_s).toString(), u"-3"_s);
    QCOMPARE(sql.scalar(u"SELECT pg_typeof(queued_at)::text FROM executions"_s).toString(),
        u"timestamp with time zone"_s);
}

// An instance whose heartbeat is older than its lease loses its live executions to
// `interrupted` (with a terminal event after its last one); a live instance's and an
// execution with no owner stay as they are.
void TestPgStore::expiredLeaseInterruptsOnlyItsExecutions()
{
    {
        ExecutionStore store(m_uri);
        QVERIFY(store.open().ok());
    }
    Sql sql(m_uri);
    QVERIFY(sql.exec(
        u"INSERT INTO server_instances (id, name, heartbeat_at, lease_ms) VALUES "
        "('dead-id', 'alpha-1', now() - interval '1 hour', 5000), ('live-id', 'alpha-2', now(), 60000)"_s));
    struct Owned
    {
        QString owner;
        ExecutionRecord e;
    };
    QList<Owned> rows = { { u"dead-id"_s, makeExecution(u"a"_s, 1, ExecutionStatus::Running) },
        { u"live-id"_s, makeExecution(u"b"_s, 2, ExecutionStatus::Running) },
        { QString(), makeExecution(u"c"_s, 3, ExecutionStatus::Running) } };
    StepRecord step;
    {
        // One writer; the owner is read at each insert.
        ExecutionStore writer(m_uri);
        QVERIFY(writer.open().ok());
        for (Owned &o : rows) {
            ExecutionStore::setProcessInstanceId(o.owner);
            QVERIFY(writer.insertExecution(o.e).ok());
        }
        step.id = as::newId();
        step.executionId = rows[0].e.id;
        step.status = StepStatus::Running;
        step.kind = StepKind::Llm;
        QVERIFY(writer.insertStep(step).ok());
    }
    ExecutionStore::setProcessInstanceId(QString());
    QVERIFY(sql.exec(u"INSERT INTO execution_events (execution_id, seq, event) VALUES ('%1', 3, '{}')"_s.arg(
        rows[0].e.id)));
    ExecutionStore store(m_uri);
    int recovered = -1;
    QVERIFY(store.open(&recovered).ok());
    QCOMPARE(recovered, 1);
    const Result<ExecutionRecord> dead = store.execution(kEvery, rows[0].e.id, true);
    QVERIFY(dead.ok());
    QCOMPARE(dead->status, ExecutionStatus::Interrupted);
    QCOMPARE(dead->errorMessage, u"interrupted: instance alpha-1 stopped renewing its lease"_s);
    QVERIFY(dead->completedAt.isValid());
    QCOMPARE(dead->steps.size(), 1);
    QCOMPARE(dead->steps.first().status, StepStatus::Interrupted);
    QCOMPARE(store.execution(kEvery, rows[1].e.id, false)->status, ExecutionStatus::Running);
    QCOMPARE(store.execution(kEvery, rows[2].e.id, false)->status, ExecutionStatus::Running);
    const QJsonObject event = QJsonDocument::fromJson(
        sql.scalar(u"SELECT event FROM execution_events WHERE terminal AND execution_id = '%1'"_s.arg(
                       rows[0].e.id))
            .toString()
            .toUtf8())
                                  .object();
    QCOMPARE(event.value(u"type"_s).toString(), u"complete"_s);
    QCOMPARE(event.value(u"seq"_s).toInt(), 4);
    QCOMPARE(event.value(u"status"_s).toString(), u"interrupted"_s);
    QCOMPARE(event.value(u"execution_id"_s).toString(), rows[0].e.id);
    QCOMPARE(sql.scalar(u"SELECT count(*) FROM execution_events WHERE terminal"_s).toInt(), 1);
}

void TestPgStore::ownerInstanceIsRecorded()
{
    ExecutionStore::setProcessInstanceId(u"inst-7"_s);
    ExecutionStore store(m_uri);
    QVERIFY(store.open().ok());
    const ExecutionRecord owned = makeExecution(u"x"_s, 1);
    QVERIFY(store.insertExecution(owned).ok());
    ExecutionStore::setProcessInstanceId(QString());
    const ExecutionRecord unowned = makeExecution(u"y"_s, 2);
    QVERIFY(store.insertExecution(unowned).ok());
    Sql sql(m_uri);
    QCOMPARE(sql.scalar(u"SELECT instance_id FROM executions WHERE id = '%1'"_s.arg(owned.id)).toString(),
        u"inst-7"_s);
    QVERIFY(sql.scalar(u"SELECT instance_id FROM executions WHERE id = '%1'"_s.arg(unowned.id)).isNull());
}

// The response cache of a server on PostgreSQL: its table in the same database, binary-safe
// bodies, replace on the same key, seen by a second connection.
void TestPgStore::responseCacheLivesInTheDatabase()
{
    ResponseCacheStore cache(m_uri);
    const Result<void> opened = cache.open();
    QVERIFY2(opened, qPrintable(errorOf(opened)));
    CachedResponse e;
    e.body = QByteArray("data: x\n\n\x00\xff'\\", 13);
    e.httpStatus = 200;
    e.request = QJsonObject { { u"model"_s, u"m"_s } };
    e.provider = u"openai"_s;
    e.model = u"m"_s;
    e.latencyMs = 120;
    e.ttftMs = -1;
    e.recordedAt = u"2026-11-02T08:30:00.250Z"_s;
    QString error;
    QVERIFY2(cache.store("k1", e, &error), qPrintable(error));
    std::optional<CachedResponse> back = cache.lookup("k1");
    QVERIFY(back);
    QCOMPARE(back->body, e.body);
    QCOMPARE(back->request, e.request);
    QCOMPARE(back->latencyMs, 120);
    QCOMPARE(back->ttftMs, -1);
    QCOMPARE(back->recordedAt, e.recordedAt);
    QVERIFY(!cache.lookup("k2"));
    e.body = "second";
    QVERIFY(cache.store("k1", e, &error));
    QCOMPARE(cache.count().value(), 1);
    ResponseCacheStore other(m_uri);
    QVERIFY(other.open().ok());
    QCOMPARE(other.lookup("k1")->body, QByteArray("second"));
    Sql sql(m_uri);
    QCOMPARE(sql.scalar(u"SELECT pg_typeof(body)::text FROM response_cache"_s).toString(), u"bytea"_s);
}

QTEST_GUILESS_MAIN(TestPgStore)
#include "tst_pgstore.moc"
