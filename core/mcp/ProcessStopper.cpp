#include "core/mcp/ProcessStopper.h"

#include <QProcess>
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
    connect(m_process, &QProcess::readyReadStandardOutput, this, [this] { m_process->readAllStandardOutput(); });
    connect(m_process, &QProcess::readyReadStandardError, this, [this] { m_process->readAllStandardError(); });
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
