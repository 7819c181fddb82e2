#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz (clang, ASan + UBSan, into
# ${BUILD_DIR:-build-fuzz}) and runs each for DURATION seconds (first
# argument, default 60) on its seed corpus and dictionary. Stops at the first
# crash, hang or leak and prints how to reproduce it.
#   FUZZERS="sse_parser redactor" bash scripts/fuzz.sh 30   # only these
#   FUZZ_FLAGS="-seed=1" ...                                  # more libFuzzer flags
# New inputs go to $BUILD_DIR/fuzz-corpus/<harness> (kept between runs), never
# into the seed corpus in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-60}
BUILD_DIR=${BUILD_DIR:-build-fuzz}
ALL="sse_parser usage_scanner anthropic_translate anthropic_stream config_loader detector_set redactor output_filter gateway_session"
FUZZERS=${FUZZERS:-$ALL}

dict_of() {
  case "$1" in
    sse_parser|anthropic_stream) echo sse ;;
    usage_scanner|anthropic_translate) echo json_wire ;;
    config_loader) echo config_loader ;;
    detector_set|redactor|output_filter) echo pii ;;
    gateway_session) echo http ;;
  esac
}

command -v clang++ >/dev/null || { echo "fuzz.sh needs clang (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DHGW_FUZZ=ON \
  -Wno-dev >/dev/null
targets=()
for f in $FUZZERS; do targets+=("fuzz_$f"); done
nice -n "${NICE:-15}" cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${targets[@]}"

for f in $FUZZERS; do
  work="$BUILD_DIR/fuzz-corpus/$f"
  artifacts="$BUILD_DIR/fuzz-artifacts/$f/"
  log="$BUILD_DIR/fuzz-$f.log"
  mkdir -p "$work" "$artifacts"
  args=(-max_total_time="$DURATION" -timeout=30 -rss_limit_mb=2560 -print_final_stats=1
        -artifact_prefix="$artifacts")
  # shellcheck disable=SC2206  # FUZZ_FLAGS is a list of flags
  args+=(${FUZZ_FLAGS:-})
  d="tests/fuzz/dict/$(dict_of "$f").dict"
  [ -f "$d" ] && args+=(-dict="$d")
  if ! nice -n "${NICE:-15}" "$BUILD_DIR/fuzz_$f" "${args[@]}" "$work" "tests/fuzz/corpus/$f" >"$log" 2>&1; then
    grep -E "ERROR|FUZZ CHECK FAILED|SUMMARY" "$log" | head -5 >&2 || true
    unit=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    echo "fuzz_$f FAILED; log: $log" >&2
    [ -n "$unit" ] && echo "reproduce: $BUILD_DIR/fuzz_$f $unit" >&2
    exit 1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
  printf 'fuzz_%-20s ok: %s runs, %s/s, %s, corpus %s files\n' "$f" "$execs" "$rate" "$cov" \
    "$(ls "$work" | wc -l)"
done
