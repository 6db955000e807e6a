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

    // "org/workspace": the key under which the server keeps a served workspace.
    QString workspaceKey() const { return organizationId + QLatin1Char('/') + workspaceId; }
};

// The tokens file of agentstudio-server (DESIGN.md §8):
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
