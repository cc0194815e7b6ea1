#!/usr/bin/env bash
# Issue 18, item 1: `slot add piv` checks everything it can without the card before it changes
# the card, and a failure after a change undoes it (the generated key is deleted again) and says
# what the card is left with.
#  - A vault made with `init --recovery` (the high key held by the recovery slot only): refused
#    before the card's PIN, PUK or management key is replaced or a key generated; the recovery
#    code adds it.
#  - A label already used: refused before the card is touched.
#  - The attestation does not match (after key generation): on firmware 5.7 the key is deleted
#    and the retry uses the same PIV slot (no orphan key in 82, no second key in 83); firmware
#    5.4 cannot delete keys: the error says the key is left in 82 and how to delete it.
#  - The vault refuses the new slot after the key was generated (its write lock held by another
#    process): the key is deleted, the error says the PIN/PUK replacement stays.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
reset_piv
trap 'ctl piv0 attest-lie off >/dev/null 2>&1; [[ -n ${HOLDER:-} ]] && kill "$HOLDER" 2>/dev/null; rm -rf "$TMP"' EXIT
printf '11223344\n' >"$TMP/newpin"
printf '87654321\n' >"$TMP/newpuk"
# The card's state as the simulator keeps it (its JSON state file).
state() { /usr/bin/python3 -c "import json,sys; print(json.load(open('$HWSIM_STATE/piv0.json'))$1)"; }
keys() { /usr/bin/python3 -c "
import json
k = json.load(open('$HWSIM_STATE/piv0.json'))['keys']
print(' '.join(sorted(x for x in k if x != 'f9')) or '-')"; }
changes() { "$HWSIM_BIN" ctl --socket "$HWSIM_STATE/ctl.sock" piv0 trace | tr ',' '\n' |
  grep -E 'CHANGE-REFERENCE|RESET-RETRY|GENERATE|SET-MGMT-KEY|PUT-DATA|IMPORT|MOVE-KEY' | sort | uniq -c | tr '\n' ' ' || true; }
enrol_new_pin() {  # enrol_new_pin LABEL [options]: factory card, new PIN/PUK from files
  local label=$1
  shift
  kw slot add piv --serial $S1 --label "$label" --pin-file "$PINFILE" --new-pin-file "$TMP/newpin" \
    --new-puk-file "$TMP/newpuk" --passphrase-file "$PASSFILE" "$@" </dev/null
}

# --- A recovery vault: no slot can pass the gate, so nothing may touch the card.
expect_exit 0 init_vault --recovery
code=$(printf '%s\n' "$OUT" | grep -Eo '([0-9A-Z]{5}-){7}[0-9A-Z]{5}')
[[ -n $code ]] || fail "init --recovery printed no code: $OUT"
printf '%s\n' "$code" >"$TMP/code"
setv dev/api/A "alpha" 2>/dev/null
expect_eq "$(keys)" "-"
ctl piv0 trace-reset
before=$(vault_hash)
expect_exit 9 enrol_new_pin yk
expect_contains "$ERR" "only the recovery code holds it"
expect_contains "$ERR" "--recovery-code-file"
expect_contains "$ERR" "Nothing was changed on any device"
expect_not_contains "$ERR" "replacing them"
expect_eq "$(changes)" ""
expect_eq "$(state "['pin_default']")" "True"
expect_eq "$(state "['puk_default']")" "True"
expect_eq "$(state "['mgmt_default']")" "True"
expect_eq "$(keys)" "-"
expect_eq "$(vault_hash)" "$before"
# The retry as the error says: the recovery code unlocks the high key, one key on the card.
expect_exit 0 kw slot add piv --serial $S1 --label yk --pin-file "$PINFILE" --new-pin-file "$TMP/newpin" \
  --new-puk-file "$TMP/newpuk" --recovery-code-file "$TMP/code" </dev/null
expect_eq "$(keys)" "82"
printf '11223344\n' >"$PINFILE"

# --- A label already in use: refused before the card is used at all.
ctl piv0 trace-reset
before=$(vault_hash)
expect_exit 7 kw slot add piv --serial $S1 --label yk --pin-file "$PINFILE" --passphrase-file "$PASSFILE" </dev/null
expect_contains "$ERR" "a slot labelled 'yk' already exists"
expect_eq "$(changes)" ""
expect_eq "$(keys)" "82"
expect_eq "$(vault_hash)" "$before"

# Firmware 5.7 (MOVE/DELETE KEY), AES-192 factory management key.
reset_57() { ctl piv0 factory-reset 5.7; ctl piv0 auto-touch off; ctl piv0 touch-timeout 15000; }

# --- After key generation the attestation does not match: the key is deleted again.
rm -rf "$TMP/vault.db"* "$XDG_STATE_HOME"
printf '123456\n' >"$PINFILE"
reset_57
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
ctl piv0 attest-lie key
before=$(vault_hash)
expect_exit 8 enrol_new_pin yk
expect_contains "$ERR" "does not match the generated key, serial or policy"
expect_contains "$ERR" "YubiKey $S1 (simulated) was changed: its PIV PIN was replaced by the new one you chose"
expect_contains "$ERR" "its PIV PUK was replaced"
expect_contains "$ERR" "the key generated in PIV slot 82 was deleted again"
expect_contains "$ERR" "Nothing was added to the vault"
expect_eq "$(keys)" "-"
expect_eq "$(state "['pin_default']")" "False"
expect_eq "$(vault_hash)" "$before"
# The retry (new PIN now, an honest card): the same PIV slot 82, no second key.
ctl piv0 attest-lie off
printf '11223344\n' >"$PINFILE"
expect_exit 0 kw slot add piv --serial $S1 --label yk --pin-file "$PINFILE" --passphrase-file "$PASSFILE" </dev/null
expect_contains "$ERR" "in PIV slot 82"
expect_eq "$(keys)" "82"

# --- The same on firmware 5.4, which cannot delete a key: the error says where it is left.
rm -rf "$TMP/vault.db"* "$XDG_STATE_HOME"
printf '123456\n' >"$PINFILE"
reset_piv
init_vault >/dev/null 2>&1
ctl piv0 attest-lie key
before=$(vault_hash)
expect_exit 8 enrol_new_pin yk
expect_contains "$ERR" "the key generated in PIV slot 82 is still on it, unused"
expect_contains "$ERR" "cannot delete a PIV key (firmware 5.7 or later can)"
expect_contains "$ERR" "ykman piv keys delete 82"
expect_eq "$(keys)" "82"
expect_eq "$(vault_hash)" "$before"
ctl piv0 attest-lie off

# --- The vault refuses the slot after the key was generated: another writer holds its lock.
rm -rf "$TMP/vault.db"* "$XDG_STATE_HOME"
printf '123456\n' >"$PINFILE"
reset_57
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
before=$(vault_hash)
hold_vault_lock
expect_exit 15 env KEYWARD_LOCK_TIMEOUT_MS=300 "$KEYWARD_BIN" slot add piv --serial $S1 --label yk \
  --pin-file "$PINFILE" --new-pin-file "$TMP/newpin" --new-puk-file "$TMP/newpuk" \
  --passphrase-file "$PASSFILE" </dev/null
expect_contains "$ERR" "the key generated in PIV slot 82 was deleted again"
expect_contains "$ERR" "its PIV PIN was replaced by the new one you chose"
release_vault_lock
expect_eq "$(keys)" "-"
expect_eq "$(vault_hash)" "$before"
expect_exit 0 kw slot list --json --passphrase-file "$PASSFILE"
/usr/bin/python3 -c 'import json,sys; assert not [s for s in json.loads(sys.argv[1]) if s["type"] == "piv"]' "$OUT" ||
  fail "a PIV slot was added: $OUT"
echo "piv_enrol_order: ok"
