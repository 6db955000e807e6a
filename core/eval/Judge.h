#pragma once

#include "core/api/EvalTypes.h"
#include "core/api/ExecutionRecord.h"
#include "core/api/ExecutionRequest.h"
#include "core/eval/Dataset.h"
#include "core/model/Workspace.h"

#include <QJsonObject>
#include <QString>

#include <optional>

// LLM judges of evaluations (docs/eval-runs.md, "Judges"): a `judge` assertion is graded by a
// workspace agent or by a model of the workspace given a fixed prompt template, N times, and
// the samples are folded into one outcome by majority vote. Pure functions: the eval runner
// starts the executions and hands the records back here.

// A judge assertion with the dataset's default judge filling the keys it leaves out.
struct JudgeSpec
{
    QString rubric;
    QString agent; // a workspace agent, or
    QJsonObject model; // {"provider", "name", …} of the workspace
    int samples = 1;
    std::optional<double> threshold;
    QString templateName = QStringLiteral("rubric"); // rubric | closedqa | factuality
    QJsonValue expected; // "expected" of the assertion (else the case metadata's)

    static JudgeSpec resolve(const EvalAssertion &a, const JudgeConfig &defaults, const EvalCase &c);
    // Why it cannot run ("judge: no agent or model (set one on the assertion or the dataset's
    // judge)"), or "".
    QString problem() const;
};

// What a judge sees of one case run.
struct JudgeInput
{
    QString output; // the output as text
    QString input; // the case inputs (compact JSON, or the text of a single str input)
    QString expected;
    QString rubric;
};

namespace judge {

// The id of the inline agent a model judge runs as.
inline constexpr const char *kInlineAgentId = "eval_judge";

// The system prompt of a template, and the user message it gets.
QString systemPrompt(const QString &templateName);
QString userMessage(const QString &templateName, const JudgeInput &in);

// The execution of one sample: the workspace agent with the inputs it declares (output,
// rubric, input, expected), or an inline agent_spec around `spec.model` with the template's
// prompt. Temperature 0 for a single sample unless the model object sets one.
ExecutionRequest request(const JudgeSpec &spec, const JudgeInput &in, const Workspace &ws);

// A sample from its finished execution: the agent's `pass` (bool), `score`, `reason` outputs,
// or the model's reply parsed by the template. Tokens and cost come from the record.
JudgeSample sampleFrom(const JudgeSpec &spec, const ExecutionRecord &record);
// The verdict in one reply of a template (exposed for tests).
JudgeSample parseReply(const QString &templateName, const QString &text);

// The assertion's outcome from its samples: majority of the parsed ones (a tie fails), score =
// mean of their scores, pass = majority && score >= threshold (when set); fewer than ceil(N/2)
// parsed samples -> an error of kind `judge`. `not` flips pass and score, never an error.
AssertionOutcome aggregate(
    const EvalAssertion &a, const JudgeSpec &spec, const QList<JudgeSample> &samples, int index);

} // namespace judge
