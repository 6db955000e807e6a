#!/usr/bin/env python3
"""The program tests/tools and tests/runner run as a `command` tool source.

Reads the arguments (one JSON object) from stdin, then behaves as its first argument says:
  json    prints {"echo": <arguments>, "cwd": <working folder>, "env": $TOOL_ENV} as JSON
  text    prints a line of plain text made from the arguments
  fail    writes three lines to stderr and exits with code 3
  crash   kills itself with SIGSEGV
  sleep   starts a grandchild (sleep 60), writes "<own pid> <grandchild pid>" to $PID_FILE,
          says "sleeping" on stderr and sleeps for a minute
  big     writes 17 MiB to stdout
  ignore  exits 0 with "ok" without reading stdin
"""
import json
import os
import signal
import subprocess
import sys
import time

mode = sys.argv[1] if len(sys.argv) > 1 else "json"
if mode == "ignore":
    print("ok")
    sys.exit(0)
args = json.loads(sys.stdin.read() or "{}")
if mode == "json":
    print(json.dumps({"echo": args, "cwd": os.getcwd(), "env": os.environ.get("TOOL_ENV")}))
elif mode == "text":
    print("weather in %s: sunny" % args.get("city", "nowhere"))
elif mode == "fail":
    sys.stderr.write("first line\nsecond line\nsomething broke\n")
    sys.exit(3)
elif mode == "crash":
    os.kill(os.getpid(), signal.SIGSEGV)
elif mode == "sleep":
    child = subprocess.Popen(["sleep", "60"])
    tmp = os.environ["PID_FILE"] + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d" % (os.getpid(), child.pid))
    os.rename(tmp, os.environ["PID_FILE"])
    sys.stderr.write("sleeping\n")
    sys.stderr.flush()
    time.sleep(60)
elif mode == "big":
    chunk = "x" * (1024 * 1024)
    for _ in range(17):
        sys.stdout.write(chunk)
    sys.stdout.flush()
