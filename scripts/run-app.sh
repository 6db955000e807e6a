#!/usr/bin/env bash
# Sets up, builds and launches the desktop app on the bundled example workspace
# (embedded engine, offline scripted provider: no key, no network needed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec build/app/studio/agentstudio --workspace resources/examples/example.agents.json "$@"
