#pragma once

#include "core/common/Result.h"

#include <QHostAddress>
#include <QString>
#include <QStringList>

// Settings of agentstudio-server:
//   agentstudio-server --workspace FILE --db FILE [--listen 127.0.0.1:8765] --tokens FILE
//                      [--tls-cert F --tls-key F]
// plus optional tuning flags and the resource limits; usage() lists every one with its default
// and docs/server.md explains them.
struct ServerOptions
{
    QStringList workspacePaths;
    QString databasePath;
    QString tokensPath;
    QHostAddress listenAddress = QHostAddress(QHostAddress::LocalHost);
    quint16 port = 8765;
    QString tlsCertPath, tlsKeyPath;

    int concurrency = 4;
    qint64 maxBodyBytes = 1024 * 1024; // larger request bodies: 413
    qint64 maxMessageBytes = 64 * 1024; // larger WebSocket messages close the socket
    int maxLagEvents = 20000; // live events a subscriber may leave unsent
    qint64 sendHighWaterBytes = 256 * 1024; // stop writing to a socket above this
    int ackWindow = 8192; // unacked events once a client acks
    int shutdownGraceMs = 10000; // running executions get this long to finish
    int retainFinishedMs = 10 * 60 * 1000; // finished event buffers kept for replay
    int maxRetainedStreams = 500;

    // Resource limits (docs/server.md, "Limits").
    int maxHeaderBytes = 16 * 1024; // larger request heads: 431
    int headTimeoutMs = 10000; // the whole request head, from its first byte: 408
    int bodyTimeoutMs = 30000; // the whole body, from the end of the head: 408
    int idleTimeoutMs = 60000; // keep-alive idle, or answers left unread: closed
    int maxConnections = 512; // in total (WebSockets included): 503
    bool maxConnectionsGiven = false; // else clamped below the descriptor limit at start
    int maxConnectionsPerPeer = 64; // per peer IP address (WebSockets included): 503
    qint64 writeHighWaterBytes = 1024 * 1024; // no new request parsed above this much unsent
    int maxPipelined = 16; // no new request parsed while this many answers are unsent
    int maxSessionsPerToken = 64; // WebSocket streams per token: 429
    qint64 wsMaxUnsentBytes = 1024 * 1024; // a stream client leaving more unread is cut
    int wsMaxBadMessages = 20; // bad stream messages per 10 s before close 1008
    int maxActivePerWorkspace = 256; // queued + running executions per workspace: 429
    int retryAfterSeconds = 2; // Retry-After of the 429 answers
    int mcpMaxSessionsPerToken = 16; // --mcp-max-sessions: MCP sessions per token: 429
    int mcpSessionIdleMs = 30 * 60 * 1000; // --mcp-session-idle: an idle MCP session ends (404)
    QStringList allowedOrigins; // --allowed-origin: WebSocket upgrades need one (if any given)
    QStringList allowedHosts; // --allowed-host: Host names accepted besides loopback ones
    // Team server (docs/team-server.md, docs/operations.md).
    QString instanceName; // --instance: for health, metrics, logs and the app (default host:port)
    int heartbeatMs = 1000; // --heartbeat: how often an instance renews its lease
    int leaseMs = 5000; // --lease: an instance silent this long is dead; its runs interrupted
    QString logFormat = QStringLiteral("json"); // --log-format json|text
    QString logPath; // --log FILE (empty: standard error)
    bool logInputs = false; // --log-inputs yes|no: execution log lines carry the inputs
    QString configPath; // --config FILE: options read from a file (packaging/server.conf)

    // Parses the arguments after the program name. The message names the flag.
    static Result<ServerOptions> fromArguments(const QStringList &arguments);
    static QString usage();

private:
    // The --config file as arguments ("--name", "value", …); errors name FILE:LINE.
    static Result<QStringList> readConfig(const QString &path);
    // Flags only (no check that required ones are there).
    static Result<ServerOptions> parse(const QStringList &arguments);
    static Result<ServerOptions> validate(ServerOptions o);
};
