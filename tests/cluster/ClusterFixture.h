#pragma once

// Several real agentstudio-server processes on one database of a throwaway PostgreSQL cluster
// (tests/cluster, tests/bench): the fixture's scripted workspaces plus a `long` agent that
// streams for seconds, so a client can be moved between instances many times during one run.
#include "tests/support/PgCluster.h"
#include "tests/support/ServerFixture.h"

namespace clusterfixture {

using namespace serverfixture;

inline QByteArray workspaceWithLongAgent(int replyTokens, int tokensPerSecond)
{
    QJsonObject ws = QJsonDocument::fromJson(alphaWorkspace()).object();
    QJsonArray agents = ws.value(QLatin1String("agents")).toArray();
    agents.append(scriptedAgent(QStringLiteral("long"),
        QJsonObject { { QStringLiteral("reply_tokens"), replyTokens },
            { QStringLiteral("tokens_per_second"), tokensPerSecond } }));
    ws.insert(QStringLiteral("agents"), agents);
    return QJsonDocument(ws).toJson();
}

// Starts one instance on `dbUri` (the workspace file and tokens in `dir`).
inline bool startInstance(ServerProcess &server, const QString &dir, const QString &dbUri,
    const QString &name, QString *error, const QStringList &extra = {}, int replyTokens = 3000,
    int tokensPerSecond = 500)
{
    const QString ws = testsupport::writeFile(
        dir, QStringLiteral("cluster.agents.json"), workspaceWithLongAgent(replyTokens, tokensPerSecond));
    const QString tokens = testsupport::writeFile(dir, QStringLiteral("tokens.json"), tokensFile());
    QStringList args { QStringLiteral("--workspace"), ws, QStringLiteral("--db"), dbUri,
        QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--tokens"), tokens,
        QStringLiteral("--instance"), name, QStringLiteral("--heartbeat"), QStringLiteral("100"),
        QStringLiteral("--lease"), QStringLiteral("600") };
    args += extra;
    return server.startRaw(args, error);
}

inline QString startAgent(QNetworkAccessManager &nam, const ServerProcess &server, const QString &agent,
    const QString &text = QStringLiteral("hello"))
{
    QUrl u = server.url;
    u.setPath(QStringLiteral("/api/agents/%1/test").arg(agent));
    const HttpResult r = http(nam, "POST", u, kAlphaToken,
        QJsonDocument(
            QJsonObject { { QStringLiteral("inputs"), QJsonObject { { QStringLiteral("text"), text } } } })
            .toJson());
    if (r.status != 202)
        qWarning() << "start failed" << r.status << r.body;
    return r.json.value(QLatin1String("execution_id")).toString();
}

inline HttpResult call(
    QNetworkAccessManager &nam, const ServerProcess &server, const QByteArray &verb, const QString &path)
{
    QUrl u = server.url;
    u.setPath(path);
    return http(nam, verb, u, kAlphaToken);
}

} // namespace clusterfixture
