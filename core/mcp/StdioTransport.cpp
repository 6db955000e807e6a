#include "core/mcp/StdioTransport.h"

#include "core/mcp/ProcessStopper.h"

#include <QJsonDocument>
#include <QProcess>
#include <QTimer>

namespace {

// What the official SDK passes to a stdio server when no environment is configured.
constexpr const char *kInheritedVariables[] = { "HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER" };

QString quoted(const QString &arg)
{
    if (!arg.isEmpty() && !arg.contains(QLatin1Char(' ')) && !arg.contains(QLatin1Char('"'))
        && !arg.contains(QLatin1Char('\'')))
        return arg;
    QString escaped = arg;
    escaped.replace(QLatin1Char('"'), QStringLiteral("\\\""));
    return QLatin1Char('"') + escaped + QLatin1Char('"');
}

QString printable(QByteArrayView bytes, qsizetype max)
{
    QString text = QString::fromUtf8(bytes.first(std::min(bytes.size(), max)));
    if (bytes.size() > max)
        text += QStringLiteral("… (%1 bytes)").arg(bytes.size());
    return text;
}

} // namespace

StdioTransport::StdioTransport(const QString &program, const QStringList &args,
    const QHash<QString, QString> &env, const QString &workingDir, int shutdownGraceMs, QObject *parent)
    : McpTransport(parent)
    , m_program(program)
    , m_args(args)
    , m_env(env)
    , m_workingDir(workingDir)
    , m_shutdownGraceMs(shutdownGraceMs)
{
}

StdioTransport::~StdioTransport()
{
    close();
}

QString StdioTransport::commandLine(const QString &program, const QStringList &args)
{
    QStringList parts { quoted(program) };
    for (const QString &arg : args)
        parts.append(quoted(arg));
    return parts.join(QLatin1Char(' '));
}

QString StdioTransport::target() const
{
    return commandLine(m_program, m_args);
}

void StdioTransport::open()
{
    Q_ASSERT(!m_process);
    m_process = new QProcess(this);
    m_process->setProcessChannelMode(QProcess::SeparateChannels);
    const QProcessEnvironment system = QProcessEnvironment::systemEnvironment();
    QProcessEnvironment env;
    for (const char *name : kInheritedVariables) {
        const QString key = QString::fromLatin1(name);
        const QString value = system.value(key);
        if (system.contains(key) && !value.startsWith(QLatin1String("()")))
            env.insert(key, value);
    }
    for (auto it = m_env.cbegin(); it != m_env.cend(); ++it)
        env.insert(it.key(), it.value());
    m_process->setProcessEnvironment(env);
    if (!m_workingDir.isEmpty())
        m_process->setWorkingDirectory(m_workingDir);
    connect(m_process, &QProcess::started, this, &McpTransport::opened);
    connect(m_process, &QProcess::readyReadStandardOutput, this, &StdioTransport::onStdout);
    connect(m_process, &QProcess::readyReadStandardError, this, &StdioTransport::onStderr);
    connect(m_process, &QProcess::finished, this,
        [this](int code, QProcess::ExitStatus status) { onFinished(code, status == QProcess::CrashExit); });
    connect(
        m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) { onErrorOccurred(e); });
    m_process->start(m_program, m_args);
}

void StdioTransport::send(const QJsonObject &message)
{
    if (!m_process || m_process->state() != QProcess::Running) {
        // Reported from the event loop: the sender is still inside its send().
        const QJsonValue id = message.value(u"id");
        QTimer::singleShot(0, this,
            [this, id] { emit sendFailed(id, QStringLiteral("the server process is not running")); });
        return;
    }
    // Compact JSON escapes newlines inside strings, so a message is always one line; QProcess
    // queues whole writes, so two messages never interleave.
    QByteArray line = QJsonDocument(message).toJson(QJsonDocument::Compact);
    line.append('\n');
    m_process->write(line);
}

void StdioTransport::close()
{
    if (!m_process)
        return;
    QProcess *process = m_process;
    m_process = nullptr;
    m_failed = true; // nothing more is reported
    ProcessStopper::stop(process, m_shutdownGraceMs);
}

void StdioTransport::onStdout()
{
    m_stdout.append(m_process->readAllStandardOutput());
    qsizetype start = 0;
    for (;;) {
        const qsizetype newline = m_stdout.indexOf('\n', std::max(start, m_scanned));
        if (newline < 0)
            break;
        QByteArrayView line = QByteArrayView(m_stdout).sliced(start, newline - start);
        if (line.endsWith('\r'))
            line.chop(1);
        start = newline + 1;
        handleLine(line);
        if (!m_process)
            return; // closed by a receiver of the message
    }
    m_stdout.remove(0, start);
    m_scanned = m_stdout.size();
    if (m_stdout.size() > kMaxLineBytes)
        fail(QStringLiteral("the server wrote a line longer than %1 MiB without a newline")
                 .arg(kMaxLineBytes / (1024 * 1024)));
}

void StdioTransport::handleLine(QByteArrayView line)
{
    if (line.trimmed().isEmpty())
        return;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(line.toByteArray(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject()) {
        const QString why = error.error != QJsonParseError::NoError
            ? QStringLiteral("%1 at offset %2").arg(error.errorString()).arg(error.offset)
            : QStringLiteral("not a JSON object");
        emit logged(QStringLiteral("malformed line from the server on stdout (%1), skipped: %2")
                        .arg(why, printable(line, 200)));
        return;
    }
    emit messageReceived(doc.object());
}

void StdioTransport::onStderr()
{
    m_stderr.append(m_process->readAllStandardError());
    qsizetype start = 0;
    for (qsizetype newline; (newline = m_stderr.indexOf('\n', start)) >= 0; start = newline + 1) {
        QByteArrayView line = QByteArrayView(m_stderr).sliced(start, newline - start);
        if (line.endsWith('\r'))
            line.chop(1);
        emit logged(printable(line, 2000));
    }
    m_stderr.remove(0, start);
    if (m_stderr.size() > 64 * 1024) { // a log line without end: show it in pieces
        emit logged(printable(m_stderr, 2000));
        m_stderr.clear();
    }
}

void StdioTransport::onFinished(int exitCode, bool crashed)
{
    // Whatever the server wrote before it exited still counts (a last response, a last log line).
    if (m_process) {
        onStdout();
        if (m_process)
            onStderr();
    }
    if (!m_stderr.isEmpty()) {
        emit logged(printable(m_stderr, 2000));
        m_stderr.clear();
    }
    fail(crashed ? QStringLiteral("the server process crashed (killed by a signal)")
                 : QStringLiteral("the server process exited with code %1").arg(exitCode));
}

void StdioTransport::onErrorOccurred(int error)
{
    if (error == QProcess::FailedToStart)
        fail(QStringLiteral("cannot start '%1': %2").arg(m_program, m_process->errorString()));
    // Crashed is followed by finished(); write errors by finished() as well.
}

void StdioTransport::fail(const QString &error)
{
    if (m_failed)
        return;
    m_failed = true;
    emit failed(error);
}
