#include "core/eval/Assertions.h"

// Placeholder so the foundation links; implemented by the datasets and assertions part.
CaseObservation CaseObservation::fromRecord(const ExecutionRecord &record, const QList<FieldSpec> &)
{
    CaseObservation o;
    o.executionId = record.id;
    return o;
}

namespace eval {

const QStringList &assertionTypes()
{
    static const QStringList types;
    return types;
}

bool isJudge(const EvalAssertion &a)
{
    return a.type == QLatin1String("judge");
}

EvalAssertion parseAssertion(
    const QJsonObject &o, const QString &path, const QList<FieldSpec> *, QList<DatasetProblem> *)
{
    EvalAssertion a;
    a.type = o.value(QLatin1String("type")).toString();
    a.spec = o;
    a.path = path;
    return a;
}

AssertionOutcome evaluate(const EvalAssertion &a, const CaseObservation &, int index)
{
    AssertionOutcome out;
    out.index = index;
    out.type = a.type;
    out.error = QStringLiteral("not implemented");
    out.errorKind = QStringLiteral("invalid");
    return out;
}

CaseVerdict verdict(const QList<AssertionOutcome> &, std::optional<double>)
{
    return {};
}

double trajectoryF1InOrder(const QStringList &, const QStringList &)
{
    return 0;
}

double trajectoryF1AnyOrder(const QStringList &, const QStringList &)
{
    return 0;
}

} // namespace eval
