#!/usr/bin/env bash
# Installs the npm packages the MCP tests and benchmark use (tests/mcp/package.json): the
# reference MCP servers and the official TypeScript SDK, at the versions pinned in
# tests/mcp/package-lock.json. Needs node and npm (scripts/deps.sh) and the npm registry only.
#
# Every package in the lockfile carries its sha512 `integrity`, and `npm ci` refuses a tarball
# that does not match it. That is what pins the bytes; TLS only protects the transfer. On a
# machine whose HTTPS goes through an intercepting proxy whose CA is not known to Node (a fresh
# root without the host's CA), the install is retried with the system CA bundle, and then
# without TLS certificate checks — the integrity check still applies (docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/../tests/mcp"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
install() { npm ci --no-audit --no-fund --loglevel=error "$@" 2>&1 | tee "$log"; return "${PIPESTATUS[0]}"; }
if install; then exit 0; fi
grep -qiE 'cert|SSL|TLS' "$log" || exit 1
bundle=/etc/ssl/certs/ca-certificates.crt
if [ -s "$bundle" ]; then
  echo "npm-deps: retrying with the system CA bundle ($bundle)" >&2
  if NODE_EXTRA_CA_CERTS="$bundle" install --cafile="$bundle"; then exit 0; fi
fi
echo "npm-deps: the registry's TLS certificate is not trusted here; retrying without certificate" \
     "checks (each package is still verified against its sha512 integrity in package-lock.json)" >&2
install --strict-ssl=false
