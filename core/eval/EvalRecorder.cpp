#include "core/eval/EvalRecorder.h"

// Placeholder so the foundation links; implemented by the store and cache part.
struct EvalRecorder::Private
{
    QString path;
};

EvalRecorder::EvalRecorder(const QString &dbPath, QObject *parent)
    : QObject(parent)
    , d(new Private { dbPath })
{
}

EvalRecorder::~EvalRecorder()
{
    delete d;
}

QString EvalRecorder::path() const
{
    return d->path;
}

void EvalRecorder::beginRun(const EvalRunRecord &)
{
}
void EvalRecorder::recordResult(const EvalResultRecord &)
{
}
void EvalRecorder::finishRun(const EvalRunRecord &)
{
}

void EvalRecorder::listRuns(const StoreScope &, int, const QString &, QObject *, RunsCallback callback)
{
    callback({}, QStringLiteral("eval records: not implemented"));
}

void EvalRecorder::loadRun(
    const StoreScope &, const QString &, const QString &, QObject *, RunCallback callback)
{
    callback({}, {}, QStringLiteral("eval records: not implemented"));
}

void EvalRecorder::flush()
{
}
