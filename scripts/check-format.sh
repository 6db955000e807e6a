#!/usr/bin/env bash
# Fails (exit 1) when a C++ source under core, ui, app or tests differs from what .clang-format asks for, listing the
# files; `cmake --build build --target format` (or clang-format -i) fixes them.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check-format: clang-format is not installed (scripts/deps.sh)" >&2; exit 2; }
bad=()
while IFS= read -r f; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(find core ui app tests -type f \( -name '*.cpp' -o -name '*.h' \) | sort)
if [ ${#bad[@]} -gt 0 ]; then
  echo "check-format: ${#bad[@]} file(s) differ from .clang-format:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check-format: every source matches .clang-format"
