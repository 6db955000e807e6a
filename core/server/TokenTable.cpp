#include "core/server/TokenTable.h"

#include "core/model/Workspace.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

namespace {

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    // Length differences leak only the length; the content comparison does not short-circuit.
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

} // namespace

Result<TokenTable> TokenTable::fromJson(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        return Failure {
            QStringLiteral("tokens: invalid JSON at offset %1: %2").arg(error.offset).arg(error.errorString())
        };
    if (!doc.isObject() || !doc.object().value(QLatin1String("tokens")).isArray())
        return Failure { QStringLiteral("tokens: expected {\"tokens\": [...]}") };
    TokenTable table;
    const QJsonArray entries = doc.object().value(QLatin1String("tokens")).toArray();
    for (qsizetype i = 0; i < entries.size(); ++i) {
        const QString path = QStringLiteral("tokens[%1]").arg(i);
        if (!entries[i].isObject())
            return Failure { path + QStringLiteral(": expected an object") };
        const QJsonObject o = entries[i].toObject();
        Entry e;
        const QString token = o.value(QLatin1String("token")).toString();
        e.principal.organizationId = o.value(QLatin1String("organization_id")).toString();
        e.principal.workspaceId = o.value(QLatin1String("workspace_id")).toString();
        if (token.size() < 8)
            return Failure { path + QStringLiteral(".token: missing or shorter than 8 characters") };
        if (e.principal.organizationId.isEmpty())
            return Failure { path + QStringLiteral(".organization_id: missing") };
        if (e.principal.workspaceId.isEmpty())
            return Failure { path + QStringLiteral(".workspace_id: missing") };
        if (const QString why = Workspace::tenantIdProblem(e.principal.organizationId); !why.isEmpty())
            return Failure { path + QStringLiteral(".organization_id: ") + why };
        if (const QString why = Workspace::tenantIdProblem(e.principal.workspaceId); !why.isEmpty())
            return Failure { path + QStringLiteral(".workspace_id: ") + why };
        e.principal.tokenIndex = int(i);
        e.token = token.toUtf8();
        for (const Entry &other : std::as_const(table.m_entries))
            if (other.token == e.token)
                return Failure { path + QStringLiteral(".token: duplicate of an earlier entry") };
        table.m_entries.append(e);
    }
    return table;
}

Result<TokenTable> TokenTable::load(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Failure { QStringLiteral("%1: %2").arg(path, f.errorString()) };
    Result<TokenTable> table = fromJson(f.readAll());
    if (!table)
        return Failure { path + QStringLiteral(": ") + table.error() };
    return table;
}

std::optional<Principal> TokenTable::lookup(const QString &token) const
{
    if (token.isEmpty())
        return std::nullopt;
    const QByteArray candidate = token.toUtf8();
    std::optional<Principal> found;
    for (const Entry &e : m_entries)
        if (constantTimeEquals(e.token, candidate) && !found)
            found = e.principal;
    return found;
}

QStringList TokenTable::secrets() const
{
    QStringList out;
    for (const Entry &e : m_entries)
        out.append(QString::fromUtf8(e.token));
    return out;
}
