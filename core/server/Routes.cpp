#include "core/server/Routes.h"

namespace routes {

namespace {

// One endpoint: its path with "{}" for the parameter, the route and its method.
struct Endpoint
{
    QStringList pattern;
    Route route;
    const char *method;
};

const QList<Endpoint> &endpoints()
{
    static const QList<Endpoint> table = {
        { { QStringLiteral("api"), QStringLiteral("health") }, Route::Health, "GET" },
        { { QStringLiteral("api"), QStringLiteral("workspace") }, Route::Workspace, "GET" },
        { { QStringLiteral("api"), QStringLiteral("agents"), QString(), QStringLiteral("test") },
            Route::AgentTest, "POST" },
        { { QStringLiteral("api"), QStringLiteral("orchestrations"), QString(), QStringLiteral("execute") },
            Route::OrchExecute, "POST" },
        { { QStringLiteral("api"), QStringLiteral("executions") }, Route::List, "GET" },
        { { QStringLiteral("api"), QStringLiteral("executions"), QString() }, Route::Get, "GET" },
        { { QStringLiteral("api"), QStringLiteral("executions"), QString(), QStringLiteral("cancel") },
            Route::Cancel, "POST" },
        { { QStringLiteral("ws"), QStringLiteral("execution"), QString() }, Route::WsPlain, "GET" },
        { { QStringLiteral("api"), QStringLiteral("tools") }, Route::Tools, "GET" },
        { { QStringLiteral("api"), QStringLiteral("tools"), QString(), QString(), QStringLiteral("call") },
            Route::ToolCall, "POST" },
        { { QStringLiteral("metrics") }, Route::Metrics, "GET" },
        { { QStringLiteral("mcp") }, Route::Mcp, "POST, GET, DELETE" },
    };
    return table;
}

// A null QString in the pattern is a parameter: any one segment, collected in order.
bool matches(const QStringList &pattern, const QStringList &segments, QStringList *params)
{
    if (pattern.size() != segments.size())
        return false;
    for (qsizetype i = 0; i < pattern.size(); ++i) {
        if (pattern[i].isNull())
            params->append(segments[i]);
        else if (pattern[i] != segments[i])
            return false;
    }
    return true;
}

} // namespace

Match match(const QByteArray &method, const QStringList &segments)
{
    Match m;
    for (const Endpoint &e : endpoints()) {
        QStringList params;
        if (!matches(e.pattern, segments, &params))
            continue;
        m.route = e.route;
        m.allow = e.method;
        m.id = params.value(0);
        m.tool = params.value(1);
        const QList<QByteArray> allowed = m.allow.split(',');
        bool found = false;
        for (const QByteArray &a : allowed) {
            const QByteArray one = a.trimmed();
            if (method == one || (method == "HEAD" && one == "GET"))
                found = true;
        }
        m.outcome = found ? Outcome::Found : Outcome::MethodNotAllowed;
        return m;
    }
    return m;
}

} // namespace routes
