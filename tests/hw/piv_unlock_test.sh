#!/usr/bin/env bash
# PIV slot on the simulator: enrolment (defaults refused, attestation against the explicitly
# trusted simulator CA), unlock with a touch, touch refused / timed out, wrong PIN, last-try
# refusal, blocked PIN, key gone from the card; high secrets need the card.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
reset_piv

init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null

# Enrolment refuses the factory-default PIN unless explicitly allowed; needs a trust root.
expect_exit 9 kw slot add piv --serial $S1 --pin-file "$PINFILE" --passphrase-file "$PASSFILE"
expect_contains "$ERR" "default PIV PIN"
expect_exit 2 env -u KEYWARD_PIV_TRUST_SIM_CA "$KEYWARD_BIN" slot add piv --serial $S1 \
  --allow-default-pin --pin-file "$PINFILE" --passphrase-file "$PASSFILE"
expect_contains "$ERR" "--trust-ca"
expect_exit 10 enrol_piv 12345678 nothere
expect_contains "$ERR" "12345678"

expect_exit 0 enrol_piv $S1 yk-primary
expect_contains "$ERR" "SIMULATOR"
expect_contains "$ERR" "PIV slot 82"
# An attestation that does not chain to the configured root is refused (integrity, exit 8).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=not-the-root \
  -keyout "$TMP/other.key" -out "$TMP/other.pem" -days 2 >/dev/null 2>&1 || fail "openssl req failed"
# (The new slot will hold the high key: the gate on yk-primary is passed first, then the card.)
ctl piv0 auto-touch 50
expect_exit 8 env KEYWARD_PIV_TRUST_SIM_CA="$TMP/other.pem" "$KEYWARD_BIN" slot add piv \
  --serial $S2 --allow-default-pin --pin-file "$PINFILE" --passphrase-file "$PASSFILE"
ctl piv0 auto-touch off
expect_contains "$ERR" "attestation does not verify"
expect_contains "$ERR" "the key generated in PIV slot 82 is still on it, unused"
expect_exit 0 kw slot list --json --passphrase-file "$PASSFILE"
python3 - "$OUT" <<'PY'
import json, sys
slots = json.loads(sys.argv[1])
piv = [s for s in slots if s["type"] == "piv"]
assert len(piv) == 1 and piv[0]["presence"] is True and piv[0]["high_key"] is True, slots
PY

# Unlock with the card: the touch prompt names the (simulated) card.
ctl piv0 auto-touch 50
expect_exit 0 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_eq "$OUT" "alpha"
expect_contains "$ERR" "Touch your YubiKey $S1 (simulated) to unlock vault"
expect_exit 0 env KEYWARD_UNLOCK=piv KEYWARD_PIV_PIN=123456 "$KEYWARD_BIN" get dev/api/A
expect_eq "$OUT" "alpha"

# High secrets: writable now (touch-always slot), readable with the card only.
expect_exit 0 bash -c "printf hv | setsid -w '$KEYWARD_BIN' set dev/api/H --high --piv --pin-file '$PINFILE'"
expect_exit 0 kw get dev/api/H --piv --pin-file "$PINFILE"
expect_eq "$OUT" "hv"
expect_contains "$ERR" "keyward: touch your YubiKey $S1 (simulated) to release 1 high secret(s)"
# Unlocked by passphrase, the high secret still needs the card (the presence gate).
expect_exit 0 kw get dev/api/H --passphrase-file "$PASSFILE" --pin-file "$PINFILE"
expect_eq "$OUT" "hv"
ctl piv0 auto-touch off

# Touch refused, touch timed out: presence (12), nothing printed on stdout.
bg_get dev/api/A
ctl piv0 refuse 20000
bg_wait 12
expect_contains "$ERR" "touch not confirmed on YubiKey $S1"
bg_get dev/api/A
ctl piv0 timeout 20000
bg_wait 12
expect_eq "$OUT" ""

# Wrong PIN: tries left named; the last try is not spent without a flag; blocked PIN.
printf '000000\n' >"$TMP/badpin"
expect_exit 5 kw get dev/api/A --piv --pin-file "$TMP/badpin"
expect_contains "$ERR" "wrong PIV PIN for YubiKey $S1 (simulated): 2 tries left"
expect_exit 5 kw get dev/api/A --piv --pin-file "$TMP/badpin"
expect_contains "$ERR" "1 try left"
expect_exit 9 kw get dev/api/A --piv --pin-file "$TMP/badpin"
expect_contains "$ERR" "--allow-last-pin-try"
ctl piv0 auto-touch 50
expect_exit 0 kw get dev/api/A --piv --pin-file "$PINFILE" --allow-last-pin-try
expect_eq "$OUT" "alpha"
ctl piv0 block-pin
expect_exit 11 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_contains "$ERR" "blocked"

# The card lost the key (factory reset): a clear device error, not a generic failure.
ctl piv0 factory-reset
expect_exit 10 kw get dev/api/A --piv --pin-file "$PINFILE"
expect_contains "$ERR" "no longer holds"
# The passphrase still opens the vault.
expect_eq "$(kw get dev/api/A --passphrase-file "$PASSFILE")" "alpha"
echo "piv_unlock: ok"
