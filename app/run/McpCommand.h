#pragma once

#include <QStringList>

// `agentstudio-run mcp serve --workspace FILE [--db FILE | --no-history] [--trust-workspace]`
// (docs/mcp-server.md): offers the workspace's agents and workflows as MCP tools over stdio.
// stdout carries the protocol only; everything else goes to stderr. The end of stdin, SIGTERM
// or SIGINT cancels the calls still running and exits 0 once their records are written.
//
// Exit codes: 0 the session ended, 2 bad arguments / an invalid workspace / keys that need
// --trust-workspace.
//
// Threading: main thread, with a QCoreApplication; runs its event loop until the session ends.
class McpCommand
{
public:
    enum Exit { Ok = 0, BadArguments = 2 };

    // args after "mcp": {"serve", "--workspace", "w.agents.json", …}.
    static int exec(const QStringList &args);
};
