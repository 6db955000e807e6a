#include "core/model/Prompt.h"

#include "core/common/Util.h"
#include "core/model/PromptTemplate.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace {

QString number(double d)
{
    return as::compactJson(QJsonValue(d));
}

QString rangeText(const FieldSpec &f)
{
    if (f.min && f.max)
        return QStringLiteral(" from %1 to %2").arg(number(*f.min), number(*f.max));
    if (f.min)
        return QStringLiteral(" ≥ %1").arg(number(*f.min));
    if (f.max)
        return QStringLiteral(" ≤ %1").arg(number(*f.max));
    return {};
}

// "integer from 0 to 10", "list of strings", "one of \"a\", \"b\"".
QString typeText(const FieldSpec &f)
{
    QStringList quoted;
    for (const QString &c : f.choices)
        quoted.append(QLatin1Char('"') + c + QLatin1Char('"'));
    switch (f.type) {
    case FieldType::Str: {
        QString s = QStringLiteral("string");
        if (f.multiline)
            s += QStringLiteral(", may span several lines");
        if (f.maxLength)
            s += QStringLiteral(", at most %1 characters").arg(*f.maxLength);
        return s;
    }
    case FieldType::Int:
        return QStringLiteral("integer") + rangeText(f);
    case FieldType::Float:
        return QStringLiteral("number") + rangeText(f);
    case FieldType::Bool:
        return QStringLiteral("true or false");
    case FieldType::Enum:
        return QStringLiteral("one of ") + quoted.join(QStringLiteral(", "));
    case FieldType::ListStr:
        return f.maxLength ? QStringLiteral("list of strings, each at most %1 characters").arg(*f.maxLength)
                           : QStringLiteral("list of strings");
    case FieldType::ListInt:
        return QStringLiteral("list of integers")
            + (rangeText(f).isEmpty() ? QString() : QStringLiteral(", each") + rangeText(f));
    case FieldType::ListFloat:
        return QStringLiteral("list of numbers")
            + (rangeText(f).isEmpty() ? QString() : QStringLiteral(", each") + rangeText(f));
    case FieldType::Json:
        return QStringLiteral("any JSON value");
    }
    return {};
}

QString describeOutput(const FieldSpec &f)
{
    QString line
        = QStringLiteral("- \"%1\" (%2, %3)")
              .arg(f.name, typeText(f), f.required ? QStringLiteral("required") : QStringLiteral("optional"));
    if (!f.desc.isEmpty())
        line += QStringLiteral(": ") + f.desc;
    return line;
}

QString describeInput(const QString &name, const FieldSpec *f, const QJsonValue &v)
{
    if (v.isString()) {
        const QString text = v.toString();
        if ((f && f->multiline) || text.contains(QLatin1Char('\n')))
            return name + QStringLiteral(":\n") + text;
        return name + QStringLiteral(": ") + text;
    }
    return name + QStringLiteral(": ") + as::compactJson(v);
}

// Parses text as one JSON value; nullopt when it is not exactly one value.
std::optional<QJsonValue> parseJson(const QString &text)
{
    const QString t = text.trimmed();
    if (t.isEmpty())
        return std::nullopt;
    QString error;
    const QJsonValue v = as::parseJsonValue(t, &error);
    if (!error.isEmpty())
        return std::nullopt;
    return v;
}

// The text from the first '{' to its matching '}', skipping braces inside JSON strings.
QString outermostObject(const QString &text)
{
    const qsizetype start = text.indexOf(QLatin1Char('{'));
    if (start < 0)
        return {};
    int depth = 0;
    bool inString = false;
    bool escaped = false;
    for (qsizetype i = start; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == u'\\')
                escaped = true;
            else if (c == u'"')
                inString = false;
            continue;
        }
        if (c == u'"')
            inString = true;
        else if (c == u'{')
            ++depth;
        else if (c == u'}' && --depth == 0)
            return text.mid(start, i - start + 1);
    }
    return {};
}

// Finds the JSON in a reply: the whole text, a ``` or ```json fenced block, or the outermost
// {...} among prose. Prefers an object; falls back to any other JSON value found.
std::optional<QJsonValue> extractJson(const QString &reply)
{
    std::optional<QJsonValue> fallback;
    auto consider = [&](const QString &candidate) -> bool {
        const auto v = parseJson(candidate);
        if (!v)
            return false;
        if (v->isObject())
            return true;
        if (!fallback)
            fallback = v;
        return false;
    };
    if (consider(reply))
        return parseJson(reply);
    static const QRegularExpression fence(QStringLiteral("```[A-Za-z0-9_-]*[ \\t]*\\n?(.*?)```"),
        QRegularExpression::DotMatchesEverythingOption);
    auto it = fence.globalMatch(reply);
    while (it.hasNext()) {
        const QString body = it.next().captured(1);
        if (consider(body))
            return parseJson(body);
        const QString inner = outermostObject(body);
        if (!inner.isEmpty() && consider(inner))
            return parseJson(inner);
    }
    const QString object = outermostObject(reply);
    if (!object.isEmpty() && consider(object))
        return parseJson(object);
    // A first '{' in the prose may not be the object's: try from the last balanced block.
    const qsizetype first = reply.indexOf(QLatin1Char('{'));
    const qsizetype last = reply.lastIndexOf(QLatin1Char('}'));
    if (first >= 0 && last > first) {
        for (qsizetype s = reply.indexOf(QLatin1Char('{'), first + 1); s >= 0 && s < last;
             s = reply.indexOf(QLatin1Char('{'), s + 1)) {
            const QString candidate = outermostObject(reply.mid(s));
            if (!candidate.isEmpty() && consider(candidate))
                return parseJson(candidate);
        }
    }
    return fallback;
}

// "  **Approve.**\n" -> "Approve": the reply without markup, quotes and a final full stop.
QString bareWord(const QString &reply)
{
    QString t = reply.trimmed();
    static const QString strip = QStringLiteral("*_`\"'.!");
    while (!t.isEmpty() && strip.contains(t.back()))
        t.chop(1);
    while (!t.isEmpty() && strip.contains(t.front()))
        t.remove(0, 1);
    return t.trimmed();
}

QString snippet(const QString &text)
{
    QString s = text.simplified();
    if (s.size() > 80)
        s = s.left(77) + QStringLiteral("…");
    return s;
}

} // namespace

ModelToolCall ModelToolCall::fromText(const QString &id, const QString &name, const QString &argumentsText)
{
    ModelToolCall call;
    call.id = id;
    call.name = name;
    call.argumentsText = argumentsText;
    if (argumentsText.trimmed().isEmpty())
        return call; // no arguments: {} (a tool without parameters; Anthropic's empty input)
    QString error;
    const QJsonValue v = as::parseJsonValue(argumentsText, &error);
    if (!error.isEmpty())
        call.argumentsError = error;
    else if (!v.isObject())
        call.argumentsError
            = QStringLiteral("arguments are not a JSON object: got %1").arg(describeJsonValue(v));
    else
        call.arguments = v.toObject();
    return call;
}

ModelToolCall ModelToolCall::fromObject(const QString &id, const QString &name, const QJsonObject &arguments)
{
    ModelToolCall call;
    call.id = id;
    call.name = name;
    call.arguments = arguments;
    call.argumentsText = as::compactJson(arguments);
    return call;
}

QString ModelToolCall::argumentsJson() const
{
    return argumentsText.isEmpty() ? as::compactJson(arguments) : argumentsText;
}

QJsonObject ModelToolCall::toJson() const
{
    QJsonObject o { { QStringLiteral("id"), id }, { QStringLiteral("name"), name },
        { QStringLiteral("arguments"), arguments } };
    if (!argumentsText.isEmpty() && argumentsText != as::compactJson(arguments))
        o.insert(QStringLiteral("arguments_text"), argumentsText);
    if (!argumentsError.isEmpty())
        o.insert(QStringLiteral("arguments_error"), argumentsError);
    return o;
}

ModelToolCall ModelToolCall::fromJson(const QJsonObject &o)
{
    ModelToolCall call;
    call.id = o.value(u"id").toString();
    call.name = o.value(u"name").toString();
    call.arguments = o.value(u"arguments").toObject();
    call.argumentsText = o.contains(u"arguments_text") ? o.value(u"arguments_text").toString()
                                                       : as::compactJson(call.arguments);
    call.argumentsError = o.value(u"arguments_error").toString();
    return call;
}

ChatMessage ChatMessage::toolResult(const ModelToolCall &call, const QString &content, bool isError)
{
    ChatMessage m;
    m.role = QStringLiteral("tool");
    m.content = content;
    m.toolCallId = call.id;
    m.toolName = call.name;
    m.isError = isError;
    return m;
}

QList<ChatMessage> buildPrompt(const AgentSpec &agent, const QJsonObject &inputs)
{
    if (!agent.promptTemplate.isEmpty()) {
        // A prompt agent sends exactly its rendered template (what promptfoo sends), so an
        // echo provider answers with it and the raw reply is the output.
        QList<ChatMessage> messages;
        if (!agent.instructions.trimmed().isEmpty())
            messages.append(ChatMessage { QStringLiteral("system"), agent.instructions.trimmed() });
        messages.append(
            ChatMessage { QStringLiteral("user"), prompttemplate::render(agent.promptTemplate, inputs) });
        return messages;
    }
    const Signature &sig = agent.signature;
    QStringList system;
    if (!agent.instructions.trimmed().isEmpty())
        system.append(agent.instructions.trimmed());

    QStringList out { QStringLiteral("## Output") };
    if (sig.rawTextOutput()) {
        const FieldSpec &f = sig.outputs.constFirst();
        QString line = QStringLiteral("Reply with the %1 as plain text only, with no preamble and no JSON.")
                           .arg(f.name);
        if (!f.desc.isEmpty())
            line += QStringLiteral(" %1: %2").arg(f.name, f.desc);
        if (f.maxLength)
            line += QStringLiteral(" At most %1 characters.").arg(*f.maxLength);
        out.append(line);
    } else {
        out.append(QStringLiteral("Reply with one JSON object with exactly these keys:"));
        for (const FieldSpec &f : sig.outputs)
            out.append(describeOutput(f));
        out.append(
            QStringLiteral("Reply with the JSON object only: no code fences, no text before or after it."));
    }
    system.append(out.join(QLatin1Char('\n')));

    QStringList user;
    for (const FieldSpec &f : sig.inputs)
        if (inputs.contains(f.name))
            user.append(describeInput(f.name, &f, inputs.value(f.name)));
    for (auto it = inputs.begin(); it != inputs.end(); ++it)
        if (!sig.input(it.key()))
            user.append(describeInput(it.key(), nullptr, it.value()));
    if (user.isEmpty())
        user.append(QStringLiteral("(no inputs)"));

    return { ChatMessage { QStringLiteral("system"), system.join(QStringLiteral("\n\n")) },
        ChatMessage { QStringLiteral("user"), user.join(QStringLiteral("\n\n")) } };
}

Result<QJsonObject> parseReply(const Signature &signature, const QString &reply)
{
    if (signature.outputs.isEmpty())
        return QJsonObject();

    if (signature.rawTextOutput()) {
        const FieldSpec &f = signature.outputs.constFirst();
        QString text = reply.trimmed();
        // A model that answers {"summary": "…"} anyway still gives the text.
        if (text.startsWith(QLatin1Char('{'))) {
            const auto v = parseJson(text);
            if (v && v->isObject() && v->toObject().size() == 1 && v->toObject().value(f.name).isString())
                text = v->toObject().value(f.name).toString();
        }
        const QString why = f.validate(QJsonValue(text));
        if (!why.isEmpty())
            return Failure { QStringLiteral("output '%1': %2").arg(f.name, why) };
        return QJsonObject { { f.name, text } };
    }

    if (reply.trimmed().isEmpty())
        return Failure { QStringLiteral("reply is not a JSON object: the reply is empty") };
    const std::optional<QJsonValue> found = extractJson(reply);
    QJsonObject object;
    if (found && found->isObject()) {
        object = found->toObject();
    } else if (found && signature.outputs.size() == 1) {
        // A single non-text output answered with the bare value ("42", "[1, 2]").
        object.insert(signature.outputs.constFirst().name, *found);
    } else if (found) {
        return Failure {
            QStringLiteral("reply is not a JSON object: got %1").arg(describeJsonValue(*found))
        };
    } else if (signature.outputs.size() == 1 && signature.outputs.constFirst().type == FieldType::Enum
        && signature.outputs.constFirst().choices.contains(bareWord(reply))) {
        // A single enum output answered with the bare choice ("approve", "Approve.").
        object.insert(signature.outputs.constFirst().name, bareWord(reply));
    } else {
        return Failure { QStringLiteral("reply is not a JSON object: %1").arg(snippet(reply)) };
    }

    QStringList problems;
    QJsonObject result;
    for (const FieldSpec &f : signature.outputs) {
        const QJsonValue v = object.value(f.name);
        if (v.isUndefined() || (v.isNull() && f.type != FieldType::Json)) {
            if (f.defaultValue)
                result.insert(f.name, f.normalize(*f.defaultValue));
            else if (f.required)
                problems.append(QStringLiteral("output '%1': missing").arg(f.name));
            continue;
        }
        const QString why = f.validate(v);
        if (!why.isEmpty())
            problems.append(QStringLiteral("output '%1': %2").arg(f.name, why));
        else
            result.insert(f.name, f.normalize(v));
    }
    if (!problems.isEmpty())
        return Failure { problems.join(QStringLiteral("; ")) };
    return result;
}
