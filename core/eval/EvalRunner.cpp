#include "core/eval/EvalRunner.h"

#include "core/api/ExecutionBackend.h"
#include "core/eval/EvalRecorder.h"

// Placeholder so the foundation links; implemented by the eval run part.
struct EvalRunner::Private
{
    EvalRunRecord run;
    QList<EvalResultRecord> results;
    EvalProgress progress;
};

EvalRunner::EvalRunner(ExecutionBackend *, EvalRecorder *, QObject *parent)
    : QObject(parent)
    , d(new Private)
{
}

EvalRunner::~EvalRunner()
{
    delete d;
}

void EvalRunner::start(const Dataset &, const EvalOptions &)
{
}

void EvalRunner::cancel()
{
}

bool EvalRunner::isRunning() const
{
    return false;
}

EvalRunRecord EvalRunner::run() const
{
    return d->run;
}

QList<EvalResultRecord> EvalRunner::results() const
{
    return d->results;
}

EvalProgress EvalRunner::progress() const
{
    return d->progress;
}
