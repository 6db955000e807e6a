#pragma once

#include "core/mcpserver/McpToolServer.h"

#include <QByteArray>
#include <QObject>

#include <memory>

class QSocketNotifier;
class QTimer;

// The stdio transport of the MCP server (docs/mcp-server.md, "stdio"): newline-delimited
// JSON-RPC read from one file descriptor (stdin) and written to another (stdout), one compact
// JSON message per line and nothing else on it. A session is the life of the process: at the
// end of the input (or shutdown()) the calls still running are cancelled, and finished() is
// emitted once the backend has no run left (their cancelled records are written).
//
// Threading: the thread of the backend (the runner's main thread). Writes block until the
// client has taken the line: a client that stops reading stops the server, as with any pipe.
class McpStdioServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(McpStdioServer)
public:
    // A line longer than this without its newline is refused (parse error) and dropped.
    static constexpr qsizetype kMaxLineBytes = 10 * 1024 * 1024;

    McpStdioServer(ExecutionBackend *backend, const Workspace &workspace,
        const McpToolServer::Options &options, int inputFd = 0, int outputFd = 1, QObject *parent = nullptr);
    ~McpStdioServer() override;

    void start(); // starts reading
    // Stops reading, cancels the running calls; finished() follows (also when called twice).
    void shutdown();

    McpToolServer *session() const { return m_session.get(); } // null after shutdown()

signals:
    void finished();

private:
    void onReadable();
    void onLine(const QByteArray &line);
    void write(const QJsonObject &message);
    void finishWhenIdle();

    ExecutionBackend *m_backend; // not owned
    std::unique_ptr<McpToolServer> m_session;
    int m_inputFd;
    int m_outputFd;
    QSocketNotifier *m_notifier = nullptr; // owned (child)
    QTimer *m_drainLimit = nullptr; // owned (child): how long shutdown waits for the runs
    QByteArray m_buffer;
    bool m_dropping = false; // inside an oversized line: skip to its newline
    bool m_shuttingDown = false;
    bool m_finished = false;
};
