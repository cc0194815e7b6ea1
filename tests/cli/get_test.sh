#!/usr/bin/env bash
# keyward get: exact bytes, not found, wrong passphrase, tampering.
. "$(dirname "$0")/lib.sh"
require_tools age-keygen sqlite3

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
sqlite3 "$KEYWARD_VAULT" "UPDATE records SET body = (SELECT body FROM records ORDER BY id LIMIT 1) WHERE id = (SELECT id FROM records ORDER BY id DESC LIMIT 1)"
# One record now carries the other's body: that one fails opaquely (exit 4, no output), the one
# whose body was copied still opens to its own value.
got_a=0; kw get dev/api/A --passphrase-file "$PASSFILE" >"$TMP/a" 2>"$TMP/ea" || got_a=$?
got_b=0; kw get dev/api/B --passphrase-file "$PASSFILE" >"$TMP/b" 2>"$TMP/eb" || got_b=$?
case "$got_a/$got_b" in
  0/4) expect_eq "$(cat "$TMP/a")" "alpha value"; bad=b ;;
  4/0) expect_eq "$(cat "$TMP/b")" "bravo"; bad=a ;;
  *) fail "swap: expected exactly one record to fail with exit 4, got A=$got_a B=$got_b" ;;
esac
[[ ! -s $TMP/$bad ]] || fail "partial output"
grep -q "decryption failed" "$TMP/e$bad" || fail "not opaque: $(cat "$TMP/e$bad")"
echo "get: ok"
