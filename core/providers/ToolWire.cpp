#include "core/providers/ToolWire.h"

namespace toolwire {

QJsonObject parametersSchema(const QJsonObject &inputSchema)
{
    QJsonObject schema = inputSchema;
    schema.remove(QStringLiteral("$schema"));
    // OpenAI answers 400 to an object schema without `properties`; Anthropic requires a
    // top-level `type: object`. MCP tools always describe an object of arguments.
    if (!schema.contains(u"type") && !schema.contains(u"anyOf") && !schema.contains(u"oneOf")
        && !schema.contains(u"allOf"))
        schema.insert(QStringLiteral("type"), QStringLiteral("object"));
    if (schema.value(u"type").toString() == u"object" && !schema.value(u"properties").isObject())
        schema.insert(QStringLiteral("properties"), QJsonObject());
    return schema;
}

QString description(const ToolDefinition &tool)
{
    return tool.description.isEmpty() ? tool.title : tool.description;
}

QJsonArray openAiTools(const QList<ToolDefinition> &tools)
{
    QJsonArray out;
    for (const ToolDefinition &t : tools) {
        QJsonObject fn { { QStringLiteral("name"), t.name },
            { QStringLiteral("parameters"), parametersSchema(t.inputSchema) } };
        const QString desc = description(t);
        if (!desc.isEmpty())
            fn.insert(QStringLiteral("description"), desc);
        out.append(QJsonObject {
            { QStringLiteral("type"), QStringLiteral("function") }, { QStringLiteral("function"), fn } });
    }
    return out;
}

QJsonArray anthropicTools(const QList<ToolDefinition> &tools)
{
    QJsonArray out;
    for (const ToolDefinition &t : tools) {
        QJsonObject tool { { QStringLiteral("name"), t.name },
            { QStringLiteral("input_schema"), parametersSchema(t.inputSchema) } };
        const QString desc = description(t);
        if (!desc.isEmpty())
            tool.insert(QStringLiteral("description"), desc);
        out.append(tool);
    }
    return out;
}

void CallAccumulator::start(int index, const QString &id, const QString &name)
{
    Pending &p = m_calls[index];
    p.id = id;
    p.name = name;
}

QList<ModelToolCall> CallAccumulator::calls() const
{
    QList<ModelToolCall> out;
    out.reserve(m_calls.size());
    for (auto it = m_calls.cbegin(); it != m_calls.cend(); ++it) {
        const Pending &p = it.value();
        // Some compatible servers send no ids; the results must still find their calls.
        const QString id = p.id.isEmpty() ? QStringLiteral("call_%1").arg(it.key()) : p.id;
        if (p.arguments.isEmpty() && !p.initial.isEmpty())
            out.append(ModelToolCall::fromObject(id, p.name, p.initial));
        else
            out.append(ModelToolCall::fromText(id, p.name, p.arguments));
    }
    return out;
}

} // namespace toolwire
