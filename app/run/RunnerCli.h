#pragma once

#include <QString>
#include <QStringList>

#include <memory>

class RemoteBackend;
class Workspace;

// `agentstudio-run` (docs/cli.md): parses a subcommand and its options, wires the core objects
// and prints results. Exit codes: 0 completed, 1 the execution failed or was cancelled, 2 bad
// arguments or an invalid workspace, 3 the provider or server could not be reached.
//
// Threading: main thread, with a QCoreApplication.
class RunnerCli
{
public:
    enum Exit { Completed = 0, Failed = 1, BadArguments = 2, Unreachable = 3 };

    // args without the program name: {"run", "--workspace", "w.agents.json", …}.
    int exec(const QStringList &args);

    static QString usage();

private:
    int run(const QStringList &args);
    int history(const QStringList &args);
    int show(const QStringList &args);
    int validate(const QStringList &args);
};

// What the subcommands share (RunnerCli.cpp; EvalCommand uses them): the same messages, the
// same remote connection and the same credential-trust check as `run`.
namespace runner {
// Prints the message and the --help hint; returns RunnerCli::BadArguments.
int badArguments(const QString &message);
// Prints every problem of a workspace; returns RunnerCli::BadArguments.
int invalidWorkspace(const QString &path, const QString &error, const QStringList &problems);
// Connects and waits for the server's workspace; null with *exitCode set (and the error printed)
// when refused or unreachable.
std::unique_ptr<RemoteBackend> connectRemote(const QString &url, const QString &tokenFile, int *exitCode);
// False (with the reasons printed) when `agents` would send a key or token that needs
// --trust-workspace.
bool trustSettled(const QString &workspacePath, const Workspace &workspace, const QStringList &agents);
} // namespace runner
