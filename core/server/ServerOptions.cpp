#include "core/server/ServerOptions.h"

QString ServerOptions::usage()
{
    return QStringLiteral(
        "usage: agentstudio-server --workspace FILE --db FILE [--listen 127.0.0.1:8765]\n"
        "                          --tokens FILE [--tls-cert FILE --tls-key FILE]\n"
        "       [--concurrency N] [--max-lag EVENTS] [--max-body BYTES] [--max-message BYTES]\n"
        "       [--shutdown-grace MS]\n");
}

Result<ServerOptions> ServerOptions::fromArguments(const QStringList &arguments)
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
        } else {
            return Failure { QStringLiteral("unknown option '%1'\n%2").arg(flag, usage()) };
        }
        if (!problem.isEmpty())
            return Failure { problem };
    }
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
