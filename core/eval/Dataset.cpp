#include "core/eval/Dataset.h"

// Placeholder so the foundation links; implemented by the datasets and assertions part.
QStringList toStrings(const QList<DatasetProblem> &problems)
{
    QStringList out;
    for (const DatasetProblem &p : problems)
        out.append(p.toString());
    return out;
}

EvalTarget::Kind EvalTarget::kind() const
{
    if (!agentSpec.isEmpty())
        return Kind::Inline;
    if (!workflow.isEmpty())
        return node.isEmpty() ? Kind::Workflow : Kind::Node;
    return Kind::Agent;
}

QString EvalTarget::label() const
{
    return {};
}

QJsonObject EvalTarget::toJson() const
{
    return {};
}

bool EvalVariant::isBaseline() const
{
    return true;
}

QJsonObject EvalVariant::agentOverrides(const EvalTarget &) const
{
    return {};
}

Result<Dataset> Dataset::load(const QString &, const Workspace &, QList<DatasetProblem> *)
{
    return Failure { QStringLiteral("datasets: not implemented") };
}

Result<Dataset> Dataset::fromJson(
    const QByteArray &, const QString &, const Workspace &, QList<DatasetProblem> *)
{
    return Failure { QStringLiteral("datasets: not implemented") };
}

QJsonObject Dataset::toJson() const
{
    return raw;
}

const EvalCase *Dataset::findCase(const QString &id) const
{
    for (const EvalCase &c : cases)
        if (c.id == id)
            return &c;
    return nullptr;
}

const EvalVariant *Dataset::findVariant(const QString &name) const
{
    for (const EvalVariant &v : variants)
        if (v.name == name)
            return &v;
    return nullptr;
}

Result<QString> Dataset::appendCase(const QString &, const QJsonObject &, QJsonObject)
{
    return Failure { QStringLiteral("datasets: not implemented") };
}

namespace eval {
QJsonObject caseFromRun(const ExecutionRecord &, const Workspace &)
{
    return {};
}
QJsonObject targetOfRun(const ExecutionRecord &)
{
    return {};
}
} // namespace eval
