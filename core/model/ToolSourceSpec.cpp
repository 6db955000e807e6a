#include "core/model/FieldSpec.h"
#include "core/model/JsonSchema.h"
#include "core/model/Workspace.h"

#include <QRegularExpression>
#include <QUrl>

// One entry of the workspace's "tools" object (docs/tools.md): reading, writing and checking it.

namespace {

QString at(const QString &path, const QString &key)
{
    return path + QLatin1Char('.') + key;
}

QString got(const QJsonValue &v)
{
    return QStringLiteral(", got ") + describeJsonValue(v);
}

// Readers of one key: a value of the wrong type is a problem and reads as empty.
struct Reader
{
    const QJsonObject &o;
    const QString &path;
    QStringList *problems;

    void add(const QString &key, const QString &why) const
    {
        problems->append(at(path, key) + QStringLiteral(": ") + why);
    }

    QString string(const char *key) const
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (!v.isString() && !v.isUndefined() && !v.isNull())
            add(QLatin1String(key), QStringLiteral("expected a string") + got(v));
        return v.toString();
    }

    QStringList strings(const char *key) const
    {
        const QJsonValue v = o.value(QLatin1String(key));
        QStringList out;
        if (v.isUndefined())
            return out;
        if (!v.isArray()) {
            add(QLatin1String(key), QStringLiteral("expected a list of strings") + got(v));
            return out;
        }
        const QJsonArray a = v.toArray();
        for (qsizetype i = 0; i < a.size(); ++i) {
            if (!a.at(i).isString())
                add(QStringLiteral("%1[%2]").arg(QLatin1String(key)).arg(i),
                    QStringLiteral("expected a string") + got(a.at(i)));
            out.append(a.at(i).toString());
        }
        return out;
    }

    QHash<QString, QString> stringMap(const char *key) const
    {
        const QJsonValue v = o.value(QLatin1String(key));
        QHash<QString, QString> out;
        if (v.isUndefined())
            return out;
        if (!v.isObject()) {
            add(QLatin1String(key), QStringLiteral("expected an object of strings") + got(v));
            return out;
        }
        const QJsonObject m = v.toObject();
        for (auto it = m.begin(); it != m.end(); ++it) {
            if (!it.value().isString())
                add(QLatin1String(key) + QLatin1Char('.') + it.key(),
                    QStringLiteral("expected a string") + got(it.value()));
            out.insert(it.key(), it.value().toString());
        }
        return out;
    }

    // A whole number ≥ minimum; `fallback` when absent or wrong.
    int integer(const char *key, int minimum, int fallback) const
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined())
            return fallback;
        const double d = v.toDouble();
        if (!v.isDouble() || d != double(qint64(d)) || d > 2147483647.0) {
            add(QLatin1String(key), QStringLiteral("expected a whole number of milliseconds") + got(v));
            return fallback;
        }
        if (d < minimum) {
            add(QLatin1String(key), QStringLiteral("must be ≥ %1").arg(minimum));
            return fallback;
        }
        return int(d);
    }
};

bool isHttpUrl(const QString &text)
{
    const QUrl url(text, QUrl::StrictMode);
    return url.isValid() && (url.scheme() == u"http" || url.scheme() == u"https") && !url.host().isEmpty();
}

// A mock's responses: objects, each with a result or an error message, `when` an object.
void checkResponses(const QJsonArray &responses, const QString &path, QStringList &out)
{
    if (responses.isEmpty()) {
        out.append(path + QStringLiteral(": a mock needs at least one response"));
        return;
    }
    for (qsizetype i = 0; i < responses.size(); ++i) {
        const QString rp = path + QStringLiteral("[%1]").arg(i);
        const QJsonValue v = responses.at(i);
        if (!v.isObject()) {
            out.append(rp + QStringLiteral(": expected a response object") + got(v));
            continue;
        }
        const QJsonObject r = v.toObject();
        if (r.contains(u"when") && !r.value(u"when").isObject())
            out.append(at(rp, QStringLiteral("when"))
                + QStringLiteral(": expected an object of argument values") + got(r.value(u"when")));
        const bool result = r.contains(u"result"), error = r.contains(u"error");
        if (!result && !error)
            out.append(rp + QStringLiteral(": needs a \"result\" or an \"error\""));
        else if (result && error)
            out.append(rp + QStringLiteral(": has both a \"result\" and an \"error\" (give one)"));
        else if (error && !r.value(u"error").isString())
            out.append(at(rp, QStringLiteral("error"))
                + QStringLiteral(": expected a string (the error message)") + got(r.value(u"error")));
    }
}

} // namespace

const QStringList &ToolSourceSpec::kinds()
{
    static const QStringList names
        = { QStringLiteral("mcp"), QStringLiteral("command"), QStringLiteral("mock") };
    return names;
}

ToolSourceSpec ToolSourceSpec::parse(
    const QString &id, const QJsonObject &object, const QString &path, QStringList *problems)
{
    const Reader r { object, path, problems };
    ToolSourceSpec s;
    s.id = id;
    s.raw = object;
    s.kind = r.string("kind");
    s.command = r.string("command");
    s.args = r.strings("args");
    s.env = r.stringMap("env");
    s.cwd = r.string("cwd");
    s.url = r.string("url");
    s.bearerTokenEnv = r.string("bearer_token_env");
    s.description = r.string("description");
    if (const QJsonValue p = object.value(u"parameters"); p.isObject())
        s.parameters = p.toObject();
    else if (!p.isUndefined())
        r.add(QStringLiteral("parameters"), QStringLiteral("expected a JSON Schema object") + got(p));
    if (const QJsonValue v = object.value(u"responses"); v.isArray())
        s.responses = v.toArray();
    else if (!v.isUndefined())
        r.add(QStringLiteral("responses"), QStringLiteral("expected a list of responses") + got(v));
    s.latencyMs = r.integer("latency_ms", 0, 0);
    s.timeoutMs = r.integer("timeout_ms", 1, kDefaultTimeoutMs);
    if (const QJsonValue v = object.value(u"disabled"); v.isBool())
        s.disabled = v.toBool();
    else if (!v.isUndefined())
        r.add(QStringLiteral("disabled"), QStringLiteral("expected true or false") + got(v));
    return s;
}

QJsonObject ToolSourceSpec::toJson() const
{
    QJsonObject o = raw;
    o.insert(QStringLiteral("kind"), kind);
    auto setOrDrop = [&o](const QString &key, const QString &v) {
        if (v.isEmpty())
            o.remove(key);
        else
            o.insert(key, v);
    };
    setOrDrop(QStringLiteral("command"), command);
    setOrDrop(QStringLiteral("cwd"), cwd);
    setOrDrop(QStringLiteral("url"), url);
    setOrDrop(QStringLiteral("bearer_token_env"), bearerTokenEnv);
    setOrDrop(QStringLiteral("description"), description);
    // A list or object that is empty is written only when the file had the key.
    auto keep = [this](const char *key, bool empty) { return !empty || raw.contains(QLatin1String(key)); };
    if (keep("args", args.isEmpty()))
        o.insert(QStringLiteral("args"), QJsonArray::fromStringList(args));
    if (keep("env", env.isEmpty())) {
        QJsonObject e;
        for (auto it = env.begin(); it != env.end(); ++it)
            e.insert(it.key(), it.value());
        o.insert(QStringLiteral("env"), e);
    }
    if (keep("parameters", parameters.isEmpty()))
        o.insert(QStringLiteral("parameters"), parameters);
    if (keep("responses", responses.isEmpty()))
        o.insert(QStringLiteral("responses"), responses);
    if (keep("latency_ms", latencyMs == 0))
        o.insert(QStringLiteral("latency_ms"), latencyMs);
    if (keep("timeout_ms", timeoutMs == kDefaultTimeoutMs))
        o.insert(QStringLiteral("timeout_ms"), timeoutMs);
    if (keep("disabled", !disabled))
        o.insert(QStringLiteral("disabled"), disabled);
    return o;
}

QStringList ToolSourceSpec::check(const QString &path) const
{
    QStringList out;
    if (!FieldSpec::isValidName(id))
        out.append(path + QStringLiteral(": invalid id '%1' (letters, digits, '_' and '-' only)").arg(id));
    const QString expected = QStringLiteral("(expected mcp, command or mock)");
    if (kind.isEmpty()) {
        out.append(at(path, QStringLiteral("kind")) + QStringLiteral(": missing ") + expected);
        return out;
    }
    if (!kinds().contains(kind)) {
        out.append(
            at(path, QStringLiteral("kind")) + QStringLiteral(": unknown kind '%1' %2").arg(kind, expected));
        return out;
    }
    static const QRegularExpression envName(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
    if (kind == u"mcp") {
        if (command.isEmpty() && url.isEmpty())
            out.append(
                path + QStringLiteral(": an mcp source needs a command (stdio) or a url (Streamable HTTP)"));
        else if (!command.isEmpty() && !url.isEmpty())
            out.append(path + QStringLiteral(": an mcp source takes a command or a url, not both"));
        if (!url.isEmpty() && !isHttpUrl(url))
            out.append(
                at(path, QStringLiteral("url")) + QStringLiteral(": not an http(s) URL: '%1'").arg(url));
        if (!bearerTokenEnv.isEmpty() && url.isEmpty())
            out.append(at(path, QStringLiteral("bearer_token_env"))
                + QStringLiteral(": only a url source sends a bearer token"));
        if (!bearerTokenEnv.isEmpty() && !envName.match(bearerTokenEnv).hasMatch())
            out.append(at(path, QStringLiteral("bearer_token_env"))
                + QStringLiteral(
                    ": expected the NAME of an environment variable (letters, digits, '_'), never the "
                    "token itself"));
        if (!parameters.isEmpty())
            out.append(at(path, QStringLiteral("parameters"))
                + QStringLiteral(": an mcp server describes its tools' parameters itself (tools/list)"));
        return out;
    }
    if (kind == u"command" && command.isEmpty())
        out.append(at(path, QStringLiteral("command")) + QStringLiteral(": missing (the program to run)"));
    if (!url.isEmpty())
        out.append(at(path, QStringLiteral("url")) + QStringLiteral(": only an mcp source has a url"));
    if (kind == u"mock")
        checkResponses(responses, at(path, QStringLiteral("responses")), out);
    if (!parameters.isEmpty()) {
        const JsonSchema schema(parameters);
        const QString pp = at(path, QStringLiteral("parameters"));
        const QStringList problems = schema.problems(pp);
        out.append(problems);
        if (problems.isEmpty() && !schema.isObjectSchema())
            out.append(pp
                + QStringLiteral(": must be an object schema ({\"type\": \"object\", …}): a tool's arguments "
                                 "are a JSON object"));
    }
    return out;
}

QJsonObject ToolSourceSpec::argumentSchema() const
{
    if (!parameters.isEmpty())
        return parameters;
    return QJsonObject { { QStringLiteral("type"), QStringLiteral("object") } };
}
