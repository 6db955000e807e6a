#pragma once

#include "core/api/ToolSource.h"
#include "core/model/Workspace.h"

// A tool source that cannot be used, and says why (docs/tools.md): its workspace entry has
// problems, or it would send a bearer token the workspace is not trusted with. Shown as failed;
// listing fails and every call is an error result with the reason. Nothing is started or sent.
//
// Threading: one thread; answers are posted to its event loop.
class UnavailableSource final : public ToolSource
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UnavailableSource)
public:
    UnavailableSource(const ToolSourceSpec &spec, const QString &reason, QObject *parent = nullptr);

    QString kind() const override { return m_kind; }
    QString reason() const { return m_reason; }
    ToolSourceStatus status() const override;
    void listTools(QObject *context, ListCallback callback) override;
    quint64 callTool(const QString &name, const QJsonObject &arguments, const ToolCallOptions &options,
        QObject *context, CallCallback done, ProgressCallback progress = {}) override;
    void cancel(quint64) override { }
    void shutdown() override { }

private:
    QString m_kind;
    QString m_target;
    QString m_reason;
    bool m_disabled = false;
    quint64 m_nextHandle = 1;
};
