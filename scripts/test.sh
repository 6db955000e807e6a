#!/usr/bin/env bash
# Installs what it needs, checks the formatting (.clang-format), builds and runs every test
# (unit, integration, ui, e2e, fault); then checks that core, runner and server build and pass
# their tests with the UI switched off; then runs the libFuzzer targets (stream parsers, HTTP
# request parser, stream messages, workspace loader) for a bounded time (AS_FUZZ_SECONDS,
# default 20 s each).
# The fault suite (label fault, docs/testing.md) runs with the e2e tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/npm-deps.sh
# The PostgreSQL tests run their throwaway clusters as the unprivileged `postgres` user (the
# server refuses root). A root directory only root may enter (some chroot and container images
# are made with mode 700) keeps every other user from running anything at all.
if [ "$(id -u)" = 0 ] && [ $(( 0$(stat -c %a /) & 1 )) = 0 ]; then
  echo "test.sh: / is not searchable by other users (mode $(stat -c %a /)); making it 755" >&2
  chmod 755 /
fi
bash scripts/check-format.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -L "unit|integration|ui|e2e" -j"$(nproc)"

cmake -S . -B build-headless -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAGENTSTUDIO_BUILD_UI=OFF -DBUILD_TESTING=ON
cmake --build build-headless
ctest --test-dir build-headless --output-on-failure -L "unit|integration|e2e" -j"$(nproc)"

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
      -DAGENTSTUDIO_BUILD_FUZZ=ON -DAGENTSTUDIO_BUILD_UI=OFF -DBUILD_TESTING=ON \
      -DAS_FUZZ_SECONDS="${AS_FUZZ_SECONDS:-20}"
cmake --build build-fuzz --target fuzz_sse_parser fuzz_ndjson_parser fuzz_http_request fuzz_stream_message \
      fuzz_workspace_loader
ctest --test-dir build-fuzz --output-on-failure -R '^fuzz\.'
