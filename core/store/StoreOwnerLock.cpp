#include "core/store/StoreOwnerLock.h"

#include "core/common/Util.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QUuid>

#ifndef Q_OS_UNIX
#error "StoreOwnerLock is implemented with flock(2), available on Unix systems only"
#endif

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace {

QString systemError(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

QByteArray nativePath(const QString &path)
{
    return QFile::encodeName(path);
}

// What probing another owner's file found: its lock held (Alive), free (Ended: its process
// ended; the file is removed), or the file already gone.
enum class Probe { Alive, Ended, Gone };

Probe probe(const QString &path)
{
    const int fd = ::open(nativePath(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? Probe::Gone : Probe::Alive; // unreadable: assume alive
    Probe result = Probe::Alive;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
        // Removed while we hold its lock, so no second prober mistakes it for a live owner.
        ::unlink(nativePath(path).constData());
        result = Probe::Ended;
    } else if (errno != EWOULDBLOCK) {
        qWarning("store: cannot probe owner lock %s: %s", qPrintable(path), qPrintable(systemError(errno)));
    }
    ::close(fd);
    return result;
}

} // namespace

Result<std::unique_ptr<StoreOwnerLock>> StoreOwnerLock::acquire(const QString &folder)
{
    const auto failure = [&folder](const QString &why) {
        return Failure { QStringLiteral(
            "store: cannot announce this process as a live owner in %1 (%2); "
            "without that, another process could mark this one's runs interrupted")
                             .arg(folder, why) };
    };
    if (!QDir().mkpath(folder) || !QFileInfo(folder).isDir())
        return failure(QStringLiteral("cannot create the folder"));
    const QString name = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const QString staging = QDir(folder).absoluteFilePath(name + QStringLiteral(".new"));
    const QString path = QDir(folder).absoluteFilePath(name + QStringLiteral(".lock"));
    const int fd = ::open(nativePath(staging).constData(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return failure(QStringLiteral("creating a lock file: ") + systemError(errno));
    auto abandon = [&](const QString &what) {
        const int error = errno;
        ::close(fd);
        ::unlink(nativePath(staging).constData());
        return failure(what + QStringLiteral(": ") + systemError(error));
    };
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0)
        return abandon(QStringLiteral("locking the lock file"));
    const QByteArray note
        = QStringLiteral("pid %1\nprogram %2\nstarted %3\n")
              .arg(QCoreApplication::applicationPid())
              .arg(QCoreApplication::instance() ? QCoreApplication::applicationFilePath() : QString(),
                  as::nowIso())
              .toUtf8();
    if (::write(fd, note.constData(), size_t(note.size())) != note.size())
        return abandon(QStringLiteral("writing the lock file"));
    if (::rename(nativePath(staging).constData(), nativePath(path).constData()) != 0)
        return abandon(QStringLiteral("naming the lock file"));
    return std::unique_ptr<StoreOwnerLock>(new StoreOwnerLock(fd, path));
}

StoreOwnerLock::~StoreOwnerLock()
{
    // Removed before the lock is released: a prober never finds this file unlocked.
    ::unlink(nativePath(m_path).constData());
    ::close(m_fd);
}

int StoreOwnerLock::liveOwners(const QString &folder, const QString &exceptPath)
{
    const QDir dir(folder);
    int alive = 0;
    const QStringList names = dir.entryList({ QStringLiteral("*.lock") }, QDir::Files | QDir::Hidden);
    for (const QString &name : names) {
        const QString path = dir.absoluteFilePath(name);
        if (path != exceptPath && probe(path) == Probe::Alive)
            ++alive;
    }
    // A ".new" file is an owner between creating and naming its file (microseconds), or one
    // that died in that moment: only the latter is ever a minute old.
    const QDateTime aMinuteAgo = QDateTime::currentDateTimeUtc().addSecs(-60);
    const QFileInfoList staging = dir.entryInfoList({ QStringLiteral("*.new") }, QDir::Files | QDir::Hidden);
    for (const QFileInfo &fi : staging)
        if (fi.lastModified().toUTC() < aMinuteAgo)
            (void)probe(fi.absoluteFilePath());
    return alive;
}
