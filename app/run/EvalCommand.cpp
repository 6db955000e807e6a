#include "app/run/EvalCommand.h"

#include "app/run/CliArguments.h"
#include "app/run/CliOutput.h"
#include "app/run/RunnerCli.h"
#include "core/common/Util.h"
#include "core/engine/Engine.h"
#include "core/engine/LocalBackend.h"
#include "core/eval/Compare.h"
#include "core/eval/Dataset.h"
#include "core/eval/EvalRecorder.h"
#include "core/eval/EvalRunner.h"
#include "core/eval/Promptfoo.h"
#include "core/eval/Reports.h"
#include "core/model/Workspace.h"
#include "core/providers/CredentialPolicy.h"
#include "core/remote/RemoteBackend.h"
#include "core/store/ExecutionStore.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTimer>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>

#include <unistd.h>

namespace {

enum class Format { Text, Json, Jsonl, Junit };

// Ctrl-C / SIGTERM: the first cancels the eval run (finished cases are kept and reported), a
// second one ends the process at once. The handler only counts; the event loop polls.
std::atomic<int> g_evalSignals { 0 };

extern "C" void onEvalSignal(int)
{
    if (g_evalSignals.fetch_add(1) >= 1)
        std::_Exit(130);
}

int bad(const QString &message)
{
    return runner::badArguments(QStringLiteral("eval: ") + message);
}

std::optional<Format> formatOf(const QString &text)
{
    if (text.isEmpty() || text == QLatin1String("text"))
        return Format::Text;
    if (text == QLatin1String("json"))
        return Format::Json;
    if (text == QLatin1String("jsonl"))
        return Format::Jsonl;
    if (text == QLatin1String("junit"))
        return Format::Junit;
    return std::nullopt;
}

// A positive whole number option; the message when it is not one.
QString readPositive(const CliArguments &a, const QString &name, std::optional<int> *value)
{
    if (!a.has(name))
        return {};
    bool ok = false;
    const int n = a.value(name).toInt(&ok);
    if (!ok || n <= 0)
        return QStringLiteral("--%1 must be a positive whole number, not '%2'").arg(name, a.value(name));
    *value = n;
    return {};
}

// The option combinations `eval` refuses, as the message; empty when they fit.
QString optionConflict(const CliArguments &a)
{
    if (a.countGiven({ QStringLiteral("dataset"), QStringLiteral("promptfoo") }) != 1)
        return QStringLiteral("give exactly one of --dataset FILE or --promptfoo FILE.yaml");
    if (a.countGiven({ QStringLiteral("db"), QStringLiteral("no-history"), QStringLiteral("remote") }) > 1)
        return QStringLiteral(
            "--db, --no-history and --remote exclude each other (a server keeps its own history)");
    const bool remote = a.has(QStringLiteral("remote"));
    if (a.has(QStringLiteral("token-file")) && !remote)
        return QStringLiteral("--token-file needs --remote");
    if (!remote && !a.has(QStringLiteral("workspace")))
        return QStringLiteral("--workspace FILE is required (or --remote URL --token-file FILE)");
    if (a.has(QStringLiteral("baseline")) && (remote || a.has(QStringLiteral("no-history"))))
        return QStringLiteral("--baseline needs the local history database (not --no-history or --remote)");
    if (remote && a.has(QStringLiteral("cache-file"))
        && a.value(QStringLiteral("cache-file")) != QLatin1String("history"))
        return QStringLiteral("--cache-file: with --remote the server keeps the cache in its own database");
    if (a.has(QStringLiteral("no-history"))
        && a.value(QStringLiteral("cache-file")) == QLatin1String("history"))
        return QStringLiteral("--cache-file history needs the history database (not --no-history)");
    return {};
}

// Everything the command line decides before any file is read.
struct Setup
{
    Format format = Format::Text;
    EvalOptions options;
    std::optional<int> repeat;
    std::optional<int> concurrency;
    bool cacheGiven = false;
    bool remote = false;
    QString datasetPath; // absolute: recorded with the run, matched by --baseline latest
    bool promptfoo = false;
    QString dbPath; // "" with --no-history or --remote
    QString outputPath;
};

Result<Setup> readSetup(const CliArguments &a)
{
    Setup s;
    if (const QString conflict = optionConflict(a); !conflict.isEmpty())
        return Failure { conflict };
    const std::optional<Format> format = formatOf(a.value(QStringLiteral("format")));
    if (!format)
        return Failure { QStringLiteral("--format must be text, json, jsonl or junit, not '%1'")
                             .arg(a.value(QStringLiteral("format"))) };
    s.format = *format;
    if (QString e = readPositive(a, QStringLiteral("repeat"), &s.repeat); !e.isEmpty())
        return Failure { e };
    if (QString e = readPositive(a, QStringLiteral("concurrency"), &s.concurrency); !e.isEmpty())
        return Failure { e };
    if (a.has(QStringLiteral("cache"))) {
        const std::optional<CacheMode> mode = cacheModeFromWire(a.value(QStringLiteral("cache")));
        if (!mode)
            return Failure { QStringLiteral("--cache must be off, read, write or readwrite, not '%1'")
                                 .arg(a.value(QStringLiteral("cache"))) };
        s.options.cacheMode = *mode;
        s.cacheGiven = true;
    }
    if (a.has(QStringLiteral("cache-file")) && s.options.cacheMode == CacheMode::Off)
        return Failure { QStringLiteral("--cache-file needs --cache read, write or readwrite") };
    s.remote = a.has(QStringLiteral("remote"));
    s.promptfoo = a.has(QStringLiteral("promptfoo"));
    const QString dataset = a.value(s.promptfoo ? QStringLiteral("promptfoo") : QStringLiteral("dataset"));
    if (!QFileInfo(dataset).isFile())
        return Failure { QStringLiteral("%1: no such file").arg(dataset) };
    s.datasetPath = QFileInfo(dataset).absoluteFilePath();
    if (!s.remote && !a.has(QStringLiteral("no-history")))
        s.dbPath
            = a.has(QStringLiteral("db")) ? a.value(QStringLiteral("db")) : ExecutionStore::defaultPath();
    s.outputPath = a.value(QStringLiteral("output"));
    s.options.caseIds = a.values(QStringLiteral("case"));
    s.options.variants = a.values(QStringLiteral("variant"));
    s.options.baselineId = a.value(QStringLiteral("baseline"));
    s.options.triggerType = TriggerType::Cli;
    s.options.triggeredBy = qEnvironmentVariable("USER", QStringLiteral("agentstudio-run"));
    s.options.backendLabel = s.remote ? a.value(QStringLiteral("remote")) : QStringLiteral("local");
    return s;
}

// Loads the dataset (or maps the promptfoo config) against `ws`; the exit code when refused,
// after every problem was printed with its path. Applies the config's hints the command line
// left open.
std::optional<int> loadDataset(
    const Setup &setup, const Workspace &ws, Dataset *dataset, PromptfooHints *hints)
{
    QList<DatasetProblem> problems;
    Result<Dataset> loaded = setup.promptfoo ? promptfoo::import(setup.datasetPath, ws, &problems, hints)
                                             : Dataset::load(setup.datasetPath, ws, &problems);
    if (!loaded) {
        const QStringList lines = problems.isEmpty()
            ? loaded.error().split(QLatin1Char('\n'), Qt::SkipEmptyParts)
            : toStrings(problems);
        for (const QString &line : lines)
            cli::errLine(line);
        cli::errLine(QStringLiteral("agentstudio-run: invalid dataset %1 (%2 problem%3)")
                         .arg(QDir::toNativeSeparators(setup.datasetPath))
                         .arg(lines.size())
                         .arg(lines.size() == 1 ? QString() : QStringLiteral("s")));
        return EvalCommand::BadArguments;
    }
    *dataset = loaded.take();
    for (const QString &id : setup.options.caseIds)
        if (!dataset->findCase(id)) {
            QStringList known;
            for (const EvalCase &c : std::as_const(dataset->cases))
                known.append(c.id);
            return bad(QStringLiteral("--case '%1': no such case in %2 (cases: %3)")
                           .arg(id, setup.datasetPath, known.join(QStringLiteral(", "))));
        }
    for (const QString &name : setup.options.variants)
        if (!dataset->findVariant(name)) {
            QStringList known;
            for (const EvalVariant &v : std::as_const(dataset->variants))
                known.append(v.name);
            return bad(QStringLiteral("--variant '%1': no such variant in %2 (variants: %3)")
                           .arg(name, setup.datasetPath, known.join(QStringLiteral(", "))));
        }
    return std::nullopt;
}

// The workspace agents a dataset's runs and judges use (for the credential-trust check).
QStringList agentsOfDataset(const Workspace &ws, const Dataset &d)
{
    QStringList agents;
    if (d.target.kind() != EvalTarget::Kind::Inline)
        agents = credentials::agentsOfRun(ws, d.target.agent, d.target.workflow, d.target.node);
    if (!d.judge.agent.isEmpty())
        agents.append(d.judge.agent);
    for (const EvalCase &c : d.cases)
        for (const EvalAssertion &a : c.asserts)
            if (a.type == QLatin1String("judge") && a.spec.value(QLatin1String("agent")).isString())
                agents.append(a.spec.value(QLatin1String("agent")).toString());
    agents.removeDuplicates();
    return agents;
}

// Waits for the recorder's answer for the baseline; the exit code when it cannot be had.
std::optional<int> loadBaseline(EvalRecorder *recorder, const Workspace &ws, const Setup &setup,
    std::optional<std::pair<EvalRunRecord, QList<EvalResultRecord>>> *baseline)
{
    std::optional<QString> failure;
    bool answered = false;
    QObject context;
    recorder->loadRun(StoreScope::workspace(ws.organizationId, ws.workspaceId), setup.options.baselineId,
        setup.datasetPath, &context,
        [&](const EvalRunRecord &run, const QList<EvalResultRecord> &results, const QString &error) {
            answered = true;
            if (!error.isEmpty() || run.id.isEmpty())
                failure = error.isEmpty() ? QStringLiteral("not found") : error;
            else
                baseline->emplace(run, results);
        });
    while (!answered)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    if (!failure)
        return std::nullopt;
    // No earlier run is not an error for "latest" (the first run in CI has nothing to compare).
    if (setup.options.baselineId == QLatin1String("latest")) {
        cli::errLine(QStringLiteral("note: no earlier finished eval run of %1 in %2 to compare with (%3)")
                         .arg(setup.datasetPath, recorder->path(), *failure));
        return std::nullopt;
    }
    return bad(QStringLiteral("--baseline %1: %2 (in %3)")
                   .arg(setup.options.baselineId, *failure, recorder->path()));
}

// The progress line on stderr: rewritten in place on a terminal (at most ten times a second),
// else one line per second while it changes.
class ProgressPrinter
{
public:
    explicit ProgressPrinter(bool enabled)
        : m_enabled(enabled)
        , m_tty(::isatty(::fileno(stderr)) == 1)
    {
        m_sinceLast.start();
    }
    void update(const EvalProgress &p)
    {
        m_last = evalreport::progressLine(p);
        if (m_enabled && m_sinceLast.elapsed() >= (m_tty ? 100 : 1000))
            print();
    }
    void finish()
    {
        if (!m_enabled || m_last.isEmpty())
            return;
        if (m_printed != m_last)
            print();
        if (m_tty)
            cli::err(QStringLiteral("\n"));
    }

private:
    void print()
    {
        m_sinceLast.restart();
        m_printed = m_last;
        if (m_tty)
            cli::err(QStringLiteral("\r") + m_last + QStringLiteral("\x1b[K"));
        else
            cli::errLine(m_last);
    }
    bool m_enabled;
    bool m_tty;
    QElapsedTimer m_sinceLast;
    QString m_last;
    QString m_printed;
};

// Where the report goes: stdout, or the --output file (opened before the run, so a bad path
// costs no provider call).
class ReportSink
{
public:
    bool open(const QString &path, QString *error)
    {
        if (path.isEmpty())
            return true;
        m_file = std::make_unique<QFile>(path);
        if (!m_file->open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            *error = QStringLiteral("--output: cannot write %1: %2").arg(path, m_file->errorString());
            return false;
        }
        return true;
    }
    void write(const QByteArray &bytes)
    {
        if (!m_file) {
            cli::out(QString::fromUtf8(bytes));
            return;
        }
        m_file->write(bytes);
        m_file->flush();
    }
    bool close(QString *error)
    {
        if (!m_file)
            return true;
        const bool ok = m_file->error() == QFileDevice::NoError;
        if (!ok)
            *error = QStringLiteral("--output: writing %1 failed: %2")
                         .arg(m_file->fileName(), m_file->errorString());
        m_file->close();
        return ok;
    }

private:
    std::unique_ptr<QFile> m_file;
};

// Every case run could not reach its provider (or the server): exit 3, not 1.
bool everyRunUnreachable(const QList<EvalResultRecord> &results)
{
    if (results.isEmpty())
        return false;
    for (const EvalResultRecord &r : results)
        if (r.outcome != EvalOutcome::Error
            || (r.errorKind != QLatin1String("unreachable") && r.errorKind != QLatin1String("provider")))
            return false;
    return true;
}

int exitCodeOf(const EvalRunRecord &run, const QList<EvalResultRecord> &results)
{
    if (everyRunUnreachable(results))
        return EvalCommand::Unreachable;
    if (run.status == EvalRunStatus::Failed)
        return results.isEmpty() ? EvalCommand::Unreachable : EvalCommand::Failed;
    for (const EvalResultRecord &r : results)
        if (r.outcome != EvalOutcome::Pass)
            return EvalCommand::Failed;
    if (run.status != EvalRunStatus::Completed)
        return EvalCommand::Failed;
    return EvalCommand::Passed;
}

struct Finished
{
    EvalRunRecord run;
    QList<EvalResultRecord> results;
};

// Runs the dataset to the end with the progress line, jsonl events as the results come, and
// Ctrl-C as cancel.
Finished runToEnd(ExecutionBackend *backend, EvalRecorder *recorder, const Dataset &dataset,
    const Setup &setup, ReportSink *sink)
{
    EvalRunner runner(backend, recorder);
    ProgressPrinter progress(setup.format == Format::Text || ::isatty(::fileno(stderr)) == 1);
    QEventLoop loop;
    bool done = false;
    QObject::connect(&runner, &EvalRunner::progressChanged, &loop,
        [&progress](const EvalProgress &p) { progress.update(p); });
    if (setup.format == Format::Jsonl)
        QObject::connect(&runner, &EvalRunner::resultReady, &loop, [sink](const EvalResultRecord &r) {
            sink->write(as::compactJson(evalreport::resultEvent(r)).toUtf8() + '\n');
        });
    QObject::connect(&runner, &EvalRunner::finished, &loop, [&] {
        done = true;
        loop.quit();
    });
    QTimer signalPoll;
    signalPoll.setInterval(100);
    bool cancelSent = false;
    QObject::connect(&signalPoll, &QTimer::timeout, &loop, [&] {
        if (g_evalSignals.load() > 0 && !cancelSent) {
            cancelSent = true;
            cli::errLine(QStringLiteral("\ncancelling the eval run (Ctrl-C again to quit at once)"));
            runner.cancel();
        }
    });
    g_evalSignals = 0;
    auto previousInt = std::signal(SIGINT, onEvalSignal);
    auto previousTerm = std::signal(SIGTERM, onEvalSignal);
    auto previousPipe = std::signal(SIGPIPE, SIG_IGN);
    signalPoll.start();
    runner.start(dataset, setup.options);
    if (!done)
        loop.exec();
    signalPoll.stop();
    std::signal(SIGINT, previousInt);
    std::signal(SIGTERM, previousTerm);
    std::signal(SIGPIPE, previousPipe);
    progress.update(runner.progress());
    progress.finish();
    return { runner.run(), runner.results() };
}

void writeReport(
    ReportSink *sink, Format format, const Finished &f, const std::optional<EvalComparison> &comparison)
{
    switch (format) {
    case Format::Text:
        sink->write(evalreport::textTable(f.run, f.results, comparison).toUtf8());
        break;
    case Format::Json:
        sink->write(
            QJsonDocument(evalreport::json(f.run, f.results, comparison)).toJson(QJsonDocument::Indented));
        break;
    case Format::Jsonl:
        sink->write(as::compactJson(evalreport::summaryEvent(f.run, comparison)).toUtf8() + '\n');
        break;
    case Format::Junit:
        sink->write(evalreport::junit(f.run, f.results));
        break;
    }
}

// The workspace: the file, or the server's (then `remote` holds the connection). The exit code
// when neither can be had.
std::optional<int> openWorkspace(const CliArguments &a, Workspace *ws, std::unique_ptr<RemoteBackend> *remote)
{
    if (a.has(QStringLiteral("remote"))) {
        int code = 0;
        *remote = runner::connectRemote(
            a.value(QStringLiteral("remote")), a.value(QStringLiteral("token-file")), &code);
        if (!*remote)
            return code;
        *ws = (*remote)->workspace();
        return std::nullopt;
    }
    const QString path = a.value(QStringLiteral("workspace"));
    QStringList problems;
    Result<Workspace> loaded = Workspace::load(path, &problems);
    if (!loaded)
        return runner::invalidWorkspace(path, loaded.error(), problems);
    *ws = loaded.take();
    return std::nullopt;
}

// Settles the response cache's file, repeat and concurrency from the options and the config's
// hints.
void settleOptions(const CliArguments &a, const PromptfooHints &hints, Setup *s)
{
    if (!s->cacheGiven && hints.cache == std::optional<bool>(false))
        s->options.cacheMode = CacheMode::Off;
    const QString file = a.value(QStringLiteral("cache-file"));
    if (s->options.cacheMode != CacheMode::Off && !s->remote)
        s->options.cacheFile = file == QLatin1String("history") ? QString()
            : file.isEmpty() ? EvalCommand::defaultCacheFile(s->datasetPath)
                             : QFileInfo(file).absoluteFilePath();
    s->options.repeat = s->repeat ? s->repeat : hints.repeat;
    s->options.concurrency = s->concurrency.value_or(hints.maxConcurrency.value_or(4));
}

} // namespace

QString EvalCommand::defaultCacheFile(const QString &datasetPath)
{
    QString base = datasetPath;
    for (const QLatin1String ext : { QLatin1String(".json"), QLatin1String(".yaml"), QLatin1String(".yml") })
        if (base.endsWith(ext, Qt::CaseInsensitive)) {
            base.chop(ext.size());
            break;
        }
    return base + QStringLiteral(".cache.db");
}

int EvalCommand::exec(const QStringList &args)
{
    const QList<CliOption> optionList = {
        { QStringLiteral("workspace") },
        { QStringLiteral("dataset") },
        { QStringLiteral("promptfoo") },
        { QStringLiteral("case"), true, true },
        { QStringLiteral("variant"), true, true },
        { QStringLiteral("repeat") },
        { QStringLiteral("concurrency") },
        { QStringLiteral("cache") },
        { QStringLiteral("cache-file") },
        { QStringLiteral("baseline") },
        { QStringLiteral("db") },
        { QStringLiteral("no-history"), false },
        { QStringLiteral("remote") },
        { QStringLiteral("token-file") },
        { QStringLiteral("format") },
        { QStringLiteral("output") },
        { QStringLiteral("trust-workspace"), false },
    };
    const auto parsed = CliArguments::parse(QStringLiteral("eval"), args, optionList, 0);
    if (!parsed)
        return runner::badArguments(parsed.error());
    const CliArguments &a = *parsed;
    Result<Setup> setupResult = readSetup(a);
    if (!setupResult)
        return bad(setupResult.error());
    Setup setup = setupResult.take();

    Workspace ws;
    std::unique_ptr<RemoteBackend> remote;
    if (const std::optional<int> refused = openWorkspace(a, &ws, &remote))
        return *refused;
    Dataset dataset;
    PromptfooHints hints;
    if (const std::optional<int> refused = loadDataset(setup, ws, &dataset, &hints))
        return *refused;
    settleOptions(a, hints, &setup);
    const bool trusted = a.has(QStringLiteral("trust-workspace"));
    if (!remote && !trusted
        && !runner::trustSettled(a.value(QStringLiteral("workspace")), ws, agentsOfDataset(ws, dataset)))
        return BadArguments;
    ReportSink sink;
    if (QString error; !sink.open(setup.outputPath, &error))
        return bad(error);

    ExecutionBackend *backend = remote.get();
    QTemporaryDir scratch;
    std::unique_ptr<LocalBackend> local;
    if (!remote) {
        EngineSettings settings;
        if (trusted)
            settings.credentialTrust = CredentialTrust::everything();
        // The runner reads each case's record back from the engine, so --no-history still
        // gives the engine a database: a throwaway one, removed at exit.
        settings.databasePath
            = setup.dbPath.isEmpty() ? scratch.filePath(QStringLiteral("scratch.db")) : setup.dbPath;
        settings.concurrency = setup.options.concurrency;
        // Nobody replays a finished case's events (the runner reads its record from the store),
        // so thousands of cases need not keep theirs in memory for the default ten minutes.
        settings.eventRetentionMs = 2000;
        local = std::make_unique<LocalBackend>(ws, settings);
        QObject::connect(local->engine(), &Engine::storeFailed, local.get(), [](const QString &message) {
            cli::errLine(QStringLiteral("warning: history not recorded: ") + message);
        });
        backend = local.get();
    }
    std::unique_ptr<EvalRecorder> recorder;
    if (!setup.dbPath.isEmpty()) {
        recorder = std::make_unique<EvalRecorder>(setup.dbPath);
        QObject::connect(recorder.get(), &EvalRecorder::error, recorder.get(), [](const QString &message) {
            cli::errLine(QStringLiteral("warning: eval run not recorded: ") + message);
        });
    }
    // Resolved before the run, so "latest" is never the run itself.
    std::optional<std::pair<EvalRunRecord, QList<EvalResultRecord>>> baseline;
    if (!setup.options.baselineId.isEmpty()) {
        if (const std::optional<int> refused = loadBaseline(recorder.get(), ws, setup, &baseline))
            return *refused;
        setup.options.baselineId = baseline ? baseline->first.id : QString();
    }

    const Finished finished = runToEnd(backend, recorder.get(), dataset, setup, &sink);
    if (recorder)
        recorder->flush();
    std::optional<EvalComparison> comparison;
    if (baseline)
        comparison = eval::compareRuns(baseline->first, baseline->second, finished.run, finished.results);
    if (!finished.run.error.isEmpty())
        cli::errLine(QStringLiteral("error: ") + finished.run.error);
    writeReport(&sink, setup.format, finished, comparison);
    if (QString error; !sink.close(&error)) {
        cli::errLine(QStringLiteral("error: ") + error);
        return Failed;
    }
    return exitCodeOf(finished.run, finished.results);
}
