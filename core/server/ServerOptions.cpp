#include "core/server/ServerOptions.h"

#include <QFile>
#include <QRegularExpression>

QString ServerOptions::usage()
{
    return QStringLiteral(
        "Usage: agentstudio-server --workspace FILE --db FILE [--listen 127.0.0.1:8765]\n"
        "                          --tokens FILE [--tls-cert FILE --tls-key FILE] [OPTION VALUE]...\n"
        "\n"
        "Serves workspaces to a team: REST, WebSocket streams and MCP over HTTP(S).\n"
        "\n"
        "  --workspace FILE              a workspace to serve (repeatable: one engine each)\n"
        "  --db FILE|URI                 the execution history: a SQLite file, or a PostgreSQL\n"
        "                                URI (below)\n"
        "  --tokens FILE                 the bearer tokens (JSON: token, organization_id,\n"
        "                                workspace_id)\n"
        "  --listen HOST:PORT            the address to listen on (127.0.0.1:8765; port 0: any)\n"
        "  --tls-cert FILE               PEM certificate chain: serve HTTPS and WSS\n"
        "  --tls-key FILE                its PEM private key (give both or neither)\n"
        "  --concurrency N               executions running at once per workspace (4)\n"
        "  --shutdown-grace MS           time running executions get on SIGTERM (10000)\n"
        "\n"
        "Limits (see docs/server.md):\n"
        "  --max-header BYTES            request head size; larger: 431 (16384)\n"
        "  --max-body BYTES              request body size; larger: 413 (1048576)\n"
        "  --head-timeout MS             whole request head, from its first byte: 408 (10000)\n"
        "  --body-timeout MS             whole request body, from the end of the head: 408 (30000)\n"
        "  --idle-timeout MS             keep-alive idle, or answers left unread: closed (60000)\n"
        "  --max-connections N           open connections, WebSockets included: 503 (512, at most\n"
        "                                the descriptor limit minus 64 unless given)\n"
        "  --max-connections-per-peer N  the same per client IP address: 503 (64)\n"
        "  --write-high-water BYTES      no new request read while more is unsent (1048576)\n"
        "  --max-pipelined N             no new request read while N answers are unsent (16)\n"
        "  --max-queued N                queued + running executions per workspace: 429 (256)\n"
        "  --retry-after SECONDS         Retry-After of the 429 answers (2)\n"
        "  --max-sessions-per-token N    WebSocket streams per token: 429 (64)\n"
        "  --max-message BYTES           WebSocket message from a client; larger: close (65536)\n"
        "  --max-lag EVENTS              live events a stream client may fall behind (20000)\n"
        "  --ws-max-unsent BYTES         unread bytes before a stream client is cut (1048576)\n"
        "  --ws-max-bad-messages N       bad stream messages per 10 s before close 1008 (20)\n"
        "  --mcp-max-sessions N          MCP sessions per token: 429 (16; docs/mcp-http.md)\n"
        "  --mcp-session-idle MS         an MCP session unused this long ends (1800000)\n"
        "\n"
        "Security:\n"
        "  Tokens go in the Authorization header only (no ?token= form). Bound to a loopback\n"
        "  address, the server answers only requests whose Host is a loopback name: 421.\n"
        "  --allowed-host NAME           a further Host name to accept (repeatable; reverse proxy)\n"
        "  --allowed-origin ORIGIN       with any given, a WebSocket upgrade that sends Origin\n"
        "                                must send one of them: 403 (repeatable)\n"
        "\n"
        "Team server (see docs/team-server.md):\n"
        "  --db postgresql://USER@HOST:PORT/DBNAME?sslmode=...\n"
        "                                PostgreSQL instead of a SQLite file; the password comes\n"
        "                                from PGPASSWORD or a password file (PGPASSFILE, ~/.pgpass)\n"
        "  --instance NAME               this instance's name (host:port)\n"
        "  --heartbeat MS                lease renewal interval (1000)\n"
        "  --lease MS                    an instance silent this long is dead (5000)\n"
        "\n"
        "Operations (see docs/operations.md):\n"
        "  --log FILE                    log file (standard error)\n"
        "  --log-format json|text        one JSON object per line, or plain text (json)\n"
        "  --log-inputs yes|no           execution log lines carry the inputs (no)\n"
        "  --config FILE                 read options from FILE first: one 'option value' per line\n"
        "                                (the option without its --), '#' starts a comment; flags\n"
        "                                on the command line come after it, so a single-valued one\n"
        "                                given there wins and repeatable ones add to the file's\n"
        "  --help, -h                    this text\n"
        "  --version                     the version\n");
}

Result<QStringList> ServerOptions::readConfig(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return Failure { QStringLiteral("--config %1: %2").arg(path, file.errorString()) };
    QStringList arguments;
    int lineNumber = 0;
    while (!file.atEnd()) {
        ++lineNumber;
        QString line = QString::fromUtf8(file.readLine());
        if (const qsizetype hash = line.indexOf(QLatin1Char('#')); hash >= 0)
            line.truncate(hash);
        line = line.trimmed();
        if (line.isEmpty())
            continue;
        const qsizetype space = line.indexOf(QRegularExpression(QStringLiteral("\\s")));
        QString name = space < 0 ? line : line.left(space);
        const QString value = space < 0 ? QString() : line.mid(space).trimmed();
        if (name.startsWith(QLatin1String("--")))
            name = name.mid(2);
        if (name == QLatin1String("config") || name == QLatin1String("help")
            || name == QLatin1String("version"))
            return Failure { QStringLiteral("%1:%2: '%3' cannot be given in a config file")
                                 .arg(path)
                                 .arg(lineNumber)
                                 .arg(name) };
        if (value.isEmpty())
            return Failure { QStringLiteral("%1:%2: %3: missing value").arg(path).arg(lineNumber).arg(name) };
        arguments << QStringLiteral("--") + name << value;
        // Each pair alone, so a bad value or an unknown name is reported at its line.
        Result<ServerOptions> one = parse(arguments.mid(arguments.size() - 2));
        if (!one)
            return Failure { QStringLiteral("%1:%2: %3")
                                 .arg(path)
                                 .arg(lineNumber)
                                 .arg(one.error().section(QLatin1Char('\n'), 0, 0)) };
    }
    return arguments;
}

Result<ServerOptions> ServerOptions::fromArguments(const QStringList &arguments)
{
    // --config FILE: its options come first, then the command line's (which win).
    QStringList all;
    for (qsizetype i = 0; i + 1 < arguments.size(); ++i) {
        if (arguments[i] != QLatin1String("--config"))
            continue;
        Result<QStringList> fromFile = readConfig(arguments[i + 1]);
        if (!fromFile)
            return Failure { fromFile.error() };
        all += fromFile.take();
    }
    Result<ServerOptions> parsed = parse(all + arguments);
    if (!parsed)
        return parsed;
    return validate(parsed.take());
}

Result<ServerOptions> ServerOptions::parse(const QStringList &arguments)
{
    ServerOptions o;
    auto intValue
        = [](const QString &flag, const QString &text, qint64 min, qint64 max, qint64 *out) -> QString {
        bool ok = false;
        const qint64 v = text.toLongLong(&ok);
        if (!ok || v < min || v > max)
            return QStringLiteral("%1: expected an integer from %2 to %3, got '%4'")
                .arg(flag)
                .arg(min)
                .arg(max)
                .arg(text);
        *out = v;
        return {};
    };
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString flag = arguments[i];
        if (flag == QLatin1String("--help") || flag == QLatin1String("-h"))
            return Failure { usage() };
        if (i + 1 >= arguments.size())
            return Failure { QStringLiteral("%1: missing value").arg(flag) };
        const QString value = arguments[++i];
        qint64 n = 0;
        QString problem;
        if (flag == QLatin1String("--workspace")) {
            o.workspacePaths.append(value);
        } else if (flag == QLatin1String("--db")) {
            o.databasePath = value;
        } else if (flag == QLatin1String("--tokens")) {
            o.tokensPath = value;
        } else if (flag == QLatin1String("--tls-cert")) {
            o.tlsCertPath = value;
        } else if (flag == QLatin1String("--tls-key")) {
            o.tlsKeyPath = value;
        } else if (flag == QLatin1String("--listen")) {
            const qsizetype colon = value.lastIndexOf(QLatin1Char(':'));
            if (colon <= 0)
                return Failure { QStringLiteral("--listen: expected HOST:PORT, got '%1'").arg(value) };
            QString host = value.left(colon);
            if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
                host = host.mid(1, host.size() - 2);
            QHostAddress address;
            if (host == QLatin1String("localhost"))
                address = QHostAddress(QHostAddress::LocalHost);
            else if (!address.setAddress(host))
                return Failure { QStringLiteral("--listen: '%1' is not an IP address").arg(host) };
            problem = intValue(QStringLiteral("--listen port"), value.mid(colon + 1), 0, 65535, &n);
            o.listenAddress = address;
            o.port = quint16(n);
        } else if (flag == QLatin1String("--concurrency")) {
            problem = intValue(flag, value, 1, 256, &n);
            o.concurrency = int(n);
        } else if (flag == QLatin1String("--max-lag")) {
            problem = intValue(flag, value, 1, 10000000, &n);
            o.maxLagEvents = int(n);
        } else if (flag == QLatin1String("--max-body")) {
            problem = intValue(flag, value, 1024, 1024LL * 1024 * 1024, &n);
            o.maxBodyBytes = n;
        } else if (flag == QLatin1String("--max-message")) {
            problem = intValue(flag, value, 1024, 64LL * 1024 * 1024, &n);
            o.maxMessageBytes = n;
        } else if (flag == QLatin1String("--shutdown-grace")) {
            problem = intValue(flag, value, 0, 3600000, &n);
            o.shutdownGraceMs = int(n);
        } else if (flag == QLatin1String("--max-header")) {
            problem = intValue(flag, value, 1024, 1024 * 1024, &n);
            o.maxHeaderBytes = int(n);
        } else if (flag == QLatin1String("--head-timeout")) {
            problem = intValue(flag, value, 100, 3600000, &n);
            o.headTimeoutMs = int(n);
        } else if (flag == QLatin1String("--body-timeout")) {
            problem = intValue(flag, value, 100, 3600000, &n);
            o.bodyTimeoutMs = int(n);
        } else if (flag == QLatin1String("--idle-timeout")) {
            problem = intValue(flag, value, 100, 3600000, &n);
            o.idleTimeoutMs = int(n);
        } else if (flag == QLatin1String("--max-connections")) {
            problem = intValue(flag, value, 1, 1000000, &n);
            o.maxConnections = int(n);
            o.maxConnectionsGiven = true;
        } else if (flag == QLatin1String("--max-connections-per-peer")) {
            problem = intValue(flag, value, 1, 1000000, &n);
            o.maxConnectionsPerPeer = int(n);
        } else if (flag == QLatin1String("--write-high-water")) {
            problem = intValue(flag, value, 1024, 1024LL * 1024 * 1024, &n);
            o.writeHighWaterBytes = n;
        } else if (flag == QLatin1String("--max-pipelined")) {
            problem = intValue(flag, value, 1, 100000, &n);
            o.maxPipelined = int(n);
        } else if (flag == QLatin1String("--max-queued")) {
            problem = intValue(flag, value, 1, 1000000, &n);
            o.maxActivePerWorkspace = int(n);
        } else if (flag == QLatin1String("--retry-after")) {
            problem = intValue(flag, value, 1, 86400, &n);
            o.retryAfterSeconds = int(n);
        } else if (flag == QLatin1String("--max-sessions-per-token")) {
            problem = intValue(flag, value, 1, 1000000, &n);
            o.maxSessionsPerToken = int(n);
        } else if (flag == QLatin1String("--ws-max-unsent")) {
            problem = intValue(flag, value, 1024, 1024LL * 1024 * 1024, &n);
            o.wsMaxUnsentBytes = n;
        } else if (flag == QLatin1String("--ws-max-bad-messages")) {
            problem = intValue(flag, value, 1, 100000000, &n);
            o.wsMaxBadMessages = int(n);
        } else if (flag == QLatin1String("--mcp-max-sessions")) {
            problem = intValue(flag, value, 1, 1000000, &n);
            o.mcpMaxSessionsPerToken = int(n);
        } else if (flag == QLatin1String("--mcp-session-idle")) {
            problem = intValue(flag, value, 100, 86400000, &n);
            o.mcpSessionIdleMs = int(n);
        } else if (flag == QLatin1String("--allowed-origin")) {
            if (value.isEmpty() || value.endsWith(QLatin1Char('/')))
                return Failure { QStringLiteral(
                    "--allowed-origin: expected an origin like https://app.example.com, got '%1'")
                                     .arg(value) };
            o.allowedOrigins.append(value);
        } else if (flag == QLatin1String("--instance")) {
            if (value.isEmpty())
                return Failure { QStringLiteral("--instance: expected a name") };
            o.instanceName = value;
        } else if (flag == QLatin1String("--heartbeat")) {
            problem = intValue(flag, value, 50, 600000, &n);
            o.heartbeatMs = int(n);
        } else if (flag == QLatin1String("--lease")) {
            problem = intValue(flag, value, 200, 3600000, &n);
            o.leaseMs = int(n);
        } else if (flag == QLatin1String("--log")) {
            o.logPath = value;
        } else if (flag == QLatin1String("--log-format")) {
            if (value != QLatin1String("json") && value != QLatin1String("text"))
                return Failure { QStringLiteral("--log-format: expected json or text, got '%1'").arg(value) };
            o.logFormat = value;
        } else if (flag == QLatin1String("--log-inputs")) {
            if (value != QLatin1String("yes") && value != QLatin1String("no"))
                return Failure { QStringLiteral("--log-inputs: expected yes or no, got '%1'").arg(value) };
            o.logInputs = value == QLatin1String("yes");
        } else if (flag == QLatin1String("--config")) {
            o.configPath = value;
        } else if (flag == QLatin1String("--allowed-host")) {
            if (value.isEmpty())
                return Failure { QStringLiteral("--allowed-host: expected a host name") };
            o.allowedHosts.append(value.toLower());
        } else {
            return Failure { QStringLiteral("unknown option '%1'\n%2").arg(flag, usage()) };
        }
        if (!problem.isEmpty())
            return Failure { problem };
    }
    return o;
}

Result<ServerOptions> ServerOptions::validate(ServerOptions o)
{
    if (o.leaseMs <= o.heartbeatMs)
        return Failure { QStringLiteral("--lease: must be longer than --heartbeat (%1 ms), got %2 ms")
                             .arg(o.heartbeatMs)
                             .arg(o.leaseMs) };
    if (o.workspacePaths.isEmpty())
        return Failure { QStringLiteral("--workspace: required\n") + usage() };
    if (o.databasePath.isEmpty())
        return Failure { QStringLiteral("--db: required\n") + usage() };
    if (o.tokensPath.isEmpty())
        return Failure { QStringLiteral("--tokens: required\n") + usage() };
    if (o.tlsCertPath.isEmpty() != o.tlsKeyPath.isEmpty())
        return Failure { QStringLiteral("--tls-cert and --tls-key: give both or neither") };
    return o;
}
