#pragma once

#include "core/common/Result.h"

#include <QList>
#include <QString>

#include <optional>

// Who a bearer token speaks for: one workspace of one organization.
struct Principal
{
    QString organizationId;
    QString workspaceId;
    int tokenIndex = -1; // which entry of the tokens file (for per-token limits)

    // The key under which the server keeps a served workspace. Length-prefixed so that it is
    // injective: ("local/team", "alpha") and ("local", "team/alpha") never share a key.
    QString workspaceKey() const
    {
        return QString::number(organizationId.size()) + QLatin1Char(':') + organizationId + QLatin1Char('/')
            + workspaceId;
    }
    // "org/workspace", for messages only (never a key).
    QString displayName() const { return organizationId + QLatin1Char('/') + workspaceId; }
    bool sameWorkspace(const Principal &o) const
    {
        return organizationId == o.organizationId && workspaceId == o.workspaceId;
    }
};

// The tokens file of agentstudio-server:
// {"tokens": [{"token": "…", "organization_id": "acme", "workspace_id": "demo"}]}.
// Tokens are secrets: they are never logged, and error messages name entries by index only.
class TokenTable
{
public:
    static Result<TokenTable> fromJson(const QByteArray &json);
    static Result<TokenTable> load(const QString &path);

    // Compares against every entry in constant time per entry; nothing when unknown or empty.
    std::optional<Principal> lookup(const QString &token) const;
    int size() const { return int(m_entries.size()); }
    QStringList secrets() const; // for redact()

private:
    struct Entry
    {
        QByteArray token;
        Principal principal;
    };
    QList<Entry> m_entries;
};
