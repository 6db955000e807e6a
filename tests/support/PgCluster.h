#pragma once

// A throwaway PostgreSQL 15 cluster for tests and benchmarks (docs/team-server.md, "Tests"): initdb
// in a fresh temporary directory, the server on 127.0.0.1 and a free port plus a unix socket in
// that directory, durability off; stopped and removed by stop() or the destructor. As root
// (CI), every server program runs as the unprivileged `postgres` user through runuser, which
// owns the directory. Blocking (QProcess waits): for test and benchmark threads only.
//
// Connect with uri(db) (TCP + password, as a deployment does) or socketUri(db) (socket, trust).
// The superuser is `postgres`, its password password().

#include "core/common/Result.h"

#include <QString>
#include <QStringList>

class PgCluster
{
public:
    PgCluster() = default;
    ~PgCluster(); // stop()
    PgCluster(const PgCluster &) = delete;
    PgCluster &operator=(const PgCluster &) = delete;

    // The PostgreSQL programs folder (/usr/lib/postgresql/15/bin), or empty when not installed.
    static QString binDir();
    // Starts the cluster (about 1 s). The message carries initdb's or the server's log.
    // Extra `-c name=value` settings may be given (e.g. "max_connections=200").
    Result<void> start(const QStringList &settings = {});
    void stop();
    bool isRunning() const { return m_running; }

    quint16 port() const { return m_port; }
    QString socketDir() const { return m_dir; }
    QString password() const { return m_password; }
    QString user() const { return QStringLiteral("postgres"); }
    // postgresql://postgres:PASSWORD@127.0.0.1:PORT/DB?sslmode=disable
    QString uri(const QString &database = QStringLiteral("postgres")) const;
    // The same without the password (libpq then takes PGPASSWORD or a password file).
    QString uriWithoutPassword(const QString &database = QStringLiteral("postgres")) const;
    // postgresql:///DB?host=SOCKETDIR&port=PORT&user=postgres (trust: no password)
    QString socketUri(const QString &database = QStringLiteral("postgres")) const;

    // Runs SQL through psql on the socket; returns psql's output (unaligned, tuples only).
    Result<QString> psql(const QString &sql, const QString &database = QStringLiteral("postgres")) const;
    // CREATE DATABASE with a new unique name starting with `prefix`; returns the name.
    Result<QString> createDatabase(const QString &prefix = QStringLiteral("t"));
    // Terminates every backend of `database` (pg_terminate_backend), e.g. to cut listeners.
    Result<void> terminateConnections(const QString &database);

private:
    QStringList runAs() const; // {"runuser", "-u", "postgres", "--"} as root, else empty
    Result<QString> run(const QString &program, const QStringList &args, int timeoutMs) const;

    QString m_dir; // the temporary directory: data/, the socket, logs
    quint16 m_port = 0;
    QString m_password;
    bool m_running = false;
    int m_nextDb = 0;
};
