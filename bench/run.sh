#!/usr/bin/env bash
# hybridgw benchmark (issue 2 "Benchmark", issue 4 detector speed).
#
# In one run, on loopback only, side by side:
#   hybridgw-sim (1 io thread)            the upstream
#   nginx (1 worker, upstream keepalive)  the baseline proxy in front of it
#   hybridgw (server.threads: 1)          the gateway in front of the same simulator
# then, one path after the other:
#   wrk POST /v1/chat/completions, non-streaming: direct, through nginx, through hybridgw
#   time to first token of sequential streaming requests (bench/ttft.py) through each path
#   build/detector_bench (built-in PII detectors, MB/s per prompt size)
# and writes bench/RESULTS.md.
#
# usage: bench/run.sh          (from anywhere; builds BUILD_DIR if the binaries are missing)
# environment (defaults):
#   BUILD_DIR=build-bench  DURATION=10 (s per wrk run)  ROUNDS=3 (interleaved runs per path; the median counts)
#   WARMUP=2 (s per path, before the first round)  CONNECTIONS=64
#   WRK_THREADS=2  STREAMS=200 (sequential streaming requests per path)  TOKEN_DELAY_MS=1
#   PACE_MS=5 (paced rounds: each connection pauses this long on average after every answer,
#             uniform in [0, 2 × PACE_MS]; 0 skips them)
#   DETECTOR_SECONDS=1  OUT=bench/RESULTS.md  KEEP_TMP=0 (1: keep the temp dir with raw outputs)
# exit status: 0 ok; 1 something failed to start or a tool is missing;
#              3 the run finished but a path answered errors (RESULTS.md is written and says so).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
STREAMS=${STREAMS:-200}
TOKEN_DELAY_MS=${TOKEN_DELAY_MS:-1}
PACE_MS=${PACE_MS:-5}
DETECTOR_SECONDS=${DETECTOR_SECONDS:-1}
OUT=${OUT:-$BENCH/RESULTS.md}
KEEP_TMP=${KEEP_TMP:-0}
POOL_IDLE_WAIT=${POOL_IDLE_WAIT:-7}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for tool in wrk python3 curl; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install wrk python3 curl)"
done
[ -x "$NGINX" ] || die "nginx not found (apt-get install nginx-light)"

# ---- build -------------------------------------------------------------------
if [ ! -x "$BUILD_DIR/hybridgw" ] || [ ! -x "$BUILD_DIR/hybridgw-sim" ] || [ ! -x "$BUILD_DIR/detector_bench" ]; then
  log "building Release binaries in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD_DIR" --target hybridgw hybridgw-sim detector_bench -j"$(nproc)"
fi
GW="$BUILD_DIR/hybridgw"
SIM="$BUILD_DIR/hybridgw-sim"
DETECTOR_BENCH="$BUILD_DIR/detector_bench"

# ---- processes and clean-up --------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hybridgw-bench.XXXXXX")
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

# Free loopback ports (bound and released at once; nothing else races for them here).
read -r NGX_PORT NGX_STREAM_PORT GW_PORT GW_ADMIN_PORT < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks:
    s.close()
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

# 2. nginx
log "starting nginx"
mkdir -p "$WORK/nginx"
USER_LINE=""
[ "$(id -u)" = 0 ] && USER_LINE="user root;"
sed -e "s|@DIR@|$WORK/nginx|g" -e "s|@SIM_PORT@|$SIM_PORT|g" -e "s|@PORT@|$NGX_PORT|g" \
    -e "s|@STREAM_PORT@|$NGX_STREAM_PORT|g" -e "s|@USER_LINE@|$USER_LINE|g" \
    "$BENCH/nginx.conf.template" >"$WORK/nginx/nginx.conf"
"$NGINX" -t -q -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" \
  || die "nginx rejects $WORK/nginx/nginx.conf"
"$NGINX" -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" -g 'daemon off;' \
  >"$WORK/nginx.out" 2>&1 &
NGX_PID=$!
PIDS+=("$NGX_PID")
wait_http "http://127.0.0.1:$NGX_PORT/v1/models" || { cat "$WORK/nginx/error.log" >&2; die "nginx did not start"; }
wait_http "http://127.0.0.1:$NGX_STREAM_PORT/v1/models" || die "nginx stream server did not start"

# 3. hybridgw
log "starting hybridgw"
sed -e "s|@SIM_PORT@|$SIM_PORT|g" -e "s|@PORT@|$GW_PORT|g" -e "s|@ADMIN_PORT@|$GW_ADMIN_PORT|g" \
  "$BENCH/hybridgw.yaml.template" >"$WORK/hybridgw.yaml"
"$GW" check --config "$WORK/hybridgw.yaml" >"$WORK/gw-check.out" 2>&1 \
  || { cat "$WORK/gw-check.out" >&2; die "hybridgw check failed"; }
"$GW" serve --config "$WORK/hybridgw.yaml" >"$WORK/gw.out" 2>"$WORK/gw.err" &
GW_PID=$!
PIDS+=("$GW_PID")
wait_http "http://127.0.0.1:$GW_ADMIN_PORT/readyz" || { cat "$WORK/gw.err" >&2; die "hybridgw did not become ready"; }
wait_http "http://127.0.0.1:$GW_PORT/v1/models" || die "hybridgw main listener does not answer"

# Smoke test: one request per path must be a 200 with a chat completion.
BODY='{"model":"bench-model","messages":[{"role":"user","content":"hello"}],"max_tokens":16}'
for path in "sim:$SIM_PORT" "nginx:$NGX_PORT" "hybridgw:$GW_PORT"; do
  name=${path%%:*} port=${path##*:}
  code=$(curl -s -D "$WORK/smoke-$name.headers" -o "$WORK/smoke-$name.body" -w '%{http_code}' --max-time 5 \
    -H 'Content-Type: application/json' -d "$BODY" "http://127.0.0.1:$port/v1/chat/completions" || true)
  [ "$code" = 200 ] && grep -q '"choices"' "$WORK/smoke-$name.body" \
    || { cat "$WORK/smoke-$name.body" >&2; die "smoke request through $name answered $code"; }
done
grep -qi '^x-hybridgw-backend: sim' "$WORK/smoke-hybridgw.headers" || die "hybridgw did not route to the simulator"

proc_stats() {  # pid -> "rss_kb fds threads"
  local pid=$1
  printf '%s %s %s\n' "$(awk '/^VmRSS/{print $2}' "/proc/$pid/status")" \
    "$(ls "/proc/$pid/fd" | wc -l)" "$(awk '/^Threads/{print $2}' "/proc/$pid/status")"
}
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }  # utime+stime of the main process (all threads)

read -r GW_RSS0 GW_FD0 GW_THR0 < <(proc_stats "$GW_PID")
curl -s "http://127.0.0.1:$GW_ADMIN_PORT/metrics" >"$WORK/metrics-before.txt"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# 4. wrk, non-streaming
run_wrk() {  # name port pid round
  local name=$1 port=$2 pid=$3 round=$4 url="http://127.0.0.1:$2/v1/chat/completions" t0 t1
  if [ "$round" = 1 ] && [ "$WARMUP" != 0 ]; then
    log "wrk $name: warm-up ${WARMUP}s"
    timeout $((WARMUP + 30)) wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$BENCH/post_chat.lua" "$url" \
      >"$WORK/wrk-$name-warmup.txt" 2>&1 || die "wrk warm-up against $name failed"
    alive "$pid" || die "$name died during the warm-up"
  fi
  log "wrk $name: round $round/$ROUNDS, ${DURATION}s at $CONNECTIONS connections"
  t0=$(cpu_ticks "$pid")
  timeout $((DURATION + 30)) wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency \
    -s "$BENCH/post_chat.lua" "$url" >"$WORK/wrk-$name-$round.txt" 2>&1 || die "wrk against $name failed"
  t1=$(cpu_ticks "$pid")
  echo $(( t1 - t0 )) >"$WORK/cpu-$name-$round.ticks"
  alive "$pid" || die "$name died during the run"
}
NGX_WORKER=$(pgrep -P "$NGX_PID" | head -1 || true)
# Rounds interleave the three paths so that a burst of other work on the machine
# hits all of them alike; the report takes the median round.
for round in $(seq "$ROUNDS"); do
  run_wrk direct "$SIM_PORT" "$SIM_PID" "$round"
  run_wrk nginx "$NGX_PORT" "${NGX_WORKER:-$NGX_PID}" "$round"
  run_wrk hybridgw "$GW_PORT" "$GW_PID" "$round"
done
# The same connections at a paced load: latency without the queueing of a
# saturated machine (wrk, the simulator and the proxy share the cores).
run_paced() {  # name port round
  local name=$1 port=$2 round=$3
  log "wrk $name: paced round $round/$ROUNDS, ${DURATION}s at $CONNECTIONS connections, ${PACE_MS} ms mean pause"
  BENCH_PACE_MS=$PACE_MS timeout $((DURATION + 30)) wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" \
    --latency -s "$BENCH/post_chat.lua" "http://127.0.0.1:$port/v1/chat/completions" \
    >"$WORK/wrk-paced-$name-$round.txt" 2>&1 || die "paced wrk against $name failed"
}
if [ "$PACE_MS" != 0 ]; then
  for round in $(seq "$ROUNDS"); do
    run_paced direct "$SIM_PORT" "$round"
    run_paced nginx "$NGX_PORT" "$round"
    run_paced hybridgw "$GW_PORT" "$round"
  done
fi
read -r GW_RSS1 GW_FD1 GW_THR1 < <(proc_stats "$GW_PID")
GW_UPSTREAM1=$(ss -tnp state established "( dport = :$SIM_PORT )" 2>/dev/null | grep -c "pid=$GW_PID," || true)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
curl -s "http://127.0.0.1:$GW_ADMIN_PORT/metrics" >"$WORK/metrics-after-wrk.txt"

# 5. time to first token, streams
log "TTFT: $STREAMS sequential streaming requests per path, interleaved direct → nginx → hybridgw"
timeout 900 python3 "$BENCH/ttft.py" "$STREAMS" bench-model 20 "direct=127.0.0.1:$SIM_PORT" \
  "nginx=127.0.0.1:$NGX_STREAM_PORT" "hybridgw=127.0.0.1:$GW_PORT" >"$WORK/ttft.json" \
  || { cat "$WORK/ttft.json" >&2; log "the TTFT measurement had errors"; }
curl -s "http://127.0.0.1:$GW_ADMIN_PORT/metrics" >"$WORK/metrics-after.txt"
alive "$GW_PID" || die "hybridgw died"
# Pooled upstream connections expire after pool_idle_ms (5 s in the bench config):
# afterwards the descriptors should be back to the baseline.
sleep "$POOL_IDLE_WAIT"
read -r GW_RSS2 GW_FD2 GW_THR2 < <(proc_stats "$GW_PID")
GW_UPSTREAM2=$(ss -tnp state established "( dport = :$SIM_PORT )" 2>/dev/null | grep -c "pid=$GW_PID," || true)

# Stop hybridgw the way an operator does (SIGTERM: drain, exit 0) and check that it did.
log "stopping hybridgw (SIGTERM)"
kill -TERM "$GW_PID"
for _ in $(seq 100); do alive "$GW_PID" || break; sleep 0.1; done
GW_EXIT=0
if alive "$GW_PID"; then
  GW_EXIT=timeout  # still running: the EXIT trap kills it
else
  wait "$GW_PID" || GW_EXIT=$?
  REMAINING=()
  for pid in "${PIDS[@]}"; do [ "$pid" = "$GW_PID" ] || REMAINING+=("$pid"); done
  PIDS=("${REMAINING[@]}")
fi
tail -5 "$WORK/gw.err" >"$WORK/gw-stop.txt" 2>/dev/null || true
[ "$GW_EXIT" = 0 ] || log "WARNING: hybridgw exited with status $GW_EXIT after SIGTERM (stderr tail: $(tr '\n' ' ' <"$WORK/gw-stop.txt"))"

# 6. detectors
log "detector_bench ${DETECTOR_SECONDS}s per size"
"$DETECTOR_BENCH" "$DETECTOR_SECONDS" >"$WORK/detector.txt" 2>&1 || die "detector_bench failed"

# ---- RESULTS.md --------------------------------------------------------------
log "writing $OUT"
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
export ROOT BUILD_TYPE WORK OUT DURATION ROUNDS WARMUP CONNECTIONS WRK_THREADS STREAMS TOKEN_DELAY_MS PACE_MS LOAD_BEFORE LOAD_AFTER \
  GW_RSS0 GW_FD0 GW_RSS1 GW_FD1 GW_THR1 GW_FD2 GW_UPSTREAM1 GW_UPSTREAM2 GW_EXIT DETECTOR_SECONDS POOL_IDLE_WAIT
export CLK_TCK=$(getconf CLK_TCK)
set +e
python3 - <<'PYEOF'
import json, os, re, subprocess, datetime, platform

W = os.environ["WORK"]
env = os.environ

def unit_ms(v, u):
    return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[u]

def parse_wrk(path):
    t = open(path).read()
    r = {"raw": t}
    m = re.search(r"Requests/sec:\s+([\d.]+)", t); r["rps"] = float(m.group(1)) if m else 0.0
    for p in ("50", "75", "90", "99"):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s|m)\s*$" % p, t, re.M)
        r["p" + p] = unit_ms(*m.groups()) if m else None
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", t); r["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t); r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    r["sockerr"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups()))) if m else {}
    return r

import statistics
paths = ["direct", "nginx", "hybridgw"]
R = int(env["ROUNDS"])
runs = {p: [parse_wrk(f"{W}/wrk-{p}-{r}.txt") for r in range(1, R + 1)] for p in paths}
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None
wrk = {}
for p in paths:
    rs = runs[p]
    se = {}
    for r in rs:
        for k, v in r["sockerr"].items():
            se[k] = se.get(k, 0) + v
    wrk[p] = {"rps": med([r["rps"] for r in rs]) or 0.0,
              **{q: med([r[q] for r in rs]) for q in ("p50", "p75", "p90", "p99")},
              "requests": sum(r["requests"] for r in rs), "non2xx": sum(r["non2xx"] for r in rs), "sockerr": se}
try:
    ttft_all = json.loads(open(f"{W}/ttft.json").read().strip().splitlines()[-1])
except Exception as e:
    ttft_all = {}
ttft = {p: ttft_all.get(p, {"n": 0, "errors": -1, "statuses": {}}) for p in paths}
clk = int(env["CLK_TCK"])
cpu = {}
for p in paths:
    try:
        cpu[p] = sum(int(open(f"{W}/cpu-{p}-{r}.ticks").read()) for r in range(1, R + 1)) / clk
    except Exception:
        cpu[p] = None

def fmt(v, d=2):
    return "n/a" if v is None else f"{v:.{d}f}"

def metric_sum(path, name, label_filter=None):
    out = {}
    try:
        for line in open(path):
            if not line.startswith(name):
                continue
            m = re.match(r"^(\w+)(\{[^}]*\})?\s+([0-9.eE+-]+|NaN)", line)
            if not m or m.group(1) != name:
                continue
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
            key = labels.get(label_filter, "") if label_filter else ""
            out[key] = out.get(key, 0.0) + float(m.group(3))
    except FileNotFoundError:
        pass
    return out

def delta(after, before):
    return {k: v - before.get(k, 0.0) for k, v in after.items() if v - before.get(k, 0.0) != 0}

codes = delta(metric_sum(f"{W}/metrics-after-wrk.txt", "hybridgw_requests_total", "code"),
              metric_sum(f"{W}/metrics-before.txt", "hybridgw_requests_total", "code"))
ovh_sum = delta(metric_sum(f"{W}/metrics-after-wrk.txt", "hybridgw_gateway_overhead_seconds_sum"),
                metric_sum(f"{W}/metrics-before.txt", "hybridgw_gateway_overhead_seconds_sum")).get("", 0.0)
ovh_cnt = delta(metric_sum(f"{W}/metrics-after-wrk.txt", "hybridgw_gateway_overhead_seconds_count"),
                metric_sum(f"{W}/metrics-before.txt", "hybridgw_gateway_overhead_seconds_count")).get("", 0.0)
attempts = delta(metric_sum(f"{W}/metrics-after-wrk.txt", "hybridgw_attempts_total", "outcome"),
                 metric_sum(f"{W}/metrics-before.txt", "hybridgw_attempts_total", "outcome"))

d, n, g = wrk["direct"], wrk["nginx"], wrk["hybridgw"]
round_ratio = [runs["hybridgw"][i]["rps"] / runs["nginx"][i]["rps"] if runs["nginx"][i]["rps"] else 0.0
               for i in range(R)]
ratio = med(round_ratio) or 0.0  # per round the two proxies ran seconds apart
def add(a, b):
    return None if a is None or b is None else a - b
# Added latency: per round (direct and the proxy measured seconds apart), then the median round.
def added(p, q):
    return med([add(runs[p][i][q], runs["direct"][i][q]) for i in range(R)])
paced = {}
if env["PACE_MS"] != "0":
    paced = {p: [parse_wrk(f"{W}/wrk-paced-{p}-{r}.txt") for r in range(1, R + 1)] for p in paths}
def paced_added(p, q):
    return med([add(paced[p][i][q], paced["direct"][i][q]) for i in range(R)]) if paced else None
pg_add50, pg_add99 = paced_added("hybridgw", "p50"), paced_added("hybridgw", "p99")
pn_add50, pn_add99 = paced_added("nginx", "p50"), paced_added("nginx", "p99")
g_add50, g_add99 = added("hybridgw", "p50"), added("hybridgw", "p99")
n_add50, n_add99 = added("nginx", "p50"), added("nginx", "p99")
met_tp = ratio >= 0.5
# A p99 difference of a millisecond is within what this kind of shared machine
# does to the direct path by itself: the verdict is "met" only when every
# round agrees, "not met" when the median misses, "inconclusive" otherwise.
def p99_verdict(rounds):
    adds = [add(rounds["hybridgw"][i]["p99"], rounds["direct"][i]["p99"]) for i in range(R)]
    if any(a is None for a in adds):
        return "n/a"
    direct = [rounds["direct"][i]["p99"] for i in range(R)]
    if all(0 <= a <= 1.0 for a in adds):
        return "met"
    if med(adds) > 1.0:
        return "not met"
    return (f"inconclusive: per round {', '.join(fmt(a) for a in adds)} ms; the direct path's own p99 "
            f"ranged {fmt(min(direct))}–{fmt(max(direct))} ms")
met_p99 = p99_verdict(runs)
met_paced_p99 = p99_verdict(paced) if paced else "n/a"
errors_seen = any(wrk[p]["non2xx"] or any(wrk[p]["sockerr"].values()) for p in paths) or \
              any(r["non2xx"] or any(r["sockerr"].values()) for p in paced for r in paced[p]) or \
              any(ttft[p].get("errors", -1) != 0 for p in paths)

cpu_model = "unknown"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu_model = line.split(":", 1)[1].strip(); break
nproc = os.cpu_count()
try:
    mem_gb = int(open("/proc/meminfo").readline().split()[1]) / 1024 / 1024
except Exception:
    mem_gb = 0
def ver(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=5).stderr.strip().splitlines()[0] \
            or ""
    except Exception:
        return "?"
nginx_v = ver(["nginx", "-v"]).replace("nginx version: ", "")
wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.strip().splitlines()
wrk_v = wrk_v[0].split(" [")[0] if wrk_v else "wrk"
try:
    rev = subprocess.run(["git", "-C", env["ROOT"], "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", env["ROOT"], "status", "--porcelain", "--", "gateway", "policies"],
                           capture_output=True, text=True).stdout.strip()
    rev += " (+ uncommitted changes in gateway/ or policies/)" if dirty else ""
except Exception:
    rev = "?"

det = open(f"{W}/detector.txt").read()
det_rows = re.findall(r"^(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s*$", det, re.M)

L = []
A = L.append
A("# hybridgw benchmark results")
A("")
A("Written by `bench/run.sh`; do not edit by hand — re-run it.")
A("")
A(f"- Date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}")
A(f"- Machine: {nproc} CPUs ({cpu_model}), {mem_gb:.1f} GiB RAM, {platform.system()} {platform.release()}")
A(f"- Software: hybridgw @ {rev}, {env.get('BUILD_TYPE') or 'unknown'} build; {nginx_v}; {wrk_v}; Python {platform.python_version()}")
A(f"- Load average (1/5/15 min) before the wrk runs: {env['LOAD_BEFORE']}; after: {env['LOAD_AFTER']}")
A("")
A("Reproduce (from the repository root; builds `build-bench/` in Release mode if needed):")
A("")
A("```sh")
A(f"DURATION={env['DURATION']} ROUNDS={R} bench/run.sh")
A("```")
A("")
A("## Set-up")
A("")
A(f"- Upstream: `hybridgw-sim --threads 1 --token-delay-ms {env['TOKEN_DELAY_MS']} --max-recorded 0` "
  "(16 completion tokens per answer, no added latency for non-streaming answers).")
A("- nginx: one worker, `proxy_pass` to an `upstream` block with `keepalive 128`, `proxy_http_version 1.1`, "
  "`proxy_set_header Connection \"\"`, access log off; default buffering for non-streaming, a second "
  "server with `proxy_buffering off` for streams (`bench/nginx.conf.template`).")
A("- hybridgw: `server.threads: 1`, access log off, health checks off, `state.store: memory`, no tenants, "
  "no compliance detectors, one route → one backend (`bench/hybridgw.yaml.template`).")
A(f"- Load: wrk, {env['WRK_THREADS']} threads, {env['CONNECTIONS']} connections, `POST /v1/chat/completions` "
  "non-streaming (`bench/post_chat.lua`, ~400-byte JSON body); per path a "
  f"{env['WARMUP']} s warm-up, then {R} rounds of {env['DURATION']} s, each round running direct → nginx → hybridgw; "
  "the table shows the median over the rounds, the ratio is the median of the per-round ratios.")
A(f"- Streams: `bench/ttft.py` sends {env['STREAMS']} streaming requests per path one after another, interleaved "
  "(direct, nginx, hybridgw, direct, …; one keep-alive connection per path, after 20 warm-up turns) and "
  "measures, with raw sockets, the time from sending the request to the first `data:` line.")
A("- **Caveat:** the simulator, the proxy under test and wrk all share the same "
  f"{nproc} cores (and the machine may be running other work — see the load average above), so absolute numbers "
  "are low and noisy; only the ratios between the paths, measured minutes apart in one run, mean anything.")
A("")
A(f"## Non-streaming, {env['CONNECTIONS']} connections")
A("")
def per_req_us(p):
    if cpu[p] is None or not wrk[p]["requests"]:
        return None
    return cpu[p] / wrk[p]["requests"] * 1e6
A("| path | requests/s | p50 (ms) | p75 (ms) | p90 (ms) | p99 (ms) | requests (all rounds) | non-2xx | socket errors | CPU µs/request |")
A("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for p in paths:
    w = wrk[p]
    se = sum(w["sockerr"].values()) if w["sockerr"] else 0
    A(f"| {p} | {w['rps']:.0f} | {fmt(w['p50'])} | {fmt(w['p75'])} | {fmt(w['p90'])} | {fmt(w['p99'])} | "
      f"{w['requests']} | {w['non2xx']} | {se} | {fmt(per_req_us(p), 1)} |")
A("")
A("(\"CPU µs/request\": CPU time used during the measured runs by the process on that path — the simulator "
  "for direct, the nginx worker, the whole hybridgw process — divided by the requests it served.)")
A("")
A("Per round (requests/s, p99 ms):")
A("")
A("| round | direct | nginx | hybridgw | hybridgw ÷ nginx |")
A("|---:|---:|---:|---:|---:|")
for i in range(R):
    A(f"| {i + 1} | {runs['direct'][i]['rps']:.0f} ({fmt(runs['direct'][i]['p99'])}) | "
      f"{runs['nginx'][i]['rps']:.0f} ({fmt(runs['nginx'][i]['p99'])}) | "
      f"{runs['hybridgw'][i]['rps']:.0f} ({fmt(runs['hybridgw'][i]['p99'])}) | {round_ratio[i]:.2f}× |")
A("")
A(f"- hybridgw ÷ nginx throughput: **{ratio:.2f}×** (median of the per-round ratios)")
A(f"- CPU per request: simulator {fmt(per_req_us('direct'),1)} µs, nginx {fmt(per_req_us('nginx'),1)} µs, "
  f"hybridgw {fmt(per_req_us('hybridgw'),1)} µs")
A(f"- Added latency vs direct (per round, median round) — hybridgw: p50 **{fmt(g_add50)} ms**, p99 **{fmt(g_add99)} ms**; "
  f"nginx: p50 {fmt(n_add50)} ms, p99 {fmt(n_add99)} ms")
if ovh_cnt:
    A(f"- hybridgw's own `hybridgw_gateway_overhead_seconds` over the warm-up and all rounds: mean "
      f"{ovh_sum / ovh_cnt * 1e3:.3f} ms over {int(ovh_cnt)} requests")
if codes:
    A("- hybridgw `hybridgw_requests_total` by code (warm-up + all rounds): " +
      ", ".join(f"{k}: {int(v)}" for k, v in sorted(codes.items())))
if attempts:
    A("- hybridgw `hybridgw_attempts_total` by outcome: " +
      ", ".join(f"{k}: {int(v)}" for k, v in sorted(attempts.items())))
n499 = int(codes.get("499", 0))
if n499:
  A(f"- The {n499} answers with code 499 are requests whose client (wrk) closed its connection when a run ended "
    f"(at most {(R + 1) * int(env['CONNECTIONS'])} over warm-up and rounds); they are not errors of the gateway.")
tot_req = sum(codes.values()); tot_att = sum(attempts.values())
if attempts and (int(tot_req) != int(tot_att) or int(codes.get("200", 0)) != int(attempts.get("success", 0))):
    A(f"- Note: requests_total counted {int(tot_req)} requests ({int(codes.get('200', 0))} × 200) but attempts_total "
      f"{int(tot_att)} attempts ({int(attempts.get('success', 0))} × success): the two counters disagree about "
      f"{int(codes.get('200', 0)) - int(attempts.get('success', 0))} requests, counted as 200 while their only attempt "
      "is counted as cancelled (their clients went away at the end of a run).")
A("")
A("### Reading the numbers")
A("")
def little(p):
    return int(env["CONNECTIONS"]) / wrk[p]["rps"] * 1e3 if wrk[p]["rps"] else None
cpu_ratio = (per_req_us("hybridgw") / per_req_us("nginx")) if per_req_us("hybridgw") and per_req_us("nginx") else None
A(f"- With {env['CONNECTIONS']} connections always busy, latency ≈ connections ÷ throughput (Little's law): "
  f"{fmt(little('direct'))} ms direct, {fmt(little('nginx'))} ms nginx, {fmt(little('hybridgw'))} ms hybridgw. "
  "The added p50/p99 at this concurrency is queueing behind a saturated single io thread, so it follows "
  "from the throughput gap; the gateway's own per-request time is the overhead histogram above and the "
  "added TTFT at concurrency 1 below.")
A(f"- hybridgw uses {fmt(cpu_ratio, 1)}× the CPU per request of nginx. nginx's throughput here is bounded by the "
  "machine (the simulator and wrk use the rest of the 2 cores), not by its worker, so the CPU-per-request "
  "ratio is the more robust comparison of the two proxies.")
A("")
if paced:
    A(f"## Non-streaming, {env['CONNECTIONS']} connections, paced")
    A("")
    A(f"The same wrk load, but each connection pauses after every answer, {env['PACE_MS']} ms on average "
      f"(uniform in [0, {2 * int(env['PACE_MS'])}] ms; `BENCH_PACE_MS` in `bench/post_chat.lua`): the offered "
      "load stays below what the machine can serve, so the latency is the proxies' own and not the queue of "
      "a saturated machine. The pause is random because with a fixed one the 64 connections, answered "
      "together, stay in lockstep and arrive as bursts of 64. Median of the rounds.")
    A("")
    A("| path | requests/s | p50 (ms) | p90 (ms) | p99 (ms) | added p50 (ms) | added p99 (ms) | non-2xx | socket errors |")
    A("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p in paths:
        rs = paced[p]
        dash = p == "direct"
        A(f"| {p} | {med([r['rps'] for r in rs]):.0f} | {fmt(med([r['p50'] for r in rs]))} | "
          f"{fmt(med([r['p90'] for r in rs]))} | {fmt(med([r['p99'] for r in rs]))} | "
          f"{'—' if dash else fmt(paced_added(p, 'p50'))} | {'—' if dash else fmt(paced_added(p, 'p99'))} | "
          f"{sum(r['non2xx'] for r in rs)} | {sum(sum(r['sockerr'].values()) for r in rs)} |")
    A("")
    A("Per round (requests/s, p99 ms):")
    A("")
    A("| round | direct | nginx | hybridgw |")
    A("|---:|---:|---:|---:|")
    for i in range(R):
        A(f"| {i + 1} | " + " | ".join(f"{paced[p][i]['rps']:.0f} ({fmt(paced[p][i]['p99'])})" for p in paths) + " |")
    A("")
A("## Streams: time to first token")
A("")
A("| path | n | TTFT p50 (ms) | p90 (ms) | p99 (ms) | mean (ms) | added TTFT p50 (ms) | added TTFT p90 (ms) | errors |")
A("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for p in paths:
    t = ttft[p]
    dash = p == "direct"
    A(f"| {p} | {t.get('n', 0)} | {fmt(t.get('p50_ms'), 3)} | {fmt(t.get('p90_ms'), 3)} | {fmt(t.get('p99_ms'), 3)} | "
      f"{fmt(t.get('mean_ms'), 3)} | {'—' if dash else fmt(t.get('added_p50_ms'), 3)} | "
      f"{'—' if dash else fmt(t.get('added_p90_ms'), 3)} | {t.get('errors')} |")
A("")
A("(added TTFT: for each turn, the path's TTFT minus the direct TTFT measured just before it; "
  "the 50th and 90th percentiles of these differences.)")
A("")
A("## Detectors (issue 4)")
A("")
A(f"`{'detector_bench'} {env['DETECTOR_SECONDS']}` — the full built-in "
  "detector set, one thread, mixed Chinese/English prompts with a few PII items each:")
A("")
A("| prompt size | MB/s | µs per scan | findings |")
A("|---:|---:|---:|---:|")
for size, scans, mbs, us, finds in det_rows:
    A(f"| {int(size) // 1024} KB | {float(mbs):.0f} | {float(us):.1f} | {finds} |")
det_min = min((float(r[2]) for r in det_rows), default=0.0)
A("")
A("## Targets")
A("")
A("| target | result | status |")
A("|---|---|---|")
A(f"| throughput ≥ 0.5× nginx (non-streaming, {env['CONNECTIONS']} connections) | {ratio:.2f}× | "
  f"{'met' if met_tp else 'not met'} |")
A(f"| added p99 ≤ 1 ms vs direct ({env['CONNECTIONS']} connections, saturating) | {fmt(g_add99)} ms "
  f"(nginx {fmt(n_add99)} ms) | {met_p99} |")
if paced:
    A(f"| added p99 ≤ 1 ms vs direct ({env['CONNECTIONS']} connections, paced) | {fmt(pg_add99)} ms "
      f"(nginx {fmt(pn_add99)} ms) | {met_paced_p99} |")
A(f"| detectors ≥ 200 MB/s per core (issue 4) | {det_min:.0f} MB/s (slowest size) | "
  f"{'met' if det_min >= 200 else 'not met'} |")
A("")
A("## Sanity checks")
A("")
A(f"- Errors during the measured runs: {'**yes — see the table; investigate before trusting the numbers**' if errors_seen else 'none (no non-2xx answers, no socket errors, no stream errors)'}")
A(f"- hybridgw process: RSS {int(env['GW_RSS0'])//1024} MiB before load → {int(env['GW_RSS1'])//1024} MiB after wrk; "
  f"{env['GW_THR1']} threads; open file descriptors {env['GW_FD0']} before load → {env['GW_FD1']} right after wrk "
  f"({env['GW_UPSTREAM1']} pooled upstream connections) → {env['GW_FD2']} at the end, after the stream test and "
  f"{env.get('POOL_IDLE_WAIT', '7')} s idle (pool_idle_ms 5 s) "
  f"({'back to baseline' if int(env['GW_FD2']) <= int(env['GW_FD0']) else 'NOT back to baseline: ' + env['GW_UPSTREAM2'] + ' upstream connections still open'})")
gw_exit = env["GW_EXIT"]
stop_tail = ""
try:
    stop_tail = " ".join(l.strip() for l in open(f"{W}/gw-stop.txt") if l.strip())
except FileNotFoundError:
    pass
if gw_exit == "0":
    A("- hybridgw stopped cleanly on SIGTERM (exit status 0)")
else:
    sig = {"134": " (SIGABRT)", "139": " (SIGSEGV)"}.get(gw_exit, "")
    A(f"- **hybridgw did not stop cleanly on SIGTERM: exit status {gw_exit}{sig}**; last stderr lines: `{stop_tail}`")
    errors_seen = True
A("")
open(env["OUT"], "w").write("\n".join(L))
print(json.dumps({"ratio": ratio, "errors": errors_seen,
                  "rps": {p: wrk[p]["rps"] for p in paths},
                  "p50": {p: wrk[p]["p50"] for p in paths}, "p99": {p: wrk[p]["p99"] for p in paths},
                  "ttft_p50": {p: ttft[p].get("p50_ms") for p in paths}}))
raise SystemExit(3 if errors_seen else 0)
PYEOF
rc=$?
set -e
cat "$OUT" >&2
[ "$rc" = 0 ] || { log "the run finished with errors (exit $rc); see $OUT"; exit "$rc"; }
log "done: $OUT"
