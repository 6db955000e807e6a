#!/usr/bin/env bash
# Installs the npm packages the MCP tests and benchmark use (tests/mcp/package.json): the
# reference MCP servers and the official TypeScript SDK, at the versions pinned in
# tests/mcp/package-lock.json. Needs node and npm (scripts/deps.sh) and the npm registry only.
set -euo pipefail
cd "$(dirname "$0")/../tests/mcp"
npm ci --no-audit --no-fund --loglevel=error
