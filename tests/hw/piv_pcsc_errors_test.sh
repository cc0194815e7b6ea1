#!/usr/bin/env bash
# PC/SC-level errors are translated into keyward errors: pcscd not reachable (exit 15, names
# pcscd and how to start it), no card in any reader (exit 10, names the serial needed and the
# readers seen), for unlock, enrolment and doctor.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
reset_piv
trap 'ctl piv0 insert 2>/dev/null || true; ctl piv1 insert 2>/dev/null || true; wait_ready piv0 || true; wait_ready piv1 || true; rm -rf "$TMP"' EXIT
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
expect_exit 0 enrol_piv $S1 yk-primary

# pcscd not running: pcsc-lite's client finds no daemon behind its socket.
NOPCSC=(env PCSCLITE_CSOCK_NAME="$TMP/no-pcscd.comm")
expect_exit 15 "${NOPCSC[@]}" "$KEYWARD_BIN" get dev/api/A --piv --pin-file "$PINFILE"
expect_contains "$ERR" "pcscd is not running"
expect_contains "$ERR" "systemctl start pcscd.socket"
expect_eq "$OUT" ""
expect_exit 15 "${NOPCSC[@]}" "$KEYWARD_BIN" slot add piv --allow-default-pin \
  --pin-file "$PINFILE" --passphrase-file "$PASSFILE"
expect_contains "$ERR" "pcscd"
expect_exit 15 "${NOPCSC[@]}" "$KEYWARD_BIN" doctor
expect_contains "$OUT$ERR" "pcscd"
expect_contains "$OUT$ERR" "systemctl"

# Readers but no card: the serial needed and the readers seen.
ctl piv0 remove
ctl piv1 remove
# pcscd polls reader presence (about every 400 ms): wait until it reports both readers empty.
for _ in $(seq 1 100); do
  err=$(kw get dev/api/A --piv --pin-file "$PINFILE" 2>&1 >/dev/null) || true
  [[ $err == *"'Virtual PCD 00 00' (empty)"* && $err == *"'Virtual PCD 00 01' (empty)"* ]] && break
  sleep 0.1
done
expect_exit 10 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_contains "$ERR" "insert the one with serial $S1"
expect_contains "$ERR" "'Virtual PCD 00 00' (empty)"
# A slot that would hold the high key needs the gate first: that fails, before any enrolment.
expect_exit 10 kw slot add piv --allow-default-pin --pin-file "$PINFILE" --passphrase-file "$PASSFILE"
expect_contains "$ERR" "slot 2 ('yk-primary'): YubiKey $S1 (slot 'yk-primary') is not connected"
expect_contains "$ERR" "Nothing was changed on the device to enrol"
# An unlock-only slot needs no gate: the enrolment itself finds no card.
expect_exit 10 kw slot add piv --touch cached --allow-default-pin --pin-file "$PINFILE" --passphrase-file "$PASSFILE"
expect_contains "$ERR" "no PIV card found"
ctl piv0 insert
ctl piv1 insert
wait_ready piv0
wait_ready piv1
echo "piv_pcsc_errors: ok"
