#include "tests/support/PgCluster.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QUuid>

#include <unistd.h>

namespace {

QString readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

} // namespace

PgCluster::~PgCluster()
{
    stop();
}

QString PgCluster::binDir()
{
    for (const char *v : { "15", "16", "17" }) {
        const QString dir = QStringLiteral("/usr/lib/postgresql/%1/bin").arg(QLatin1String(v));
        if (QFile::exists(dir + QStringLiteral("/initdb")))
            return dir;
    }
    return {};
}

QStringList PgCluster::runAs() const
{
    if (::geteuid() != 0)
        return {};
    return { QStringLiteral("runuser"), QStringLiteral("-u"), QStringLiteral("postgres"),
        QStringLiteral("--") };
}

Result<QString> PgCluster::run(const QString &program, const QStringList &args, int timeoutMs) const
{
    QStringList command = runAs();
    command << program << args;
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(command.takeFirst(), command);
    if (!p.waitForStarted(10000))
        return Failure { QStringLiteral("%1: %2").arg(program, p.errorString()) };
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(2000);
        return Failure { QStringLiteral("%1: no answer within %2 ms").arg(program).arg(timeoutMs) };
    }
    const QString out = QString::fromUtf8(p.readAll());
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return Failure {
            QStringLiteral("%1 exited with %2: %3").arg(program).arg(p.exitCode()).arg(out.trimmed())
        };
    return out;
}

Result<void> PgCluster::start(const QStringList &settings)
{
    if (m_running)
        return {};
    const QString bin = binDir();
    if (bin.isEmpty())
        return Failure { QStringLiteral("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                                        "run scripts/deps.sh") };
    if (::geteuid() == 0) {
        // The package creates the user; a bare root without it gets one.
        QProcess id;
        id.start(QStringLiteral("id"), { QStringLiteral("-u"), QStringLiteral("postgres") });
        id.waitForFinished(5000);
        if (id.exitCode() != 0) {
            QProcess add;
            add.start(QStringLiteral("useradd"),
                { QStringLiteral("-r"), QStringLiteral("-M"), QStringLiteral("-d"),
                    QStringLiteral("/nonexistent"), QStringLiteral("postgres") });
            add.waitForFinished(10000);
        }
    }
    // A short path: the socket path is limited to about 107 bytes.
    const QString dir
        = QStringLiteral("/tmp/pgtmp.%1").arg(QUuid::createUuid().toString(QUuid::Id128).left(12));
    if (!QDir().mkpath(dir))
        return Failure { QStringLiteral("cannot create %1").arg(dir) };
    m_dir = dir;
    m_password = QStringLiteral("pw-%1").arg(QUuid::createUuid().toString(QUuid::Id128).left(16));
    const QString pwFile = dir + QStringLiteral("/pw");
    {
        QFile f(pwFile);
        if (!f.open(QIODevice::WriteOnly))
            return Failure { QStringLiteral("cannot write %1").arg(pwFile) };
        f.write(m_password.toUtf8() + '\n');
    }
    QFile::setPermissions(pwFile, QFile::ReadOwner | QFile::WriteOwner);
    if (::geteuid() == 0) {
        QProcess chown;
        chown.start(QStringLiteral("chown"), { QStringLiteral("-R"), QStringLiteral("postgres:"), dir });
        chown.waitForFinished(10000);
    }
    Result<QString> init = run(bin + QStringLiteral("/initdb"),
        { QStringLiteral("-D"), dir + QStringLiteral("/data"), QStringLiteral("-U"),
            QStringLiteral("postgres"), QStringLiteral("--pwfile=") + pwFile,
            QStringLiteral("--auth-local=trust"), QStringLiteral("--auth-host=scram-sha-256"),
            QStringLiteral("-E"), QStringLiteral("UTF8"), QStringLiteral("--locale=C.UTF-8"),
            QStringLiteral("--no-sync") },
        120000);
    if (!init) {
        const QString why = init.error();
        stop();
        return Failure { QStringLiteral("initdb: ") + why };
    }
    // Two clusters starting at once may pick the same port: the bind error is in the log, so
    // try a few ports.
    QString lastError;
    for (int attempt = 0; attempt < 5; ++attempt) {
        m_port = freePort();
        QString options = QStringLiteral("-c listen_addresses=127.0.0.1 -p %1 -k %2 -c fsync=off "
                                         "-c synchronous_commit=off -c full_page_writes=off")
                              .arg(m_port)
                              .arg(dir);
        for (const QString &s : settings)
            options += QStringLiteral(" -c ") + s;
        Result<QString> started = run(bin + QStringLiteral("/pg_ctl"),
            { QStringLiteral("-D"), dir + QStringLiteral("/data"), QStringLiteral("-l"),
                dir + QStringLiteral("/server.log"), QStringLiteral("-w"), QStringLiteral("-t"),
                QStringLiteral("60"), QStringLiteral("-o"), options, QStringLiteral("start") },
            90000);
        if (started) {
            m_running = true;
            return {};
        }
        lastError = started.error() + QLatin1Char('\n') + readAll(dir + QStringLiteral("/server.log"));
    }
    stop();
    return Failure { QStringLiteral("pg_ctl start: ") + lastError };
}

void PgCluster::stop()
{
    if (m_dir.isEmpty())
        return;
    const QString bin = binDir();
    if (QFile::exists(m_dir + QStringLiteral("/data/postmaster.pid")) && !bin.isEmpty())
        (void)run(bin + QStringLiteral("/pg_ctl"),
            { QStringLiteral("-D"), m_dir + QStringLiteral("/data"), QStringLiteral("-m"),
                QStringLiteral("immediate"), QStringLiteral("-w"), QStringLiteral("stop") },
            60000);
    QDir(m_dir).removeRecursively();
    m_dir.clear();
    m_running = false;
}

QString PgCluster::uri(const QString &database) const
{
    return QStringLiteral("postgresql://postgres:%1@127.0.0.1:%2/%3?sslmode=disable")
        .arg(m_password)
        .arg(m_port)
        .arg(database);
}

QString PgCluster::uriWithoutPassword(const QString &database) const
{
    return QStringLiteral("postgresql://postgres@127.0.0.1:%1/%2?sslmode=disable").arg(m_port).arg(database);
}

QString PgCluster::socketUri(const QString &database) const
{
    return QStringLiteral("postgresql:///%1?host=%2&port=%3&user=postgres").arg(database, m_dir).arg(m_port);
}

Result<QString> PgCluster::psql(const QString &sql, const QString &database) const
{
    if (!m_running)
        return Failure { QStringLiteral("the cluster is not running") };
    return run(binDir() + QStringLiteral("/psql"),
        { QStringLiteral("-X"), QStringLiteral("-q"), QStringLiteral("-A"), QStringLiteral("-t"),
            QStringLiteral("-v"), QStringLiteral("ON_ERROR_STOP=1"), QStringLiteral("-h"), m_dir,
            QStringLiteral("-p"), QString::number(m_port), QStringLiteral("-U"), QStringLiteral("postgres"),
            QStringLiteral("-d"), database, QStringLiteral("-c"), sql },
        120000);
}

Result<QString> PgCluster::createDatabase(const QString &prefix)
{
    const QString name = QStringLiteral("%1_%2_%3")
                             .arg(prefix.toLower())
                             .arg(++m_nextDb)
                             .arg(QRandomGenerator::global()->bounded(1000000));
    Result<QString> made = psql(QStringLiteral("CREATE DATABASE \"%1\"").arg(name));
    if (!made)
        return Failure { made.error() };
    return name;
}

Result<void> PgCluster::terminateConnections(const QString &database)
{
    Result<QString> done = psql(QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                               "WHERE datname = '%1' AND pid <> pg_backend_pid()")
                                    .arg(database));
    if (!done)
        return Failure { done.error() };
    return {};
}
