#!/usr/bin/env bash
# Issue 18, "order of checks": the vault's existence and type are checked before any credential
# is asked for, and `init` never creates a directory tree from a mistyped path.
. "$(dirname "$0")/lib.sh"

# No vault: exit 6 "no vault", not 2 "no credential" (no terminal, no credential given).
expect_exit 6 env -u KEYWARD_PASSPHRASE "$KEYWARD_BIN" list </dev/null
expect_contains "$ERR" "no vault at $KEYWARD_VAULT; create one with \`keyward init\`"
expect_not_contains "$ERR" "credential"
# On a terminal, no passphrase prompt comes first.
: >"$TMP/no-prompts"
got=0; env -u KEYWARD_PASSPHRASE /usr/bin/python3 "$(dirname "$0")/drive_tty.py" "$TMP/no-prompts" "$KEYWARD_BIN" list || got=$?
OUT=$(cat "$TMP/no-prompts.out")
[[ $got == 6 ]] || fail "list on a terminal without a vault: exit $got, expected 6: $OUT"
expect_not_contains "$OUT" "passphrase"
expect_contains "$OUT" "no vault at"

# A file that is not a keyward vault: said so, exit 3, before a credential (none is given).
printf 'API_KEY=x\n' >"$TMP/app.env"
expect_exit 3 env -u KEYWARD_PASSPHRASE "$KEYWARD_BIN" --vault "$TMP/app.env" list </dev/null
expect_contains "$ERR" "keyward: $TMP/app.env is not a keyward vault (not a database at all)"
: >"$TMP/empty.db"
expect_exit 3 "$KEYWARD_BIN" --vault "$TMP/empty.db" list --passphrase-file "$PASSFILE" </dev/null
expect_contains "$ERR" "is an empty file, not a keyward vault"
/usr/bin/python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table t(x)'); c.commit()" "$TMP/other.db"
expect_exit 3 "$KEYWARD_BIN" --vault "$TMP/other.db" list --passphrase-file "$PASSFILE" </dev/null
expect_contains "$ERR" "is not a keyward vault (an SQLite database of another application)"
cmp -s "$TMP/app.env" <(printf 'API_KEY=x\n') || fail "the non-vault file was changed"

# init: an explicit path's missing directory is made only when its parent exists.
expect_exit 6 kw --vault "$TMP/nonexist/dir/v.db" init --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}" </dev/null
expect_contains "$ERR" "the directory $TMP/nonexist does not exist"
[[ ! -e $TMP/nonexist ]] || fail "init created a directory tree"
# ... and that is said before the new passphrase is asked for (without one: the same refusal,
# not "no terminal to ask for the new passphrase").
expect_exit 6 kw --vault "$TMP/nonexist/dir/v.db" init </dev/null
expect_contains "$ERR" "the directory $TMP/nonexist does not exist"
# Without a terminal, the new passphrase's error names init's own option.
expect_exit 2 kw --vault "$TMP/fresh.db" init </dev/null
expect_contains "$ERR" "use --passphrase-file FILE or KEYWARD_PASSPHRASE"
[[ ! -e $TMP/fresh.db ]] || fail "a refused init left a vault"
expect_exit 0 kw --vault "$TMP/newdir/v.db" init --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}" </dev/null
[[ -f $TMP/newdir/v.db ]] || fail "init did not create the vault in its new directory"
[[ $(stat -c %a "$TMP/newdir") == 700 ]] || fail "the new directory is not 0700"
# The default path (XDG) is still made as a tree.
expect_exit 0 env -u KEYWARD_VAULT XDG_DATA_HOME="$TMP/xdg/data" "$KEYWARD_BIN" init --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}" </dev/null
[[ -f $TMP/xdg/data/keyward/vault.db ]] || fail "init did not create the default vault"
echo "check_order_test: ok"
