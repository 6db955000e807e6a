#pragma once

#include <QString>

struct ExecutionRecord;

// Which tenant's executions a store read, delete or retention may touch (docs/store.md,
// "Scope"). Every such call of ExecutionStore names one, so no read can forget it: either one
// workspace (organization id and workspace id, compared as a pair, never as a joined string)
// or every workspace, which only tools that own the whole file use (the runner's `history` and
// `show` without --workspace, benchmarks, tests). A plain value, usable from any thread.
class StoreScope
{
public:
    // Empty ids are stored as organization "local" and workspace "": the same here.
    static StoreScope workspace(const QString &organizationId, const QString &workspaceId);
    static StoreScope everyWorkspace();

    bool isEveryWorkspace() const { return m_every; }
    const QString &organizationId() const { return m_organizationId; }
    const QString &workspaceId() const { return m_workspaceId; }

    bool contains(const ExecutionRecord &e) const;
    // "workspace acme/demo" or "every workspace", for messages.
    QString describe() const;

private:
    StoreScope() = default;

    bool m_every = false;
    QString m_organizationId;
    QString m_workspaceId;
};
