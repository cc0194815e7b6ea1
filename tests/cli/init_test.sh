#!/usr/bin/env bash
# keyward init: creation, refusal to overwrite, KDF floor, credentials, recovery, recipient.
. "$(dirname "$0")/lib.sh"
require_tools age-keygen

expect_exit 0 init_vault
[[ -f $KEYWARD_VAULT ]] || fail "vault not created"
expect_eq "$(stat -c %a "$KEYWARD_VAULT")" 600
expect_contains "$ERR" "Created vault"
expect_eq "$OUT" ""

# Refuses to overwrite; the vault is unchanged.
before=$(vault_hash)
expect_exit 7 init_vault
expect_contains "$ERR" "already exists"
expect_eq "$(vault_hash)" "$before"

# The KDF floor (8 MiB) is enforced.
expect_exit 2 kw --vault "$TMP/weak.db" init --passphrase-file "$PASSFILE" --kdf-memory 4
expect_contains "$ERR" "8 MiB"
[[ ! -e $TMP/weak.db ]] || fail "a refused init left a file"

# No credential and no terminal: a clear usage error, nothing created.
expect_exit 2 kw --vault "$TMP/nopass.db" init "${SMALL_KDF[@]}"
expect_contains "$ERR" "no terminal"
[[ ! -e $TMP/nopass.db ]] || fail "init without passphrase left a file"

# Empty passphrase file refused.
: >"$TMP/empty"
expect_exit 2 kw --vault "$TMP/e.db" init --passphrase-file "$TMP/empty" "${SMALL_KDF[@]}"

# KEYWARD_PASSPHRASE works for init and unlock.
expect_exit 0 env KEYWARD_PASSPHRASE=envpass "$KEYWARD_BIN" --vault "$TMP/env.db" init "${SMALL_KDF[@]}"
expect_exit 0 env KEYWARD_PASSPHRASE=envpass "$KEYWARD_BIN" --vault "$TMP/env.db" list

# --no-passphrase needs a recipient.
expect_exit 2 kw --vault "$TMP/np.db" init --no-passphrase
new_identity
expect_exit 0 kw --vault "$TMP/ci.db" init --no-passphrase --recipient "$RECIPIENT"
expect_exit 0 kw --vault "$TMP/ci.db" list --identity-file "$IDENTITY_FILE"
expect_exit 3 kw --vault "$TMP/bad.db" init --no-passphrase --recipient age1notarecipient

# --recovery prints the code once, in 8 groups of 5.
expect_exit 0 kw --vault "$TMP/rec.db" init --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}" --recovery
code=$(printf '%s\n' "$OUT" | grep -Eo '([0-9A-Z]{5}-){7}[0-9A-Z]{5}')
[[ -n $code ]] || fail "no recovery code printed: $OUT"
expect_exit 0 env KEYWARD_RECOVERY_CODE="$code" "$KEYWARD_BIN" --vault "$TMP/rec.db" list

# Default location under XDG_DATA_HOME.
expect_exit 0 env -u KEYWARD_VAULT "$KEYWARD_BIN" init --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}"
[[ -f $XDG_DATA_HOME/keyward/vault.db ]] || fail "default vault location not used"
# Issue 18 item 6: a mistyped repetition of the new passphrase asks again (3 tries in all).
export KEYWARD_VAULT=$TMP/tty/vault.db
mkdir -p "$TMP/tty"
printf 'New passphrase|first-try-1\nRepeat the passphrase|first-try-2\nNew passphrase|first-try-1\nRepeat the passphrase|first-try-1\n' >"$TMP/tty-ok"
got=0; tty_run "$TMP/tty-ok" "$KEYWARD_BIN" init "${SMALL_KDF[@]}" || got=$?
expect_eq "$got" "0"
expect_contains "$OUT" "try again (2 more)"
printf 'first-try-1\n' >"$TMP/tty-pass"
expect_exit 0 kw list --passphrase-file "$TMP/tty-pass"
rm -rf "$TMP/tty"; mkdir -p "$TMP/tty"
printf 'New passphrase|a-1-aaaa\nRepeat the passphrase|a-2-aaaa\nNew passphrase|a-1-aaaa\nRepeat the passphrase|a-2-aaaa\nNew passphrase|a-1-aaaa\nRepeat the passphrase|a-2-aaaa\n' >"$TMP/tty-bad"
got=0; tty_run "$TMP/tty-bad" "$KEYWARD_BIN" init "${SMALL_KDF[@]}" || got=$?
expect_eq "$got" "2"
expect_contains "$OUT" "differed 3 times"
[[ ! -e $KEYWARD_VAULT ]] || fail "init left a vault after three mismatched passphrases"
echo "init: ok"
