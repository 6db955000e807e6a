#include "ui/testpanel/VariantKeeper.h"

#include <QFutureWatcher>
#include <QPromise>
#include <QThreadPool>

#include <memory>

VariantKeeper::VariantKeeper(QObject *parent)
    : QObject(parent)
    , m_watcher(new QFutureWatcher<QString>(this))
{
    connect(m_watcher, &QFutureWatcher<QString>::finished, this, [this] {
        m_busy = false;
        const QString error = m_watcher->future().result();
        if (error.isEmpty())
            emit kept(m_pending, m_pending.filePath);
        else
            emit failed(error);
        m_pending = Workspace();
    });
}

bool VariantKeeper::keep(
    const Workspace &workspace, const QString &agentId, const VariantSpec &variant, QString *error)
{
    if (m_busy) {
        *error = tr("The previous variant is still being written.");
        return false;
    }
    if (workspace.filePath.isEmpty() || workspace.filePath.startsWith(QLatin1Char(':'))) {
        *error = tr("This workspace has no file of its own yet: save it (File > Save As), then keep "
                    "the variant.");
        return false;
    }
    Result<Workspace> next = variant.keptIn(workspace, agentId);
    if (!next) {
        *error = next.error();
        return false;
    }
    m_pending = next.take();
    m_pending.filePath = workspace.filePath;
    m_busy = true;
    // The promise goes to the pool thread; the watcher (ours) hears of it on this thread.
    auto promise = std::make_shared<QPromise<QString>>();
    m_watcher->setFuture(promise->future());
    QThreadPool::globalInstance()->start([promise, ws = m_pending] {
        promise->start();
        const Result<void> saved = ws.save(ws.filePath);
        promise->addResult(saved ? QString() : saved.error());
        promise->finish();
    });
    return true;
}
