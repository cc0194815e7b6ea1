#!/usr/bin/env bash
# keyward list: table and --json, fingerprints, never values.
. "$(dirname "$0")/lib.sh"
require_tools sqlite3

expect_exit 6 kw list --passphrase-file "$PASSFILE"
init_vault >/dev/null 2>&1
expect_exit 0 kw list --passphrase-file "$PASSFILE"
expect_eq "$OUT" ""
setv dev/api/STRIPE_KEY "super-secret-value-1" 2>/dev/null
setv dev/db/URL "super-secret-value-2" 2>/dev/null
setv stage/api/STRIPE_KEY "super-secret-value-1" 2>/dev/null
expect_exit 0 kw list --passphrase-file "$PASSFILE"
expect_contains "$OUT" "dev/api/STRIPE_KEY"
expect_contains "$OUT" "normal"
expect_not_contains "$OUT" "super-secret"
[[ $(printf '%s\n' "$OUT" | wc -l) == 3 ]] || fail "expected 3 lines: $OUT"
# Same value, same fingerprint; 8 hex characters (keyed per vault: tests/core/vault).
fp1=$(printf '%s\n' "$OUT" | awk '$1=="dev/api/STRIPE_KEY"{print $NF}')
fp2=$(printf '%s\n' "$OUT" | awk '$1=="stage/api/STRIPE_KEY"{print $NF}')
[[ $fp1 =~ ^[0-9a-f]{8}$ ]] || fail "bad fingerprint $fp1"
expect_eq "$fp1" "$fp2"
expect_exit 0 kw list --env dev --passphrase-file "$PASSFILE"
expect_not_contains "$OUT" "stage/"
expect_exit 0 kw list --json --passphrase-file "$PASSFILE"
expect_not_contains "$OUT" "super-secret"
python3 - "$OUT" <<'PY'
import json, sys
rows = json.loads(sys.argv[1])
assert [r["coordinate"] for r in rows] == ["dev/api/STRIPE_KEY", "dev/db/URL", "stage/api/STRIPE_KEY"], rows
for r in rows:
    assert set(r) == {"coordinate", "tier", "kind", "created", "updated", "fingerprint"}, r
    assert r["tier"] == "normal" and r["kind"] == "value" and len(r["fingerprint"]) == 8
PY
expect_exit 5 env KEYWARD_PASSPHRASE=x "$KEYWARD_BIN" list
# A record deleted behind keyward's back: the manifest catches it.
sqlite3 "$KEYWARD_VAULT" "DELETE FROM records WHERE id = (SELECT id FROM records LIMIT 1)"
expect_exit 8 kw list --passphrase-file "$PASSFILE"
expect_contains "$ERR" "manifest"
expect_eq "$OUT" ""
# A header on a terminal (issue 18), none in a pipe (scripts parse the rows).
export KEYWARD_VAULT=$TMP/hdr.db  # a fresh vault: the one above was damaged on purpose
init_vault >/dev/null 2>&1
setv dev/api/A alpha 2>/dev/null
: >"$TMP/tty-list"
got=0; tty_run "$TMP/tty-list" "$KEYWARD_BIN" list --passphrase-file "$PASSFILE" || got=$?
expect_eq "$got" "0"
expect_contains "$OUT" "COORDINATE"
expect_not_contains "$(kw list --passphrase-file "$PASSFILE")" "COORDINATE"
echo "list: ok"
