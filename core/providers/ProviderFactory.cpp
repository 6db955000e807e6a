#include "core/providers/LlmCall.h"

// Each provider kind has its own file; they are declared here rather than in headers because
// nothing but this factory creates them.
LlmCall *createScriptedCall(const LlmRequest &request, QObject *parent);

LlmCall *createLlmCall(const LlmRequest &request, QNetworkAccessManager *network, QObject *parent,
                       QString *error)
{
    Q_UNUSED(network);
    const QString &kind = request.provider.kind;
    if (kind == QLatin1String("scripted"))
        return createScriptedCall(request, parent);
    if (error)
        *error = QStringLiteral("provider '%1': unknown kind '%2'").arg(request.provider.id, kind);
    return nullptr;
}
