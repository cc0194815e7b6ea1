#!/usr/bin/env bash
# Hardware unlock on the device simulator: requests per unlock (APDUs for a PIV slot, CTAPHID
# messages for a FIDO2 slot, with the list of commands) and the wall time of `keyward get`
# split into device time (simulator-side, request received -> reply ready, including the
# auto-touch delay) and keyward time (the rest: process, pcscd/vpcd or socket transport, crypto).
#   bench/hw_unlock_bench.sh [BUILD_DIR]      (default build/; RUNS=20 AUTO_TOUCH_MS=50)
# Starts its own simulator (and pcscd if none runs: needs root) through tests/hwsim/fixture.sh in
# a temporary directory, and stops it at the end. Queues behind a running PIV test suite (the
# simulator locks the vpcd port).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:-$src/build}")
kw=$build/keyward
sim=$build/tests/hwsim/keyward-hwsim
[[ -x $kw && -x $sim ]] || { echo "build keyward and keyward-hwsim first ($build)"; exit 77; }
runs=${RUNS:-20}
touch_ms=${AUTO_TOUCH_MS:-50}
dir=$(mktemp -d /tmp/kwhwb.XXXXXX)
cleanup() { "$src/tests/hwsim/fixture.sh" stop "$dir/sim" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"$src/tests/hwsim/fixture.sh" start "$dir/sim" "$sim" --piv 0 --fido2 "$dir/sim/fido0.sock" \
  --lock-wait 600 >/dev/null
ctl() { "$sim" ctl --socket "$dir/sim/ctl.sock" "$@"; }
export HOME=$dir/home XDG_STATE_HOME=$dir/state KEYWARD_VAULT=$dir/vault.db
mkdir -p "$HOME"
export KEYWARD_PIV_TRUST_SIM_CA=$dir/sim/attestation-ca.pem KEYWARD_FIDO2_DEVICES="sim:$dir/sim/fido0.sock"
unset KEYWARD_UNLOCK KEYWARD_PIV_PIN KEYWARD_FIDO2_PIN KEYWARD_PASSPHRASE
printf 'bench passphrase\n' >"$dir/pass"
printf '123456\n' >"$dir/pin"
q() { "$kw" -q "$@" </dev/null; }
q init --passphrase-file "$dir/pass" --kdf-memory 8 --kdf-time 1 --kdf-parallelism 1
printf 'v' | q set bench/a/X --passphrase-file "$dir/pass"
ctl piv0 auto-touch "$touch_ms" >/dev/null
ctl fido0 auto-touch "$touch_ms" >/dev/null
q slot add piv --label yk --allow-default-pin --pin-file "$dir/pin" --passphrase-file "$dir/pass"
q slot add fido2 --label fk --piv --pin-file "$dir/pin"   # a presence slot adds another

now_us() { date +%s%6N; }
# measure LABEL DEVICE ARGS...: one traced run for the command list, then $runs timed runs.
measure() {
  local label=$1 dev=$2
  shift 2
  ctl "$dev" trace-reset >/dev/null
  "$kw" get bench/a/X "$@" </dev/null >/dev/null 2>&1 || { echo "$label: unlock failed"; exit 1; }
  local t
  t=$(ctl "$dev" trace)
  local n cmds
  n=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$t")
  cmds=$(sed -n 's/.* commands=\(.*\)$/\1/p' <<<"$t")
  echo "$label: $n requests per unlock"
  echo "  $cmds" | tr ',' ' ' | fold -s -w 100 | sed '2,$s/^/  /'
  local walls=() devs=()
  for _ in $(seq 1 "$runs"); do
    ctl "$dev" trace-reset >/dev/null
    local a b
    a=$(now_us)
    "$kw" get bench/a/X "$@" </dev/null >/dev/null 2>&1
    b=$(now_us)
    walls+=($((b - a)))
    devs+=("$(ctl "$dev" trace | sed -n 's/.* device_us=\([0-9]*\).*/\1/p')")
  done
  /usr/bin/python3 - "$label" "$touch_ms" "${walls[*]}" "${devs[*]}" <<'PY'
import statistics, sys
label, touch = sys.argv[1], int(sys.argv[2])
w = [int(x) for x in sys.argv[3].split()]
d = [int(x) for x in sys.argv[4].split()]
k = [a - b for a, b in zip(w, d)]
med = lambda v: statistics.median(v) / 1000
print(f"  wall {med(w):.1f} ms (median of {len(w)}) = device {med(d):.1f} ms "
      f"(incl. auto-touch {touch} ms) + keyward {med(k):.1f} ms "
      f"[keyward min {min(k)/1000:.1f} / max {max(k)/1000:.1f} ms]")
PY
}
measure "PIV unlock (touch always, PIN once)" piv0 --piv --pin-file "$dir/pin"
measure "FIDO2 unlock (uv discouraged, one authenticator)" fido0 --fido2

# UV-required FIDO2 slot (FIDO2 PIN set with python-fido2), in a second vault.
if PYTHONPATH="$src/tests/hwsim" /usr/bin/python3 - "$dir/sim/fido0.sock" <<'PY' >/dev/null 2>&1
import sys
from fido2.ctap2.pin import ClientPin
from fido_common import open_ctap
ctap, conn = open_ctap(sys.argv[1])
ClientPin(ctap).set_pin("4321ab")
conn.close()
PY
then
  printf '4321ab\n' >"$dir/fpin"
  export KEYWARD_VAULT=$dir/vault2.db
  q init --passphrase-file "$dir/pass" --kdf-memory 8 --kdf-time 1 --kdf-parallelism 1
  printf 'v' | q set bench/a/X --passphrase-file "$dir/pass"
  q slot add fido2 --label fk-uv --uv required --fido2-pin-file "$dir/fpin" --passphrase-file "$dir/pass"
  measure "FIDO2 unlock (uv required, FIDO2 PIN)" fido0 --fido2 --fido2-pin-file "$dir/fpin"
else
  echo "FIDO2 uv required: skipped (python3-fido2 not available to set a PIN)"
fi
