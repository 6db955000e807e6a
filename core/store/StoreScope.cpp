#include "core/store/StoreScope.h"

#include "core/api/ExecutionRecord.h"

StoreScope StoreScope::workspace(const QString &organizationId, const QString &workspaceId)
{
    StoreScope s;
    // As ExecutionStore writes them: an empty organization is "local", a null workspace "".
    s.m_organizationId = organizationId.isEmpty() ? QStringLiteral("local") : organizationId;
    s.m_workspaceId = workspaceId.isNull() ? QStringLiteral("") : workspaceId;
    return s;
}

StoreScope StoreScope::everyWorkspace()
{
    StoreScope s;
    s.m_every = true;
    return s;
}

bool StoreScope::contains(const ExecutionRecord &e) const
{
    return m_every || (e.organizationId == m_organizationId && e.workspaceId == m_workspaceId);
}

QString StoreScope::describe() const
{
    if (m_every)
        return QStringLiteral("every workspace");
    return QStringLiteral("workspace '%1' of organization '%2'").arg(m_workspaceId, m_organizationId);
}
