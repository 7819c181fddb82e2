#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts two simulated model
# servers (a "local" one and a "remote" one with list prices) and the gateway
# (config/demo.yaml), prints what to try, and runs until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh --target hybridgw hybridgw-sim
BIN=${BUILD_DIR:-build}

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# local-sim answers in 14 tokens, remote-sim in 16: `hybridgw eval` on the demo
# (README "Is the local model good enough?") then has two different answers to judge.
"$BIN/hybridgw-sim" --listen 127.0.0.1:18001 --name local-sim --token-delay-ms 30 --tokens 14 >/dev/null &
pids+=($!)
"$BIN/hybridgw-sim" --listen 127.0.0.1:18002 --name remote-sim --token-delay-ms 10 >/dev/null &
pids+=($!)
sleep 0.3
mkdir -p demo-run
(cd demo-run && exec ../"$BIN"/hybridgw serve --config ../config/demo.yaml >access.log 2>gateway.log) &
pids+=($!)
for _ in $(seq 50); do curl -fs 127.0.0.1:9090/readyz >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs 127.0.0.1:9090/healthz >/dev/null || { cat demo-run/gateway.log; exit 1; }

cat <<'TXT'

hybridgw demo is running
  gateway   http://127.0.0.1:8080   (OpenAI-compatible)      admin  http://127.0.0.1:9090
  local-sim http://127.0.0.1:18001  ("local" vLLM stand-in)   remote-sim http://127.0.0.1:18002 ("remote" API, priced)
  access log: demo-run/access.log   gateway log: demo-run/gateway.log

Try:
  # a normal request (answered by the local backend; see the x-hybridgw-* headers)
  curl -si http://127.0.0.1:8080/v1/chat/completions -d '{"model":"auto","messages":[{"role":"user","content":"Hello"}]}'

  # a streamed one (tokens arrive one by one)
  curl -sN http://127.0.0.1:8080/v1/chat/completions -d '{"model":"auto","stream":true,"messages":[{"role":"user","content":"Hello"}]}'

  # a failover: make the local server fail, then ask again (x-hybridgw-backend: remote-sim, attempts 3)
  curl -s -X POST http://127.0.0.1:18001/_sim/fault -d '{"fault":"status=503"}'
  curl -si http://127.0.0.1:8080/v1/chat/completions -d '{"model":"auto","messages":[{"role":"user","content":"Hello"}]}' | grep x-hybridgw
  curl -s -X DELETE http://127.0.0.1:18001/_sim/fault

  # compliance: a resident ID never leaves the local server; an e-mail is masked before the remote API
  curl -si http://127.0.0.1:8080/v1/chat/completions -d '{"model":"auto","messages":[{"role":"user","content":"My ID is 110101199003074514"}]}' | grep x-hybridgw
  # why a request goes where it goes (same code as live routing, sends nothing)
  curl -s http://127.0.0.1:9090/admin/explain -d '{"model":"auto","messages":[{"role":"user","content":"My ID is 110101199003074514"}]}'

  # metrics, state and the break-even report
  curl -s http://127.0.0.1:9090/metrics | grep ^hybridgw_
  curl -s http://127.0.0.1:9090/admin/state
  curl -s http://127.0.0.1:9090/admin/cost-report

Ctrl-C stops everything.
TXT
wait "${pids[2]}"
