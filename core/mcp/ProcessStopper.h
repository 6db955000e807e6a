#pragma once

#include <QObject>

class QProcess;

// Ends a child process as the MCP stdio lifecycle describes, without blocking: close its stdin,
// wait up to `graceMs` for it to exit, then SIGTERM, wait `graceMs` again, then SIGKILL (on
// Windows terminate() only posts WM_CLOSE, which console servers ignore: straight to kill).
// Takes ownership of the process and deletes it, and itself, once the process has exited and
// been reaped, so no zombie is left even when the owner of the process is already gone. When
// the thread's event loop ends first (the app quits, the worker thread stops), the process is
// ended at once instead: SIGTERM, 200 ms, SIGKILL.
//
// Threading: lives on the calling thread, whose event loop drives the timers. Parentless on
// purpose: it outlives the transport that handed the process over.
class ProcessStopper final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProcessStopper)
public:
    static void stop(QProcess *process, int graceMs);

private:
    ProcessStopper(QProcess *process, int graceMs);

    QProcess *m_process; // owned (a child of this object)
};
