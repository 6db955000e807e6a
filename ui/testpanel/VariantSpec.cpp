#include "ui/testpanel/VariantSpec.h"

#include <QCoreApplication>

VariantSpec VariantSpec::fromAgent(const AgentSpec &agent, const QString &name)
{
    VariantSpec v;
    v.name = name;
    v.instructions = agent.instructions;
    v.provider = agent.model.provider;
    v.model = agent.model.name;
    v.temperature = agent.model.temperature;
    v.maxTokens = agent.model.maxTokens;
    return v;
}

QJsonObject VariantSpec::overridesFor(const AgentSpec &agent) const
{
    QJsonObject patch;
    if (instructions != agent.instructions)
        patch.insert(QStringLiteral("instructions"), instructions);
    const bool modelChanged = provider != agent.model.provider || model != agent.model.name
        || (temperature && temperature != agent.model.temperature)
        || (maxTokens && maxTokens != agent.model.maxTokens);
    if (modelChanged) {
        QJsonObject m { { QStringLiteral("provider"), provider }, { QStringLiteral("name"), model } };
        if (temperature)
            m.insert(QStringLiteral("temperature"), *temperature);
        if (maxTokens)
            m.insert(QStringLiteral("max_tokens"), *maxTokens);
        patch.insert(QStringLiteral("model"), m);
    }
    if (patch.isEmpty())
        return {};
    return QJsonObject { { agent.id, patch } };
}

AgentSpec VariantSpec::appliedTo(const AgentSpec &agent) const
{
    AgentSpec a = agent;
    a.instructions = instructions;
    a.model.provider = provider;
    a.model.name = model;
    if (temperature)
        a.model.temperature = temperature;
    if (maxTokens)
        a.model.maxTokens = maxTokens;
    return a;
}

Result<Workspace> VariantSpec::keptIn(const Workspace &workspace, const QString &agentId) const
{
    Workspace ws = workspace;
    AgentSpec *agent = ws.agent(agentId);
    if (!agent)
        return Failure {
            QCoreApplication::translate("VariantSpec", "agent %1: not in the workspace").arg(agentId)
        };
    *agent = appliedTo(*agent);
    const QList<ValidationProblem> problems = problemsOwnedBy(ws.validate(), { agentId }, QString());
    if (!problems.isEmpty())
        return Failure { toStrings(problems).join(QLatin1Char('\n')) };
    return ws;
}

QString VariantSpec::summary() const
{
    QStringList parts { provider, model };
    if (temperature)
        parts << QCoreApplication::translate("VariantSpec", "temperature %1").arg(*temperature);
    if (maxTokens)
        parts << QCoreApplication::translate("VariantSpec", "max %1 tokens").arg(*maxTokens);
    return parts.join(QStringLiteral(" · "));
}
