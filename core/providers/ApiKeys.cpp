#include "core/providers/ApiKeys.h"

#include <QUrl>

QString apiKeyVariable(const ProviderConfig &provider)
{
    if (!provider.apiKeyEnv.trimmed().isEmpty())
        return provider.apiKeyEnv.trimmed();
    if (provider.kind == u"anthropic")
        return QStringLiteral("ANTHROPIC_API_KEY");
    if (provider.kind == u"openai") {
        const QString base = provider.baseUrl.trimmed();
        if (base.isEmpty() || QUrl(base).host().endsWith(QLatin1String("api.openai.com")))
            return QStringLiteral("OPENAI_API_KEY");
    }
    return {};
}

QString resolveApiKey(const ProviderConfig &provider, QString *error)
{
    const QString variable = apiKeyVariable(provider);
    if (variable.isEmpty())
        return {};
    const QString key = qEnvironmentVariable(variable.toLocal8Bit().constData()).trimmed();
    if (key.isEmpty() && error) {
        const QString who = provider.kind.isEmpty() ? provider.id : provider.kind;
        *error = QStringLiteral("%1: no API key: set %2").arg(who, variable);
    }
    return key;
}
