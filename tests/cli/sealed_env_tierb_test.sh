#!/usr/bin/env bash
# keyward sealed-env, issue 17: a deploy token alone decrypts (Tier B on its own); Tier B still
# verifies the team HMAC and the enterprise epoch; minting requirements come from the
# authenticated file, not from .sealed-env.config.json; malformed usl_ headers are errors, not
# aborts; oversized KDF parameters are refused before any KDF; keyward 0.1 HMAC files are read
# with a warning and re-sealed in the Node form; keyward's files verify with the independent
# Python implementation and the Python-written files decrypt with keyward.
set -uo pipefail
KW=${KEYWARD_BIN:?}
SRC=${KEYWARD_SOURCE_DIR:?}
PY=/usr/bin/python3
TOOL=$SRC/tests/sealedenv/token_tool.py
GEN=$SRC/tests/sealedenv/gen_own_vectors.py
$PY -c 'import cryptography' 2>/dev/null || { echo "python3-cryptography missing: skipped"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
expect() {  # expect CODE DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >"$T/out" 2>"$T/err"; local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, want $want"; sed 's/^/  stderr: /' "$T/err"; fails=$((fails+1))
  else
    echo "ok: $what"
  fi
}
unset SEALED_ENV_TOKEN SEALED_ENV_KEY SEALED_ENV_SIGNING_KEY SEALED_ENV_TOTP_SECRET SEALED_ENV_UNSEAL_TOKEN SEALED_ENV_DEPLOY_TOKEN
printf 'API_KEY=tier-b-value\nDB_URL="postgres://x y"\n' > plain.env

# ---- team: Tier B on its own
mkdir team && cd team
TTOK=$("$KW" -q sealed-env init --mode team --kdf scrypt --from ../plain.env)
SEALED_ENV_TOKEN=$TTOK expect 0 "mint-deploy (team)" -- "$KW" sealed-env mint-deploy --ttl 30
DTOK=$(cat "$T/out")
grep -q 'derived key' "$T/err" && grep -q 'offline' "$T/err" || fail "mint-deploy says the token carries the derived key"
SEALED_ENV_DEPLOY_TOKEN=$DTOK expect 0 "deploy token alone decrypts a team file" -- "$KW" sealed-env decrypt --stdout
cmp -s "$T/out" ../plain.env || fail "Tier B plaintext"
SEALED_ENV_DEPLOY_TOKEN=$DTOK expect 0 "deploy token alone: exec" -- "$KW" sealed-env exec -- sh -c 'test "$API_KEY" = tier-b-value'
# Zeroed HMAC: refused (opaque), nothing on stdout.
cp .env.sealed good.sealed
sed -i 's|^HMAC=.*|HMAC=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=|' .env.sealed
SEALED_ENV_DEPLOY_TOKEN=$DTOK expect 4 "Tier B refuses a team file whose HMAC was zeroed" -- "$KW" sealed-env decrypt --stdout
[ -s "$T/out" ] && fail "output on a refused decrypt"
cp good.sealed .env.sealed
# A token without keyward's HMAC key (as another implementation mints it): refused clearly.
NODETOK=$($PY "$TOOL" strip-ext "$DTOK")
SEALED_ENV_DEPLOY_TOKEN=$NODETOK expect 5 "team file + deploy token without an HMAC key: refused" -- "$KW" sealed-env decrypt --stdout
grep -q HMAC "$T/err" || fail "the refusal names the HMAC"
SEALED_ENV_TOKEN=$TTOK SEALED_ENV_DEPLOY_TOKEN=$NODETOK expect 0 "... accepted with the signing key next to it" -- "$KW" sealed-env decrypt --stdout
# A deploy token cannot mint, and writes need Tier A.
SEALED_ENV_DEPLOY_TOKEN=$DTOK expect 5 "mint-deploy with a deploy token is refused" -- "$KW" sealed-env mint-deploy --ttl 30
# --file names the sealed file; the old --vault alias is gone from mint-deploy's options.
"$KW" sealed-env mint-deploy --help > "$T/help" 2>&1
grep -q -- '--file' "$T/help" || fail "mint-deploy --help lists --file"
grep -- '--vault' "$T/help" | grep -qi 'sealed' && fail "mint-deploy --vault still means the sealed file"
# Python verifies what keyward wrote (Node HMAC rule).
$PY "$GEN" verify .env.sealed "$TTOK" > "$T/py.out" 2>"$T/py.err" && cmp -s "$T/py.out" ../plain.env \
  || { fail "python verify of keyward's team file"; cat "$T/py.err"; }
cd ..

# ---- enterprise: TOTP on mint from the file's mode, epoch in the deploy token
mkdir ent && cd ent
ETOK=$("$KW" -q sealed-env init --mode enterprise --kdf scrypt --from ../plain.env)
TOTP_HEX=$($PY - "$ETOK" <<'PY'
import sys, base64
t = sys.argv[1].split('_', 4)[4]
raw = base64.urlsafe_b64decode(t + '=' * (-len(t) % 4))
i = raw.index(b'\x61\x74\x54')
print(raw[i + 3:i + 23].hex())
PY
)
code() { $PY -c "
import hmac,struct,time
k=bytes.fromhex('$TOTP_HEX'); c=int(time.time())//30
h=hmac.new(k,struct.pack('>Q',c),'sha1').digest(); o=h[-1]&15
print('%06d'%((struct.unpack('>I',h[o:o+4])[0]&0x7fffffff)%1000000))"; }
# The attack: only the master key, and the side file edited to drop the TOTP requirement.
sed -i 's/"require_totp_on_mint": true/"require_totp_on_mint": false/' .sealed-env.config.json
BTOK=$(SEALED_ENV_TOKEN=$ETOK "$KW" sealed-env token mint --mode b)
SEALED_ENV_TOKEN=$BTOK expect 5 "enterprise mint with only the master key (config edited) is refused" -- sh -c "'$KW' sealed-env mint-deploy --ttl 30 < /dev/null"
[ -s "$T/out" ] && fail "a token was printed"
SEALED_ENV_TOKEN=$ETOK expect 18 "enterprise mint still asks for the TOTP code (config edited)" -- sh -c "'$KW' sealed-env mint-deploy --ttl 30 < /dev/null"
echo 000000 > wrong.code
SEALED_ENV_TOKEN=$ETOK expect 5 "enterprise mint with a wrong code" -- sh -c "'$KW' sealed-env mint-deploy --ttl 30 < wrong.code"
code > good.code
SEALED_ENV_TOKEN=$ETOK expect 0 "enterprise mint with the code" -- sh -c "'$KW' sealed-env mint-deploy --ttl 30 < good.code"
EDTOK=$(cat "$T/out")
SEALED_ENV_DEPLOY_TOKEN=$EDTOK expect 0 "deploy token alone decrypts an enterprise file" -- "$KW" sealed-env decrypt --stdout
cmp -s "$T/out" ../plain.env || fail "enterprise Tier B plaintext"
SEALED_ENV_DEPLOY_TOKEN=$($PY "$TOOL" strip-ext "$EDTOK") expect 5 "enterprise file + token without the epoch: refused" -- "$KW" sealed-env decrypt --stdout
# The TOTP secret itself never travels in the deploy token.
$PY "$TOOL" field "$EDTOK" x-kw-epoch | grep -qi "$TOTP_HEX" && fail "TOTP secret in the deploy token"
$PY -c "import sys; sys.exit(0 if '$TOTP_HEX' not in '$($PY -c "import base64,sys; t='$EDTOK'.split('_',4)[4]; print(base64.urlsafe_b64decode(t+'='*(-len(t)%4)).hex())")' else 1)" \
  || fail "TOTP secret bytes in the deploy token"
cd ..

# ---- malformed usl_ headers: error values (exit 3), never an abort (134)
b64u() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
PAYLOAD=$(b64u '{"iss":"sealed-env-cli","iat":1,"exp":2,"epoch":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","deploy_id":null,"ops_id":"x"}')
SIG=$(b64u 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')
cd ent
for h in '{"alg":5}' '{"alg":"HS256","typ":null}' '{"alg":[1],"typ":{}}' '5' 'null'; do
  USL="usl_$(b64u "$h").$PAYLOAD.$SIG"
  SEALED_ENV_TOKEN=$USL expect 3 "token inspect with usl_ header $h" -- "$KW" sealed-env token inspect
  SEALED_ENV_TOKEN=$TTOK SEALED_ENV_UNSEAL_TOKEN=$USL expect 3 "decrypt with usl_ header $h" -- "$KW" sealed-env decrypt --stdout
done
cd ..

# ---- KDF parameters above keyward's limits: refused clearly before any KDF
mkdir kdf && cd kdf
BT=$("$KW" -q sealed-env init --kdf scrypt --from ../plain.env)
sed -i 's/^KDF=scrypt$/KDF=argon2id/; s/^KDF-PARAMS=.*/KDF-PARAMS=t=1024,m=4194304,p=255/' .env.sealed
SEALED_ENV_TOKEN=$BT expect 3 "Argon2id t=1024, 4 GiB, p=255 refused" -- "$KW" sealed-env decrypt --stdout
grep -q "exceed keyward's limits" "$T/err" || fail "the refusal names the limits"
sed -i 's/^KDF=argon2id$/KDF=scrypt/; s/^KDF-PARAMS=.*/KDF-PARAMS=N=1073741824,r=8,p=1/' .env.sealed
SEALED_ENV_TOKEN=$BT expect 3 "scrypt N=2^30 refused" -- "$KW" sealed-env decrypt --stdout
SEALED_ENV_TOKEN=$BT expect 3 "mint-deploy refuses it too" -- "$KW" sealed-env mint-deploy --ttl 30
cd ..

# ---- files from the independent Python implementation (Node rule) decrypt with keyward
V=$SRC/test-vectors/sealed-env-own
for n in team-argon2id team-scrypt enterprise-argon2id enterprise-scrypt; do
  $PY -c "import json; v=json.load(open('$V/$n.json')); open('$n.sealed','w').write(v['serialized'])"
  SEALED_ENV_TOKEN=$($PY -c "import json; print(json.load(open('$V/$n.json'))['tier_a_token'])") \
    expect 0 "python-written $n decrypts" -- "$KW" sealed-env decrypt --stdout --file $n.sealed
  grep -q 'API_KEY=own-vector' "$T/out" || fail "$n plaintext"
  [ -s "$T/err" ] && fail "$n: unexpected warning: $(cat "$T/err")"
done

# ---- a keyward 0.1 file: read with one warning; any write re-seals it in the Node form
mkdir legacy && cd legacy
$PY -c "import json; v=json.load(open('$V/keyward01-team-scrypt.json')); open('.env.sealed','w').write(v['serialized'])"
export SEALED_ENV_TOKEN=$($PY -c "import json; print(json.load(open('$V/keyward01-team-scrypt.json'))['tier_a_token'])")
$PY "$GEN" verify .env.sealed "$SEALED_ENV_TOKEN" >/dev/null 2>&1 && fail "python accepts the keyward 0.1 HMAC form"
expect 0 "keyward 0.1 file decrypts" -- "$KW" sealed-env decrypt --stdout
[ "$(grep -c 'legacy-hmac' "$T/err")" = 1 ] || fail "one legacy-hmac warning"
grep -q 'rotate' "$T/err" || fail "the warning says how to re-seal"
expect 0 "set re-seals it" -- "$KW" sealed-env set ADDED <<< new
expect 0 "decrypt after the re-seal" -- "$KW" sealed-env decrypt --stdout
grep -q legacy-hmac "$T/err" && fail "still the legacy form after a write"
$PY "$GEN" verify .env.sealed "$SEALED_ENV_TOKEN" > "$T/py.out" 2>"$T/py.err" && grep -qx 'ADDED=new' "$T/py.out" \
  || { fail "python verifies the re-sealed file"; cat "$T/py.err"; }
unset SEALED_ENV_TOKEN
cd ..

echo "failures: $fails"
[ "$fails" = 0 ]
