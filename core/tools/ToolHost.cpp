#include "core/tools/ToolHost.h"

#include <QTimer>

// Placeholder until the tool sources land: no sources, every agent reference unresolved.
struct ToolHost::Private
{
};

ToolHost::ToolHost(QNetworkAccessManager *, QObject *parent)
    : QObject(parent)
    , d(new Private)
{
}

ToolHost::~ToolHost()
{
    delete d;
}

void ToolHost::setWorkspace(const Workspace &, const CredentialTrust &)
{
}

QList<ToolSourceStatus> ToolHost::statuses() const
{
    return {};
}

void ToolHost::refresh(QObject *context, StatusCallback callback)
{
    QTimer::singleShot(0, context ? context : this, [callback] { callback({}); });
}

ToolSource *ToolHost::source(const QString &) const
{
    return nullptr;
}

void ToolHost::resolve(const AgentSpec &agent, QObject *context, ResolveCallback callback)
{
    const QString error = agent.tools.isEmpty() ? QString() : QStringLiteral("tools are not available");
    QTimer::singleShot(0, context ? context : this, [callback, error] { callback({}, error); });
}

void ToolHost::shutdown()
{
}
