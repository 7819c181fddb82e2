#!/usr/bin/env python3
"""Writes bench/RESULTS.md from the raw outputs of one bench/run.sh run.

Run by bench/run.sh (it exports WORK, OUT and the run's parameters); not meant to be run
by hand, except to re-render a kept run: KEEP_TMP=1 bench/run.sh, then
WORK=/tmp/hybridgw-bench.XXXX OUT=... (and the same parameters) python3 bench/report.py.
Exit status 3 when a path answered errors, else 0.
"""
import datetime
import json
import os
import platform
import re
import statistics
import subprocess

env = os.environ
W = env["WORK"]
R = int(env["ROUNDS"])
CLK = int(env["CLK_TCK"])
PATHS = env["PATH_ORDER"].split()
GATEWAYS = [p for p in PATHS if p.startswith("hybridgw")]
STREAM_PATHS = env["STREAM_PATHS"].split()
CONNS = int(env["CONNECTIONS"])

LABEL = {
    "direct": "direct (simulator)",
    "nginx": "nginx, 1 worker, no log",
    "hybridgw": "hybridgw stripped, 1 thread",
    "nginx_log": "nginx, 1 worker, access log",
    "hybridgw_prod": "hybridgw production, 1 thread",
    "nginx2_log": "nginx, 2 workers, access log",
    "hybridgw_prod2": "hybridgw production, 2 threads",
}
# (gateway path, its nginx baseline, what the pair compares)
PAIRS = [("hybridgw", "nginx", "stripped, 1 thread vs nginx 1 worker, no logs"),
         ("hybridgw_prod", "nginx_log", "production, 1 thread vs nginx 1 worker with access log"),
         ("hybridgw_prod2", "nginx2_log", "production, 2 threads vs nginx 2 workers with access log")]
BASE = {g: n for g, n, _ in PAIRS}

facts = {}
for line in open(f"{W}/facts.txt"):
    k, _, v = line.rstrip("\n").partition(" ")
    facts[k] = v


def unit_ms(v, u):
    return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[u]


def parse_wrk(path):
    try:
        t = open(path).read()
    except FileNotFoundError:
        return None
    r = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", t)
    r["rps"] = float(m.group(1)) if m else 0.0
    for p in ("50", "75", "90", "99"):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s|m)\s*$" % p, t, re.M)
        r["p" + p] = unit_ms(*m.groups()) if m else None
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", t)
    r["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    r["sockerr"] = sum(map(int, m.groups())) if m else 0
    return r


def load_runs(kind):
    out = {}
    for p in PATHS:
        rs = []
        for i in range(1, R + 1):
            w = parse_wrk(f"{W}/wrk-{kind}-{p}-{i}.txt")
            if w is None:
                return {}
            try:
                # "utime stime" in clock ticks, over the run
                user, system = (int(x) for x in open(f"{W}/cpu-{kind}-{p}-{i}.ticks").read().split())
            except (FileNotFoundError, ValueError):
                user = system = None
            per_request = (lambda t: t / CLK / w["requests"] * 1e6) if user is not None and w["requests"] else None
            w["cpu_us"] = per_request(user + system) if per_request else None
            w["user_us"] = per_request(user) if per_request else None
            rs.append(w)
        out[p] = rs
    return out


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(v, d=2):
    return "n/a" if v is None else f"{v:.{d}f}"


def div(a, b):
    return None if a is None or not b else a / b


def sub(a, b):
    return None if a is None or b is None else a - b


sat, paced, c1 = load_runs("sat"), load_runs("paced"), load_runs("c1")


def summary(runs, p):
    rs = runs[p]
    return {"rps": med([r["rps"] for r in rs]), **{q: med([r[q] for r in rs]) for q in ("p50", "p75", "p90", "p99")},
            "cpu_us": med([r["cpu_us"] for r in rs]), "user_us": med([r["user_us"] for r in rs]),
            "requests": sum(r["requests"] for r in rs),
            "non2xx": sum(r["non2xx"] for r in rs), "sockerr": sum(r["sockerr"] for r in rs)}


def per_round(runs, f):
    return [f(i) for i in range(R)]


def rps_ratios(runs, g, n):
    return per_round(runs, lambda i: div(runs[g][i]["rps"], runs[n][i]["rps"]))


def cpu_ratios(runs, g, n):
    return per_round(runs, lambda i: div(runs[g][i]["cpu_us"], runs[n][i]["cpu_us"]))


def added(runs, p, q):
    return per_round(runs, lambda i: sub(runs[p][i][q], runs["direct"][i][q]))


def verdict(values, ok):
    """met: every round meets the target; not met: the median misses; otherwise inconclusive."""
    vs = [v for v in values if v is not None]
    if not vs:
        return "inconclusive (no measurement)"
    if all(ok(v) for v in vs):
        return "met"
    if not ok(statistics.median(vs)):
        return "not met"
    return "inconclusive (rounds disagree)"


def rounds_text(values, d=2, suffix=""):
    return ", ".join(fmt(v, d) + suffix for v in values)


# ---- TTFT, streams, detectors, metrics -------------------------------------------
try:
    ttft_all = json.loads(open(f"{W}/ttft.json").read().strip().splitlines()[-1])
except Exception:
    ttft_all = {}
ttft = {p: ttft_all.get(p, {"n": 0, "errors": -1, "statuses": {}}) for p in PATHS}

streams = {}
for p in STREAM_PATHS:
    try:
        streams[p] = json.loads(open(f"{W}/streams-{p}.json").read().strip().splitlines()[-1])
    except Exception:
        streams[p] = None
stream_skip = facts.get("STREAM_SKIP")
scale = int(env["STREAM_SCALE"])
if scale == 0:  # the phase was asked away (STREAM_SCALE=0): no results are missing
    streams = {}


def metric_sum(path, name, label=None):
    out = {}
    try:
        for line in open(path):
            if not line.startswith(name):
                continue
            m = re.match(r"^(\w+)(\{[^}]*\})?\s+([0-9.eE+-]+|NaN)", line)
            if not m or m.group(1) != name:
                continue
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
            key = labels.get(label, "") if label else ""
            out[key] = out.get(key, 0.0) + float(m.group(3))
    except FileNotFoundError:
        pass
    return out


def mdelta(g, a, b, name, label=None):
    after = metric_sum(f"{W}/metrics-{g}-{a}.txt", name, label)
    before = metric_sum(f"{W}/metrics-{g}-{b}.txt", name, label)
    return {k: v - before.get(k, 0.0) for k, v in after.items() if v - before.get(k, 0.0) != 0}


det_rows = []
try:
    # text size scans MB/s us/scan findings (text: plain, or evasive = full-width digits, zero-width spaces, ...)
    det_rows = re.findall(r"^(\w+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s*$",
                          open(f"{W}/detector.txt").read(), re.M)
except FileNotFoundError:
    pass
det_min = min((float(r[3]) for r in det_rows), default=0.0)

# ---- errors --------------------------------------------------------------------------
errors = []
for kind, runs in (("saturating", sat), ("paced", paced), ("concurrency 1", c1)):
    for p in runs:
        s = summary(runs, p)
        if s["non2xx"] or s["sockerr"]:
            errors.append(f"{kind}, {p}: {s['non2xx']} non-2xx answers, {s['sockerr']} socket errors")
for p in PATHS:
    if ttft[p].get("errors", -1) != 0:
        errors.append(f"TTFT, {p}: errors {ttft[p].get('errors')} (statuses {ttft[p].get('statuses')})")
for p, s in streams.items():
    if s is None:
        errors.append(f"stream scale, {p}: no result")
    elif s["completed"] != s["streams"]:
        errors.append(f"stream scale, {p}: {s['streams'] - s['completed']} of {s['streams']} streams did not complete "
                      f"({s['failures']})")
for g in GATEWAYS:
    if facts.get(f"exit_{g}", "0") != "0":
        errors.append(f"{g} exited with status {facts.get(f'exit_{g}')} after SIGTERM")

# ---- environment -----------------------------------------------------------------
cpu_model = "unknown"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu_model = line.split(":", 1)[1].strip()
        break
try:
    mem_gb = int(open("/proc/meminfo").readline().split()[1]) / 1024 / 1024
except Exception:
    mem_gb = 0


def first_line(cmd, stream="stderr"):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=5)
        return (getattr(r, stream).strip().splitlines() or ["?"])[0]
    except Exception:
        return "?"


nginx_v = first_line(["nginx", "-v"]).replace("nginx version: ", "")
wrk_v = first_line(["wrk", "-v"], "stdout").split(" [")[0]
try:
    rev = subprocess.run(["git", "-C", env["ROOT"], "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", env["ROOT"], "status", "--porcelain", "--", "gateway", "policies"],
                           capture_output=True, text=True).stdout.strip()
    rev += " (+ uncommitted changes in gateway/ or policies/)" if dirty else ""
except Exception:
    rev = "?"

DEFAULTS = {"DURATION": "8", "ROUNDS": "3", "WARMUP": "2", "CONNECTIONS": "64", "WRK_THREADS": "2", "PACE_MS": "5",
            "C1_DURATION": "5", "STREAMS": "200", "TOKEN_DELAY_MS": "1", "STREAM_SCALE": "4000",
            "STREAM_TOKENS": "50", "STREAM_TOKEN_DELAY_MS": "100",
            "STREAM_PATHS": "direct nginx2_log hybridgw_prod2", "DETECTOR_SECONDS": "1"}
cmd_env = []
for k, d in DEFAULTS.items():
    v = env.get(k, d)
    if v != d:
        cmd_env.append(f"{k}='{v}'" if " " in v else f"{k}={v}")
command = " ".join(cmd_env + ["bench/run.sh"])

L = []
A = L.append

# ---- verdicts -----------------------------------------------------------------
targets = []  # (target, result, status)
if sat:
    for g, n, what in PAIRS:
        goal = 1.0 if g == "hybridgw" else 0.9
        rr = rps_ratios(sat, g, n)
        targets.append((f"{LABEL[g]}: throughput ≥ {goal:.1f}× {LABEL[n]} ({CONNS} connections, saturating)",
                        f"{fmt(med(rr))}× (rounds: {rounds_text(rr, suffix='×')})",
                        verdict(rr, lambda v, goal=goal: v >= goal)))
    for g, n, what in PAIRS[1:]:
        cr = cpu_ratios(sat, g, n)
        targets.append((f"{LABEL[g]}: CPU per request ≤ 1.2× {LABEL[n]}",
                        f"{fmt(med(cr))}× — {fmt(summary(sat, g)['cpu_us'], 1)} vs {fmt(summary(sat, n)['cpu_us'], 1)} µs, "
                        f"of which user space {fmt(summary(sat, g)['user_us'], 1)} vs {fmt(summary(sat, n)['user_us'], 1)} µs "
                        f"(rounds: {rounds_text(cr, suffix='×')})",
                        verdict(cr, lambda v: v <= 1.2)))
if c1:
    for g, n, what in PAIRS:
        d = per_round(c1, lambda i, g=g, n=n: sub(c1[g][i]["p50"], c1[n][i]["p50"]))
        ga, na = med(added(c1, g, "p50")), med(added(c1, n, "p50"))
        targets.append((f"{LABEL[g]}: added p50 at concurrency 1 ≤ {LABEL[n]}'s + 50 µs",
                        f"+{fmt(ga * 1e3 if ga is not None else None, 0)} µs vs nginx +{fmt(na * 1e3 if na is not None else None, 0)} µs "
                        f"over direct; difference per round: {rounds_text([x * 1e3 if x is not None else None for x in d], 0, ' µs')}",
                        verdict(d, lambda v: v <= 0.050)))
if scale and not stream_skip:
    for p in STREAM_PATHS:
        if not p.startswith("hybridgw"):
            continue
        s = streams.get(p)
        direct_s = streams.get("direct")
        nginx_p = next((q for q in STREAM_PATHS if q.startswith("nginx")), None)
        ng = streams.get(nginx_p) if nginx_p else None
        if s is None:
            targets.append((f"{scale} streams through {LABEL[p]}: no gap over 1 s", "no result", "inconclusive"))
            continue
        gap_ok = s["completed"] == s["streams"] and s["max_gap_ms"] <= 1000
        if gap_ok:
            st = "met"
        elif direct_s and direct_s["max_gap_ms"] > 1000:
            st = "inconclusive (the direct path had gaps over 1 s too)"
        else:
            st = "not met"
        ng_txt = f"; nginx {fmt(ng['max_gap_ms'], 0)} ms, {ng['completed']}/{ng['streams']}" if ng else ""
        targets.append((f"{scale} concurrent streams through {LABEL[p]}: no inter-token gap over 1 s, all complete",
                        f"largest gap {fmt(s['max_gap_ms'], 0)} ms, {s['completed']}/{s['streams']} complete "
                        f"(direct {fmt(direct_s['max_gap_ms'], 0) if direct_s else 'n/a'} ms{ng_txt})", st))
        growth = (s["rss_peak_kb"] - s["rss_before_kb"]) / s["streams"]
        ng_growth = (ng["rss_peak_kb"] - ng["rss_before_kb"]) / ng["streams"] if ng else None
        targets.append((f"{scale} concurrent streams through {LABEL[p]}: RSS growth ≤ 16 KB per open stream",
                        f"{growth:.1f} KB per stream ({s['rss_before_kb'] // 1024} → {s['rss_peak_kb'] // 1024} MiB)"
                        + (f"; nginx {ng_growth:.1f} KB" if ng_growth is not None else ""),
                        "met" if growth <= 16 else "not met"))
elif stream_skip:
    targets.append((f"{scale} concurrent streams", f"skipped: {stream_skip}", "inconclusive"))
if paced:
    adds = {g: added(paced, g, "p99") for g in GATEWAYS}
    allv = [v for g in GATEWAYS for v in adds[g]]
    nadds = {n: med(added(paced, n, "p99")) for n in ("nginx", "nginx_log", "nginx2_log")}
    dp99 = [paced["direct"][i]["p99"] for i in range(R)]
    targets.append((f"earlier target: added p99 ≤ 1 ms vs direct ({CONNS} connections, paced)",
                    "; ".join(f"{g} {fmt(med(adds[g]))} ms" for g in GATEWAYS) + " (nginx: " +
                    ", ".join(f"{n} {fmt(v)} ms" for n, v in nadds.items()) +
                    f"; the direct path's own p99 {fmt(min(dp99))}–{fmt(max(dp99))} ms)",
                    verdict(allv, lambda v: 0 <= v <= 1.0)))
if det_rows:
    targets.append(("earlier target: detectors ≥ 200 MB/s per core", f"{det_min:.0f} MB/s (slowest size)",
                    "met" if det_min >= 200 else "not met"))
# A connection the gateway fails to close (a client gone, an upstream expired)
# shows as descriptors left over once the load and the pool's idle time are over.
fd_left = {g: (int(facts[f"fd0_{g}"]), int(facts[f"fd2_{g}"])) for g in GATEWAYS
           if facts.get(f"fd0_{g}") is not None and facts.get(f"fd2_{g}") is not None}
if fd_left:
    leaked = {g: after - before for g, (before, after) in fd_left.items() if after > before}
    targets.append((f"no descriptor left open {env['POOL_IDLE_WAIT']} s after the load ends (every gateway)",
                    "; ".join(f"{g} {before} → {after}" for g, (before, after) in fd_left.items()),
                    "not met: " + ", ".join(f"{g} +{n}" for g, n in leaked.items()) if leaked else "met"))

# ---- document ------------------------------------------------------------------------
A("# hybridgw benchmark results")
A("")
A("Written by `bench/run.sh`; do not edit by hand — re-run it.")
A("")
A(f"- Date: {facts.get('DATE') or datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}; the run took "
  f"{int(facts.get('ELAPSED_S', '0')) // 60} min {int(facts.get('ELAPSED_S', '0')) % 60} s")
A(f"- Machine: {os.cpu_count()} CPUs ({cpu_model}), {mem_gb:.1f} GiB RAM, {platform.system()} {platform.release()}; "
  f"open-file limit {env.get('NOFILE')}")
A(f"- Software: hybridgw @ {rev}, {env.get('BUILD_TYPE') or 'unknown'} build; {nginx_v}; {wrk_v}; "
  f"Python {platform.python_version()}")
A(f"- Load average (1/5/15 min) before the wrk phases: {facts.get('LOAD_BEFORE', '?').replace('/', ' ')}; "
  f"after: {facts.get('LOAD_AFTER', '?').replace('/', ' ')}")
A("")
A("Reproduce (from the repository root; builds `build-bench/` in Release mode if needed):")
A("")
A("```sh")
A(command)
A("```")
A("")
A("Parameters of this run: " + ", ".join(f"{k}={env.get(k, d)}" for k, d in DEFAULTS.items()) + ".")
A("")
A("## How to read this")
A("")
A("- Every figure comes from this one run, with every path measured minutes apart on the same machine: the "
  "simulator, the proxy under test and the load generator share its cores (and it may run other work — see "
  "the load average), so absolute numbers drift between runs; **only the ratios between paths mean something**.")
A("- Seven paths go to the same simulator: `direct` (no proxy), then three pairs, each a hybridgw set-up next to "
  "the nginx set-up that does comparable work: the **stripped** gateway (no access log, no tenants, no detectors, "
  "in-memory state) against nginx without a log; the **production profile** (access log to a file, SQLite, "
  "health checks, a tenant with a hashed key, budget and rate limit, every detector, two backends) against nginx "
  "logging every request to a file, once with 1 io thread / 1 worker and once with 2 / 2.")
A("- \"× nginx\" is the median of per-round ratios (hybridgw's round ÷ its baseline's round); \"CPU µs/request\" "
  "is the utime+stime of the process(es) on the path (the simulator for direct, the nginx workers, the whole "
  "hybridgw process) over the run, divided by the requests it served — the measure least bound to what else "
  "the machine does; \"of it user space\" is the utime part (the rest is the kernel's: loopback TCP, epoll, "
  "the log's writes). Saturating throughput on 2 shared cores is bounded by the machine as much as by the proxy.")
A("- \"added\" latency is the path's percentile minus the direct path's in the same round (median round). "
  "Concurrency 1 (one connection, sequential requests) shows each proxy's own latency without queueing.")
A(f"- The concurrent-stream test holds {scale} streams open at once through one path at a time: the largest gap "
  "between two tokens any client saw (the direct path shows what the simulator and the client contribute on "
  "their own), the fraction completed, and the proxy's RSS growth per open stream.")
A("- A verdict is **met** when every round meets the target, **not met** when the median misses it, "
  "**inconclusive** when rounds disagree (the machine's noise decides).")
A("")
A("## Targets")
A("")
A("| target | result | status |")
A("|---|---|---|")
for t, r, s in targets:
    A(f"| {t} | {r} | **{s}** |")
A("")
A("## Set-up")
A("")
A(f"- Upstream: `hybridgw-sim --threads 1 --token-delay-ms {env['TOKEN_DELAY_MS']} --max-recorded 0` "
  "(16 completion tokens per answer, no added latency for non-streaming answers).")
A("- nginx (`bench/nginx.conf.template`): `proxy_pass` to an `upstream` block with `keepalive 128`, "
  "`proxy_http_version 1.1`, `proxy_set_header Connection \"\"`; default buffering for non-streaming and "
  "`proxy_buffering off` for streams; listen sockets with `reuseport backlog=4096`. One instance with 1 worker "
  "serves a no-log and an access-log server; a second instance has 2 workers. The access log is the default "
  "`combined` format, unbuffered, to a file.")
A("- hybridgw stripped (`bench/hybridgw.yaml.template`): `server.threads: 1`, access log off, health checks off, "
  "`state.store: memory`, no tenants, no detectors, one route → one backend.")
A("- hybridgw production (`bench/hybridgw-production.yaml.template`; `hybridgw check`: "
  f"`{open(f'{W}/check-production.out').read().strip() if os.path.exists(f'{W}/check-production.out') else '?'}`): "
  "JSON access log to a file, `state.store: sqlite` (file in the run's temp dir), health checks every 5 s "
  "(`GET /v1/models`), one tenant with a `sha256:` key (the `Authorization: Bearer` key every client here "
  "sends), a daily budget and a rate limit too high to refuse, `compliance.detectors: all` with a classify map, "
  "a restricted-stays-local rule and an e-mail redaction rule, and a `priority` route over two backends (the "
  "simulator as `sim-local`, which answers, and as `sim-remote`); `server.threads` 1 and 2.")
A(f"- Load: wrk, `bench/post_chat.lua` (`POST /v1/chat/completions`, non-streaming, ~400-byte JSON body). "
  f"Per path a {env['WARMUP']} s warm-up, then {R} rounds of each phase; in a round every path runs once, in the "
  f"order {', '.join(PATHS)}. Saturating: {env['WRK_THREADS']} wrk threads, {CONNS} connections, "
  f"{env['DURATION']} s. Paced: the same, each connection pausing {env['PACE_MS']} ms on average after every "
  f"answer (uniform in [0, {2 * int(env['PACE_MS'])}] ms). Concurrency 1: 1 wrk thread, 1 connection, "
  f"{env['C1_DURATION']} s.")
A("")


def wrk_table(runs, title, intro, added_cols):
    A(f"## {title}")
    A("")
    if intro:
        A(intro)
        A("")
    head = "| path | requests/s | p50 (ms) | p90 (ms) | p99 (ms) |"
    sep = "|---|---:|---:|---:|---:|"
    if added_cols:
        head += " added p50 (ms) | added p99 (ms) |"
        sep += "---:|---:|"
    head += (" CPU µs/request | of it user space | × baseline, throughput | × baseline, CPU/request | requests |"
             " non-2xx | socket errors |")
    sep += "---:|---:|---:|---:|---:|---:|---:|"
    A(head)
    A(sep)
    for p in PATHS:
        s = summary(runs, p)
        row = f"| {LABEL[p]} | {s['rps']:.0f} | {fmt(s['p50'])} | {fmt(s['p90'])} | {fmt(s['p99'])} |"
        if added_cols:
            row += (" — | — |" if p == "direct" else
                    f" {fmt(med(added(runs, p, 'p50')))} | {fmt(med(added(runs, p, 'p99')))} |")
        row += f" {fmt(s['cpu_us'], 1)} | {fmt(s['user_us'], 1)} |"
        if p in BASE:
            row += (f" {fmt(med(rps_ratios(runs, p, BASE[p])))}× | "
                    f"{fmt(med(cpu_ratios(runs, p, BASE[p])))}× |")
        else:
            row += " | |"
        row += f" {s['requests']} | {s['non2xx']} | {s['sockerr']} |"
        A(row)
    A("")
    A("Per round (requests/s, CPU µs/request):")
    A("")
    A("| round | " + " | ".join(PATHS) + " |")
    A("|---:|" + "---:|" * len(PATHS))
    for i in range(R):
        A(f"| {i + 1} | " + " | ".join(f"{runs[p][i]['rps']:.0f} ({fmt(runs[p][i]['cpu_us'], 1)})" for p in PATHS) + " |")
    A("")


if sat:
    wrk_table(sat, f"Non-streaming, {CONNS} connections, saturating", "", False)
    A("Little's law at this concurrency (latency ≈ connections ÷ throughput): " +
      ", ".join(f"{p} {fmt(CONNS / summary(sat, p)['rps'] * 1e3 if summary(sat, p)['rps'] else None)} ms" for p in PATHS) +
      " — the saturating percentiles are mostly queueing, so they follow from the throughput.")
    A("")
if paced:
    wrk_table(paced, f"Non-streaming, {CONNS} connections, paced",
              "The same load with a random pause after every answer: the offered load stays below what the machine "
              "can serve, so latency is the proxies' own and not a saturated machine's queue. The pause is random "
              "because with a fixed one the connections stay in lockstep and arrive as bursts.", True)
if c1:
    A("## Non-streaming, concurrency 1")
    A("")
    A("One connection, each request sent when the previous answer arrived: the latency a proxy adds to a single "
      "request. Values in µs; \"added\" is over direct in the same round (median round); \"vs baseline\" is "
      "hybridgw's p50 minus its nginx baseline's p50, per round, median.")
    A("")
    A("| path | requests/s | p50 (µs) | p99 (µs) | added p50 (µs) | added p99 (µs) | vs baseline, p50 (µs) | "
      "CPU µs/request | requests | non-2xx | socket errors |")
    A("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    us = lambda v: None if v is None else v * 1e3  # noqa: E731
    for p in PATHS:
        s = summary(c1, p)
        vb = med(per_round(c1, lambda i, p=p: sub(c1[p][i]["p50"], c1[BASE[p]][i]["p50"]))) if p in BASE else None
        A(f"| {LABEL[p]} | {s['rps']:.0f} | {fmt(us(s['p50']), 0)} | {fmt(us(s['p99']), 0)} | "
          + ("— | — | " if p == "direct" else
             f"{fmt(us(med(added(c1, p, 'p50'))), 0)} | {fmt(us(med(added(c1, p, 'p99'))), 0)} | ")
          + (f"{fmt(us(vb), 0)} | " if p in BASE else " | ")
          + f"{fmt(s['cpu_us'], 1)} | {s['requests']} | {s['non2xx']} | {s['sockerr']} |")
    A("")
    A("Per round (p50 µs):")
    A("")
    A("| round | " + " | ".join(PATHS) + " |")
    A("|---:|" + "---:|" * len(PATHS))
    for i in range(R):
        A(f"| {i + 1} | " + " | ".join(fmt(us(c1[p][i]['p50']), 0) for p in PATHS) + " |")
    A("")

A("## Streams: time to first token")
A("")
A(f"`bench/ttft.py`: {env['STREAMS']} streaming requests per path, one after another, interleaved across the "
  "paths (one keep-alive connection each, after 20 warm-up turns); the time from sending the request to the "
  "first `data:` line, with raw sockets. Added TTFT: per turn, the path's TTFT minus the direct TTFT measured "
  "just before it.")
A("")
A("| path | n | TTFT p50 (ms) | p90 (ms) | p99 (ms) | added p50 (ms) | added p90 (ms) | errors |")
A("|---|---:|---:|---:|---:|---:|---:|---:|")
for p in PATHS:
    t = ttft[p]
    dash = p == "direct"
    A(f"| {LABEL[p]} | {t.get('n', 0)} | {fmt(t.get('p50_ms'), 3)} | {fmt(t.get('p90_ms'), 3)} | "
      f"{fmt(t.get('p99_ms'), 3)} | {'—' if dash else fmt(t.get('added_p50_ms'), 3)} | "
      f"{'—' if dash else fmt(t.get('added_p90_ms'), 3)} | {t.get('errors')} |")
A("")

A(f"## {scale} concurrent streams")
A("")
if stream_skip:
    A(f"Skipped: {stream_skip}.")
    A("")
elif scale:
    A(f"`stream_load` (`bench/stream_load.cpp`, one epoll thread) opens {scale} connections at once and sends a "
      f"streaming request on each; the simulator paces {env['STREAM_TOKENS']} tokens "
      f"{env['STREAM_TOKEN_DELAY_MS']} ms apart (`/_sim/options`), so each stream lasts ~"
      f"{int(env['STREAM_TOKENS']) * int(env['STREAM_TOKEN_DELAY_MS']) / 1000:.0f} s and the "
      f"proxy relays ~{scale * 1000 // max(1, int(env['STREAM_TOKEN_DELAY_MS'])):,} events/s. A gap is the time "
      "between two successive `data:` events of one stream as the client saw them (the first event counts as "
      "TTFT, not as a gap). RSS is sampled every 50 ms for the proxy's processes (summed over nginx's workers): "
      "growth per stream = (peak − before) ÷ streams; it includes the upstream side (each stream is a client "
      "and an upstream connection). The paths run one after the other; each proxy serves its first "
      f"{scale}-stream load here.")
    A("")
    A("| path | complete | largest gap (ms) | per-stream largest gap p50 / p99 (ms) | streams with a gap > 1 s | "
      "TTFT p50 / p99 / max (ms) | all connected (ms) | RSS before → all open → peak → after (MiB) | "
      "RSS growth per stream (KB) | proxy CPU (s) | CPU µs per event | client CPU (s) |")
    A("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p in STREAM_PATHS:
        s = streams.get(p)
        if s is None:
            A(f"| {LABEL[p]} | no result | | | | | | | | | | |")
            continue
        mib = lambda kb: f"{kb / 1024:.0f}" if kb is not None and kb >= 0 else "n/a"  # noqa: E731
        growth = (s["rss_peak_kb"] - s["rss_before_kb"]) / s["streams"]
        A(f"| {LABEL[p]} | {s['completed']}/{s['streams']} | {fmt(s['max_gap_ms'], 0)} | "
          f"{fmt(s['gap_p50_ms'], 0)} / {fmt(s['gap_p99_ms'], 0)} | {s['streams_with_gap_over_1s']} | "
          f"{fmt(s['ttft_p50_ms'], 0)} / {fmt(s['ttft_p99_ms'], 0)} / {fmt(s['ttft_max_ms'], 0)} | "
          f"{fmt(s['all_connected_ms'], 0)} | {mib(s['rss_before_kb'])} → {mib(s['rss_all_open_kb'])} → "
          f"{mib(s['rss_peak_kb'])} → {mib(s['rss_end_kb'])} | {growth:.1f} | {fmt(s['watched_cpu_s'], 2)} | "
          f"{fmt(s['watched_cpu_s'] / s['events'] * 1e6 if s['events'] else None, 1)} | {fmt(s['client_cpu_s'], 2)} |")
    A("")
    fails = {p: s["failures"] for p, s in streams.items() if s and s["failures"]}
    if fails:
        A("Streams that did not complete, by reason: " + "; ".join(f"{p}: {f}" for p, f in fails.items()))
        A("")
    for g in STREAM_PATHS:
        if g in GATEWAYS:
            att = mdelta(g, "after-streams", "before-streams", "hybridgw_attempts_total", "outcome")
            codes = mdelta(g, "after-streams", "before-streams", "hybridgw_requests_total", "code")
            fo = mdelta(g, "after-streams", "before-streams", "hybridgw_failovers_total")
            ts = sum(mdelta(g, "after-streams", "before-streams", "hybridgw_time_to_first_token_seconds_sum").values())
            tn = sum(mdelta(g, "after-streams", "before-streams", "hybridgw_time_to_first_token_seconds_count").values())
            A(f"- {g} during the stream test: `hybridgw_requests_total` by code "
              f"{', '.join(f'{k}: {int(v)}' for k, v in sorted(codes.items())) or 'none'}; attempts by outcome "
              f"{', '.join(f'{k}: {int(v)}' for k, v in sorted(att.items())) or 'none'}; failovers "
              f"{int(sum(fo.values()))}" +
              (f"; its own `hybridgw_time_to_first_token_seconds` (request received → first upstream event) "
               f"mean {ts / tn * 1e3:.0f} ms over {int(tn)} streams" if tn else ""))
    A("- TTFT under this load is dominated by the simulator (one io thread) accepting thousands of fresh "
      "connections while it streams to the ones it has: compare the direct row. A proxy opens its upstream "
      "connections as requests arrive, so the simulator's accept queue lengthens the proxies' TTFT further.")
    A("")

if det_rows:
    A("## Detectors")
    A("")
    A(f"`detector_bench {env['DETECTOR_SECONDS']}` — the full built-in detector set, one thread, mixed "
      "Chinese/English prompts with a few PII items each:")
    A("")
    A("| text | prompt size | MB/s | µs per scan | findings |")
    A("|---|---:|---:|---:|---:|")
    for text, size, scans, mbs, us_, finds in det_rows:
        A(f"| {text} | {int(size) // 1024} KB | {float(mbs):.0f} | {float(us_):.1f} | {finds} |")
    A("")
    A("(\"evasive\": the same prompts with their sensitive items written in full-width digits, with zero-width "
      "or ideographic spaces — the normaliser's copying path.)")
    A("")

A("## Sanity checks")
A("")
A("- Errors during the measured runs: " + ("**yes — " + "; ".join(errors) + "; investigate before trusting the numbers**"
                                           if errors else "none (no non-2xx answers, no socket errors, no stream errors)"))
n_wrk_runs = 1 + R * (2 if paced else 1)  # runs at CONNECTIONS connections per path (warm-up included)
for g in GATEWAYS:
    codes = mdelta(g, "after-wrk", "before", "hybridgw_requests_total", "code")
    att = mdelta(g, "after-wrk", "before", "hybridgw_attempts_total", "outcome")
    ovh_s = mdelta(g, "after-wrk", "before", "hybridgw_gateway_overhead_seconds_sum").get("", 0.0)
    ovh_n = mdelta(g, "after-wrk", "before", "hybridgw_gateway_overhead_seconds_count").get("", 0.0)
    n499 = int(codes.get("499", 0))
    line = (f"- {g}: `hybridgw_requests_total` by code over the wrk phases "
            f"{', '.join(f'{k}: {int(v)}' for k, v in sorted(codes.items())) or 'none'}; attempts "
            f"{', '.join(f'{k}: {int(v)}' for k, v in sorted(att.items())) or 'none'}")
    if ovh_n:
        line += f"; `hybridgw_gateway_overhead_seconds` mean {ovh_s / ovh_n * 1e3:.3f} ms"
    if n499:
        line += (f"; the {n499} × 499 are requests wrk abandoned when a run ended (at most "
                 f"{n_wrk_runs * CONNS + R} over the runs), not gateway errors")
    A(line)
    fd0, fd1, fd2 = facts.get(f"fd0_{g}"), facts.get(f"fd1_{g}"), facts.get(f"fd2_{g}")
    back = fd0 is not None and fd2 is not None and int(fd2) <= int(fd0)
    A(f"  - process: RSS {int(facts.get(f'rss0_{g}', 0)) // 1024} MiB before load → "
      f"{int(facts.get(f'rss1_{g}', 0)) // 1024} MiB after wrk → {int(facts.get(f'rss2_{g}', 0)) // 1024} MiB at the end; "
      f"{facts.get(f'thr1_{g}')} threads; file descriptors {fd0} before load → {fd1} after wrk "
      f"({facts.get(f'upstream1_{g}')} pooled upstream connections) → {fd2} at the end, {env['POOL_IDLE_WAIT']} s "
      f"after the last stream ({'back to baseline' if back else 'NOT back to baseline: ' + str(facts.get(f'upstream2_{g}')) + ' upstream connections still open'})")
    try:
        st = json.load(open(f"{W}/state-{g}.json"))
        bk = st.get("backends", [])
        desc = ", ".join(f"{b.get('name')}: {b.get('health', b.get('healthy'))}" for b in bk) if isinstance(bk, list) else ""
        if desc:
            A(f"  - backends at the end (`/admin/state`): {desc}")
    except Exception:
        pass
    code = facts.get(f"exit_{g}", "?")
    if code == "0":
        A("  - stopped cleanly on SIGTERM (exit status 0)")
    else:
        tail = ""
        try:
            tail = " ".join(x.strip() for x in open(f"{W}/gw-stop-{g}.txt") if x.strip())
        except FileNotFoundError:
            pass
        sig = {"134": " (SIGABRT)", "139": " (SIGSEGV)"}.get(code, "")
        A(f"  - **did not stop cleanly on SIGTERM: exit status {code}{sig}**; last stderr lines: `{tail}`")
lines = {k: int(facts.get(f"accesslog_lines_{k}", 0)) for k in ("hybridgw_prod", "hybridgw_prod2", "nginx1", "nginx2")}
bytes_ = {k: int(facts.get(f"accesslog_bytes_{k}", 0)) for k in lines}
A("- Access logs written (lines, bytes per line): " + ", ".join(
    f"{k} {lines[k]} ({bytes_[k] / lines[k]:.0f} B)" if lines[k] else f"{k} 0" for k in lines) +
  " — hybridgw writes a JSON line (route, backend, tenant, tokens, cost, decision), nginx the `combined` line; "
  "nginx1's log holds the 1-worker access-log server's requests only.")
A("")
open(env["OUT"], "w").write("\n".join(L))
raise SystemExit(3 if errors else 0)
