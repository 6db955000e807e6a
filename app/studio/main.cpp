// agentstudio [--workspace FILE] [--db FILE] (DESIGN.md §10): the desktop app. Wires the
// embedded engine (LocalBackend, its own thread) to the main window and runs the event loop.
#include "core/engine/LocalBackend.h"
#include "core/store/ExecutionStore.h"
#include "ui/mainwindow/MainWindow.h"

#include <QApplication>
#include <QCommandLineParser>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("AgentStudio"));
    QApplication::setApplicationName(QStringLiteral("agentstudio"));
    QApplication::setApplicationDisplayName(QStringLiteral("Agent Studio"));
    QApplication::setApplicationVersion(QStringLiteral(AGENTSTUDIO_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("agentstudio"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Design and test LLM agents and multi-agent workflows."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption workspaceOption(QStringLiteral("workspace"),
                                             QStringLiteral("Workspace file to open (default: the last one, else the bundled example)."),
                                             QStringLiteral("FILE"));
    const QCommandLineOption dbOption(QStringLiteral("db"),
                                      QStringLiteral("Execution history database (default: %1).").arg(ExecutionStore::defaultPath()),
                                      QStringLiteral("FILE"));
    parser.addOption(workspaceOption);
    parser.addOption(dbOption);
    parser.process(app);

    EngineSettings settings;
    settings.databasePath = parser.isSet(dbOption) ? parser.value(dbOption) : ExecutionStore::defaultPath();
    LocalBackend backend(Workspace(), settings);

    MainWindow window(&backend);
    window.openInitialWorkspace(parser.value(workspaceOption));
    window.show();
    window.raise();
    window.activateWindow();   // keyboard focus at once, even without a window manager
    return app.exec();
}
