#!/usr/bin/env bash
# A FIDO2 authenticator survives a simulator restart (state file), checked with python-fido2,
# using the PIN/UV protocol 1 profile. Runs its own simulator instance (no pcscd needed).
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
state="$WORK/state"
sock="$WORK/state/fido0.sock"
start() {
  "$HWSIM_BIN" serve --state-dir "$state" --fido2 "$sock" --pin-protocols 1 --auto-touch 0 \
    </dev/null >>"$WORK/sim.log" 2>&1 &
  SIM=$!
  for _ in $(seq 1 300); do
    "$HWSIM_BIN" ctl --socket "$state/ctl.sock" all ready >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$WORK/sim.log" >&2
  fail "simulator not ready"
}
stop() {
  "$HWSIM_BIN" ctl --socket "$state/ctl.sock" quit >/dev/null || kill "$SIM"
  wait "$SIM" || fail "simulator exited with an error"
}
trap 'kill $SIM 2>/dev/null || true; rm -rf "$WORK"' EXIT

start
expect_ok create.txt /usr/bin/python3 "$HERE/fido_persist_test.py" create "$sock" "$WORK/data.json"
stop
[ -s "$state/fido0.json" ] || fail "no state file written"
start
expect_ok check.txt /usr/bin/python3 "$HERE/fido_persist_test.py" check "$sock" "$WORK/data.json"
stop
echo "fido_persist_test: ok"
