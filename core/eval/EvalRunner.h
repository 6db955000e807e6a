#pragma once

#include "core/api/EvalTypes.h"
#include "core/api/ExecutionTypes.h"
#include "core/eval/Dataset.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <optional>

class ExecutionBackend;
class EvalRecorder;

// How one eval run goes (the runner's and the panel's options).
struct EvalOptions
{
    QStringList caseIds; // only these cases (empty: all)
    QStringList variants; // only these variants, by name (empty: all)
    std::optional<int> repeat; // overrides the dataset's repeat
    int concurrency = 4; // case and judge executions in flight at once
    CacheMode cacheMode = CacheMode::Off;
    QString cacheFile; // "" = the history database of the engine
    QString baselineId; // recorded with the run ("latest" is resolved by the caller)
    TriggerType triggerType = TriggerType::Cli;
    QString triggeredBy;
    QString backendLabel = QStringLiteral("local"); // "local" or the server URL, recorded
};

// Runs a dataset through an execution backend (docs/evaluations.md, "Runs"): every case ×
// variant × repeat as one execution (execution_type test) with the variant's agent_overrides,
// the case's tool_overrides and the response cache options, at most `concurrency` at once;
// then its deterministic assertions, then its judges (each judge sample an execution of its
// own, counted apart). Results go to the recorder (when given) as they come, so a crash keeps
// the finished cases.
//
// Threading: lives on the backend's thread (GUI or main) and never blocks it: it only starts
// executions, follows their events and fetches their records through the backend.
class EvalRunner : public QObject
{
    Q_OBJECT
public:
    // `recorder` may be null (--no-history): nothing is stored.
    EvalRunner(ExecutionBackend *backend, EvalRecorder *recorder, QObject *parent = nullptr);
    ~EvalRunner() override;

    // Starts at once and returns; started() follows, then resultReady()/progressChanged() as
    // cases finish, then finished() exactly once. A second start() while running is ignored.
    void start(const Dataset &dataset, const EvalOptions &options);
    // Cancels every execution in flight and skips the cases not started; finished() follows
    // with status cancelled.
    void cancel();
    bool isRunning() const;

    EvalRunRecord run() const; // the run so far
    // Results in (variant, case order, repeat) order, whatever order they finished in.
    QList<EvalResultRecord> results() const;
    EvalProgress progress() const;

signals:
    void started(const EvalRunRecord &run);
    void resultReady(const EvalResultRecord &result);
    void progressChanged(const EvalProgress &progress);
    void finished(const EvalRunRecord &run);

private:
    struct Private;
    Private *d;
};
