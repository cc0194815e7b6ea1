#!/usr/bin/env bash
# Issue 16, packages: a package is bound to its recipients and its time, and trust is explicit.
#  - forwarded: the recipient decrypts the envelope with the real `age -d` and re-encrypts the
#    unchanged payload to a third person with `age -e`; that person's unpack refuses it ("this
#    package was sealed for someone else"), even with --from naming the genuine sender;
#  - replayed: an older signed package from the same sender is refused after a newer one was
#    imported (a rotated value never goes back), unless --allow-older;
#  - unknown signer: a signature by a key --from did not name gets the same WARNING as an
#    unsigned package, with -q too; the unpack audit entry records package id, signer, trust.
. "$(dirname "$0")/lib.sh"
A=$TMP/a.db
B=$TMP/b.db
C=$TMP/c.db
ka() { kw --vault "$A" "$@" --passphrase-file "$PASSFILE" </dev/null; }
kb() { kw --vault "$B" "$@" --passphrase-file "$PASSFILE" </dev/null; }
kc() { kw --vault "$C" "$@" --passphrase-file "$PASSFILE" </dev/null; }
for v in "$A" "$B" "$C"; do
  kw --vault "$v" init --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}" </dev/null >/dev/null 2>&1
done
printf 'v1-old' | kw --vault "$A" set dev/api/TOKEN --passphrase-file "$PASSFILE" 2>/dev/null
expect_exit 0 ka pubkey --signer
printf '%s\n' "$(grep '^ssh-ed25519' <<<"$OUT")" >"$TMP/a.signer"

# B's recipient is an age-keygen identity, so the real age CLI can open B's envelope.
age-keygen -o "$TMP/b.key" 2>/dev/null
RB=$(age-keygen -y "$TMP/b.key")
age-keygen -o "$TMP/c.key" 2>/dev/null
RC=$(age-keygen -y "$TMP/c.key")

# ---- forwarded package
expect_exit 0 ka package --env dev --recipient "$RB" --out "$TMP/p1.kpkg" --token-out "$TMP/p1.tok" --sign
age -d -i "$TMP/b.key" -o "$TMP/payload" "$TMP/p1.kpkg" || fail "age -d could not open B's package"
age -e -r "$RC" -o "$TMP/forwarded.kpkg" "$TMP/payload" || fail "age -e failed"
h=$(sha256sum "$C" | cut -d' ' -f1)
expect_exit 8 kc unpack --in "$TMP/forwarded.kpkg" --package-identity "$TMP/c.key" --from "$TMP/a.signer"
expect_contains "$ERR" "this package was sealed for someone else"
expect_exit 8 kc unpack --in "$TMP/forwarded.kpkg" --package-identity "$TMP/c.key" --dry-run
expect_eq "$(sha256sum "$C" | cut -d' ' -f1)" "$h"
expect_exit 6 kc get dev/api/TOKEN
# The genuine package still opens for B.
expect_exit 0 kb unpack --in "$TMP/p1.kpkg" --package-identity "$TMP/b.key" --from "$TMP/a.signer"
expect_not_contains "$ERR" "WARNING"
expect_eq "$(kb get dev/api/TOKEN)" "v1-old"

# ---- replayed older package: the value was rotated, the old package must not put it back.
# (The creation time has a resolution of one second: wait until the clock has moved on.)
t0=$(date +%s); while [[ $(date +%s) == "$t0" ]]; do sleep 0.1; done
printf 'v2-rotated' | kw --vault "$A" set dev/api/TOKEN --passphrase-file "$PASSFILE" 2>/dev/null
expect_exit 0 ka package --env dev --recipient "$RB" --out "$TMP/p2.kpkg" --token-out "$TMP/p2.tok" --sign
expect_exit 0 kb unpack --in "$TMP/p2.kpkg" --package-identity "$TMP/b.key" --from "$TMP/a.signer" --overwrite
expect_eq "$(kb get dev/api/TOKEN)" "v2-rotated"
h=$(sha256sum "$B" | cut -d' ' -f1)
expect_exit 9 kb unpack --in "$TMP/p1.kpkg" --package-identity "$TMP/b.key" --from "$TMP/a.signer" --overwrite
expect_contains "$ERR" "older than one already imported from the same sender"
expect_contains "$ERR" "--allow-older"
expect_eq "$(sha256sum "$B" | cut -d' ' -f1)" "$h"
expect_eq "$(kb get dev/api/TOKEN)" "v2-rotated"
# Re-importing the newest one is not a replay.
expect_exit 0 kb unpack --in "$TMP/p2.kpkg" --package-identity "$TMP/b.key" --from "$TMP/a.signer" --overwrite
# Deliberately: --allow-older.
expect_exit 0 kb unpack --in "$TMP/p1.kpkg" --package-identity "$TMP/b.key" --from "$TMP/a.signer" --overwrite --allow-older
expect_eq "$(kb get dev/api/TOKEN)" "v1-old"
# ... and the newest time seen is kept: p1 is still older than p2.
expect_exit 9 kb unpack --in "$TMP/p1.kpkg" --package-identity "$TMP/b.key" --from "$TMP/a.signer" --overwrite

# ---- unknown signer: a random key's signature earns the same WARNING as none, -q or not.
R=$TMP/r.db
kw --vault "$R" init --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}" </dev/null >/dev/null 2>&1
printf 'evil' | kw --vault "$R" set dev/api/OTHER --passphrase-file "$PASSFILE" 2>/dev/null
expect_exit 0 kw --vault "$R" package --env dev --recipient "$RB" --out "$TMP/r.kpkg" \
  --token-out "$TMP/r.tok" --sign --passphrase-file "$PASSFILE" </dev/null
expect_exit 0 kb -q unpack --in "$TMP/r.kpkg" --package-identity "$TMP/b.key" --dry-run
expect_contains "$ERR" "WARNING: this package is signed by ssh-ed25519"
expect_contains "$ERR" "a key you did not name with --from"
expect_exit 0 kb unpack --in "$TMP/r.kpkg" --package-identity "$TMP/b.key"
expect_contains "$ERR" "WARNING"
# The audit entries record the package id, the signer and whether it was trusted.
expect_exit 0 kb audit --json
printf '%s' "$OUT" >"$TMP/audit.json"
/usr/bin/python3 - "$TMP/audit.json" "$(cut -d' ' -f2 "$TMP/a.signer")" <<'PYEOF'
import json, sys
entries = [e for e in json.load(open(sys.argv[1])) if e["op"] == "unpack" and e["outcome"] == "ok"]
assert entries, "no unpack entries"
last = entries[-1]["detail"]
assert "package=" in last and "signer=ssh-ed25519 " in last and "trusted=no" in last, last
trusted = [e["detail"] for e in entries if sys.argv[2] in e["detail"] and "trusted=yes" in e["detail"]]
assert trusted, [e["detail"] for e in entries]
for e in entries:
    assert all(not i["name"].startswith("keyward.internal") for i in e["items"]), e
PYEOF
echo "package_attack: ok"
