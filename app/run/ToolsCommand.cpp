#include "app/run/ToolsCommand.h"

#include "app/run/CliArguments.h"
#include "app/run/CliOutput.h"
#include "core/common/Util.h"
#include "core/model/FieldSpec.h"
#include "core/model/Workspace.h"
#include "core/tools/ToolHost.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QUrl>

#include <optional>
#include <variant>

namespace {

// The id an ad-hoc server (--mcp, --mcp-command) gets.
const QString kAdHocId = QStringLiteral("mcp");

int refuse(const QString &message)
{
    cli::errLine(
        QStringLiteral("agentstudio-run: ") + message + QStringLiteral("\nTry 'agentstudio-run --help'."));
    return ToolsCommand::BadArguments;
}

// Runs the event loop until `done()` holds: the runner's way to wait for an answer.
template <typename Done> void waitUntil(const Done &done)
{
    while (!done())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
}

// What the source options name: a workspace (some of its sources), or one ad-hoc MCP server.
struct Sources
{
    Workspace workspace;
    QStringList ids; // the sources to list or search, in workspace order
    bool fromWorkspace = false;
};

// --workspace FILE [--source ID] | --mcp URL | --mcp-command "CMD ARGS…", checked; an exit code
// when refused (messages printed).
std::variant<Sources, int> readSources(const QString &command, const CliArguments &a)
{
    Sources s;
    if (a.has(QStringLiteral("mcp")) || a.has(QStringLiteral("mcp-command"))) {
        ToolSourceSpec spec;
        spec.id = kAdHocId;
        spec.kind = QStringLiteral("mcp");
        if (a.has(QStringLiteral("mcp"))) {
            spec.url = a.value(QStringLiteral("mcp"));
            const QUrl url(spec.url);
            if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https")
                || url.host().isEmpty())
                return refuse(QStringLiteral("--mcp: '%1' is not an http(s) URL").arg(spec.url));
        } else {
            const Result<QStringList> words
                = CliArguments::splitCommand(a.value(QStringLiteral("mcp-command")));
            if (!words)
                return refuse(QStringLiteral("--mcp-command: ") + words.error());
            spec.command = words->first();
            spec.args = words->mid(1);
        }
        s.workspace.tools = { spec };
        s.ids = { kAdHocId };
        return s;
    }
    const QString path = a.value(QStringLiteral("workspace"));
    QStringList problems;
    Result<Workspace> ws = Workspace::load(path, &problems);
    if (!ws) {
        const QStringList lines = problems.isEmpty() ? ws.error().split(QLatin1Char('\n')) : problems;
        cli::errLine(lines.join(QLatin1Char('\n')));
        cli::errLine(QStringLiteral("agentstudio-run: invalid workspace %1").arg(path));
        return ToolsCommand::BadArguments;
    }
    s.workspace = ws.take();
    s.fromWorkspace = true;
    for (const ToolSourceSpec &t : std::as_const(s.workspace.tools))
        s.ids.append(t.id);
    if (a.has(QStringLiteral("source"))) {
        const QString id = a.value(QStringLiteral("source"));
        if (!s.workspace.toolSource(id))
            return refuse(
                QStringLiteral("%1: unknown tool source '%2' (sources: %3)")
                    .arg(command, id,
                        s.ids.isEmpty() ? QStringLiteral("none") : s.ids.join(QStringLiteral(", "))));
        s.ids = { id };
    }
    return s;
}

// The sources `tools call TOOL` needs: the one "SOURCE/TOOL" names, or the command or mock
// source named TOOL; else all of them (searched for TOOL).
void narrowForCall(Sources &s, const QString &tool)
{
    if (!s.fromWorkspace || s.ids.size() == 1)
        return;
    const qsizetype slash = tool.indexOf(QLatin1Char('/'));
    if (slash > 0 && s.workspace.toolSource(tool.left(slash)))
        s.ids = { tool.left(slash) };
    else if (const ToolSourceSpec *spec = s.workspace.toolSource(tool); spec && spec->kind != u"mcp")
        s.ids = { tool };
}

// A bearer token goes only where the user trusts the file (docs/credentials.md): the sources
// about to be used that would send one need --trust-workspace. False (reasons printed) when
// they lack it.
bool trustSettled(const Sources &s, const CliArguments &a)
{
    const QList<CredentialUse> uses = ToolHost::credentialUses(s.workspace, s.ids);
    if (uses.isEmpty() || a.has(QStringLiteral("trust-workspace")))
        return true;
    for (const CredentialUse &use : uses)
        cli::errLine(QStringLiteral("agentstudio-run: ") + ToolHost::untrustedMessage(use));
    cli::errLine(QStringLiteral("agentstudio-run: if you trust %1, run again with --trust-workspace")
                     .arg(a.value(QStringLiteral("workspace"))));
    return false;
}

// Lists the chosen sources (starting them) and returns their statuses, in order.
QList<ToolSourceStatus> listSources(ToolHost &host, const QStringList &ids)
{
    int waiting = int(ids.size());
    QObject context;
    for (const QString &id : ids)
        host.source(id)->listTools(
            &context, [&waiting](const QList<ToolDefinition> &, const QString &) { --waiting; });
    waitUntil([&waiting] { return waiting == 0; });
    QList<ToolSourceStatus> out;
    for (const QString &id : ids)
        out.append(host.source(id)->status());
    return out;
}

int list(ToolHost &host, const Sources &sources, bool json)
{
    const QList<ToolSourceStatus> statuses = listSources(host, sources.ids);
    bool failed = false;
    QJsonArray array;
    QStringList texts;
    for (const ToolSourceStatus &s : statuses) {
        failed = failed || s.state == ToolSourceState::Failed;
        array.append(s.toJson());
        texts.append(ToolsCommand::statusText(s));
    }
    if (json)
        cli::outJson(QJsonObject { { QStringLiteral("sources"), array } });
    else if (texts.isEmpty())
        cli::errLine(QStringLiteral("no tool sources"));
    else
        cli::out(texts.join(QLatin1Char('\n')));
    return failed ? ToolsCommand::Unreachable : ToolsCommand::Ok;
}

// Which source offers TOOL: "source/tool", --source, the ad-hoc server, a command or mock
// source named TOOL, else the listed sources that offer it (exactly one must).
std::variant<std::pair<QString, QString>, int> findTool(
    ToolHost &host, const Sources &sources, const CliArguments &a, const QString &tool)
{
    const qsizetype slash = tool.indexOf(QLatin1Char('/'));
    if (slash > 0 && sources.ids.contains(tool.left(slash)))
        return std::pair { tool.left(slash), tool.mid(slash + 1) };
    if (a.has(QStringLiteral("source")) || !sources.fromWorkspace)
        return std::pair { sources.ids.first(), tool };
    if (ToolSource *s = host.source(tool); s && s->kind() != u"mcp")
        return std::pair { tool, tool };
    QStringList offering, all, failed;
    for (const ToolSourceStatus &s : listSources(host, sources.ids)) {
        if (s.state == ToolSourceState::Failed)
            failed.append(QStringLiteral("%1: %2").arg(s.id, s.error));
        for (const ToolDefinition &t : s.tools) {
            all.append(s.id + QLatin1Char('/') + t.name);
            if (t.name == tool)
                offering.append(s.id);
        }
    }
    if (offering.size() == 1)
        return std::pair { offering.first(), tool };
    if (offering.isEmpty()) {
        cli::errLine(QStringLiteral("agentstudio-run: tools call: no source offers a tool '%1' (tools: %2)")
                         .arg(tool, all.isEmpty() ? QStringLiteral("none") : all.join(QStringLiteral(", "))));
        // A source that did not answer might offer it: that is not the caller's mistake.
        for (const QString &f : std::as_const(failed))
            cli::errLine(QStringLiteral("agentstudio-run: failed: ") + f);
        return failed.isEmpty() ? ToolsCommand::BadArguments : ToolsCommand::Unreachable;
    }
    cli::errLine(
        QStringLiteral("agentstudio-run: tools call: '%1' is offered by %2: name one as SOURCE/TOOL or with "
                       "--source")
            .arg(tool, offering.join(QStringLiteral(" and "))));
    return ToolsCommand::BadArguments;
}

// --args JSON | --args-file FILE: a JSON object (none given: {}).
Result<QJsonObject> readArguments(const CliArguments &a)
{
    QString text = QStringLiteral("{}");
    QString option = QStringLiteral("--args");
    if (a.has(QStringLiteral("args"))) {
        text = a.value(QStringLiteral("args"));
    } else if (a.has(QStringLiteral("args-file"))) {
        option = QStringLiteral("--args-file");
        QFile f(a.value(QStringLiteral("args-file")));
        if (!f.open(QIODevice::ReadOnly))
            return Failure {
                QStringLiteral("--args-file: cannot read %1: %2").arg(f.fileName(), f.errorString())
            };
        text = QString::fromUtf8(f.readAll());
    }
    QString error;
    const QJsonValue v = as::parseJsonValue(text, &error);
    if (!error.isEmpty())
        return Failure { QStringLiteral("%1: %2").arg(option, error) };
    if (!v.isObject())
        return Failure { QStringLiteral("%1: expected a JSON object of arguments, got %2")
                             .arg(option, describeJsonValue(v)) };
    return v.toObject();
}

int call(
    ToolHost &host, const Sources &sources, const CliArguments &a, const QJsonObject &arguments, bool json)
{
    const auto found = findTool(host, sources, a, a.positionals().first());
    if (const int *code = std::get_if<int>(&found))
        return *code;
    const auto &[sourceId, tool] = std::get<std::pair<QString, QString>>(found);
    std::optional<std::pair<ToolResult, Error>> answer;
    QObject context;
    host.call(sourceId, tool, arguments, &context,
        [&answer](const ToolResult &result, const Error &error) { answer.emplace(result, error); });
    waitUntil([&answer] { return answer.has_value(); });
    const auto &[result, error] = *answer;
    if (error.code != ErrorCode::None) {
        cli::errLine(QStringLiteral("agentstudio-run: tools call: ") + error.message);
        return error.code == ErrorCode::Unreachable ? ToolsCommand::Unreachable : ToolsCommand::BadArguments;
    }
    if (json)
        cli::outJson(QJsonObject { { QStringLiteral("result"), result.toJson() },
            { QStringLiteral("latency_ms"), result.latencyMs } });
    else if (result.isError)
        cli::errLine(QStringLiteral("error: ") + result.text());
    else
        cli::out(ToolsCommand::resultText(result));
    if (!json)
        cli::errLine(
            QStringLiteral("%1/%2: %3 in %4 ms")
                .arg(sourceId, tool, result.isError ? QStringLiteral("tool error") : QStringLiteral("ok"))
                .arg(result.latencyMs));
    return result.isError ? ToolsCommand::ToolError : ToolsCommand::Ok;
}

} // namespace

int ToolsCommand::exec(const QStringList &args)
{
    const QString sub = args.value(0);
    if (sub != u"list" && sub != u"call")
        return refuse(sub.isEmpty() ? QStringLiteral("tools: missing 'list' or 'call'")
                                    : QStringLiteral("tools: expected 'list' or 'call', got '%1'").arg(sub));
    const QString command = QStringLiteral("tools ") + sub;
    QList<CliOption> options = { { QStringLiteral("workspace") }, { QStringLiteral("source") },
        { QStringLiteral("mcp") }, { QStringLiteral("mcp-command") }, { QStringLiteral("format") },
        { QStringLiteral("trust-workspace"), false } };
    if (sub == u"call")
        options += { { QStringLiteral("args") }, { QStringLiteral("args-file") } };
    const Result<CliArguments> parsed
        = CliArguments::parse(command, args.mid(1), options, sub == u"call" ? 1 : 0);
    if (!parsed)
        return refuse(parsed.error());
    const CliArguments &a = *parsed;
    const QString format
        = a.has(QStringLiteral("format")) ? a.value(QStringLiteral("format")) : QStringLiteral("text");
    if (format != u"text" && format != u"json")
        return refuse(QStringLiteral("%1: --format must be text or json, not '%2'").arg(command, format));
    if (a.countGiven({ QStringLiteral("workspace"), QStringLiteral("mcp"), QStringLiteral("mcp-command") })
        != 1)
        return refuse(command
            + QStringLiteral(
                ": give exactly one of --workspace FILE, --mcp URL or --mcp-command \"CMD ARGS\""));
    if (a.has(QStringLiteral("source")) && !a.has(QStringLiteral("workspace")))
        return refuse(command + QStringLiteral(": --source needs --workspace"));
    QJsonObject arguments;
    if (sub == u"call") {
        if (a.positionals().isEmpty())
            return refuse(QStringLiteral("tools call: TOOL is required"));
        if (a.countGiven({ QStringLiteral("args"), QStringLiteral("args-file") }) > 1)
            return refuse(QStringLiteral("tools call: --args and --args-file exclude each other"));
        const Result<QJsonObject> read = readArguments(a);
        if (!read)
            return refuse(QStringLiteral("tools call: ") + read.error());
        arguments = *read;
    }
    auto sources = readSources(command, a);
    if (const int *code = std::get_if<int>(&sources))
        return *code;
    Sources &chosen = std::get<Sources>(sources);
    if (sub == u"call")
        narrowForCall(chosen, a.positionals().first());
    if (!trustSettled(chosen, a))
        return BadArguments;

    QNetworkAccessManager network;
    ToolHost host(&network);
    host.setWorkspace(chosen.workspace,
        a.has(QStringLiteral("trust-workspace")) ? CredentialTrust::everything() : CredentialTrust {});
    const bool json = format == u"json";
    const int code = sub == u"list" ? list(host, chosen, json) : call(host, chosen, a, arguments, json);
    host.shutdown();
    return code;
}

namespace {

// "order_id: string, required — The order's id" for each property of an object schema.
QStringList parameterLines(const QJsonObject &schema)
{
    QStringList lines;
    const QJsonObject properties = schema.value(u"properties").toObject();
    QStringList required;
    for (const QJsonValue &r : schema.value(u"required").toArray())
        required.append(r.toString());
    for (auto it = properties.begin(); it != properties.end(); ++it) {
        const QJsonObject p = it.value().toObject();
        const QJsonValue type = p.value(u"type");
        QString line = it.key() + QStringLiteral(": ")
            + (type.isString()            ? type.toString()
                    : type.isArray()      ? as::compactJson(type)
                    : p.contains(u"enum") ? QStringLiteral("one of ") + as::compactJson(p.value(u"enum"))
                                          : QStringLiteral("any"));
        if (required.contains(it.key()))
            line += QStringLiteral(", required");
        if (const QString d = p.value(u"description").toString(); !d.isEmpty())
            line += QStringLiteral(" — ") + d;
        lines.append(line);
    }
    return lines;
}

} // namespace

QString ToolsCommand::statusText(const ToolSourceStatus &s)
{
    QString out = QStringLiteral("%1 (%2, %3)").arg(s.id, s.kind, toWire(s.state));
    if (!s.target.isEmpty())
        out += QStringLiteral(": ") + s.target;
    out += QLatin1Char('\n');
    if (!s.serverName.isEmpty())
        out += QStringLiteral("  server %1 %2, protocol %3\n")
                   .arg(s.serverName, s.serverVersion, s.protocolVersion);
    if (!s.error.isEmpty())
        out += QStringLiteral("  error: ")
            + QString(s.error).replace(QLatin1Char('\n'), QStringLiteral("\n    ")) + QLatin1Char('\n');
    for (const ToolDefinition &t : s.tools) {
        out += QStringLiteral("  ") + t.name;
        if (!t.description.isEmpty())
            out += QStringLiteral(" — ") + t.description.split(QLatin1Char('\n')).first();
        out += QLatin1Char('\n');
        for (const QString &line : parameterLines(t.inputSchema))
            out += QStringLiteral("      ") + line + QLatin1Char('\n');
    }
    if (!s.log.isEmpty())
        out += QStringLiteral("  log:\n    ") + s.log.join(QStringLiteral("\n    ")) + QLatin1Char('\n');
    return out;
}

QString ToolsCommand::resultText(const ToolResult &r)
{
    QStringList parts;
    const bool structured = !r.structuredContent.isUndefined();
    if (structured) {
        const QJsonValue v = r.structuredContent;
        parts.append(v.isObject() ? QString::fromUtf8(QJsonDocument(v.toObject()).toJson()).trimmed()
                : v.isArray()     ? QString::fromUtf8(QJsonDocument(v.toArray()).toJson()).trimmed()
                                  : as::compactJson(v));
    }
    for (const QJsonValue &b : r.content) {
        const QJsonObject block = b.toObject();
        const QString type = block.value(u"type").toString();
        if (type == u"text") {
            // The compact copy of the structured content says nothing new.
            const QString text = block.value(u"text").toString();
            if (!structured || text != as::compactJson(r.structuredContent))
                parts.append(text);
        } else if (type == u"image" || type == u"audio") {
            parts.append(QStringLiteral("[%1 %2, %3 bytes]")
                             .arg(type, block.value(u"mimeType").toString())
                             .arg(QByteArray::fromBase64(block.value(u"data").toString().toLatin1()).size()));
        } else if (type == u"resource") {
            const QJsonObject res = block.value(u"resource").toObject();
            parts.append(QStringLiteral("[resource %1]").arg(res.value(u"uri").toString()));
            if (res.contains(u"text"))
                parts.append(res.value(u"text").toString());
        } else if (type == u"resource_link") {
            parts.append(QStringLiteral("[link %1]").arg(block.value(u"uri").toString()));
        } else {
            parts.append(QStringLiteral("[%1]").arg(type));
        }
    }
    return parts.join(QLatin1Char('\n')) + QLatin1Char('\n');
}
