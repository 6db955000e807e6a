#pragma once

#include "core/tools/SingleToolSource.h"

#include <QByteArray>
#include <QHash>

class QProcess;

// A `command` source (docs/tools.md): one local program run per call. The arguments go to its
// stdin as one JSON object, then stdin is closed; its stdout is the result (JSON when it
// parses, else text). A non-zero exit, a crash, a program that cannot be started, more than
// kMaxOutputBytes of output or the timeout end the call as an error result carrying the tail
// of its stderr. The program runs in its own process group, so cancel and timeout kill it and
// anything it started at once.
//
// `command`, `cwd` and the program's working folder are resolved against `baseDir` (the
// workspace file's folder); a bare program name is looked up on PATH. `env` is added to the
// environment.
//
// Threading: one thread; QProcess signals drive everything, nothing waits (no waitFor*).
class CommandSource final : public SingleToolSource
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CommandSource)
public:
    static constexpr qint64 kMaxOutputBytes = 16 * 1024 * 1024;
    static constexpr int kLogLines = 20; // stderr lines kept in the status and in an error
    static constexpr qsizetype kMaxStderrBytes = 64 * 1024; // the tail kept of a call's stderr

    CommandSource(const ToolSourceSpec &spec, const QString &baseDir, QObject *parent = nullptr);
    ~CommandSource() override;

    QString kind() const override { return QStringLiteral("command"); }
    // Checks the program is there first (state failed with why when not).
    void listTools(QObject *context, ListCallback callback) override;

    // The program and folder a call runs (absolute).
    QString program() const;
    QString workingDirectory() const;
    // The process id of a running call (0 when none): tests check a cancelled child is gone.
    qint64 processId(quint64 handle) const;

protected:
    void start(quint64 handle, const QJsonObject &arguments) override;
    void abort(quint64 handle) override;
    QString failureDetail(quint64 handle) const override;
    QString target() const override;
    QString subject() const override;

private:
    struct Run
    {
        QProcess *process = nullptr; // Owned (child); deleted once it has exited.
        QByteArray out;
        QByteArray err; // the last kMaxStderrBytes
    };
    void onFinished(quint64 handle);
    void onStartFailed(quint64 handle);
    // Kills the process group now and lets the QProcess go once it has been reaped.
    void release(Run &run);
    QStringList stderrTail(const Run &run) const;
    void checkProgram();

    QString m_baseDir;
    QHash<quint64, Run> m_runs;
};
