#!/usr/bin/env bash
# keyward export: .env on stdout, refuses prod, collisions, round trip through import.
. "$(dirname "$0")/lib.sh"

init_vault >/dev/null 2>&1
setv dev/api/A "1" 2>/dev/null
setv dev/api/B "two words" 2>/dev/null
setv dev/db/A "other" 2>/dev/null
setv prod/api/A "p" 2>/dev/null || true   # refused (high by default)
printf 'p' | kw set prod/api/LOW --tier normal --passphrase-file "$PASSFILE" 2>/dev/null
expect_exit 0 kw export --env dev --component api --passphrase-file "$PASSFILE"
expect_contains "$OUT" "A=1"
expect_contains "$OUT" "B="
expect_not_contains "$OUT" "other"
# Round trip.
kw export --env dev --component api --passphrase-file "$PASSFILE" >"$TMP/out.env"
kw import --env copy --component api "$TMP/out.env" --passphrase-file "$PASSFILE" 2>/dev/null
expect_eq "$(kw get copy/api/B --passphrase-file "$PASSFILE")" "two words"
# Same KEY in two components without --component: refused.
expect_exit 9 kw export --env dev --passphrase-file "$PASSFILE"
expect_contains "$ERR" "--component"
expect_eq "$OUT" ""
# prod is never exported, even normal-tier secrets.
expect_exit 9 kw export --env prod --passphrase-file "$PASSFILE"
expect_contains "$ERR" "refusing to export prod"
expect_eq "$OUT" ""
expect_exit 5 env KEYWARD_PASSPHRASE=x "$KEYWARD_BIN" export --env dev --component api
expect_eq "$OUT" ""
# An environment without secrets is a probable typo: refused, naming the known ones (issue 18);
# --allow-empty prints the empty document.
expect_exit 6 kw export --env empty --passphrase-file "$PASSFILE"
expect_eq "$OUT" ""
expect_contains "$ERR" "no secrets in environment 'empty'"
expect_exit 0 kw export --env empty --allow-empty --passphrase-file "$PASSFILE"
expect_eq "$OUT" ""
echo "export: ok"
