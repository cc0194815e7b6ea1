#!/usr/bin/env bash
# keyward package / unpack / pubkey end to end with file identities (no hardware): the vault's
# package identity, age-keygen identities, tokens, lifetimes, prod, signatures, dry run,
# overwrite refusal, armor and QR, and "nothing imported" on every failure.
. "$(dirname "$0")/lib.sh"
require_tools age age-keygen ssh-keygen zbarimg

A=$TMP/a.db
B=$TMP/b.db
ka() { kw --vault "$A" "$@" --passphrase-file "$PASSFILE" </dev/null; }
kb() { kw --vault "$B" "$@" --passphrase-file "$PASSFILE" </dev/null; }
hash_b() { sha256sum "$B" | cut -d' ' -f1; }
kw --vault "$A" init --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}" </dev/null >/dev/null 2>&1
kw --vault "$B" init --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}" </dev/null >/dev/null 2>&1
printf 'https://api.example' | kw --vault "$A" set dev/api/URL --passphrase-file "$PASSFILE" 2>/dev/null
printf 'tok-123' | kw --vault "$A" set dev/api/TOKEN --passphrase-file "$PASSFILE" 2>/dev/null
printf 'aws-sm://eu-west-1/dev/db' | kw --vault "$A" set dev/db/PASSWORD --cloud-ref --passphrase-file "$PASSFILE" 2>/dev/null
printf 'other' | kw --vault "$A" set staging/api/URL --passphrase-file "$PASSFILE" 2>/dev/null

# The receiver's recipient string: made on first use, stable afterwards, a recipients file.
expect_exit 0 kb pubkey
expect_contains "$OUT" "# keyward package identity"
expect_contains "$ERR" "Created the package identity"
printf '%s\n' "$OUT" >"$TMP/b.pub"
expect_exit 0 kb pubkey
expect_eq "$OUT" "$(cat "$TMP/b.pub")"
RB=$(grep '^age1' "$TMP/b.pub")
# --json (docs/json.md): the same recipient, as data.
expect_exit 0 kb pubkey --json
/usr/bin/python3 -c '
import json, sys
j = json.loads(sys.argv[1])
assert [e["kind"] for e in j] == ["package-identity"], j
assert j[0]["recipient"] == sys.argv[2] and j[0]["vault"].endswith("b.db"), j' "$OUT" "$RB" || fail "pubkey --json: $OUT"
expect_exit 2 kb pubkey --json --qr

# Production (and keyward's own env) are refused before anything is read.
expect_exit 9 ka package --env prod --recipient "$RB" --out "$TMP/p.kpkg" --token-out "$TMP/p.tok"
expect_contains "$ERR" "never"
expect_exit 9 ka package --env production --recipient "$RB" --out "$TMP/p.kpkg" --token-out "$TMP/p.tok"
expect_exit 9 ka package --env keyward.internal --recipient "$RB" --out "$TMP/p.kpkg" --token-out "$TMP/p.tok"
[[ ! -e $TMP/p.kpkg && ! -e $TMP/p.tok ]] || fail "a refused package left files behind"
# keyward's own keys (the package identity made by `pubkey` in vault B) are not secrets: the
# secret commands refuse the reserved env and `list` hides it.
kb() { kw --vault "$B" "$@" --passphrase-file "$PASSFILE" </dev/null; }
expect_exit 9 kb get keyward.internal/package/IDENTITY
expect_eq "$OUT" ""
expect_exit 9 kb export --env keyward.internal
expect_exit 9 kb run --env keyward.internal -- true
expect_exit 9 kb rm keyward.internal/package/IDENTITY
expect_exit 0 kb list
if grep -q "keyward.internal" <<<"$OUT"; then fail "list shows keyward.internal"; fi
expect_exit 2 ka package --env dev --recipient "$RB" --out "$TMP/same" --token-out "$TMP/same"
expect_exit 3 ka package --env dev --recipient age1notarecipient --out "$TMP/x" --token-out "$TMP/y"
expect_exit 2 ka package --env dev --recipient "$RB" --out "$TMP/x" --token-out "$TMP/y" --ttl 31d

# Seal with the recipients file; the token warning is printed.
expect_exit 0 ka package --env dev --recipient "$TMP/b.pub" --out "$TMP/dev.kpkg" --token-out "$TMP/dev.token"
expect_contains "$ERR" "Sealed 3 secret(s) (0 high) from env \`dev\`"
expect_contains "$ERR" "SEPARATE channel"
expect_contains "$ERR" "This package has no high entries: the token is not needed to open it"
expect_contains "$ERR" "expires in 24h"
[[ $(stat -c %a "$TMP/dev.token") == 600 ]] || fail "token file is not private"
! grep -q 'tok-123' "$TMP/dev.kpkg" || fail "plaintext in the package"
# Issue 18: the token is armored text by default (--binary: the compact form, still read back);
# an existing output is refused before the vault is opened (no prompt, no touch).
expect_eq "$(head -n 1 "$TMP/dev.token")" "-----BEGIN KEYWARD ACCESS TOKEN-----"
expect_exit 7 env KEYWARD_PASSPHRASE=wrong "$KEYWARD_BIN" --vault "$A" package --env dev --recipient "$RB" --out "$TMP/dev.kpkg" --token-out "$TMP/dev3.token"
expect_contains "$ERR" "dev.kpkg exists"
expect_exit 0 ka package --env dev --recipient "$RB" --out "$TMP/bin.kpkg" --token-out "$TMP/bin.token" --binary
[[ $(head -c 5 "$TMP/bin.token") != "-----" ]] || fail "--binary wrote an armored token"
expect_exit 0 kb unpack --in "$TMP/bin.kpkg" --token "$TMP/bin.token" --dry-run
# A lifetime reads as a person would say it ("23h 59m", or "24h" within the same second).
grep -Eq 'expires in (24h|23h 59m)' <<<"$ERR" || fail "unreadable lifetime: $ERR"
expect_exit 7 ka package --env dev --recipient "$RB" --out "$TMP/dev.kpkg" --token-out "$TMP/dev2.token"
# Issue 18: no high entries, no token needed: --token-out may be left out, and none is made.
expect_exit 0 ka package --env dev --recipient "$RB" --out "$TMP/notok.kpkg"
expect_contains "$ERR" "No high entries, so no access token was made"
expect_not_contains "$ERR" "Access token ->"
expect_exit 0 kb unpack --in "$TMP/notok.kpkg" --dry-run
expect_contains "$OUT" "dev/api/URL"

# Dry run: coordinates, tiers, kinds and fingerprints; the vault is unchanged.
h=$(hash_b)
expect_exit 0 kb unpack --in "$TMP/dev.kpkg" --dry-run
DRY_OUT=$OUT DRY_ERR=$ERR
expect_exit 0 kb unpack --in "$TMP/dev.kpkg" --dry-run --json
/usr/bin/python3 -c '
import json, sys
j = json.loads(sys.argv[1])
assert j["env"] == "dev" and len(j["package_id"]) == 32 and j["signer"] is None, j
assert j["expires"] > j["created"] and j["trusted_signer"] is False, j
e = {x["coordinate"]: x for x in j["entries"]}
assert sorted(e) == ["dev/api/TOKEN", "dev/api/URL", "dev/db/PASSWORD"], e
assert e["dev/db/PASSWORD"]["kind"] == "cloud-ref" and e["dev/api/URL"]["tier"] == "normal", e
assert all(x["existing"] is None and not x["sealed"] and len(x["fingerprint"]) > 0 for x in e.values()), e
text = {l.split("\t")[0]: l.split("\t")[3] for l in sys.argv[2].splitlines()}
assert all(text[c] == x["fingerprint"] for c, x in e.items()), (text, e)' "$OUT" "$DRY_OUT" || fail "unpack --dry-run --json: $OUT"
expect_not_contains "$OUT" "tok-123"
OUT=$DRY_OUT ERR=$DRY_ERR
expect_contains "$OUT" "dev/api/URL"
expect_contains "$OUT" "dev/db/PASSWORD"$'\t'"normal"$'\t'"cloud-ref"
expect_not_contains "$OUT" "tok-123"
expect_not_contains "$OUT" "staging"
expect_contains "$ERR" "WARNING: this package is not signed"
expect_eq "$(hash_b)" "$h"

# Import: values, cloud reference kept as its address.
expect_exit 0 kb unpack --in "$TMP/dev.kpkg" --token "$TMP/dev.token"
expect_contains "$ERR" "Imported 3 secrets"
expect_eq "$(kb get dev/api/TOKEN)" "tok-123"
expect_exit 0 kb list --json
expect_contains "$OUT" "\"kind\": \"cloud-ref\""

# Again: existing secrets are not replaced without --overwrite (no terminal to ask on).
h=$(hash_b)
expect_exit 7 kb unpack --in "$TMP/dev.kpkg"
expect_contains "$ERR" "--overwrite"
expect_eq "$(hash_b)" "$h"
printf 'https://api.example/v2' | kw --vault "$A" set dev/api/URL --passphrase-file "$PASSFILE" 2>/dev/null
expect_exit 0 ka package --env dev --component api --recipient "$RB" --out "$TMP/api.kpkg" --token-out "$TMP/api.token"
expect_contains "$ERR" "Sealed 2 secret(s)"
# On a terminal it asks instead: "no" imports nothing (exit 18), "yes" replaces the values.
UNPACK_TTY=("$KEYWARD_BIN" --vault "$B" unpack --in "$TMP/api.kpkg" --passphrase-file "$PASSFILE")
h=$(hash_b)
printf 'Overwrite 2 existing secrets|n\n' >"$TMP/ow-no"
got=0; tty_run "$TMP/ow-no" "${UNPACK_TTY[@]}" || got=$?
expect_eq "$got" "18"
expect_contains "$OUT" "nothing imported"
expect_eq "$(hash_b)" "$h"
printf 'Overwrite 2 existing secrets|y\n' >"$TMP/ow-yes"
got=0; tty_run "$TMP/ow-yes" "${UNPACK_TTY[@]}" || got=$?
expect_eq "$got" "0"
expect_eq "$(kb get dev/api/URL)" "https://api.example/v2"
expect_eq "$(kb get dev/api/TOKEN)" "tok-123"

# Wrong identity, wrong token, tampering, truncation: clear errors, nothing imported.
new_identity
OTHER_ID=$IDENTITY_FILE
expect_exit 0 ka package --env staging --recipient "$RB" --out "$TMP/st.kpkg" --token-out "$TMP/st.token"
h=$(hash_b)
expect_exit 5 kb unpack --in "$TMP/st.kpkg" --package-identity "$OTHER_ID"
expect_contains "$ERR" "not addressed to"
expect_exit 5 kb unpack --in "$TMP/st.kpkg" --token "$TMP/dev.token"
expect_contains "$ERR" "another package"
printf 'garbage' >"$TMP/bad.token"
expect_exit 3 kb unpack --in "$TMP/st.kpkg" --token "$TMP/bad.token"
size=$(stat -c %s "$TMP/st.kpkg")
for off in 20 60 $((size / 2)) $((size - 1)); do
  cp "$TMP/st.kpkg" "$TMP/t.kpkg"
  # XOR, not overwrite: a fixed value equals the original byte one time in 256.
  byte=$(od -An -tu1 -j "$off" -N1 "$TMP/st.kpkg" | tr -d ' ')
  printf "$(printf '\\%03o' $((byte ^ 0x5A)))" | dd of="$TMP/t.kpkg" bs=1 seek="$off" conv=notrunc status=none
  ! cmp -s "$TMP/st.kpkg" "$TMP/t.kpkg" || fail "byte $off was not changed"
  code=0
  kb unpack --in "$TMP/t.kpkg" >/dev/null 2>"$TMP/t.err" || code=$?
  [[ $code == 3 || $code == 4 || $code == 5 ]] || fail "tampered byte $off: exit $code $(cat "$TMP/t.err")"
done
head -c $((size - 10)) "$TMP/st.kpkg" >"$TMP/t.kpkg"
expect_exit 4 kb unpack --in "$TMP/t.kpkg"
expect_eq "$(hash_b)" "$h"
expect_exit 6 kb get staging/api/URL

# An age-keygen identity as recipient and --package-identity file.
new_identity
expect_exit 0 ka package --env staging --recipient "$RECIPIENT" --out "$TMP/k.kpkg" --token-out "$TMP/k.token"
expect_exit 5 kb unpack --in "$TMP/k.kpkg"
# The envelope is a plain age file: the real age CLI opens it with the same identity.
age -d -i "$IDENTITY_FILE" -o "$TMP/k.payload" "$TMP/k.kpkg" || fail "age -d could not open the package envelope"
[[ -s $TMP/k.payload ]] || fail "empty payload from age -d"
expect_exit 0 kb unpack --in "$TMP/k.kpkg" --package-identity "$IDENTITY_FILE" --token "$TMP/k.token"
expect_eq "$(kb get staging/api/URL)" "other"

# An OpenSSH Ed25519 key as recipient (its .pub file) and identity (the private key file).
ssh-keygen -q -t ed25519 -N '' -C teammate -f "$TMP/ssh_id" </dev/null
expect_exit 0 ka package --env staging --recipient "$TMP/ssh_id.pub" --out "$TMP/ssh.kpkg" --token-out "$TMP/ssh.token"
expect_exit 0 kb unpack --in "$TMP/ssh.kpkg" --package-identity "$TMP/ssh_id" --dry-run
expect_contains "$OUT" "staging/api/URL"
# The former option names are refused with the new ones (and the vault's --identity-file named).
expect_exit 2 kb unpack --in "$TMP/ssh.kpkg" --identity "$TMP/ssh_id" --dry-run
expect_contains "$ERR" "--identity is now --package-identity FILE (the key the package was sealed to); --identity-file FILE unlocks the vault"
expect_exit 2 kb unpack --in "$TMP/ssh.kpkg" --identity-piv 20000002 --dry-run
expect_contains "$ERR" "--identity-piv is now --package-identity-piv SERIAL"

# Expiry: of the package, and of the token (recorded in the package; editing the file fails).
expect_exit 0 ka package --env staging --recipient "$RB" --out "$TMP/e.kpkg" --token-out "$TMP/e.token" --ttl 1s
expect_exit 0 ka package --env staging --recipient "$RB" --out "$TMP/et.kpkg" --token-out "$TMP/et.token" --ttl 1h --token-ttl 1s
# Wait for the expiry itself (dry runs import nothing), not for a guessed time.
for f in e et; do
  for _ in $(seq 1 100); do
    got=0; kb unpack --in "$TMP/$f.kpkg" --token "$TMP/$f.token" --dry-run >/dev/null 2>&1 || got=$?
    [[ $got == 13 ]] && break
    sleep 0.1
  done
done
expect_exit 13 kb unpack --in "$TMP/e.kpkg" --overwrite
expect_contains "$ERR" "expired"
expect_exit 13 kb unpack --in "$TMP/et.kpkg" --token "$TMP/et.token" --overwrite
expect_contains "$ERR" "access token expired"

# Signatures: --sign makes the sender key; --from requires it.
expect_exit 0 ka pubkey --signer
SIGNER=$(grep '^ssh-ed25519' <<<"$OUT")
printf '%s\n' "$SIGNER" >"$TMP/a.signer"
expect_exit 0 ka package --env staging --recipient "$RB" --out "$TMP/s.kpkg" --token-out "$TMP/s.token" --sign
expect_contains "$ERR" "Signed by $SIGNER"
expect_exit 0 kb unpack --in "$TMP/s.kpkg" --from "$TMP/a.signer" --overwrite
expect_not_contains "$ERR" "WARNING"
# The file `pubkey --signer` writes (with its comment line) is read back as it is (issue 18).
ka pubkey --signer >"$TMP/a-as-written.signer"
grep -q '^#' "$TMP/a-as-written.signer" || fail "pubkey --signer wrote no comment line (the check below means nothing)"
expect_exit 0 kb unpack --in "$TMP/s.kpkg" --from "$TMP/a-as-written.signer" --overwrite
expect_exit 0 kb pubkey --signer
printf '%s\n' "$(grep '^ssh-ed25519' <<<"$OUT")" >"$TMP/b.signer"
h=$(hash_b)
expect_exit 5 kb unpack --in "$TMP/s.kpkg" --from "$TMP/b.signer" --overwrite
expect_contains "$ERR" "not by the given sender"
expect_exit 5 kb unpack --in "$TMP/st.kpkg" --from "$TMP/a.signer" --overwrite
expect_contains "$ERR" "not signed"
expect_exit 6 kb unpack --in "$TMP/s.kpkg" --from "$TMP/nothere" --overwrite
expect_eq "$(hash_b)" "$h"

# Armor and QR codes (air gap).
expect_exit 0 ka package --env staging --recipient "$RB" --out "$TMP/a.age" --token-out "$TMP/a.tok" --armor --qr
expect_eq "$(head -n 1 "$TMP/a.age")" "-----BEGIN AGE ENCRYPTED FILE-----"
expect_eq "$(head -n 1 "$TMP/a.tok")" "-----BEGIN KEYWARD ACCESS TOKEN-----"
expect_contains "$OUT" "█"
# What a camera would read: the printed codes, turned back into images and decoded by zbarimg,
# give the armored package and the token byte for byte (first the package, then the token).
qr_decode() { # $1 = image -> the decoded text on stdout
  zbarimg -q --raw -Sdisable -Sqrcode.enable "$1" 2>/dev/null
}
expect_eq "$(printf '%s\n' "$OUT" | /usr/bin/python3 "$KEYWARD_SOURCE_DIR/tests/cli/qr_to_pbm.py" "$TMP/pq")" "2"
expect_eq "$(qr_decode "$TMP/pq-1.pbm")" "$(cat "$TMP/a.age")"
expect_eq "$(qr_decode "$TMP/pq-2.pbm")" "$(cat "$TMP/a.tok")"
expect_exit 0 kb unpack --in "$TMP/a.age" --token "$TMP/a.tok" --overwrite
expect_exit 0 kb pubkey --qr
expect_contains "$OUT" "▀"
expect_eq "$(printf '%s\n' "$OUT" | /usr/bin/python3 "$KEYWARD_SOURCE_DIR/tests/cli/qr_to_pbm.py" "$TMP/kq")" "1"
expect_eq "$(qr_decode "$TMP/kq-1.pbm")" "$RB"
expect_exit 2 ka package --env staging --recipient "$RB" --out "$TMP/q.age" --token-out "$TMP/q.tok" --qr
echo "package: ok"
