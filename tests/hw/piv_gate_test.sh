#!/usr/bin/env bash
# The presence gate with PIV cards on the simulator: high secrets need a touch on a touch=always
# key whatever unlocked the vault (refused: exit 12, nothing printed); `run` of several high
# secrets asks once; slot rm / rotate-master need `verify`, which only a PIN-always key gives;
# a cached-touch key never serves as the gate.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
reset_piv
trap 'ctl piv0 auto-touch off; ctl piv1 auto-touch off; rm -rf "$TMP"' EXIT
touches() { "$HWSIM_BIN" ctl --socket "$HWSIM_STATE/ctl.sock" "$1" status | grep -o 'touch_requests=[0-9]*' | cut -d= -f2; }

init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
expect_exit 0 enrol_piv $S1 yk-touch --pin-policy once
ctl piv0 auto-touch 50
for k in H1 H2; do
  expect_exit 0 bash -c "printf 'v-$k' | setsid -w '$KEYWARD_BIN' set dev/api/$k --high --passphrase-file '$PASSFILE' --pin-file '$PINFILE'"
done
ctl piv0 auto-touch off

# get with the passphrase: the card must be touched; refused -> 12 and nothing printed.
gbg() { kw get dev/api/H1 --passphrase-file "$PASSFILE" --pin-file "$PINFILE" >"$TMP/bg.out" 2>"$TMP/bg.err" </dev/null & BG=$!; }
gbg
ctl piv0 refuse 20000
bg_wait 12
expect_eq "$OUT" ""
gbg
ctl piv0 touch 20000
bg_wait 0
expect_eq "$OUT" "v-H1"
expect_contains "$ERR" "keyward: touch your YubiKey $S1 (simulated) to release 1 high secret(s) for \`keyward get dev/api/H1"
expect_contains "$ERR" "    dev/api/H1"

# run: one touch for both.
ctl piv0 auto-touch 50
before=$(touches piv0)
expect_exit 0 kw run --env dev --passphrase-file "$PASSFILE" --pin-file "$PINFILE" -- sh -c 'printf "%s %s" "$H1" "$H2"'
expect_eq "$OUT" "v-H1 v-H2"
expect_eq "$(touches piv0)" "$((before + 1))"
expect_contains "$ERR" "release 2 high secret(s)"

# verify: the touch-always/PIN-once key cannot verify the user.
hash_before=$(vault_hash)
expect_exit 10 kw rotate-master --passphrase-file "$PASSFILE" --pin-file "$PINFILE"
expect_contains "$ERR" "PIN policy always"
expect_exit 10 kw slot rm 1 --passphrase-file "$PASSFILE" --pin-file "$PINFILE"
expect_eq "$(vault_hash)" "$hash_before"

# A cached-touch key on card 2 is enrolled but never serves as the gate.
expect_exit 0 enrol_piv $S2 yk-cached --touch cached --piv-slot 84
expect_contains "$ERR" "touch cached"
# A PIN-always key on card 2: adding it needs the high key, i.e. a touch on card 1.
before=$(touches piv0)
expect_exit 0 enrol_piv $S2 yk-strict --pin-policy always --piv-slot 83
expect_eq "$(touches piv0)" "$((before + 1))"
ctl piv1 auto-touch 50
before=$(touches piv1)
expect_exit 0 kw rotate-master --passphrase-file "$PASSFILE" --pin-file "$PINFILE"
expect_eq "$(touches piv1)" "$((before + 1))"
expect_contains "$ERR" "keyward: touch your YubiKey $S2 (simulated) to authorise \`rotate-master\`"
# slot rm of the first card's slot, verified by card 2; then its high secrets still open.
ctl piv1 auto-touch off
bg() { kw slot rm 2 --passphrase-file "$PASSFILE" --pin-file "$PINFILE" >"$TMP/bg.out" 2>"$TMP/bg.err" </dev/null & BG=$!; }
bg
ctl piv1 refuse 20000
bg_wait 12
bg
ctl piv1 touch 20000
bg_wait 0
expect_contains "$ERR" "Removed slot 2"
ctl piv1 auto-touch 50
expect_exit 0 kw get dev/api/H2 --passphrase-file "$PASSFILE" --pin-file "$PINFILE"
expect_eq "$OUT" "v-H2"
expect_contains "$ERR" "YubiKey $S2"
echo "piv_gate: ok"
