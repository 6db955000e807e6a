#pragma once

#include <QString>
#include <QStringList>

// `agentstudio-run eval` (docs/runner-eval.md): loads a dataset (or imports a promptfoo config),
// runs its cases × variants × repeats through the embedded engine or a workspace server with an
// EvalRunner, records the eval run in the history database (EvalRecorder), compares it with a
// baseline run when asked, and prints the report in the chosen format.
//
// Exit codes: 0 every case run passed, 1 a case run failed, errored or was skipped, 2 bad
// arguments, an invalid workspace or dataset (each problem with its JSON path), 3 the provider
// or the server could not be reached (every case run unreachable, or the server down).
//
// Threading: main thread, with a QCoreApplication; waits by running its event loop. stdout
// carries the report (unless --output), stderr the progress line and the problems.
class EvalCommand
{
public:
    enum Exit { Passed = 0, Failed = 1, BadArguments = 2, Unreachable = 3 };

    // args after "eval": {"--workspace", "w.agents.json", "--dataset", "d.eval.json", …}.
    static int exec(const QStringList &args);

    // The default response cache file of a dataset: next to it, its name without the ".json"
    // (".yaml", ".yml") extension plus ".cache.db": "evals/critic.eval.json" ->
    // "evals/critic.eval.cache.db".
    static QString defaultCacheFile(const QString &datasetPath);
};
