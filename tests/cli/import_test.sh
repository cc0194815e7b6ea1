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
# Issue 18 item 6: importing over existing secrets is a choice. Without a terminal: refused,
# naming them, nothing imported; --overwrite replaces; on a terminal it asks (no: exit 18).
printf 'FRESH=1\n' >"$TMP/again.env"
head -2 "$TMP/app.env" >>"$TMP/again.env"
expect_exit 7 kw import --env dev --component api "$TMP/again.env" --passphrase-file "$PASSFILE"
expect_contains "$ERR" "already exist"
expect_contains "$ERR" "--overwrite"
expect_eq "$(vault_hash)" "$before"
expect_exit 6 kw get dev/api/FRESH --passphrase-file "$PASSFILE"
printf 'already exist|n\n' >"$TMP/imp-no"
got=0; tty_run "$TMP/imp-no" "$KEYWARD_BIN" import --env dev --component api "$TMP/again.env" --passphrase-file "$PASSFILE" || got=$?
expect_eq "$got" "18"
expect_contains "$OUT" "nothing imported"
expect_eq "$(vault_hash)" "$before"
printf 'already exist|y\n' >"$TMP/imp-yes"
got=0; tty_run "$TMP/imp-yes" "$KEYWARD_BIN" import --env dev --component api "$TMP/again.env" --passphrase-file "$PASSFILE" || got=$?
expect_eq "$got" "0"
expect_exit 0 kw get dev/api/FRESH --passphrase-file "$PASSFILE"
expect_exit 0 kw import --env dev --component api "$TMP/again.env" --overwrite --passphrase-file "$PASSFILE"
echo "import: ok"
