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
ls -lh build-release/*.deb
