#!/usr/bin/env bash
# Source this: starts a throw-away redis-server on a free loopback port (no persistence) and
# kills it on exit. Sets REDIS_PORT and REDIS_PID. Exits 77 (skipped) without redis-server.
command -v redis-server >/dev/null || { echo "redis-server not installed: skipped"; exit 77; }
REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --logfile "${REDIS_LOG:-/dev/null}" &
REDIS_PID=$!
redis_stop() { [ -n "${REDIS_PID:-}" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null; REDIS_PID=; }
for _ in $(seq 100); do
  redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
  sleep 0.05
done
redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG || { echo "redis-server did not start"; redis_stop; exit 1; }
