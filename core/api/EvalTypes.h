#pragma once

#include "core/api/ResponseCache.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

// The records of evaluations (docs/evaluations.md): one eval run (a dataset run once over its
// cases × variants × repeats) and its results, as the store keeps them (eval_runs /
// eval_results), the runner prints them and the app shows them. JSON forms use the column names.

// pass: every assertion held (or the score reached the case threshold); fail: an assertion said
// no; error: the case could not be judged (provider unreachable, cache miss, judge reply
// unparseable, invalid assertion); skipped: not run (cancelled before it started).
enum class EvalOutcome { Pass, Fail, Error, Skipped };
// running → completed | cancelled | failed (could not run at all) | interrupted (the process
// died; set when the store is next opened).
enum class EvalRunStatus { Running, Completed, Cancelled, Failed, Interrupted };

QString toWire(EvalOutcome o); // "pass" | "fail" | "error" | "skipped"
QString toWire(EvalRunStatus s); // "running" | "completed" | "cancelled" | "failed" | "interrupted"
std::optional<EvalOutcome> evalOutcomeFromWire(QStringView text);
std::optional<EvalRunStatus> evalRunStatusFromWire(QStringView text);

// One sample of an LLM judge (its own execution).
struct JudgeSample
{
    QString executionId;
    bool parsed = false; // the reply held a verdict
    bool pass = false;
    double score = 0; // in [0, 1]
    QString reason;
    QString error; // why it did not parse / did not run
    qint64 tokens = 0;
    std::optional<double> costUsd; // unknown price: nullopt, never 0
    bool cached = false;

    QJsonObject toJson() const;
    static JudgeSample fromJson(const QJsonObject &o);
};

// The outcome of one assertion of one case run.
struct AssertionOutcome
{
    int index = 0; // position in the case's effective assertion list (defaults first)
    QString type; // "equals", "trajectory", "judge", …
    QString label; // "equals(verdict)" or the assertion's own label
    bool pass = false;
    double score = 0; // in [0, 1]; binary for deterministic types
    double weight = 1;
    QString metric; // named score, or ""
    // Readable: what was expected, what came, where. "expected \"revise\", got \"accept\" (at
    // $.verdict)"; for a pass a short confirmation.
    QString reason;
    // Non-empty: the assertion could not be evaluated (an error, not a failure; `not` never
    // flips it). errorKind: provider | timeout | cache_miss | judge | invalid.
    QString error;
    QString errorKind;
    // judge only
    QList<JudgeSample> judgeSamples;
    qint64 judgeTokens = 0;
    std::optional<double> judgeCostUsd;

    QJsonObject toJson() const;
    static AssertionOutcome fromJson(const QJsonObject &o);
};

// One case × variant × repeat (an eval_results row).
struct EvalResultRecord
{
    QString evalRunId;
    QString caseId;
    QString variant;
    int repeatIndex = 1; // 1-based
    int caseOrder = 0; // position of the case in the dataset (result order, reports)
    QString executionId; // the case's execution (execution_type test); "" when none started
    EvalOutcome outcome = EvalOutcome::Skipped;
    double score = 0;
    QString errorKind; // provider | timeout | cache_miss | judge | invalid, when outcome error
    QString error;
    QString status; // the execution's status (wire), "" when none ran
    qint64 latencyMs = -1;
    qint64 tokens = 0; // agent tokens (input + output)
    std::optional<double> costUsd; // agent cost; nullopt: unknown price
    qint64 judgeTokens = 0;
    std::optional<double> judgeCostUsd;
    bool cached = false; // a response came from the cache
    QList<AssertionOutcome> assertions;
    QJsonValue output; // the parsed output (object) or text; null when none
    QDateTime completedAt;

    QJsonObject toJson() const;
    static EvalResultRecord fromJson(const QJsonObject &o);
    // "case-id" or "case-id [r/N]" (JUnit names, reports)
    QString displayName(int repeats) const;
};

// One eval run (an eval_runs row).
struct EvalRunRecord
{
    QString id; // UUID
    QString name; // the dataset's name
    QString datasetPath;
    QString datasetSha256; // of the dataset bytes and its cases file's bytes
    QJsonObject dataset; // the dataset as run (cases inlined), for reports and "run again"
    QJsonObject target; // {"agent"} | {"workflow"[, "node"]} | {"agent_spec"}
    QStringList variants; // names, in order
    int repeat = 1;
    int concurrency = 4;
    CacheMode cacheMode = CacheMode::Off;
    EvalRunStatus status = EvalRunStatus::Running;
    QString error; // why it failed, if it did
    QString organizationId = QStringLiteral("local");
    QString workspaceId;
    QString backend; // "local" or the server URL
    QString baselineId; // the run it was compared with, if any
    QDateTime startedAt;
    QDateTime completedAt;
    int total = 0; // case runs planned (cases × variants × repeats)
    int passed = 0;
    int failed = 0;
    int errored = 0;
    int skipped = 0;
    qint64 tokens = 0;
    std::optional<double> costUsd; // agent cost; nullopt when any price was unknown
    qint64 judgeTokens = 0;
    std::optional<double> judgeCostUsd;
    qint64 wallMs = -1;

    QJsonObject toJson() const;
    static EvalRunRecord fromJson(const QJsonObject &o);
};

// Live progress of a running eval.
struct EvalProgress
{
    int total = 0;
    int done = 0;
    int passed = 0;
    int failed = 0;
    int errored = 0;
    int running = 0;
    std::optional<double> costUsd; // agent + judge so far; nullopt when a price is unknown
    qint64 elapsedMs = 0;
    qint64 etaMs = -1; // -1: not known yet
};
