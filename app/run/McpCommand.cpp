#include "app/run/McpCommand.h"

#include "app/run/CliArguments.h"
#include "app/run/CliOutput.h"
#include "app/run/RunnerCli.h"
#include "core/engine/Engine.h"
#include "core/engine/LocalBackend.h"
#include "core/mcpserver/McpStdioServer.h"
#include "core/model/Workspace.h"
#include "core/providers/CredentialPolicy.h"
#include "core/store/ExecutionStore.h"

#include <QEventLoop>
#include <QSocketNotifier>

#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace {

// SIGTERM / SIGINT end the session like the end of stdin: the handler only writes a byte to
// this pipe, the event loop reads it (nothing else is safe inside a signal handler).
int g_signalPipe[2] = { -1, -1 };

extern "C" void onStopSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(g_signalPipe[1], &byte, 1);
}

QStringList agentIds(const Workspace &workspace)
{
    QStringList ids;
    for (const AgentSpec &a : workspace.agents)
        ids.append(a.id);
    return ids;
}

int serve(const CliArguments &a)
{
    const QString path = a.value(QStringLiteral("workspace"));
    if (path.isEmpty())
        return runner::badArguments(QStringLiteral("mcp serve: --workspace FILE is required"));
    if (a.has(QStringLiteral("db")) && a.has(QStringLiteral("no-history")))
        return runner::badArguments(QStringLiteral("mcp serve: --db and --no-history exclude each other"));
    QStringList problems;
    Result<Workspace> loaded = Workspace::load(path, &problems);
    if (!loaded)
        return runner::invalidWorkspace(path, loaded.error(), problems);
    const Workspace workspace = loaded.take();
    // Every agent may be called: settle the trust for all of them before the first request.
    const bool trusted = a.has(QStringLiteral("trust-workspace"));
    if (!trusted && !runner::trustSettled(path, workspace, agentIds(workspace)))
        return McpCommand::BadArguments;

    EngineSettings settings;
    if (trusted)
        settings.credentialTrust = CredentialTrust::everything();
    if (!a.has(QStringLiteral("no-history")))
        settings.databasePath
            = a.has(QStringLiteral("db")) ? a.value(QStringLiteral("db")) : ExecutionStore::defaultPath();
    LocalBackend backend(workspace, settings);
    QObject::connect(backend.engine(), &Engine::storeFailed, &backend, [](const QString &message) {
        cli::errLine(QStringLiteral("agentstudio-run: warning: history not recorded: ") + message);
    });

    McpToolServer::Options options;
    options.serverName = QStringLiteral("agentstudio");
    options.serverVersion = QStringLiteral(AGENTSTUDIO_VERSION);
    options.instructions
        = QStringLiteral("Each tool runs one agent or workflow of the Agent Studio workspace '%1' "
                         "and returns its output.")
              .arg(workspace.workspaceId);
    McpStdioServer server(&backend, workspace, options, STDIN_FILENO, STDOUT_FILENO);

    QEventLoop loop;
    QObject::connect(&server, &McpStdioServer::finished, &loop, &QEventLoop::quit);
    if (::pipe2(g_signalPipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        cli::errLine(QStringLiteral("agentstudio-run: mcp serve: cannot create the signal pipe"));
        return McpCommand::BadArguments;
    }
    QSocketNotifier stopSignals(g_signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&stopSignals, &QSocketNotifier::activated, &server, [&server] {
        char drain[16];
        while (::read(g_signalPipe[0], drain, sizeof drain) > 0) { }
        server.shutdown();
    });
    auto previousInt = std::signal(SIGINT, onStopSignal);
    auto previousTerm = std::signal(SIGTERM, onStopSignal);
    auto previousPipe = std::signal(SIGPIPE, SIG_IGN); // a closed stdout is an error from write()
    cli::errLine(QStringLiteral("agentstudio-run: serving %1 tools of %2 over MCP stdio")
                     .arg(workspace.agents.size() + workspace.orchestrations.size())
                     .arg(path));
    server.start();
    loop.exec();
    std::signal(SIGINT, previousInt);
    std::signal(SIGTERM, previousTerm);
    std::signal(SIGPIPE, previousPipe);
    ::close(g_signalPipe[0]);
    ::close(g_signalPipe[1]);
    return McpCommand::Ok;
}

} // namespace

int McpCommand::exec(const QStringList &args)
{
    if (args.value(0) != QLatin1String("serve"))
        return runner::badArguments(
            QStringLiteral("mcp: expected 'mcp serve' (got '%1')").arg(args.value(0)));
    const QList<CliOption> options = {
        { QStringLiteral("workspace") },
        { QStringLiteral("db") },
        { QStringLiteral("no-history"), false },
        { QStringLiteral("trust-workspace"), false },
    };
    const auto parsed = CliArguments::parse(QStringLiteral("mcp serve"), args.mid(1), options, 0);
    if (!parsed)
        return runner::badArguments(parsed.error());
    return serve(*parsed);
}
