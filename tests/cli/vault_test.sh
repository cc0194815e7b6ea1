#!/usr/bin/env bash
# keyward vault info|backup|forget, and rollback / swap detection through the pin.
. "$(dirname "$0")/lib.sh"

expect_exit 6 kw vault info --passphrase-file "$PASSFILE"
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
expect_exit 0 kw vault info --passphrase-file "$PASSFILE"
expect_contains "$OUT" "revision   2"
expect_contains "$OUT" "records    1"
expect_exit 0 kw vault info --json --passphrase-file "$PASSFILE"
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["revision"]==2 and j["records"]==1 and j["verified"]' "$OUT"
expect_exit 5 env KEYWARD_PASSPHRASE=x "$KEYWARD_BIN" vault info

# Backup: a new file that opens with the same slots; refuses to overwrite.
expect_exit 0 kw vault backup "$TMP/backup.db" --passphrase-file "$PASSFILE"
expect_eq "$(kw --vault "$TMP/backup.db" get dev/api/A --passphrase-file "$PASSFILE")" "alpha"
expect_exit 7 kw vault backup "$TMP/backup.db" --passphrase-file "$PASSFILE"
expect_not_contains "$(cat "$TMP/backup.db" | tr -d '\0')" "alpha"

# Rollback: restoring an older copy is refused, naming both revisions and the reset.
cp "$KEYWARD_VAULT" "$TMP/old.db"
setv dev/api/B "bravo" 2>/dev/null
cp "$TMP/old.db" "$KEYWARD_VAULT"
rm -f "$KEYWARD_VAULT-wal" "$KEYWARD_VAULT-shm"
before=$(vault_hash)
expect_exit 8 kw get dev/api/A --passphrase-file "$PASSFILE"
expect_contains "$ERR" "revision 2"
expect_contains "$ERR" "revision 3"
expect_contains "$ERR" "keyward vault forget"
expect_eq "$OUT" ""
expect_eq "$(vault_hash)" "$before"
expect_exit 0 kw vault forget
expect_contains "$ERR" "Forgot"
expect_eq "$(kw get dev/api/A --passphrase-file "$PASSFILE")" "alpha"
expect_exit 0 kw vault forget
expect_exit 0 kw vault forget
expect_contains "$ERR" "nothing to forget"

# Swap: a different vault at the pinned path.
kw get dev/api/A --passphrase-file "$PASSFILE" >/dev/null
mv "$KEYWARD_VAULT" "$TMP/mine.db"
XDG_STATE_HOME=$TMP/elsewhere kw init --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}" >/dev/null 2>&1
expect_exit 8 kw list --passphrase-file "$PASSFILE"
expect_contains "$ERR" "different vault"
echo "vault: ok"
