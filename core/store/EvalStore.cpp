#include "core/store/ExecutionStore.h"

// Eval runs and results in the history database (docs/evaluations.md, "Records").
// Placeholder so the foundation links; implemented by the store and cache part.
namespace {
Failure notYet()
{
    return Failure { QStringLiteral("eval store: not implemented") };
}
} // namespace

Result<void> ExecutionStore::insertEvalRun(const EvalRunRecord &)
{
    return notYet();
}
Result<void> ExecutionStore::updateEvalRun(const EvalRunRecord &)
{
    return notYet();
}
Result<void> ExecutionStore::upsertEvalResult(const EvalResultRecord &)
{
    return notYet();
}
Result<QList<EvalRunRecord>> ExecutionStore::evalRuns(const StoreScope &, int, const QString &) const
{
    return notYet();
}
Result<EvalRunRecord> ExecutionStore::evalRun(const StoreScope &, const QString &) const
{
    return notYet();
}
Result<QList<EvalResultRecord>> ExecutionStore::evalResults(const QString &) const
{
    return notYet();
}
