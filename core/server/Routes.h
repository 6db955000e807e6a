#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

// The endpoints of agentstudio-server (docs/wire-protocol.md) as a pure table: which route a
// method and a decoded path name, with its path parameter, or why none does. WorkspaceServer
// builds the 404 / 405 replies from the outcome; nothing here reads a token or the store, so
// the answer is the same before and after authentication. Pure functions; any thread.
namespace routes {

enum class Route {
    None,
    Health,
    Workspace,
    AgentTest,
    OrchExecute,
    List,
    Get,
    Cancel,
    WsPlain,
    Tools,
    ToolCall,
    Metrics, // GET /metrics (Prometheus text)
    Mcp // POST, GET, DELETE /mcp (MCP Streamable HTTP)
};

enum class Outcome {
    Found, // the path and the method match
    NotFound, // no endpoint has this path (404)
    MethodNotAllowed, // the path exists, the method is not its one (405 with Allow: allow)
};

struct Match
{
    Outcome outcome = Outcome::NotFound;
    Route route = Route::None; // also set with MethodNotAllowed (the route the path names)
    QByteArray
        allow; // the methods the path takes ("GET", "POST" or "POST, GET, DELETE"); empty when NotFound
    // The path parameter: the agent id (AgentTest), orchestration id (OrchExecute) or execution
    // id (Get, Cancel, WsPlain), percent-decoded; empty for the other routes. ToolCall: the
    // tool source id.
    QString id;
    QString tool; // ToolCall: the tool name (the second parameter)
};

// `segments` is the decoded path split on '/' with empty segments dropped (HttpRequest::segments),
// so "/api/health/" and "//api/health" name the same route as "/api/health". HEAD is taken
// wherever GET is.
Match match(const QByteArray &method, const QStringList &segments);

} // namespace routes
