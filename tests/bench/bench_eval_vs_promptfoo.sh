#!/usr/bin/env bash
# agentstudio-run eval against promptfoo eval on the same work: N cases, each one chat call to
# the same loopback OpenAI-compatible server with a fixed reply and one `contains` assertion.
# Prints wall time and peak RSS of both side by side, with the ratios, and checks that both
# count the same passes. Not part of CI: promptfoo (npm, promptfoo@0.120.0, the last release
# that runs on Node 20) is installed on first use into a cache folder.
#
#   tests/bench/bench_eval_vs_promptfoo.sh [--runner PATH] [--sizes "200:4 5000:16"] [--only-install]
#
# Environment: AS_BENCH_CACHE (default ~/.cache/agentstudio-bench) holds the npm install.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runner="$root/build/app/run/agentstudio-run"
sizes="200:4 5000:16"
only_install=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runner) runner="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --only-install) only_install=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

promptfoo_version=0.120.0
cache="${AS_BENCH_CACHE:-$HOME/.cache/agentstudio-bench}/promptfoo-$promptfoo_version"
promptfoo="$cache/node_modules/.bin/promptfoo"
if [[ ! -x "$promptfoo" ]]; then
  echo "installing promptfoo@$promptfoo_version into $cache (once)" >&2
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-audit --no-fund --loglevel=error "promptfoo@$promptfoo_version" >&2
fi
# The published package keeps its database migrations in dist/drizzle but looks for them in
# drizzle/ at the package root when run from dist/src: give it the folder it looks for.
pkg="$cache/node_modules/promptfoo"
if [[ -d "$pkg/dist/drizzle" && ! -e "$pkg/drizzle" ]]; then
  ln -s dist/drizzle "$pkg/drizzle"
fi
[[ $only_install == 1 ]] && exit 0
[[ -x "$runner" ]] || { echo "no runner at $runner (build agentstudio-run first)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time (GNU time) is needed for peak RSS" >&2; exit 2; }

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The provider: an OpenAI-compatible chat endpoint answering every request with the same reply,
# as one JSON body or as a stream, whichever the request asks for.
cat > "$work/server.py" <<'PY'
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY = "fixed reply from the bench server"

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def log_message(self, *args):
        pass
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        usage = {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18}
        if body.get("stream"):
            chunks = [
                {"id": "c", "object": "chat.completion.chunk", "model": body.get("model"),
                 "choices": [{"index": 0, "delta": {"role": "assistant", "content": REPLY}, "finish_reason": None}]},
                {"id": "c", "object": "chat.completion.chunk", "model": body.get("model"),
                 "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage},
            ]
            data = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"
            kind = "text/event-stream"
        else:
            data = json.dumps({"id": "c", "object": "chat.completion", "model": body.get("model"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": REPLY}, "finish_reason": "stop"}],
                "usage": usage}).encode()
            kind = "application/json"
        # One write for head and body, no Nagle: otherwise a client's delayed ACK holds every
        # answer ~40 ms, and both tools would measure mostly that.
        head = "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (kind, len(data))
        self.wfile.write(head.encode() + data)
        self.wfile.flush()

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
PY
python3 "$work/server.py" > "$work/port" &
server_pid=$!
for _ in $(seq 50); do [[ -s "$work/port" ]] && break; sleep 0.1; done
port="$(head -1 "$work/port")"
base="http://127.0.0.1:$port/v1"

# Our workspace: one agent, str in / str out, on the loopback provider (no key is sent).
cat > "$work/bench.agents.json" <<JSON
{"format": "agentstudio/1",
 "providers": {"loop": {"kind": "openai", "base_url": "$base"}},
 "agents": [{"id": "bench", "name": "bench", "version": "1",
   "model": {"provider": "loop", "name": "gpt-4o-mini", "temperature": 0},
   "instructions": "Reply to the question.",
   "signature": {"inputs": [{"name": "q", "type": "str"}], "outputs": [{"name": "reply", "type": "str"}]}}]}
JSON

# Generates both suites of n cases: our dataset and the equivalent promptfoo config.
generate() {
  local n="$1" dir="$2"
  mkdir -p "$dir"
  python3 - "$n" "$dir" "$base" <<'PY'
import json, sys
n, d, base = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cases = [{"id": f"case-{i}", "inputs": {"q": f"question number {i}"},
          "assert": [{"type": "contains", "value": "fixed reply"}]} for i in range(n)]
json.dump({"format": "agentstudio-eval/1", "name": f"bench {n}", "target": {"agent": "bench"}, "cases": cases},
          open(f"{d}/bench.eval.json", "w"))
with open(f"{d}/promptfooconfig.yaml", "w") as f:
    f.write("description: bench %d\n" % n)
    f.write("prompts:\n  - 'Reply to the question: {{q}}'\n")
    f.write("providers:\n  - id: openai:chat:gpt-4o-mini\n    config:\n")
    f.write("      apiBaseUrl: %s\n      apiKey: bench-not-a-key\n      temperature: 0\n" % base)
    f.write("tests:\n")
    for i in range(n):
        f.write("  - vars:\n      q: 'question number %d'\n    assert:\n      - type: contains\n        value: fixed reply\n" % i)
PY
}

# Runs a command under GNU time; sets wall (s), cpu (user + system s) and rss (MiB). CPU time
# is printed too: on a loaded machine it says more than wall time.
measure() {
  local log="$1"; shift
  /usr/bin/time -v -o "$log.time" "$@" > "$log.out" 2> "$log.err" || true
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$log.time")
  cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f", s}' "$log.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$log.time")
}

printf '%-20s %11s %11s %7s %10s %10s %7s %11s %11s %7s %9s\n' "cases @ concurrency" "ours wall s" "pf wall s" "speed" "ours CPU s" "pf CPU s" "CPU" "ours RSS MB" "pf RSS MB" "memory" "passes"
for size in $sizes; do
  n="${size%%:*}"; j="${size##*:}"
  dir="$work/n$n"
  generate "$n" "$dir"

  measure "$dir/ours" "$runner" eval --workspace "$work/bench.agents.json" --dataset "$dir/bench.eval.json" \
    --concurrency "$j" --db "$dir/history.db" --format json --output "$dir/ours.json"
  ours_wall=$wall; ours_cpu=$cpu; ours_rss=$rss
  ours_pass=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["passed"])' "$dir/ours.json" 2>/dev/null || echo "?")

  cd "$dir"
  measure "$dir/pf" env PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_DISABLE_UPDATE=1 \
    PROMPTFOO_CONFIG_DIR="$dir/pfconfig" OPENAI_API_KEY=bench-not-a-key \
    "$promptfoo" eval -c "$dir/promptfooconfig.yaml" --no-cache -j "$j" --no-progress-bar --no-table \
    -o "$dir/pf.json"
  cd "$root"
  pf_wall=$wall; pf_cpu=$cpu; pf_rss=$rss
  pf_pass=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"]["stats"]["successes"])' "$dir/pf.json" 2>/dev/null || echo "?")

  speed=$(awk -v a="$ours_wall" -v b="$pf_wall" 'BEGIN { if (a > 0) printf "%.1fx", b / a; else print "-" }')
  cpuratio=$(awk -v a="$ours_cpu" -v b="$pf_cpu" 'BEGIN { if (a > 0) printf "%.1fx", b / a; else print "-" }')
  memory=$(awk -v a="$ours_rss" -v b="$pf_rss" 'BEGIN { if (a > 0) printf "%.1fx", b / a; else print "-" }')
  same="$ours_pass/$pf_pass"
  printf '%-20s %11s %11s %7s %10s %10s %7s %11s %11s %7s %9s\n' "$n @ $j" "$ours_wall" "$pf_wall" "$speed" \
    "$ours_cpu" "$pf_cpu" "$cpuratio" "$ours_rss" "$pf_rss" "$memory" "$same"
  if [[ "$ours_pass" != "$pf_pass" || "$ours_pass" != "$n" ]]; then
    echo "pass counts differ (ours $ours_pass, promptfoo $pf_pass, cases $n); logs:" >&2
    tail -5 "$dir/ours.err" "$dir/pf.err" >&2 || true
    exit 1
  fi
done
