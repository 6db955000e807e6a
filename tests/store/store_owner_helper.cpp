// A second process for tst_executionstore's crash-recovery tests: it holds an ExecutionStore
// open the way the app, the runner or the server does, so the test can kill it with SIGKILL,
// restart it (also as PID 1 of a fresh PID namespace) or open the same file beside it.
//
//   store_owner_helper hold DB EXECUTION_ID   opens DB, inserts EXECUTION_ID as `running`,
//                                             prints "ready RECOVERED", then waits for stdin to
//                                             close (or for a signal)
//   store_owner_helper open DB                opens DB, prints "recovered RECOVERED", exits
//
// Exit code 1 with the store's message on stderr when the store cannot be opened.

#include "core/common/Util.h"
#include "core/store/ExecutionStore.h"

#include <QCoreApplication>
#include <QFile>
#include <QTextStream>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments().mid(1);
    QTextStream out(stdout);
    QTextStream err(stderr);
    const bool hold = args.size() == 3 && args.at(0) == QLatin1String("hold");
    if (!hold && !(args.size() == 2 && args.at(0) == QLatin1String("open"))) {
        err << "usage: store_owner_helper hold DB EXECUTION_ID | open DB" << Qt::endl;
        return 2;
    }
    ExecutionStore store(args.at(1));
    int recovered = -1;
    if (const Result<void> r = store.open(&recovered); !r.ok()) {
        err << r.error() << Qt::endl;
        return 1;
    }
    if (!hold) {
        out << "recovered " << recovered << Qt::endl;
        return 0;
    }
    ExecutionRecord e;
    e.id = args.at(2);
    e.workspaceId = QStringLiteral("demo");
    e.agentId = QStringLiteral("summarizer");
    e.status = ExecutionStatus::Running;
    e.queuedAt = QDateTime::currentDateTimeUtc();
    e.startedAt = e.queuedAt;
    if (const Result<void> r = store.insertExecution(e); !r.ok()) {
        err << r.error() << Qt::endl;
        return 1;
    }
    out << "ready " << recovered << Qt::endl;
    QFile in;
    if (!in.open(stdin, QIODevice::ReadOnly))
        return 1;
    in.readAll(); // blocks until the test closes our stdin, or kills us
    return 0;
}
