#!/usr/bin/env bash
# Installs the Debian 12 packages Agent Studio needs to build, run and test.
set -euo pipefail
pkgs=(build-essential cmake ninja-build ccache pkg-config
      qt6-base-dev qt6-base-dev-tools qt6-websockets-dev qt6-charts-dev
      libqt6opengl6-dev
      libqscintilla2-qt6-dev libqt6sql6-sqlite qtkeychain-qt6-dev
      libgl-dev xvfb xauth clang libclang-rt-14-dev clang-format
      dbus gnome-keyring openssl   # a private Secret Service for the keychain test; openssl for TLS test certs
      python3                      # example command tool; in-test fault servers
      libyaml-cpp-dev              # promptfoo configs (core/eval/Promptfoo)
      postgresql-15 libqt6sql6-psql  # the team server's store (QPSQL) and the tests' throwaway clusters
      help2man                     # the man pages of the .deb (packaging/CMakeLists.txt)
      systemd)                     # systemd-analyze verify of the unit (tests/server/tst_packaging)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm run the MCP reference servers of the tests (scripts/npm-deps.sh). Checked by
# command, not package: a node installed another way (nodesource bundles npm) is kept.
{ command -v node && command -v npm; } >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
