#include "core/eval/Promptfoo.h"

// Placeholder so the foundation links; implemented by the promptfoo part.
namespace promptfoo {

Result<Dataset> import(const QString &, const Workspace &, QList<DatasetProblem> *, PromptfooHints *)
{
    return Failure { QStringLiteral("promptfoo: not implemented") };
}

Result<QJsonObject> toDatasetJson(
    const QByteArray &, const QString &, QList<DatasetProblem> *, PromptfooHints *)
{
    return Failure { QStringLiteral("promptfoo: not implemented") };
}

} // namespace promptfoo
