#include "core/mcp/ProcessStopper.h"

#include <QCoreApplication>
#include <QProcess>
#include <QThread>
#include <QTimer>

void ProcessStopper::stop(QProcess *process, int graceMs)
{
    if (!process)
        return;
    process->disconnect();
    if (process->state() == QProcess::NotRunning) {
        process->deleteLater();
        return;
    }
    new ProcessStopper(process, graceMs);
}

ProcessStopper::ProcessStopper(QProcess *process, int graceMs)
    : m_process(process)
{
    m_process->setParent(this);
    connect(m_process, &QProcess::finished, this, &QObject::deleteLater);
    // Output is drained and dropped so a chatty server cannot block on a full pipe.
    connect(
        m_process, &QProcess::readyReadStandardOutput, this, [this] { m_process->readAllStandardOutput(); });
    connect(
        m_process, &QProcess::readyReadStandardError, this, [this] { m_process->readAllStandardError(); });
    // The event loop that drives the timers is ending (the app quits, or the worker thread
    // stops): no timer will fire any more, so end the process now (briefly blocking) rather
    // than leave it running once we are gone.
    const auto endNow = [this] {
        m_process->terminate();
        if (!m_process->waitForFinished(200)) {
            m_process->kill();
            m_process->waitForFinished(1000);
        }
    };
    QThread *thread = QThread::currentThread();
    if (QCoreApplication::instance() && thread == QCoreApplication::instance()->thread())
        connect(QCoreApplication::instance(), &QCoreApplication::aboutToQuit, this, endNow);
    else
        connect(thread, &QThread::finished, this, endNow, Qt::DirectConnection);
    m_process->closeWriteChannel();
    QTimer::singleShot(graceMs, this, [this, graceMs] {
#ifdef Q_OS_WIN
        m_process->kill();
        Q_UNUSED(graceMs);
#else
        m_process->terminate();
        QTimer::singleShot(graceMs, this, [this] { m_process->kill(); });
#endif
    });
}
