#include "core/engine/RunWorkspace.h"

#include <QHash>
#include <QJsonDocument>

namespace runworkspace {

namespace {

const QStringList &overrideKeys()
{
    static const QStringList keys
        = { QStringLiteral("instructions"), QStringLiteral("prompt"), QStringLiteral("model") };
    return keys;
}

bool isCount(const QJsonValue &v, int min)
{
    return v.isDouble() && v.toDouble() >= min && v.toDouble() == double(qint64(v.toDouble()));
}

// Why the model part of one override does not fit, naming `path` ("agent_overrides.critic.model").
QString modelProblem(const QString &path, const QJsonValue &v, const QJsonObject &providers)
{
    if (!v.isObject())
        return path + QStringLiteral(": expected an object (a partial model)");
    const QJsonObject m = v.toObject();
    for (auto it = m.begin(); it != m.end(); ++it) {
        const QString at = path + QLatin1Char('.') + it.key();
        if (!modelKeys().contains(it.key()))
            return at
                + QStringLiteral(": unknown key (expected %1)").arg(modelKeys().join(QStringLiteral(", ")));
        const QJsonValue x = it.value();
        if (it.key() == u"provider") {
            if (!x.isString())
                return at + QStringLiteral(": expected a string");
            if (!providers.contains(x.toString()))
                return at + QStringLiteral(": unknown provider '%1'").arg(x.toString());
        } else if (it.key() == u"name" || it.key() == u"fail_with") {
            if (!x.isString())
                return at + QStringLiteral(": expected a string");
        } else if (it.key() == u"temperature" || it.key() == u"tokens_per_second") {
            if (!x.isDouble() || x.toDouble() < 0)
                return at + QStringLiteral(": expected a number >= 0");
        } else if (it.key() == u"max_tokens") {
            if (!isCount(x, 1))
                return at + QStringLiteral(": expected an integer >= 1");
        } else if (it.key() == u"replies") {
            if (!x.isArray())
                return at + QStringLiteral(": expected a list");
        } else if (it.key() != u"fail_after_tokens" && !isCount(x, 0)) {
            return at + QStringLiteral(": expected an integer >= 0");
        }
    }
    return {};
}

// Why one agent_overrides entry does not fit; "" when it does.
QString overrideProblem(const QString &path, const QJsonValue &v, const QJsonObject &providers)
{
    if (!v.isObject())
        return path + QStringLiteral(": expected an object with instructions, prompt or model");
    const QJsonObject o = v.toObject();
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QString at = path + QLatin1Char('.') + it.key();
        if (!overrideKeys().contains(it.key()))
            return at + QStringLiteral(": unknown key (expected instructions, prompt or model)");
        if (it.key() == u"model") {
            if (const QString why = modelProblem(at, it.value(), providers); !why.isEmpty())
                return why;
        } else if (!it.value().isString()) {
            return at + QStringLiteral(": expected a string");
        }
    }
    return {};
}

// The agent object with the override applied: instructions and prompt replaced, the model
// merged key by key.
QJsonObject applyOverride(QJsonObject agent, const QJsonObject &ov)
{
    for (const char *key : { "instructions", "prompt" })
        if (ov.contains(QLatin1String(key)))
            agent.insert(QLatin1String(key), ov.value(QLatin1String(key)));
    if (ov.contains(QLatin1String("model"))) {
        QJsonObject m = agent.value(QLatin1String("model")).toObject();
        const QJsonObject part = ov.value(QLatin1String("model")).toObject();
        for (auto it = part.begin(); it != part.end(); ++it)
            m.insert(it.key(), it.value());
        agent.insert(QStringLiteral("model"), m);
    }
    return agent;
}

QJsonObject agentJson(const QJsonArray &agents, const QString &id)
{
    for (const QJsonValue &a : agents)
        if (a.toObject().value(QLatin1String("id")).toString() == id)
            return a.toObject();
    return {};
}

// Parses the changed agents with the run's providers and the workspace's tool sources (and
// nothing else, so problems elsewhere in the workspace do not stop this run). A problem of
// agent i is reported under labels[i] instead of "agents[i]".
QString parseAgents(QJsonObject root, const QJsonObject &providers, const QList<QJsonObject> &agents,
    const QStringList &labels, Workspace *parsed)
{
    QJsonArray list;
    for (const QJsonObject &a : agents)
        list.append(a);
    root.insert(QStringLiteral("providers"), providers);
    root.insert(QStringLiteral("agents"), list);
    root.insert(QStringLiteral("orchestrations"), QJsonArray());
    QStringList problems;
    Result<Workspace> ws = Workspace::fromJson(QJsonDocument(root).toJson(QJsonDocument::Compact), &problems);
    if (ws.ok()) {
        *parsed = ws.take();
        return {};
    }
    for (QString &p : problems) {
        for (qsizetype i = labels.size() - 1; i >= 0; --i) {
            const QString prefix = QStringLiteral("agents[%1]").arg(i);
            if (p.startsWith(prefix)) {
                p = labels.at(i) + p.mid(prefix.size());
                break;
            }
        }
    }
    return problems.join(QStringLiteral("; "));
}

// Adds the request's extra provider entries ({"id", "kind", …}) to `providers`.
QString addProviders(const QJsonArray &extra, QJsonObject *providers)
{
    for (qsizetype i = 0; i < extra.size(); ++i) {
        const QString at = QStringLiteral("providers[%1]").arg(i);
        QJsonObject p = extra.at(i).toObject();
        const QString id = p.value(QLatin1String("id")).toString();
        if (!extra.at(i).isObject() || id.isEmpty())
            return at + QStringLiteral(".id: expected the provider's id (a non-empty string)");
        if (providers->contains(id))
            return at + QStringLiteral(".id: the workspace has a provider '%1' already").arg(id);
        p.remove(QStringLiteral("id"));
        providers->insert(id, p);
    }
    return {};
}

} // namespace

const QStringList &modelKeys()
{
    static const QStringList keys
        = { QStringLiteral("provider"), QStringLiteral("name"), QStringLiteral("temperature"),
              QStringLiteral("max_tokens"), QStringLiteral("tokens_per_second"), QStringLiteral("ttft_ms"),
              QStringLiteral("replies"), QStringLiteral("fail_with"), QStringLiteral("fail_after_tokens"),
              QStringLiteral("fail_attempts"), QStringLiteral("reply_tokens") };
    return keys;
}

bool changesWorkspace(const ExecutionRequest &r)
{
    return !r.agentOverrides.isEmpty() || !r.agentSpec.isEmpty() || !r.providers.isEmpty();
}

QString build(const Workspace &base, ExecutionRequest *req, Workspace *out)
{
    const QJsonObject root = base.toJson();
    const QJsonArray baseAgents = root.value(QLatin1String("agents")).toArray();
    QJsonObject providers = root.value(QLatin1String("providers")).toObject();
    if (const QString why = addProviders(req->providers, &providers); !why.isEmpty())
        return why;

    QList<QJsonObject> agents; // the changed agents, in workspace format
    QStringList labels; // where each came from, for problems
    QHash<QString, QString> retarget; // node id -> the id of its own copy of a shared agent
    if (!req->agentSpec.isEmpty()) {
        if (!req->orchestrationId.isEmpty())
            return QStringLiteral("agent_spec: only an agent run takes an inline agent");
        const QString id = req->agentSpec.value(QLatin1String("id")).toString();
        if (id.isEmpty())
            return QStringLiteral("agent_spec.id: expected the agent's id (a non-empty string)");
        if (!req->agentId.isEmpty() && req->agentId != id)
            return QStringLiteral("agent_spec.id: '%1' is not the request's agent_id '%2'")
                .arg(id, req->agentId);
        req->agentId = id;
        agents << req->agentSpec;
        labels << QStringLiteral("agent_spec");
    }
    const OrchestrationSpec *orch = base.orchestration(req->orchestrationId);
    if (!req->orchestrationId.isEmpty() && !orch)
        return QStringLiteral("unknown orchestration '%1'").arg(req->orchestrationId);
    for (auto it = req->agentOverrides.begin(); it != req->agentOverrides.end(); ++it) {
        const QString at = QStringLiteral("agent_overrides.") + it.key();
        if (const QString why = overrideProblem(at, it.value(), providers); !why.isEmpty())
            return why;
        const QJsonObject ov = it.value().toObject();
        if (!orch) {
            if (it.key() != req->agentId)
                return at
                    + QStringLiteral(": unknown agent '%1' (this run's agent is '%2')")
                          .arg(it.key(), req->agentId);
            if (!req->agentSpec.isEmpty()) {
                agents[0] = applyOverride(agents[0], ov);
                continue;
            }
            const QJsonObject a = agentJson(baseAgents, it.key());
            if (a.isEmpty())
                return QStringLiteral("unknown agent '%1'").arg(it.key());
            agents << applyOverride(a, ov);
            labels << at;
            continue;
        }
        const NodeSpec *node = orch->node(it.key());
        if (!node)
            return at + QStringLiteral(": unknown node '%1' in orchestration '%2'").arg(it.key(), orch->id);
        QJsonObject a = agentJson(baseAgents, node->agent);
        if (a.isEmpty())
            return at + QStringLiteral(": node '%1' names unknown agent '%2'").arg(node->id, node->agent);
        a = applyOverride(a, ov);
        // Another node of the run uses the same agent: this node gets a copy of its own.
        for (const NodeSpec &other : orch->nodes) {
            if (other.id != node->id && other.agent == node->agent) {
                // A fresh id (letters, digits, '_' and '-' only): "<agent>--<node>[-N]".
                QString copy = node->agent + QStringLiteral("--") + node->id;
                for (int n = 2; base.agent(copy); ++n)
                    copy = node->agent + QStringLiteral("--") + node->id + QStringLiteral("-%1").arg(n);
                a.insert(QStringLiteral("id"), copy);
                retarget.insert(node->id, copy);
                break;
            }
        }
        agents << a;
        labels << at;
    }

    Workspace parsed;
    if (const QString why = parseAgents(root, providers, agents, labels, &parsed); !why.isEmpty())
        return why;
    *out = base;
    out->providers = parsed.providers;
    for (const AgentSpec &a : std::as_const(parsed.agents)) {
        if (AgentSpec *existing = out->agent(a.id))
            *existing = a;
        else
            out->agents.append(a);
    }
    if (OrchestrationSpec *o = out->orchestration(req->orchestrationId)) {
        for (NodeSpec &n : o->nodes) {
            if (const QString copy = retarget.value(n.id); !copy.isEmpty()) {
                n.agent = copy;
                n.raw.insert(QStringLiteral("agent"), copy);
            }
        }
    }
    return {};
}

} // namespace runworkspace
