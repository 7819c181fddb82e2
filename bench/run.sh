#!/usr/bin/env bash
# hybridgw benchmark: the stripped proxy path and the configuration users run,
# each side by side with nginx, in one run, on loopback only.
#
# Processes, all up for the whole run, all in front of the same upstream:
#   hybridgw-sim (1 io thread)                         the upstream
#   nginx, 1 worker: no access log | access log (combined, to a file)
#   nginx, 2 workers: access log
#   hybridgw stripped (bench/hybridgw.yaml.template), 1 io thread
#   hybridgw production (bench/hybridgw-production.yaml.template), 1 io thread and 2 io threads
# Paths, measured one after the other, interleaved by round (see PATH_ORDER below):
#   direct, nginx, hybridgw                  stripped pair (1 worker / 1 thread, no access log)
#   nginx_log, hybridgw_prod                 production pair (1 worker / 1 thread, access logs)
#   nginx2_log, hybridgw_prod2               production pair (2 workers / 2 threads, access logs)
# Phases:
#   1. wrk, non-streaming, CONNECTIONS (64) connections, saturating       (throughput, CPU/request)
#   2. the same, paced (each connection pauses ~PACE_MS after an answer)  (latency below saturation)
#   3. wrk, concurrency 1 (one connection, sequential)                     (added latency p50/p99)
#   4. time to first token of sequential streams (bench/ttft.py), every path
#   5. STREAM_SCALE (4,000) concurrent paced streams at once (bench/stream_load.cpp):
#      largest inter-token gap, completion, RSS growth per open stream      (STREAM_PATHS)
#   6. detector_bench
# CPU time (utime+stime of the process on the path, from /proc) is measured around every
# wrk run and every stream-scale run. Writes bench/RESULTS.md (bench/report.py).
#
# usage: bench/run.sh          (from anywhere; builds BUILD_DIR if the binaries are missing)
# environment (defaults; the full run takes about 10 minutes):
#   BUILD_DIR=build-bench  DURATION=8 (s per wrk run, phases 1 and 2)  ROUNDS=3 (interleaved rounds
#   per phase; the median counts)  WARMUP=2 (s per path before phase 1)  CONNECTIONS=64  WRK_THREADS=2
#   PACE_MS=5 (phase 2: mean pause, uniform in [0, 2 × PACE_MS]; 0 skips the phase)
#   C1_DURATION=5 (s per concurrency-1 run; 0 skips phase 3)
#   STREAMS=200 (phase 4: sequential streams per path)  TOKEN_DELAY_MS=1
#   STREAM_SCALE=4000 (phase 5; 0 skips it)  STREAM_TOKENS=50  STREAM_TOKEN_DELAY_MS=100
#   STREAM_PATHS="direct nginx2_log hybridgw_prod2"  STREAM_TIMEOUT_S=120
#   DETECTOR_SECONDS=1  OUT=bench/RESULTS.md  KEEP_TMP=0 (1: keep the temp dir with raw outputs)
# smoke: DURATION=3 ROUNDS=1 WARMUP=1 C1_DURATION=2 STREAMS=20 STREAM_SCALE=500 bench/run.sh
# exit status: 0 ok; 1 something failed to start or a tool is missing;
#              3 the run finished but a path answered errors (RESULTS.md is written and says so).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
DURATION=${DURATION:-8}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
PACE_MS=${PACE_MS:-5}
C1_DURATION=${C1_DURATION:-5}
STREAMS=${STREAMS:-200}
TOKEN_DELAY_MS=${TOKEN_DELAY_MS:-1}
STREAM_SCALE=${STREAM_SCALE:-4000}
STREAM_TOKENS=${STREAM_TOKENS:-50}
STREAM_TOKEN_DELAY_MS=${STREAM_TOKEN_DELAY_MS:-100}
STREAM_PATHS=${STREAM_PATHS:-direct nginx2_log hybridgw_prod2}
STREAM_TIMEOUT_S=${STREAM_TIMEOUT_S:-120}
DETECTOR_SECONDS=${DETECTOR_SECONDS:-1}
OUT=${OUT:-$BENCH/RESULTS.md}
KEEP_TMP=${KEEP_TMP:-0}
POOL_IDLE_WAIT=${POOL_IDLE_WAIT:-7}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
BENCH_KEY=sk-bench-not-a-real-key   # the key bench/post_chat.lua and the stream tools send

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for tool in wrk python3 curl ss; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install wrk python3 curl iproute2)"
done
[ -x "$NGINX" ] || die "nginx not found (apt-get install nginx-light)"

# ---- file descriptors ---------------------------------------------------------
# The stream-scale phase holds STREAM_SCALE client sockets in stream_load and twice
# as many in a proxy (client + upstream side); every process started here inherits
# this shell's limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
STREAM_SKIP=""
if [ "$STREAM_SCALE" != 0 ] && [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((2 * STREAM_SCALE + 512)) ]; then
  STREAM_SKIP="open-file limit $NOFILE (ulimit -Hn) is below the $((2 * STREAM_SCALE + 512)) a proxy needs for $STREAM_SCALE streams"
  log "WARNING: $STREAM_SKIP; the stream-scale phase is skipped"
fi

# ---- build -------------------------------------------------------------------
TARGETS="hybridgw hybridgw-sim detector_bench stream_load"
missing=0
for t in $TARGETS; do [ -x "$BUILD_DIR/$t" ] || missing=1; done
if [ "$missing" = 1 ]; then
  log "building Release binaries ($TARGETS) in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -Wno-dev >/dev/null
  # shellcheck disable=SC2086
  nice -n 15 cmake --build "$BUILD_DIR" --target $TARGETS -j"$(nproc)"
fi
GW="$BUILD_DIR/hybridgw"
SIM="$BUILD_DIR/hybridgw-sim"
DETECTOR_BENCH="$BUILD_DIR/detector_bench"
STREAM_LOAD="$BUILD_DIR/stream_load"

# ---- processes and clean-up --------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hybridgw-bench.XXXXXX")
FACTS="$WORK/facts.txt"   # KEY VALUE lines for bench/report.py
: >"$FACTS"
fact() { printf '%s %s\n' "$1" "$2" >>"$FACTS"; }
PIDS=()
cleanup() {
  local rc=$?
  local pid i
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid did not stop on SIGTERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  if [ "$KEEP_TMP" = 1 ]; then log "raw outputs kept in $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
T_START=$(date +%s)

# Free loopback ports: bound, released, and only then printed — `read` returns on
# the line, and a port still bound by python then would make a server fail to bind.
read -r NGX_PORT NGX_STREAM_PORT NGX_LOG_PORT NGX_LOG_STREAM_PORT \
        NGX2_PORT NGX2_STREAM_PORT NGX2_LOG_PORT NGX2_LOG_STREAM_PORT \
        GW_PORT GW_ADMIN_PORT GWP_PORT GWP_ADMIN_PORT GWP2_PORT GWP2_ADMIN_PORT < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(14)]
for s in socks:
    s.bind(("127.0.0.1", 0))
ports = [s.getsockname()[1] for s in socks]
for s in socks:
    s.close()
print(*ports, flush=True)
EOF
)

# wait_http URL [expected status] — up to 10 s.
wait_http() {
  local url=$1 want=${2:-200} code i
  for i in $(seq 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true)
    [ "$code" = "$want" ] && return 0
    sleep 0.1
  done
  return 1
}
alive() { kill -0 "$1" 2>/dev/null; }

# 1. the simulator
log "starting hybridgw-sim"
"$SIM" --listen 127.0.0.1:0 --threads 1 --name bench-sim --token-delay-ms "$TOKEN_DELAY_MS" \
  --max-recorded 0 >"$WORK/sim.out" 2>"$WORK/sim.err" &
SIM_PID=$!
PIDS+=("$SIM_PID")
SIM_PORT=""
for _ in $(seq 100); do
  SIM_PORT=$(sed -n 's/^hybridgw-sim .* listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/sim.out" | head -1)
  [ -n "$SIM_PORT" ] && break
  alive "$SIM_PID" || break
  sleep 0.1
done
[ -n "$SIM_PORT" ] || { cat "$WORK/sim.err" >&2; die "hybridgw-sim did not start"; }
wait_http "http://127.0.0.1:$SIM_PORT/v1/models" || die "hybridgw-sim does not answer on port $SIM_PORT"

# 2. nginx: one instance with 1 worker (servers without and with access log), one with 2 workers
USER_LINE=""
[ "$(id -u)" = 0 ] && USER_LINE="user root;"
start_nginx() {  # name workers port stream_port log_port log_stream_port -> sets NGX_PID_<name>
  local name=$1 workers=$2 dir="$WORK/$1"
  mkdir -p "$dir"
  sed -e "s|@DIR@|$dir|g" -e "s|@SIM_PORT@|$SIM_PORT|g" -e "s|@WORKERS@|$workers|g" \
      -e "s|@LOG_STREAM_PORT@|$6|g" -e "s|@LOG_PORT@|$5|g" -e "s|@STREAM_PORT@|$4|g" -e "s|@PORT@|$3|g" \
      -e "s|@USER_LINE@|$USER_LINE|g" "$BENCH/nginx.conf.template" >"$dir/nginx.conf"
  "$NGINX" -t -q -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" || die "nginx rejects $dir/nginx.conf"
  "$NGINX" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;' >"$WORK/$name.out" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  printf -v "NGX_PID_$name" '%s' "$pid"
  local p
  for p in "$3" "$4" "$5" "$6"; do
    wait_http "http://127.0.0.1:$p/v1/models" || { cat "$dir/error.log" >&2; die "nginx $name does not answer on $p"; }
  done
}
log "starting nginx (1 worker) and nginx (2 workers)"
start_nginx nginx1 1 "$NGX_PORT" "$NGX_STREAM_PORT" "$NGX_LOG_PORT" "$NGX_LOG_STREAM_PORT"
start_nginx nginx2 2 "$NGX2_PORT" "$NGX2_STREAM_PORT" "$NGX2_LOG_PORT" "$NGX2_LOG_STREAM_PORT"
workers_of() {  # master pid -> worker pids (space-separated), waiting until there are N
  local master=$1 want=$2 w i
  for i in $(seq 50); do
    w=$(pgrep -P "$master" | tr '\n' ' ' | sed 's/ $//')
    [ "$(wc -w <<<"$w")" -ge "$want" ] && { echo "$w"; return 0; }
    sleep 0.1
  done
  echo "$w"
}
NGX1_WORKERS=$(workers_of "$NGX_PID_nginx1" 1)
NGX2_WORKERS=$(workers_of "$NGX_PID_nginx2" 2)
[ "$(wc -w <<<"$NGX2_WORKERS")" = 2 ] || die "nginx2 has workers '$NGX2_WORKERS', expected 2"

# 3. hybridgw: stripped (1 thread), production (1 thread), production (2 threads)
TENANT_KEY=$(printf '%s' "$BENCH_KEY" | "$GW" hash-key)
start_gw() {  # name template threads port admin_port -> sets GW_PID_<name>
  local name=$1 template=$2 threads=$3 port=$4 admin=$5 dir="$WORK/$1"
  mkdir -p "$dir"
  sed -e "s|@SIM_PORT@|$SIM_PORT|g" -e "s|@PORT@|$port|g" -e "s|@ADMIN_PORT@|$admin|g" \
      -e "s|@THREADS@|$threads|g" -e "s|@DIR@|$dir|g" -e "s|@TENANT_KEY@|$TENANT_KEY|g" \
      "$BENCH/$template" >"$dir/hybridgw.yaml"
  "$GW" check --config "$dir/hybridgw.yaml" >"$dir/check.out" 2>&1 \
    || { cat "$dir/check.out" >&2; die "hybridgw check failed for $name"; }
  "$GW" serve --config "$dir/hybridgw.yaml" >"$dir/gw.out" 2>"$dir/gw.err" &
  local pid=$!
  PIDS+=("$pid")
  printf -v "GW_PID_$name" '%s' "$pid"
  wait_http "http://127.0.0.1:$admin/readyz" || { cat "$dir/gw.err" >&2; die "hybridgw $name did not become ready"; }
  wait_http "http://127.0.0.1:$port/healthz" || die "hybridgw $name main listener does not answer"
}
log "starting hybridgw: stripped (1 thread), production (1 thread), production (2 threads)"
start_gw hybridgw hybridgw.yaml.template 1 "$GW_PORT" "$GW_ADMIN_PORT"
start_gw hybridgw_prod hybridgw-production.yaml.template 1 "$GWP_PORT" "$GWP_ADMIN_PORT"
start_gw hybridgw_prod2 hybridgw-production.yaml.template 2 "$GWP2_PORT" "$GWP2_ADMIN_PORT"
cp "$WORK/hybridgw_prod/check.out" "$WORK/check-production.out"

# The path table: name port stream_port "pids whose CPU counts" admin_port (gateways only)
PATH_ORDER="direct nginx hybridgw nginx_log hybridgw_prod nginx2_log hybridgw_prod2"
declare -A P_PORT P_SPORT P_PIDS P_ADMIN
P_PORT[direct]=$SIM_PORT;        P_SPORT[direct]=$SIM_PORT;               P_PIDS[direct]=$SIM_PID
P_PORT[nginx]=$NGX_PORT;         P_SPORT[nginx]=$NGX_STREAM_PORT;         P_PIDS[nginx]=$NGX1_WORKERS
P_PORT[nginx_log]=$NGX_LOG_PORT; P_SPORT[nginx_log]=$NGX_LOG_STREAM_PORT; P_PIDS[nginx_log]=$NGX1_WORKERS
P_PORT[nginx2_log]=$NGX2_LOG_PORT; P_SPORT[nginx2_log]=$NGX2_LOG_STREAM_PORT; P_PIDS[nginx2_log]=$NGX2_WORKERS
P_PORT[hybridgw]=$GW_PORT;       P_SPORT[hybridgw]=$GW_PORT;              P_PIDS[hybridgw]=$GW_PID_hybridgw
P_PORT[hybridgw_prod]=$GWP_PORT; P_SPORT[hybridgw_prod]=$GWP_PORT;        P_PIDS[hybridgw_prod]=$GW_PID_hybridgw_prod
P_PORT[hybridgw_prod2]=$GWP2_PORT; P_SPORT[hybridgw_prod2]=$GWP2_PORT;    P_PIDS[hybridgw_prod2]=$GW_PID_hybridgw_prod2
P_ADMIN[hybridgw]=$GW_ADMIN_PORT; P_ADMIN[hybridgw_prod]=$GWP_ADMIN_PORT; P_ADMIN[hybridgw_prod2]=$GWP2_ADMIN_PORT
GATEWAYS="hybridgw hybridgw_prod hybridgw_prod2"
for sp in $STREAM_PATHS; do [ -n "${P_PORT[$sp]:-}" ] || die "STREAM_PATHS: unknown path $sp (one of: $PATH_ORDER)"; done

# Smoke test: one request per path must be a 200 with a chat completion; the production
# gateways must refuse a request without the tenant's key.
BODY='{"model":"bench-model","messages":[{"role":"user","content":"hello"}],"max_tokens":16}'
for name in $PATH_ORDER; do
  port=${P_PORT[$name]}
  code=$(curl -s -D "$WORK/smoke-$name.headers" -o "$WORK/smoke-$name.body" -w '%{http_code}' --max-time 5 \
    -H 'Content-Type: application/json' -H "Authorization: Bearer $BENCH_KEY" -d "$BODY" \
    "http://127.0.0.1:$port/v1/chat/completions" || true)
  [ "$code" = 200 ] && grep -q '"choices"' "$WORK/smoke-$name.body" \
    || { cat "$WORK/smoke-$name.body" >&2; die "smoke request through $name answered $code"; }
done
grep -qi '^x-hybridgw-backend: sim\b' "$WORK/smoke-hybridgw.headers" || die "hybridgw did not route to the simulator"
for g in hybridgw_prod hybridgw_prod2; do
  grep -qi '^x-hybridgw-backend: sim-local' "$WORK/smoke-$g.headers" || die "$g did not route to sim-local first"
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' -d "$BODY" \
    "http://127.0.0.1:${P_PORT[$g]}/v1/chat/completions" || true)
  [ "$code" = 401 ] || die "$g answered $code to a request without a key (expected 401: tenants are on)"
done

proc_stats() {  # pid -> "rss_kb fds threads"
  local pid=$1
  printf '%s %s %s\n' "$(awk '/^VmRSS/{print $2}' "/proc/$pid/status")" \
    "$(ls "/proc/$pid/fd" | wc -l)" "$(awk '/^Threads/{print $2}' "/proc/$pid/status")"
}
cpu_ticks() {  # pids... -> "utime stime", each summed (all threads of each process)
  local user=0 sys=0 pid u s
  for pid in "$@"; do
    read -r u s < <(awk '{sub(/^.*\) /, ""); print $12, $13}' "/proc/$pid/stat" 2>/dev/null || echo 0 0)
    user=$((user + u)); sys=$((sys + s))
  done
  echo "$user $sys"
}
metrics() { curl -s --max-time 5 "http://127.0.0.1:${P_ADMIN[$1]}/metrics" >"$WORK/metrics-$1-$2.txt" || true; }

for g in $GATEWAYS; do
  read -r rss fd thr < <(proc_stats "${P_PIDS[$g]}")
  fact "rss0_$g" "$rss"; fact "fd0_$g" "$fd"
  metrics "$g" before
done
fact LOAD_BEFORE "$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')"

# ---- wrk phases -------------------------------------------------------------
# run_wrk KIND NAME ROUND CONNECTIONS THREADS SECONDS [PACE_MS]
run_wrk() {
  local kind=$1 name=$2 round=$3 conns=$4 threads=$5 secs=$6 pace=${7:-0}
  local url="http://127.0.0.1:${P_PORT[$2]}/v1/chat/completions" u0 s0 u1 s1
  # shellcheck disable=SC2086
  read -r u0 s0 < <(cpu_ticks ${P_PIDS[$name]})
  BENCH_PACE_MS=$pace timeout $((secs + 30)) wrk -t"$threads" -c"$conns" -d"${secs}s" --latency \
    -s "$BENCH/post_chat.lua" "$url" >"$WORK/wrk-$kind-$name-$round.txt" 2>&1 || die "wrk ($kind) against $name failed"
  # shellcheck disable=SC2086
  read -r u1 s1 < <(cpu_ticks ${P_PIDS[$name]})
  echo "$((u1 - u0)) $((s1 - s0))" >"$WORK/cpu-$kind-$name-$round.ticks"
  for pid in ${P_PIDS[$name]}; do alive "$pid" || die "$name died during the $kind run"; done
}
# Rounds interleave the paths so that a burst of other work on the machine hits all of
# them alike; the report takes the median round and per-round ratios.
log "phase 1: saturating, $CONNECTIONS connections, $ROUNDS × ${DURATION}s per path (+ ${WARMUP}s warm-up)"
for round in $(seq "$ROUNDS"); do
  for name in $PATH_ORDER; do
    if [ "$round" = 1 ] && [ "$WARMUP" != 0 ]; then
      timeout $((WARMUP + 30)) wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$BENCH/post_chat.lua" \
        "http://127.0.0.1:${P_PORT[$name]}/v1/chat/completions" >"$WORK/wrk-warmup-$name.txt" 2>&1 \
        || die "wrk warm-up against $name failed"
    fi
    log "  round $round/$ROUNDS: $name"
    run_wrk sat "$name" "$round" "$CONNECTIONS" "$WRK_THREADS" "$DURATION"
  done
done
if [ "$PACE_MS" != 0 ]; then
  log "phase 2: paced, $CONNECTIONS connections, ${PACE_MS} ms mean pause, $ROUNDS × ${DURATION}s per path"
  for round in $(seq "$ROUNDS"); do
    for name in $PATH_ORDER; do
      log "  round $round/$ROUNDS: $name"
      run_wrk paced "$name" "$round" "$CONNECTIONS" "$WRK_THREADS" "$DURATION" "$PACE_MS"
    done
  done
fi
if [ "$C1_DURATION" != 0 ]; then
  log "phase 3: concurrency 1, $ROUNDS × ${C1_DURATION}s per path"
  for round in $(seq "$ROUNDS"); do
    for name in $PATH_ORDER; do
      log "  round $round/$ROUNDS: $name"
      run_wrk c1 "$name" "$round" 1 1 "$C1_DURATION"
    done
  done
fi
for g in $GATEWAYS; do
  read -r rss fd thr < <(proc_stats "${P_PIDS[$g]}")
  fact "rss1_$g" "$rss"; fact "fd1_$g" "$fd"; fact "thr1_$g" "$thr"
  fact "upstream1_$g" "$(ss -tnp state established "( dport = :$SIM_PORT )" 2>/dev/null | grep -c "pid=${P_PIDS[$g]}," || true)"
  metrics "$g" after-wrk
done
fact LOAD_AFTER "$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')"

# ---- 4. time to first token ---------------------------------------------------
log "phase 4: TTFT, $STREAMS sequential streams per path, interleaved"
TTFT_ARGS=()
for name in $PATH_ORDER; do TTFT_ARGS+=("$name=127.0.0.1:${P_SPORT[$name]}"); done
timeout 900 python3 "$BENCH/ttft.py" "$STREAMS" bench-model 20 "${TTFT_ARGS[@]}" >"$WORK/ttft.json" \
  || { cat "$WORK/ttft.json" >&2; log "the TTFT measurement had errors"; }

# ---- 5. concurrent paced streams ------------------------------------------------
if [ "$STREAM_SCALE" != 0 ] && [ -z "$STREAM_SKIP" ]; then
  log "phase 5: $STREAM_SCALE concurrent streams ($STREAM_TOKENS tokens, ${STREAM_TOKEN_DELAY_MS} ms apart) through: $STREAM_PATHS"
  curl -s --max-time 5 -d "{\"token_delay_ms\":$STREAM_TOKEN_DELAY_MS,\"tokens\":$STREAM_TOKENS}" \
    "http://127.0.0.1:$SIM_PORT/_sim/options" >"$WORK/sim-options.out" || die "the simulator refused its stream options"
  for name in $STREAM_PATHS; do
    sleep 2   # connections of the previous path close (nginx keeps 128 upstream, hybridgw its pool)
    log "  $STREAM_SCALE streams through $name"
    watch=()
    for pid in ${P_PIDS[$name]}; do watch+=(--watch "$pid"); done
    [ -n "${P_ADMIN[$name]:-}" ] && metrics "$name" before-streams
    timeout $((STREAM_TIMEOUT_S + 60)) "$STREAM_LOAD" --target "127.0.0.1:${P_SPORT[$name]}" \
      --streams "$STREAM_SCALE" --max-tokens "$STREAM_TOKENS" --key "$BENCH_KEY" \
      --timeout-s "$STREAM_TIMEOUT_S" "${watch[@]}" >"$WORK/streams-$name.json" 2>"$WORK/streams-$name.err" \
      || log "  not every stream through $name completed (see RESULTS.md)"
    [ -n "${P_ADMIN[$name]:-}" ] && metrics "$name" after-streams
    for pid in ${P_PIDS[$name]}; do alive "$pid" || die "$name died during the stream-scale test"; done
  done
  curl -s --max-time 5 -d "{\"token_delay_ms\":$TOKEN_DELAY_MS,\"tokens\":16}" \
    "http://127.0.0.1:$SIM_PORT/_sim/options" >/dev/null || true
elif [ -n "$STREAM_SKIP" ]; then
  fact STREAM_SKIP "$STREAM_SKIP"
fi

for g in $GATEWAYS; do
  alive "${P_PIDS[$g]}" || die "$g died"
  metrics "$g" end
done
# Pooled upstream connections expire after pool_idle_ms (5 s in the bench configs):
# afterwards the descriptors should be back to the baseline.
sleep "$POOL_IDLE_WAIT"
for g in $GATEWAYS; do
  read -r rss fd thr < <(proc_stats "${P_PIDS[$g]}")
  fact "rss2_$g" "$rss"; fact "fd2_$g" "$fd"
  fact "upstream2_$g" "$(ss -tnp state established "( dport = :$SIM_PORT )" 2>/dev/null | grep -c "pid=${P_PIDS[$g]}," || true)"
  curl -s --max-time 5 "http://127.0.0.1:${P_ADMIN[$g]}/admin/state" >"$WORK/state-$g.json" || true
done
for f in hybridgw_prod hybridgw_prod2; do
  fact "accesslog_lines_$f" "$(wc -l <"$WORK/$f/access.log" 2>/dev/null || echo 0)"
  fact "accesslog_bytes_$f" "$(stat -c %s "$WORK/$f/access.log" 2>/dev/null || echo 0)"
done
for f in nginx1 nginx2; do
  fact "accesslog_lines_$f" "$(wc -l <"$WORK/$f/access.log" 2>/dev/null || echo 0)"
  fact "accesslog_bytes_$f" "$(stat -c %s "$WORK/$f/access.log" 2>/dev/null || echo 0)"
done

# Stop every hybridgw the way an operator does (SIGTERM: drain, exit 0) and check that it did.
log "stopping the gateways (SIGTERM)"
for g in $GATEWAYS; do kill -TERM "${P_PIDS[$g]}"; done
for g in $GATEWAYS; do
  pid=${P_PIDS[$g]}
  for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
  rc=0
  if alive "$pid"; then
    rc=timeout  # still running: the EXIT trap kills it
  else
    wait "$pid" || rc=$?
    REMAINING=()
    for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || REMAINING+=("$p"); done
    PIDS=("${REMAINING[@]}")
  fi
  fact "exit_$g" "$rc"
  tail -5 "$WORK/$g/gw.err" >"$WORK/gw-stop-$g.txt" 2>/dev/null || true
  [ "$rc" = 0 ] || log "WARNING: $g exited with status $rc after SIGTERM (stderr tail: $(tr '\n' ' ' <"$WORK/gw-stop-$g.txt"))"
done

# ---- 6. detectors ---------------------------------------------------------------
log "phase 6: detector_bench ${DETECTOR_SECONDS}s per size"
"$DETECTOR_BENCH" "$DETECTOR_SECONDS" >"$WORK/detector.txt" 2>&1 || die "detector_bench failed"
fact ELAPSED_S "$(( $(date +%s) - T_START ))"
fact DATE "$(date '+%Y-%m-%d %H:%M %Z')"

# ---- RESULTS.md --------------------------------------------------------------
log "writing $OUT"
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
export ROOT BUILD_TYPE WORK OUT DURATION ROUNDS WARMUP CONNECTIONS WRK_THREADS PACE_MS C1_DURATION STREAMS \
  TOKEN_DELAY_MS STREAM_SCALE STREAM_TOKENS STREAM_TOKEN_DELAY_MS STREAM_PATHS STREAM_TIMEOUT_S DETECTOR_SECONDS \
  POOL_IDLE_WAIT PATH_ORDER NOFILE
export CLK_TCK=$(getconf CLK_TCK)
set +e
python3 "$BENCH/report.py"
rc=$?
set -e
cat "$OUT" >&2
[ "$rc" = 0 ] || { log "the run finished with errors (exit $rc); see $OUT"; exit "$rc"; }
log "done: $OUT"
