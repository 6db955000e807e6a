#pragma once

#include "core/common/Result.h"

#include <QString>

#include <memory>

// One open ExecutionStore's announcement that the executions it writes are alive, so that no
// other store on the same file marks them `interrupted` (docs/store.md, "Crash recovery").
//
// Each instance is a file of its own in the owners folder ("<db>.owners/"), named by a random
// UUID, never by a PID. Liveness is an OS lock (flock) held on that open file for the lock's
// whole lifetime: the kernel drops it when the process ends however it ends (kill -9, OOM, a
// container stopped), so liveness never depends on PIDs, program names or hosts, which PID
// namespaces and restarts reuse. The file's text (pid, program, start time) is for people only.
// flock belongs to the open file description, so several stores of one process do not disturb
// each other, and the descriptor is close-on-exec so a child process cannot keep it alive. The
// database's WAL needs every process on one host anyway, which is where flock is reliable.
//
// Threading: used by the thread that owns its ExecutionStore. Not copyable.
class StoreOwnerLock
{
public:
    // Creates the folder if needed, then a new file in it, locked before it gets its ".lock"
    // name (so no prober ever sees it unlocked). Fails with a message naming the folder and the
    // system's reason: the caller must not go on unannounced.
    static Result<std::unique_ptr<StoreOwnerLock>> acquire(const QString &folder);
    ~StoreOwnerLock(); // unlocks and removes the file
    StoreOwnerLock(const StoreOwnerLock &) = delete;
    StoreOwnerLock &operator=(const StoreOwnerLock &) = delete;

    QString filePath() const { return m_path; }

    // How many other owners in `folder` (every ".lock" file but `exceptPath`) hold their lock.
    // Files whose lock is free belong to ended processes and are removed on the way. A file
    // that cannot be probed counts as alive: recovery then waits rather than interrupting a run
    // that may be live.
    static int liveOwners(const QString &folder, const QString &exceptPath);

private:
    StoreOwnerLock(int fd, QString path)
        : m_fd(fd)
        , m_path(std::move(path))
    {
    }

    int m_fd = -1;
    QString m_path;
};
