#!/usr/bin/env bash
# keyward rm.
. "$(dirname "$0")/lib.sh"

expect_exit 6 kw rm dev/api/A --passphrase-file "$PASSFILE"
init_vault >/dev/null 2>&1
setv dev/api/A "a" 2>/dev/null
setv dev/api/B "b" 2>/dev/null
expect_exit 0 kw rm dev/api/A --passphrase-file "$PASSFILE"
expect_exit 6 kw get dev/api/A --passphrase-file "$PASSFILE"
expect_eq "$(kw get dev/api/B --passphrase-file "$PASSFILE")" "b"
before=$(vault_hash)
expect_exit 6 kw rm dev/api/A --passphrase-file "$PASSFILE"
expect_exit 2 kw rm dev/api --passphrase-file "$PASSFILE"
expect_exit 5 env KEYWARD_PASSPHRASE=x "$KEYWARD_BIN" rm dev/api/B
expect_eq "$(vault_hash)" "$before"
expect_exit 0 kw list --passphrase-file "$PASSFILE"
expect_eq "$(printf '%s\n' "$OUT" | awk '{print $1}')" "dev/api/B"
echo "rm: ok"
