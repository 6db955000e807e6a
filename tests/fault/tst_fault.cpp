#include "tests/support/ServerFixture.h"
#include "tests/support/TestSupport.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

using namespace Qt::StringLiterals;

// The fault suite (docs/testing.md): each BUILT program — the runner, the server, the desktop
// app — is killed with SIGKILL while a run is in flight, kCycles times on one database. The
// cycles go through the moments of a run (see Moment). After every kill the product reopens the
// database (`agentstudio-run history`), and the test checks what a user relies on, not how the
// store achieves it: the file passes PRAGMA integrity_check; every run that was in flight, or
// that the program had acknowledged, is there and `interrupted` (none stays `running`, none
// vanished); every run that had completed is still there, `completed`, with the same output
// and steps.
//
// Each program runs as a separate CTest (fault.runner, fault.server, fault.app), each with its
// own temporary database.

namespace {

constexpr int kCycles = 20;
constexpr int kWaitMs = 30000; // for one state to show; generous for a loaded CI machine

// When in a run the program is killed.
enum class Moment {
    // Part of the reply is stored (a workflow's: after its first node completed).
    Streaming,
    // The database shows the run `running`.
    Running,
    // The program has given out the run's id (the server's 202, the runner's first event),
    // nothing more.
    Acknowledged,
};

const char *name(Moment m)
{
    return m == Moment::Streaming ? "streaming" : m == Moment::Running ? "running" : "acknowledged";
}

struct StoredStep
{
    QString id, status;
    QByteArray output;
    bool operator==(const StoredStep &) const = default;
};

// One execution as the database holds it.
struct StoredRun
{
    QString status;
    QString target; // the workflow id, else the agent id
    QByteArray output;
    QList<StoredStep> steps;

    int stepsIn(const QString &status) const
    {
        return int(std::count_if(
            steps.begin(), steps.end(), [&](const StoredStep &s) { return s.status == status; }));
    }
    // Mid-stream: a step is running and part of its reply is already stored.
    bool streaming() const
    {
        return status == u"running"_s && std::any_of(steps.begin(), steps.end(), [](const StoredStep &s) {
            return s.status == u"running"_s && s.output.size() > 2;
        });
    }
};
using StoredRuns = QHash<QString, StoredRun>;

// A separate read-only connection per look: the test never holds a lock or a snapshot while a
// program runs, is killed or recovers.
class ReadOnlyDb
{
public:
    explicit ReadOnlyDb(const QString &path)
        : m_name(u"fault-"_s + QUuid::createUuid().toString(QUuid::WithoutBraces))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_name);
        db.setDatabaseName(path);
        db.setConnectOptions(u"QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"_s);
        if (!QFileInfo::exists(path))
            m_error = u"no database at "_s + path;
        else if (!db.open())
            m_error = db.lastError().text();
    }
    ~ReadOnlyDb()
    {
        QSqlDatabase::database(m_name, false).close();
        QSqlDatabase::removeDatabase(m_name);
    }
    bool ok() const { return m_error.isEmpty(); }
    const QString &error() const { return m_error; }

    // Every row of a query, each as its columns' values; empty with error() set on failure.
    QList<QVariantList> rows(const QString &sql)
    {
        QList<QVariantList> out;
        if (!ok())
            return out;
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        if (!q.exec(sql)) {
            m_error = q.lastError().text() + u" in: "_s + sql;
            return out;
        }
        while (q.next()) {
            QVariantList row;
            for (int i = 0; i < q.record().count(); ++i)
                row.append(q.value(i));
            out.append(row);
        }
        return out;
    }

private:
    QString m_name;
    QString m_error;
};

StoredRuns readRuns(const QString &path, QString *error = nullptr)
{
    StoredRuns runs;
    ReadOnlyDb db(path);
    db.rows(u"BEGIN"_s); // both reads from one snapshot, while the program may write
    const QList<QVariantList> executions = db.rows(
        u"SELECT id, status, COALESCE(orchestration_id, agent_id, ''), output_data FROM executions"_s);
    const QList<QVariantList> steps = db.rows(
        u"SELECT execution_id, id, status, output_data FROM execution_steps ORDER BY step_number, id"_s);
    db.rows(u"COMMIT"_s);
    if (error)
        *error = db.error();
    for (const QVariantList &e : executions)
        runs.insert(
            e.at(0).toString(), { e.at(1).toString(), e.at(2).toString(), e.at(3).toByteArray(), {} });
    for (const QVariantList &s : steps) {
        auto it = runs.find(s.at(0).toString());
        if (it != runs.end())
            it->steps.append({ s.at(1).toString(), s.at(2).toString(), s.at(3).toByteArray() });
    }
    return runs;
}

// "ok" when SQLite finds the file sound and no step points at a missing execution.
QString integrity(const QString &path)
{
    ReadOnlyDb db(path);
    QStringList found;
    for (const QVariantList &row : db.rows(u"PRAGMA integrity_check"_s))
        found.append(row.value(0).toString());
    for (const QVariantList &row : db.rows(u"PRAGMA foreign_key_check"_s))
        found.append(u"foreign key broken in "_s + row.value(0).toString());
    if (!db.ok())
        return db.error();
    return found.join(u"; "_s);
}

bool reached(const StoredRun &run, Moment moment)
{
    if (moment != Moment::Streaming)
        return run.status == u"running"_s;
    return run.streaming() && (run.target != u"brief"_s || run.stepsIn(u"completed"_s) > 0);
}

// A run of target (an agent or the workflow) has reached the moment.
bool anyReached(const QString &db, const QString &target, Moment moment)
{
    const StoredRuns runs = readRuns(db);
    return std::any_of(runs.begin(), runs.end(),
        [&](const StoredRun &r) { return r.target == target && reached(r, moment); });
}

// Every one of the runs has reached the moment.
bool allReached(const QString &db, const QStringList &ids, Moment moment)
{
    const StoredRuns runs = readRuns(db);
    return std::all_of(ids.begin(), ids.end(), [&](const QString &id) {
        const auto it = runs.find(id);
        return it != runs.end() && reached(*it, moment);
    });
}

#ifdef AS_FAULT_APP_DRIVER
int completedCount(const QString &db, const QString &target)
{
    const StoredRuns runs = readRuns(db);
    return int(std::count_if(runs.begin(), runs.end(),
        [&](const StoredRun &r) { return r.target == target && r.status == u"completed"_s; }));
}
#endif

// Whether the process has written a complete line on stdout (collected into `buffer`). Only
// collects, so that QTRY_* may evaluate it any number of times.
bool hasLine(QProcess &process, QByteArray &buffer)
{
    buffer += process.readAllStandardOutput();
    return buffer.contains('\n');
}

QByteArray takeLine(QByteArray &buffer)
{
    const qsizetype nl = buffer.indexOf('\n');
    const QByteArray line = buffer.left(nl).trimmed();
    buffer.remove(0, nl + 1);
    return line;
}

} // namespace

class TestFault : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void runnerKilledMidRun();
    void serverKilledMidRun();
#ifdef AS_FAULT_APP_DRIVER
    void appKilledMidRun();
#endif

private:
    QProcessEnvironment environment() const;
    testsupport::ProcessResult runner(const QStringList &args);
    // Kills the process with SIGKILL, lets the product reopen the database and checks it.
    // `reported`: runs the program reported completed; `acknowledged`: runs in flight whose id
    // it gave out.
    void killMidRunAndCheck(QProcess &process, const QString &where, const QStringList &reported,
        const QStringList &acknowledged = {});

    QTemporaryDir m_dir;
    QString m_workspace;
    QString m_db;
};

QProcessEnvironment TestFault::environment() const
{
    // Nothing of the user's: settings, data and the default database live in the temp folder.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"HOME"_s, m_dir.path());
    env.insert(u"XDG_CONFIG_HOME"_s, m_dir.filePath(u"config"_s));
    env.insert(u"XDG_DATA_HOME"_s, m_dir.filePath(u"data"_s));
    env.insert(u"XDG_CACHE_HOME"_s, m_dir.filePath(u"cache"_s));
    return env;
}

testsupport::ProcessResult TestFault::runner(const QStringList &args)
{
    const QProcessEnvironment env = environment();
    QStringList extra;
    for (const QString &key : { u"HOME"_s, u"XDG_CONFIG_HOME"_s, u"XDG_DATA_HOME"_s, u"XDG_CACHE_HOME"_s })
        extra.append(key + u'=' + env.value(key));
    return testsupport::runProcess(testsupport::binaryPath(u"run/agentstudio-run"_s), args, 60000, extra);
}

void TestFault::initTestCase()
{
    QVERIFY(m_dir.isValid());
    for (const QString &binary : { u"run/agentstudio-run"_s, u"server/agentstudio-server"_s })
        QVERIFY2(
            QFileInfo::exists(testsupport::binaryPath(binary)), qPrintable(testsupport::binaryPath(binary)));
    m_workspace = testsupport::sourcePath(u"tests/fault/fault.agents.json"_s);
    const auto valid = runner({ u"validate"_s, u"--workspace"_s, m_workspace });
    QVERIFY2(valid.exitCode == 0, valid.err.constData());
}

void TestFault::killMidRunAndCheck(
    QProcess &process, const QString &where, const QStringList &reported, const QStringList &acknowledged)
{
    QString error;
    const StoredRuns before = readRuns(m_db, &error);
    QVERIFY2(error.isEmpty(), qPrintable(where + error));
    QStringList inFlight = acknowledged;
    StoredRuns completed;
    for (auto it = before.begin(); it != before.end(); ++it) {
        if ((it->status == u"running"_s || it->status == u"queued"_s) && !inFlight.contains(it.key()))
            inFlight.append(it.key());
        else if (it->status == u"completed"_s)
            completed.insert(it.key(), it.value());
    }
    QVERIFY2(!inFlight.isEmpty(), qPrintable(where + u"no run in flight at the kill"_s));
    QVERIFY2(!completed.isEmpty(), qPrintable(where + u"no completed run before the kill"_s));
    for (const QString &id : reported)
        QVERIFY2(completed.contains(id),
            qPrintable(where + id + u" was reported completed but is not in the database"_s));

    process.kill(); // SIGKILL: no handler, no destructor, no flush runs
    QVERIFY2(process.waitForFinished(10000), qPrintable(where + u"the killed process did not end"_s));
    QCOMPARE(process.exitStatus(), QProcess::CrashExit);

    // The product reopens the database (and recovers it); what it lists is checked last.
    const auto history = runner({ u"history"_s, u"--db"_s, m_db, u"--status"_s, u"interrupted"_s,
        u"--limit"_s, u"100000"_s, u"--format"_s, u"json"_s });
    QVERIFY2(history.exitCode == 0, qPrintable(where + QString::fromUtf8(history.err)));
    QSet<QString> listed;
    for (const QJsonValue &v : QJsonDocument::fromJson(history.out).array())
        listed.insert(v.toObject().value(u"id"_s).toString());

    const QString problems = integrity(m_db);
    QVERIFY2(problems == u"ok"_s, qPrintable(where + u"integrity: "_s + problems));
    const StoredRuns after = readRuns(m_db, &error);
    QVERIFY2(error.isEmpty(), qPrintable(where + error));
    for (auto it = before.begin(); it != before.end(); ++it)
        QVERIFY2(after.contains(it.key()), qPrintable(where + it.key() + u" vanished"_s));
    for (auto it = after.begin(); it != after.end(); ++it) {
        QVERIFY2(before.contains(it.key()) || inFlight.contains(it.key()),
            qPrintable(where + it.key() + u" appeared from nowhere"_s));
        QVERIFY2(it->status != u"running"_s && it->status != u"queued"_s,
            qPrintable(where + it.key() + u" is still "_s + it->status));
    }
    for (const QString &id : std::as_const(inFlight)) {
        const StoredRun &now = after.value(id);
        QVERIFY2(now.status == u"interrupted"_s,
            qPrintable(where + id + u" is "_s + (after.contains(id) ? now.status : u"lost"_s)));
        QVERIFY2(now.stepsIn(u"running"_s) == 0, qPrintable(where + id + u" still has a running step"_s));
        // What had finished inside the interrupted run (a workflow's first node) stays.
        for (const StoredStep &step : before.value(id).steps)
            if (step.status == u"completed"_s)
                QVERIFY2(
                    now.steps.contains(step), qPrintable(where + id + u": completed step lost or changed"_s));
    }
    for (auto it = completed.begin(); it != completed.end(); ++it) {
        const StoredRun &now = after[it.key()];
        const QString run = where + it.key();
        QVERIFY2(now.status == u"completed"_s, qPrintable(run + u" is "_s + now.status));
        QVERIFY2(now.output == it->output, qPrintable(run + u": output changed"_s));
        QVERIFY2(now.output.size() > 2, qPrintable(run + u": no output"_s));
        QVERIFY2(!now.steps.isEmpty(), qPrintable(run + u": no steps"_s));
        QVERIFY2(now.steps == it->steps, qPrintable(run + u": steps changed"_s));
        QVERIFY2(now.stepsIn(u"completed"_s) == now.steps.size(),
            qPrintable(run + u": a step is not completed"_s));
    }
    // The runner's history lists every run that was in flight as interrupted.
    for (const QString &id : std::as_const(inFlight))
        QVERIFY2(listed.contains(id), qPrintable(where + id + u" is not listed as interrupted"_s));
}

void TestFault::runnerKilledMidRun()
{
    m_db = m_dir.filePath(u"runner/executions.db"_s);
    const QString program = testsupport::binaryPath(u"run/agentstudio-run"_s);
    QStringList reported;
    for (int cycle = 1; cycle <= kCycles; ++cycle) {
        // The killed run: the slow agent, or every other cycle the workflow (first node quick,
        // second slow); the moment moves on every two cycles, so each pairing comes up.
        const bool workflow = cycle % 2 == 0;
        const QString target = workflow ? u"brief"_s : u"slow"_s;
        const Moment moment = Moment((cycle - 1) / 2 % 3);
        const QString where
            = u"cycle %1 (%2 run, killed %3): "_s.arg(cycle).arg(target, QLatin1String(name(moment)));
        const QString topic = u"topic=cycle %1 of the runner"_s.arg(cycle);

        // A run that completes: the runner prints it, then exits.
        const auto done = runner({ u"run"_s, u"--workspace"_s, m_workspace, u"--agent"_s, u"quick"_s,
            u"--db"_s, m_db, u"--input"_s, topic, u"--format"_s, u"json"_s });
        QVERIFY2(done.exitCode == 0, done.err.constData());
        const QJsonObject e = QJsonDocument::fromJson(done.out).object();
        QCOMPARE(e.value(u"status"_s).toString(), u"completed"_s);
        reported.append(e.value(u"id"_s).toString());

        QProcess process;
        process.setProcessEnvironment(environment());
        process.start(program,
            { u"run"_s, u"--workspace"_s, m_workspace, workflow ? u"--workflow"_s : u"--agent"_s, target,
                u"--db"_s, m_db, u"--input"_s, topic, u"--format"_s, u"jsonl"_s });
        QVERIFY(process.waitForStarted(10000));
        QStringList acknowledged;
        if (moment == Moment::Acknowledged) {
            // The first JSON line names the execution: from then on it must not vanish.
            QByteArray out;
            QTRY_VERIFY2_WITH_TIMEOUT(hasLine(process, out),
                qPrintable(where + QString::fromUtf8(process.readAllStandardError())), kWaitMs);
            const QString id
                = QJsonDocument::fromJson(takeLine(out)).object().value(u"execution_id"_s).toString();
            QVERIFY2(!id.isEmpty(), qPrintable(where + u"no execution id in the first event"_s));
            acknowledged.append(id);
        } else {
            QTRY_VERIFY2_WITH_TIMEOUT(anyReached(m_db, target, moment),
                qPrintable(where + QString::fromUtf8(process.readAllStandardError())), kWaitMs);
        }
        killMidRunAndCheck(process, where, reported, acknowledged);
        if (QTest::currentTestFailed())
            return;
    }
}

void TestFault::serverKilledMidRun()
{
    m_db = m_dir.filePath(u"server/executions.db"_s);
    const QString tokens = testsupport::writeFile(m_dir.path(), u"tokens.json"_s,
        QJsonDocument(QJsonObject { { u"tokens"_s,
                          QJsonArray { QJsonObject { { u"token"_s, serverfixture::kAlphaToken },
                              { u"organization_id"_s, u"local"_s }, { u"workspace_id"_s, u"fault"_s } } } } })
            .toJson());
    QStringList reported;
    for (int cycle = 1; cycle <= kCycles; ++cycle) {
        const Moment moment = Moment((cycle - 1) % 3);
        const QString where = u"cycle %1 (killed %2): "_s.arg(cycle).arg(QLatin1String(name(moment)));
        serverfixture::ServerProcess server;
        QString error;
        QVERIFY2(server.startRaw({ u"--workspace"_s, m_workspace, u"--db"_s, m_db, u"--listen"_s,
                                     u"127.0.0.1:0"_s, u"--tokens"_s, tokens },
                     &error),
            qPrintable(where + error));
        QNetworkAccessManager nam;
        auto api = [&](const QString &path) {
            QUrl u = server.url;
            u.setPath(path);
            return u;
        };
        auto start = [&](const QString &path) {
            const QByteArray body = QJsonDocument(
                QJsonObject {
                    { u"inputs"_s, QJsonObject { { u"topic"_s, u"cycle %1 of the server"_s.arg(cycle) } } } })
                                        .toJson();
            const auto r = serverfixture::http(nam, "POST", api(path), serverfixture::kAlphaToken, body);
            if (r.status != 202)
                qWarning() << "start failed" << r.status << r.body;
            return r.json.value(u"execution_id"_s).toString();
        };
        auto status = [&](const QString &id) {
            return serverfixture::http(
                nam, "GET", api(u"/api/executions/"_s + id), serverfixture::kAlphaToken)
                .json.value(u"status"_s)
                .toString();
        };

        // A run that completes, seen completed over HTTP.
        const QString done = start(u"/api/agents/quick/test"_s);
        QVERIFY(!done.isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(status(done), u"completed"_s, kWaitMs);
        reported.append(done);

        // Two runs in flight, the slow agent and the workflow: accepted (202), then seen
        // running over HTTP, then streaming in the database.
        const QStringList inFlight { start(u"/api/agents/slow/test"_s),
            start(u"/api/orchestrations/brief/execute"_s) };
        QVERIFY(!inFlight.contains(QString()));
        if (moment != Moment::Acknowledged) {
            for (const QString &id : inFlight)
                QTRY_COMPARE_WITH_TIMEOUT(status(id), u"running"_s, kWaitMs);
        }
        if (moment == Moment::Streaming)
            QTRY_VERIFY_WITH_TIMEOUT(allReached(m_db, inFlight, Moment::Streaming), kWaitMs);
        killMidRunAndCheck(*server.process, where, reported, inFlight);
        if (QTest::currentTestFailed())
            return;
    }
}

#ifdef AS_FAULT_APP_DRIVER
// The desktop app has no command line way to start a run, and the offscreen platform takes no
// input from outside: tests/fault/AppDriver.cpp, preloaded into the real binary, picks the agent
// and clicks Run in the Single Agent tab when told on stdin. Its Run hands the request to the
// engine thread asynchronously, so the earliest moment the app is killed at is Running.
void TestFault::appKilledMidRun()
{
    const QString app = testsupport::binaryPath(u"studio/agentstudio"_s);
    QVERIFY2(QFileInfo::exists(app), qPrintable(app));
    m_db = m_dir.filePath(u"app/executions.db"_s);
    for (int cycle = 1; cycle <= kCycles; ++cycle) {
        const Moment moment = cycle % 2 ? Moment::Streaming : Moment::Running;
        const QString where = u"cycle %1 (killed %2): "_s.arg(cycle).arg(QLatin1String(name(moment)));
        QProcess process;
        QProcessEnvironment env = environment();
        env.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
        env.insert(u"LD_PRELOAD"_s, QStringLiteral(AS_FAULT_APP_DRIVER));
        process.setProcessEnvironment(env);
        process.start(app, { u"--workspace"_s, m_workspace, u"--db"_s, m_db });
        QVERIFY(process.waitForStarted(10000));
        QByteArray out;
        auto expectLine = [&](const QByteArray &expected) {
            QTRY_VERIFY2_WITH_TIMEOUT(hasLine(process, out),
                qPrintable(where + u"the app said nothing; stderr: "_s
                    + QString::fromUtf8(process.readAllStandardError())),
                kWaitMs);
            QCOMPARE(takeLine(out), expected);
        };
        expectLine("ready");
        if (QTest::currentTestFailed())
            return;

        // A run that completes, then one killed in flight.
        const int completedBefore = completedCount(m_db, u"quick"_s);
        process.write("run quick\n");
        expectLine("started quick");
        if (QTest::currentTestFailed())
            return;
        QTRY_COMPARE_WITH_TIMEOUT(completedCount(m_db, u"quick"_s), completedBefore + 1, kWaitMs);
        process.write("run slow\n");
        expectLine("started slow");
        if (QTest::currentTestFailed())
            return;
        QTRY_VERIFY_WITH_TIMEOUT(anyReached(m_db, u"slow"_s, moment), kWaitMs);
        killMidRunAndCheck(process, where, {});
        if (QTest::currentTestFailed())
            return;
    }
}
#endif

QTEST_GUILESS_MAIN(TestFault)
#include "tst_fault.moc"
