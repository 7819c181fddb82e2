#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit + loopback
# integration) with ctest. Starts a private redis-server on 127.0.0.1:6379 for
# the Redis state-store test when none is running, and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh

started_redis=""
cleanup() {
  if [ -n "$started_redis" ] && [ -f "$started_redis/redis.pid" ]; then
    kill "$(cat "$started_redis/redis.pid")" 2>/dev/null || true
  fi
  [ -n "$started_redis" ] && rm -rf "$started_redis"
}
trap cleanup EXIT
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  started_redis=$(mktemp -d)
  redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes \
    --pidfile "$started_redis/redis.pid" --dir "$started_redis" --logfile "$started_redis/redis.log"
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 0.1; done
fi

cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 300 -j"${TEST_JOBS:-1}"
