#!/usr/bin/env python3
"""A Streamable HTTP MCP server for the fault tests of the MCP client (tests/mcp/tst_mcp_http.cpp).

Standard library only; listens on 127.0.0.1 at a free port and prints "LISTENING <port>" first.
Every request it gets is then printed as one JSON line on stdout
({"t": seconds, "method", "path", "headers": {lower-case name: value}, "body": JSON or null}),
so the test sees exactly what the client sent. Options:
  --token T    every request must carry "Authorization: Bearer T", else 401
Tools (tools/call):
  echo          SSE response: a priming event, then the result
  echo_json     plain JSON response
  expire        answers, then forgets the session: the next request gets 404
  drop          SSE: priming event (id ev-1, retry: 300), a progress event (id ev-2), then the
                connection is closed before the result; a GET with Last-Event-ID gets the result
  slow          SSE: priming event, then nothing until notifications/cancelled for it arrives
"""
import json
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

args = sys.argv[1:]
TOKEN = args[args.index("--token") + 1] if "--token" in args else None
START = time.monotonic()
lock = threading.Lock()
sessions = {}  # session id -> {"drop_results": {event id: message}, "cancelled": set()}
session_count = 0
TOOLS = [{"name": n, "description": n, "inputSchema": {"type": "object"}}
         for n in ("echo", "echo_json", "expire", "drop", "slow")]


def record(handler, body):
    line = {"t": time.monotonic() - START, "method": handler.command, "path": handler.path,
            "headers": {k.lower(): v for k, v in handler.headers.items()}, "body": body}
    with lock:
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_json(self, status, obj, extra=None):
        data = json.dumps(obj).encode() if obj is not None else b""
        self.send_response(status)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def start_sse(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def event(self, data, event_id=None, retry=None):
        text = ""
        if event_id:
            text += "id: %s\n" % event_id
        if retry is not None:
            text += "retry: %d\n" % retry
        text += "data: %s\n\n" % (json.dumps(data) if data is not None else "")
        self.wfile.write(text.encode())
        self.wfile.flush()

    def authorized(self):
        if TOKEN is None or self.headers.get("Authorization") == "Bearer " + TOKEN:
            return True
        # Echoes what it got, as careless servers do: the client must keep the token out of its errors.
        got = self.headers.get("Authorization", "(none)")
        self.send_json(401, {"jsonrpc": "2.0", "error": {"code": -32001, "message": "invalid token: " + got},
                             "id": None}, {"WWW-Authenticate": 'Bearer realm="mcp"'})
        return False

    def session(self):
        sid = self.headers.get("Mcp-Session-Id")
        if sid is None:
            self.send_json(400, {"jsonrpc": "2.0", "error": {"code": -32000, "message": "missing session id"},
                                 "id": None})
            return None
        if sid not in sessions:
            self.send_json(404, {"jsonrpc": "2.0", "error": {"code": -32001, "message": "Session not found"},
                                 "id": None})
            return None
        return sid

    def do_POST(self):
        global session_count
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"null")
        record(self, body)
        if not self.authorized():
            return
        method, rid = body.get("method"), body.get("id")
        if method == "initialize":
            with lock:
                session_count += 1
                sid = "session-%d" % session_count
                sessions[sid] = {"drop_results": {}, "cancelled": set()}
            result = {"protocolVersion": body["params"]["protocolVersion"], "capabilities": {"tools": {}},
                      "serverInfo": {"name": "fault-http", "version": "1.0"}}
            self.send_json(200, {"jsonrpc": "2.0", "id": rid, "result": result}, {"Mcp-Session-Id": sid})
            return
        sid = self.session()
        if sid is None:
            return
        if method == "notifications/cancelled":
            sessions[sid]["cancelled"].add(json.dumps(body["params"]["requestId"]))
        if rid is None or method is None:  # a notification or a response
            self.send_json(202, None)
            return
        if method == "ping":
            self.send_json(200, {"jsonrpc": "2.0", "id": rid, "result": {}})
        elif method == "tools/list":
            self.send_json(200, {"jsonrpc": "2.0", "id": rid, "result": {"tools": TOOLS}})
        elif method == "tools/call":
            self.call_tool(sid, rid, body["params"]["name"])
        else:
            self.send_json(200, {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "Method not found"}})

    def call_tool(self, sid, rid, name):
        done = {"jsonrpc": "2.0", "id": rid, "result": {"content": [{"type": "text", "text": name + " done"}]}}
        if name == "echo_json":
            self.send_json(200, done)
        elif name == "expire":
            self.send_json(200, done)
            with lock:
                sessions.pop(sid, None)
        elif name == "drop":
            sessions[sid]["drop_results"]["ev-2"] = done
            self.start_sse()
            self.event(None, "ev-1", 300)
            self.event({"jsonrpc": "2.0", "method": "notifications/progress",
                        "params": {"progressToken": rid, "progress": 1, "total": 2}}, "ev-2")
            # closed here, before the result (the response stream is cut)
        elif name == "slow":
            self.start_sse()
            self.event(None, "slow-1")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and json.dumps(rid) not in sessions.get(sid, {}).get("cancelled", ()):
                time.sleep(0.02)
        else:
            self.start_sse()
            self.event(None, "p-%s" % json.dumps(rid))
            self.event(done, "r-%s" % json.dumps(rid))

    def do_GET(self):
        record(self, None)
        if not self.authorized():
            return
        sid = self.session()
        if sid is None:
            return
        last = self.headers.get("Last-Event-ID")
        if last is None or last not in sessions[sid]["drop_results"]:
            self.send_json(405, None)  # no stream for server-initiated messages
            return
        message = sessions[sid]["drop_results"].pop(last)
        self.start_sse()
        self.event(message, "ev-3")

    def do_DELETE(self):
        record(self, None)
        if not self.authorized():
            return
        sid = self.session()
        if sid is None:
            return
        with lock:
            sessions.pop(sid, None)
        self.send_json(200, None)


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
sys.stdout.write("LISTENING %d\n" % server.server_address[1])
sys.stdout.flush()
server.serve_forever()
