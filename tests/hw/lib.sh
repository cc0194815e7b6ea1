# Helpers for the hardware-slot CLI tests (sourced after tests/cli/lib.sh). Needs HWSIM_BIN and
# HWSIM_STATE (set by tests/hw/CMakeLists.txt).
: "${HWSIM_BIN:?}" "${HWSIM_STATE:?}"
ctl() { "$HWSIM_BIN" ctl --socket "$HWSIM_STATE/ctl.sock" "$@" >/dev/null; }
wait_ready() {
  for _ in $(seq 1 300); do
    "$HWSIM_BIN" ctl --socket "$HWSIM_STATE/ctl.sock" "$1" status 2>/dev/null | grep -q "ready=1" && return 0
    sleep 0.1
  done
  fail "$1 not ready again within 30 s"
}
# Factory-fresh cards, no auto-touch, a short touch timeout.
reset_piv() {
  for d in piv0 piv1; do
    ctl "$d" factory-reset
    ctl "$d" auto-touch off
    ctl "$d" touch-timeout 15000
  done
}
export KEYWARD_PIV_TRUST_SIM_CA=$HWSIM_STATE/attestation-ca.pem
unset KEYWARD_PIV_PIN KEYWARD_UNLOCK KEYWARD_PIV_TRUST_CA
PINFILE=$TMP/pin
printf '123456\n' >"$PINFILE"
S1=20000001
S2=20000002
# Enrols card $1 (serial) as a PIV slot labelled $2 (extra options follow).
enrol_piv() {
  local serial=$1 label=$2
  shift 2
  kw slot add piv --serial "$serial" --label "$label" --allow-default-pin --pin-file "$PINFILE" \
    --passphrase-file "$PASSFILE" "$@" </dev/null
}
# Runs `kw get` with the PIV slot in the background; its pid in $BG, output in $TMP/bg.*
bg_get() {
  kw get "$1" --piv --pin-file "$PINFILE" >"$TMP/bg.out" 2>"$TMP/bg.err" </dev/null &
  BG=$!
}
bg_wait() {  # bg_wait EXPECTED_EXIT
  local got=0
  wait "$BG" || got=$?
  ERR=$(cat "$TMP/bg.err")
  OUT=$(cat "$TMP/bg.out")
  [[ $got == "$1" ]] || fail "background get: expected exit $1, got $got: $ERR"
}
# FIDO2 PIN: sets it on the authenticator behind socket $1 (python-fido2 clientPIN setPIN, as a
# vendor tool would), writes it to $FPIN and exports KEYWARD_FIDO2_PIN.
FPIN=$TMP/fido2-pin
fido_set_pin() {
  PYTHONPATH="$(dirname "${BASH_SOURCE[0]}")/../hwsim" /usr/bin/python3 - "$1" "${2:-4321ab}" <<'PY' || fail "setPIN failed"
import sys
from fido2.ctap2.pin import ClientPin
from fido_common import open_ctap
ctap, conn = open_ctap(sys.argv[1])
ClientPin(ctap).set_pin(sys.argv[2])
conn.close()
PY
  printf '%s\n' "${2:-4321ab}" >"$FPIN"
  export KEYWARD_FIDO2_PIN=${2:-4321ab}
}
# A private simulator instance (one FIDO2 authenticator) with state dir $1, for tests that bring
# their own authenticator state (tests/hw/fixtures). Socket: $1/fido0.sock, control: $1/ctl.sock.
start_private_sim() {
  "$HWSIM_BIN" serve --state-dir "$1" --fido2 "$1/fido0.sock" --auto-touch 0 </dev/null >>"$1/sim.log" 2>&1 &
  PRIV_SIM=$!
  for _ in $(seq 1 300); do
    "$HWSIM_BIN" ctl --socket "$1/ctl.sock" all ready >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "private simulator not ready: $(cat "$1/sim.log")"
}
stop_private_sim() {
  "$HWSIM_BIN" ctl --socket "$1/ctl.sock" quit >/dev/null 2>&1 || kill "$PRIV_SIM" 2>/dev/null || true
  wait "$PRIV_SIM" 2>/dev/null || true
}
pctl() { local d=$1; shift; "$HWSIM_BIN" ctl --socket "$d/ctl.sock" "$@" >/dev/null; }
# The independent attacker (tests/hw/fido_attack.py) against vault $1 and sockets $2...; its JSON
# lines in $ATTACK.
attack() {
  ATTACK=$(/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/fido_attack.py" "$@") || fail "attack script failed"
}
# attack_field SLOT FIELD: one field of the attack's result for a slot.
attack_field() {
  /usr/bin/python3 -c '
import json, sys
for l in sys.argv[1].splitlines():
    j = json.loads(l)
    if j["slot"] == int(sys.argv[2]):
        print(json.dumps(j[sys.argv[3]])); break
else:
    print("missing")' "$ATTACK" "$1" "$2"
}
# hold_vault_lock: another process holds the vault's SQLite write lock (BEGIN IMMEDIATE) until
# release_vault_lock; readers still get in, every write waits (KEYWARD_LOCK_TIMEOUT_MS) and fails.
hold_vault_lock() {
  rm -f "$TMP/held"
  /usr/bin/python3 - "$KEYWARD_VAULT" "$TMP/held" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(60)
PY
  HOLDER=$!
  for _ in $(seq 1 100); do [[ -e $TMP/held ]] && break; sleep 0.1; done
  [[ -e $TMP/held ]] || fail "the lock holder did not start"
}
release_vault_lock() {
  kill "$HOLDER" 2>/dev/null
  wait "$HOLDER" 2>/dev/null || true
  HOLDER=
}
