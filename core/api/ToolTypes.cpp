#include "core/api/ToolTypes.h"

#include <QJsonDocument>

namespace {

void putIfSet(QJsonObject &o, QStringView key, const QString &value)
{
    if (!value.isEmpty())
        o.insert(key, value);
}

void putIfSet(QJsonObject &o, QStringView key, const QJsonObject &value)
{
    if (!value.isEmpty())
        o.insert(key, value);
}

QJsonObject textBlock(const QString &text)
{
    return QJsonObject { { QStringLiteral("type"), QStringLiteral("text") },
        { QStringLiteral("text"), text } };
}

struct StateName
{
    ToolSourceState state;
    const char *wire;
};
constexpr StateName kStates[]
    = { { ToolSourceState::Idle, "idle" }, { ToolSourceState::Starting, "starting" },
          { ToolSourceState::Connected, "connected" }, { ToolSourceState::Failed, "failed" } };

} // namespace

QJsonObject ToolDefinition::toJson() const
{
    QJsonObject o;
    putIfSet(o, u"source", source);
    o.insert(u"name", name);
    putIfSet(o, u"title", title);
    o.insert(u"description", description);
    o.insert(u"inputSchema", inputSchema);
    putIfSet(o, u"outputSchema", outputSchema);
    putIfSet(o, u"annotations", annotations);
    return o;
}

ToolDefinition ToolDefinition::fromJson(const QJsonObject &o)
{
    ToolDefinition d;
    d.source = o.value(u"source").toString();
    d.name = o.value(u"name").toString();
    d.title = o.value(u"title").toString();
    d.description = o.value(u"description").toString();
    d.inputSchema = o.value(u"inputSchema").toObject();
    d.outputSchema = o.value(u"outputSchema").toObject();
    d.annotations = o.value(u"annotations").toObject();
    return d;
}

ToolResult ToolResult::fromText(const QString &text)
{
    ToolResult r;
    r.content.append(textBlock(text));
    return r;
}

ToolResult ToolResult::fromValue(const QJsonValue &value)
{
    if (value.isString())
        return fromText(value.toString());
    ToolResult r;
    r.structuredContent = value;
    const QByteArray text = value.isObject() ? QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact)
        : value.isArray()
        ? QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact)
        : QJsonDocument(QJsonArray { value }).toJson(QJsonDocument::Compact).mid(1).chopped(1);
    r.content.append(textBlock(QString::fromUtf8(text)));
    return r;
}

ToolResult ToolResult::fromError(const QString &message)
{
    ToolResult r = fromText(message);
    r.isError = true;
    return r;
}

ToolResult ToolResult::fromCancel(const QString &message)
{
    ToolResult r = fromError(message);
    r.cancelled = true;
    return r;
}

QString ToolResult::text() const
{
    QStringList parts;
    for (const QJsonValue &v : content) {
        const QJsonObject block = v.toObject();
        if (block.value(u"type").toString() == u"text")
            parts.append(block.value(u"text").toString());
    }
    if (!parts.isEmpty())
        return parts.join(QLatin1Char('\n'));
    if (structuredContent.isObject())
        return QString::fromUtf8(QJsonDocument(structuredContent.toObject()).toJson(QJsonDocument::Compact));
    if (structuredContent.isArray())
        return QString::fromUtf8(QJsonDocument(structuredContent.toArray()).toJson(QJsonDocument::Compact));
    return QString();
}

QJsonValue ToolResult::modelValue() const
{
    if (!structuredContent.isUndefined() && !structuredContent.isNull())
        return structuredContent;
    return text();
}

QJsonObject ToolResult::toJson() const
{
    QJsonObject o;
    o.insert(u"content", content);
    if (!structuredContent.isUndefined())
        o.insert(u"structuredContent", structuredContent);
    o.insert(u"isError", isError);
    if (cancelled)
        o.insert(u"cancelled", true);
    return o;
}

ToolResult ToolResult::fromJson(const QJsonObject &o)
{
    ToolResult r;
    r.content = o.value(u"content").toArray();
    if (o.contains(u"structuredContent"))
        r.structuredContent = o.value(u"structuredContent");
    r.isError = o.value(u"isError").toBool();
    r.cancelled = o.value(u"cancelled").toBool();
    return r;
}

QString toWire(ToolSourceState state)
{
    for (const StateName &s : kStates)
        if (s.state == state)
            return QString::fromLatin1(s.wire);
    return QStringLiteral("idle");
}

ToolSourceState toolSourceStateFromWire(const QString &text)
{
    for (const StateName &s : kStates)
        if (text == QLatin1String(s.wire))
            return s.state;
    return ToolSourceState::Idle;
}

QJsonObject ToolSourceStatus::toJson() const
{
    QJsonObject o;
    o.insert(u"id", id);
    o.insert(u"kind", kind);
    putIfSet(o, u"target", target);
    o.insert(u"state", toWire(state));
    putIfSet(o, u"error", error);
    o.insert(u"log", QJsonArray::fromStringList(log));
    if (!serverName.isEmpty() || !protocolVersion.isEmpty())
        o.insert(u"server",
            QJsonObject { { QStringLiteral("name"), serverName },
                { QStringLiteral("version"), serverVersion },
                { QStringLiteral("protocol_version"), protocolVersion } });
    QJsonArray a;
    for (const ToolDefinition &t : tools)
        a.append(t.toJson());
    o.insert(u"tools", a);
    return o;
}

ToolSourceStatus ToolSourceStatus::fromJson(const QJsonObject &o)
{
    ToolSourceStatus s;
    s.id = o.value(u"id").toString();
    s.kind = o.value(u"kind").toString();
    s.target = o.value(u"target").toString();
    s.state = toolSourceStateFromWire(o.value(u"state").toString());
    s.error = o.value(u"error").toString();
    for (const QJsonValue &v : o.value(u"log").toArray())
        s.log.append(v.toString());
    const QJsonObject server = o.value(u"server").toObject();
    s.serverName = server.value(u"name").toString();
    s.serverVersion = server.value(u"version").toString();
    s.protocolVersion = server.value(u"protocol_version").toString();
    for (const QJsonValue &v : o.value(u"tools").toArray()) {
        ToolDefinition d = ToolDefinition::fromJson(v.toObject());
        if (d.source.isEmpty())
            d.source = s.id;
        s.tools.append(d);
    }
    return s;
}
