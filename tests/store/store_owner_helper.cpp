// A second process for tst_executionstore's crash-recovery tests: it holds an ExecutionStore
// open the way the app, the runner or the server does, so the test can kill it with SIGKILL,
// restart it (also as PID 1 of a fresh PID namespace) or open the same file beside it.
//
//   store_owner_helper hold DB EXECUTION_ID   opens DB, inserts EXECUTION_ID as `running`,
//                                             prints "ready RECOVERED", then waits for stdin to
//                                             close (or for a signal)
//   store_owner_helper open DB                opens DB, prints "recovered RECOVERED", exits
//   store_owner_helper hold-eval DB RUN_ID N  opens DB, begins eval run RUN_ID (`running`) with
//                                             N finished results, prints "ready RECOVERED",
//                                             then waits like `hold` (tst_evalstore)
//
// Exit code 1 with the store's message on stderr when the store cannot be opened.

#include "core/common/Util.h"
#include "core/store/ExecutionStore.h"

#include <QCoreApplication>
#include <QFile>
#include <QTextStream>

namespace {

int waitForStdinToClose()
{
    QFile in;
    if (!in.open(stdin, QIODevice::ReadOnly))
        return 1;
    in.readAll(); // blocks until the test closes our stdin, or kills us
    return 0;
}

// An eval run in progress: `running`, with `results` cases done (case-1 … case-N, variant
// "baseline", all passed).
Result<void> beginEvalRun(ExecutionStore &store, const QString &runId, int results)
{
    EvalRunRecord run;
    run.id = runId;
    run.name = QStringLiteral("helper run");
    run.workspaceId = QStringLiteral("demo");
    run.variants = { QStringLiteral("baseline") };
    run.total = results + 5;
    run.startedAt = QDateTime::currentDateTimeUtc();
    if (const Result<void> r = store.insertEvalRun(run); !r.ok())
        return r;
    for (int i = 1; i <= results; ++i) {
        EvalResultRecord result;
        result.evalRunId = runId;
        result.caseId = QStringLiteral("case-%1").arg(i);
        result.variant = QStringLiteral("baseline");
        result.caseOrder = i;
        result.outcome = EvalOutcome::Pass;
        result.score = 1;
        result.completedAt = QDateTime::currentDateTimeUtc();
        if (const Result<void> r = store.upsertEvalResult(result); !r.ok())
            return r;
    }
    return {};
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments().mid(1);
    QTextStream out(stdout);
    QTextStream err(stderr);
    const bool hold = args.size() == 3 && args.at(0) == QLatin1String("hold");
    const bool holdEval = args.size() == 4 && args.at(0) == QLatin1String("hold-eval");
    if (!hold && !holdEval && !(args.size() == 2 && args.at(0) == QLatin1String("open"))) {
        err << "usage: store_owner_helper hold DB EXECUTION_ID | hold-eval DB RUN_ID N | open DB" << Qt::endl;
        return 2;
    }
    ExecutionStore store(args.at(1));
    int recovered = -1;
    if (const Result<void> r = store.open(&recovered); !r.ok()) {
        err << r.error() << Qt::endl;
        return 1;
    }
    if (holdEval) {
        if (const Result<void> r = beginEvalRun(store, args.at(2), args.at(3).toInt()); !r.ok()) {
            err << r.error() << Qt::endl;
            return 1;
        }
        out << "ready " << recovered << Qt::endl;
        return waitForStdinToClose();
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
    return waitForStdinToClose();
}
