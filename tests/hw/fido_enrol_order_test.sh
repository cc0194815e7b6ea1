#!/usr/bin/env bash
# Issue 18, item 1, FIDO2: `slot add fido2` passes the presence gate (or finds that it cannot be
# passed) before the new authenticator is asked for a credential, so a failed gate costs no touch
# and makes no credential; a failure after the credential was made says that nothing is left on
# the authenticator (the credential is non-discoverable).
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
FST=$HWSIM_STATE
D0="sim:$FST/fido0.sock"
D1="sim:$FST/fido1.sock"
for d in fido0 fido1; do ctl "$d" factory-reset; ctl "$d" auto-touch off; done
trap 'for d in fido0 fido1; do ctl $d auto-touch off; ctl $d touch-timeout 30000; done; [[ -n ${HOLDER:-} ]] && kill "$HOLDER" 2>/dev/null; rm -rf "$TMP"' EXIT
export KEYWARD_FIDO2_DEVICES="$D0,$D1"
fido_set_pin "$FST/fido0.sock" 4321hwsim
fido_set_pin "$FST/fido1.sock" 4321hwsim
touches() { "$HWSIM_BIN" ctl --socket "$FST/ctl.sock" "$1" status | grep -o 'touch_requests=[0-9]*' | cut -d= -f2; }
made() { "$HWSIM_BIN" ctl --socket "$FST/ctl.sock" "$1" trace | grep -o 'makeCredential' | wc -l; }

# --- A recovery vault: the high key is the recovery slot's only; refused before any touch.
expect_exit 0 init_vault --recovery
code=$(printf '%s\n' "$OUT" | grep -Eo '([0-9A-Z]{5}-){7}[0-9A-Z]{5}')
printf '%s\n' "$code" >"$TMP/code"
setv dev/api/A "alpha" 2>/dev/null
ctl fido0 trace-reset
t0=$(touches fido0)
before=$(vault_hash)
expect_exit 9 kw slot add fido2 --device "$D0" --label fk --passphrase-file "$PASSFILE"
expect_contains "$ERR" "only the recovery code holds it"
expect_contains "$ERR" "Nothing was changed on any device"
expect_not_contains "$ERR" "Touch your"
expect_eq "$(touches fido0)" "$t0"
expect_eq "$(made fido0)" "0"
expect_eq "$(vault_hash)" "$before"
# With the recovery code it enrols (two touches: make the credential, derive the slot key).
ctl fido0 auto-touch 50
expect_exit 0 kw slot add fido2 --device "$D0" --label fk --recovery-code-file "$TMP/code"
expect_eq "$(made fido0)" "1"
ctl fido0 auto-touch off

# --- The gate through the existing slot fails (its touch times out): the second authenticator
# is never asked for a credential, nor for a touch.
ctl fido0 touch-timeout 400
ctl fido1 trace-reset
t1=$(touches fido1)
before=$(vault_hash)
expect_exit 12 kw slot add fido2 --device "$D1" --label fk2 --passphrase-file "$PASSFILE" </dev/null
expect_contains "$ERR" "Nothing was changed on the device to enrol"
expect_eq "$(touches fido1)" "$t1"
expect_eq "$(made fido1)" "0"
expect_eq "$(vault_hash)" "$before"
ctl fido0 touch-timeout 30000

# --- The gate passes, the credential is made, then the vault refuses the slot (another writer
# holds its lock): the error says nothing is left on the authenticator; the vault is unchanged.
hold_vault_lock
ctl fido0 auto-touch 50
ctl fido1 auto-touch 50
expect_exit 15 env KEYWARD_LOCK_TIMEOUT_MS=300 "$KEYWARD_BIN" slot add fido2 --device "$D1" --label fk2 \
  --passphrase-file "$PASSFILE" </dev/null
expect_contains "$ERR" "is locked by another keyward process"
expect_contains "$ERR" "The credential just made is not stored on"
expect_contains "$ERR" "(non-discoverable), so nothing is left on it; nothing was added to the vault"
release_vault_lock
expect_eq "$(vault_hash)" "$before"
# Once the lock is gone the same command enrols.
expect_exit 0 kw slot add fido2 --device "$D1" --label fk2 --passphrase-file "$PASSFILE" </dev/null
ctl fido0 auto-touch off
ctl fido1 auto-touch off
echo "fido_enrol_order: ok"
