#!/bin/sh
# Runs a test inside a private D-Bus session with its own unlocked gnome-keyring (Secret
# Service), in a throw-away HOME so no real keyring is touched. Without dbus-run-session or
# gnome-keyring-daemon the test runs as is and skips itself (no secret service reachable).
# The keyring daemon exits with the private bus when the session ends.
set -u
test_binary="$1"
shift
if ! command -v dbus-run-session >/dev/null 2>&1 || ! command -v gnome-keyring-daemon >/dev/null 2>&1; then
  exec "$test_binary" "$@"
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/home" "$scratch/runtime"
chmod 700 "$scratch/runtime"
HOME="$scratch/home" XDG_RUNTIME_DIR="$scratch/runtime" XDG_DATA_HOME="$scratch/home/.local/share" \
  dbus-run-session -- sh -c '
    printf %s agentstudio-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
    exec "$0" "$@"' "$test_binary" "$@"
rc=$?
exit $rc
