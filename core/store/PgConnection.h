#pragma once

#include "core/common/Result.h"

#include <QString>

class QSqlDatabase;

// Opening a QPSQL connection from a libpq URI (docs/postgres-store.md, "Connecting"). Qt's
// driver does not parse URIs: the URI's parts go to the QSqlDatabase fields and every other
// query parameter (sslmode, passfile, connect_timeout, …) to connectOptions as a libpq keyword.
// An empty password field lets libpq take PGPASSWORD or the password file. Messages never
// contain the password.
namespace pgconn {

// The URI without its password (user info and a `password` query item).
QString redactedUri(const QString &uri);

// Adds a QPSQL connection named `connection`, opens it and prepares the session (UTC time
// zone, client_min_messages=warning). Failures name the problem: bad URI (which part),
// unreachable (host:port and libpq's text), authentication failed (user), database does not
// exist, SSL. On failure the connection is removed again.
Result<void> open(const QString &connection, const QString &uri, const QString &what);

// Closes and removes the connection (no QSqlDatabase handle may be alive in the caller).
void close(const QString &connection);

} // namespace pgconn
