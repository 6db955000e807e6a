#include "tests/support/TestSupport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSignalSpy>

namespace testsupport {

QString sourcePath(const QString &relative)
{
    return QDir(QStringLiteral(AGENTSTUDIO_SOURCE_DIR)).absoluteFilePath(relative);
}

QString binaryPath(const QString &relativeToAppDir)
{
    const QString dir = qEnvironmentVariable("AGENTSTUDIO_BIN_DIR");
    return QDir(dir).absoluteFilePath(relativeToAppDir);
}

QString writeFile(const QString &dir, const QString &name, const QByteArray &content)
{
    const QString path = QDir(dir).absoluteFilePath(name);
    QFile f(path);
    if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        f.write(content);
    return path;
}

ProcessResult runProcess(
    const QString &program, const QStringList &args, int timeoutMs, const QStringList &extraEnv, Wait wait)
{
    ProcessResult r;
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const QString &kv : extraEnv) {
        const qsizetype eq = kv.indexOf(QLatin1Char('='));
        env.insert(kv.left(eq), kv.mid(eq + 1));
    }
    p.setProcessEnvironment(env);
    QSignalSpy finished(&p, &QProcess::finished);
    p.start(program, args);
    if (!p.waitForStarted(10000)) {
        r.err = p.errorString().toUtf8();
        return r;
    }
    const bool done = wait == Wait::EventLoop ? finished.size() > 0 || finished.wait(timeoutMs)
                                              : p.waitForFinished(timeoutMs);
    if (!done) {
        r.timedOut = true;
        p.kill();
        p.waitForFinished(5000);
    }
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

} // namespace testsupport
