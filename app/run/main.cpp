#include "app/run/RunnerCli.h"

#include <QCoreApplication>

// agentstudio-run: the headless runner (docs/cli.md). Parses arguments and hands over to
// RunnerCli; everything else lives in the core library.
int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("agentstudio-run"));
    QCoreApplication::setApplicationVersion(QStringLiteral(AGENTSTUDIO_VERSION));
    RunnerCli cli;
    return cli.exec(QCoreApplication::arguments().mid(1));
}
