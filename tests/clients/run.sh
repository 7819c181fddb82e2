#!/usr/bin/env bash
# Integration tests with the real clients users run — the OpenAI Node SDK, the
# Vercel AI SDK and the Codex CLI, pinned in package-lock.json — against a
# gateway in front of three hybridgw-sim backends, one of each kind, and a small
# Anthropic upstream that calls tools:
#   chat       protocol: openai            (chat completions)   127.0.0.1:18701
#   anthropic  protocol: anthropic         (Messages)           127.0.0.1:18702
#   native     protocol: openai-responses  (Responses)          127.0.0.1:18703
#   anthropic, tool calls: lib/anthropic-tools-upstream.mjs       127.0.0.1:18704
#     (hybridgw-sim's /v1/messages never answers with tool_use; this one does)
#   gateway    127.0.0.1:18710, admin 127.0.0.1:18711
# Routes (named after their models): chat-model, claude-model, native-model
# answer with the simulator's fixed text; chat-echo, claude-echo, native-echo
# repeat the last user message; <prefix>-cut break every answer after 5
# chunks; <prefix>-refuse answer 400; claude-tools calls tools.
#
# usage: bash tests/clients/run.sh BUILD_DIR     (BUILD_DIR holds hybridgw and hybridgw-sim)
# Needs Node >= 20 and npm; installs tests/clients/node_modules with `npm ci`
# when it is missing or older than package-lock.json. Exit status 0 only when
# every test passed; on failure the gateway's log is printed. HGW_KEEP_TMP=1
# keeps the temp dir (config, logs) for a look afterwards.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
BUILD_DIR=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GATEWAY_BIN="$BUILD_DIR/hybridgw"
SIM_BIN="$BUILD_DIR/hybridgw-sim"
for bin in "$GATEWAY_BIN" "$SIM_BIN"; do
  [[ -x "$bin" ]] || { echo "run.sh: $bin not found or not executable (build first)" >&2; exit 2; }
done

SIM_CHAT_PORT=18701
SIM_ANTHROPIC_PORT=18702
SIM_NATIVE_PORT=18703
ANTHROPIC_TOOLS_PORT=18704
GATEWAY_PORT=18710
ADMIN_PORT=18711
TESTS_TIMEOUT_S=150      # the whole node test run
PER_TEST_TIMEOUT_MS=55000

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( node_major < 20 )); then
  echo "run.sh: Node >= 20 is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 2
fi

# ---- install the clients (only when node_modules is missing or stale) -------
cd "$HERE"
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.hybridgw-lock-sha256
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$lock_sum" ]]; then
  echo "== npm ci (node_modules missing or stale vs package-lock.json)"
  t0=$SECONDS
  npm ci --no-audit --no-fund
  echo "$lock_sum" > "$stamp"
  echo "== npm ci took $((SECONDS - t0)) s"
else
  echo "== node_modules up to date with package-lock.json"
fi
# The Codex CLI ships its native binary as an optional dependency per platform:
# make sure this platform's one came with it (npm skips optional deps silently).
codex_version=$(node_modules/.bin/codex --version 2>&1) || {
  echo "run.sh: the Codex CLI does not run: $codex_version" >&2
  echo "  (its platform binary comes from the optional dependency @openai/codex-$(node -p 'process.platform + "-" + process.arch'))" >&2
  exit 1
}
version_of() { node -p "JSON.parse(require('fs').readFileSync('node_modules/$1/package.json', 'utf8')).version"; }
echo "== $codex_version, openai $(version_of openai), ai $(version_of ai), @ai-sdk/openai $(version_of @ai-sdk/openai)"

# ---- start the simulators, the Anthropic tools upstream and the gateway ----------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hybridgw-clients.XXXXXX")
PIDS=()
status=1
cleanup() {
  local rc=$?
  [[ $status -eq 0 ]] || status=$rc
  for f in "$TMP"/pgids/codex.*; do  # codex runs a killed test runner left behind
    [[ -f "$f" ]] && kill -KILL -- "-$(cat "$f")" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ $status -ne 0 ]]; then
    echo "== FAILED (exit $status); gateway log ($TMP/gateway.log):"
    cat "$TMP/gateway.log" 2>/dev/null || true
    echo "== gateway access log, last 40 lines:"
    tail -n 40 "$TMP/access.log" 2>/dev/null || true
  fi
  if [[ -n "${HGW_KEEP_TMP:-}" ]]; then echo "== kept $TMP"; else rm -rf "$TMP"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in $SIM_CHAT_PORT $SIM_ANTHROPIC_PORT $SIM_NATIVE_PORT $ANTHROPIC_TOOLS_PORT $GATEWAY_PORT $ADMIN_PORT; do
  if port_busy "$port"; then echo "run.sh: port $port on 127.0.0.1 is already in use" >&2; exit 1; fi
done

cat > "$TMP/gateway.yaml" <<EOF
server:
  listen: 127.0.0.1:$GATEWAY_PORT
  threads: 1
  access_log: { path: "$TMP/access.log", flush_ms: 100 }
admin:
  listen: 127.0.0.1:$ADMIN_PORT
state:
  store: memory
backends:
  - { name: chat-sim, protocol: openai, url: "http://127.0.0.1:$SIM_CHAT_PORT/v1", model: sim-model, locality: local,
      health_check: { interval_ms: 2000 } }
  - { name: chat-echo, protocol: openai, url: "http://127.0.0.1:$SIM_CHAT_PORT/v1", model: echo, locality: local,
      health_check: { interval_ms: 2000 } }
  - { name: claude-sim, protocol: anthropic, url: "http://127.0.0.1:$SIM_ANTHROPIC_PORT/v1", model: sim-model,
      locality: remote, health_check: { interval_ms: 2000 } }
  - { name: claude-echo, protocol: anthropic, url: "http://127.0.0.1:$SIM_ANTHROPIC_PORT/v1", model: echo,
      locality: remote, health_check: { interval_ms: 2000 } }
  - { name: native-sim, protocol: openai-responses, url: "http://127.0.0.1:$SIM_NATIVE_PORT/v1", model: sim-model,
      locality: remote, health_check: { interval_ms: 2000 } }
  - { name: native-echo, protocol: openai-responses, url: "http://127.0.0.1:$SIM_NATIVE_PORT/v1", model: echo,
      locality: remote, health_check: { interval_ms: 2000 } }
  - { name: claude-tools, protocol: anthropic, url: "http://127.0.0.1:$ANTHROPIC_TOOLS_PORT/v1", model: tools,
      locality: remote, health_check: { interval_ms: 2000 } }
EOF
# Per kind: <prefix>-cut breaks every answer after 5 chunks, <prefix>-refuse
# answers 400 (the simulator reads a fault from the model name); their circuit
# never opens, so that each test sees the same fault.
for spec in chat:openai:$SIM_CHAT_PORT claude:anthropic:$SIM_ANTHROPIC_PORT native:openai-responses:$SIM_NATIVE_PORT; do
  IFS=: read -r prefix protocol port <<<"$spec"
  for fault in cut:cut=5 refuse:status=400; do
    cat >> "$TMP/gateway.yaml" <<EOF
  - { name: $prefix-${fault%%:*}, protocol: $protocol, url: "http://127.0.0.1:$port/v1", model: "fault:${fault#*:}",
      locality: remote, health_check: { enabled: false },
      circuit_breaker: { consecutive_failures: 100000, min_requests: 100000 } }
EOF
  done
done
echo "routes:" >> "$TMP/gateway.yaml"
echo "  - { name: claude-tools, models: [claude-tools], targets: [claude-tools], retry: { attempts: 1 } }" >> "$TMP/gateway.yaml"
for prefix in chat claude native; do
  for what in model echo cut refuse; do
    target=$prefix-$what
    [[ $what == model ]] && target=$prefix-sim
    echo "  - { name: $prefix-$what, models: [$prefix-$what], targets: [$target], retry: { attempts: 1 } }" >> "$TMP/gateway.yaml"
  done
done
if ! check_out=$("$GATEWAY_BIN" check --config "$TMP/gateway.yaml" 2>&1); then
  echo "run.sh: the generated gateway config is invalid:" >&2
  echo "$check_out" >&2
  exit 1
fi

for spec in chat:$SIM_CHAT_PORT anthropic:$SIM_ANTHROPIC_PORT native:$SIM_NATIVE_PORT; do
  name=${spec%%:*} port=${spec##*:}
  "$SIM_BIN" --listen "127.0.0.1:$port" --name "sim-$name" --model sim-model --model echo \
    >"$TMP/sim-$name.log" 2>&1 &
  PIDS+=($!)
done
node lib/anthropic-tools-upstream.mjs "$ANTHROPIC_TOOLS_PORT" >"$TMP/anthropic-tools.log" 2>&1 &
PIDS+=($!)
"$GATEWAY_BIN" serve --config "$TMP/gateway.yaml" >"$TMP/gateway.log" 2>&1 &
PIDS+=($!)

wait_for() {  # URL what
  for _ in $(seq 100); do
    curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "run.sh: a process exited early ($2)" >&2; return 1; }; done
    sleep 0.1
  done
  echo "run.sh: $2 not ready after 10 s ($1)" >&2
  return 1
}
for port in $SIM_CHAT_PORT $SIM_ANTHROPIC_PORT $SIM_NATIVE_PORT $ANTHROPIC_TOOLS_PORT; do wait_for "http://127.0.0.1:$port/v1/models" "simulator :$port"; done
wait_for "http://127.0.0.1:$ADMIN_PORT/readyz" "gateway /readyz"
echo "== simulators on :$SIM_CHAT_PORT :$SIM_ANTHROPIC_PORT :$SIM_NATIVE_PORT :$ANTHROPIC_TOOLS_PORT, gateway on :$GATEWAY_PORT (admin :$ADMIN_PORT) ready"

# ---- the tests ---------------------------------------------------------------------
export HGW_GATEWAY_URL="http://127.0.0.1:$GATEWAY_PORT/v1"
export HGW_ADMIN_URL="http://127.0.0.1:$ADMIN_PORT"
export HGW_ACCESS_LOG="$TMP/access.log"
export HGW_TMP="$TMP" HGW_PGID_DIR="$TMP/pgids"
mkdir -p "$HGW_PGID_DIR"
export HGW_SIM_CHAT_URL="http://127.0.0.1:$SIM_CHAT_PORT"
export HGW_SIM_ANTHROPIC_URL="http://127.0.0.1:$SIM_ANTHROPIC_PORT"
export HGW_SIM_NATIVE_URL="http://127.0.0.1:$SIM_NATIVE_PORT"
export HGW_ANTHROPIC_TOOLS_URL="http://127.0.0.1:$ANTHROPIC_TOOLS_PORT"
unset OPENAI_API_KEY OPENAI_BASE_URL OPENAI_ORG_ID OPENAI_PROJECT_ID CODEX_HOME || true

t0=$SECONDS
set +e
timeout --kill-after=5 "$TESTS_TIMEOUT_S" node --test --test-concurrency=1 --test-timeout="$PER_TEST_TIMEOUT_MS" \
  --test-reporter=spec openai-sdk.test.mjs ai-sdk.test.mjs codex.test.mjs
status=$?
set -e
[[ $status -ne 124 ]] || echo "run.sh: the tests did not finish within $TESTS_TIMEOUT_S s" >&2
echo "== tests took $((SECONDS - t0)) s"
for pid in "${PIDS[@]}"; do
  kill -0 "$pid" 2>/dev/null || { echo "run.sh: a simulator or the gateway died during the tests" >&2; [[ $status -ne 0 ]] || status=1; }
done
exit "$status"
