#pragma once

#include "core/api/EvalTypes.h"
#include "core/api/ExecutionRecord.h"
#include "core/eval/Dataset.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

#include <optional>

// Evaluating assertions (docs/evaluations.md, "Assertions"): what one case run did, and the
// verdict of each deterministic assertion on it. Judges run elsewhere (core/eval/Judge.h); here
// they are only checked for shape.

// One tool call the run made (a `tool` step), in the order (turn, emission within the turn).
struct ObservedToolCall
{
    QString name; // the tool name as offered to the model
    QString source; // the tool source id
    QJsonObject args;
    bool ok = true; // the tool step completed without an error result
    int turn = 0;
};

// What a case run produced, taken from its execution record (with steps).
struct CaseObservation
{
    QString executionId;
    QString status; // execution status (wire): completed, failed, …
    QString errorMessage;
    QString errorCode;
    QJsonObject output; // the parsed output (output_data)
    // The output as text: a single `str` output field's text, else the compact JSON of output.
    QString outputText;
    qint64 latencyMs = -1;
    qint64 tokens = 0; // input + output
    std::optional<double> costUsd;
    QList<ObservedToolCall> toolCalls;
    bool cached = false;

    // From a record fetched with its steps. `outputSignature` (the target's outputs) decides
    // what outputText is.
    static CaseObservation fromRecord(
        const ExecutionRecord &record, const QList<FieldSpec> &outputSignature = {});
};

namespace eval {

// The types this build knows (for validation messages).
const QStringList &assertionTypes();
bool isJudge(const EvalAssertion &a);

// Reads one assertion object at `path`; problems (missing or ill-typed keys, unknown type,
// invalid regex or schema) go to *problems with paths below `path`. `outputs`, when given, is
// the target's output signature: a `field` it lacks is a problem.
EvalAssertion parseAssertion(const QJsonObject &o, const QString &path, const QList<FieldSpec> *outputs,
    QList<DatasetProblem> *problems);

// The verdict of a deterministic assertion (every type but judge) on one run. Never throws;
// an assertion that cannot be evaluated has `error` set (errorKind "invalid").
AssertionOutcome evaluate(const EvalAssertion &a, const CaseObservation &obs, int index = 0);

// Case verdict from its assertion outcomes: error if any assertion errored; with a threshold,
// pass iff the weighted score >= threshold; without, pass iff all passed. Weight 0 does not
// move the score. The score is the weighted mean (1 when there is no weighted assertion).
struct CaseVerdict
{
    EvalOutcome outcome = EvalOutcome::Pass;
    double score = 1;
    QString errorKind;
    QString error;
};
CaseVerdict verdict(const QList<AssertionOutcome> &outcomes, std::optional<double> threshold);

// Trajectory scores (exposed for tests): F1 over the LCS (in_order) or the multiset
// intersection (any_order) of expected and actual tool names; both empty -> 1.
double trajectoryF1InOrder(const QStringList &expected, const QStringList &actual);
double trajectoryF1AnyOrder(const QStringList &expected, const QStringList &actual);

} // namespace eval
