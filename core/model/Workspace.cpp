#include "core/model/Workspace.h"

#include "core/common/Util.h"
#include "core/model/OrchestrationGraph.h"
#include "core/model/PromptTemplate.h"
#include "core/model/WorkspaceWriter.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSet>
#include <QUrl>

#include <algorithm>
#include <utility>

namespace {

const QLatin1String kFormat("agentstudio/1");
const QStringList kProviderKinds = { QStringLiteral("openai"), QStringLiteral("anthropic"),
    QStringLiteral("ollama"), QStringLiteral("scripted") };

// Collects parse problems, each prefixed with its JSON path.
class Problems
{
public:
    explicit Problems(QStringList *out)
        : m_out(out)
    {
    }
    void add(const QString &path, const QString &why) { m_out->append(path + QStringLiteral(": ") + why); }

    // Reads an optional string; a value of another type is a problem.
    QString string(const QJsonObject &o, const QString &key, const QString &path)
    {
        const QJsonValue v = o.value(key);
        if (v.isString())
            return v.toString();
        if (!v.isUndefined() && !v.isNull())
            add(at(path, key), QStringLiteral("expected a string, got ") + describeJsonValue(v));
        return {};
    }

    QJsonObject object(const QJsonObject &o, const QString &key, const QString &path)
    {
        const QJsonValue v = o.value(key);
        if (v.isObject())
            return v.toObject();
        if (!v.isUndefined())
            add(at(path, key), QStringLiteral("expected an object, got ") + describeJsonValue(v));
        return {};
    }

    QJsonArray array(const QJsonObject &o, const QString &key, const QString &path)
    {
        const QJsonValue v = o.value(key);
        if (v.isArray())
            return v.toArray();
        if (!v.isUndefined())
            add(at(path, key), QStringLiteral("expected a list, got ") + describeJsonValue(v));
        return {};
    }

private:
    static QString at(const QString &path, const QString &key)
    {
        return path.isEmpty() ? key : path + QLatin1Char('.') + key;
    }
    QStringList *m_out;
};

QString join(const QString &path, const QString &key)
{
    return path.isEmpty() ? key : path + QLatin1Char('.') + key;
}

QString indexed(const QString &path, qsizetype i)
{
    return path + QLatin1Char('[') + QString::number(i) + QLatin1Char(']');
}

// "draft.text" -> ("draft", "text"). Text without a dot stays whole in `node`, which the
// validator reports as malformed.
void splitEndpoint(const QJsonValue &v, QString *node, QString *field)
{
    const QString text = v.isString() ? v.toString() : (v.isUndefined() ? QString() : as::compactJson(v));
    const qsizetype dot = text.indexOf(QLatin1Char('.'));
    if (dot < 0) {
        *node = text;
        field->clear();
    } else {
        *node = text.left(dot);
        *field = text.mid(dot + 1);
    }
}

QString endpoint(const QString &node, const QString &field)
{
    return field.isEmpty() ? node : node + QLatin1Char('.') + field;
}

QList<FieldSpec> parseFields(const QJsonArray &arr, const QString &path, Problems &p, QStringList *problems)
{
    QList<FieldSpec> out;
    for (qsizetype i = 0; i < arr.size(); ++i) {
        const QString fp = indexed(path, i);
        if (!arr.at(i).isObject()) {
            p.add(fp, QStringLiteral("expected a field object, got ") + describeJsonValue(arr.at(i)));
            FieldSpec placeholder;
            placeholder.name = QStringLiteral("_%1").arg(i); // keeps indices without a second problem
            out.append(placeholder);
            continue;
        }
        out.append(FieldSpec::parse(arr.at(i).toObject(), fp, problems));
    }
    return out;
}

QJsonArray fieldsToJson(const QList<FieldSpec> &fields)
{
    QJsonArray arr;
    for (const FieldSpec &f : fields)
        arr.append(f.toJson());
    return arr;
}

ModelConfig parseModel(const QJsonObject &o, const QString &path, Problems &p)
{
    ModelConfig m;
    m.raw = o;
    m.provider = p.string(o, QStringLiteral("provider"), path);
    m.name = p.string(o, QStringLiteral("name"), path);
    const QJsonValue t = o.value(QLatin1String("temperature"));
    if (t.isDouble())
        m.temperature = t.toDouble();
    else if (!t.isUndefined() && !t.isNull())
        p.add(join(path, QStringLiteral("temperature")),
            QStringLiteral("expected a number, got ") + describeJsonValue(t));
    const QJsonValue mt = o.value(QLatin1String("max_tokens"));
    if (mt.isDouble() && mt.toDouble() == static_cast<double>(static_cast<int>(mt.toDouble())))
        m.maxTokens = static_cast<int>(mt.toDouble());
    else if (!mt.isUndefined() && !mt.isNull())
        p.add(join(path, QStringLiteral("max_tokens")),
            QStringLiteral("expected an integer, got ") + describeJsonValue(mt));
    return m;
}

// "examples" of an agent or an orchestration at `path`; list indices stay stable.
QList<InputExample> parseExamples(const QJsonObject &o, const QString &path, Problems &p)
{
    QList<InputExample> out;
    const QString ep = join(path, QStringLiteral("examples"));
    const QJsonArray examples = p.array(o, QStringLiteral("examples"), path);
    for (qsizetype i = 0; i < examples.size(); ++i) {
        InputExample ex;
        if (!examples.at(i).isObject()) {
            p.add(indexed(ep, i),
                QStringLiteral("expected an object, got ") + describeJsonValue(examples.at(i)));
        } else {
            ex.raw = examples.at(i).toObject();
            ex.name = p.string(ex.raw, QStringLiteral("name"), indexed(ep, i));
            ex.inputs = p.object(ex.raw, QStringLiteral("inputs"), indexed(ep, i));
        }
        out.append(ex);
    }
    return out;
}

// Examples may leave inputs out (the form asks for them), but what they give must fit.
void checkExamples(const QList<InputExample> &examples, const QList<FieldSpec> &inputs, const QString &path,
    QStringList &out)
{
    for (qsizetype k = 0; k < examples.size(); ++k) {
        const QString ep = indexed(join(path, QStringLiteral("examples")), k) + QStringLiteral(".inputs.");
        const QJsonObject &values = examples.at(k).inputs;
        for (auto it = values.begin(); it != values.end(); ++it) {
            const auto f = std::find_if(inputs.cbegin(), inputs.cend(),
                [&it](const FieldSpec &field) { return field.name == it.key(); });
            if (f == inputs.cend()) {
                out.append(ep + it.key() + QStringLiteral(": unknown input field"));
                continue;
            }
            const QString why = f->validate(it.value());
            if (!why.isEmpty())
                out.append(ep + it.key() + QStringLiteral(": ") + why);
        }
    }
}

// The "examples" array written back (unknown keys of each example kept).
QJsonArray examplesToJson(const QList<InputExample> &examples)
{
    QJsonArray out;
    for (const InputExample &e : examples) {
        QJsonObject eo = e.raw;
        eo.insert(QStringLiteral("name"), e.name);
        eo.insert(QStringLiteral("inputs"), e.inputs);
        out.append(eo);
    }
    return out;
}

// An agent's "tools" (source ids or "source/tool") and "max_turns"; list indices stay stable.
void parseAgentTools(const QJsonObject &o, const QString &path, Problems &p, AgentSpec *a)
{
    const QString tp = join(path, QStringLiteral("tools"));
    const QJsonValue tools = o.value(QLatin1String("tools"));
    if (tools.isArray()) {
        const QJsonArray list = tools.toArray();
        for (qsizetype i = 0; i < list.size(); ++i) {
            if (!list.at(i).isString())
                p.add(indexed(tp, i),
                    QStringLiteral("expected a string ('source' or 'source/tool'), got ")
                        + describeJsonValue(list.at(i)));
            a->tools.append(list.at(i).toString());
        }
    } else if (!tools.isUndefined()) {
        p.add(tp, QStringLiteral("expected a list of tool sources, got ") + describeJsonValue(tools));
    }
    const QJsonValue turns = o.value(QLatin1String("max_turns"));
    if (turns.isDouble() && turns.toDouble() == double(int(turns.toDouble())))
        a->maxTurns = int(turns.toDouble());
    else if (!turns.isUndefined())
        p.add(join(path, QStringLiteral("max_turns")),
            QStringLiteral("expected an integer, got ") + describeJsonValue(turns));
}

AgentSpec parseAgent(const QJsonObject &o, const QString &path, Problems &p, QStringList *problems)
{
    AgentSpec a;
    a.raw = o;
    a.id = p.string(o, QStringLiteral("id"), path);
    a.name = p.string(o, QStringLiteral("name"), path);
    const QJsonValue version = o.value(QLatin1String("version"));
    a.version = version.isDouble() ? as::compactJson(version) : p.string(o, QStringLiteral("version"), path);
    a.instructions = p.string(o, QStringLiteral("instructions"), path);
    a.promptTemplate = p.string(o, QStringLiteral("prompt"), path);
    if (o.contains(QLatin1String("model")))
        a.model
            = parseModel(p.object(o, QStringLiteral("model"), path), join(path, QStringLiteral("model")), p);
    else
        p.add(join(path, QStringLiteral("model")), QStringLiteral("missing"));

    const QString sp = join(path, QStringLiteral("signature"));
    if (!o.contains(QLatin1String("signature")))
        p.add(sp, QStringLiteral("missing"));
    const QJsonObject sig = p.object(o, QStringLiteral("signature"), path);
    a.signature.inputs = parseFields(
        p.array(sig, QStringLiteral("inputs"), sp), join(sp, QStringLiteral("inputs")), p, problems);
    a.signature.outputs = parseFields(
        p.array(sig, QStringLiteral("outputs"), sp), join(sp, QStringLiteral("outputs")), p, problems);

    a.examples = parseExamples(o, path, p);
    parseAgentTools(o, path, p, &a);
    return a;
}

OrchestrationSpec parseOrchestration(
    const QJsonObject &o, const QString &path, Problems &p, QStringList *problems)
{
    OrchestrationSpec w;
    w.raw = o;
    w.id = p.string(o, QStringLiteral("id"), path);
    w.name = p.string(o, QStringLiteral("name"), path);
    const QJsonValue version = o.value(QLatin1String("version"));
    w.version = version.isDouble() ? as::compactJson(version) : p.string(o, QStringLiteral("version"), path);
    w.inputs = parseFields(
        p.array(o, QStringLiteral("inputs"), path), join(path, QStringLiteral("inputs")), p, problems);

    const QString np = join(path, QStringLiteral("nodes"));
    const QJsonArray nodes = p.array(o, QStringLiteral("nodes"), path);
    for (qsizetype i = 0; i < nodes.size(); ++i) {
        NodeSpec n;
        if (!nodes.at(i).isObject()) {
            p.add(indexed(np, i),
                QStringLiteral("expected a node object, got ") + describeJsonValue(nodes.at(i)));
        } else {
            n.raw = nodes.at(i).toObject();
            n.id = p.string(n.raw, QStringLiteral("id"), indexed(np, i));
            n.agent = p.string(n.raw, QStringLiteral("agent"), indexed(np, i));
        }
        w.nodes.append(n);
    }

    const QString edp = join(path, QStringLiteral("edges"));
    const QJsonArray edges = p.array(o, QStringLiteral("edges"), path);
    for (qsizetype i = 0; i < edges.size(); ++i) {
        EdgeSpec e;
        if (!edges.at(i).isObject()) {
            p.add(indexed(edp, i),
                QStringLiteral("expected an edge object, got ") + describeJsonValue(edges.at(i)));
        } else {
            e.raw = edges.at(i).toObject();
            splitEndpoint(e.raw.value(QLatin1String("from")), &e.fromNode, &e.fromField);
            splitEndpoint(e.raw.value(QLatin1String("to")), &e.toNode, &e.toField);
        }
        w.edges.append(e);
    }

    const QString op = join(path, QStringLiteral("outputs"));
    const QJsonArray outputs = p.array(o, QStringLiteral("outputs"), path);
    for (qsizetype i = 0; i < outputs.size(); ++i) {
        WorkflowOutputSpec out;
        if (!outputs.at(i).isObject()) {
            p.add(indexed(op, i),
                QStringLiteral("expected an object, got ") + describeJsonValue(outputs.at(i)));
        } else {
            out.raw = outputs.at(i).toObject();
            out.name = p.string(out.raw, QStringLiteral("name"), indexed(op, i));
            splitEndpoint(out.raw.value(QLatin1String("from")), &out.fromNode, &out.fromField);
        }
        w.outputs.append(out);
    }

    const QString pp = join(path, QStringLiteral("pins"));
    const QJsonObject pins = p.object(o, QStringLiteral("pins"), path);
    for (auto it = pins.begin(); it != pins.end(); ++it) {
        if (it.value().isObject())
            w.pins.insert(it.key(), it.value().toObject());
        else
            p.add(join(pp, it.key()),
                QStringLiteral("expected an object of input values, got ") + describeJsonValue(it.value()));
    }
    w.examples = parseExamples(o, path, p);
    return w;
}

// Checks a list of fields for their own consistency and for duplicate names.
void checkFields(const QList<FieldSpec> &fields, const QString &path, QStringList &out)
{
    QHash<QString, qsizetype> seen;
    for (qsizetype i = 0; i < fields.size(); ++i) {
        const QString fp = indexed(path, i);
        out.append(fields.at(i).check(fp));
        const QString &name = fields.at(i).name;
        if (name.isEmpty())
            continue;
        if (seen.contains(name))
            out.append(fp
                + QStringLiteral(".name: duplicate field '%1' (also %2)")
                      .arg(name, indexed(path, seen.value(name))));
        else
            seen.insert(name, i);
    }
}

// Checks an id: present, well formed, not seen before in the same list.
void checkId(const QString &id, const QString &path, QHash<QString, QString> &seen, QStringList &out)
{
    const QString ip = join(path, QStringLiteral("id"));
    if (id.isEmpty()) {
        out.append(ip + QStringLiteral(": missing"));
        return;
    }
    if (!FieldSpec::isValidName(id))
        out.append(ip + QStringLiteral(": invalid id '%1' (letters, digits, '_' and '-' only)").arg(id));
    if (seen.contains(id))
        out.append(ip + QStringLiteral(": duplicate id '%1' (also %2)").arg(id, seen.value(id)));
    else
        seen.insert(id, path);
}

QString knownList(const QStringList &names)
{
    if (names.isEmpty())
        return QStringLiteral("none defined");
    return QStringLiteral("known: ") + names.join(QStringLiteral(", "));
}

// Pinned values (Node in Context): each names a node of the workflow and an input of its agent,
// with a value of that input's type. Nodes whose agent is unknown were reported at the node.
void checkPins(const OrchestrationSpec &w, const OrchestrationGraph &graph,
    const QHash<QString, const AgentSpec *> &agentOf, const QString &pp, QStringList &out)
{
    for (auto it = w.pins.begin(); it != w.pins.end(); ++it) {
        const QString p = join(pp, it.key());
        if (graph.indexOf(it.key()) < 0) {
            out.append(p + QStringLiteral(": unknown node '%1'").arg(it.key()));
            continue;
        }
        const AgentSpec *a = agentOf.value(it.key());
        if (!a)
            continue;
        for (auto v = it.value().begin(); v != it.value().end(); ++v) {
            const FieldSpec *f = a->signature.input(v.key());
            if (!f) {
                out.append(
                    join(p, v.key()) + QStringLiteral(": agent '%1' has no input '%2'").arg(a->id, v.key()));
                continue;
            }
            const QString why = f->validate(v.value());
            if (!why.isEmpty())
                out.append(join(p, v.key()) + QStringLiteral(": ") + why);
        }
    }
}

// A prompt agent's template: valid, and every placeholder reads one of the agent's inputs.
void checkPromptTemplate(const AgentSpec &a, const QString &path, QStringList &out)
{
    if (a.promptTemplate.isEmpty())
        return;
    const QString pp = join(path, QStringLiteral("prompt"));
    QString error;
    const QList<prompttemplate::Placeholder> used = prompttemplate::placeholders(a.promptTemplate, &error);
    if (!error.isEmpty()) {
        out.append(pp + QStringLiteral(": ") + error);
        return;
    }
    QStringList inputs;
    for (const FieldSpec &f : a.signature.inputs)
        inputs.append(f.name);
    for (const QString &root : prompttemplate::roots(used))
        if (!inputs.contains(root))
            out.append(pp
                + QStringLiteral(": '{{ %1 }}' names no input of the agent (inputs: %2)")
                      .arg(root,
                          inputs.isEmpty() ? QStringLiteral("none") : inputs.join(QStringLiteral(", "))));
}

// An agent's tool references: each a known source, "source/tool" only for an MCP source (a
// command or mock source is one tool), none twice; at least one model turn.
void checkAgentTools(const Workspace &ws, const AgentSpec &a, const QString &path, QStringList &out)
{
    const QString tp = join(path, QStringLiteral("tools"));
    QStringList sourceIds;
    for (const ToolSourceSpec &t : ws.tools)
        sourceIds.append(t.id);
    QHash<QString, qsizetype> seen;
    for (qsizetype i = 0; i < a.tools.size(); ++i) {
        const QString &ref = a.tools.at(i);
        const QString rp = indexed(tp, i);
        const qsizetype slash = ref.indexOf(QLatin1Char('/'));
        const QString sourceId = slash < 0 ? ref : ref.left(slash);
        if (sourceId.isEmpty() || (slash >= 0 && slash == ref.size() - 1)) {
            out.append(rp + QStringLiteral(": expected 'source' or 'source/tool', got '%1'").arg(ref));
            continue;
        }
        const ToolSourceSpec *source = ws.toolSource(sourceId);
        if (!source) {
            out.append(
                rp + QStringLiteral(": unknown tool source '%1' (%2)").arg(sourceId, knownList(sourceIds)));
            continue;
        }
        if (source->disabled)
            out.append(rp
                + QStringLiteral(": tool source '%1' is disabled (\"disabled\": true in tools.%1)")
                      .arg(sourceId));
        if (slash >= 0 && source->kind != QLatin1String("mcp"))
            out.append(rp
                + QStringLiteral(": a %1 source is one tool: name it '%2', not '%3'")
                      .arg(source->kind, sourceId, ref));
        if (seen.contains(ref))
            out.append(rp
                + QStringLiteral(": '%1' is named twice (also %2)").arg(ref, indexed(tp, seen.value(ref))));
        else
            seen.insert(ref, i);
    }
    if (a.maxTurns < 1)
        out.append(join(path, QStringLiteral("max_turns")) + QStringLiteral(": must be ≥ 1"));
}

void validateOrchestration(
    const Workspace &ws, const OrchestrationSpec &w, const QString &path, QStringList &out)
{
    checkFields(w.inputs, join(path, QStringLiteral("inputs")), out);
    checkExamples(w.examples, w.inputs, path, out);

    const QString np = join(path, QStringLiteral("nodes"));
    if (w.nodes.isEmpty())
        out.append(np + QStringLiteral(": a workflow needs at least one node"));
    QHash<QString, QString> nodeIds;
    QHash<QString, const AgentSpec *> agentOf; // node id -> agent (only resolvable ones)
    const OrchestrationGraph graph(w); // hashed ids: workflows may have thousands of nodes
    auto hasNode = [&graph](const QString &id) { return graph.indexOf(id) >= 0; };
    for (qsizetype i = 0; i < w.nodes.size(); ++i) {
        const NodeSpec &n = w.nodes.at(i);
        const QString p = indexed(np, i);
        if (n.id == QLatin1String("input"))
            out.append(p + QStringLiteral(".id: 'input' is reserved for the workflow inputs"));
        else
            checkId(n.id, p, nodeIds, out);
        if (n.agent.isEmpty()) {
            out.append(p + QStringLiteral(".agent: missing"));
        } else if (const AgentSpec *a = ws.agent(n.agent)) {
            if (!n.id.isEmpty() && !agentOf.contains(n.id))
                agentOf.insert(n.id, a);
        } else {
            out.append(p + QStringLiteral(".agent: unknown agent '%1'").arg(n.agent));
        }
    }

    // Resolves the source of an edge or output: a workflow input or a node's output. Returns
    // the field, or nullptr after reporting why (nothing is reported when the node's agent is
    // unknown: that problem was reported once at the node).
    auto resolveSource
        = [&](const QString &node, const QString &field, const QString &p) -> const FieldSpec * {
        if (node.isEmpty() && field.isEmpty()) {
            out.append(p + QStringLiteral(": missing"));
            return nullptr;
        }
        if (node.isEmpty() || field.isEmpty()) {
            out.append(p
                + QStringLiteral(": expected 'node.field' or 'input.field', got '%1'")
                      .arg(endpoint(node, field)));
            return nullptr;
        }
        if (node == QLatin1String("input")) {
            for (const FieldSpec &f : w.inputs)
                if (f.name == field)
                    return &f;
            out.append(p + QStringLiteral(": unknown workflow input '%1'").arg(field));
            return nullptr;
        }
        if (!hasNode(node)) {
            out.append(p + QStringLiteral(": unknown node '%1'").arg(node));
            return nullptr;
        }
        const AgentSpec *a = agentOf.value(node);
        if (!a)
            return nullptr;
        if (const FieldSpec *f = a->signature.output(field))
            return f;
        out.append(p + QStringLiteral(": node '%1' (agent '%2') has no output '%3'").arg(node, a->id, field));
        return nullptr;
    };

    const QString edp = join(path, QStringLiteral("edges"));
    QHash<QString, qsizetype> fedBy; // "node.field" -> edge index
    for (qsizetype i = 0; i < w.edges.size(); ++i) {
        const EdgeSpec &e = w.edges.at(i);
        const QString p = indexed(edp, i);
        const FieldSpec *from = resolveSource(e.fromNode, e.fromField, join(p, QStringLiteral("from")));

        const FieldSpec *to = nullptr;
        const QString tp = join(p, QStringLiteral("to"));
        if (e.toNode.isEmpty() && e.toField.isEmpty()) {
            out.append(tp + QStringLiteral(": missing"));
        } else if (e.toNode.isEmpty() || e.toField.isEmpty()) {
            out.append(
                tp + QStringLiteral(": expected 'node.field', got '%1'").arg(endpoint(e.toNode, e.toField)));
        } else if (e.toNode == QLatin1String("input")) {
            out.append(tp + QStringLiteral(": an edge cannot feed the workflow inputs"));
        } else if (!hasNode(e.toNode)) {
            out.append(tp + QStringLiteral(": unknown node '%1'").arg(e.toNode));
        } else if (const AgentSpec *a = agentOf.value(e.toNode)) {
            to = a->signature.input(e.toField);
            if (!to)
                out.append(tp
                    + QStringLiteral(": node '%1' (agent '%2') has no input '%3'")
                          .arg(e.toNode, a->id, e.toField));
            const QString key = endpoint(e.toNode, e.toField);
            if (to && fedBy.contains(key))
                out.append(tp
                    + QStringLiteral(": %1 is already fed by %2").arg(key, indexed(edp, fedBy.value(key))));
            else if (to)
                fedBy.insert(key, i);
        }
        if (from && to) {
            const QString why = edgeTypeProblem(*from, *to);
            if (!why.isEmpty())
                out.append(p
                    + QStringLiteral(": %1 -> %2: %3")
                          .arg(endpoint(e.fromNode, e.fromField), endpoint(e.toNode, e.toField), why));
        }
    }

    // Cycles: one message per strongly connected component, naming a closed path.
    for (const QList<int> &cycle : graph.cycles()) {
        QStringList ids;
        for (int v : cycle)
            ids.append(graph.id(v));
        out.append(edp + QStringLiteral(": cycle %1").arg(ids.join(QStringLiteral(" -> "))));
    }

    // Every required input of every node must be fed by an edge or have a default. Pins do
    // not count: they serve Node in Context, not full runs.
    for (qsizetype i = 0; i < w.nodes.size(); ++i) {
        const NodeSpec &n = w.nodes.at(i);
        const AgentSpec *a = agentOf.value(n.id);
        if (!a || nodeIds.value(n.id) != indexed(np, i))
            continue;
        for (const FieldSpec &f : a->signature.inputs)
            if (f.required && !fedBy.contains(endpoint(n.id, f.name)))
                out.append(indexed(np, i)
                    + QStringLiteral(
                        ": required input '%1' of agent '%2' is fed by nothing (no edge, no default)")
                          .arg(f.name, a->id));
    }

    const QString op = join(path, QStringLiteral("outputs"));
    QHash<QString, qsizetype> outputNames;
    for (qsizetype i = 0; i < w.outputs.size(); ++i) {
        const WorkflowOutputSpec &o = w.outputs.at(i);
        const QString p = indexed(op, i);
        if (o.name.isEmpty())
            out.append(p + QStringLiteral(".name: missing"));
        else if (!FieldSpec::isValidName(o.name))
            out.append(p
                + QStringLiteral(".name: invalid name '%1' (letters, digits, '_' and '-' only)").arg(o.name));
        else if (outputNames.contains(o.name))
            out.append(p
                + QStringLiteral(".name: duplicate output '%1' (also %2)")
                      .arg(o.name, indexed(op, outputNames.value(o.name))));
        else
            outputNames.insert(o.name, i);
        resolveSource(o.fromNode, o.fromField, join(p, QStringLiteral("from")));
    }

    checkPins(w, graph, agentOf, join(path, QStringLiteral("pins")), out);
}

// Problems in the order of the file: root keys, providers, tools, agents[i], orchestrations[i]; the
// order found is kept within one item (parse problems come before cross-reference ones).
void sortByDocumentOrder(QStringList &problems)
{
    static const QRegularExpression head(QStringLiteral("^(\\(root\\)|[A-Za-z_]+)(?:\\[(\\d+)\\])?"));
    auto key = [](const QString &problem) {
        const QRegularExpressionMatch m = head.match(problem);
        const QString section = m.captured(1);
        int rank = 0;
        if (section == QLatin1String("(root)"))
            rank = -1;
        else if (section == QLatin1String("providers"))
            rank = 1;
        else if (section == QLatin1String("tools"))
            rank = 2;
        else if (section == QLatin1String("agents"))
            rank = 3;
        else if (section == QLatin1String("orchestrations"))
            rank = 4;
        return std::pair<int, int>(rank, m.captured(2).isEmpty() ? -1 : m.captured(2).toInt());
    };
    std::stable_sort(problems.begin(), problems.end(),
        [&key](const QString &a, const QString &b) { return key(a) < key(b); });
}

} // namespace

QString edgeTypeProblem(const FieldSpec &from, const FieldSpec &to)
{
    const FieldType a = from.type, b = to.type;
    const QString mismatch = QStringLiteral("type mismatch: %1 cannot feed %2")
                                 .arg(FieldSpec::typeName(a), FieldSpec::typeName(b));
    if (b == FieldType::Json)
        return {};
    if (a == FieldType::Enum && b == FieldType::Enum) {
        QStringList missing;
        for (const QString &c : from.choices)
            if (!to.choices.contains(c))
                missing.append(c);
        if (!missing.isEmpty())
            return QStringLiteral("enum choices %1 are not accepted by the target")
                .arg(missing.join(QStringLiteral(", ")));
        return {};
    }
    if (a == b)
        return {};
    if ((a == FieldType::Int && b == FieldType::Float)
        || (a == FieldType::ListInt && b == FieldType::ListFloat)
        || (a == FieldType::Enum && b == FieldType::Str))
        return {};
    return mismatch;
}

// ---- OrchestrationSpec ----

const NodeSpec *OrchestrationSpec::node(const QString &id) const
{
    for (const NodeSpec &n : nodes)
        if (n.id == id)
            return &n;
    return nullptr;
}

QList<EdgeSpec> OrchestrationSpec::edgesInto(const QString &nodeId) const
{
    QList<EdgeSpec> out;
    for (const EdgeSpec &e : edges)
        if (e.toNode == nodeId)
            out.append(e);
    return out;
}

QList<EdgeSpec> OrchestrationSpec::edgesFrom(const QString &nodeId) const
{
    QList<EdgeSpec> out;
    for (const EdgeSpec &e : edges)
        if (e.fromNode == nodeId)
            out.append(e);
    return out;
}

QStringList OrchestrationSpec::upstreamNodes(const QString &nodeId) const
{
    const OrchestrationGraph graph(*this);
    const int v = graph.indexOf(nodeId);
    QStringList out;
    if (v >= 0)
        for (int p : graph.predecessors(v))
            out.append(graph.id(p));
    return out;
}

QStringList OrchestrationSpec::topologicalOrder() const
{
    const OrchestrationGraph graph(*this);
    QList<int> order = graph.topologicalOrder();
    QList<bool> placed(graph.size(), false);
    for (int v : std::as_const(order))
        placed[v] = true;
    for (int i = 0; i < graph.size(); ++i) // nodes on a cycle last, in the order of `nodes`
        if (!placed.at(i))
            order.append(i);
    QStringList ids;
    QSet<QString> seen;
    for (int v : std::as_const(order))
        if (!seen.contains(graph.id(v))) { // an id given twice is listed once
            seen.insert(graph.id(v));
            ids.append(graph.id(v));
        }
    return ids;
}

// ---- Workspace ----

QString Workspace::tenantIdProblem(const QString &id)
{
    for (const QChar c : id) {
        if (c == QLatin1Char('/'))
            return QStringLiteral("must not contain '/'");
        if (c.category() == QChar::Other_Control)
            return QStringLiteral("must not contain control characters");
    }
    return {};
}

Result<Workspace> Workspace::fromJson(const QByteArray &json, QStringList *problems)
{
    QStringList found;
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        if (pe.error != QJsonParseError::NoError) {
            const QByteArray head = json.left(pe.offset);
            const int line = static_cast<int>(head.count('\n')) + 1;
            const int column = static_cast<int>(pe.offset - (head.lastIndexOf('\n') + 1)) + 1;
            found.append(QStringLiteral("(root): invalid JSON at line %1, column %2: %3")
                             .arg(line)
                             .arg(column)
                             .arg(pe.errorString()));
        } else {
            found.append(QStringLiteral("(root): expected a JSON object"));
        }
        if (problems)
            *problems = found;
        return Failure { found.join(QLatin1Char('\n')) };
    }

    Problems p(&found);
    const QJsonObject root = doc.object();
    Workspace ws;
    ws.raw = root;
    ws.format = root.contains(QLatin1String("format")) ? p.string(root, QStringLiteral("format"), QString())
                                                       : QString();
    if (root.contains(QLatin1String("organization_id")))
        ws.organizationId = p.string(root, QStringLiteral("organization_id"), QString());
    ws.workspaceId = p.string(root, QStringLiteral("workspace_id"), QString());
    if (ws.workspaceId.isEmpty())
        ws.workspaceId = QStringLiteral("default"); // executions always name a workspace
    if (const QString why = tenantIdProblem(ws.organizationId); !why.isEmpty())
        p.add(QStringLiteral("organization_id"), why);
    if (const QString why = tenantIdProblem(ws.workspaceId); !why.isEmpty())
        p.add(QStringLiteral("workspace_id"), why);

    const QJsonObject providers = p.object(root, QStringLiteral("providers"), QString());
    for (auto it = providers.begin(); it != providers.end(); ++it) {
        ProviderConfig pc;
        pc.id = it.key();
        const QString pp = QStringLiteral("providers.") + it.key();
        if (!it.value().isObject()) {
            p.add(pp, QStringLiteral("expected an object, got ") + describeJsonValue(it.value()));
            pc.kind = QStringLiteral("scripted"); // placeholder: one problem per mistake
        } else {
            pc.raw = it.value().toObject();
            pc.kind = p.string(pc.raw, QStringLiteral("kind"), pp);
            pc.baseUrl = p.string(pc.raw, QStringLiteral("base_url"), pp);
            pc.apiKeyEnv = p.string(pc.raw, QStringLiteral("api_key_env"), pp);
        }
        ws.providers.append(pc);
    }

    const QJsonObject tools = p.object(root, QStringLiteral("tools"), QString());
    for (auto it = tools.begin(); it != tools.end(); ++it) {
        const QString tp = QStringLiteral("tools.") + it.key();
        if (it.value().isObject()) {
            ws.tools.append(ToolSourceSpec::parse(it.key(), it.value().toObject(), tp, &found));
            continue;
        }
        p.add(tp, QStringLiteral("expected an object, got ") + describeJsonValue(it.value()));
        ToolSourceSpec placeholder; // agents naming it are not told it is unknown as well
        placeholder.id = it.key();
        placeholder.kind = QStringLiteral("mock");
        placeholder.responses
            = QJsonArray { QJsonObject { { QStringLiteral("error"), QStringLiteral("invalid") } } };
        ws.tools.append(placeholder);
    }

    const QJsonArray agents = p.array(root, QStringLiteral("agents"), QString());
    for (qsizetype i = 0; i < agents.size(); ++i) {
        const QString ap = indexed(QStringLiteral("agents"), i);
        if (!agents.at(i).isObject()) {
            p.add(ap, QStringLiteral("expected an agent object, got ") + describeJsonValue(agents.at(i)));
            ws.agents.append(AgentSpec());
            continue;
        }
        ws.agents.append(parseAgent(agents.at(i).toObject(), ap, p, &found));
    }

    const QJsonArray orchestrations = p.array(root, QStringLiteral("orchestrations"), QString());
    for (qsizetype i = 0; i < orchestrations.size(); ++i) {
        const QString op = indexed(QStringLiteral("orchestrations"), i);
        if (!orchestrations.at(i).isObject()) {
            p.add(op,
                QStringLiteral("expected an orchestration object, got ")
                    + describeJsonValue(orchestrations.at(i)));
            ws.orchestrations.append(OrchestrationSpec());
            continue;
        }
        ws.orchestrations.append(parseOrchestration(orchestrations.at(i).toObject(), op, p, &found));
    }

    found.append(toStrings(ws.validate()));
    found.removeDuplicates();
    sortByDocumentOrder(found);
    if (problems)
        *problems = found;
    if (!found.isEmpty())
        return Failure { found.join(QLatin1Char('\n')) };
    return ws;
}

Result<Workspace> Workspace::load(const QString &path, QStringList *problems)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        const QString why = QStringLiteral("%1: cannot read: %2").arg(path, f.errorString());
        if (problems)
            *problems = QStringList { why };
        return Failure { why };
    }
    Result<Workspace> ws = fromJson(f.readAll(), problems);
    if (!ws.ok())
        return Failure { QStringLiteral("%1:\n%2").arg(path, ws.error()) };
    ws->filePath = path;
    return ws;
}

Workspace Workspace::example()
{
    const QString path = QStringLiteral(":/agentstudio/examples/example.agents.json");
    Result<Workspace> ws = load(path);
    if (ws.ok())
        return ws.take();
    // Only reachable with a broken build; an empty offline workspace keeps the app usable.
    qWarning("example workspace: %s", qPrintable(ws.error()));
    Workspace fallback;
    fallback.workspaceId = QStringLiteral("example");
    ProviderConfig offline;
    offline.id = QStringLiteral("offline");
    offline.kind = QStringLiteral("scripted");
    fallback.providers.append(offline);
    return fallback;
}

QJsonObject Workspace::toJson() const
{
    QJsonObject root = raw;
    root.insert(QStringLiteral("format"), format);
    root.insert(QStringLiteral("organization_id"), organizationId);
    if (!workspaceId.isEmpty() || raw.contains(QLatin1String("workspace_id")))
        root.insert(QStringLiteral("workspace_id"), workspaceId);

    QJsonObject providersJson;
    for (const ProviderConfig &pc : providers) {
        QJsonObject o = pc.raw;
        o.insert(QStringLiteral("kind"), pc.kind);
        auto setOrDrop = [&o](const QString &key, const QString &v) {
            if (v.isEmpty())
                o.remove(key);
            else
                o.insert(key, v);
        };
        setOrDrop(QStringLiteral("base_url"), pc.baseUrl);
        setOrDrop(QStringLiteral("api_key_env"), pc.apiKeyEnv);
        providersJson.insert(pc.id, o);
    }
    root.insert(QStringLiteral("providers"), providersJson);
    if (!tools.isEmpty() || raw.contains(QLatin1String("tools"))) {
        QJsonObject toolsJson;
        for (const ToolSourceSpec &t : tools)
            toolsJson.insert(t.id, t.toJson());
        root.insert(QStringLiteral("tools"), toolsJson);
    }

    QJsonArray agentsJson;
    for (const AgentSpec &a : agents) {
        QJsonObject o = a.raw;
        o.insert(QStringLiteral("id"), a.id);
        if (!a.name.isEmpty() || a.raw.contains(QLatin1String("name")))
            o.insert(QStringLiteral("name"), a.name);
        if (!a.version.isEmpty() || a.raw.contains(QLatin1String("version")))
            o.insert(QStringLiteral("version"), a.version);
        QJsonObject m = a.model.raw;
        m.insert(QStringLiteral("provider"), a.model.provider);
        if (!a.model.name.isEmpty() || m.contains(QLatin1String("name")))
            m.insert(QStringLiteral("name"), a.model.name);
        if (a.model.temperature)
            m.insert(QStringLiteral("temperature"), *a.model.temperature);
        else
            m.remove(QStringLiteral("temperature"));
        if (a.model.maxTokens)
            m.insert(QStringLiteral("max_tokens"), *a.model.maxTokens);
        else
            m.remove(QStringLiteral("max_tokens"));
        o.insert(QStringLiteral("model"), m);
        o.insert(QStringLiteral("instructions"), a.instructions);
        if (!a.promptTemplate.isEmpty() || a.raw.contains(QLatin1String("prompt")))
            o.insert(QStringLiteral("prompt"), a.promptTemplate);
        QJsonObject sig = a.raw.value(QLatin1String("signature")).toObject();
        sig.insert(QStringLiteral("inputs"), fieldsToJson(a.signature.inputs));
        sig.insert(QStringLiteral("outputs"), fieldsToJson(a.signature.outputs));
        o.insert(QStringLiteral("signature"), sig);
        if (!a.examples.isEmpty() || a.raw.contains(QLatin1String("examples")))
            o.insert(QStringLiteral("examples"), examplesToJson(a.examples));
        if (!a.tools.isEmpty() || a.raw.contains(QLatin1String("tools")))
            o.insert(QStringLiteral("tools"), QJsonArray::fromStringList(a.tools));
        if (a.maxTurns != AgentSpec().maxTurns || a.raw.contains(QLatin1String("max_turns")))
            o.insert(QStringLiteral("max_turns"), a.maxTurns);
        agentsJson.append(o);
    }
    root.insert(QStringLiteral("agents"), agentsJson);

    QJsonArray orchJson;
    for (const OrchestrationSpec &w : orchestrations) {
        QJsonObject o = w.raw;
        o.insert(QStringLiteral("id"), w.id);
        if (!w.name.isEmpty() || w.raw.contains(QLatin1String("name")))
            o.insert(QStringLiteral("name"), w.name);
        if (!w.version.isEmpty() || w.raw.contains(QLatin1String("version")))
            o.insert(QStringLiteral("version"), w.version);
        o.insert(QStringLiteral("inputs"), fieldsToJson(w.inputs));
        QJsonArray nodesJson;
        for (const NodeSpec &n : w.nodes) {
            QJsonObject no = n.raw;
            no.insert(QStringLiteral("id"), n.id);
            no.insert(QStringLiteral("agent"), n.agent);
            nodesJson.append(no);
        }
        o.insert(QStringLiteral("nodes"), nodesJson);
        QJsonArray edgesJson;
        for (const EdgeSpec &e : w.edges) {
            QJsonObject eo = e.raw;
            eo.insert(QStringLiteral("from"), endpoint(e.fromNode, e.fromField));
            eo.insert(QStringLiteral("to"), endpoint(e.toNode, e.toField));
            edgesJson.append(eo);
        }
        o.insert(QStringLiteral("edges"), edgesJson);
        QJsonArray outputsJson;
        for (const WorkflowOutputSpec &out : w.outputs) {
            QJsonObject oo = out.raw;
            oo.insert(QStringLiteral("name"), out.name);
            oo.insert(QStringLiteral("from"), endpoint(out.fromNode, out.fromField));
            outputsJson.append(oo);
        }
        o.insert(QStringLiteral("outputs"), outputsJson);
        if (!w.pins.isEmpty() || w.raw.contains(QLatin1String("pins"))) {
            QJsonObject pins;
            for (auto it = w.pins.begin(); it != w.pins.end(); ++it)
                pins.insert(it.key(), it.value());
            o.insert(QStringLiteral("pins"), pins);
        }
        if (!w.examples.isEmpty() || w.raw.contains(QLatin1String("examples")))
            o.insert(QStringLiteral("examples"), examplesToJson(w.examples));
        orchJson.append(o);
    }
    root.insert(QStringLiteral("orchestrations"), orchJson);
    return root;
}

QByteArray Workspace::toJsonText() const
{
    return formatWorkspaceJson(toJson());
}

Result<void> Workspace::save(const QString &path) const
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return Failure { QStringLiteral("%1: cannot write: %2").arg(path, f.errorString()) };
    f.write(toJsonText());
    if (!f.commit())
        return Failure { QStringLiteral("%1: cannot write: %2").arg(path, f.errorString()) };
    return {};
}

QString ValidationProblem::toString() const
{
    return path.isEmpty() ? message : path + QStringLiteral(": ") + message;
}

QStringList toStrings(const QList<ValidationProblem> &problems)
{
    QStringList out;
    out.reserve(problems.size());
    for (const ValidationProblem &p : problems)
        out.append(p.toString());
    return out;
}

QList<ValidationProblem> problemsOwnedBy(
    const QList<ValidationProblem> &problems, const QStringList &agents, const QString &orchestrationId)
{
    using Kind = ValidationProblem::Owner::Kind;
    QList<ValidationProblem> out;
    if (!orchestrationId.isEmpty())
        for (const ValidationProblem &p : problems)
            if (p.owner.kind == Kind::Orchestration && p.owner.id == orchestrationId)
                out << p;
    for (const QString &agent : agents)
        for (const ValidationProblem &p : problems)
            if (p.owner.kind == Kind::Agent && p.owner.id == agent)
                out << p;
    return out;
}

namespace {

// Moves the texts in `out` into `problems`, each split into path and message at its first
// ": " and given `owner`; a text already collected is dropped (validate() never repeated one).
void collect(QStringList &out, const ValidationProblem::Owner &owner, QList<ValidationProblem> &problems,
    QSet<QString> &seen)
{
    for (const QString &text : std::as_const(out)) {
        if (seen.contains(text))
            continue;
        seen.insert(text);
        ValidationProblem p;
        const qsizetype colon = text.indexOf(QStringLiteral(": "));
        if (colon < 0) {
            p.message = text;
        } else {
            p.path = text.left(colon);
            p.message = text.mid(colon + 2);
        }
        p.owner = owner;
        problems.append(p);
    }
    out.clear();
}

} // namespace

QList<ValidationProblem> Workspace::validate() const
{
    using Owner = ValidationProblem::Owner;
    QList<ValidationProblem> problems;
    QSet<QString> seen;
    QStringList out;
    if (format.isEmpty())
        out.append(QStringLiteral("format: missing (expected '%1')").arg(kFormat));
    else if (format != kFormat)
        out.append(QStringLiteral("format: unsupported format '%1' (expected '%2')").arg(format, kFormat));

    static const QRegularExpression envName(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
    QStringList providerIds;
    for (const ProviderConfig &pc : providers) {
        providerIds.append(pc.id);
        const QString pp = QStringLiteral("providers.") + pc.id;
        if (pc.kind.isEmpty())
            out.append(
                pp + QStringLiteral(".kind: missing (expected openai, anthropic, ollama or scripted)"));
        else if (!kProviderKinds.contains(pc.kind))
            out.append(pp
                + QStringLiteral(".kind: unknown kind '%1' (expected openai, anthropic, ollama or scripted)")
                      .arg(pc.kind));
        if (!pc.baseUrl.isEmpty()) {
            const QUrl url(pc.baseUrl, QUrl::StrictMode);
            if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https")
                || url.host().isEmpty())
                out.append(pp + QStringLiteral(".base_url: not an http(s) URL: '%1'").arg(pc.baseUrl));
        }
        if (!pc.apiKeyEnv.isEmpty() && !envName.match(pc.apiKeyEnv).hasMatch())
            out.append(pp
                + QStringLiteral(".api_key_env: expected the NAME of an environment variable "
                                 "(letters, digits, '_'), never the key itself"));
    }

    collect(out, Owner {}, problems, seen); // format and providers: the file itself

    for (const ToolSourceSpec &t : tools) {
        out.append(t.check(QStringLiteral("tools.") + t.id));
        collect(out, Owner { Owner::Kind::ToolSource, t.id }, problems, seen);
    }

    QHash<QString, QString> agentIds;
    for (qsizetype i = 0; i < agents.size(); ++i) {
        const AgentSpec &a = agents.at(i);
        const QString ap = indexed(QStringLiteral("agents"), i);
        checkId(a.id, ap, agentIds, out);
        const QString mp = ap + QStringLiteral(".model");
        if (a.model.provider.isEmpty())
            out.append(mp + QStringLiteral(".provider: missing"));
        else if (!provider(a.model.provider))
            out.append(mp
                + QStringLiteral(".provider: unknown provider '%1' (%2)")
                      .arg(a.model.provider, knownList(providerIds)));
        if (a.model.temperature && (*a.model.temperature < 0 || *a.model.temperature > 2))
            out.append(mp + QStringLiteral(".temperature: must be between 0 and 2"));
        if (a.model.maxTokens && *a.model.maxTokens < 1)
            out.append(mp + QStringLiteral(".max_tokens: must be ≥ 1"));
        const QString sp = ap + QStringLiteral(".signature");
        checkFields(a.signature.inputs, sp + QStringLiteral(".inputs"), out);
        checkFields(a.signature.outputs, sp + QStringLiteral(".outputs"), out);
        if (a.signature.outputs.isEmpty())
            out.append(sp + QStringLiteral(".outputs: an agent needs at least one output field"));
        checkExamples(a.examples, a.signature.inputs, ap, out);
        checkPromptTemplate(a, ap, out);
        checkAgentTools(*this, a, ap, out);
        collect(out, Owner { Owner::Kind::Agent, a.id }, problems, seen);
    }

    QHash<QString, QString> orchestrationIds;
    for (qsizetype i = 0; i < orchestrations.size(); ++i) {
        const QString op = indexed(QStringLiteral("orchestrations"), i);
        checkId(orchestrations.at(i).id, op, orchestrationIds, out);
        validateOrchestration(*this, orchestrations.at(i), op, out);
        collect(out, Owner { Owner::Kind::Orchestration, orchestrations.at(i).id }, problems, seen);
    }
    return problems;
}

const ProviderConfig *Workspace::provider(const QString &id) const
{
    for (const ProviderConfig &p : providers)
        if (p.id == id)
            return &p;
    return nullptr;
}

const AgentSpec *Workspace::agent(const QString &id) const
{
    for (const AgentSpec &a : agents)
        if (a.id == id)
            return &a;
    return nullptr;
}

const OrchestrationSpec *Workspace::orchestration(const QString &id) const
{
    for (const OrchestrationSpec &o : orchestrations)
        if (o.id == id)
            return &o;
    return nullptr;
}

AgentSpec *Workspace::agent(const QString &id)
{
    for (AgentSpec &a : agents)
        if (a.id == id)
            return &a;
    return nullptr;
}

OrchestrationSpec *Workspace::orchestration(const QString &id)
{
    for (OrchestrationSpec &o : orchestrations)
        if (o.id == id)
            return &o;
    return nullptr;
}

const ToolSourceSpec *Workspace::toolSource(const QString &id) const
{
    for (const ToolSourceSpec &t : tools)
        if (t.id == id)
            return &t;
    return nullptr;
}

QString Workspace::baseDir() const
{
    if (filePath.isEmpty())
        return QDir::currentPath();
    if (!filePath.startsWith(QLatin1String(":/")))
        return QFileInfo(filePath).absolutePath();
    // The compiled-in example: its tool scripts are on disk beside the installed or source copy.
    const QString installed
        = QCoreApplication::applicationDirPath() + QStringLiteral("/../share/agentstudio/examples");
    if (QFileInfo::exists(installed))
        return QDir(installed).absolutePath();
    return QStringLiteral(AGENTSTUDIO_SOURCE_DIR "/resources/examples");
}
