#!/usr/bin/env bash
# Sets up, builds and launches the desktop app on the bundled example workspace
# (embedded engine, offline scripted provider: no key, no network needed). Extra args go to
# the app. It says what it is doing: a first run installs packages and builds for minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'run-app: %s\n' "$*" >&2; }
app=build/app/studio/agentstudio
first=0
[ -x "$app" ] || first=1
start=$(date +%s)
if [ "$first" = 1 ]; then
  say "first run: this installs the build packages, configures and builds the app in build/."
  say "The first build takes several minutes (later runs rebuild only what changed)."
fi
say "1/3 checking the Debian packages (scripts/deps.sh; installs what is missing, with sudo when not root) …"
bash scripts/deps.sh
say "2/3 configuring build/ (CMake, RelWithDebInfo) …"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON >/dev/null
say "3/3 building the app$([ "$first" = 1 ] && echo ' (the first time: several minutes)') …"
cmake --build build --target agentstudio
say "ready in $(( $(date +%s) - start )) s; launching Agent Studio on resources/examples/example.agents.json …"
exec "$app" --workspace resources/examples/example.agents.json "$@"
