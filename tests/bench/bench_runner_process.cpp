// Whole processes on a big history: what a user waits for when they type `agentstudio-run
// history` or quit the app, start to exit, not only the query inside. On 1,000,000 executions.
//
//   bench_runner_process [--db FILE] [--runner PATH] [--app PATH] [--reps N]
//
// The database is the one tests/bench/bench_history builds and caches (default
// /tmp/agentstudio-bench-history-1000000.db: run bench_history once first). --runner and --app
// default to this build's binaries; give an older build's to compare.
//
// 1. Runner processes, each timed from start to exit: `history --limit 50 --db DB` (also with
//    --workspace FILE), `show ID --db DB`.
// 2. The app's exit, two ways:
//    a. in-process, the part of the exit that the store owns: a LocalBackend (the app's engine
//       thread and its store) that answered the first history page and ran one execution
//       (deleted again), timed through its destructor (engine shutdown, store close, join);
//    b. the real app under Xvfb, when Xvfb and xdotool are installed: `agentstudio --db DB
//       --workspace FILE` (the rows' workspace: the history dock lists them) shown, Ctrl+Q
//       pressed (File > Quit), timed from the key to the process's exit.
// Prints median, p95 and max; never fails on speed. Leaves the database with the executions it
// found (each run it adds is deleted again). Every child gets a temporary HOME.

#include "core/common/Util.h"
#include "core/engine/LocalBackend.h"
#include "core/model/Workspace.h"
#include "core/store/ExecutionStore.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTextStream>
#include <QThread>

#include <algorithm>
#include <functional>
#include <optional>

namespace {

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

struct Timing
{
    double p50 = 0, p95 = 0, max = 0;
    int failures = 0;
};

// Runs `f` `reps` times after one untimed warm-up; f returns the milliseconds it measured
// (std::nullopt for a failed rep, counted and left out).
Timing measure(int reps, const std::function<std::optional<double>()> &f)
{
    (void)f();
    QList<double> ms;
    Timing t;
    for (int i = 0; i < reps; ++i) {
        if (const std::optional<double> v = f())
            ms.append(*v);
        else
            ++t.failures;
    }
    if (ms.isEmpty())
        return t;
    std::sort(ms.begin(), ms.end());
    t.p50 = ms.at(ms.size() / 2);
    t.p95 = ms.at(qMin(ms.size() - 1, qsizetype(ms.size() * 0.95)));
    t.max = ms.last();
    return t;
}

void print(const QString &what, const Timing &t, const QString &goal)
{
    out() << QStringLiteral("  %1 p50 %2 ms   p95 %3 ms   max %4 ms   goal %5%6")
                 .arg(what, -52)
                 .arg(t.p50, 8, 'f', 1)
                 .arg(t.p95, 8, 'f', 1)
                 .arg(t.max, 8, 'f', 1)
                 .arg(goal)
                 .arg(t.failures ? QStringLiteral("   (%1 failed runs left out)").arg(t.failures) : QString())
          << Qt::endl;
}

double msSince(const QElapsedTimer &t)
{
    return double(t.nsecsElapsed()) / 1e6;
}

QProcessEnvironment childEnvironment(const QString &home)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), home);
    env.insert(QStringLiteral("XDG_DATA_HOME"), home + QStringLiteral("/data"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/config"));
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), home);
    return env;
}

// One whole process, start to exit; nullopt (and a message) unless it exits 0.
std::optional<double> timeProcess(const QString &program, const QStringList &args, const QString &home)
{
    QProcess p;
    p.setProcessEnvironment(childEnvironment(home));
    p.setStandardOutputFile(QProcess::nullDevice());
    QElapsedTimer t;
    t.start();
    p.start(program, args);
    if (!p.waitForFinished(120000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        // Each distinct failure once (an older runner refuses --workspace on every run).
        static QSet<QString> said;
        const QString message = QStringLiteral("  error: %1 %2: exit %3: %4")
                                    .arg(program, args.join(QLatin1Char(' ')))
                                    .arg(p.exitCode())
                                    .arg(QString::fromUtf8(p.readAllStandardError()).trimmed());
        if (!said.contains(message)) {
            said.insert(message);
            out() << message << Qt::endl;
        }
        return std::nullopt;
    }
    return msSince(t);
}

// The app under Xvfb: shown, then Ctrl+Q; milliseconds from the key press to the exit.
std::optional<double> timeAppExit(const QString &app, const QString &db, const QString &workspace,
    const QString &display, const QString &home)
{
    QProcess p;
    QProcessEnvironment env = childEnvironment(home);
    env.insert(QStringLiteral("DISPLAY"), display);
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("xcb"));
    p.setProcessEnvironment(env);
    p.setStandardOutputFile(QProcess::nullDevice());
    p.setStandardErrorFile(QProcess::nullDevice());
    p.start(app, { QStringLiteral("--db"), db, QStringLiteral("--workspace"), workspace });
    if (!p.waitForStarted(10000))
        return std::nullopt;
    auto xdotool = [&env](const QStringList &args) {
        QProcess x;
        x.setProcessEnvironment(env);
        x.start(QStringLiteral("xdotool"), args);
        x.waitForFinished(30000);
        return QString::fromUtf8(x.readAllStandardOutput()).trimmed();
    };
    // The window is mapped once the app is up; the first history page is then on its way.
    const QString window = xdotool({ QStringLiteral("search"), QStringLiteral("--sync"),
        QStringLiteral("--onlyvisible"), QStringLiteral("--pid"), QString::number(p.processId()) });
    if (window.isEmpty()) {
        p.kill();
        p.waitForFinished();
        return std::nullopt;
    }
    QThread::msleep(1500); // let the history dock's first query and the engine settle
    xdotool(
        { QStringLiteral("windowfocus"), QStringLiteral("--sync"), window.section(QLatin1Char('\n'), 0, 0) });
    QElapsedTimer t;
    t.start();
    xdotool({ QStringLiteral("key"), QStringLiteral("ctrl+q") });
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        return std::nullopt;
    }
    return msSince(t);
}

// Waits (running the event loop) until `done` or 30 s pass.
bool waitFor(const std::function<bool()> &done)
{
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < 30000)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    return done();
}

// A LocalBackend as the app has one: opened, its first history page answered, one run done
// (and deleted again, so the database keeps its size); then timed through its destructor,
// which is what quitting the app waits for on the store's side (engine shutdown, the store's
// close after writes, the thread joined).
std::optional<double> timeBackendShutdown(const QString &db, const Workspace &ws)
{
    EngineSettings settings;
    settings.databasePath = db;
    std::optional<LocalBackend> backend(std::in_place, ws, settings);
    bool answered = false, finished = false;
    int deleted = -1;
    const QString id = as::newId();
    QObject::connect(
        &*backend, &ExecutionBackend::eventsReceived, &*backend, [&](const ExecutionEventList &events) {
            for (const ExecutionEvent &e : events)
                finished = finished || (e.executionId == id && e.isTerminal());
        });
    HistoryQuery q;
    q.limit = 100;
    backend->queryHistory(q, &*backend, [&](const HistoryPage &, const Error &) { answered = true; });
    ExecutionRequest run;
    run.agentId = QStringLiteral("echo");
    run.inputs = QJsonObject { { QStringLiteral("text"), QStringLiteral("bench") } };
    run.executionId = id;
    backend->start(run, nullptr, {});
    if (!waitFor([&] { return answered && finished; }))
        return std::nullopt;
    // The engine keeps a finished run for one more turn of its loop; delete until it is gone.
    for (int attempt = 0; attempt < 100 && deleted != 1; ++attempt) {
        deleted = -1;
        backend->deleteExecutions({ id }, &*backend, [&](int n, const Error &) { deleted = n; });
        if (!waitFor([&] { return deleted >= 0; }))
            return std::nullopt;
    }
    if (deleted != 1)
        return std::nullopt;
    QElapsedTimer t;
    t.start();
    backend.reset();
    return msSince(t);
}

QJsonObject benchWorkspace(const QString &org, const QString &workspace)
{
    const QJsonObject text { { QStringLiteral("name"), QStringLiteral("text") },
        { QStringLiteral("type"), QStringLiteral("str") } };
    const QJsonObject reply { { QStringLiteral("name"), QStringLiteral("reply") },
        { QStringLiteral("type"), QStringLiteral("str") } };
    const QJsonObject agent { { QStringLiteral("id"), QStringLiteral("echo") },
        { QStringLiteral("name"), QStringLiteral("Echo") },
        { QStringLiteral("version"), QStringLiteral("1") },
        { QStringLiteral("model"),
            QJsonObject { { QStringLiteral("provider"), QStringLiteral("offline") },
                { QStringLiteral("name"), QStringLiteral("scripted") } } },
        { QStringLiteral("instructions"), QStringLiteral("Answer about the text.") },
        { QStringLiteral("signature"),
            QJsonObject { { QStringLiteral("inputs"), QJsonArray { text } },
                { QStringLiteral("outputs"), QJsonArray { reply } } } } };
    return QJsonObject { { QStringLiteral("format"), QStringLiteral("agentstudio/1") },
        { QStringLiteral("organization_id"), org }, { QStringLiteral("workspace_id"), workspace },
        { QStringLiteral("providers"),
            QJsonObject { { QStringLiteral("offline"),
                QJsonObject { { QStringLiteral("kind"), QStringLiteral("scripted") },
                    { QStringLiteral("ttft_ms"), 0 }, { QStringLiteral("tokens_per_second"), 0 } } } } },
        { QStringLiteral("agents"), QJsonArray { agent } },
        { QStringLiteral("orchestrations"), QJsonArray {} } };
}

QString findProgram(const QString &given, const QString &relative)
{
    if (!given.isEmpty())
        return given;
    return QDir(QCoreApplication::applicationDirPath()).absoluteFilePath(relative);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QString db = QStringLiteral("/tmp/agentstudio-bench-history-1000000.db");
    QString runner, studio;
    int reps = 20;
    const QStringList args = app.arguments().mid(1);
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &a = args.at(i);
        if (a == QLatin1String("--db") && i + 1 < args.size())
            db = args.at(++i);
        else if (a == QLatin1String("--runner") && i + 1 < args.size())
            runner = args.at(++i);
        else if (a == QLatin1String("--app") && i + 1 < args.size())
            studio = args.at(++i);
        else if (a == QLatin1String("--reps") && i + 1 < args.size() && args.at(i + 1).toInt() > 0)
            reps = args.at(++i).toInt();
        else {
            out() << "usage: bench_runner_process [--db FILE] [--runner PATH] [--app PATH] [--reps N]"
                  << Qt::endl;
            return 2;
        }
    }
    runner = findProgram(runner, QStringLiteral("../../app/run/agentstudio-run"));
    studio = findProgram(studio, QStringLiteral("../../app/studio/agentstudio"));
    if (!QFileInfo::exists(db)) {
        out() << "error: no database at " << db << " (run bench_history first: it builds and caches it)"
              << Qt::endl;
        return 1;
    }
    QTemporaryDir home;
    if (!home.isValid())
        return 1;

    // The newest execution (for `show`) and its workspace, read once.
    ExecutionRecord newest;
    qint64 total = 0;
    {
        ExecutionStore store(db);
        if (const Result<void> r = store.open(); !r.ok()) {
            out() << "error: " << r.error() << Qt::endl;
            return 1;
        }
        HistoryQuery q;
        q.limit = 1;
        const Result<HistoryPage> page = store.query(StoreScope::everyWorkspace(), q);
        if (!page.ok() || page->items.isEmpty()) {
            out() << "error: the database holds no execution" << Qt::endl;
            return 1;
        }
        newest = page->items.first();
        total = store.count(StoreScope::everyWorkspace(), {}).value();
    }
    // The rows' workspace, with one agent on the scripted provider (instant replies).
    const QByteArray wsJson
        = QJsonDocument(benchWorkspace(newest.organizationId, newest.workspaceId)).toJson();
    const QString wsFile = home.filePath(QStringLiteral("bench.agents.json"));
    {
        QFile f(wsFile);
        if (!f.open(QIODevice::WriteOnly) || f.write(wsJson) != wsJson.size())
            return 1;
    }
    QStringList problems;
    const Result<Workspace> ws = Workspace::fromJson(wsJson, &problems);
    if (!ws.ok()) {
        out() << "error: bench workspace: " << ws.error() << Qt::endl;
        return 1;
    }
    out() << "Whole processes on " << total << " executions (" << db << "), " << reps << " runs each"
          << Qt::endl;

    out() << "runner: " << runner << Qt::endl;
    const QString h = home.path();
    print(QStringLiteral("history --limit 50 --db DB"),
        measure(reps,
            [&] {
                return timeProcess(runner,
                    { QStringLiteral("history"), QStringLiteral("--limit"), QStringLiteral("50"),
                        QStringLiteral("--db"), db },
                    h);
            }),
        QStringLiteral("50 ms"));
    print(QStringLiteral("history --limit 50 --db DB --workspace FILE"),
        measure(reps,
            [&] {
                return timeProcess(runner,
                    { QStringLiteral("history"), QStringLiteral("--limit"), QStringLiteral("50"),
                        QStringLiteral("--db"), db, QStringLiteral("--workspace"), wsFile },
                    h);
            }),
        QStringLiteral("50 ms"));
    print(QStringLiteral("show ID --db DB"),
        measure(reps,
            [&] {
                return timeProcess(
                    runner, { QStringLiteral("show"), newest.id, QStringLiteral("--db"), db }, h);
            }),
        QStringLiteral("50 ms"));

    out() << "app exit, in process (LocalBackend destructor after a first page and one run):" << Qt::endl;
    print(QStringLiteral("engine shutdown + store close + thread join"),
        measure(reps, [&] { return timeBackendShutdown(db, *ws); }), QStringLiteral("200 ms"));

    const QString xvfb = QStandardPaths::findExecutable(QStringLiteral("Xvfb"));
    const QString xdotool = QStandardPaths::findExecutable(QStringLiteral("xdotool"));
    if (xvfb.isEmpty() || xdotool.isEmpty() || !QFileInfo::exists(studio)) {
        out() << "app exit under Xvfb: skipped (needs Xvfb, xdotool and " << studio << ")" << Qt::endl;
        return 0;
    }
    out() << "app: " << studio << Qt::endl;
    const QString display = QStringLiteral(":%1").arg(90 + QCoreApplication::applicationPid() % 400);
    QProcess server;
    server.setStandardOutputFile(QProcess::nullDevice());
    server.setStandardErrorFile(QProcess::nullDevice());
    server.start(xvfb,
        { display, QStringLiteral("-screen"), QStringLiteral("0"), QStringLiteral("1400x900x24"),
            QStringLiteral("-nolisten"), QStringLiteral("tcp") });
    if (!server.waitForStarted(10000)) {
        out() << "app exit under Xvfb: skipped (Xvfb did not start)" << Qt::endl;
        return 0;
    }
    QThread::msleep(500); // Xvfb accepts connections once its socket exists
    const int appReps = qMin(reps, 10); // each run starts the whole GUI
    print(QStringLiteral("agentstudio --db DB --workspace FILE: Ctrl+Q to exit"),
        measure(appReps, [&] { return timeAppExit(studio, db, wsFile, display, h); }),
        QStringLiteral("200 ms"));
    server.terminate();
    server.waitForFinished(5000);
    return 0;
}
