#!/usr/bin/env python3
"""A stdio MCP server for the fault tests of the MCP client (tests/mcp/tst_mcp_stdio.cpp).

Standard library only. One JSON-RPC message per line on stdin/stdout; notes for the test go to
stderr (the client keeps them as the source's log). Options:
  --version V        answer initialize with protocol version V (default: echo the client's)
  --no-init-answer   never answer initialize (the client's initialize timeout)
  --stubborn         ignore stdin EOF and SIGTERM (the client must escalate to SIGKILL)
  --page-size N      tools/list pages of N tools (default 3)
"""
import json
import os
import signal
import sys
import time

args = sys.argv[1:]
VERSION = args[args.index("--version") + 1] if "--version" in args else None
NO_INIT_ANSWER = "--no-init-answer" in args
STUBBORN = "--stubborn" in args
PAGE_SIZE = int(args[args.index("--page-size") + 1]) if "--page-size" in args else 3

out = sys.stdout.buffer


def send(message):
    out.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
    out.flush()


def note(text):
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def schema(**props):
    return {"type": "object", "properties": {k: {"type": t} for k, t in props.items()}}


TOOLS = [
    {"name": "echo", "description": "Echoes text", "inputSchema": schema(text="string")},
    {"name": "crash", "description": "Exits with code 3 in the middle of the call", "inputSchema": schema()},
    {"name": "malformed", "description": "Writes a broken line, then answers", "inputSchema": schema()},
    {"name": "hang", "description": "Never answers", "inputSchema": schema()},
    {"name": "big", "description": "Returns `size` characters", "inputSchema": schema(size="integer")},
    {"name": "rpc_error", "description": "Answers with a JSON-RPC error", "inputSchema": schema()},
    {"name": "blocks", "description": "Returns every kind of content block", "inputSchema": schema()},
    {"name": "change_tools", "description": "Adds a tool and says so", "inputSchema": schema()},
    {"name": "ask_client", "description": "Sends ping and roots/list to the client", "inputSchema": schema()},
    {"name": "whoami", "description": "Process id, folder, environment", "inputSchema": schema()},
    {"name": "task_only", "description": "Runs only as a task", "inputSchema": schema(),
     "execution": {"taskSupport": "required"}},
]

BLOCKS = [
    {"type": "text", "text": "all kinds", "annotations": {"audience": ["user"], "priority": 0.5}},
    {"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"},
    {"type": "audio", "data": "UklGRg==", "mimeType": "audio/wav"},
    {"type": "resource", "resource": {"uri": "file:///tmp/a.txt", "mimeType": "text/plain", "text": "A"}},
    {"type": "resource_link", "uri": "demo://x", "name": "X"},
]

pending_asks = {}  # call id -> {"ping": reply, "roots": reply}
ask_ids = {}  # server request id -> (call id, key)
next_server_id = 0


def result(rid, content, **extra):
    body = {"content": content}
    body.update(extra)
    send({"jsonrpc": "2.0", "id": rid, "result": body})


def text(t):
    return [{"type": "text", "text": t}]


def call_tool(rid, name, arguments):
    global next_server_id
    if name == "echo":
        result(rid, text("echo: " + str(arguments.get("text", ""))))
    elif name == "crash":
        note("fault server: about to crash")
        os._exit(3)
    elif name == "malformed":
        out.write(b"this is not JSON {\n")
        out.flush()
        result(rid, text("answered after a malformed line"))
    elif name == "hang":
        note("fault server: hanging on request %s" % json.dumps(rid))
    elif name == "big":
        result(rid, text("x" * int(arguments.get("size", 5 * 1000 * 1000))))
    elif name == "rpc_error":
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32602, "message": "bad things happened"}})
    elif name == "blocks":
        result(rid, BLOCKS, structuredContent={"n": 5, "ok": True})
    elif name == "change_tools":
        if not any(t["name"] == "added_tool" for t in TOOLS):
            TOOLS.insert(0, {"name": "added_tool", "description": "Added later", "inputSchema": schema()})
        result(rid, text("changed"))
        send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
    elif name == "ask_client":
        pending_asks[json.dumps(rid)] = {}
        for key, method in (("ping", "ping"), ("roots", "roots/list")):
            sid = next_server_id  # small integers, like the client's own ids: separate id spaces
            next_server_id += 1
            ask_ids[sid] = (rid, key)
            send({"jsonrpc": "2.0", "id": sid, "method": method})
    elif name == "whoami":
        result(rid, text("who"), structuredContent={
            "pid": os.getpid(), "cwd": os.getcwd(), "FOO": os.environ.get("FOO"),
            "has_AGENTSTUDIO_SECRET": "AGENTSTUDIO_SECRET" in os.environ})
    else:
        result(rid, text("unknown tool " + name), isError=True)


def on_reply(message):
    sid = message.get("id")
    if sid not in ask_ids:
        return
    rid, key = ask_ids.pop(sid)
    answers = pending_asks[json.dumps(rid)]
    answers[key] = {k: v for k, v in message.items() if k != "jsonrpc"}
    if len(answers) == 2:
        del pending_asks[json.dumps(rid)]
        result(rid, text("asked"), structuredContent=answers)


def handle(message):
    method = message.get("method")
    rid = message.get("id")
    if method is None:
        on_reply(message)
        return
    if method == "initialize":
        if NO_INIT_ANSWER:
            note("fault server: not answering initialize")
            return
        version = VERSION or message["params"]["protocolVersion"]
        send({"jsonrpc": "2.0", "id": rid, "result": {
            "protocolVersion": version, "capabilities": {"tools": {"listChanged": True}},
            "serverInfo": {"name": "fault-stdio", "version": "1.0"}}})
    elif method == "notifications/initialized":
        note("fault server: initialized")
    elif method == "notifications/cancelled":
        params = message.get("params", {})
        note("fault server: cancelled %s (%s)" % (json.dumps(params.get("requestId")), params.get("reason")))
    elif method == "tools/list":
        start = int((message.get("params") or {}).get("cursor") or 0)
        page = {"tools": TOOLS[start:start + PAGE_SIZE]}
        if start + PAGE_SIZE < len(TOOLS):
            page["nextCursor"] = str(start + PAGE_SIZE)
        send({"jsonrpc": "2.0", "id": rid, "result": page})
    elif method == "tools/call":
        params = message.get("params", {})
        if "_meta" in params:
            note("fault server: progressToken %s" % json.dumps(params["_meta"].get("progressToken")))
        call_tool(rid, params.get("name"), params.get("arguments") or {})
    elif rid is not None:
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "Method not found"}})


def main():
    if STUBBORN:
        signal.signal(signal.SIGTERM, lambda *_: note("fault server: ignoring SIGTERM"))
    note("fault server: started, pid %d" % os.getpid())
    for line in sys.stdin.buffer:
        handle(json.loads(line))
    note("fault server: stdin closed")
    while STUBBORN:
        time.sleep(0.05)


main()
