#pragma once

#include "core/api/ToolTypes.h"

#include <QString>
#include <QStringList>

// `agentstudio-run tools list|call` (docs/cli.md, "tools"): lists a workspace's tool sources (or
// one MCP server given by --mcp URL / --mcp-command "CMD ARGS…") with their state and tools, or
// runs one tool by itself. The sources run in this process, on the main thread (a ToolHost),
// exactly as the engine would run them.
//
// Exit codes: 0 ok, 1 the tool reported an error, 2 bad arguments / an invalid workspace / an
// unknown source or tool / arguments that do not fit the tool's schema / a bearer token the
// workspace is not trusted with, 3 a source that cannot be started or reached.
//
// Threading: main thread, with a QCoreApplication; waits by running its event loop.
class ToolsCommand
{
public:
    enum Exit { Ok = 0, ToolError = 1, BadArguments = 2, Unreachable = 3 };

    // args after "tools": {"list", "--workspace", "w.agents.json"} or {"call", "TOOL", …}.
    static int exec(const QStringList &args);

    // The text output: a source with its state and tools (each with its parameters), and a
    // result (structured content as indented JSON, text as is, other blocks summarized).
    static QString statusText(const ToolSourceStatus &status);
    static QString resultText(const ToolResult &result);
};
