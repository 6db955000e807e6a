#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QObject>

// The pipe under one MCP session (docs/mcp.md): a child process speaking newline-delimited
// JSON-RPC (StdioTransport) or a Streamable HTTP endpoint (HttpTransport). It moves whole
// JSON-RPC messages; ids, timeouts and the handshake are JsonRpcSession's and McpSource's.
//
// Threading: owned by McpSource and used on its thread only; never blocks.
class McpTransport : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~McpTransport() override = default;

    // What the user sees as the source's target: the command line or the URL (never a token,
    // never environment values).
    virtual QString target() const = 0;
    // Starts the connection (stdio: the process). Emits opened() or failed() later.
    virtual void open() = 0;
    // Sends one message. A request the transport could not deliver or got no answer to
    // (HTTP status, unreachable server, cut stream) is reported by sendFailed(id, error).
    virtual void send(const QJsonObject &message) = 0;
    // The version the handshake settled on (HTTP sends it as MCP-Protocol-Version).
    virtual void setProtocolVersion(const QString &) { }
    // The session stopped waiting for this request (cancelled, timed out): HTTP drops the
    // response stream that carries it; stdio has nothing to drop.
    virtual void abandon(const QJsonValue &) { }
    // Ends the connection without blocking (stdio: close stdin, then terminate, then kill;
    // HTTP: DELETE the session). Emits nothing afterwards; the object may be deleted at once.
    virtual void close() = 0;

signals:
    void opened();
    void messageReceived(const QJsonObject &message);
    // `requestId` is the id of the request that failed (Undefined for a notification).
    void sendFailed(const QJsonValue &requestId, const QString &error);
    // The connection is gone (the process exited, could not start, ...): every pending request
    // is lost. Emitted at most once.
    void failed(const QString &error);
    // A line for the source's log (stderr of the server, malformed messages, resumptions).
    void logged(const QString &line);
};
