#!/usr/bin/env bash
# keyward get: exact bytes, not found, wrong passphrase, tampering.
. "$(dirname "$0")/lib.sh"

expect_exit 6 kw get dev/api/K --passphrase-file "$PASSFILE"
init_vault >/dev/null 2>&1
setv dev/api/A "alpha value" 2>/dev/null
setv dev/api/B "bravo" 2>/dev/null
expect_exit 0 kw get dev/api/A --passphrase-file "$PASSFILE"
expect_eq "$OUT" "alpha value"
expect_exit 6 kw get dev/api/NOPE --passphrase-file "$PASSFILE"
expect_contains "$ERR" "no secret at dev/api/NOPE"
expect_exit 2 kw get not-a-coordinate --passphrase-file "$PASSFILE"
expect_exit 5 env KEYWARD_PASSPHRASE=nope "$KEYWARD_BIN" get dev/api/A
expect_eq "$OUT" ""
# A file with the passphrase that does not exist.
expect_exit 6 kw get dev/api/A --passphrase-file "$TMP/missing"
# Identity-based unlock with a wrong identity.
new_identity
expect_exit 5 kw get dev/api/A --identity-file "$IDENTITY_FILE"
expect_contains "$ERR" "no recipient slot"

# Swap the two sealed records: the opaque error, no output.
command -v sqlite3 >/dev/null || { echo "sqlite3 missing: skipping the tamper part"; exit 0; }
sqlite3 "$KEYWARD_VAULT" "UPDATE records SET body = (SELECT body FROM records ORDER BY id LIMIT 1) WHERE id = (SELECT id FROM records ORDER BY id DESC LIMIT 1)"
got_a=0; kw get dev/api/A --passphrase-file "$PASSFILE" >"$TMP/a" 2>"$TMP/ea" || got_a=$?
got_b=0; kw get dev/api/B --passphrase-file "$PASSFILE" >"$TMP/b" 2>"$TMP/eb" || got_b=$?
if [[ $got_a == 0 ]]; then expect_eq "$got_b" 4; [[ ! -s $TMP/b ]] || fail "partial output"; grep -q "decryption failed" "$TMP/eb" || fail "not opaque"; fi
if [[ $got_b == 0 ]]; then expect_eq "$got_a" 4; [[ ! -s $TMP/a ]] || fail "partial output"; grep -q "decryption failed" "$TMP/ea" || fail "not opaque"; fi
[[ $got_a != 0 || $got_b != 0 ]] || fail "swap not detected"
echo "get: ok"
