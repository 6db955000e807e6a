#include "core/server/cluster/PgConnection.h"

#include <QRegularExpression>
#include <QSqlError>
#include <QUrl>
#include <QUrlQuery>

namespace pgconn {

namespace {

// libpq quoting of one connect option value (no ';' can ever be passed through QPSQL).
QString optionValue(const QString &v)
{
    static const QRegularExpression special(QStringLiteral("[\\s'\\\\]"));
    if (!v.isEmpty() && !v.contains(special))
        return v;
    QString e = v;
    e.replace(QLatin1String("\\"), QLatin1String("\\\\")).replace(QLatin1String("'"), QLatin1String("\\'"));
    return QLatin1Char('\'') + e + QLatin1Char('\'');
}

} // namespace

QSqlDatabase add(const QString &name, const QString &uri, const QString &applicationName)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
    const QUrl u(uri);
    if (!u.host().isEmpty())
        db.setHostName(u.host());
    if (u.port() != -1)
        db.setPort(u.port());
    if (u.path().size() > 1)
        db.setDatabaseName(u.path().mid(1));
    if (!u.userName().isEmpty())
        db.setUserName(u.userName());
    if (!u.password().isEmpty())
        db.setPassword(u.password());
    // Keepalives notice a silent network loss; NOTICEs would go to stderr unasked.
    QStringList options { QStringLiteral("application_name=") + optionValue(applicationName),
        QStringLiteral("keepalives_idle=10"), QStringLiteral("keepalives_interval=5"),
        QStringLiteral("keepalives_count=3"), QStringLiteral("options='-c client_min_messages=warning'") };
    bool timeoutGiven = false;
    const auto items = QUrlQuery(u).queryItems(QUrl::FullyDecoded);
    for (const auto &kv : items) {
        if (kv.first == QLatin1String("host"))
            db.setHostName(kv.second);
        else if (kv.first == QLatin1String("port"))
            db.setPort(kv.second.toInt());
        else if (kv.first == QLatin1String("dbname"))
            db.setDatabaseName(kv.second);
        else if (kv.first == QLatin1String("user"))
            db.setUserName(kv.second);
        else if (kv.first == QLatin1String("password"))
            db.setPassword(kv.second);
        else if (kv.first == QLatin1String("application_name") || kv.first == QLatin1String("options"))
            continue; // ours
        else {
            timeoutGiven = timeoutGiven || kv.first == QLatin1String("connect_timeout");
            options << kv.first + QLatin1Char('=') + optionValue(kv.second);
        }
    }
    if (!timeoutGiven)
        options << QStringLiteral("connect_timeout=5");
    db.setConnectOptions(options.join(QLatin1Char(';')));
    return db;
}

bool ensureOpen(QSqlDatabase &db, QString *error)
{
    if (db.isOpen())
        return true;
    db.close();
    if (db.open())
        return true;
    if (error) // libpq's text names host, port or user, never the password
        *error = db.lastError().databaseText().trimmed();
    return false;
}

void remove(const QString &name)
{
    {
        QSqlDatabase db = QSqlDatabase::database(name, false);
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
}

} // namespace pgconn
