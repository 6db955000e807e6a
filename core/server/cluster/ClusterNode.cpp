#include "core/server/cluster/ClusterNode.h"

// Placeholder until the relay lands (docs/team-server.md).

struct ClusterNode::Private
{
    Settings settings;
};

ClusterNode::ClusterNode(Settings settings, QObject *parent)
    : QObject(parent)
    , d(new Private { std::move(settings) })
{
}

ClusterNode::~ClusterNode()
{
    stop();
    delete d;
}

Result<void> ClusterNode::start()
{
    return {};
}

void ClusterNode::stop()
{
}

QString ClusterNode::instanceId() const
{
    return d->settings.instanceId;
}

QString ClusterNode::instanceName() const
{
    return d->settings.instanceName;
}

void ClusterNode::publish(const QString &, const ExecutionEventList &)
{
}
void ClusterNode::follow(const QString &, qint64)
{
}
void ClusterNode::unfollow(const QString &)
{
}
void ClusterNode::routeCancel(const QString &)
{
}
