# Sourced by test.sh and sanitize.sh: the Redis state-store tests need a
# server on 127.0.0.1:6379. When none is running, a private one is started
# (no persistence, in a temp dir) and stopped when the calling script exits.
# (if, not &&, in the trap: under set -e a false test as the trap's last
# command would make the whole run exit 1 after every test passed.)
hgw_private_redis=""
hgw_stop_private_redis() {
  if [ -n "$hgw_private_redis" ]; then
    if [ -f "$hgw_private_redis/redis.pid" ]; then kill "$(cat "$hgw_private_redis/redis.pid")" 2>/dev/null || true; fi
    rm -rf "$hgw_private_redis"
  fi
}
trap hgw_stop_private_redis EXIT
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  hgw_private_redis=$(mktemp -d)
  redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes \
    --pidfile "$hgw_private_redis/redis.pid" --dir "$hgw_private_redis" --logfile "$hgw_private_redis/redis.log"
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 0.1; done
fi
