#!/usr/bin/env bash
# keyward import: .env into env/component/KEY in one transaction; errors change nothing.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/app.env" <<'ENV'
# comment
DATABASE_URL=postgres://u:p@db/app
API_KEY="quoted value"
EMPTY=
ENV
expect_exit 6 kw import --env dev "$TMP/app.env" --passphrase-file "$PASSFILE"
init_vault >/dev/null 2>&1
expect_exit 0 kw import --env dev --component api "$TMP/app.env" --passphrase-file "$PASSFILE"
expect_contains "$ERR" "Imported 3"
expect_eq "$(kw get dev/api/API_KEY --passphrase-file "$PASSFILE")" "quoted value"
expect_eq "$(kw get dev/api/DATABASE_URL --passphrase-file "$PASSFILE")" "postgres://u:p@db/app"
expect_eq "$(kw get dev/api/EMPTY --passphrase-file "$PASSFILE")" ""
# Default component, and stdin.
printf 'X=1\n' | kw import --env dev - --passphrase-file "$PASSFILE" 2>/dev/null
expect_eq "$(kw get dev/default/X --passphrase-file "$PASSFILE")" "1"

before=$(vault_hash)
# A malformed file: line number in the message, nothing imported.
printf 'A=1\nB="unterminated\n' >"$TMP/bad.env"
expect_exit 3 kw import --env dev "$TMP/bad.env" --passphrase-file "$PASSFILE"
expect_contains "$ERR" "line"
expect_not_contains "$ERR" "unterminated\""
expect_exit 6 kw import --env dev "$TMP/missing.env" --passphrase-file "$PASSFILE"
expect_exit 2 kw import --env DEV "$TMP/app.env" --passphrase-file "$PASSFILE"
# prod imports would be high: refused with the enrol hint.
expect_exit 9 kw import --env prod "$TMP/app.env" --passphrase-file "$PASSFILE"
expect_contains "$ERR" "keyward slot add piv"
expect_exit 5 env KEYWARD_PASSPHRASE=x "$KEYWARD_BIN" import --env dev "$TMP/app.env"
expect_eq "$(vault_hash)" "$before"
echo "import: ok"
