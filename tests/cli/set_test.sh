#!/usr/bin/env bash
# keyward set: stdin values, tiers, prod default, refusals leave the vault unchanged.
. "$(dirname "$0")/lib.sh"

expect_exit 6 bash -c "printf v | setsid -w '$KEYWARD_BIN' set dev/api/K --passphrase-file '$PASSFILE'"
expect_contains "$ERR" "keyward init"

init_vault >/dev/null 2>&1
expect_exit 0 setv dev/api/STRIPE_KEY "sk_test_1"
expect_eq "$(kw get dev/api/STRIPE_KEY --passphrase-file "$PASSFILE")" "sk_test_1"
# One trailing newline (echo) is dropped; inner ones are kept.
printf 'line1\nline2\n' | kw set dev/api/MULTI --passphrase-file "$PASSFILE" 2>/dev/null
expect_eq "$(kw get dev/api/MULTI --passphrase-file "$PASSFILE" | od -c | head -1)" \
  "$(printf 'line1\nline2' | od -c | head -1)"
# Overwrite.
expect_exit 0 setv dev/api/STRIPE_KEY "sk_test_2"
expect_eq "$(kw get dev/api/STRIPE_KEY --passphrase-file "$PASSFILE")" "sk_test_2"

before=$(vault_hash)
# Bad coordinates are usage errors.
expect_exit 2 setv dev/api "x"
expect_exit 2 setv Dev/api/K "x"
# prod defaults to high, which needs a presence slot: refused with the enrol hint.
expect_exit 9 setv prod/api/K "x"
expect_contains "$ERR" "keyward slot add piv"
expect_contains "$ERR" "keyward slot add fido2"
expect_exit 9 bash -c "printf x | setsid -w '$KEYWARD_BIN' set dev/api/H --high --passphrase-file '$PASSFILE'"
expect_contains "$ERR" "presence-capable"
# Wrong passphrase.
expect_exit 5 bash -c "printf x | KEYWARD_PASSPHRASE=wrong setsid -w '$KEYWARD_BIN' set dev/api/K"
expect_contains "$ERR" "wrong passphrase"
# Cloud references must look like one.
expect_exit 2 bash -c "printf 'plain' | setsid -w '$KEYWARD_BIN' set dev/api/REF --cloud-ref --passphrase-file '$PASSFILE'"
expect_eq "$(vault_hash)" "$before"

expect_exit 0 bash -c "printf 'aws-sm://prod/db' | setsid -w '$KEYWARD_BIN' set dev/api/REF --cloud-ref --passphrase-file '$PASSFILE'"
expect_contains "$(kw list --passphrase-file "$PASSFILE")" "cloud-ref"
# Explicit downgrade of a prod coordinate is allowed and visible.
expect_exit 0 bash -c "printf p | setsid -w '$KEYWARD_BIN' set prod/api/LOW --tier normal --passphrase-file '$PASSFILE'"
expect_exit 2 bash -c "printf p | setsid -w '$KEYWARD_BIN' set dev/api/X --tier medium --passphrase-file '$PASSFILE'"
# Issue 18 item 6: an empty value (an empty pipe) is refused unless asked for.
expect_exit 2 bash -c "printf '' | setsid -w '$KEYWARD_BIN' set dev/api/EMPTY --passphrase-file '$PASSFILE'"
expect_contains "$ERR" "--allow-empty"
expect_exit 6 kw get dev/api/EMPTY --passphrase-file "$PASSFILE"
expect_exit 0 bash -c "printf '' | setsid -w '$KEYWARD_BIN' set dev/api/EMPTY --allow-empty --passphrase-file '$PASSFILE'"
expect_exit 0 kw get dev/api/EMPTY --passphrase-file "$PASSFILE"
expect_eq "$OUT" ""
echo "set: ok"
