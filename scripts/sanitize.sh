#!/usr/bin/env bash
# Builds the unit and integration tests with AddressSanitizer and
# UndefinedBehaviorSanitizer (clang, ${BUILD_DIR:-build-asan}) and runs them
# with ctest. Any memory error, leak or undefined behaviour fails the test
# that hit it. Extra arguments go to ctest (e.g. -R test_compliance).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build-asan}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DHGW_SANITIZE=ON -Wno-dev >/dev/null
nice -n "${NICE:-15}" cmake --build "$BUILD_DIR" -j"$(nproc)"

# A Redis server for the state-store tests (started here when none runs).
source scripts/test-redis.sh

# halt_on_error: the first report fails the test; the stack goes to its output.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$BUILD_DIR"
nice -n "${NICE:-15}" ctest --output-on-failure --timeout 600 -j"${TEST_JOBS:-1}" "$@"
