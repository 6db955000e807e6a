#include "core/tools/UnavailableSource.h"

#include "core/api/ExecutionBackend.h" // BackendReply

#include <QTimer>
#include <QUrl>

UnavailableSource::UnavailableSource(const ToolSourceSpec &spec, const QString &reason, QObject *parent)
    : ToolSource(spec.id, parent)
    , m_kind(spec.kind)
    // A URL is shown without its query or user info: either may hold a secret.
    , m_target(spec.url.isEmpty()
              ? spec.command
              : QUrl(spec.url)
                    .adjusted(QUrl::RemoveQuery | QUrl::RemoveUserInfo | QUrl::RemoveFragment)
                    .toString())
    , m_reason(reason)
    , m_disabled(spec.disabled)
{
}

ToolSourceStatus UnavailableSource::status() const
{
    ToolSourceStatus s;
    s.id = id();
    s.kind = m_kind;
    s.target = m_target;
    // A source switched off on purpose is idle, not failed.
    s.state = m_disabled ? ToolSourceState::Idle : ToolSourceState::Failed;
    s.error = m_reason;
    return s;
}

void UnavailableSource::listTools(QObject *context, ListCallback callback)
{
    QTimer::singleShot(0, this,
        [reply = BackendReply<const QList<ToolDefinition> &, const QString &>(context, std::move(callback)),
            reason = m_reason]() mutable { reply({}, reason); });
}

quint64 UnavailableSource::callTool(const QString &, const QJsonObject &, const ToolCallOptions &,
    QObject *context, CallCallback done, ProgressCallback)
{
    QTimer::singleShot(0, this,
        [reply = BackendReply<const ToolResult &>(context, std::move(done)), reason = m_reason]() mutable {
            reply(ToolResult::fromError(reason));
        });
    return m_nextHandle++;
}
