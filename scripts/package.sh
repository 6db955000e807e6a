#!/usr/bin/env bash
# Builds the Debian package: a Release build (no tests) in build-release/, packaged by CPack
# with stripped binaries (CPACK_STRIP_FILES in packaging/CMakeLists.txt). Extra args go to
# cmake. Prints the package's path and size at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
echo "package: configuring a Release build in build-release/ …"
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF "$@"
echo "package: building the app, the runner and the server (the first build takes several minutes) …"
cmake --build build-release
echo "package: packaging …"
(cd build-release && cpack -G DEB)
deb=$(ls -t build-release/agentstudio_*.deb | head -n 1)
# What the package must hold (docs/packaging.md): stripped programs, gzipped man pages, the unit
# and the config.
echo "package: checking $deb …"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
for p in agentstudio agentstudio-run agentstudio-server; do
  file "$tmp/usr/bin/$p" | grep -q ', stripped' || { echo "package: /usr/bin/$p is not stripped" >&2; exit 1; }
  gzip -t "$tmp/usr/share/man/man1/$p.1.gz" || { echo "package: no man page for $p" >&2; exit 1; }
done
for f in usr/lib/systemd/system/agentstudio-server.service etc/agentstudio/server.conf; do
  [ -f "$tmp/$f" ] || { echo "package: /$f is missing" >&2; exit 1; }
done
dpkg-deb -f "$deb" Package Version Depends
ls -lh "$deb"
