#!/usr/bin/env bash
# Issue 16: unpack follows the high-record rule of `set`. A package's normal entry at a
# coordinate that is high in the vault never replaces it silently: `--dry-run` shows the tier of
# the record it would overwrite, and the import asks for the presence gate for that coordinate
# (refused: exit 12, nothing changed); passed, the value is replaced with a visible WARNING.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
FST=$HWSIM_STATE
D0="sim:$FST/fido0.sock"
for d in fido0 fido1; do ctl "$d" factory-reset; ctl "$d" auto-touch off; done
trap 'ctl fido0 auto-touch off; rm -rf "$TMP"' EXIT
export KEYWARD_FIDO2_DEVICES="$D0"
unset KEYWARD_FIDO2_PIN
fido_set_pin "$FST/fido0.sock" 4321hwsim  # UV-capable: the slot can hold the high key
A=$TMP/a.db
ka() { kw --vault "$A" "$@" --passphrase-file "$PASSFILE" </dev/null; }

# Receiver: the default vault, a FIDO2 slot, one high secret.
init_vault >/dev/null 2>&1
ctl fido0 auto-touch 50
expect_exit 0 kw slot add fido2 --device "$D0" --label fk --passphrase-file "$PASSFILE"
expect_exit 0 bash -c "printf 'high-original' | setsid -w '$KEYWARD_BIN' set dev/api/H1 --high --passphrase-file '$PASSFILE'"
ctl fido0 auto-touch off
expect_exit 0 kw pubkey --passphrase-file "$PASSFILE"
RB=$(grep '^age1' <<<"$OUT")

# Sender: a normal value at the same coordinate.
kw --vault "$A" init --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}" </dev/null >/dev/null 2>&1
printf 'normal-replacement' | kw --vault "$A" set dev/api/H1 --passphrase-file "$PASSFILE" 2>/dev/null
expect_exit 0 ka package --env dev --recipient "$RB" --out "$TMP/p.kpkg" --token-out "$TMP/p.tok"

expect_exit 0 kw unpack --in "$TMP/p.kpkg" --dry-run --passphrase-file "$PASSFILE"
expect_contains "$OUT" "dev/api/H1"$'\t'"normal"
expect_contains "$OUT" "exists (high)"

# The gate refused: nothing imported, the high value unchanged.
h=$(vault_hash)
kw unpack --in "$TMP/p.kpkg" --overwrite --passphrase-file "$PASSFILE" >"$TMP/bg.out" 2>"$TMP/bg.err" </dev/null &
BG=$!
ctl fido0 refuse 20000
bg_wait 12
expect_eq "$(vault_hash)" "$h"
ctl fido0 auto-touch 50
expect_exit 0 kw get dev/api/H1 --passphrase-file "$PASSFILE"
expect_eq "$OUT" "high-original"
ctl fido0 auto-touch off

# The gate passed: replaced, and said so.
kw unpack --in "$TMP/p.kpkg" --overwrite --passphrase-file "$PASSFILE" >"$TMP/bg.out" 2>"$TMP/bg.err" </dev/null &
BG=$!
ctl fido0 touch 20000
bg_wait 0
expect_contains "$ERR" "WARNING: dev/api/H1 was a high secret"
expect_exit 0 kw get dev/api/H1 --passphrase-file "$PASSFILE"
expect_eq "$OUT" "normal-replacement"
echo "fido_unpack_high: ok"
