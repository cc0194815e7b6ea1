#!/usr/bin/env bash
# sealed-env with hardware (issue 8): `sealed-env adopt` keeps a .env.sealed's Tier A token in
# the keyward vault as a high secret; `mint-deploy --keyward` mints a deploy token only after the
# presence gate (touch; FIDO2 PIN + touch for an enterprise vault), never from a typed TOTP code.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
FST=$HWSIM_STATE
D0="sim:$FST/fido0.sock"
for d in fido0 fido1; do ctl "$d" factory-reset; ctl "$d" auto-touch off; done
trap 'ctl fido0 auto-touch off; rm -rf "$TMP"' EXIT
export KEYWARD_FIDO2_DEVICES="$D0"
unset SEALED_ENV_TOKEN SEALED_ENV_KEY SEALED_ENV_SIGNING_KEY SEALED_ENV_TOTP_SECRET SEALED_ENV_UNSEAL_TOKEN SEALED_ENV_DEPLOY_TOKEN KEYWARD_FIDO2_PIN
fido_set_pin "$FST/fido0.sock" 4321hwsim  # UV required (the default) needs a FIDO2 PIN

init_vault >/dev/null 2>&1
mkdir -p "$TMP/basic" "$TMP/ent"
printf 'API_KEY=abc123\n' >"$TMP/basic/.env"
cp "$TMP/basic/.env" "$TMP/ent/.env"
cd "$TMP/basic"
TOK=$(kw sealed-env init --kdf scrypt --from .env)
[[ $TOK == sealed_env_b_* ]] || fail "init token"

# No presence slot yet: adopt refuses (the point is to put the token behind hardware).
expect_exit 9 env SEALED_ENV_TOKEN="$TOK" setsid -w "$KEYWARD_BIN" sealed-env adopt --passphrase-file "$PASSFILE"
ctl fido0 auto-touch 50
expect_exit 0 kw slot add fido2 --device "$D0" --label fk --passphrase-file "$PASSFILE"
# The token comes from SEALED_ENV_TOKEN only.
expect_exit 2 kw sealed-env adopt --passphrase-file "$PASSFILE"
expect_contains "$ERR" "SEALED_ENV_TOKEN"
expect_exit 0 env SEALED_ENV_TOKEN="$TOK" setsid -w "$KEYWARD_BIN" sealed-env adopt --passphrase-file "$PASSFILE"
expect_contains "$ERR" "release 1 high secret(s)"
COORD=$(printf '%s\n' "$ERR" | grep -o 'sealed-env/[0-9a-f]\{64\}/CREDENTIAL_TOKEN' | head -1)
[[ -n $COORD ]] || fail "no coordinate in: $ERR"
expect_exit 0 kw list --json --passphrase-file "$PASSFILE"
expect_contains "$OUT" "$COORD"
# The stored value is the token (released with a touch).
expect_exit 0 kw get "$COORD" --passphrase-file "$PASSFILE"
expect_eq "$OUT" "$TOK"

# mint-deploy --keyward: touch refused -> 12, nothing minted; touch given -> a working token.
ctl fido0 auto-touch off
kw sealed-env mint-deploy --ttl 30 --keyward --passphrase-file "$PASSFILE" >"$TMP/bg.out" 2>"$TMP/bg.err" </dev/null &
BG=$!
ctl fido0 refuse 20000
bg_wait 12
expect_eq "$OUT" ""
ctl fido0 auto-touch 50
expect_exit 0 kw sealed-env mint-deploy --ttl 30 --keyward --passphrase-file "$PASSFILE"
DTOK=$OUT
[[ $DTOK == sealed_env_d_* ]] || fail "deploy token shape: $DTOK"
expect_contains "$ERR" "keyward: verify (PIN) and touch your FIDO2 key $D0 (simulated) to release 1 high secret(s) for \`keyward sealed-env mint-deploy"
# (the deploy token's signature is checked with the master key: the CI job also has the token)
expect_exit 0 env SEALED_ENV_DEPLOY_TOKEN="$DTOK" SEALED_ENV_TOKEN="$TOK" "$KEYWARD_BIN" sealed-env decrypt --stdout
expect_eq "$OUT" "API_KEY=abc123"
# The TTL cap is checked before any touch or unlock.
expect_exit 9 kw sealed-env mint-deploy --ttl 61 --keyward --passphrase-file "$PASSFILE"
# Another file (not adopted): a clear error.
cd "$TMP/ent"
ETOK=$(kw sealed-env init --mode enterprise --kdf scrypt --from .env)
expect_exit 6 kw sealed-env mint-deploy --ttl 30 --keyward --passphrase-file "$PASSFILE"
expect_contains "$ERR" "sealed-env adopt"
# A token that does not open the file is not adopted.
before=$(vault_hash)
if SEALED_ENV_TOKEN="$TOK" setsid -w "$KEYWARD_BIN" sealed-env adopt --passphrase-file "$PASSFILE" 2>"$TMP/wrong.err" </dev/null; then
  fail "adopt accepted a token of another file"
fi
expect_contains "$(cat "$TMP/wrong.err")" "does not open"
expect_eq "$(vault_hash)" "$before"

# Enterprise: adopt, then minting needs user verification (FIDO2 PIN + touch), not a TOTP code.
expect_exit 0 env SEALED_ENV_TOKEN="$ETOK" setsid -w "$KEYWARD_BIN" sealed-env adopt --passphrase-file "$PASSFILE"
expect_exit 2 env -u KEYWARD_FIDO2_PIN setsid -w "$KEYWARD_BIN" sealed-env mint-deploy --ttl 30 --keyward --passphrase-file "$PASSFILE"
expect_contains "$ERR" "FIDO2 PIN"
printf '4321hwsim\n' >"$TMP/fpin"
expect_exit 0 kw sealed-env mint-deploy --ttl 30 --keyward --passphrase-file "$PASSFILE" --fido2-pin-file "$TMP/fpin"
[[ $OUT == sealed_env_d_* ]] || fail "enterprise deploy token shape: $OUT"
expect_contains "$ERR" "verify (PIN) and touch your FIDO2 key"
expect_not_contains "$ERR" "TOTP"
echo "fido_sealed_env: ok"
