#pragma once

#include "core/api/ExecutionBackend.h" // BackendReply: a callback guarded by its context
#include "core/api/ToolSource.h"
#include "core/model/Workspace.h"

#include <QElapsedTimer>
#include <QHash>

class QTimer;

// What a `command` and a `mock` source share (docs/tools.md): one tool, named by the source id,
// described by the spec's description and `parameters`; the bookkeeping of calls (handles,
// the per-call timeout, cancel, latency, answering exactly once and never inside the call).
// Subclasses start and stop the work of one call and end it with finish().
//
// Threading: like every ToolSource, one thread; timers and callbacks run on it.
class SingleToolSource : public ToolSource
{
    Q_OBJECT
public:
    SingleToolSource(const ToolSourceSpec &spec, QObject *parent);
    ~SingleToolSource() override;

    const ToolSourceSpec &spec() const { return m_spec; }
    // The one tool: name = source id, inputSchema = spec.argumentSchema().
    ToolDefinition definition() const;

    ToolSourceStatus status() const override;
    void listTools(QObject *context, ListCallback callback) override;
    quint64 callTool(const QString &name, const QJsonObject &arguments, const ToolCallOptions &options,
        QObject *context, CallCallback done, ProgressCallback progress = {}) final;
    void cancel(quint64 handle) final;
    void shutdown() final;

    int runningCalls() const { return int(m_calls.size()); }

protected:
    // Starts call `handle` (already registered); it ends with finish(handle, …) later.
    virtual void start(quint64 handle, const QJsonObject &arguments) = 0;
    // Stops call `handle` at once without answering (cancel, timeout, shutdown).
    virtual void abort(quint64 handle) = 0;
    // Text appended to a timeout's message (a command's stderr).
    virtual QString failureDetail(quint64 handle) const
    {
        Q_UNUSED(handle);
        return {};
    }
    // Who failed, in messages: "mock 'orders'", "command 'python3'".
    virtual QString subject() const { return kind() + QStringLiteral(" '") + id() + QLatin1Char('\''); }
    // "python3 tools/weather.py", "mock": what status().target shows.
    virtual QString target() const = 0;

    // Answers call `handle` once with `result` (latency set here); later calls are ignored.
    void finish(quint64 handle, ToolResult result);
    // Registered and not being ended (cancelled or timed out): only then may a subclass finish it.
    bool isRunning(quint64 handle) const
    {
        const auto it = m_calls.constFind(handle);
        return it != m_calls.cend() && !it->ending;
    }

    // The status fields a subclass keeps (statusChanged is emitted when one changes).
    void setState(ToolSourceState state, const QString &error = QString());
    void setLog(const QStringList &log);

private:
    struct Call
    {
        BackendReply<const ToolResult &> done;
        QElapsedTimer clock;
        QTimer *timeout = nullptr; // Owned (child of this source); null without a limit.
        bool ending = false; // cancelled or timed out: its answer is on its way
    };

    ToolSourceSpec m_spec;
    QHash<quint64, Call> m_calls;
    quint64 m_nextHandle = 1;
    ToolSourceState m_state = ToolSourceState::Connected;
    QString m_error;
    QStringList m_log;
};
