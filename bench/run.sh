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
#   BUILD_DIR=build-bench  DURATION=10 (s per wrk run)  WARMUP=2 (s per path)  CONNECTIONS=64
#   WRK_THREADS=2  STREAMS=200 (sequential streaming requests per path)  TOKEN_DELAY_MS=1
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
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
STREAMS=${STREAMS:-200}
TOKEN_DELAY_MS=${TOKEN_DELAY_MS:-1}
DETECTOR_SECONDS=${DETECTOR_SECONDS:-1}
OUT=${OUT:-$BENCH/RESULTS.md}
KEEP_TMP=${KEEP_TMP:-0}
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
run_wrk() {  # name port pid
  local name=$1 port=$2 pid=$3 url="http://127.0.0.1:$2/v1/chat/completions" t0 t1
  log "wrk $name: warm-up ${WARMUP}s, then ${DURATION}s at $CONNECTIONS connections"
  timeout $((WARMUP + 30)) wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$BENCH/post_chat.lua" "$url" \
    >"$WORK/wrk-$name-warmup.txt" 2>&1 || die "wrk warm-up against $name failed"
  alive "$pid" || die "$name died during the warm-up"
  t0=$(cpu_ticks "$pid")
  timeout $((DURATION + 30)) wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency \
    -s "$BENCH/post_chat.lua" "$url" >"$WORK/wrk-$name.txt" 2>&1 || die "wrk against $name failed"
  t1=$(cpu_ticks "$pid")
  echo $(( t1 - t0 )) >"$WORK/cpu-$name.ticks"
  alive "$pid" || die "$name died during the run"
}
run_wrk direct "$SIM_PORT" "$SIM_PID"
NGX_WORKER=$(pgrep -P "$NGX_PID" | head -1 || true)
run_wrk nginx "$NGX_PORT" "${NGX_WORKER:-$NGX_PID}"
run_wrk hybridgw "$GW_PORT" "$GW_PID"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
curl -s "http://127.0.0.1:$GW_ADMIN_PORT/metrics" >"$WORK/metrics-after-wrk.txt"

# 5. time to first token, streams
for path in "direct:$SIM_PORT" "nginx:$NGX_STREAM_PORT" "hybridgw:$GW_PORT"; do
  name=${path%%:*} port=${path##*:}
  log "TTFT $name: $STREAMS sequential streaming requests"
  timeout 600 python3 "$BENCH/ttft.py" "127.0.0.1:$port" "$STREAMS" bench-model 20 >"$WORK/ttft-$name.json" \
    || { cat "$WORK/ttft-$name.json" >&2; log "TTFT through $name had errors"; }
done
curl -s "http://127.0.0.1:$GW_ADMIN_PORT/metrics" >"$WORK/metrics-after.txt"
sleep 1  # let pooled/idle client sockets settle before counting descriptors
read -r GW_RSS1 GW_FD1 GW_THR1 < <(proc_stats "$GW_PID")
alive "$GW_PID" || die "hybridgw died"

# 6. detectors
log "detector_bench ${DETECTOR_SECONDS}s per size"
"$DETECTOR_BENCH" "$DETECTOR_SECONDS" >"$WORK/detector.txt" 2>&1 || die "detector_bench failed"

# ---- RESULTS.md --------------------------------------------------------------
log "writing $OUT"
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
export ROOT BUILD_TYPE WORK OUT DURATION WARMUP CONNECTIONS WRK_THREADS STREAMS TOKEN_DELAY_MS LOAD_BEFORE LOAD_AFTER \
  GW_RSS0 GW_FD0 GW_RSS1 GW_FD1 GW_THR1 DETECTOR_SECONDS
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

paths = ["direct", "nginx", "hybridgw"]
wrk = {p: parse_wrk(f"{W}/wrk-{p}.txt") for p in paths}
ttft = {}
for p in paths:
    try:
        ttft[p] = json.loads(open(f"{W}/ttft-{p}.json").read().strip().splitlines()[-1])
    except Exception as e:
        ttft[p] = {"n": 0, "errors": -1, "statuses": {"parse": str(e)}}
clk = int(env["CLK_TCK"])
cpu = {}
for p in paths:
    try:
        cpu[p] = int(open(f"{W}/cpu-{p}.ticks").read()) / clk
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
ratio = g["rps"] / n["rps"] if n["rps"] else 0.0
def add(a, b):
    return None if a is None or b is None else a - b
g_add50, g_add99 = add(g["p50"], d["p50"]), add(g["p99"], d["p99"])
n_add50, n_add99 = add(n["p50"], d["p50"]), add(n["p99"], d["p99"])
met_tp = ratio >= 0.5
met_p99 = g_add99 is not None and g_add99 <= 1.0
errors_seen = any(wrk[p]["non2xx"] or any(wrk[p]["sockerr"].values()) for p in paths) or \
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
A(f"DURATION={env['DURATION']} bench/run.sh")
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
A(f"- Load: wrk, {env['WRK_THREADS']} threads, {env['CONNECTIONS']} connections, {env['WARMUP']} s warm-up then "
  f"{env['DURATION']} s measured per path, `POST /v1/chat/completions` non-streaming (`bench/post_chat.lua`, "
  "~400-byte JSON body).")
A(f"- Streams: `bench/ttft.py` sends {env['STREAMS']} streaming requests one after another on one keep-alive "
  "connection (after 20 warm-up requests) and measures, with raw sockets, the time from sending the request "
  "to the first `data:` line.")
A("- **Caveat:** the simulator, the proxy under test and wrk all share the same "
  f"{nproc} cores (and the machine may be running other work — see the load average above), so absolute numbers "
  "are low and noisy; only the ratios between the paths, measured minutes apart in one run, mean anything.")
A("")
A(f"## Non-streaming, {env['CONNECTIONS']} connections")
A("")
A("| path | requests/s | p50 (ms) | p75 (ms) | p90 (ms) | p99 (ms) | requests | non-2xx | socket errors | proxy CPU s |")
A("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for p in paths:
    w = wrk[p]
    se = sum(w["sockerr"].values()) if w["sockerr"] else 0
    A(f"| {p} | {w['rps']:.0f} | {fmt(w['p50'])} | {fmt(w['p75'])} | {fmt(w['p90'])} | {fmt(w['p99'])} | "
      f"{w['requests']} | {w['non2xx']} | {se} | {fmt(cpu[p], 1)} |")
A("")
A("(\"proxy CPU s\": CPU seconds used during the measured run by the process on that path — the simulator "
  "for direct, the nginx worker, the hybridgw process.)")
A("")
def per_req_us(p):
    if cpu[p] is None or not wrk[p]["requests"]:
        return None
    return cpu[p] / wrk[p]["requests"] * 1e6
A(f"- hybridgw ÷ nginx throughput: **{ratio:.2f}×**")
A(f"- CPU per request: simulator {fmt(per_req_us('direct'),1)} µs, nginx {fmt(per_req_us('nginx'),1)} µs, "
  f"hybridgw {fmt(per_req_us('hybridgw'),1)} µs")
A(f"- Added latency vs direct — hybridgw: p50 **{fmt(g_add50)} ms**, p99 **{fmt(g_add99)} ms**; "
  f"nginx: p50 {fmt(n_add50)} ms, p99 {fmt(n_add99)} ms")
if ovh_cnt:
    A(f"- hybridgw's own `hybridgw_gateway_overhead_seconds` over the measured run: mean "
      f"{ovh_sum / ovh_cnt * 1e3:.3f} ms over {int(ovh_cnt)} requests")
if codes:
    A("- hybridgw `hybridgw_requests_total` by code (warm-up + measured run): " +
      ", ".join(f"{k}: {int(v)}" for k, v in sorted(codes.items())))
if attempts:
    A("- hybridgw `hybridgw_attempts_total` by outcome: " +
      ", ".join(f"{k}: {int(v)}" for k, v in sorted(attempts.items())))
A("")
A("## Streams: time to first token")
A("")
A("| path | n | TTFT p50 (ms) | p90 (ms) | p99 (ms) | mean (ms) | added p50 vs direct (ms) | added p99 vs direct (ms) | errors |")
A("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for p in paths:
    t = ttft[p]
    a50 = add(t.get("p50_ms"), ttft["direct"].get("p50_ms")) if p != "direct" else None
    a99 = add(t.get("p99_ms"), ttft["direct"].get("p99_ms")) if p != "direct" else None
    A(f"| {p} | {t.get('n', 0)} | {fmt(t.get('p50_ms'), 3)} | {fmt(t.get('p90_ms'), 3)} | {fmt(t.get('p99_ms'), 3)} | "
      f"{fmt(t.get('mean_ms'), 3)} | {'—' if p == 'direct' else fmt(a50, 3)} | {'—' if p == 'direct' else fmt(a99, 3)} | "
      f"{t.get('errors')} |")
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
A(f"| added p99 ≤ 1 ms vs direct ({env['CONNECTIONS']} connections) | {fmt(g_add99)} ms | "
  f"{'met' if met_p99 else 'not met'} |")
A(f"| detectors ≥ 200 MB/s per core (issue 4) | {det_min:.0f} MB/s (slowest size) | "
  f"{'met' if det_min >= 200 else 'not met'} |")
A("")
A("## Sanity checks")
A("")
A(f"- Errors during the measured runs: {'**yes — see the table; investigate before trusting the numbers**' if errors_seen else 'none (no non-2xx answers, no socket errors, no stream errors)'}")
A(f"- hybridgw process: RSS {int(env['GW_RSS0'])//1024} MiB → {int(env['GW_RSS1'])//1024} MiB, open file descriptors "
  f"{env['GW_FD0']} → {env['GW_FD1']} (before load → after load), {env['GW_THR1']} threads")
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
