#pragma once

#include <QString>
#include <QStringList>

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
