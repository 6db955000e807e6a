// agentstudio-server: parse arguments, wire the WorkspaceServer, handle SIGTERM/SIGINT, exec.
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

// Async-signal-safe: only write() a byte; the event loop does the rest.
void onSignal(int)
{
    const char b = 1;
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
    Result<ServerOptions> options = ServerOptions::fromArguments(arguments);
    if (!options) {
        std::fprintf(stderr, "agentstudio-server: %s\n", qPrintable(options.error()));
        return 2;
    }

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
    std::signal(SIGPIPE, SIG_IGN);

    WorkspaceServer server;
    QObject::connect(&notifier, &QSocketNotifier::activated, &server, [&server, &notifier] {
        char b = 0;
        [[maybe_unused]] const ssize_t n = ::read(g_signalFd[1], &b, 1);
        notifier.setEnabled(false);
        std::fprintf(stderr, "agentstudio-server: shutting down\n");
        server.shutdown();
    });
    QObject::connect(&server, &WorkspaceServer::shutdownFinished, &app, [] {
        std::fprintf(stderr, "agentstudio-server: stopped\n");
        QCoreApplication::exit(0);
    });

    const Result<void> started = server.start(*options);
    if (!started) {
        std::fprintf(stderr, "agentstudio-server: %s\n", qPrintable(started.error()));
        return 2;
    }
    std::printf("listening on %s\n", qPrintable(server.url().toString()));
    std::fflush(stdout);
    return app.exec();
}
