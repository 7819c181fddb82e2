#!/usr/bin/env bash
# Where budgets and rate limits live, side by side in one run: the production
# profile (bench/hybridgw-production.yaml.template: access log, a tenant with a
# budget and rate limits, every detector, health checks) with
#   memory  state.store: memory   reservations in the process
#   sqlite  state.store: sqlite   reservations in the process, usage in SQLite
#   redis   state.store: redis    reservations through Redis (Lua admit/settle per request)
# in front of the same simulator, with nginx (1 worker, access log) as the baseline.
# A private redis-server runs on a free loopback port for the run and stops after.
#
# Rounds interleave the paths; the median round counts. Reports requests/s and
# CPU µs per request of the proxy process (for redis: gateway + redis-server,
# since Redis's work is part of the cost), and the ratio of each to memory.
#
# usage: bench/store.sh   environment: BUILD_DIR=build-bench DURATION=8 ROUNDS=3
#                                       CONNECTIONS=64 THREADS=1 OUT=bench/STORE.md
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
OUT=${OUT:-$BENCH/STORE.md}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
BENCH_KEY=sk-bench-not-a-real-key

log() { printf '[store-bench] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
for tool in wrk python3 curl redis-server redis-cli; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install wrk python3 curl redis-server)"
done
[ -x "$NGINX" ] || die "nginx not found (apt-get install nginx-light)"

for t in hybridgw hybridgw-sim; do
  if [ ! -x "$BUILD_DIR/$t" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -Wno-dev >/dev/null
    nice -n 15 cmake --build "$BUILD_DIR" --target hybridgw hybridgw-sim -j"$(nproc)"
    break
  fi
done
GW="$BUILD_DIR/hybridgw"
SIM="$BUILD_DIR/hybridgw-sim"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hybridgw-store-bench.XXXXXX")
PIDS=()
cleanup() {
  local rc=$? pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${KEEP_TMP:-0}" = 1 ]; then log "raw outputs kept in $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_ports() {
  python3 -c '
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
ports = [x.getsockname()[1] for x in s]
for x in s: x.close()
print(*ports, flush=True)' "$1"
}
read -r REDIS_PORT NGX_PORT NGX_S NGX_L NGX_LS MEM_PORT MEM_ADMIN SQL_PORT SQL_ADMIN RED_PORT RED_ADMIN < <(free_ports 11)
wait_http() {
  local i
  for i in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1" || true)" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  >"$WORK/redis.out" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
redis-cli -p "$REDIS_PORT" ping | grep -q PONG || die "redis-server did not start"

"$SIM" --listen 127.0.0.1:0 --threads 1 --name bench-sim --max-recorded 0 >"$WORK/sim.out" 2>"$WORK/sim.err" &
SIM_PID=$!
PIDS+=("$SIM_PID")
SIM_PORT=""
for _ in $(seq 100); do
  SIM_PORT=$(sed -n 's/^hybridgw-sim .* listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/sim.out" | head -1)
  [ -n "$SIM_PORT" ] && break
  sleep 0.1
done
[ -n "$SIM_PORT" ] || die "hybridgw-sim did not start"

USER_LINE=""
[ "$(id -u)" = 0 ] && USER_LINE="user root;"
mkdir -p "$WORK/nginx"
sed -e "s|@DIR@|$WORK/nginx|g" -e "s|@SIM_PORT@|$SIM_PORT|g" -e "s|@WORKERS@|1|g" \
    -e "s|@LOG_STREAM_PORT@|$NGX_LS|g" -e "s|@LOG_PORT@|$NGX_L|g" -e "s|@STREAM_PORT@|$NGX_S|g" \
    -e "s|@PORT@|$NGX_PORT|g" -e "s|@USER_LINE@|$USER_LINE|g" "$BENCH/nginx.conf.template" >"$WORK/nginx/nginx.conf"
"$NGINX" -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" -g 'daemon off;' \
  >"$WORK/nginx.out" 2>&1 &
NGX_PID=$!
PIDS+=("$NGX_PID")
wait_http "http://127.0.0.1:$NGX_L/v1/models" || die "nginx does not answer"
sleep 0.3
NGX_WORKER=$(pgrep -P "$NGX_PID" | head -1)

TENANT_KEY=$(printf '%s' "$BENCH_KEY" | "$GW" hash-key)
start_gw() {  # name port admin state-lines
  local name=$1 dir="$WORK/$1"
  mkdir -p "$dir"
  # The production template's state section is its last two "state:" lines; replace it.
  sed -e "s|@SIM_PORT@|$SIM_PORT|g" -e "s|@PORT@|$2|g" -e "s|@ADMIN_PORT@|$3|g" -e "s|@THREADS@|$THREADS|g" \
      -e "s|@DIR@|$dir|g" -e "s|@TENANT_KEY@|$TENANT_KEY|g" \
      -e '/^state:/,/^  path:/d' "$BENCH/hybridgw-production.yaml.template" >"$dir/hybridgw.yaml"
  printf '%s\n' "$4" >>"$dir/hybridgw.yaml"
  "$GW" check --config "$dir/hybridgw.yaml" >"$dir/check.out" 2>&1 || { cat "$dir/check.out" >&2; die "check failed: $name"; }
  "$GW" serve --config "$dir/hybridgw.yaml" >"$dir/gw.out" 2>"$dir/gw.err" &
  local pid=$!
  PIDS+=("$pid")
  printf -v "PID_$name" '%s' "$pid"
  wait_http "http://127.0.0.1:$3/readyz" || { cat "$dir/gw.err" >&2; die "$name did not become ready"; }
}
start_gw memory "$MEM_PORT" "$MEM_ADMIN" "state: { store: memory }"
start_gw sqlite "$SQL_PORT" "$SQL_ADMIN" "state: { store: sqlite, path: \"$WORK/sqlite/state.db\" }"
start_gw redis "$RED_PORT" "$RED_ADMIN" \
  "state: { store: redis, redis_url: \"redis://127.0.0.1:$REDIS_PORT\", key_prefix: \"bench:\", on_store_error: reject }"

declare -A PORT CPU_PIDS
PORT[nginx_log]=$NGX_L; CPU_PIDS[nginx_log]=$NGX_WORKER
PORT[memory]=$MEM_PORT; CPU_PIDS[memory]=$PID_memory
PORT[sqlite]=$SQL_PORT; CPU_PIDS[sqlite]=$PID_sqlite
PORT[redis]=$RED_PORT;  CPU_PIDS[redis]=$PID_redis
ORDER="nginx_log memory sqlite redis"

BODY='{"model":"bench-model","messages":[{"role":"user","content":"hello"}],"max_tokens":16}'
for name in memory sqlite redis; do
  code=$(curl -s -o "$WORK/smoke-$name" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $BENCH_KEY" -d "$BODY" "http://127.0.0.1:${PORT[$name]}/v1/chat/completions" || true)
  [ "$code" = 200 ] || { cat "$WORK/smoke-$name" >&2; die "smoke request through $name answered $code"; }
done
# The redis path really goes through Redis: the tenant's spend is there.
[ -n "$(redis-cli -p "$REDIS_PORT" --scan --pattern 'bench:spend:bench:*' | head -1)" ] \
  || die "no spend key in Redis after a request through the redis path"

cpu_ticks() {
  local sum=0 pid
  for pid in "$@"; do sum=$((sum + $(awk '{sub(/^.*\) /, ""); print $12+$13}' "/proc/$pid/stat"))); done
  echo "$sum"
}
HZ=$(getconf CLK_TCK)
for name in $ORDER; do
  wrk -t2 -c"$CONNECTIONS" -d2s -s "$BENCH/post_chat.lua" "http://127.0.0.1:${PORT[$name]}/v1/chat/completions" >/dev/null
done
for round in $(seq "$ROUNDS"); do
  for name in $ORDER; do
    log "round $round/$ROUNDS: $name"
    # shellcheck disable=SC2086
    t0=$(cpu_ticks ${CPU_PIDS[$name]}); r0=$(cpu_ticks "$REDIS_PID")
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH/post_chat.lua" \
      "http://127.0.0.1:${PORT[$name]}/v1/chat/completions" >"$WORK/wrk-$name-$round.txt"
    # shellcheck disable=SC2086
    t1=$(cpu_ticks ${CPU_PIDS[$name]}); r1=$(cpu_ticks "$REDIS_PID")
    echo $((t1 - t0)) >"$WORK/cpu-$name-$round"
    echo $((r1 - r0)) >"$WORK/redis-cpu-$name-$round"
    [ "$name" = redis ] && redis-cli -p "$REDIS_PORT" info commandstats >"$WORK/commandstats-$round.txt"
  done
done

python3 - "$WORK" "$ROUNDS" "$HZ" "$OUT" "$CONNECTIONS" "$DURATION" "$THREADS" "$ROOT" <<'EOF'
import re, statistics, sys, datetime, subprocess
work, rounds, hz, out, conns, dur, threads, root = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7], sys.argv[8]
order = ["nginx_log", "memory", "sqlite", "redis"]
res = {}
for name in order:
    rows = []
    for r in range(1, rounds + 1):
        text = open(f"{work}/wrk-{name}-{r}.txt").read()
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
        total = int(re.search(r"(\d+) requests in", text).group(1))
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
        scale = {"us": 1e-3, "ms": 1, "s": 1e3}[p99.group(2)]
        gw_s = int(open(f"{work}/cpu-{name}-{r}").read()) / hz
        redis_s = int(open(f"{work}/redis-cpu-{name}-{r}").read()) / hz
        rows.append(dict(rps=rps, gw_us=gw_s * 1e6 / max(total, 1), redis_us=redis_s * 1e6 / max(total, 1),
                         cpu_us=(gw_s + redis_s) * 1e6 / max(total, 1), p99=float(p99.group(1)) * scale,
                         errors=int(errors.group(1)) if errors else 0))
    res[name] = rows
med = lambda name, k: statistics.median(row[k] for row in res[name])
def ratio(name, base, k):  # median of per-round ratios
    return statistics.median(a[k] / b[k] for a, b in zip(res[name], res[base]))
commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
lines = [
    "# State store benchmark (bench/store.sh)", "",
    f"{datetime.date.today()}, commit {commit or '?'}, {rounds} interleaved rounds × {dur} s, {conns} connections, "
    f"gateway io threads {threads}, wrk 2 threads, non-streaming, production profile with a tenant "
    "(daily budget, requests and tokens per minute) on every gateway path. CPU µs/request counts the proxy "
    "process and redis-server (which only the redis path uses).", "",
    "| path | req/s (median) | vs memory | CPU µs/request | of which redis-server | vs memory | p99 ms | non-2xx |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
]
for name in order:
    lines.append(f"| {name} | {med(name, 'rps'):.0f} | {ratio(name, 'memory', 'rps'):.2f}× | {med(name, 'cpu_us'):.1f} | {med(name, 'redis_us'):.1f} | "
                 f"{ratio(name, 'memory', 'cpu_us'):.2f}× | {med(name, 'p99'):.2f} | {sum(r['errors'] for r in res[name])} |")
lines += ["", f"Redis store throughput vs memory store: **{ratio('redis', 'memory', 'rps'):.2f}×** (target ≥ 0.8×).", ""]
open(out, "w").write("\n".join(lines))
print("\n".join(lines))
bad = sum(r["errors"] for n in order for r in res[n])
sys.exit(3 if bad else 0)
EOF
