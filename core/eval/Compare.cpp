#include "core/eval/Compare.h"

// Placeholder so the foundation links; implemented by the datasets and assertions part.
QString toWire(EvalCaseDelta::Change c)
{
    static const char *const names[] = { "same", "newly_failing", "newly_passing", "added", "removed" };
    return QString::fromLatin1(names[int(c)]);
}

namespace eval {
EvalComparison compareRuns(const EvalRunRecord &baseline, const QList<EvalResultRecord> &,
    const EvalRunRecord &current, const QList<EvalResultRecord> &)
{
    EvalComparison c;
    c.baselineId = baseline.id;
    c.currentId = current.id;
    return c;
}

QJsonObject toJson(const EvalComparison &)
{
    return {};
}
} // namespace eval
