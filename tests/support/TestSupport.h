#pragma once

#include <QString>
#include <QStringList>

// Shared helpers for tests: locating built binaries and source files, temp files.
namespace testsupport {

// Absolute path of a file in the source tree ("resources/examples/example.agents.json").
QString sourcePath(const QString &relative);
// Absolute path of a built program ("run/agentstudio-run"), from AGENTSTUDIO_BIN_DIR.
QString binaryPath(const QString &relativeToAppDir);
// Writes text to a new file inside dir and returns its path.
QString writeFile(const QString &dir, const QString &name, const QByteArray &content);

struct ProcessResult
{
    int exitCode = -1;
    QByteArray out, err;
    bool timedOut = false;
};
// How runProcess waits: Blocking blocks the calling thread; EventLoop keeps the thread's event
// loop running meanwhile, for a program that talks to a server living on the test thread.
enum class Wait { Blocking, EventLoop };
// Runs a program to completion (max timeoutMs) with extra environment entries "K=V".
ProcessResult runProcess(const QString &program, const QStringList &args, int timeoutMs = 60000,
    const QStringList &extraEnv = {}, Wait wait = Wait::Blocking);

} // namespace testsupport
