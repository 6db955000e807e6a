#pragma once

#include "core/api/ExecutionRecord.h"
#include "core/common/Result.h"
#include "core/model/Workspace.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

// Datasets of evaluations (docs/evaluations.md): the `agentstudio-eval/1` JSON format, cases
// inline or from a `cases_file` (.jsonl, or .csv whose columns are input names).

// One problem of a dataset: where (a JSON path "$.cases[2].assert[0].field", or for a cases
// file "cases.jsonl:3: …" in `path`) and why.
struct DatasetProblem
{
    QString path;
    QString message;
    QString toString() const { return path.isEmpty() ? message : path + QStringLiteral(": ") + message; }
    bool operator==(const DatasetProblem &o) const { return path == o.path && message == o.message; }
};
QStringList toStrings(const QList<DatasetProblem> &problems);

// One assertion as written (type-specific keys stay in `spec`).
struct EvalAssertion
{
    QString type; // equals | contains | icontains | regex | one_of | between | is_json | json_schema |
                  // status | tool_called | trajectory | max_tool_calls | max_cost_usd |
                  // max_latency_ms | max_tokens | judge (+ the additions of docs/evaluations.md)
    QJsonObject spec; // every key as written
    QString path; // "$.cases[2].assert[0]" or "$.defaults.assert[0]"
    QString field; // a key (or dotted path) of the parsed output; "" = the whole output
    bool negate = false; // "not": true
    double weight = 1;
    QString metric;
    QString label; // the assertion's own "label", else made up: "equals(verdict)"

    QJsonValue value() const { return spec.value(QLatin1String("value")); }
};

struct EvalCase
{
    QString id; // unique in the dataset
    QString description;
    QJsonObject inputs; // agent or workflow inputs (Node in Context: the node's own inputs)
    QJsonObject upstream; // Node in Context: values of the node inputs that edges feed
    QJsonObject metadata;
    QJsonObject toolOverrides; // as ExecutionRequest::toolOverrides
    QList<EvalAssertion> asserts; // the dataset's defaults first, then the case's own
    std::optional<double> threshold; // case threshold (else the defaults'); unset: all must pass
    QString file; // the file that defines it (the dataset or its cases file)
    int line = 0; // 1-based line of the case in `file`, 0 when unknown
    int order = 0; // position in the dataset
    QJsonObject raw;
};

// The default judge of a dataset (a case's judge assertion may override each key).
struct JudgeConfig
{
    QString agent; // a workspace agent, or
    QJsonObject model; // {"provider", "name", …} of the workspace's providers
    int samples = 1;
    std::optional<double> threshold;
    QString templateName; // rubric (default) | closedqa | factuality
    bool isSet() const { return !agent.isEmpty() || !model.isEmpty(); }
};

// What the cases run: exactly one of agent, workflow (optionally with node), agentSpec.
struct EvalTarget
{
    QString agent;
    QString workflow;
    QString node; // with workflow: Node in Context
    QJsonObject agentSpec; // an inline agent in the workspace format (promptfoo prompts)
    QJsonArray providers; // extra providers the inline agent names (embedded engine only)

    enum class Kind { Agent, Workflow, Node, Inline };
    Kind kind() const;
    QString label() const; // "agent critic", "workflow w", "node w/n", "prompt"
    QJsonObject toJson() const; // {"agent"} | {"workflow"[, "node"]} | {"agent_spec"[, "providers"]}
};

// A variant: what it changes on the target agent (or, for a workflow, on named nodes).
struct EvalVariant
{
    QString name;
    std::optional<QString> instructions;
    std::optional<QString> prompt; // prompt template (inline agents, promptfoo)
    QJsonObject model; // partial model object: provider, name, temperature, max_tokens, …
    QJsonObject parameters; // temperature, max_tokens, … (merged into model)
    QHash<QString, QJsonObject> nodes; // workflow: node id -> {instructions?, model?, parameters?}
    QJsonObject raw;

    bool isBaseline() const; // changes nothing
    // ExecutionRequest::agentOverrides for this variant and target ({} for a baseline).
    QJsonObject agentOverrides(const EvalTarget &target) const;
};

struct Dataset
{
    QString format = QStringLiteral("agentstudio-eval/1");
    QString name;
    QString description;
    EvalTarget target;
    QList<EvalVariant> variants; // at least one ("default" when the file names none)
    int repeat = 1;
    JudgeConfig judge;
    QList<EvalAssertion> defaults; // defaults.assert
    std::optional<double> defaultThreshold; // defaults.threshold
    QString casesFile; // as written (relative to the dataset's folder)
    QList<EvalCase> cases; // inline cases, then the cases file's
    QString path; // the file it was loaded from ("" when built in memory)
    QString sha256; // hex SHA-256 of the dataset bytes followed by the cases file's bytes
    QJsonObject raw;

    // Reads and validates against the workspace (target, inputs in the signature, assertions
    // well-formed, fields in the output signature, judges' agents and providers). Every
    // problem goes to *problems (each with its JSON path); any problem makes it a Failure whose
    // message lists them one per line.
    static Result<Dataset> load(
        const QString &path, const Workspace &ws, QList<DatasetProblem> *problems = nullptr);
    // The same from bytes; `path` names the file (and the folder a cases_file is relative to).
    static Result<Dataset> fromJson(const QByteArray &json, const QString &path, const Workspace &ws,
        QList<DatasetProblem> *problems = nullptr);
    // The dataset with its cases inlined (what an eval run records).
    QJsonObject toJson() const;

    const EvalCase *findCase(const QString &id) const;
    const EvalVariant *findVariant(const QString &name) const;

    // Appends a case object to the dataset file at `path` (creating the file with `target`
    // when it does not exist; an existing case id gets a "-2", "-3" suffix). Keeps every other
    // key and case as it was; writes atomically. Returns the id the case got.
    static Result<QString> appendCase(const QString &path, const QJsonObject &target, QJsonObject caseObject);
};

namespace eval {
// "Save as test case" (docs/evaluations.md): a dataset case pre-filled from what a finished
// run did — its inputs (and upstream for Node in Context), `status` completed, the observed
// tool trajectory (in_order), max_cost_usd = observed × 2 and max_latency_ms = observed × 1.5
// (when known), and `equals` on each enum and bool output field. `id` made from the agent or
// workflow id and the execution's start time. The record must carry its steps.
QJsonObject caseFromRun(const ExecutionRecord &record, const Workspace &ws);
// The dataset target that runs what `record` ran ({"agent"} | {"workflow"[, "node"]}).
QJsonObject targetOfRun(const ExecutionRecord &record);
} // namespace eval
