#!/usr/bin/env bash
# keyward slot add|list|rm: passphrase, recipient (real age identities), recovery; last-slot
# refusal; --rekey offboarding.
. "$(dirname "$0")/lib.sh"
require_tools age-keygen

init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null

# Second passphrase.
printf 'second pass\n' >"$TMP/pass2"
expect_exit 0 kw slot add passphrase --label laptop --new-passphrase-file "$TMP/pass2" "${SMALL_KDF[@]}" --passphrase-file "$PASSFILE"
expect_eq "$(kw get dev/api/A --passphrase-file "$TMP/pass2")" "alpha"
expect_exit 7 kw slot add passphrase --label laptop --new-passphrase-file "$TMP/pass2" "${SMALL_KDF[@]}" --passphrase-file "$PASSFILE"
expect_exit 2 kw slot add passphrase --new-passphrase-file "$TMP/pass2" --kdf-memory 1 --passphrase-file "$PASSFILE"

# Recipient slot with an identity from age-keygen; every way to present the identity.
new_identity
expect_exit 0 kw slot add recipient --label ci --recipient "$RECIPIENT" --passphrase-file "$PASSFILE"
expect_eq "$(kw get dev/api/A --identity-file "$IDENTITY_FILE")" "alpha"
expect_eq "$(KEYWARD_IDENTITY=$IDENTITY_FILE kw get dev/api/A)" "alpha"
ident=$(grep '^AGE-SECRET-KEY-1' "$IDENTITY_FILE")
expect_eq "$(KEYWARD_IDENTITY=$ident kw get dev/api/A)" "alpha"
first_id=$IDENTITY_FILE
first_recipient=$RECIPIENT
new_identity
expect_exit 5 kw get dev/api/A --identity-file "$IDENTITY_FILE"
printf 'not an identity\n' >"$TMP/junk"
expect_exit 3 kw get dev/api/A --identity-file "$TMP/junk"
expect_exit 2 kw slot add recipient --passphrase-file "$PASSFILE"
expect_exit 3 kw slot add recipient --recipient age1qqqq --passphrase-file "$PASSFILE"
expect_exit 2 kw slot add bogus --passphrase-file "$PASSFILE"
expect_exit 10 env KEYWARD_FIDO2_DEVICES="sim:$TMP/no-such.sock" "$KEYWARD_BIN" slot add fido2 --passphrase-file "$PASSFILE"

# Recovery slot: code printed once; typos caught before any KDF.
expect_exit 0 kw slot add recovery --passphrase-file "$PASSFILE"
code=$(printf '%s\n' "$OUT" | grep -Eo '([0-9A-Z]{5}-){7}[0-9A-Z]{5}')
printf '%s\n' "$code" >"$TMP/code"
expect_eq "$(kw get dev/api/A --recovery-code-file "$TMP/code")" "alpha"
lower=$(printf '%s' "$code" | tr 'A-Z-' 'a-z ')
expect_eq "$(KEYWARD_RECOVERY_CODE=$lower kw get dev/api/A)" "alpha"
typo=$(printf '%s' "$code" | sed 's/^./Z/'); [[ $typo != "$code" ]] || typo=$(printf '%s' "$code" | sed 's/^./Y/')
expect_exit 3 env KEYWARD_RECOVERY_CODE="$typo" "$KEYWARD_BIN" get dev/api/A
expect_contains "$ERR" "typo"

# list and --json.
expect_exit 0 kw slot list --passphrase-file "$PASSFILE"
expect_contains "$OUT" "passphrase"
expect_contains "$OUT" "laptop"
expect_contains "$OUT" "$first_recipient"
expect_contains "$OUT" "high-key"
expect_exit 0 kw slot list --json --passphrase-file "$PASSFILE"
python3 - "$OUT" <<'PY'
import json, sys
slots = json.loads(sys.argv[1])
types = [s["type"] for s in slots]
assert types == ["passphrase", "passphrase", "recipient", "recovery"], types
assert slots[2]["recipient"].startswith("age1")
assert slots[3]["high_key"] is True and slots[0]["high_key"] is False
PY

# rm: unknown slot, plain rm, rm --rekey (the removed identity no longer opens it).
expect_exit 6 kw slot rm 99 --passphrase-file "$PASSFILE"
expect_exit 0 kw slot rm 2 --passphrase-file "$PASSFILE"
expect_exit 5 kw get dev/api/A --passphrase-file "$TMP/pass2"
cp "$KEYWARD_VAULT" "$TMP/before-rekey.db"
expect_exit 0 kw slot rm 3 --rekey --passphrase-file "$PASSFILE"
expect_contains "$ERR" "rotated"
expect_exit 5 kw get dev/api/A --identity-file "$first_id"
expect_eq "$(kw get dev/api/A --passphrase-file "$PASSFILE")" "alpha"
expect_eq "$(kw get dev/api/A --recovery-code-file "$TMP/code")" "alpha"

# The last slot that can open the vault cannot be removed.
expect_exit 0 kw slot rm 4 --passphrase-file "$PASSFILE"
before=$(vault_hash)
expect_exit 9 kw slot rm 1 --passphrase-file "$PASSFILE"
expect_contains "$ERR" "last slot"
expect_eq "$(vault_hash)" "$before"
echo "slot: ok"
