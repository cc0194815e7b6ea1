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
