#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit + loopback
# integration) with ctest. Starts a private redis-server on 127.0.0.1:6379 for
# the Redis state-store test when none is running, and stops it afterwards.
# FUZZ_SMOKE=1 (set by .ci/run) then runs the fuzz smoke: every libFuzzer
# harness but the session one, FUZZ_SMOKE_SECONDS (5) each, in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/install-deps.sh
bash scripts/fetch-prometheus.sh
bash scripts/build.sh

# A Redis server for the state-store tests (started here when none runs).
source scripts/test-redis.sh

cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 300 -j"${TEST_JOBS:-1}"

if [ "${FUZZ_SMOKE:-0}" = 1 ]; then
  # The session harness is left out: it needs the whole gateway built again
  # with clang (~9 minutes here), which CI cannot afford (README, Development).
  cd "$root"
  FUZZERS="sse_parser usage_scanner anthropic_translate anthropic_stream config_loader detector_set redactor output_filter" \
  FUZZ_FLAGS="-seed=1" BUILD_DIR="${FUZZ_BUILD_DIR:-build-fuzz}" bash scripts/fuzz.sh "${FUZZ_SMOKE_SECONDS:-5}"
fi
