#pragma once

#include <QSqlDatabase>
#include <QString>

// The cluster's own PostgreSQL connections (docs/team-server.md). Each worker thread of
// ClusterNode opens its connections itself and uses them only there (a QSqlDatabase belongs
// to the thread that opened it).
namespace pgconn {

// Adds a QPSQL connection named `name` on the calling thread from a libpq URI
// (postgresql://user[:password]@host[:port]/db?sslmode=…&host=/socket). Does not open it.
QSqlDatabase add(const QString &name, const QString &uri, const QString &applicationName);
// Opens `db` if it is closed; on failure `error` says why (never with the password).
bool ensureOpen(QSqlDatabase &db, QString *error);
// Closes and removes the connection `name` (the caller holds no QSqlDatabase copy any more).
void remove(const QString &name);

} // namespace pgconn
