#include "core/model/WorkspaceWriter.h"

#include "core/common/Util.h"

#include <QJsonArray>
#include <QStringList>

#include <algorithm>

namespace {

constexpr int kLineWidth = 120;

// What an object is, from where it sits in the file; it decides the key order and what its
// children are.
enum class Context {
    Other,
    Root,
    Providers,
    Provider,
    Agent,
    Model,
    Signature,
    Field,
    Example,
    Orchestration,
    Node,
    Edge,
    WorkflowOutput,
    ToolSources,
    ToolSource,
    MockResponse,
    Schema,
    SchemaMap, // properties, $defs: name -> schema
};

QStringList keyOrder(Context c)
{
    switch (c) {
    case Context::Root:
        return { QStringLiteral("format"), QStringLiteral("organization_id"), QStringLiteral("workspace_id"),
            QStringLiteral("name"), QStringLiteral("description"), QStringLiteral("providers"),
            QStringLiteral("tools"), QStringLiteral("agents"), QStringLiteral("orchestrations") };
    case Context::Provider:
        return { QStringLiteral("kind"), QStringLiteral("base_url"), QStringLiteral("api_key_env") };
    case Context::Agent:
        return { QStringLiteral("id"), QStringLiteral("name"), QStringLiteral("version"),
            QStringLiteral("description"), QStringLiteral("model"), QStringLiteral("instructions"),
            QStringLiteral("prompt"), QStringLiteral("tools"), QStringLiteral("max_turns"),
            QStringLiteral("signature"), QStringLiteral("examples") };
    case Context::Model:
        return { QStringLiteral("provider"), QStringLiteral("name"), QStringLiteral("temperature"),
            QStringLiteral("max_tokens") };
    case Context::Signature:
        return { QStringLiteral("inputs"), QStringLiteral("outputs") };
    case Context::Field:
        return { QStringLiteral("name"), QStringLiteral("type"), QStringLiteral("desc"),
            QStringLiteral("multiline"), QStringLiteral("max_length"), QStringLiteral("min"),
            QStringLiteral("max"), QStringLiteral("choices"), QStringLiteral("default"),
            QStringLiteral("required") };
    case Context::Example:
        return { QStringLiteral("name"), QStringLiteral("inputs") };
    case Context::Orchestration:
        return { QStringLiteral("id"), QStringLiteral("name"), QStringLiteral("version"),
            QStringLiteral("description"), QStringLiteral("inputs"), QStringLiteral("nodes"),
            QStringLiteral("edges"), QStringLiteral("outputs"), QStringLiteral("pins"),
            QStringLiteral("examples") };
    case Context::Node:
        return { QStringLiteral("id"), QStringLiteral("agent") };
    case Context::Edge:
        return { QStringLiteral("from"), QStringLiteral("to") };
    case Context::WorkflowOutput:
        return { QStringLiteral("name"), QStringLiteral("from") };
    case Context::ToolSource:
        return { QStringLiteral("kind"), QStringLiteral("description"), QStringLiteral("command"),
            QStringLiteral("args"), QStringLiteral("env"), QStringLiteral("cwd"), QStringLiteral("url"),
            QStringLiteral("bearer_token_env"), QStringLiteral("parameters"), QStringLiteral("responses"),
            QStringLiteral("latency_ms"), QStringLiteral("timeout_ms") };
    case Context::MockResponse:
        return { QStringLiteral("when"), QStringLiteral("result"), QStringLiteral("error") };
    case Context::Schema:
        return { QStringLiteral("type"), QStringLiteral("title"), QStringLiteral("description"),
            QStringLiteral("properties"), QStringLiteral("required"), QStringLiteral("items"),
            QStringLiteral("enum"), QStringLiteral("default") };
    case Context::Providers:
    case Context::ToolSources:
    case Context::SchemaMap:
    case Context::Other:
        break;
    }
    return {};
}

// The context of the value under `key` of an object in context `c` (for a list: of its items).
Context childContext(Context c, const QString &key)
{
    auto is = [&key](const char *k) { return key == QLatin1String(k); };
    switch (c) {
    case Context::Root:
        if (is("providers"))
            return Context::Providers;
        if (is("agents"))
            return Context::Agent;
        if (is("orchestrations"))
            return Context::Orchestration;
        if (is("tools"))
            return Context::ToolSources;
        break;
    case Context::Providers:
        return Context::Provider;
    case Context::ToolSources:
        return Context::ToolSource;
    case Context::ToolSource:
        if (is("parameters"))
            return Context::Schema;
        if (is("responses"))
            return Context::MockResponse;
        break;
    case Context::Schema:
        if (is("properties") || is("$defs") || is("definitions"))
            return Context::SchemaMap;
        if (is("items") || is("additionalProperties") || is("anyOf") || is("oneOf") || is("allOf"))
            return Context::Schema;
        break;
    case Context::SchemaMap:
        return Context::Schema;
    case Context::Agent:
        if (is("model"))
            return Context::Model;
        if (is("signature"))
            return Context::Signature;
        if (is("examples"))
            return Context::Example;
        break;
    case Context::Signature:
        if (is("inputs") || is("outputs"))
            return Context::Field;
        break;
    case Context::Orchestration:
        if (is("inputs"))
            return Context::Field;
        if (is("nodes"))
            return Context::Node;
        if (is("edges"))
            return Context::Edge;
        if (is("outputs"))
            return Context::WorkflowOutput;
        if (is("examples"))
            return Context::Example;
        break;
    default:
        break;
    }
    return Context::Other;
}

QStringList orderedKeys(const QJsonObject &o, Context c)
{
    QStringList keys;
    const QStringList preferred = keyOrder(c);
    for (const QString &k : preferred)
        if (o.contains(k))
            keys.append(k);
    QStringList rest;
    for (auto it = o.begin(); it != o.end(); ++it)
        if (!preferred.contains(it.key()))
            rest.append(it.key());
    std::sort(rest.begin(), rest.end()); // QJsonObject keys are sorted already; be explicit
    return keys + rest;
}

QString scalar(const QJsonValue &v)
{
    return as::compactJson(v);
}

// One line: {"a": 1, "b": [1, 2]}.
QString inlineText(const QJsonValue &v, Context c)
{
    if (v.isObject()) {
        const QJsonObject o = v.toObject();
        QStringList parts;
        for (const QString &k : orderedKeys(o, c))
            parts.append(scalar(k) + QStringLiteral(": ") + inlineText(o.value(k), childContext(c, k)));
        return QLatin1Char('{') + parts.join(QStringLiteral(", ")) + QLatin1Char('}');
    }
    if (v.isArray()) {
        QStringList parts;
        for (const QJsonValue &item : v.toArray())
            parts.append(inlineText(item, c));
        return QLatin1Char('[') + parts.join(QStringLiteral(", ")) + QLatin1Char(']');
    }
    return scalar(v);
}

// `c` is the context of v itself (for arrays: of their items). `used` is how many columns the
// text before v on its line takes.
void write(QString &out, const QJsonValue &v, Context c, int indent, int used)
{
    if (!v.isObject() && !v.isArray()) {
        out += scalar(v);
        return;
    }
    const QString oneLine = inlineText(v, c);
    const bool empty = v.isObject() ? v.toObject().isEmpty() : v.toArray().isEmpty();
    // The root always opens up, everything else stays on one line when it fits.
    if (empty || (c != Context::Root && used + oneLine.size() <= kLineWidth)) {
        out += oneLine;
        return;
    }
    const QString pad(indent + 2, QLatin1Char(' '));
    if (v.isObject()) {
        const QJsonObject o = v.toObject();
        const QStringList keys = orderedKeys(o, c);
        out += QStringLiteral("{\n");
        for (qsizetype i = 0; i < keys.size(); ++i) {
            const QString head = pad + scalar(keys.at(i)) + QStringLiteral(": ");
            out += head;
            write(out, o.value(keys.at(i)), childContext(c, keys.at(i)), indent + 2,
                int(head.size()) + (i + 1 < keys.size() ? 1 : 0));
            out += (i + 1 < keys.size()) ? QStringLiteral(",\n") : QStringLiteral("\n");
        }
        out += QString(indent, QLatin1Char(' ')) + QLatin1Char('}');
        return;
    }
    const QJsonArray a = v.toArray();
    out += QStringLiteral("[\n");
    for (qsizetype i = 0; i < a.size(); ++i) {
        out += pad;
        write(out, a.at(i), c, indent + 2, int(pad.size()) + (i + 1 < a.size() ? 1 : 0));
        out += (i + 1 < a.size()) ? QStringLiteral(",\n") : QStringLiteral("\n");
    }
    out += QString(indent, QLatin1Char(' ')) + QLatin1Char(']');
}

} // namespace

QByteArray formatWorkspaceJson(const QJsonObject &workspace)
{
    QString out;
    write(out, workspace, Context::Root, 0, 0);
    out += QLatin1Char('\n');
    return out.toUtf8();
}
