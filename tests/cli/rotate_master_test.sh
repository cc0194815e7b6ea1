#!/usr/bin/env bash
# keyward rotate-master: values and slots kept, other machines follow the signed transition.
. "$(dirname "$0")/lib.sh"
require_tools age-keygen sqlite3

expect_exit 6 kw rotate-master --passphrase-file "$PASSFILE"
init_vault >/dev/null 2>&1
new_identity
kw slot add recipient --recipient "$RECIPIENT" --passphrase-file "$PASSFILE" 2>/dev/null
for i in 1 2 3; do setv "dev/api/K$i" "value-$i" 2>/dev/null; done
# keyward's own keys (the package identity, made by pubkey) are records too, but not secrets of
# the user: the count below stays the user's 3 (as `list` and `vault info` count).
kw pubkey --passphrase-file "$PASSFILE" >/dev/null 2>&1
# A second machine (its own pin state) has seen the vault before the rotation.
XDG_STATE_HOME=$TMP/machine2 kw list --identity-file "$IDENTITY_FILE" >/dev/null
key_before=$(kw vault info --json --passphrase-file "$PASSFILE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])')
sealed_before=$(sqlite3 "$KEYWARD_VAULT" "SELECT hex(body) FROM records ORDER BY id")
[[ -n $sealed_before ]] || fail "no sealed records read from the vault"

expect_exit 0 kw rotate-master --passphrase-file "$PASSFILE"
expect_contains "$ERR" "3 secret(s) re-encrypted"
key_after=$(kw vault info --json --passphrase-file "$PASSFILE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])')
[[ $key_before != "$key_after" ]] || fail "key id did not change"
sealed_after=$(sqlite3 "$KEYWARD_VAULT" "SELECT hex(body) FROM records ORDER BY id")
[[ $sealed_before != "$sealed_after" ]] || fail "records were not re-encrypted"
for i in 1 2 3; do expect_eq "$(kw get "dev/api/K$i" --passphrase-file "$PASSFILE")" "value-$i"; done
# The recipient slot was kept and rewrapped; machine 2 follows without alarm.
expect_eq "$(XDG_STATE_HOME=$TMP/machine2 kw get dev/api/K2 --identity-file "$IDENTITY_FILE")" "value-2"
# Wrong passphrase: nothing changes.
before=$(vault_hash)
expect_exit 5 env KEYWARD_PASSPHRASE=x "$KEYWARD_BIN" rotate-master
expect_eq "$(vault_hash)" "$before"
# A master change with no signed transition alarms a pinned machine.
XDG_STATE_HOME=$TMP/machine3 kw list --passphrase-file "$PASSFILE" >/dev/null
kw rotate-master --passphrase-file "$PASSFILE" 2>/dev/null
sqlite3 "$KEYWARD_VAULT" "DELETE FROM transitions"
expect_exit 8 env XDG_STATE_HOME=$TMP/machine3 "$KEYWARD_BIN" list --passphrase-file "$PASSFILE"
expect_contains "$ERR" "without a transition signed"
echo "rotate-master: ok"
