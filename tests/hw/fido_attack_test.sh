#!/usr/bin/env bash
# Issue 12's attack, run by an independent client (tests/hw/fido_attack.py: python-fido2 and
# PyNaCl, no keyward code) as a same-user process with the vault file and the FIDO2 keys but no
# PIN and no touch: getAssertion with up=false + hmac-secret for every FIDO2 slot, then the key
# schedule of docs/format-vault.md. On the slots keyward enrols now it must not reach the high
# key: the UV-required slot (the default) is not even visible without UV (credProtect 3), the
# `--uv discouraged` slot answers (the documented unlock-only weakness: it gives M) but holds no
# H. Then keyward's own checks against hostile answers: UP=0, UV=0, a replayed (stale) answer,
# another credential of the same rp, a counter that goes backwards.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
FST=$HWSIM_STATE
D0="sim:$FST/fido0.sock"
D1="sim:$FST/fido1.sock"
for d in fido0 fido1; do ctl "$d" factory-reset; ctl "$d" auto-touch off; ctl "$d" lie off; done
trap 'for d in fido0 fido1; do ctl $d auto-touch off; ctl $d lie off; done; rm -rf "$TMP"' EXIT
export KEYWARD_FIDO2_DEVICES="$D0"

init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null

# A key without PIN or fingerprint cannot carry H: said before any touch (no touch requested).
touches() { "$HWSIM_BIN" ctl --socket "$FST/ctl.sock" fido0 status | grep -o 'touch_requests=[0-9]*'; }
before=$(touches)
expect_exit 9 kw slot add fido2 --device "$D0" --passphrase-file "$PASSFILE"
expect_contains "$ERR" "no FIDO2 PIN and no enrolled fingerprint"
expect_contains "$ERR" "--uv discouraged"
expect_eq "$(touches)" "$before"
# --uv preferred is not offered (the authenticator would not enforce it).
expect_exit 2 kw slot add fido2 --device "$D0" --uv preferred --passphrase-file "$PASSFILE"

fido_set_pin "$FST/fido0.sock"
ctl fido0 auto-touch 50
ctl fido1 auto-touch 50
expect_exit 0 kw slot add fido2 --device "$D0" --label uv-key --passphrase-file "$PASSFILE"
expect_contains "$ERR" "uv required, credProtect 3"
# Unlock-only slot: the warning comes before the device is touched; it never gets H.
expect_exit 0 env KEYWARD_FIDO2_DEVICES="$D1" "$KEYWARD_BIN" slot add fido2 --device "$D1" \
  --uv discouraged --label plain-key --passphrase-file "$PASSFILE"
expect_contains "$ERR" "UNLOCK-ONLY"
expect_contains "$ERR" "without a touch"
for k in H1 H2; do
  expect_exit 0 bash -c "printf 'v-$k' | setsid -w '$KEYWARD_BIN' set dev/api/$k --high --passphrase-file '$PASSFILE'"
done
ctl fido0 auto-touch off
ctl fido1 auto-touch off

expect_exit 0 kw slot list --json --passphrase-file "$PASSFILE"
/usr/bin/python3 - "$OUT" <<'PY' || fail "slot list: $OUT"
import json, sys
s = {x["label"]: x for x in json.loads(sys.argv[1])}
assert s["uv-key"]["high_key"] and s["uv-key"]["presence"], s
assert s["uv-key"]["enforcement"] == "PIN (authenticator), touch checked by keyward", s
assert not s["plain-key"]["high_key"] and not s["plain-key"]["presence"], s
assert s["plain-key"]["enforcement"] == "nothing beyond access to the device", s
assert "problem" not in s["uv-key"] and "problem" not in s["plain-key"], s
PY

# The attack, with no touch available (auto-touch off): nothing reaches H.
attack "$KEYWARD_VAULT" "$FST/fido0.sock" "$FST/fido1.sock"
echo "$ATTACK" >&2
[[ $(echo "$ATTACK" | wc -l) == 2 ]] || fail "expected 2 FIDO2 slots attacked: $ATTACK"
expect_not_contains "$ATTACK" '"high": true'
expect_not_contains "$ATTACK" '"slot_secret": true, "master": true, "high": true'
# uv-key (slot 2): credProtect 3 hides the credential without UV: no answer at all.
expect_eq "$(attack_field 2 answer)" '"ctap error 0x2e"'
expect_eq "$(attack_field 2 master)" "false"
# plain-key (slot 3): answers without a touch and yields M (unlock-only, as documented), no H.
expect_eq "$(attack_field 3 answer)" '"hmac-secret"'
expect_eq "$(attack_field 3 up_flag)" "false"
expect_eq "$(attack_field 3 holds_high)" "false"
expect_eq "$(attack_field 3 high)" "false"
# And keyward still releases the high secret with the PIN and a touch.
ctl fido0 auto-touch 50
expect_exit 0 kw get dev/api/H1 --passphrase-file "$PASSFILE"
expect_eq "$OUT" "v-H1"

# ---- hostile answers to keyward's gate (the PIN is given; the authenticator lies) ----
gate_with_lie() {  # gate_with_lie MODE EXPECTED_EXIT TEXT
  ctl fido0 lie "$1"
  expect_exit "$2" kw get dev/api/H2 --passphrase-file "$PASSFILE"
  expect_eq "$OUT" ""
  expect_contains "$ERR" "$3"
  ctl fido0 lie off
}
gate_with_lie up0 12 "did not confirm user presence"
gate_with_lie uv0 12 "did not verify the user"
gate_with_lie other-cred 5 "signature does not verify"
gate_with_lie counter-back 8 "counter went backward"
# replay: the authenticator gives again the answer of the last request (another nonce).
expect_exit 0 kw get dev/api/H1 --passphrase-file "$PASSFILE"
gate_with_lie replay 5 "signature does not verify"
# After all that, the honest key still works (the counter was not advanced by refused answers).
expect_exit 0 kw get dev/api/H2 --passphrase-file "$PASSFILE"
expect_eq "$OUT" "v-H2"
ctl fido0 auto-touch off
echo "fido_attack: ok"
