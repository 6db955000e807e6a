#include "core/eval/Reports.h"

// Placeholder so the foundation links; implemented by the runner part.
namespace evalreport {

QByteArray junit(const EvalRunRecord &, const QList<EvalResultRecord> &)
{
    return {};
}

QByteArray csv(const EvalRunRecord &, const QList<EvalResultRecord> &)
{
    return {};
}

QJsonObject json(
    const EvalRunRecord &, const QList<EvalResultRecord> &, const std::optional<EvalComparison> &)
{
    return {};
}

QJsonObject resultEvent(const EvalResultRecord &result)
{
    return result.toJson();
}

QJsonObject summaryEvent(const EvalRunRecord &run, const std::optional<EvalComparison> &)
{
    return run.toJson();
}

QString textTable(
    const EvalRunRecord &, const QList<EvalResultRecord> &, const std::optional<EvalComparison> &)
{
    return {};
}

QString progressLine(const EvalProgress &)
{
    return {};
}

} // namespace evalreport
