#include "core/providers/CredentialPolicy.h"

#include <QHash>
#include <QSet>

namespace {

// Replaced only by tests (setOfficialOriginForTesting), before any run starts.
QHash<QString, QUrl> &testOrigins()
{
    static QHash<QString, QUrl> origins;
    return origins;
}

QString hostOf(const QUrl &url)
{
    const QString host = url.host().toLower();
    const int port = url.port();
    const bool defaultPort
        = port < 0 || (url.scheme() == u"https" && port == 443) || (url.scheme() == u"http" && port == 80);
    return defaultPort ? host : host + u':' + QString::number(port);
}

} // namespace

namespace credentials {

QString defaultVariable(const QString &kind)
{
    if (kind == u"openai")
        return QStringLiteral("OPENAI_API_KEY");
    if (kind == u"anthropic")
        return QStringLiteral("ANTHROPIC_API_KEY");
    return {};
}

QUrl officialOrigin(const QString &kind)
{
    if (const auto it = testOrigins().constFind(kind); it != testOrigins().cend())
        return *it;
    if (kind == u"openai")
        return QUrl(QStringLiteral("https://api.openai.com"));
    if (kind == u"anthropic")
        return QUrl(QStringLiteral("https://api.anthropic.com"));
    return {};
}

QUrl effectiveBaseUrl(const ProviderConfig &provider)
{
    const QString base = provider.baseUrl.trimmed();
    if (!base.isEmpty())
        return QUrl(base);
    // The same fallbacks as the calls themselves (OpenAiCall, AnthropicCall, OllamaCall).
    if (provider.kind == u"openai")
        return QUrl(QStringLiteral("https://api.openai.com/v1"));
    if (provider.kind == u"anthropic")
        return QUrl(QStringLiteral("https://api.anthropic.com"));
    if (provider.kind == u"ollama")
        return QUrl(QStringLiteral("http://127.0.0.1:11434"));
    return {};
}

QString originOf(const QUrl &url)
{
    if (!url.isValid() || url.host().isEmpty())
        return url.toString(QUrl::RemoveUserInfo);
    return url.scheme().toLower() + QStringLiteral("://") + hostOf(url);
}

bool isOfficialOrigin(const QString &kind, const QUrl &url)
{
    const QUrl official = officialOrigin(kind);
    // Exact origin: scheme, host and port (a look-alike host or plain http is not official).
    return official.isValid() && url.isValid() && !url.host().isEmpty()
        && originOf(url) == originOf(official);
}

KeyPlan planFor(const ProviderConfig &provider)
{
    KeyPlan plan;
    if (provider.kind == u"scripted")
        return plan; // in-process: nothing is ever sent
    const QUrl base = effectiveBaseUrl(provider);
    const QString named = provider.apiKeyEnv.trimmed();
    const QString implicit = defaultVariable(provider.kind);
    const bool official = isOfficialOrigin(provider.kind, base);

    if (named.isEmpty()) {
        // Only the official origin gets an implicit key; anything else (a local compatible
        // server, Ollama, a proxy) runs keyless.
        if (!official || implicit.isEmpty())
            return plan;
        plan.variable = implicit;
    } else {
        plan.variable = named;
    }
    plan.keychainAllowed = official;
    plan.use.providerId = provider.id;
    plan.use.kind = provider.kind;
    plan.use.host = hostOf(base);
    plan.use.origin = originOf(base);
    plan.use.variable = plan.variable;
    if (!official) {
        plan.needsTrust = true;
        const QUrl o = officialOrigin(provider.kind);
        plan.use.reason = o.isValid() ? QStringLiteral("not the official host %1").arg(hostOf(o))
                                      : QStringLiteral("%1 has no official host").arg(provider.kind);
    } else if (plan.variable != implicit) {
        plan.needsTrust = true;
        plan.use.reason = QStringLiteral("not %1's default variable %2").arg(provider.kind, implicit);
    }
    return plan;
}

QStringList agentsOfRun(
    const Workspace &workspace, const QString &agentId, const QString &orchestrationId, const QString &nodeId)
{
    if (!agentId.isEmpty())
        return { agentId };
    QStringList agents;
    if (const OrchestrationSpec *o = workspace.orchestration(orchestrationId))
        for (const NodeSpec &n : o->nodes)
            if ((nodeId.isEmpty() || n.id == nodeId) && !agents.contains(n.agent))
                agents.append(n.agent);
    return agents;
}

QList<CredentialUse> usesNeedingTrust(const Workspace &workspace, const QStringList &agentIds)
{
    QSet<QString> providers;
    for (const QString &id : agentIds)
        if (const AgentSpec *a = workspace.agent(id))
            providers.insert(a->model.provider);
    QList<CredentialUse> uses;
    for (const ProviderConfig &p : workspace.providers) {
        if (!agentIds.isEmpty() && !providers.contains(p.id))
            continue;
        const KeyPlan plan = planFor(p);
        if (plan.needsTrust)
            uses.append(plan.use);
    }
    return uses;
}

std::optional<CredentialUse> toolSourceUse(const ToolSourceSpec &spec)
{
    if (spec.kind != QLatin1String("mcp") || spec.url.isEmpty() || spec.bearerTokenEnv.isEmpty())
        return std::nullopt;
    CredentialUse use;
    use.providerId = spec.id;
    use.kind = spec.kind;
    use.origin = originOf(QUrl(spec.url));
    use.host = use.origin.mid(use.origin.indexOf(QStringLiteral("://")) + 3);
    use.variable = spec.bearerTokenEnv;
    use.reason = QStringLiteral("an MCP server's bearer token goes only to a trusted workspace's servers");
    return use;
}

QList<CredentialUse> toolSourceUses(const Workspace &workspace, const QStringList &sourceIds)
{
    QList<CredentialUse> out;
    for (const ToolSourceSpec &t : workspace.tools)
        if (sourceIds.isEmpty() || sourceIds.contains(t.id))
            if (const std::optional<CredentialUse> use = toolSourceUse(t))
                out.append(*use);
    return out;
}

QList<CredentialUse> allUsesNeedingTrust(const Workspace &workspace)
{
    return usesNeedingTrust(workspace) + toolSourceUses(workspace);
}

QString untrustedMessage(const CredentialUse &use)
{
    return QStringLiteral("provider '%1' (%2) would send %3 to host %4 (%5); this workspace is not trusted")
        .arg(use.providerId, use.kind, use.variable, use.host, use.reason);
}

void setOfficialOriginForTesting(const QString &kind, const QUrl &origin)
{
    if (origin.isValid())
        testOrigins().insert(kind, origin);
    else
        testOrigins().remove(kind);
}

} // namespace credentials
