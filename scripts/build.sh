#!/usr/bin/env bash
# Configures and builds hybridgw into ${BUILD_DIR:-build} (Release by default).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -Wno-dev >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" "$@"
