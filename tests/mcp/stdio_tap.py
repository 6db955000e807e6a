#!/usr/bin/env python3
"""Runs a stdio MCP server and records what the client sends it (tests/mcp/tst_mcp_reference.cpp).

  stdio_tap.py LOGFILE COMMAND [ARGS...]

Every line the client writes is passed on to COMMAND's stdin unchanged and appended to LOGFILE;
COMMAND's stdout and stderr are passed back unchanged. When the client closes stdin, so does
the tap; SIGTERM is passed on. The tap exits with COMMAND's exit code. Standard library only.
"""
import signal
import subprocess
import sys
import threading

log_path, command = sys.argv[1], sys.argv[2:]
child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=sys.stdout.buffer, stderr=sys.stderr.buffer)
signal.signal(signal.SIGTERM, lambda *_: child.terminate())


def pump():
    with open(log_path, "ab", buffering=0) as log:
        for line in sys.stdin.buffer:
            log.write(line)
            try:
                child.stdin.write(line)
                child.stdin.flush()
            except BrokenPipeError:
                break
    try:
        child.stdin.close()
    except BrokenPipeError:
        pass


threading.Thread(target=pump, daemon=True).start()
sys.exit(child.wait())
