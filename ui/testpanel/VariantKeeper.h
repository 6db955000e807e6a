#pragma once

#include "core/model/Workspace.h"
#include "ui/testpanel/VariantSpec.h"

#include <QObject>

template <typename T> class QFutureWatcher;

// Writes a kept side-by-side variant into the workspace file (docs/side-by-side.md): the new
// workspace is made and validated here, on the GUI thread (no disk), then saved (atomic, the
// workspace's own save()) on a pool thread; kept() or failed() comes back on the GUI thread,
// exactly once per keep() that was accepted. The workspace document stays the main window's:
// the tab forwards kept() to it, which applies it to the engine and every view. Deleting the
// keeper drops an answer still in flight (the file is then still written). GUI thread only.
class VariantKeeper final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(VariantKeeper)
public:
    explicit VariantKeeper(QObject *parent);

    // Starts writing `workspace` with `variant` kept in agent `agentId` to workspace.filePath.
    // False, with *error saying why, when nothing was started: a write is still going, the
    // workspace has no file, or the variant does not fit the agent.
    bool keep(const Workspace &workspace, const QString &agentId, const VariantSpec &variant, QString *error);
    bool isBusy() const { return m_busy; }

signals:
    // The file now holds `workspace` (its filePath is `path`).
    void kept(const Workspace &workspace, const QString &path);
    void failed(const QString &message);

private:
    bool m_busy = false;
    QFutureWatcher<QString> *m_watcher = nullptr; // Owned (child); its future's result: the error or ""
    Workspace m_pending; // what is being written
};
