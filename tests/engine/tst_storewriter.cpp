#include "core/engine/StoreWriter.h"
#include "core/store/ExecutionStore.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

// The store writer alone, on a real SQLite file read back through a second connection.
class TestStoreWriter : public QObject
{
    Q_OBJECT
private slots:
    void init() { QVERIFY(m_dir.isValid()); }
    void writesAreGroupedUntilCommitted();
    void commitIfDueHonoursTheAge();
    void idleTransactionCommitsByTimer();
    void partialOutputsFlushed();
    void failureReportedOnce();

private:
    QTemporaryDir m_dir;
    int m_n = 0;
    QString dbPath() { return m_dir.filePath(u"w%1.db"_s.arg(++m_n)); }
    static bool visible(const QString &path, const QString &id)
    {
        ExecutionStore reader(path);
        if (!reader.open().ok())
            return false;
        return reader.execution(StoreScope::everyWorkspace(), id, false).ok();
    }
    static ExecutionRecord record(const QString &id)
    {
        ExecutionRecord r;
        r.id = id;
        r.workspaceId = u"w"_s;
        r.executionType = ExecutionType::Agent;
        r.agentId = u"a"_s;
        r.status = ExecutionStatus::Queued;
        r.queuedAt = QDateTime::currentDateTimeUtc();
        return r;
    }
};

void TestStoreWriter::writesAreGroupedUntilCommitted()
{
    const QString path = dbPath();
    StoreWriter w(250);
    int begins = 0;
    w.setOnBegin([&] { ++begins; });
    w.open(path);
    QVERIFY(w.isOpen());
    const ExecutionRecord a = record(u"a"_s), b = record(u"b"_s);
    w.write([&](ExecutionStore &s) { return s.insertExecution(a); });
    w.write([&](ExecutionStore &s) { return s.insertExecution(b); });
    QCOMPARE(begins, 1); // one transaction for both
    QVERIFY(w.transactionOpen());
    QVERIFY(!visible(path, u"a"_s));
    w.commit();
    QVERIFY(!w.transactionOpen());
    QVERIFY(visible(path, u"a"_s));
    QVERIFY(visible(path, u"b"_s));
}

void TestStoreWriter::commitIfDueHonoursTheAge()
{
    const QString path = dbPath();
    StoreWriter w(250);
    w.open(path);
    const ExecutionRecord a = record(u"a"_s);
    w.write([&](ExecutionStore &s) { return s.insertExecution(a); });
    w.commitIfDue(false); // younger than kMaxTransactionMs: stays open
    QVERIFY(w.transactionOpen());
    w.commitIfDue(true); // a batch holding `complete` forces it
    QVERIFY(!w.transactionOpen());
    QVERIFY(visible(path, u"a"_s));
}

void TestStoreWriter::idleTransactionCommitsByTimer()
{
    const QString path = dbPath();
    StoreWriter w(250);
    w.open(path);
    const ExecutionRecord a = record(u"a"_s);
    w.write([&](ExecutionStore &s) { return s.insertExecution(a); });
    QTRY_VERIFY(!w.transactionOpen());
    QVERIFY(visible(path, u"a"_s));
}

namespace {
struct FakeSource : StoreWriter::PartialSource
{
    StepRecord step;
    bool dirty = false;
    const StepRecord *takeDirtyPartial() override
    {
        if (!dirty)
            return nullptr;
        dirty = false;
        return &step;
    }
};
} // namespace

void TestStoreWriter::partialOutputsFlushed()
{
    const QString path = dbPath();
    StoreWriter w(10);
    w.open(path);
    const ExecutionRecord a = record(u"a"_s);
    FakeSource src;
    src.step.id = u"s1"_s;
    src.step.executionId = u"a"_s;
    src.step.stepNumber = 1;
    src.step.kind = StepKind::Llm;
    src.step.status = StepStatus::Running;
    w.write([&](ExecutionStore &s) { return s.insertExecution(a); });
    w.write([&](ExecutionStore &s) { return s.insertStep(src.step); });
    w.commit();
    w.addPartialSource(&src);
    src.step.outputData = QJsonObject { { u"text"_s, u"so far"_s } };
    src.dirty = true;
    QTRY_VERIFY(!src.dirty); // the timer took it
    w.commit();
    ExecutionStore reader(path);
    QVERIFY(reader.open().ok());
    const Result<ExecutionRecord> r = reader.execution(StoreScope::everyWorkspace(), u"a"_s, true);
    QVERIFY(r.ok());
    QCOMPARE(r.value().steps.value(0).outputData.value(u"text"_s).toString(), u"so far"_s);
    w.removePartialSource(&src);
}

void TestStoreWriter::failureReportedOnce()
{
    StoreWriter w(250);
    QSignalSpy failed(&w, &StoreWriter::storeFailed);
    QFile blocker(m_dir.filePath(u"a-file"_s)); // a file where the database's folder would be
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    w.open(m_dir.filePath(u"a-file/x.db"_s));
    QVERIFY(!w.isOpen());
    QCOMPARE(failed.size(), 1);
    // A working store whose writes fail reports the first failure only.
    StoreWriter v(250);
    QSignalSpy vf(&v, &StoreWriter::storeFailed);
    v.open(dbPath());
    for (int i = 0; i < 3; ++i)
        v.write([](ExecutionStore &) { return Result<void>(Failure { u"disk full"_s }); });
    QCOMPARE(vf.size(), 1);
    QCOMPARE(vf.first().first().toString(), u"disk full"_s);
}

QTEST_GUILESS_MAIN(TestStoreWriter)
#include "tst_storewriter.moc"
