#pragma once

#include "core/common/Result.h"
#include "core/model/Workspace.h"

#include <QJsonObject>
#include <QList>
#include <QString>

// One tool call a model asked for (docs/agent-loop.md).
struct ModelToolCall
{
    QString id; // the provider's call id (OpenAI call_…, Anthropic toolu_…; made up for Ollama)
    QString name; // the tool name as offered to the model
    QJsonObject arguments; // parsed arguments ({} when they were not a JSON object)
    QString argumentsText; // the raw arguments text as streamed (for errors)
    // Why argumentsText is not a JSON object ("invalid JSON at offset 12: …", "arguments are
    // not a JSON object: got [1]"); empty when it is one (or empty, which means {}). The loop
    // returns such a call to the model as an error result instead of running the tool.
    QString argumentsError;

    // A call whose arguments arrived as text (OpenAI, Anthropic): parsed here.
    static ModelToolCall fromText(const QString &id, const QString &name, const QString &argumentsText);
    // A call whose arguments arrived as an object (Ollama, the scripted provider).
    static ModelToolCall fromObject(const QString &id, const QString &name, const QJsonObject &arguments);
    // The arguments as JSON text for a provider that wants text back (OpenAI): the text as the
    // model wrote it when there is one, else the compact JSON of `arguments`.
    QString argumentsJson() const;
    // {"id","name","arguments":{…},"arguments_text"?,"arguments_error"?} (trace, conversations)
    QJsonObject toJson() const;
    static ModelToolCall fromJson(const QJsonObject &o);
};

struct ChatMessage
{
    QString role; // system | user | assistant | tool
    QString content;
    // (Initialised here so that ChatMessage { role, content } leaves them out without a warning.)
    QList<ModelToolCall> toolCalls = {}; // assistant: the calls it asked for in this turn
    QString toolCallId = {}; // tool: the call this message answers
    QString toolName = {}; // tool: the tool's (offered) name
    bool isError = false; // tool: the content is an error result

    // The tool message that answers `call` (role tool, its id and name).
    static ChatMessage toolResult(const ModelToolCall &call, const QString &content, bool isError = false);
};

// docs/workspace-format.md: the instructions plus a description of the output fields as the system
// message, the inputs as the user message. A prompt agent (AgentSpec::promptTemplate) sends its
// template rendered with the inputs as the user message, after the instructions (if any) as the
// system message.
QList<ChatMessage> buildPrompt(const AgentSpec &agent, const QJsonObject &inputs);

// Parses a reply into the output fields: a single `str` output takes the raw text; otherwise a
// JSON object (tolerant of ```json fences and text around the object) validated against the
// output types. A reply that does not fit fails with "output 'confidence': expected a number,
// got \"high\"" or "reply is not a JSON object: …". Extra fields are dropped.
Result<QJsonObject> parseReply(const Signature &signature, const QString &reply);
