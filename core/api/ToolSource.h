#pragma once

#include "core/api/ToolTypes.h"

#include <QObject>

#include <functional>
#include <optional>

// Options of one tool call.
struct ToolCallOptions
{
    QString callId; // the model's tool_call_id (for logs); may be empty
    int timeoutMs = 60000; // the call fails (isError, "timed out after N ms") past this
};

// Where tools come from (docs/tools.md): an MCP server (core/mcp), a local command or a mock
// (core/tools). One object per workspace source.
//
// Threading: lives on one thread (the engine's, or the runner's main thread) and is used only
// there; every method returns at once and answers later, on that thread, never inside the call.
// A callback runs only while its context object is alive (null context: always).
class ToolSource : public QObject
{
    Q_OBJECT
public:
    using ListCallback = std::function<void(const QList<ToolDefinition> &tools, const QString &error)>;
    using CallCallback = std::function<void(const ToolResult &result)>;
    // progress, total (when known), message (may be empty): MCP progress notifications.
    using ProgressCallback
        = std::function<void(double progress, std::optional<double> total, const QString &message)>;

    explicit ToolSource(const QString &id, QObject *parent = nullptr)
        : QObject(parent)
        , m_id(id)
    {
    }
    ~ToolSource() override = default;

    QString id() const { return m_id; }
    virtual QString kind() const = 0; // "mcp" | "command" | "mock"
    virtual ToolSourceStatus status() const = 0;

    // Connects (starting the server if needed; a crashed one is restarted) and lists its tools
    // (all pages). `error` is empty on success. A source whose list is known answers from it.
    virtual void listTools(QObject *context, ListCallback callback) = 0;
    // Calls one tool. Returns a handle for cancel(). `done` runs exactly once: with the result,
    // an isError result (tool error, timeout, crash, transport failure) or a cancelled one.
    virtual quint64 callTool(const QString &name, const QJsonObject &arguments,
        const ToolCallOptions &options, QObject *context, CallCallback done, ProgressCallback progress = {})
        = 0;
    // Cancels a running call (MCP: notifications/cancelled; command: the process is killed);
    // its `done` follows with a cancelled result. Unknown or finished handles are ignored.
    virtual void cancel(quint64 handle) = 0;
    // Stops the server or processes (MCP stdio: close stdin, then terminate, then kill;
    // HTTP: DELETE the session). Calls still running end cancelled. Safe to call twice.
    virtual void shutdown() = 0;

signals:
    // state, error, log or tools changed (status() has the new values)
    void statusChanged();

private:
    QString m_id;
};
