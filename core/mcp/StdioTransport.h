#pragma once

#include "core/mcp/McpTransport.h"

#include <QByteArray>
#include <QHash>
#include <QStringList>

class QProcess;

// MCP over stdio (docs/mcp.md): the server is a child process; one JSON-RPC message per line
// on its stdin and stdout; its stderr is a log. Lines of any length are read (a 5 MB result is
// one line), up to kMaxLineBytes; a line that is not a JSON object is reported through
// logged() and skipped, the session goes on.
//
// The child gets a small base environment (HOME, LOGNAME, PATH, SHELL, TERM, USER, like the
// official SDK: API keys of the host are not handed to a third-party server) plus `env`.
//
// Threading: lives on its owner's thread. close() and the destructor hand a running process to
// ProcessStopper (close stdin, SIGTERM, SIGKILL, then reap): never blocking, never a zombie.
class StdioTransport final : public McpTransport
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StdioTransport)
public:
    static constexpr qsizetype kMaxLineBytes = 64 * 1024 * 1024;

    // `program` and `workingDir` are already resolved (absolute or found on PATH).
    StdioTransport(const QString &program, const QStringList &args, const QHash<QString, QString> &env,
        const QString &workingDir, int shutdownGraceMs, QObject *parent = nullptr);
    ~StdioTransport() override;

    // The command line as shown to the user: program and arguments, quoted where needed.
    static QString commandLine(const QString &program, const QStringList &args);

    QString target() const override;
    void open() override;
    void send(const QJsonObject &message) override;
    void close() override;

private:
    void onStdout();
    void onStderr();
    void onFinished(int exitCode, bool crashed);
    void onErrorOccurred(int error);
    void handleLine(QByteArrayView line);
    void fail(const QString &error);

    QString m_program;
    QStringList m_args;
    QHash<QString, QString> m_env;
    QString m_workingDir;
    int m_shutdownGraceMs;
    QProcess *m_process = nullptr; // owned until handed to ProcessStopper
    QByteArray m_stdout; // bytes of the current, incomplete line
    qsizetype m_scanned = 0; // m_stdout[0, m_scanned) holds no '\n'
    QByteArray m_stderr; // incomplete stderr line
    bool m_failed = false;
};
