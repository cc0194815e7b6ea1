#!/usr/bin/env bash
# Issue 18, input safety: a new passphrase (init, slot add passphrase) is estimated with zxcvbn
# (libzxcvbn). Below the floor (about a million guesses, 20 bits) it is refused, from a file or
# the environment (exit 9, nothing created) and asked again on a terminal (3 tries);
# --allow-weak-passphrase accepts it. Below 40 bits it is accepted with a warning. The passphrase
# itself never appears in what keyward prints.
. "$(dirname "$0")/lib.sh"

printf 'abc\n' >"$TMP/weak"
printf 'letmein\n' >"$TMP/weak2"
printf 'river stone\n' >"$TMP/fair"
printf 'tangle orbit velvet quarry mosaic\n' >"$TMP/strong"

# Weak, from a file: refused before anything is created.
expect_exit 9 kw init --passphrase-file "$TMP/weak" "${SMALL_KDF[@]}" </dev/null
expect_contains "$ERR" "keyward: the new passphrase in $TMP/weak is too weak: it would be guessed within about a million tries"
expect_contains "$ERR" "--allow-weak-passphrase accepts it anyway"
expect_not_contains "$ERR" "abc"
[[ ! -e $KEYWARD_VAULT ]] || fail "init created a vault with a refused passphrase"
# From the environment: the same.
expect_exit 9 env KEYWARD_PASSPHRASE=letmein "$KEYWARD_BIN" init "${SMALL_KDF[@]}" </dev/null
expect_contains "$ERR" "the new passphrase in KEYWARD_PASSPHRASE is too weak"
expect_not_contains "$ERR" "letmein"
[[ ! -e $KEYWARD_VAULT ]] || fail "init created a vault with a refused passphrase"
# Insisting works.
expect_exit 0 kw init --passphrase-file "$TMP/weak" --allow-weak-passphrase "${SMALL_KDF[@]}" </dev/null
expect_eq "$(printf 'v' | kw set dev/api/A --passphrase-file "$TMP/weak" && kw get dev/api/A --passphrase-file "$TMP/weak")" "v"
rm -f "$KEYWARD_VAULT"* && rm -rf "$XDG_STATE_HOME"

# Fair: accepted, with a warning; strong: no warning.
expect_exit 0 kw init --passphrase-file "$TMP/fair" "${SMALL_KDF[@]}" </dev/null
expect_contains "$ERR" "keyward: warning: the new passphrase is only fair"
expect_not_contains "$ERR" "river stone"
rm -f "$KEYWARD_VAULT"* && rm -rf "$XDG_STATE_HOME"
expect_exit 0 kw init --passphrase-file "$TMP/strong" "${SMALL_KDF[@]}" </dev/null
expect_not_contains "$ERR" "warning"

# slot add passphrase: the same floor for the new slot; the vault unchanged when refused.
before=$(vault_hash)
expect_exit 9 kw slot add passphrase --new-passphrase-file "$TMP/weak2" --passphrase-file "$TMP/strong" "${SMALL_KDF[@]}" </dev/null
expect_contains "$ERR" "too weak"
expect_eq "$(vault_hash)" "$before"
expect_exit 9 env KEYWARD_NEW_PASSPHRASE=abc "$KEYWARD_BIN" slot add passphrase --passphrase-file "$TMP/strong" "${SMALL_KDF[@]}" </dev/null
expect_contains "$ERR" "the new passphrase in KEYWARD_NEW_PASSPHRASE is too weak"
expect_eq "$(vault_hash)" "$before"
expect_exit 0 kw slot add passphrase --new-passphrase-file "$TMP/weak2" --allow-weak-passphrase --passphrase-file "$TMP/strong" "${SMALL_KDF[@]}" </dev/null

# On a terminal: a weak entry is refused and asked again (no repeat prompt for it).
rm -f "$KEYWARD_VAULT"* && rm -rf "$XDG_STATE_HOME"
cat >"$TMP/tty1" <<'EOF'
New passphrase: |abc
New passphrase: |tangle orbit velvet quarry mosaic
Repeat the passphrase: |tangle orbit velvet quarry mosaic
EOF
got=0; tty_run "$TMP/tty1" "$KEYWARD_BIN" init "${SMALL_KDF[@]}" || got=$?
[[ $got == 0 ]] || fail "init on a terminal after a weak entry: exit $got: $OUT"
expect_contains "$OUT" "That passphrase is refused: too weak: it would be guessed within about a million tries"
expect_contains "$OUT" "Try again (2 more)"
expect_exit 0 kw vault info --passphrase-file "$TMP/strong"
# Three weak entries: refused (exit 9), no vault.
rm -f "$KEYWARD_VAULT"* && rm -rf "$XDG_STATE_HOME"
cat >"$TMP/tty2" <<'EOF'
New passphrase: |abc
New passphrase: |letmein
New passphrase: |password123
EOF
got=0; tty_run "$TMP/tty2" "$KEYWARD_BIN" init "${SMALL_KDF[@]}" || got=$?
[[ $got == 9 ]] || fail "three weak entries: exit $got, expected 9: $OUT"
expect_contains "$OUT" "the new passphrase was refused 3 times"
[[ ! -e $KEYWARD_VAULT ]] || fail "init created a vault after three refused passphrases"
echo "passphrase_strength_test: ok"
