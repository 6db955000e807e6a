#include "core/store/PgConnection.h"

#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QUrlQuery>

// Runs on the thread that owns the connection (a store's or the response cache's).
namespace pgconn {

namespace {

// libpq quoting of a connectOptions value (single quotes, backslash escapes). A value can never
// hold ';': Qt's driver turns every ';' of the options into a space.
QString optionValue(const QString &v)
{
    static const QRegularExpression needsQuotes(QStringLiteral("[\\s'\\\\]"));
    if (!v.isEmpty() && !v.contains(needsQuotes))
        return v;
    QString e = v;
    e.replace(QLatin1Char('\\'), QStringLiteral("\\\\")).replace(QLatin1Char('\''), QStringLiteral("\\'"));
    return QLatin1Char('\'') + e + QLatin1Char('\'');
}

// The authority of the URI as written ("user:pw@host:port"), for checks QUrl does not name.
QString authorityOf(const QString &uri)
{
    const qsizetype start = uri.indexOf(QStringLiteral("://"));
    if (start < 0)
        return {};
    QString rest = uri.mid(start + 3);
    const qsizetype end = rest.indexOf(QRegularExpression(QStringLiteral("[/?#]")));
    if (end >= 0)
        rest.truncate(end);
    return rest;
}

// Which part of a URI is wrong, or empty when it can be used.
QString uriProblem(const QString &uri, const QUrl &u)
{
    if (!uri.startsWith(QLatin1String("postgresql://")) && !uri.startsWith(QLatin1String("postgres://")))
        return QStringLiteral("the scheme must be postgresql:// or postgres://");
    const QString authority = authorityOf(uri);
    const QString hostPort = authority.mid(authority.lastIndexOf(QLatin1Char('@')) + 1);
    const qsizetype colon = hostPort.startsWith(QLatin1Char('[')) ? hostPort.indexOf(QStringLiteral("]:")) + 1
                                                                  : hostPort.lastIndexOf(QLatin1Char(':'));
    if (colon > 0) {
        bool ok = false;
        const int port = hostPort.mid(colon + 1).toInt(&ok);
        if (!ok || port <= 0 || port > 65535)
            return QStringLiteral("invalid port '%1'").arg(hostPort.mid(colon + 1));
    }
    if (!u.isValid())
        return QStringLiteral("the host or user part is not valid");
    for (const auto &kv : QUrlQuery(u).queryItems(QUrl::FullyDecoded)) {
        if (kv.first.isEmpty())
            return QStringLiteral("a query parameter without a name");
        if (kv.second.contains(QLatin1Char(';')))
            return QStringLiteral("the value of query parameter '%1' contains ';'").arg(kv.first);
        if (kv.first == QLatin1String("port") && kv.second.toInt() <= 0)
            return QStringLiteral("invalid port '%1'").arg(kv.second);
    }
    return {};
}

struct Target
{
    QString host, user, database, sslmode;
    int port = -1;
};

// Applies the URI to `db`; returns what it names (defaults filled in for messages).
Target applyUri(QSqlDatabase &db, const QUrl &u)
{
    Target t;
    if (!u.host().isEmpty())
        t.host = u.host();
    t.port = u.port();
    if (u.path().size() > 1)
        t.database = u.path().mid(1);
    t.user = u.userName();
    QString password = u.password();
    QStringList options;
    for (const auto &kv : QUrlQuery(u).queryItems(QUrl::FullyDecoded)) {
        if (kv.first == QLatin1String("host"))
            t.host = kv.second;
        else if (kv.first == QLatin1String("port"))
            t.port = kv.second.toInt();
        else if (kv.first == QLatin1String("dbname"))
            t.database = kv.second;
        else if (kv.first == QLatin1String("user"))
            t.user = kv.second;
        else if (kv.first == QLatin1String("password"))
            password = kv.second;
        else
            options << kv.first + QLatin1Char('=') + optionValue(kv.second);
        if (kv.first == QLatin1String("sslmode"))
            t.sslmode = kv.second;
    }
    db.setHostName(t.host);
    if (t.port > 0)
        db.setPort(t.port);
    db.setDatabaseName(t.database);
    db.setUserName(t.user);
    db.setPassword(password); // empty: libpq reads PGPASSWORD or the password file
    db.setConnectOptions(options.join(QLatin1Char(';')));
    // For messages: what libpq falls back to.
    auto env = [](const char *name, const QString &fallback) {
        const QString v = qEnvironmentVariable(name);
        return v.isEmpty() ? fallback : v;
    };
    if (t.host.isEmpty())
        t.host = env("PGHOST", QStringLiteral("localhost"));
    if (t.port <= 0)
        t.port = env("PGPORT", QStringLiteral("5432")).toInt();
    if (t.user.isEmpty())
        t.user = env("PGUSER", qEnvironmentVariable("USER"));
    if (t.database.isEmpty())
        t.database = env("PGDATABASE", t.user);
    if (t.sslmode.isEmpty())
        t.sslmode = env("PGSSLMODE", QStringLiteral("prefer"));
    return t;
}

// A connection failure in words: what went wrong, where, and libpq's own text (which never
// holds the password).
QString describeFailure(const Target &t, QString libpq, const QString &password)
{
    libpq = libpq.simplified();
    if (!password.isEmpty())
        libpq.replace(password, QStringLiteral("****"));
    const QString where = QStringLiteral("%1:%2").arg(t.host).arg(t.port);
    if (libpq.contains(QLatin1String("password authentication failed"))
        || libpq.contains(QLatin1String("authentication failed"))
        || libpq.contains(QLatin1String("no password supplied"))
        || libpq.contains(QLatin1String("password is required")))
        return QStringLiteral("authentication failed for user \"%1\" at %2 (%3)").arg(t.user, where, libpq);
    if (libpq.contains(QRegularExpression(QStringLiteral("database \".*\" does not exist"))))
        return QStringLiteral("database \"%1\" does not exist at %2 (%3)").arg(t.database, where, libpq);
    if (libpq.contains(QLatin1String("SSL"), Qt::CaseInsensitive)
        || libpq.contains(QLatin1String("certificate"), Qt::CaseInsensitive)
        || libpq.contains(QLatin1String("sslmode")))
        return QStringLiteral("SSL problem with %1 (sslmode=%2): %3").arg(where, t.sslmode, libpq);
    if (libpq.contains(QLatin1String("invalid connection option"))
        || libpq.contains(QLatin1String("invalid ")) || libpq.contains(QLatin1String("missing")))
        return QStringLiteral("bad connection parameter: %1").arg(libpq);
    return QStringLiteral("PostgreSQL at %1 is unreachable: %2").arg(where, libpq);
}

} // namespace

QString redactedUri(const QString &uri)
{
    QUrl u(uri);
    if (!u.isValid()) {
        // Cut whatever sits between "user:" and "@" by hand: QUrl did not parse it.
        QString s = uri;
        s.replace(QRegularExpression(QStringLiteral("(://[^/?#:@]*):[^/?#@]*@")), QStringLiteral("\\1@"));
        s.replace(QRegularExpression(QStringLiteral("([?&]password=)[^&#]*")), QStringLiteral("\\1****"));
        return s;
    }
    u.setPassword(QString());
    QUrlQuery query(u);
    if (query.hasQueryItem(QStringLiteral("password"))) {
        query.removeAllQueryItems(QStringLiteral("password"));
        query.addQueryItem(QStringLiteral("password"), QStringLiteral("****"));
        u.setQuery(query);
    }
    return u.toString();
}

Result<void> open(const QString &connection, const QString &uri, const QString &what)
{
    const QUrl u(uri, QUrl::StrictMode);
    if (const QString problem = uriProblem(uri, u); !problem.isEmpty())
        return Failure {
            QStringLiteral("%1: bad PostgreSQL URI %2: %3").arg(what, redactedUri(uri), problem)
        };
    QString error;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connection);
        if (!db.isValid()) {
            error = QStringLiteral("%1: the Qt PostgreSQL driver (QPSQL, package libqt6sql6-psql) is not "
                                   "installed")
                        .arg(what);
        } else {
            const Target t = applyUri(db, u);
            if (!db.open()) {
                error = QStringLiteral("%1: %2").arg(
                    what, describeFailure(t, db.lastError().databaseText(), db.password()));
            } else {
                QSqlQuery q(db);
                for (const char *sql : { "SET TIME ZONE 'UTC'", "SET client_min_messages = warning" }) {
                    if (!q.exec(QLatin1String(sql))) {
                        error = QStringLiteral("%1: %2: %3")
                                    .arg(what, QLatin1String(sql), q.lastError().text());
                        break;
                    }
                }
            }
        }
    }
    if (!error.isEmpty()) {
        close(connection);
        return Failure { error };
    }
    return {};
}

void close(const QString &connection)
{
    if (!QSqlDatabase::contains(connection))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(connection, false);
        db.close();
    }
    QSqlDatabase::removeDatabase(connection);
}

} // namespace pgconn
