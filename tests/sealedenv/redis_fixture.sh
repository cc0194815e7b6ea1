#!/usr/bin/env bash
# Source this: starts a throw-away redis-server on a free loopback port (no persistence) and
# kills it on exit. Sets REDIS_PORT and REDIS_PID. Without redis-server: exits 77 (skipped), or 1
# in CI (CI=true), where a missing service is a failure.
# The port is not probed and then reused (another process could take it in between): redis-server
# binds a random port itself; if that fails it exits and another port is tried, and the server
# that answers must report our own process id, so a foreign server on the port is never used.
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  if [[ ${CI:-} == true ]]; then echo "FAIL: redis-server not installed (CI=true)" >&2; exit 1; fi
  echo "SKIPPED: redis-server not installed" >&2; exit 77
fi
redis_stop() { [ -n "${REDIS_PID:-}" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null; REDIS_PID=; }
redis_ours() { redis-cli -p "$REDIS_PORT" info server 2>/dev/null | tr -d '\r' | grep -qx "process_id:$REDIS_PID"; }
REDIS_PID=
for _attempt in $(seq 20); do
  REDIS_PORT=$((20000 + (SRANDOM % 40000)))
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --logfile "${REDIS_LOG:-/dev/null}" &
  REDIS_PID=$!
  for _ in $(seq 200); do
    kill -0 "$REDIS_PID" 2>/dev/null || break  # could not bind: try another port
    redis_ours && break 2
    sleep 0.05
  done
  redis_stop
done
[ -n "$REDIS_PID" ] && redis_ours || { echo "FAIL: redis-server did not start" >&2; exit 1; }
