#!/usr/bin/env bash
# CPU instructions the gateway executes per proxied request (user space), under
# callgrind. Unlike requests/s and CPU time, this count does not drift with the
# load of a shared machine, so it tells whether a change made the hot path
# cheaper. Same set-up as bench/run.sh: hybridgw-sim upstream, one io thread,
# non-streaming POST /v1/chat/completions (bench/post_chat.lua) from wrk.
#
# usage: bench/instructions.sh [HYBRIDGW_BINARY]   (default: $BUILD_DIR/hybridgw)
# environment: BUILD_DIR=build  SECONDS_MEASURED=6  KEEP=0 (1: keep the callgrind output)
#              DETECTORS=0 (1: every built-in detector on, compliance rules as in
#              production, so that the cost of scanning each request is measured)
#              PROFILE=stripped (production: bench/hybridgw-production.yaml.template with
#              one io thread — access log to a file, SQLite, health checks, a tenant,
#              every detector, two backends; DETECTORS is then moot)
# prints:  instructions/request=<n> requests=<n> callgrind=<file if kept>
# needs: valgrind (apt-get install valgrind), wrk, curl, python3
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
GW=${1:-$BUILD_DIR/hybridgw}
SIM=$BUILD_DIR/hybridgw-sim
SECONDS_MEASURED=${SECONDS_MEASURED:-6}
KEEP=${KEEP:-0}

for tool in valgrind callgrind_control callgrind_annotate wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "instructions.sh: $tool not found (apt-get install valgrind wrk curl python3)" >&2; exit 1; }
done
[ -x "$GW" ] && [ -x "$SIM" ] || { echo "instructions.sh: build $GW and $SIM first (scripts/build.sh)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hybridgw-instr.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ "$KEEP" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

# Ports released before they are printed: `read` returns on the line, while python may still hold them.
read -r SIM_PORT GW_PORT ADMIN_PORT < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
ports = [s.getsockname()[1] for s in socks]
for s in socks:
    s.close()
print(*ports, flush=True)
EOF
)

"$SIM" --listen "127.0.0.1:$SIM_PORT" --threads 1 --name instr-sim --token-delay-ms 1 --max-recorded 0 \
  >"$WORK/sim.out" 2>&1 &
PIDS+=($!)
case "${PROFILE:-stripped}" in
  stripped) TEMPLATE="$ROOT/bench/hybridgw.yaml.template" ;;
  production) TEMPLATE="$ROOT/bench/hybridgw-production.yaml.template" ;;
  *) echo "instructions.sh: PROFILE must be stripped or production" >&2; exit 1 ;;
esac
# The production profile's tenant key is the one bench/post_chat.lua sends.
TENANT_KEY=$(printf '%s' sk-bench-not-a-real-key | "$GW" hash-key)
sed -e "s|@SIM_PORT@|$SIM_PORT|g" -e "s|@PORT@|$GW_PORT|g" -e "s|@ADMIN_PORT@|$ADMIN_PORT|g" \
  -e "s|@THREADS@|1|g" -e "s|@DIR@|$WORK|g" -e "s|@TENANT_KEY@|$TENANT_KEY|g" \
  "$TEMPLATE" >"$WORK/hybridgw.yaml"
"$GW" check --config "$WORK/hybridgw.yaml" >"$WORK/check.out" 2>&1 || { cat "$WORK/check.out" >&2; echo "instructions.sh: hybridgw check failed" >&2; exit 1; }
if [ "${DETECTORS:-0}" = 1 ] && [ "${PROFILE:-stripped}" = stripped ]; then
  cat >>"$WORK/hybridgw.yaml" <<'YAML'
compliance:
  detectors: all
  classify: { cn_resident_id: restricted, bank_card: restricted, secrets: restricted, email: confidential }
  rules:
    - { name: restricted-local, class: restricted, allow: { locality: [local] } }
    - { name: mask-email, detected: [email], action: redact }
YAML
fi
# Instrumentation starts switched off: start-up and warm-up are not counted.
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/callgrind.out" \
  "$GW" serve --config "$WORK/hybridgw.yaml" >"$WORK/gw.out" 2>"$WORK/gw.err" &
VG=$!
PIDS+=("$VG")
for _ in $(seq 150); do
  curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$ADMIN_PORT/readyz" && break
  sleep 0.2
done
URL="http://127.0.0.1:$GW_PORT/v1/chat/completions"
wrk -t1 -c8 -d2s -s "$ROOT/bench/post_chat.lua" "$URL" >/dev/null
callgrind_control -i on "$VG" >/dev/null 2>&1
wrk -t1 -c8 -d"${SECONDS_MEASURED}s" -s "$ROOT/bench/post_chat.lua" "$URL" >"$WORK/wrk.out"
callgrind_control -i off "$VG" >/dev/null 2>&1
callgrind_control -d "$VG" >/dev/null 2>&1
REQUESTS=$(awk '/requests in/{print $1}' "$WORK/wrk.out")
NON2XX=$(awk '/Non-2xx/{print $NF}' "$WORK/wrk.out")
[ -z "$NON2XX" ] || { echo "instructions.sh: $NON2XX answers were not 2xx" >&2; exit 1; }
DUMP=$(ls -S "$WORK"/callgrind.out* | head -1)
TOTAL=$(callgrind_annotate "$DUMP" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",", "", $1); print $1}')
[ -n "$TOTAL" ] && [ "${REQUESTS:-0}" -gt 0 ] || { echo "instructions.sh: no measurement (see $WORK)" >&2; KEEP=1; exit 1; }
echo "instructions/request=$((TOTAL / REQUESTS)) requests=$REQUESTS$([ "$KEEP" = 1 ] && echo " callgrind=$DUMP")"
