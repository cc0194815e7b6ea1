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
# --json (issue 18 item 8): the record as one JSON object; UTF-8 text as text, other bytes as
# base64; errors as one JSON object on stderr with the exit code inside.
export KEYWARD_VAULT=$TMP/json.db  # a fresh vault (the one above was tampered with on purpose)
init_vault >/dev/null 2>&1
printf 'caf\xc3\xa9 "q"\n\x01' | kw set dev/json/TEXT --passphrase-file "$PASSFILE" 2>/dev/null
printf '\xff\x00\xfe' | kw set dev/json/BIN --passphrase-file "$PASSFILE" 2>/dev/null
expect_exit 0 kw get dev/json/TEXT --json --passphrase-file "$PASSFILE"
expect_eq "$(/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["encoding"], d["tier"], d["coordinate"], repr(d["value"]))' "$OUT")" "utf-8 normal dev/json/TEXT 'café \"q\"\\n\\x01'"
expect_exit 0 kw --json get dev/json/BIN --passphrase-file "$PASSFILE"
expect_eq "$(/usr/bin/python3 -c 'import json,sys,base64; d=json.loads(sys.argv[1]); print(d["encoding"], base64.b64decode(d["value"]).hex())' "$OUT")" "base64 ff00fe"
expect_exit 6 kw get dev/json/NOPE --json --passphrase-file "$PASSFILE"
expect_eq "$OUT" ""
expect_eq "$(/usr/bin/python3 -c 'import json,sys; e=json.loads(sys.argv[1])["error"]; print(e["class"], e["exit_code"], "no secret at dev/json/NOPE" in e["message"])' "$ERR")" "not_found 6 True"
echo "get: ok"
