#include "core/providers/ApiKeys.h"

QString apiKeyVariable(const ProviderConfig &provider)
{
    return credentials::planFor(provider).variable;
}

QString resolveApiKey(const ProviderConfig &provider, const CredentialTrust &trust, QString *error)
{
    const KeyPlan plan = credentials::planFor(provider);
    if (plan.variable.isEmpty())
        return {};
    if (plan.needsTrust && !trust.allows(plan.use)) {
        if (error)
            *error = credentials::untrustedMessage(plan.use);
        return {};
    }
    const QString key = qEnvironmentVariable(plan.variable.toLocal8Bit().constData()).trimmed();
    if (key.isEmpty() && error) {
        const QString who = provider.kind.isEmpty() ? provider.id : provider.kind;
        *error = QStringLiteral("%1: no API key: set %2").arg(who, plan.variable);
    }
    return key;
}
