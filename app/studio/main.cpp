// agentstudio [--workspace FILE | FILE] [--db FILE] [--eval FILE] [--remote URL[,URL…] --token-file FILE]
// (docs/cli.md): the desktop app. Wires the embedded engine (LocalBackend, its own thread) to the main
// window, optionally connects to a remote workspace server at start, and runs the event loop.
#include "core/engine/LocalBackend.h"
#include "core/remote/RemoteBackend.h"
#include "core/store/ExecutionStore.h"
#include "ui/mainwindow/MainWindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFile>

#include <cstdio>

namespace {

// The first line of the token file, trimmed. The token itself is never printed.
QString readToken(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("agentstudio: --token-file %1: %2").arg(path, file.errorString());
        return {};
    }
    const QString token = QString::fromUtf8(file.readLine(64 * 1024)).trimmed();
    if (token.isEmpty())
        *error = QStringLiteral("agentstudio: --token-file %1: the file holds no token").arg(path);
    return token;
}

int usageError(const QString &message)
{
    std::fputs(qPrintable(message + QLatin1Char('\n')), stderr);
    return 2;
}

} // namespace

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
    const QCommandLineOption remoteOption(QStringLiteral("remote"),
        QStringLiteral("Connect at start to the workspace server at URL (http://host:port). Several "
                       "comma-separated URLs name instances of one server: the next is used when "
                       "one stops."),
        QStringLiteral("URL[,URL...]"));
    const QCommandLineOption tokenFileOption(QStringLiteral("token-file"),
        QStringLiteral("File holding the bearer token for --remote (never logged or saved)."),
        QStringLiteral("FILE"));
    const QCommandLineOption evalOption(QStringLiteral("eval"),
        QStringLiteral(
            "Dataset (*.eval.json) or promptfoo config (*.yaml) to open in the Evaluations panel."),
        QStringLiteral("FILE"));
    parser.addOption(workspaceOption);
    parser.addOption(evalOption);
    parser.addOption(dbOption);
    parser.addOption(remoteOption);
    parser.addOption(tokenFileOption);
    // A file given on its own (desktop entry "agentstudio %f", "Open With") is the workspace.
    parser.addPositionalArgument(QStringLiteral("file"),
        QStringLiteral("Workspace file to open (same as --workspace)."), QStringLiteral("[FILE]"));
    parser.process(app);
    if (parser.positionalArguments().size() > 1
        || (parser.isSet(workspaceOption) && !parser.positionalArguments().isEmpty()))
        return usageError(
            QStringLiteral("agentstudio: give one workspace file, either as FILE or with --workspace"));
    const QString workspacePath = parser.isSet(workspaceOption) ? parser.value(workspaceOption)
                                                                : parser.positionalArguments().value(0);

    QList<QUrl> remoteUrls;
    QString token;
    if (parser.isSet(remoteOption) || parser.isSet(tokenFileOption)) {
        if (!parser.isSet(remoteOption) || !parser.isSet(tokenFileOption))
            return usageError(QStringLiteral("agentstudio: --remote and --token-file go together"));
        QString error;
        remoteUrls = RemoteBackend::parseServerUrls(parser.value(remoteOption), &error);
        if (remoteUrls.isEmpty())
            return usageError(QStringLiteral("agentstudio: --remote: ") + error);
        token = readToken(parser.value(tokenFileOption), &error);
        if (token.isEmpty())
            return usageError(error);
    }

    EngineSettings settings;
    settings.databasePath = parser.isSet(dbOption) ? parser.value(dbOption) : ExecutionStore::defaultPath();
    LocalBackend backend(Workspace(), settings);

    MainWindow window(&backend);
    window.setHistoryDatabasePath(settings.databasePath); // eval runs are recorded there too
    window.openInitialWorkspace(workspacePath);
    if (parser.isSet(evalOption))
        window.openEvalDataset(parser.value(evalOption)); // read on a worker; the window shows at once
    // The local workspace stays loaded for File > Use Local Engine. The remote one shows once
    // the server answers; meanwhile the status bar says "connecting…" (nothing waits here).
    if (!remoteUrls.isEmpty())
        window.useRemoteBackend(new RemoteBackend(remoteUrls, std::exchange(token, QString())));
    window.show();
    window.raise();
    window.activateWindow(); // keyboard focus at once, even without a window manager
    return app.exec();
}
