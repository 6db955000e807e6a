#include "core/tools/CommandSource.h"

#include "core/common/Util.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <QTimer>

#include <csignal>
#include <unistd.h>

namespace {

QString quoted(const QString &arg)
{
    if (!arg.isEmpty() && !arg.contains(QLatin1Char(' ')) && !arg.contains(QLatin1Char('"')))
        return arg;
    QString q = arg;
    q.replace(QLatin1Char('"'), QStringLiteral("\\\""));
    return QLatin1Char('"') + q + QLatin1Char('"');
}

// The program's stdout as a result: JSON when the whole output parses, else its text.
ToolResult resultOf(const QByteArray &out)
{
    const QString text = QString::fromUtf8(out).trimmed();
    if (text.isEmpty())
        return ToolResult::fromText(text);
    QString error;
    const QJsonValue value = as::parseJsonValue(text, &error);
    return error.isEmpty() ? ToolResult::fromValue(value) : ToolResult::fromText(text);
}

} // namespace

CommandSource::CommandSource(const ToolSourceSpec &spec, const QString &baseDir, QObject *parent)
    : SingleToolSource(spec, parent)
    , m_baseDir(baseDir)
{
    checkProgram();
}

CommandSource::~CommandSource()
{
    // Children still running are killed now; their QProcess objects (children of this one)
    // then reap them as they are destroyed, which after SIGKILL takes no time.
    for (Run &run : m_runs)
        release(run);
    m_runs.clear();
}

QString CommandSource::program() const
{
    const QString command = spec().command;
    if (command.contains(QLatin1Char('/')))
        return QDir::cleanPath(QDir(m_baseDir).absoluteFilePath(command));
    const QString found = QStandardPaths::findExecutable(command);
    return found.isEmpty() ? command : found;
}

QString CommandSource::workingDirectory() const
{
    return spec().cwd.isEmpty() ? m_baseDir : QDir::cleanPath(QDir(m_baseDir).absoluteFilePath(spec().cwd));
}

qint64 CommandSource::processId(quint64 handle) const
{
    const auto it = m_runs.constFind(handle);
    return it == m_runs.cend() ? 0 : it->process->processId();
}

QString CommandSource::target() const
{
    QStringList parts { quoted(spec().command) };
    for (const QString &a : spec().args)
        parts.append(quoted(a));
    return parts.join(QLatin1Char(' '));
}

QString CommandSource::subject() const
{
    return QStringLiteral("command '%1'").arg(spec().command);
}

void CommandSource::checkProgram()
{
    const QFileInfo info(program());
    if (info.isFile() && info.isExecutable())
        setState(ToolSourceState::Connected);
    else
        setState(ToolSourceState::Failed,
            spec().command.contains(QLatin1Char('/'))
                ? QStringLiteral("program %1 not found or not executable").arg(info.filePath())
                : QStringLiteral("program '%1' not found on PATH").arg(spec().command));
}

void CommandSource::listTools(QObject *context, ListCallback callback)
{
    checkProgram();
    SingleToolSource::listTools(context, std::move(callback));
}

void CommandSource::start(quint64 handle, const QJsonObject &arguments)
{
    auto *p = new QProcess(this);
    m_runs.insert(handle, Run { p, {}, {} });
    p->setProgram(program());
    p->setArguments(spec().args);
    p->setWorkingDirectory(workingDirectory());
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (auto it = spec().env.begin(); it != spec().env.end(); ++it)
        env.insert(it.key(), it.value());
    p->setProcessEnvironment(env);
    // Its own process group: cancel and timeout kill whatever it started too (a shell script's
    // children). Runs in the forked child before exec: async-signal-safe calls only.
    p->setChildProcessModifier([] { ::setpgid(0, 0); });

    connect(p, &QProcess::readyReadStandardOutput, this, [this, handle] {
        auto it = m_runs.find(handle);
        if (it == m_runs.end())
            return;
        it->out += it->process->readAllStandardOutput();
        if (it->out.size() <= kMaxOutputBytes || !isRunning(handle))
            return;
        Run run = m_runs.take(handle);
        release(run);
        finish(handle,
            ToolResult::fromError(QStringLiteral("%1 wrote more than %2 MiB to stdout; stopped")
                                      .arg(subject())
                                      .arg(kMaxOutputBytes / (1024 * 1024))));
    });
    connect(p, &QProcess::readyReadStandardError, this, [this, handle] {
        auto it = m_runs.find(handle);
        if (it == m_runs.end())
            return;
        it->err += it->process->readAllStandardError();
        if (it->err.size() > kMaxStderrBytes)
            it->err = it->err.right(kMaxStderrBytes);
    });
    connect(p, &QProcess::finished, this, [this, handle] { onFinished(handle); });
    connect(p, &QProcess::errorOccurred, this, [this, handle](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            onStartFailed(handle);
    });
    p->start();
    // A program that is not there fails inside start(): then there is nothing to write to.
    if (p->state() != QProcess::NotRunning) {
        p->write(QJsonDocument(arguments).toJson(QJsonDocument::Compact));
        p->closeWriteChannel();
    }
}

void CommandSource::onStartFailed(quint64 handle)
{
    auto it = m_runs.find(handle);
    if (it == m_runs.end())
        return;
    Run run = m_runs.take(handle);
    const QString message
        = QStringLiteral("%1 could not be started: %2").arg(subject(), run.process->errorString());
    run.process->disconnect(this);
    run.process->deleteLater();
    setState(ToolSourceState::Failed, message);
    // May be inside start(), itself inside callTool(): answer from the event loop.
    QTimer::singleShot(0, this, [this, handle, message] {
        if (isRunning(handle))
            finish(handle, ToolResult::fromError(message));
    });
}

void CommandSource::onFinished(quint64 handle)
{
    auto it = m_runs.find(handle);
    if (it == m_runs.end())
        return;
    Run run = m_runs.take(handle);
    QProcess *p = run.process;
    run.out += p->readAllStandardOutput();
    run.err += p->readAllStandardError();
    p->disconnect(this);
    p->deleteLater(); // not inside its own finished signal
    const QStringList tail = stderrTail(run);
    setLog(tail);
    if (!isRunning(handle))
        return;
    const QString stderrText = tail.isEmpty() ? QString() : QLatin1Char('\n') + tail.join(QLatin1Char('\n'));
    if (p->exitStatus() == QProcess::CrashExit) {
        finish(handle, ToolResult::fromError(subject() + QStringLiteral(" crashed") + stderrText));
        return;
    }
    if (p->exitCode() != 0) {
        finish(handle,
            ToolResult::fromError(
                QStringLiteral("%1 exited with code %2").arg(subject()).arg(p->exitCode()) + stderrText));
        return;
    }
    setState(ToolSourceState::Connected);
    finish(handle, resultOf(run.out));
}

void CommandSource::abort(quint64 handle)
{
    auto it = m_runs.find(handle);
    if (it == m_runs.end())
        return;
    Run run = m_runs.take(handle);
    setLog(stderrTail(run));
    release(run);
}

void CommandSource::release(Run &run)
{
    QProcess *p = run.process;
    p->disconnect(this);
    if (p->state() == QProcess::NotRunning) {
        p->deleteLater();
        return;
    }
    if (const qint64 pid = p->processId(); pid > 0)
        ::kill(pid_t(-pid), SIGKILL); // the group it leads (see start())
    p->kill();
    // Reaped by Qt when it exits (at once after SIGKILL); deleted then, never waited for.
    connect(p, &QProcess::finished, p, &QObject::deleteLater);
}

QString CommandSource::failureDetail(quint64 handle) const
{
    const auto it = m_runs.constFind(handle);
    return it == m_runs.cend() ? QString() : stderrTail(*it).join(QLatin1Char('\n'));
}

QStringList CommandSource::stderrTail(const Run &run) const
{
    QStringList lines = QString::fromUtf8(run.err).split(QLatin1Char('\n'));
    while (!lines.isEmpty() && lines.last().trimmed().isEmpty())
        lines.removeLast();
    if (lines.size() > kLogLines)
        lines = lines.mid(lines.size() - kLogLines);
    return lines;
}
