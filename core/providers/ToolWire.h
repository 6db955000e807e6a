#pragma once

#include "core/api/ToolTypes.h"
#include "core/model/Prompt.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>

// Tool definitions and tool calls in the shapes of the providers' wires (docs/tool-calls.md).
// Pure functions and a value type, used by the provider calls on the engine thread.
namespace toolwire {

// A tool's JSON Schema made acceptable to every provider as the schema of its parameters: an
// object schema with `properties` (an empty or untyped schema becomes
// {"type":"object","properties":{}}); the `$schema` keyword, which none of them needs, dropped.
QJsonObject parametersSchema(const QJsonObject &inputSchema);

// The description the model reads: the description, else the title.
QString description(const ToolDefinition &tool);

// OpenAI `tools` (also Ollama's native `tools`):
// [{"type":"function","function":{"name","description","parameters"}}].
QJsonArray openAiTools(const QList<ToolDefinition> &tools);

// Anthropic `tools`: [{"name","description","input_schema"}].
QJsonArray anthropicTools(const QList<ToolDefinition> &tools);

// Tool calls streamed in pieces, keyed by the provider's index (OpenAI's tool_calls[].index,
// Anthropic's content block index): the first piece of an index brings id and name, later
// ones append argument text. calls() gives them in index order, arguments parsed, a missing
// id made up as call_<index>.
class CallAccumulator
{
public:
    void clear() { m_calls.clear(); }
    bool isEmpty() const { return m_calls.isEmpty(); }
    bool contains(int index) const { return m_calls.contains(index); }
    void start(int index, const QString &id, const QString &name);
    void setId(int index, const QString &id) { m_calls[index].id = id; }
    void appendName(int index, const QString &name) { m_calls[index].name += name; }
    void appendArguments(int index, const QString &text) { m_calls[index].arguments += text; }
    // Arguments given whole at the start (Anthropic's content_block_start `input`), used when
    // no argument text follows.
    void setInitialArguments(int index, const QJsonObject &arguments) { m_calls[index].initial = arguments; }
    QList<ModelToolCall> calls() const;

private:
    struct Pending
    {
        QString id, name, arguments;
        QJsonObject initial;
    };
    QMap<int, Pending> m_calls;
};

} // namespace toolwire
