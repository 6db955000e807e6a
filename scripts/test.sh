#!/usr/bin/env bash
# Sets up, builds and runs every test (unit, integration, ui, e2e), then checks that core,
# runner and server also build with the UI switched off.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure -L "unit|integration|ui|e2e" -j"$(nproc)"
cmake -S . -B build-headless -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAGENTSTUDIO_BUILD_UI=OFF -DBUILD_TESTING=ON
cmake --build build-headless
ctest --test-dir build-headless --output-on-failure -L "unit" -j"$(nproc)"
