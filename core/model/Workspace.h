#pragma once

#include "core/common/Result.h"
#include "core/model/FieldSpec.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

// The workspace file (`*.agents.json`, docs/workspace-format.md). Every struct keeps the JSON object it was
// read from in `raw`, so saving writes unknown keys back unchanged.

struct ProviderConfig
{
    QString id; // key in "providers"
    QString kind; // openai | anthropic | ollama | scripted
    QString baseUrl; // base_url
    QString apiKeyEnv; // api_key_env: the NAME of an environment variable, never a key
    QJsonObject raw; // everything, including provider defaults for model options
};

struct ModelConfig
{
    QString provider; // a key of Workspace::providers
    QString name; // model name, e.g. "gpt-4o-mini" or "scripted"
    std::optional<double> temperature;
    std::optional<int> maxTokens;
    QJsonObject raw; // every key: scripted options (tokens_per_second, ttft_ms, replies, fail_with) live here
};

// A named set of input values ("examples" of an agent or an orchestration): the test panel
// fills its form from one. It may leave inputs out; what it gives must fit the inputs.
struct InputExample
{
    QString name;
    QJsonObject inputs;
    QJsonObject raw;
};
using AgentExample = InputExample;

struct AgentSpec
{
    QString id, name, version;
    ModelConfig model;
    QString instructions;
    // prompt: a template sent as the user message instead of the listed inputs, its
    // `{{ name }}` / `{{ name.key }}` placeholders filled from the inputs (docs/workspace-format.md,
    // "Prompt agents"); the instructions alone are then the system message. Empty: not set.
    QString promptTemplate;
    Signature signature;
    QList<AgentExample> examples;
    // Tool references (docs/tools.md): a source id (all of its tools) or "source/tool".
    QStringList tools;
    int maxTurns = 8; // max_turns: model turns of the agent loop
    QJsonObject raw;
};

// One entry of the workspace's "tools" object (docs/tools.md): where tools come from.
struct ToolSourceSpec
{
    QString id; // key in "tools"
    QString kind; // mcp | command | mock
    // mcp over stdio, and command: the program, its arguments, extra environment and folder
    // (relative paths are relative to the workspace file's folder).
    QString command;
    QStringList args;
    QHash<QString, QString> env;
    QString cwd;
    // mcp over Streamable HTTP: the endpoint and the NAME of the variable holding the bearer
    // token (never a token).
    QString url;
    QString bearerTokenEnv;
    // command and mock: the one tool's description and JSON Schema of its arguments.
    QString description;
    QJsonObject parameters;
    // mock: [{"when": {...}, "result": any} | {"when"?, "error": "..."}], tried in order.
    QJsonArray responses;
    int latencyMs = 0; // mock: delay before answering
    int timeoutMs = 60000; // timeout_ms: one call (command, mcp)
    // "disabled": true keeps the entry in the file without starting it (agents may not name it).
    bool disabled = false;
    QJsonObject raw;

    static constexpr int kDefaultTimeoutMs = 60000;
    // "mcp", "command", "mock"
    static const QStringList &kinds();
    // Reads the entry `id` of "tools" at `path` ("tools.<id>"); wrong value types are appended
    // to `problems` as "<path>.<key>: why". Always returns what could be read.
    static ToolSourceSpec parse(
        const QString &id, const QJsonObject &object, const QString &path, QStringList *problems);
    // raw with every known key rewritten (what the workspace file gets, and what tells two
    // specs apart: ToolHost keeps a source running while this stays the same).
    QJsonObject toJson() const;
    // The entry's own consistency, each "<path>[.<key>]: why": kind, command or url, mock
    // responses, and `parameters` as an object JSON Schema (docs/tools.md).
    QStringList check(const QString &path) const;
    // The tool's argument schema: `parameters`, or {"type":"object"} when none is given.
    QJsonObject argumentSchema() const;
};

struct NodeSpec
{
    QString id;
    QString agent; // agent id
    QJsonObject raw;
};

// "from": "input.topic" or "draft.text"; "to": "review.draft".
struct EdgeSpec
{
    QString fromNode; // "input" means the orchestration's own inputs
    QString fromField;
    QString toNode;
    QString toField;
    QJsonObject raw;
};

struct WorkflowOutputSpec
{
    QString name;
    QString fromNode;
    QString fromField;
    QJsonObject raw;
};

struct OrchestrationSpec
{
    QString id, name, version;
    QList<FieldSpec> inputs;
    QList<NodeSpec> nodes;
    QList<EdgeSpec> edges;
    QList<WorkflowOutputSpec> outputs;
    QHash<QString, QJsonObject> pins; // node id -> {input field -> value}
    QList<InputExample> examples; // of the workflow inputs; the first one fills a fresh form
    QJsonObject raw;

    const NodeSpec *node(const QString &id) const;
    QList<EdgeSpec> edgesInto(const QString &nodeId) const;
    // Node ids in a topological order (valid orchestrations only). Ties keep the order of
    // `nodes`; edges from "input" and edges naming unknown nodes are ignored. Nodes on a cycle
    // (invalid orchestrations) come last, in the order of `nodes`.
    QStringList topologicalOrder() const;
    // The edges leaving a node (fromNode == nodeId; "input" for the workflow inputs).
    QList<EdgeSpec> edgesFrom(const QString &nodeId) const;
    // The node ids that feed nodeId directly (no "input"), without duplicates.
    QStringList upstreamNodes(const QString &nodeId) const;
};

// Why a value of type `from` cannot flow along an edge into `to` (empty when it can).
// Identical types connect; int -> float, list[int] -> list[float], enum -> str and
// anything -> json widen; enum -> enum needs every source choice among the target's.
QString edgeTypeProblem(const FieldSpec &from, const FieldSpec &to);

// One problem found by Workspace::validate(): where (the JSON path), why, and which item of
// the workspace it belongs to, so a caller picks the problems of the agent or orchestration it
// is about to run by owner rather than by reading the path.
struct ValidationProblem
{
    struct Owner
    {
        enum class Kind { Workspace, Agent, Orchestration, ToolSource };
        Kind kind = Kind::Workspace; // Workspace: the file itself (format, providers)
        QString id; // the agent, orchestration or tool source id (empty for Workspace)

        bool operator==(const Owner &o) const { return kind == o.kind && id == o.id; }
    };

    QString path; // e.g. "agents[2].model.provider"; empty when the text names none
    QString message; // e.g. "unknown provider 'x' (known: a, b)"
    Owner owner;

    // "path: message" (just the message when there is no path): the text the CLI and the UI
    // show, exactly as before problems carried an owner.
    QString toString() const;
    bool operator==(const ValidationProblem &o) const
    {
        return path == o.path && message == o.message && owner == o.owner;
    }
};

// toString() of each problem, in order.
QStringList toStrings(const QList<ValidationProblem> &problems);
// The problems that belong to orchestration `orchestrationId` (none when empty), then those of
// each agent in `agents`, in that order and each in the order found.
QList<ValidationProblem> problemsOwnedBy(
    const QList<ValidationProblem> &problems, const QStringList &agents, const QString &orchestrationId);

class Workspace
{
public:
    QString format = QStringLiteral("agentstudio/1");
    QString organizationId = QStringLiteral("local");
    QString workspaceId; // "default" when the file names none
    QList<ProviderConfig> providers;
    QList<AgentSpec> agents;
    QList<OrchestrationSpec> orchestrations;
    QList<ToolSourceSpec> tools; // "tools", by id (a JSON object's keys come sorted)
    QJsonObject raw;
    QString filePath; // where it was loaded from (empty for an unsaved workspace)

    // Parses and validates. On any problem returns a Failure whose message is every problem,
    // one per line, each starting with its JSON path. `problems`, when given, receives the list.
    static Result<Workspace> fromJson(const QByteArray &json, QStringList *problems = nullptr);
    // Why an organization or workspace id is refused ('/' or a control character: the server
    // keys tenants by these ids), or empty when it is fine. The tokens file uses it too.
    static QString tenantIdProblem(const QString &id);
    static Result<Workspace> load(const QString &path, QStringList *problems = nullptr);
    // The bundled example (resource ":/agentstudio/examples/example.agents.json").
    static Workspace example();

    QJsonObject toJson() const; // raw with every known key rewritten
    // toJson() as stable, readable text (see WorkspaceWriter.h): what save() writes.
    QByteArray toJsonText() const;
    Result<void> save(const QString &path) const; // atomic (QSaveFile)

    // Every problem of the current content, each with its JSON path and the item it belongs
    // to, in the order found (duplicates dropped). Empty when valid.
    QList<ValidationProblem> validate() const;

    const ProviderConfig *provider(const QString &id) const;
    const AgentSpec *agent(const QString &id) const;
    const OrchestrationSpec *orchestration(const QString &id) const;
    const ToolSourceSpec *toolSource(const QString &id) const;
    // The folder relative paths of tool sources are resolved against (the file's folder, or
    // the current folder for an unsaved workspace).
    QString baseDir() const;
    AgentSpec *agent(const QString &id);
    OrchestrationSpec *orchestration(const QString &id);
};
