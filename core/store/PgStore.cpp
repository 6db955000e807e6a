#include "core/store/PgStore.h"

#include <QUrl>

// Placeholder: the PostgreSQL store is being built (docs/postgres-store.md). Every call fails
// with a clear message so nothing is silently lost.

struct PgStore::Private
{
    QString uri;
};

namespace {
Failure notBuilt()
{
    return Failure { QStringLiteral("PostgreSQL store: not available in this build") };
}
} // namespace

PgStore::PgStore(QString uri)
    : d(std::make_unique<Private>())
{
    d->uri = std::move(uri);
}

PgStore::~PgStore() = default;

bool PgStore::isUri(const QString &path)
{
    return path.startsWith(QLatin1String("postgresql://")) || path.startsWith(QLatin1String("postgres://"));
}

QString PgStore::redactedUri(const QString &uri)
{
    QUrl u(uri);
    u.setPassword(QString());
    return u.toString();
}

Result<void> PgStore::open(int *)
{
    return notBuilt();
}
bool PgStore::isOpen() const
{
    return false;
}
void PgStore::close()
{
}
Result<void> PgStore::insertExecution(const ExecutionRecord &)
{
    return notBuilt();
}
Result<void> PgStore::updateExecution(const ExecutionRecord &)
{
    return notBuilt();
}
Result<void> PgStore::insertStep(const StepRecord &)
{
    return notBuilt();
}
Result<void> PgStore::updateStep(const StepRecord &)
{
    return notBuilt();
}
Result<void> PgStore::begin()
{
    return notBuilt();
}
Result<void> PgStore::commit()
{
    return notBuilt();
}
Result<void> PgStore::rollback()
{
    return notBuilt();
}
Result<ExecutionRecord> PgStore::execution(const StoreScope &, const QString &, bool) const
{
    return notBuilt();
}
Result<HistoryPage> PgStore::query(const StoreScope &, const HistoryQuery &) const
{
    return notBuilt();
}
Result<qint64> PgStore::count(const StoreScope &, const HistoryQuery &) const
{
    return notBuilt();
}
Result<int> PgStore::remove(const StoreScope &, const QStringList &)
{
    return notBuilt();
}
Result<int> PgStore::applyRetention(const StoreScope &, int, const QDateTime &)
{
    return notBuilt();
}
Result<ExecutionRecord> PgStore::latestSuccessfulRun(const StoreScope &, const QString &) const
{
    return notBuilt();
}
Result<void> PgStore::insertEvalRun(const EvalRunRecord &)
{
    return notBuilt();
}
Result<void> PgStore::updateEvalRun(const EvalRunRecord &)
{
    return notBuilt();
}
Result<void> PgStore::upsertEvalResult(const EvalResultRecord &)
{
    return notBuilt();
}
Result<QList<EvalRunRecord>> PgStore::evalRuns(const StoreScope &, int, const QString &) const
{
    return notBuilt();
}
Result<EvalRunRecord> PgStore::evalRun(const StoreScope &, const QString &) const
{
    return notBuilt();
}
Result<QList<EvalResultRecord>> PgStore::evalResults(const QString &) const
{
    return notBuilt();
}
