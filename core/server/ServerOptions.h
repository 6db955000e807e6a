#pragma once

#include "core/common/Result.h"

#include <QHostAddress>
#include <QString>
#include <QStringList>

// Settings of agentstudio-server (DESIGN.md §8):
//   agentstudio-server --workspace FILE --db FILE [--listen 127.0.0.1:8765] --tokens FILE
//                      [--tls-cert F --tls-key F]
// Extra, optional tuning flags: --workspace may be repeated (one engine per workspace),
// --concurrency N, --max-lag N (events a subscriber may fall behind before it is dropped),
// --max-body BYTES, --max-message BYTES, --shutdown-grace MS.
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

    // Parses the arguments after the program name. The message names the flag.
    static Result<ServerOptions> fromArguments(const QStringList &arguments);
    static QString usage();
};
