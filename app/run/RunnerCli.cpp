#include "app/run/RunnerCli.h"

#include "app/run/CliArguments.h"
#include "app/run/CliOutput.h"
#include "app/run/EvalCommand.h"
#include "app/run/McpCommand.h"
#include "app/run/RunSession.h"
#include "app/run/ToolsCommand.h"
#include "core/common/Util.h"
#include "core/engine/Engine.h"
#include "core/engine/LocalBackend.h"
#include "core/model/Workspace.h"
#include "core/providers/CredentialPolicy.h"
#include "core/remote/RemoteBackend.h"
#include "core/store/ExecutionStore.h"
#include "core/tools/ToolHost.h"
#include "core/trace/OtlpExport.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>
#include <QUrl>

#include <memory>
#include <optional>

namespace {

// Waits for the one answer of an asynchronous backend call, running the event loop:
// `call(context, callback)` starts it. The runner's only wait for a reply.
template <typename Value, typename Call> std::pair<Value, Error> awaitReply(Call call)
{
    std::optional<std::pair<Value, Error>> answer;
    QObject context;
    call(&context, [&answer](const Value &value, const Error &error) { answer.emplace(value, error); });
    while (!answer)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    return *answer;
}

int exitCodeOf(ErrorCode code)
{
    return RunSession::exitCodeFor(code);
}

int badArguments(const QString &message)
{
    cli::errLine(QStringLiteral("agentstudio-run: ") + message);
    cli::errLine(QStringLiteral("Try 'agentstudio-run --help'."));
    return RunnerCli::BadArguments;
}

// Reads a JSON object file (--inputs, --upstream).
Result<QJsonObject> readJsonObject(const QString &option, const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Failure { QStringLiteral("%1: cannot read %2: %3").arg(option, path, f.errorString()) };
    QString error;
    const QJsonValue v = as::parseJsonValue(QString::fromUtf8(f.readAll()), &error);
    if (!error.isEmpty())
        return Failure { QStringLiteral("%1: %2: %3").arg(option, path, error) };
    if (!v.isObject())
        return Failure { QStringLiteral("%1: %2: expected a JSON object of field values").arg(option, path) };
    return v.toObject();
}

// Prints every problem of a workspace, each starting with its JSON path.
int invalidWorkspace(const QString &path, const QString &error, const QStringList &problems)
{
    const QStringList lines
        = problems.isEmpty() ? error.split(QLatin1Char('\n'), Qt::SkipEmptyParts) : problems;
    for (const QString &p : lines)
        cli::errLine(p);
    cli::errLine(QStringLiteral("agentstudio-run: invalid workspace %1 (%2 problem%3)")
                     .arg(path)
                     .arg(lines.size())
                     .arg(lines.size() == 1 ? QString() : QStringLiteral("s")));
    return RunnerCli::BadArguments;
}

// What `history` and `show` may print from a local database, which every workspace file of
// this user shares: with --workspace FILE only that file's workspace (its organization and
// workspace ids), without it every workspace (docs/store.md, "Scope"). No value after an
// invalid workspace, whose problems are printed.
std::optional<StoreScope> localScope(const CliArguments &a)
{
    if (!a.has(QStringLiteral("workspace")))
        return StoreScope::everyWorkspace();
    const QString path = a.value(QStringLiteral("workspace"));
    QStringList problems;
    const Result<Workspace> ws = Workspace::load(path, &problems);
    if (!ws) {
        invalidWorkspace(path, ws.error(), problems);
        return std::nullopt;
    }
    return StoreScope::workspace(ws->organizationId, ws->workspaceId);
}

struct RemoteConnection
{
    std::unique_ptr<RemoteBackend> backend;
    int exitCode = 0;
};

// Connects to a workspace server and waits for its workspace (the agents this token may use).
RemoteConnection connectRemote(const QString &url, const QString &tokenFile)
{
    RemoteConnection c;
    const QUrl base(url);
    if (!base.isValid()
        || (base.scheme() != QLatin1String("http") && base.scheme() != QLatin1String("https"))) {
        c.exitCode = badArguments(QStringLiteral("--remote: '%1' is not an http(s) URL").arg(url));
        return c;
    }
    if (tokenFile.isEmpty()) {
        c.exitCode = badArguments(QStringLiteral("--remote needs --token-file FILE"));
        return c;
    }
    QFile f(tokenFile);
    if (!f.open(QIODevice::ReadOnly)) {
        c.exitCode = badArguments(
            QStringLiteral("--token-file: cannot read %1: %2").arg(tokenFile, f.errorString()));
        return c;
    }
    const QString token = QString::fromUtf8(f.readAll()).trimmed();
    if (token.isEmpty()) {
        c.exitCode = badArguments(QStringLiteral("--token-file: %1 is empty").arg(tokenFile));
        return c;
    }
    c.backend = std::make_unique<RemoteBackend>(base, token);
    QEventLoop loop;
    QString failure;
    QTimer timeout;
    timeout.setSingleShot(true);
    QObject::connect(&timeout, &QTimer::timeout, &loop, [&] {
        failure = QStringLiteral("cannot reach server %1: no answer within 30 s").arg(url);
        loop.quit();
    });
    QObject::connect(c.backend.get(), &ExecutionBackend::workspaceChanged, &loop, &QEventLoop::quit);
    ErrorCode failureCode = ErrorCode::Unreachable; // no answer in time
    QObject::connect(c.backend.get(), &RemoteBackend::workspaceFetchFailed, &loop, [&](const Error &error) {
        failure = error.message;
        failureCode = error.code;
        loop.quit();
    });
    timeout.start(30000);
    if (!c.backend->hasWorkspace())
        loop.exec();
    if (!c.backend->hasWorkspace()) {
        cli::errLine(QStringLiteral("error: ") + failure);
        // A refused token or a broken server workspace is not a reachability problem.
        c.exitCode = exitCodeOf(failureCode);
        c.backend.reset();
    }
    return c;
}

// --format text|json|jsonl of `run`.
Result<RunSession::Format> runFormat(const CliArguments &a)
{
    const QString format
        = a.has(QStringLiteral("format")) ? a.value(QStringLiteral("format")) : QStringLiteral("text");
    if (format == QLatin1String("text"))
        return RunSession::Format::Text;
    else if (format == QLatin1String("json"))
        return RunSession::Format::Json;
    else if (format == QLatin1String("jsonl"))
        return RunSession::Format::Jsonl;
    else
        return Failure { QStringLiteral("run: --format must be text, json or jsonl, not '%1'").arg(format) };
}

// The option combinations `run` refuses, as the message; empty when they fit.
QString runOptionConflict(const CliArguments &a)
{
    const bool toAgent = a.has(QStringLiteral("agent"));
    const bool toWorkflow = a.has(QStringLiteral("workflow"));
    if (toAgent == toWorkflow)
        return QStringLiteral("run: give exactly one of --agent ID or --workflow ID");
    if (a.has(QStringLiteral("node")) && !toWorkflow)
        return QStringLiteral("run: --node needs --workflow");
    if (a.has(QStringLiteral("upstream")) && !a.has(QStringLiteral("node")))
        return QStringLiteral("run: --upstream needs --node");
    if (a.has(QStringLiteral("db")) && a.has(QStringLiteral("no-history")))
        return QStringLiteral("run: --db and --no-history exclude each other");
    const bool remote = a.has(QStringLiteral("remote"));
    if (remote && (a.has(QStringLiteral("db")) || a.has(QStringLiteral("no-history"))))
        return QStringLiteral("run: with --remote the server keeps the history (no --db or --no-history)");
    if (a.has(QStringLiteral("token-file")) && !remote)
        return QStringLiteral("run: --token-file needs --remote");
    if (!remote && !a.has(QStringLiteral("workspace")))
        return QStringLiteral("run: --workspace FILE is required (or --remote URL --token-file FILE)");
    return {};
}

// What `run` runs, and the fields its inputs must fit.
struct RunTarget
{
    const QList<FieldSpec> *fields = nullptr;
    // False for a node: the engine completes edge-fed inputs, so they are not checked here.
    bool preValidate = true;
};

// Sets the agent, workflow and node of `request` from --agent / --workflow / --node.
Result<RunTarget> runTarget(const CliArguments &a, const Workspace &workspace, ExecutionRequest *request)
{
    RunTarget target;
    if (a.has(QStringLiteral("agent"))) {
        request->agentId = a.value(QStringLiteral("agent"));
        const AgentSpec *agent = workspace.agent(request->agentId);
        if (!agent) {
            QStringList known;
            for (const AgentSpec &s : workspace.agents)
                known.append(s.id);
            return Failure { QStringLiteral("run: unknown agent '%1' (agents: %2)")
                                 .arg(request->agentId, known.join(QStringLiteral(", "))) };
        }
        target.fields = &agent->signature.inputs;
    } else {
        request->orchestrationId = a.value(QStringLiteral("workflow"));
        const OrchestrationSpec *o = workspace.orchestration(request->orchestrationId);
        if (!o) {
            QStringList known;
            for (const OrchestrationSpec &s : workspace.orchestrations)
                known.append(s.id);
            return Failure { QStringLiteral("run: unknown workflow '%1' (workflows: %2)")
                                 .arg(request->orchestrationId, known.join(QStringLiteral(", "))) };
        }
        target.fields = &o->inputs;
        if (a.has(QStringLiteral("node"))) {
            request->nodeId = a.value(QStringLiteral("node"));
            const NodeSpec *node = o->node(request->nodeId);
            if (!node) {
                QStringList known;
                for (const NodeSpec &n : o->nodes)
                    known.append(n.id);
                return Failure { QStringLiteral("run: workflow '%1' has no node '%2' (nodes: %3)")
                                     .arg(o->id, request->nodeId, known.join(QStringLiteral(", "))) };
            }
            const AgentSpec *agent = workspace.agent(node->agent);
            if (!agent)
                return Failure {
                    QStringLiteral("run: node '%1' uses unknown agent '%2'").arg(node->id, node->agent)
                };
            target.fields = &agent->signature.inputs;
            // The engine completes edge-fed inputs from --upstream, pins or the latest full run.
            target.preValidate = false;
        }
    }
    return target;
}

// Inputs: --inputs first, then each --input NAME=VALUE converted by its field's type, then
// --upstream; checked against `fields` when `preValidate`. The exit code when refused.
std::optional<int> readRunInputs(
    const CliArguments &a, const QList<FieldSpec> &fields, bool preValidate, ExecutionRequest *request)
{
    if (a.has(QStringLiteral("inputs"))) {
        const Result<QJsonObject> obj
            = readJsonObject(QStringLiteral("--inputs"), a.value(QStringLiteral("inputs")));
        if (!obj)
            return badArguments(obj.error());
        request->inputs = *obj;
    }
    for (const QString &assignment : a.values(QStringLiteral("input"))) {
        const qsizetype eq = assignment.indexOf(QLatin1Char('='));
        if (eq <= 0)
            return badArguments(QStringLiteral("run: --input '%1': expected NAME=VALUE").arg(assignment));
        const QString name = assignment.left(eq);
        const FieldSpec *field = nullptr;
        QStringList known;
        for (const FieldSpec &f : fields) {
            known.append(f.name);
            if (f.name == name)
                field = &f;
        }
        if (!field)
            return badArguments(QStringLiteral("run: --input %1: no input named '%1' (inputs: %2)")
                                    .arg(name, known.join(QStringLiteral(", "))));
        QString error;
        const std::optional<QJsonValue> value = field->fromText(assignment.mid(eq + 1), &error);
        if (!value)
            return badArguments(QStringLiteral("run: --input %1: %2").arg(name, error));
        request->inputs.insert(name, *value);
    }
    if (a.has(QStringLiteral("upstream"))) {
        const Result<QJsonObject> obj
            = readJsonObject(QStringLiteral("--upstream"), a.value(QStringLiteral("upstream")));
        if (!obj)
            return badArguments(obj.error());
        request->upstream = *obj;
    }
    if (preValidate) {
        QStringList problems;
        if (!validateInputs(fields, request->inputs, &problems)) {
            for (const QString &p : problems)
                cli::errLine(QStringLiteral("input ") + p);
            return badArguments(QStringLiteral("run: invalid inputs (%1 problem%2)")
                                    .arg(problems.size())
                                    .arg(problems.size() == 1 ? QString() : QStringLiteral("s")));
        }
    }
    return std::nullopt;
}

// --mock-tool NAME=FILE.json (an override object read from the file), --max-cost USD,
// --continue EXECUTION_ID --message TEXT (docs/agent-loop.md). The exit code when refused.
std::optional<int> readToolOptions(const CliArguments &a, ExecutionRequest *request)
{
    for (const QString &assignment : a.values(QStringLiteral("mock-tool"))) {
        const qsizetype eq = assignment.indexOf(QLatin1Char('='));
        if (eq <= 0 || eq == assignment.size() - 1)
            return badArguments(
                QStringLiteral("run: --mock-tool '%1': expected NAME=FILE.json").arg(assignment));
        const QString name = assignment.left(eq);
        const QString option = QStringLiteral("run: --mock-tool %1").arg(name);
        const Result<QJsonObject> entry = readJsonObject(option, assignment.mid(eq + 1));
        if (!entry)
            return badArguments(entry.error());
        if (const QString problem = toolOverrideProblem(option, *entry); !problem.isEmpty())
            return badArguments(problem);
        request->toolOverrides.insert(name, *entry);
    }
    if (a.has(QStringLiteral("max-cost"))) {
        bool ok = false;
        const double usd = a.value(QStringLiteral("max-cost")).toDouble(&ok);
        if (!ok || usd < 0)
            return badArguments(QStringLiteral("run: --max-cost '%1': expected a number of US dollars >= 0")
                                    .arg(a.value(QStringLiteral("max-cost"))));
        request->budget.maxCostUsd = usd;
    }
    if (a.has(QStringLiteral("continue")) != a.has(QStringLiteral("message")))
        return badArguments(a.has(QStringLiteral("continue"))
                ? QStringLiteral("run: --continue needs --message TEXT")
                : QStringLiteral("run: --message needs --continue EXECUTION_ID"));
    if (a.has(QStringLiteral("continue"))) {
        if (!a.has(QStringLiteral("agent")))
            return badArguments(
                QStringLiteral("run: --continue needs --agent (only an agent run can be continued)"));
        request->conversationOf = a.value(QStringLiteral("continue"));
        request->message = a.value(QStringLiteral("message"));
    }
    return std::nullopt;
}

// Keys the file would send anywhere but their official host, or read from a variable of its
// choosing, need --trust-workspace: false (with the reasons printed) before any request.
bool trustSettledFor(const QString &workspacePath, const Workspace &workspace, const QStringList &agents)
{
    const QList<CredentialUse> uses = credentials::usesNeedingTrust(workspace, agents);
    // The bearer tokens of the MCP sources those agents name (docs/tool-sources.md).
    QStringList sources;
    for (const QString &id : agents)
        if (const AgentSpec *agent = workspace.agent(id))
            sources += ToolHost::sourcesOf(*agent);
    const QList<CredentialUse> toolUses
        = sources.isEmpty() ? QList<CredentialUse>() : ToolHost::credentialUses(workspace, sources);
    if (uses.isEmpty() && toolUses.isEmpty())
        return true;
    for (const CredentialUse &use : uses)
        cli::errLine(QStringLiteral("agentstudio-run: ") + credentials::untrustedMessage(use));
    for (const CredentialUse &use : toolUses)
        cli::errLine(QStringLiteral("agentstudio-run: ") + ToolHost::untrustedMessage(use));
    cli::errLine(QStringLiteral("agentstudio-run: if you trust %1, run again with --trust-workspace")
                     .arg(workspacePath));
    return false;
}

bool trustSettled(const CliArguments &a, const Workspace &workspace, const ExecutionRequest &request)
{
    return trustSettledFor(a.value(QStringLiteral("workspace")), workspace,
        credentials::agentsOfRun(workspace, request.agentId, request.orchestrationId, request.nodeId));
}

} // namespace

namespace runner {

int badArguments(const QString &message)
{
    return ::badArguments(message);
}

int invalidWorkspace(const QString &path, const QString &error, const QStringList &problems)
{
    return ::invalidWorkspace(path, error, problems);
}

std::unique_ptr<RemoteBackend> connectRemote(const QString &url, const QString &tokenFile, int *exitCode)
{
    RemoteConnection c = ::connectRemote(url, tokenFile);
    *exitCode = c.exitCode;
    return std::move(c.backend);
}

bool trustSettled(const QString &workspacePath, const Workspace &workspace, const QStringList &agents)
{
    return trustSettledFor(workspacePath, workspace, agents);
}

} // namespace runner

QString RunnerCli::usage()
{
    return QStringLiteral(
        "Usage:\n"
        "  agentstudio-run run --workspace FILE (--agent ID | --workflow ID [--node NODE_ID])\n"
        "                      [--input NAME=VALUE]... [--inputs FILE.json] [--upstream FILE.json]\n"
        "                      [--db FILE | --no-history] [--remote URL --token-file FILE]\n"
        "                      [--trust-workspace] [--format text|json|jsonl]\n"
        "                      [--mock-tool NAME=FILE.json]... [--max-cost USD]\n"
        "                      [--continue EXECUTION_ID --message TEXT]\n"
        "  agentstudio-run eval (--workspace FILE | --remote URL --token-file FILE)\n"
        "                      (--dataset FILE.eval.json | --promptfoo FILE.yaml) [--case ID]...\n"
        "                      [--variant NAME]... [--repeat N] [--concurrency N]\n"
        "                      [--cache off|read|write|readwrite [--cache-file FILE|history]]\n"
        "                      [--baseline EVAL_RUN_ID|latest] [--db FILE | --no-history]\n"
        "                      [--format text|json|jsonl|junit] [--output FILE] [--trust-workspace]\n"
        "  agentstudio-run history [--status S] [--agent ID] [--workflow ID] [--search TEXT]\n"
        "                      [--since ISO] [--limit N] [--db FILE [--workspace FILE]\n"
        "                      | --remote URL --token-file FILE] [--format text|json]\n"
        "  agentstudio-run show EXECUTION_ID [--db FILE [--workspace FILE]] [--format text|json|otlp]\n"
        "  agentstudio-run validate --workspace FILE\n"
        "  agentstudio-run tools list (--workspace FILE [--source ID] | --mcp URL | --mcp-command \"CMD "
        "ARGS\")\n"
        "                      [--format text|json] [--trust-workspace]\n"
        "  agentstudio-run tools call TOOL [--args JSON | --args-file FILE] (same source options)\n"
        "                      [--format text|json] [--trust-workspace]\n"
        "  agentstudio-run mcp serve --workspace FILE [--db FILE | --no-history] [--trust-workspace]\n"
        "                      (the agents and workflows as MCP tools over stdio: docs/mcp-server.md)\n"
        "\n"
        "Exit codes: 0 completed, 1 the execution failed or was cancelled, 2 bad arguments or an\n"
        "invalid workspace, 3 could not reach the provider or server.\n"
        "eval: 0 every case passed, 1 a case failed or errored, 2 bad arguments or an invalid\n"
        "dataset, 3 the provider or server could not be reached. The response cache defaults to\n"
        "DATASET.cache.db next to the dataset (--cache-file history: the history database).\n"
        "tools: 0 ok, 1 the tool reported an error, 2 bad arguments, an invalid workspace or an\n"
        "unknown tool, 3 a tool server could not be started or reached.\n"
        "mcp serve: 0 when stdin ends or on SIGTERM, 2 bad arguments or an invalid workspace.\n"
        "--trust-workspace lets the workspace send a key to a host other than its provider's\n"
        "official one, or read a variable other than OPENAI_API_KEY / ANTHROPIC_API_KEY; without it\n"
        "such a run stops before any request (exit code 2).\n"
        "The default database is %1.\n")
        .arg(ExecutionStore::defaultPath());
}

int RunnerCli::exec(const QStringList &args)
{
    if (args.isEmpty())
        return badArguments(QStringLiteral("missing command (run, history, show or validate)"));
    const QString command = args.first();
    const QStringList rest = args.mid(1);
    if (command == QLatin1String("--help") || command == QLatin1String("-h")
        || command == QLatin1String("help")) {
        cli::out(usage());
        return Completed;
    }
    if (command == QLatin1String("--version")) {
        cli::out(QStringLiteral("agentstudio-run %1\n").arg(QStringLiteral(AGENTSTUDIO_VERSION)));
        return Completed;
    }
    if (rest.contains(QLatin1String("--help")) || rest.contains(QLatin1String("-h"))) {
        cli::out(usage());
        return Completed;
    }
    if (command == QLatin1String("run"))
        return run(rest);
    if (command == QLatin1String("history"))
        return history(rest);
    if (command == QLatin1String("show"))
        return show(rest);
    if (command == QLatin1String("validate"))
        return validate(rest);
    if (command == QLatin1String("tools"))
        return ToolsCommand::exec(rest);
    if (command == QLatin1String("eval"))
        return EvalCommand::exec(rest);
    if (command == QLatin1String("mcp"))
        return McpCommand::exec(rest);
    return badArguments(QStringLiteral("unknown command '%1' (run, history, show or validate)").arg(command));
}

int RunnerCli::validate(const QStringList &args)
{
    const auto parsed
        = CliArguments::parse(QStringLiteral("validate"), args, { { QStringLiteral("workspace") } }, 0);
    if (!parsed)
        return badArguments(parsed.error());
    const QString path = parsed->value(QStringLiteral("workspace"));
    if (path.isEmpty())
        return badArguments(QStringLiteral("validate: --workspace FILE is required"));
    QStringList problems;
    const Result<Workspace> ws = Workspace::load(path, &problems);
    if (!ws)
        return invalidWorkspace(path, ws.error(), problems);
    cli::out(QStringLiteral("ok: %1 agents, %2 orchestrations\n")
                 .arg(ws->agents.size())
                 .arg(ws->orchestrations.size()));
    return Completed;
}

int RunnerCli::run(const QStringList &args)
{
    const QList<CliOption> options = {
        { QStringLiteral("workspace") },
        { QStringLiteral("agent") },
        { QStringLiteral("workflow") },
        { QStringLiteral("node") },
        { QStringLiteral("input"), true, true },
        { QStringLiteral("inputs") },
        { QStringLiteral("upstream") },
        { QStringLiteral("db") },
        { QStringLiteral("no-history"), false },
        { QStringLiteral("remote") },
        { QStringLiteral("token-file") },
        { QStringLiteral("format") },
        { QStringLiteral("trust-workspace"), false },
        { QStringLiteral("mock-tool"), true, true },
        { QStringLiteral("max-cost") },
        { QStringLiteral("continue") },
        { QStringLiteral("message") },
    };
    const auto parsedResult = CliArguments::parse(QStringLiteral("run"), args, options, 0);
    if (!parsedResult)
        return badArguments(parsedResult.error());
    const CliArguments &a = *parsedResult;

    const Result<RunSession::Format> fmt = runFormat(a);
    if (!fmt)
        return badArguments(fmt.error());
    if (const QString conflict = runOptionConflict(a); !conflict.isEmpty())
        return badArguments(conflict);
    const bool remote = a.has(QStringLiteral("remote"));

    // The workspace: the file, or the server's agents and workflows.
    Workspace workspace;
    RemoteConnection connection;
    if (remote) {
        connection = connectRemote(a.value(QStringLiteral("remote")), a.value(QStringLiteral("token-file")));
        if (!connection.backend)
            return connection.exitCode;
        workspace = connection.backend->workspace();
    } else {
        const QString path = a.value(QStringLiteral("workspace"));
        QStringList problems;
        Result<Workspace> ws = Workspace::load(path, &problems);
        if (!ws)
            return invalidWorkspace(path, ws.error(), problems);
        workspace = ws.take();
    }

    // What runs, and the fields its inputs must fit.
    ExecutionRequest request;
    request.triggerType = TriggerType::Cli;
    request.triggeredBy = qEnvironmentVariable("USER", QStringLiteral("agentstudio-run"));
    const Result<RunTarget> target = runTarget(a, workspace, &request);
    if (!target)
        return badArguments(target.error());
    // A conversation's next turn takes the message, not the inputs.
    const bool continuing = a.has(QStringLiteral("continue"));
    if (const std::optional<int> refused
        = readRunInputs(a, *target->fields, target->preValidate && !continuing, &request))
        return *refused;
    if (const std::optional<int> refused = readToolOptions(a, &request))
        return *refused;

    // A server applies its own trust to its own workspace.
    const bool trusted = a.has(QStringLiteral("trust-workspace"));
    if (!remote && !trusted && !trustSettled(a, workspace, request))
        return BadArguments;

    // The backend: the embedded engine, or the server.
    ExecutionBackend *backend = connection.backend.get();
    std::unique_ptr<LocalBackend> local;
    if (!remote) {
        EngineSettings settings;
        if (trusted)
            settings.credentialTrust = CredentialTrust::everything();
        if (!a.has(QStringLiteral("no-history")))
            settings.databasePath
                = a.has(QStringLiteral("db")) ? a.value(QStringLiteral("db")) : ExecutionStore::defaultPath();
        settings.concurrency = 1;
        local = std::make_unique<LocalBackend>(workspace, settings);
        // The run goes on without history when the database fails; say so once.
        QObject::connect(local->engine(), &Engine::storeFailed, local.get(), [](const QString &message) {
            cli::errLine(QStringLiteral("warning: history not recorded: ") + message);
        });
        backend = local.get();
    }
    RunSession session(backend, request, *fmt, workspace);
    return session.exec();
}

int RunnerCli::history(const QStringList &args)
{
    const QList<CliOption> options = {
        { QStringLiteral("status") },
        { QStringLiteral("agent") },
        { QStringLiteral("workflow") },
        { QStringLiteral("search") },
        { QStringLiteral("since") },
        { QStringLiteral("limit") },
        { QStringLiteral("db") },
        { QStringLiteral("remote") },
        { QStringLiteral("token-file") },
        { QStringLiteral("format") },
        { QStringLiteral("workspace") },
    };
    const auto parsedResult = CliArguments::parse(QStringLiteral("history"), args, options, 0);
    if (!parsedResult)
        return badArguments(parsedResult.error());
    const CliArguments &a = *parsedResult;
    const QString format
        = a.has(QStringLiteral("format")) ? a.value(QStringLiteral("format")) : QStringLiteral("text");
    if (format != QLatin1String("text") && format != QLatin1String("json"))
        return badArguments(QStringLiteral("history: --format must be text or json, not '%1'").arg(format));
    const bool remote = a.has(QStringLiteral("remote"));
    if (remote && a.has(QStringLiteral("db")))
        return badArguments(QStringLiteral("history: --db and --remote exclude each other"));
    if (a.has(QStringLiteral("token-file")) && !remote)
        return badArguments(QStringLiteral("history: --token-file needs --remote"));
    if (remote && a.has(QStringLiteral("workspace")))
        return badArguments(QStringLiteral("history: --workspace and --remote exclude each other "
                                           "(the server shows the token's workspace)"));

    HistoryQuery q;
    const QStringList statuses
        = a.value(QStringLiteral("status")).split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (const QString &s : statuses) {
        const std::optional<ExecutionStatus> status = fromWire<ExecutionStatus>(s);
        if (!status)
            return badArguments(QStringLiteral("history: --status '%1' is not one of %2")
                                    .arg(s, wireNames<ExecutionStatus>().join(QStringLiteral(", "))));
        q.statuses.append(*status);
    }
    q.agentId = a.value(QStringLiteral("agent"));
    q.orchestrationId = a.value(QStringLiteral("workflow"));
    q.search = a.value(QStringLiteral("search"));
    if (a.has(QStringLiteral("since"))) {
        q.since = as::parseIsoTime(a.value(QStringLiteral("since")));
        if (!q.since.isValid())
            return badArguments(QStringLiteral("history: --since '%1' is not an ISO-8601 time")
                                    .arg(a.value(QStringLiteral("since"))));
    }
    int limit = 50;
    if (a.has(QStringLiteral("limit"))) {
        bool ok = false;
        limit = a.value(QStringLiteral("limit")).toInt(&ok);
        if (!ok || limit <= 0)
            return badArguments(QStringLiteral("history: --limit must be a positive number, not '%1'")
                                    .arg(a.value(QStringLiteral("limit"))));
    }

    QList<ExecutionRecord> items;
    if (remote) {
        RemoteConnection c
            = connectRemote(a.value(QStringLiteral("remote")), a.value(QStringLiteral("token-file")));
        if (!c.backend)
            return c.exitCode;
        // Pages until the limit; the server may cap a page.
        while (items.size() < limit) {
            q.limit = limit - int(items.size());
            const auto [page, error] = awaitReply<HistoryPage>(
                [&](QObject *context, auto callback) { c.backend->queryHistory(q, context, callback); });
            if (error.code != ErrorCode::None) {
                cli::errLine(QStringLiteral("error: ") + error.message);
                return exitCodeOf(error.code);
            }
            items += page.items;
            if (page.nextCursor.isEmpty() || page.items.isEmpty())
                break;
            q.cursor = page.nextCursor;
        }
    } else {
        const std::optional<StoreScope> scope = localScope(a);
        if (!scope)
            return BadArguments;
        const QString path
            = a.has(QStringLiteral("db")) ? a.value(QStringLiteral("db")) : ExecutionStore::defaultPath();
        if (QFileInfo::exists(path)) { // no database yet: no history, and none is created
            ExecutionStore store(path);
            if (auto r = store.open(); !r) {
                cli::errLine(QStringLiteral("error: ") + r.error());
                return BadArguments;
            }
            // Pages of at most the store's page cap until the limit.
            while (items.size() < limit) {
                q.limit = limit - int(items.size());
                const Result<HistoryPage> page = store.query(*scope, q);
                if (!page) {
                    cli::errLine(QStringLiteral("error: ") + page.error());
                    return BadArguments;
                }
                items += page->items;
                if (page->nextCursor.isEmpty() || page->items.isEmpty())
                    break;
                q.cursor = page->nextCursor;
            }
        }
    }
    if (items.size() > limit)
        items.resize(limit);

    if (format == QLatin1String("json")) {
        QJsonArray array;
        for (const ExecutionRecord &e : std::as_const(items))
            array.append(e.toJson(false));
        cli::outJson(array);
    } else if (items.isEmpty()) {
        cli::errLine(QStringLiteral("no executions"));
    } else {
        cli::out(cli::historyTable(items));
    }
    return Completed;
}

int RunnerCli::show(const QStringList &args)
{
    const QList<CliOption> options = {
        { QStringLiteral("db") },
        { QStringLiteral("format") },
        { QStringLiteral("remote") },
        { QStringLiteral("token-file") },
        { QStringLiteral("workspace") },
    };
    const auto parsedResult = CliArguments::parse(QStringLiteral("show"), args, options, 1);
    if (!parsedResult)
        return badArguments(parsedResult.error());
    const CliArguments &a = *parsedResult;
    if (a.positionals().isEmpty())
        return badArguments(QStringLiteral("show: EXECUTION_ID is required"));
    const QString id = a.positionals().first();
    const QString format
        = a.has(QStringLiteral("format")) ? a.value(QStringLiteral("format")) : QStringLiteral("text");
    if (format != QLatin1String("text") && format != QLatin1String("json") && format != QLatin1String("otlp"))
        return badArguments(
            QStringLiteral("show: --format must be text, json or otlp, not '%1'").arg(format));
    const bool remote = a.has(QStringLiteral("remote"));
    if (remote && a.has(QStringLiteral("db")))
        return badArguments(QStringLiteral("show: --db and --remote exclude each other"));
    if (a.has(QStringLiteral("token-file")) && !remote)
        return badArguments(QStringLiteral("show: --token-file needs --remote"));
    if (remote && a.has(QStringLiteral("workspace")))
        return badArguments(QStringLiteral("show: --workspace and --remote exclude each other "
                                           "(the server shows the token's workspace)"));

    ExecutionRecord record;
    if (remote) {
        RemoteConnection c
            = connectRemote(a.value(QStringLiteral("remote")), a.value(QStringLiteral("token-file")));
        if (!c.backend)
            return c.exitCode;
        const auto [fetched, error] = awaitReply<ExecutionRecord>(
            [&](QObject *context, auto callback) { c.backend->fetchExecution(id, context, callback); });
        if (error.code != ErrorCode::None) {
            cli::errLine(QStringLiteral("error: ") + error.message);
            return exitCodeOf(error.code);
        }
        record = fetched;
    } else {
        const std::optional<StoreScope> scope = localScope(a);
        if (!scope)
            return BadArguments;
        const QString path
            = a.has(QStringLiteral("db")) ? a.value(QStringLiteral("db")) : ExecutionStore::defaultPath();
        if (!QFileInfo::exists(path)) {
            cli::errLine(
                QStringLiteral("error: no execution with id '%1' (no database at %2)").arg(id, path));
            return BadArguments;
        }
        ExecutionStore store(path);
        if (auto r = store.open(); !r) {
            cli::errLine(QStringLiteral("error: ") + r.error());
            return BadArguments;
        }
        Result<ExecutionRecord> r = store.execution(*scope, id, true);
        if (!r) {
            cli::errLine(QStringLiteral("error: ") + r.error());
            return BadArguments;
        }
        record = r.take();
    }

    if (format == QLatin1String("json"))
        cli::outJson(record.toJson(true));
    else if (format == QLatin1String("otlp")) {
        // With --workspace, its tool sources give each tool step's gen_ai.tool.type.
        OtlpOptions options;
        if (a.has(QStringLiteral("workspace")))
            if (Result<Workspace> ws = Workspace::load(a.value(QStringLiteral("workspace"))); ws.ok())
                options = OtlpOptions::forWorkspace(ws.value());
        cli::outJson(exportOtlp(record, options));
    } else
        cli::out(cli::executionText(record));
    return Completed;
}
