#!/usr/bin/env bash
# keyward against every misbehaviour switch of the simulated PIV card: a wrong status word or a
# truncated reply is a device error (exit 10) naming the reader, with nothing on stdout, the
# vault byte for byte unchanged and no PIN try spent; a slow card still unlocks. A blocked PUK
# makes the guided default replacement at enrolment fail with exit 11 and the documented message.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
require_tools yubico-piv-tool
reset_piv
trap 'ctl piv0 misbehave off; ctl piv0 auto-touch off; rm -rf "$TMP"' EXIT
retries() { "$HWSIM_BIN" ctl --socket "$HWSIM_STATE/ctl.sock" piv0 status | sed -n 's/.* pin_retries=\([0-9]*\).*/\1/p'; }
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
expect_exit 0 enrol_piv $S1 yk
ctl piv0 auto-touch 50
before=$(vault_hash)
r0=$(retries)
for m in wrong-sw truncate; do
  ctl piv0 misbehave "$m"
  expect_exit 10 kw get dev/api/A --piv --pin-file "$PINFILE"
  expect_eq "$OUT" ""
  expect_contains "$ERR" "keyward: the YubiKey with serial $S1 (slot 'yk') was not found, and the card in 'Virtual PCD 00 00' could not be read: remove and re-insert it"
  expect_contains "$ERR" "'Virtual PCD 00 00' (a card that does not answer as a YubiKey's PIV application: "
  expect_not_contains "$ERR" "(no card)"
  expect_eq "$(vault_hash)" "$before"
  expect_eq "$(retries)" "$r0"
done
ctl piv0 misbehave slow:300
expect_exit 0 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_eq "$OUT" "alpha"
ctl piv0 misbehave off
expect_exit 0 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_eq "$OUT" "alpha"

# PUK blocked (three wrong PUKs through the vendor tool), PIN and management key still default:
# enrolment asks to replace the defaults and cannot change the PUK.
R1="Virtual PCD 00 01"
for _ in 1 2 3; do
  yubico-piv-tool -r "$R1" -a change-puk -P 99999999 -N 11223344 >/dev/null 2>&1 &&
    fail "a wrong PUK was accepted"
done
printf '654321\n' >"$TMP/newpin"
printf '87654321\n' >"$TMP/newpuk"
before=$(vault_hash)
expect_exit 11 kw slot add piv --serial $S2 --label yk2 --pin-file "$PINFILE" \
  --new-pin-file "$TMP/newpin" --new-puk-file "$TMP/newpuk" --passphrase-file "$PASSFILE" </dev/null
expect_contains "$ERR" "keyward: the PIV PUK of YubiKey $S2 (simulated) is blocked"
expect_eq "$(vault_hash)" "$before"
echo "piv_misbehave: ok"
