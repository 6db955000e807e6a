#pragma once

// Generated workspaces for engine tests and benchmarks: agents whose single `out` str output is
// the scripted provider's raw-text reply, wired into chains, diamonds and fan-outs.

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace gen {

inline QJsonObject field(const QString &name, const QString &type = QStringLiteral("str"))
{
    return QJsonObject { { QStringLiteral("name"), name }, { QStringLiteral("type"), type } };
}

// An agent on the "offline" scripted provider. `model` keys are merged into its model object
// (ttft_ms, tokens_per_second, replies, fail_with, …).
inline QJsonObject agent(const QString &id, const QStringList &inputs, const QJsonObject &model = {},
    const QJsonArray &outputs = QJsonArray { field(QStringLiteral("out")) })
{
    QJsonObject m { { QStringLiteral("provider"), QStringLiteral("offline") },
        { QStringLiteral("name"), QStringLiteral("scripted") } };
    for (auto it = model.begin(); it != model.end(); ++it)
        m.insert(it.key(), it.value());
    QJsonArray in;
    for (const QString &i : inputs)
        in.append(field(i));
    return QJsonObject {
        { QStringLiteral("id"), id },
        { QStringLiteral("name"), id },
        { QStringLiteral("version"), QStringLiteral("1") },
        { QStringLiteral("model"), m },
        { QStringLiteral("instructions"), QStringLiteral("Agent %1 for engine tests.").arg(id) },
        { QStringLiteral("signature"),
            QJsonObject { { QStringLiteral("inputs"), in }, { QStringLiteral("outputs"), outputs } } },
    };
}

inline QJsonObject edge(const QString &from, const QString &to)
{
    return QJsonObject { { QStringLiteral("from"), from }, { QStringLiteral("to"), to } };
}

inline QJsonObject node(const QString &id, const QString &agentId)
{
    return QJsonObject { { QStringLiteral("id"), id }, { QStringLiteral("agent"), agentId } };
}

inline QJsonObject orchestration(const QString &id, const QJsonArray &nodes, const QJsonArray &edges,
    const QJsonArray &outputs, const QJsonObject &pins = {})
{
    QJsonObject o { { QStringLiteral("id"), id }, { QStringLiteral("name"), id },
        { QStringLiteral("version"), QStringLiteral("1") },
        { QStringLiteral("inputs"), QJsonArray { field(QStringLiteral("topic")) } },
        { QStringLiteral("nodes"), nodes }, { QStringLiteral("edges"), edges },
        { QStringLiteral("outputs"), outputs } };
    if (!pins.isEmpty())
        o.insert(QStringLiteral("pins"), pins);
    return o;
}

inline QJsonObject output(const QString &name, const QString &from)
{
    return QJsonObject { { QStringLiteral("name"), name }, { QStringLiteral("from"), from } };
}

// topic -> n0 -> n1 -> … -> n{count-1}; output "result" from the last node. Uses agent "relay".
inline QJsonObject chain(const QString &id, int count)
{
    QJsonArray nodes, edges;
    for (int i = 0; i < count; ++i) {
        const QString n = QStringLiteral("n%1").arg(i);
        nodes.append(node(n, QStringLiteral("relay")));
        edges.append(edge(i == 0 ? QStringLiteral("input.topic") : QStringLiteral("n%1.out").arg(i - 1),
            n + QStringLiteral(".in")));
    }
    return orchestration(id, nodes, edges,
        QJsonArray { output(QStringLiteral("result"), QStringLiteral("n%1.out").arg(count - 1)) });
}

// topic -> w0 … w{count-1} in parallel (agent "relay"); with `join`, a node "join" (agent
// "join<count>") takes every branch's output; outputs: "first", "last" and "joined".
inline QJsonObject fanOut(const QString &id, int count, bool join)
{
    QJsonArray nodes, edges;
    for (int i = 0; i < count; ++i) {
        const QString n = QStringLiteral("w%1").arg(i);
        nodes.append(node(n, QStringLiteral("relay")));
        edges.append(edge(QStringLiteral("input.topic"), n + QStringLiteral(".in")));
        if (join)
            edges.append(edge(n + QStringLiteral(".out"), QStringLiteral("join.in%1").arg(i)));
    }
    QJsonArray outputs { output(QStringLiteral("first"), QStringLiteral("w0.out")),
        output(QStringLiteral("last"), QStringLiteral("w%1.out").arg(count - 1)) };
    if (join) {
        nodes.append(node(QStringLiteral("join"), QStringLiteral("join%1").arg(count)));
        outputs.append(output(QStringLiteral("joined"), QStringLiteral("join.out")));
    }
    return orchestration(id, nodes, edges, outputs);
}

inline QStringList inputNames(const QString &prefix, int count)
{
    QStringList names;
    for (int i = 0; i < count; ++i)
        names << prefix + QString::number(i);
    return names;
}

// The whole workspace file. The "offline" provider carries `providerDefaults`
// (default: zero latency: ttft_ms 0, tokens_per_second 0).
inline QByteArray workspace(const QJsonArray &agents, const QJsonArray &orchestrations,
    const QJsonObject &providerDefaults
    = QJsonObject { { QStringLiteral("ttft_ms"), 0 }, { QStringLiteral("tokens_per_second"), 0 } })
{
    QJsonObject offline { { QStringLiteral("kind"), QStringLiteral("scripted") } };
    for (auto it = providerDefaults.begin(); it != providerDefaults.end(); ++it)
        offline.insert(it.key(), it.value());
    QJsonObject root { { QStringLiteral("format"), QStringLiteral("agentstudio/1") },
        { QStringLiteral("organization_id"), QStringLiteral("local") },
        { QStringLiteral("workspace_id"), QStringLiteral("generated") },
        { QStringLiteral("providers"), QJsonObject { { QStringLiteral("offline"), offline } } },
        { QStringLiteral("agents"), agents }, { QStringLiteral("orchestrations"), orchestrations } };
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

} // namespace gen
