#include "core/eval/Dataset.h"

#include "core/api/UpstreamResolver.h"
#include "core/common/Util.h"
#include "core/eval/Assertions.h"
#include "core/eval/DatasetSupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonParseError>

// Loading and checking `agentstudio-eval/1` datasets (docs/evaluations.md, "Datasets"). Pure
// apart from reading the files: the runner loads on its own thread, the app off the GUI thread.

using eval::detail::CaseRules;

QStringList toStrings(const QList<DatasetProblem> &problems)
{
    QStringList out;
    for (const DatasetProblem &p : problems)
        out.append(p.toString());
    return out;
}

EvalTarget::Kind EvalTarget::kind() const
{
    if (!agentSpec.isEmpty())
        return Kind::Inline;
    if (!workflow.isEmpty())
        return node.isEmpty() ? Kind::Workflow : Kind::Node;
    return Kind::Agent;
}

QString EvalTarget::label() const
{
    switch (kind()) {
    case Kind::Inline:
        return QStringLiteral("prompt");
    case Kind::Workflow:
        return QStringLiteral("workflow ") + workflow;
    case Kind::Node:
        return QStringLiteral("node ") + workflow + QLatin1Char('/') + node;
    case Kind::Agent:
        break;
    }
    return QStringLiteral("agent ") + agent;
}

QJsonObject EvalTarget::toJson() const
{
    switch (kind()) {
    case Kind::Inline: {
        QJsonObject o { { QStringLiteral("agent_spec"), agentSpec } };
        if (!providers.isEmpty())
            o.insert(QStringLiteral("providers"), providers);
        return o;
    }
    case Kind::Workflow:
        return { { QStringLiteral("workflow"), workflow } };
    case Kind::Node:
        return { { QStringLiteral("workflow"), workflow }, { QStringLiteral("node"), node } };
    case Kind::Agent:
        break;
    }
    return { { QStringLiteral("agent"), agent } };
}

bool EvalVariant::isBaseline() const
{
    return !instructions && !prompt && model.isEmpty() && parameters.isEmpty() && nodes.isEmpty();
}

namespace {

// {"instructions"?, "prompt"?, "model"?} with parameters merged into the model object.
QJsonObject overrideOf(const QJsonObject &change)
{
    QJsonObject out;
    for (const char *key : { "instructions", "prompt" })
        if (change.contains(QLatin1String(key)))
            out.insert(QLatin1String(key), change.value(QLatin1String(key)));
    QJsonObject model = change.value(QLatin1String("model")).toObject();
    const QJsonObject params = change.value(QLatin1String("parameters")).toObject();
    for (auto it = params.begin(); it != params.end(); ++it)
        model.insert(it.key(), it.value());
    if (!model.isEmpty())
        out.insert(QStringLiteral("model"), model);
    return out;
}

} // namespace

QJsonObject EvalVariant::agentOverrides(const EvalTarget &target) const
{
    QJsonObject own;
    if (instructions)
        own.insert(QStringLiteral("instructions"), *instructions);
    if (prompt)
        own.insert(QStringLiteral("prompt"), *prompt);
    if (!model.isEmpty())
        own.insert(QStringLiteral("model"), model);
    if (!parameters.isEmpty())
        own.insert(QStringLiteral("parameters"), parameters);
    QJsonObject out;
    QString key;
    switch (target.kind()) {
    case EvalTarget::Kind::Agent:
        key = target.agent;
        break;
    case EvalTarget::Kind::Node:
        key = target.node;
        break;
    case EvalTarget::Kind::Inline:
        key = target.agentSpec.value(QLatin1String("id")).toString();
        break;
    case EvalTarget::Kind::Workflow:
        break;
    }
    for (auto it = nodes.begin(); it != nodes.end(); ++it)
        if (const QJsonObject o = overrideOf(it.value()); !o.isEmpty())
            out.insert(it.key(), o);
    if (const QJsonObject o = overrideOf(own); !o.isEmpty() && !key.isEmpty()) {
        QJsonObject merged = out.value(key).toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            merged.insert(it.key(), it.value());
        out.insert(key, merged);
    }
    return out;
}

namespace {

class Loader
{
public:
    Loader(const QString &path, const Workspace &ws, QList<DatasetProblem> *problems)
        : m_path(path)
        , m_ws(ws)
        , m_problems(problems)
    {
    }

    void problem(const QString &path, const QString &message) { m_problems->append({ path, message }); }
    void unknownKeys(const QJsonObject &o, const QString &path, const QStringList &known)
    {
        for (auto it = o.begin(); it != o.end(); ++it)
            if (!known.contains(it.key()))
                problem(path + QLatin1Char('.') + it.key(),
                    QStringLiteral("unknown key (known: %1)").arg(known.join(QStringLiteral(", "))));
    }
    template <typename T> QString idsOf(const QList<T> &items)
    {
        QStringList ids;
        for (const T &i : items)
            ids.append(i.id);
        return ids.join(QStringLiteral(", "));
    }

    void target(const QJsonValue &v, Dataset &d, CaseRules &rules);
    void inlineTarget(const QJsonObject &o, Dataset &d, CaseRules &rules);
    void variants(const QJsonValue &v, Dataset &d);
    void variantChange(const QJsonObject &o, const QString &path, const Dataset &d, bool forNode);
    void judge(const QJsonValue &v, Dataset &d, const CaseRules &rules);
    void defaults(const QJsonValue &v, Dataset &d, CaseRules &rules);

    QString m_path;
    const Workspace &m_ws;
    QList<DatasetProblem> *m_problems;
    Workspace m_inlineWs; // the workspace with the inline target agent added
};

void Loader::target(const QJsonValue &v, Dataset &d, CaseRules &rules)
{
    const QString path = QStringLiteral("$.target");
    if (!v.isObject()) {
        problem(path,
            v.isUndefined() ? QStringLiteral(
                "missing (required): {\"agent\"}, {\"workflow\"[, \"node\"]} or {\"agent_spec\"}")
                            : QStringLiteral("expected an object, got %1").arg(describeJsonValue(v)));
        return;
    }
    const QJsonObject o = v.toObject();
    unknownKeys(o, path,
        { QStringLiteral("agent"), QStringLiteral("workflow"), QStringLiteral("node"),
            QStringLiteral("agent_spec"), QStringLiteral("providers") });
    EvalTarget &t = d.target;
    t.agent = o.value(u"agent").toString();
    t.workflow = o.value(u"workflow").toString();
    t.node = o.value(u"node").toString();
    const int kinds
        = int(o.contains(u"agent")) + int(o.contains(u"workflow")) + int(o.contains(u"agent_spec"));
    if (kinds != 1) {
        problem(path, QStringLiteral("needs exactly one of \"agent\", \"workflow\" or \"agent_spec\""));
        return;
    }
    if (o.contains(u"node") && !o.contains(u"workflow"))
        problem(path + QStringLiteral(".node"), QStringLiteral("only with a \"workflow\" target"));
    if (o.contains(u"providers") && !o.contains(u"agent_spec"))
        problem(path + QStringLiteral(".providers"), QStringLiteral("only with an \"agent_spec\" target"));
    for (const ProviderConfig &p : m_ws.providers)
        rules.knownProviders.append(p.id);
    rules.ws = &m_ws;
    if (o.contains(u"agent_spec")) {
        inlineTarget(o, d, rules);
    } else if (!t.agent.isEmpty() || o.contains(u"agent")) {
        const AgentSpec *a = m_ws.agent(t.agent);
        if (!a) {
            problem(path, QStringLiteral("unknown agent '%1' (known: %2)").arg(t.agent, idsOf(m_ws.agents)));
            return;
        }
        rules.owner = QStringLiteral("agent '%1'").arg(t.agent);
        rules.inputs = a->signature.inputs;
        rules.outputs = a->signature.outputs;
    } else {
        const OrchestrationSpec *w = m_ws.orchestration(t.workflow);
        if (!w) {
            problem(path,
                QStringLiteral("unknown workflow '%1' (known: %2)")
                    .arg(t.workflow, idsOf(m_ws.orchestrations)));
            return;
        }
        if (o.contains(u"node")) {
            const NodeSpec *n = w->node(t.node);
            const AgentSpec *a = n ? m_ws.agent(n->agent) : nullptr;
            if (!n || !a) {
                problem(path,
                    QStringLiteral("workflow '%1' has no node '%2' (nodes: %3)")
                        .arg(t.workflow, t.node, idsOf(w->nodes)));
                return;
            }
            rules.owner = QStringLiteral("node '%1' of workflow '%2'").arg(t.node, t.workflow);
            rules.inputs = a->signature.inputs;
            rules.outputs = a->signature.outputs;
            rules.node = true;
            rules.edgeFed = upstream::edgeFedInputs(*w, t.node);
            return;
        }
        rules.owner = QStringLiteral("workflow '%1'").arg(t.workflow);
        rules.inputs = w->inputs;
        for (const WorkflowOutputSpec &out : w->outputs) {
            const NodeSpec *n = w->node(out.fromNode);
            const AgentSpec *a = n ? m_ws.agent(n->agent) : nullptr;
            const FieldSpec *f = a ? a->signature.output(out.fromField) : nullptr;
            FieldSpec spec = f ? *f : FieldSpec {};
            spec.name = out.name;
            rules.outputs.append(spec);
        }
    }
}

// The inline agent is checked by the workspace's own validation: a copy of the workspace
// with the agent (and its providers) added, so its problems read like workspace problems.
void Loader::inlineTarget(const QJsonObject &o, Dataset &d, CaseRules &rules)
{
    const QString path = QStringLiteral("$.target.agent_spec");
    if (!o.value(u"agent_spec").isObject()) {
        problem(path,
            QStringLiteral("expected an agent object, got %1")
                .arg(describeJsonValue(o.value(u"agent_spec"))));
        return;
    }
    QJsonObject spec = o.value(u"agent_spec").toObject();
    if (!spec.contains(u"id"))
        spec.insert(QStringLiteral("id"), QStringLiteral("prompt"));
    d.target.agentSpec = spec;
    d.target.providers = o.value(u"providers").toArray();
    QJsonObject root = m_ws.toJson();
    QJsonArray agents = root.value(u"agents").toArray();
    const QString prefix = QStringLiteral("agents[%1]").arg(agents.size());
    agents.append(spec);
    root.insert(QStringLiteral("agents"), agents);
    QJsonObject providers = root.value(u"providers").toObject();
    for (const QJsonValue &p : std::as_const(d.target.providers)) {
        QJsonObject entry = p.toObject();
        const QString id = entry.take(QStringLiteral("id")).toString();
        providers.insert(id, entry);
        rules.knownProviders.append(id);
    }
    root.insert(QStringLiteral("providers"), providers);
    QStringList wsProblems;
    auto built = Workspace::fromJson(QJsonDocument(root).toJson(QJsonDocument::Compact), &wsProblems);
    for (const QString &p : std::as_const(wsProblems)) {
        if (p.startsWith(prefix))
            problem(path + p.mid(prefix.size()).section(QLatin1String(": "), 0, 0),
                p.section(QLatin1String(": "), 1));
        else if (p.startsWith(u"providers"))
            problem(QStringLiteral("$.target.providers"), p);
    }
    if (!built.ok())
        return;
    m_inlineWs = built.value();
    const AgentSpec *a = m_inlineWs.agent(spec.value(u"id").toString());
    if (!a)
        return;
    rules.ws = &m_inlineWs;
    rules.owner = QStringLiteral("the inline agent '%1'").arg(a->id);
    rules.inputs = a->signature.inputs;
    rules.outputs = a->signature.outputs;
}

void Loader::variantChange(const QJsonObject &o, const QString &path, const Dataset &d, bool forNode)
{
    for (const char *key : { "instructions", "prompt" })
        if (o.contains(QLatin1String(key)) && !o.value(QLatin1String(key)).isString())
            problem(path + QLatin1Char('.') + QLatin1String(key),
                QStringLiteral("expected a string, got %1")
                    .arg(describeJsonValue(o.value(QLatin1String(key)))));
    if (o.contains(u"prompt") && d.target.kind() != EvalTarget::Kind::Inline && !forNode)
        problem(path + QStringLiteral(".prompt"),
            QStringLiteral("only for an inline (agent_spec) target; use \"instructions\""));
    for (const char *key : { "model", "parameters" })
        if (o.contains(QLatin1String(key)) && !o.value(QLatin1String(key)).isObject())
            problem(path + QLatin1Char('.') + QLatin1String(key),
                QStringLiteral("expected an object, got %1")
                    .arg(describeJsonValue(o.value(QLatin1String(key)))));
    const QJsonValue provider = o.value(u"model").toObject().value(u"provider");
    QStringList known;
    for (const ProviderConfig &p : m_ws.providers)
        known.append(p.id);
    for (const QJsonValue &p : d.target.providers)
        known.append(p.toObject().value(u"id").toString());
    if (!provider.isUndefined() && !known.contains(provider.toString()))
        problem(path + QStringLiteral(".model.provider"),
            QStringLiteral("unknown provider %1 (known: %2)")
                .arg(describeJsonValue(provider), known.join(QStringLiteral(", "))));
}

void Loader::variants(const QJsonValue &v, Dataset &d)
{
    if (v.isUndefined()) {
        EvalVariant def;
        def.name = QStringLiteral("default");
        d.variants.append(def);
        return;
    }
    if (!v.isArray() || v.toArray().isEmpty()) {
        problem(QStringLiteral("$.variants"),
            QStringLiteral("expected a non-empty list, got %1").arg(describeJsonValue(v)));
        return;
    }
    const bool workflow
        = d.target.kind() == EvalTarget::Kind::Workflow || d.target.kind() == EvalTarget::Kind::Node;
    const OrchestrationSpec *w = workflow ? m_ws.orchestration(d.target.workflow) : nullptr;
    const QJsonArray list = v.toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QString path = QStringLiteral("$.variants[%1]").arg(i);
        const QJsonObject o = list.at(i).toObject();
        if (!list.at(i).isObject()) {
            problem(path, QStringLiteral("expected an object, got %1").arg(describeJsonValue(list.at(i))));
            continue;
        }
        unknownKeys(o, path,
            { QStringLiteral("name"), QStringLiteral("description"), QStringLiteral("instructions"),
                QStringLiteral("prompt"), QStringLiteral("model"), QStringLiteral("parameters"),
                QStringLiteral("nodes") });
        EvalVariant var;
        var.raw = o;
        var.name = o.value(u"name").toString();
        if (!o.value(u"name").isString() || var.name.isEmpty())
            problem(path + QStringLiteral(".name"), QStringLiteral("missing (required): a non-empty string"));
        else if (d.findVariant(var.name))
            problem(
                path + QStringLiteral(".name"), QStringLiteral("duplicate variant name '%1'").arg(var.name));
        const bool whole = d.target.kind() == EvalTarget::Kind::Workflow;
        if (whole)
            for (const char *key : { "instructions", "prompt", "model", "parameters" })
                if (o.contains(QLatin1String(key)))
                    problem(path + QLatin1Char('.') + QLatin1String(key),
                        QStringLiteral("a workflow variant changes nodes: put it under \"nodes\": {\"<node "
                                       "id>\": {…}}"));
        variantChange(o, path, d, false);
        if (o.contains(u"instructions"))
            var.instructions = o.value(u"instructions").toString();
        if (o.contains(u"prompt"))
            var.prompt = o.value(u"prompt").toString();
        var.model = o.value(u"model").toObject();
        var.parameters = o.value(u"parameters").toObject();
        if (o.contains(u"nodes") && !workflow) {
            problem(path + QStringLiteral(".nodes"), QStringLiteral("only for a workflow target"));
        } else if (o.contains(u"nodes")) {
            const QJsonObject nodes = o.value(u"nodes").toObject();
            for (auto it = nodes.begin(); it != nodes.end(); ++it) {
                const QString np = path + QStringLiteral(".nodes.") + it.key();
                if (w && !w->node(it.key()))
                    problem(np,
                        QStringLiteral("workflow '%1' has no node '%2' (nodes: %3)")
                            .arg(w->id, it.key(), idsOf(w->nodes)));
                unknownKeys(it.value().toObject(), np,
                    { QStringLiteral("instructions"), QStringLiteral("model"),
                        QStringLiteral("parameters") });
                variantChange(it.value().toObject(), np, d, true);
                var.nodes.insert(it.key(), it.value().toObject());
            }
        }
        d.variants.append(var);
    }
}

void Loader::judge(const QJsonValue &v, Dataset &d, const CaseRules &rules)
{
    if (v.isUndefined())
        return;
    const QString path = QStringLiteral("$.judge");
    const QJsonObject o = v.toObject();
    if (!v.isObject()) {
        problem(path, QStringLiteral("expected an object, got %1").arg(describeJsonValue(v)));
        return;
    }
    unknownKeys(o, path,
        { QStringLiteral("agent"), QStringLiteral("model"), QStringLiteral("samples"),
            QStringLiteral("threshold"), QStringLiteral("template") });
    // The same keys as a judge assertion: check them with a stand-in rubric.
    QJsonObject asAssertion;
    for (const char *key : { "agent", "model", "samples", "threshold", "template" })
        if (o.contains(QLatin1String(key)))
            asAssertion.insert(QLatin1String(key), o.value(QLatin1String(key)));
    asAssertion.insert(QStringLiteral("type"), QStringLiteral("judge"));
    asAssertion.insert(QStringLiteral("rubric"), QStringLiteral("-"));
    eval::parseAssertion(asAssertion, path, nullptr, m_problems);
    eval::detail::checkJudgeRefs(o, path, rules, m_problems);
    d.judge.agent = o.value(u"agent").toString();
    d.judge.model = o.value(u"model").toObject();
    d.judge.samples = o.value(u"samples").toInt(1);
    if (o.value(u"threshold").isDouble())
        d.judge.threshold = o.value(u"threshold").toDouble();
    d.judge.templateName = o.value(u"template").toString(QStringLiteral("rubric"));
}

} // namespace

std::optional<double> eval::detail::readThreshold(
    const QJsonObject &o, const QString &path, QList<DatasetProblem> *problems)
{
    if (!o.contains(u"threshold"))
        return std::nullopt;
    const QJsonValue t = o.value(u"threshold");
    if (!t.isDouble() || t.toDouble() < 0 || t.toDouble() > 1) {
        problems->append({ path + QStringLiteral(".threshold"),
            QStringLiteral("expected a number between 0 and 1, got %1").arg(describeJsonValue(t)) });
        return std::nullopt;
    }
    return t.toDouble();
}

namespace {

void Loader::defaults(const QJsonValue &v, Dataset &d, CaseRules &rules)
{
    if (v.isUndefined())
        return;
    const QString path = QStringLiteral("$.defaults");
    if (!v.isObject()) {
        problem(path, QStringLiteral("expected an object, got %1").arg(describeJsonValue(v)));
        return;
    }
    const QJsonObject o = v.toObject();
    unknownKeys(o, path, { QStringLiteral("assert"), QStringLiteral("threshold") });
    d.defaultThreshold = eval::detail::readThreshold(o, path, m_problems);
    rules.defaultThreshold = d.defaultThreshold;
    if (o.contains(u"assert") && !o.value(u"assert").isArray())
        problem(path + QStringLiteral(".assert"), QStringLiteral("expected a list of assertions"));
    const QJsonArray list = o.value(u"assert").toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QString ap = path + QStringLiteral(".assert[%1]").arg(i);
        const EvalAssertion a = eval::parseAssertion(list.at(i).toObject(), ap, nullptr, m_problems);
        eval::detail::checkOutputField(a, rules, m_problems);
        if (eval::isJudge(a))
            eval::detail::checkJudgeRefs(a.spec, ap, rules, m_problems);
        if (!list.at(i).isObject())
            problem(ap,
                QStringLiteral("expected an assertion object, got %1").arg(describeJsonValue(list.at(i))));
        d.defaults.append(a);
    }
    rules.defaults = d.defaults;
}

QByteArray sha256Hex(const QByteArray &a, const QByteArray &b)
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(a);
    h.addData(b);
    return h.result().toHex();
}

} // namespace

Result<Dataset> Dataset::load(const QString &path, const Workspace &ws, QList<DatasetProblem> *problems)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        const DatasetProblem p { path, QStringLiteral("cannot read the dataset: %1").arg(f.errorString()) };
        if (problems)
            problems->append(p);
        return Failure { p.toString() };
    }
    return fromJson(f.readAll(), path, ws, problems);
}

Result<Dataset> Dataset::fromJson(
    const QByteArray &json, const QString &path, const Workspace &ws, QList<DatasetProblem> *problems)
{
    QList<DatasetProblem> own;
    QList<DatasetProblem> *out = problems ? problems : &own;
    const qsizetype before = out->size();
    auto failed = [&]() -> Result<Dataset> {
        return Failure { toStrings(out->mid(before)).join(QLatin1Char('\n')) };
    };
    Dataset d;
    d.path = path;
    QJsonParseError e;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &e);
    if (e.error != QJsonParseError::NoError || !doc.isObject()) {
        const int line = int(json.left(e.offset).count('\n')) + 1;
        out->append({ QStringLiteral("$"),
            e.error != QJsonParseError::NoError
                ? QStringLiteral("not JSON: %1 (line %2)").arg(e.errorString()).arg(line)
                : QStringLiteral("expected a JSON object") });
        return failed();
    }
    const QJsonObject o = doc.object();
    d.raw = o;
    Loader l(path, ws, out);
    l.unknownKeys(o, QStringLiteral("$"),
        { QStringLiteral("format"), QStringLiteral("name"), QStringLiteral("description"),
            QStringLiteral("target"), QStringLiteral("variants"), QStringLiteral("repeat"),
            QStringLiteral("judge"), QStringLiteral("defaults"), QStringLiteral("cases_file"),
            QStringLiteral("cases") });
    if (o.value(u"format").toString() != d.format)
        l.problem(QStringLiteral("$.format"),
            o.contains(u"format") ? QStringLiteral("expected \"%1\", got %2")
                                        .arg(d.format, describeJsonValue(o.value(u"format")))
                                  : QStringLiteral("missing (required): \"%1\"").arg(d.format));
    d.name = o.value(u"name").toString(QFileInfo(path).completeBaseName());
    d.description = o.value(u"description").toString();
    for (const char *key : { "name", "description", "cases_file" })
        if (o.contains(QLatin1String(key)) && !o.value(QLatin1String(key)).isString())
            l.problem(QStringLiteral("$.") + QLatin1String(key),
                QStringLiteral("expected a string, got %1")
                    .arg(describeJsonValue(o.value(QLatin1String(key)))));
    CaseRules rules;
    l.target(o.value(u"target"), d, rules);
    l.variants(o.value(u"variants"), d);
    const QJsonValue repeat = o.value(u"repeat");
    if (!repeat.isUndefined()
        && !(repeat.isDouble() && repeat.toDouble() == std::floor(repeat.toDouble()) && repeat.toDouble() >= 1
            && repeat.toDouble() <= 1000))
        l.problem(QStringLiteral("$.repeat"),
            QStringLiteral("expected an integer from 1 to 1000, got %1").arg(describeJsonValue(repeat)));
    else
        d.repeat = repeat.toInt(1);
    l.judge(o.value(u"judge"), d, rules);
    l.defaults(o.value(u"defaults"), d, rules);

    const QJsonValue cases = o.value(u"cases");
    if (!cases.isUndefined() && !cases.isArray())
        l.problem(QStringLiteral("$.cases"),
            QStringLiteral("expected a list of cases, got %1").arg(describeJsonValue(cases)));
    const eval::detail::CasesLayout layout = eval::detail::casesLayout(json);
    const QJsonArray list = cases.toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QString cp = QStringLiteral("$.cases[%1]").arg(i);
        if (!list.at(i).isObject()) {
            l.problem(
                cp, QStringLiteral("expected a case object, got %1").arg(describeJsonValue(list.at(i))));
            continue;
        }
        EvalCase c = eval::detail::parseCase(list.at(i).toObject(), cp, rules, out);
        c.file = path;
        c.line = int(layout.lines.value(i, 0));
        d.cases.append(c);
    }
    QByteArray casesBytes;
    d.casesFile = o.value(u"cases_file").toString();
    if (!d.casesFile.isEmpty()) {
        const QString file = QFileInfo(path).dir().filePath(d.casesFile);
        QFile f(file);
        if (!f.open(QIODevice::ReadOnly)) {
            l.problem(QStringLiteral("$.cases_file"),
                QStringLiteral("cannot read '%1': %2").arg(file, f.errorString()));
        } else {
            casesBytes = f.readAll();
            d.cases += eval::detail::casesFromFile(casesBytes, d.casesFile, file, rules, out);
        }
    }
    if (d.cases.isEmpty() && out->size() == before)
        l.problem(QStringLiteral("$.cases"),
            QStringLiteral("the dataset has no cases (give \"cases\" or \"cases_file\")"));
    QHash<QString, QString> seen; // id -> where it was first defined
    for (int i = 0; i < d.cases.size(); ++i) {
        EvalCase &c = d.cases[i];
        const QString where = c.raw.take(QStringLiteral("$path")).toString();
        c.order = i;
        if (c.id.isEmpty())
            c.id = QStringLiteral("case-%1").arg(i + 1);
        if (seen.contains(c.id))
            l.problem(where + QStringLiteral(".id"),
                QStringLiteral("duplicate case id '%1' (first at %2)").arg(c.id, seen.value(c.id)));
        else
            seen.insert(c.id, where);
    }
    d.sha256 = QString::fromLatin1(sha256Hex(json, casesBytes));
    if (out->size() > before)
        return failed();
    return d;
}

QJsonObject Dataset::toJson() const
{
    QJsonObject o = raw;
    o.remove(QStringLiteral("cases_file"));
    QJsonArray list;
    for (const EvalCase &c : cases)
        list.append(c.raw);
    o.insert(QStringLiteral("cases"), list);
    return o;
}

const EvalCase *Dataset::findCase(const QString &id) const
{
    for (const EvalCase &c : cases)
        if (c.id == id)
            return &c;
    return nullptr;
}

const EvalVariant *Dataset::findVariant(const QString &name) const
{
    for (const EvalVariant &v : variants)
        if (v.name == name)
            return &v;
    return nullptr;
}
