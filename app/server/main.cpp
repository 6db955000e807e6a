// agentstudio-server: parse arguments, set up the log, wire the WorkspaceServer, handle
// SIGTERM/SIGINT (graceful stop) and SIGHUP (reopen the --log file), exec.
#include "core/server/ServerLog.h"
#include "core/server/ServerOptions.h"
#include "core/server/WorkspaceServer.h"

#include <QCoreApplication>
#include <QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <sys/socket.h>
#include <unistd.h>

namespace {

int g_signalFd[2] = { -1, -1 };

// Async-signal-safe: only write() a byte naming the signal; the event loop does the rest.
void onSignal(int signal)
{
    const char b = signal == SIGHUP ? 'H' : 'T';
    [[maybe_unused]] const ssize_t n = ::write(g_signalFd[0], &b, 1);
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("agentstudio-server"));
    QCoreApplication::setApplicationVersion(QStringLiteral(AGENTSTUDIO_VERSION));

    const QStringList arguments = app.arguments().mid(1);
    if (arguments.contains(QLatin1String("--help")) || arguments.contains(QLatin1String("-h"))) {
        std::fputs(qPrintable(ServerOptions::usage()), stdout);
        return 0;
    }
    if (arguments.contains(QLatin1String("--version"))) {
        std::printf("agentstudio-server %s\n", AGENTSTUDIO_VERSION);
        return 0;
    }
    Result<ServerOptions> options = ServerOptions::fromArguments(arguments);
    if (!options) {
        std::fprintf(stderr, "agentstudio-server: %s\n", qPrintable(options.error()));
        return 2;
    }
    // From here on every message (ours and Qt's, from any thread) is a log line.
    const Result<void> logged = ServerLog::instance().configure(options->logPath,
        options->logFormat == QLatin1String("text") ? ServerLog::Format::Text : ServerLog::Format::Json);
    if (!logged) {
        std::fprintf(stderr, "agentstudio-server: %s\n", qPrintable(logged.error()));
        return 2;
    }
    ServerLog::installMessageHandler();

    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFd) != 0) {
        std::perror("agentstudio-server: socketpair");
        return 1;
    }
    QSocketNotifier notifier(g_signalFd[1], QSocketNotifier::Read);
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGHUP, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    WorkspaceServer server;
    QObject::connect(&notifier, &QSocketNotifier::activated, &server, [&server, &notifier] {
        char b = 0;
        [[maybe_unused]] const ssize_t n = ::read(g_signalFd[1], &b, 1);
        if (b == 'H') {
            const Result<void> reopened = ServerLog::instance().reopen();
            if (!reopened)
                qWarning("agentstudio-server: %s", qPrintable(reopened.error()));
            else
                qInfo("agentstudio-server: log reopened");
            return;
        }
        if (server.isShuttingDown())
            return;
        qInfo("agentstudio-server: shutting down");
        server.shutdown();
    });
    QObject::connect(&server, &WorkspaceServer::shutdownFinished, &app, [] {
        qInfo("agentstudio-server: stopped");
        QCoreApplication::exit(0);
    });

    const Result<void> started = server.start(*options);
    if (!started) {
        std::fprintf(
            stderr, "agentstudio-server: %s\n", qPrintable(started.error())); // before the log matters
        return 2;
    }
    std::printf("listening on %s\n", qPrintable(server.url().toString()));
    std::fflush(stdout);
    return app.exec();
}
