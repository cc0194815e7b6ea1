#!/usr/bin/env bash
# keyward sealed-env: every subcommand end to end (success and failure paths, exit codes from
# docs/exit-codes.md), plus the public vectors through the CLI.
set -uo pipefail
KW=${KEYWARD_BIN:?}
SRC=${KEYWARD_SOURCE_DIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
fails=0
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

printf 'API_KEY=abc123\nDB_URL="postgres://x y"\n' > .env

# init
expect 0 "init basic" -- "$KW" sealed-env init --kdf scrypt --from .env
TOK=$(cat "$T/out")
[[ "$TOK" == sealed_env_b_* ]] || { echo "FAIL: init token shape"; fails=$((fails+1)); }
grep -q '"deploy_mode": "static"' .sealed-env.config.json || { echo "FAIL: basic config default"; fails=$((fails+1)); }
head -1 .env.sealed | grep -qx 'SEALED-ENV-V1 MODE=basic' || { echo "FAIL: magic"; fails=$((fails+1)); }
expect 7 "init refuses to overwrite" -- "$KW" sealed-env init --kdf scrypt
expect 2 "init bad mode" -- "$KW" sealed-env init --mode premium --file other.sealed

# decrypt
# No credential given: exit 2, as for the vault (issue 18); a wrong one is 5.
SEALED_ENV_TOKEN= expect 2 "decrypt with no credentials" -- "$KW" sealed-env decrypt --stdout
grep -q SEALED_ENV_TOKEN "$T/err" || { echo "FAIL: no-credentials message names SEALED_ENV_TOKEN"; fails=$((fails+1)); }
export SEALED_ENV_TOKEN=$TOK
expect 2 "decrypt refuses without --stdout" -- "$KW" sealed-env decrypt
expect 0 "decrypt --stdout" -- "$KW" sealed-env decrypt --stdout
cmp -s "$T/out" .env || { echo "FAIL: decrypt output differs"; fails=$((fails+1)); }

# get
expect 0 "get" -- "$KW" sealed-env get DB_URL
[ "$(cat "$T/out")" = "postgres://x y" ] || { echo "FAIL: get value"; fails=$((fails+1)); }
expect 6 "get missing key" -- "$KW" sealed-env get NOPE

# exec
expect 0 "exec injects" -- "$KW" sealed-env exec -- sh -c 'test "$API_KEY" = abc123 && test -z "${SEALED_ENV_TOKEN:-}"'
expect 3 "exec passes the child's exit code" -- "$KW" sealed-env exec -- sh -c 'exit 3'

# diff
printf 'API_KEY=changed\nNEW=1\n' > .env.new
expect 0 "diff" -- "$KW" sealed-env diff .env.new
grep -qx '~ API_KEY' "$T/out" && grep -qx -- '- DB_URL' "$T/out" && grep -qx '+ NEW' "$T/out" \
  || { echo "FAIL: diff output"; cat "$T/out"; fails=$((fails+1)); }
grep -q changed "$T/out" && { echo "FAIL: diff printed a value"; fails=$((fails+1)); }

# token inspect / mint
expect 0 "token inspect" -- "$KW" sealed-env token inspect
grep -q 'mode: b' "$T/out" || { echo "FAIL: inspect mode"; fails=$((fails+1)); }
SEALED_ENV_TOKEN=sealed_env_b_0000_AAAA expect 3 "token inspect bad checksum" -- "$KW" sealed-env token inspect
grep -q 'checksum-mismatch' "$T/err" || { echo "FAIL: cause shown"; fails=$((fails+1)); }
expect 0 "token mint (re-mint Tier A)" -- "$KW" sealed-env token mint
[ "$(cat "$T/out")" = "$TOK" ] || { echo "FAIL: re-minted token differs"; fails=$((fails+1)); }

# mint-deploy and Tier B decrypt
expect 2 "mint-deploy needs --ttl" -- "$KW" sealed-env mint-deploy
expect 9 "mint-deploy over the cap (60)" -- "$KW" sealed-env mint-deploy --ttl 61
grep -q 'ttl-cap' "$T/err" || { echo "FAIL: ttl-cap cause"; fails=$((fails+1)); }
expect 0 "mint-deploy --ttl 30" -- "$KW" sealed-env mint-deploy --ttl 30
DTOK=$(cat "$T/out")
[[ "$DTOK" == sealed_env_d_* ]] || { echo "FAIL: deploy token shape"; fails=$((fails+1)); }
SEALED_ENV_DEPLOY_TOKEN=$DTOK expect 0 "decrypt with deploy token (static: no warning)" -- "$KW" sealed-env decrypt --stdout
cmp -s "$T/out" .env || { echo "FAIL: Tier B plaintext"; fails=$((fails+1)); }
sed -i 's/"static"/"ephemeral"/' .sealed-env.config.json
SEALED_ENV_DEPLOY_TOKEN=$DTOK expect 0 "ephemeral without backend warns" -- "$KW" sealed-env decrypt --stdout
[ "$(grep -c deploy-replay-disabled "$T/err")" = 1 ] || { echo "FAIL: one deploy-replay-disabled warning"; fails=$((fails+1)); }
sed -i 's/"allow_long_lived_for_dev": true/"allow_long_lived_for_dev": false/' .sealed-env.config.json
expect 9 "Tier A refused when allow_long_lived_for_dev is false" -- "$KW" sealed-env decrypt --stdout
sed -i 's/"deploy_mode": "ephemeral"/"deploy_mode": "workload-identity"/' .sealed-env.config.json
expect 3 "workload-identity refused" -- "$KW" sealed-env decrypt --stdout
grep -q 'workload-identity-not-implemented' "$T/err" || { echo "FAIL: wi cause"; fails=$((fails+1)); }
rm .sealed-env.config.json

# tampering and format version through the CLI: the opaque error, V2 refusal
cp .env.sealed good.sealed
sed -i '1s/V1/V2/' .env.sealed
expect 3 "V2 refused" -- "$KW" sealed-env decrypt --stdout
grep -q 'file format too new' "$T/err" || { echo "FAIL: too-new message"; fails=$((fails+1)); }
cp good.sealed .env.sealed
sed -i 's/^KDF=scrypt$/KDF =scrypt/' .env.sealed
expect 4 "damaged header is the opaque error" -- "$KW" sealed-env decrypt --stdout
expect 9 "doctor names the header problem" -- "$KW" sealed-env doctor
grep -q 'line 2' "$T/out" || { echo "FAIL: doctor detail"; cat "$T/out"; fails=$((fails+1)); }
cp good.sealed .env.sealed
# tamper: bytes flipped across header, salt, nonce and body -> exit 4, nothing on stdout
size=$(stat -c %s good.sealed)
for pos in 3 30 45 70 100 $((size / 2)) $((size - 30)) $((size - 2)); do
  python3 -c "import sys; b=bytearray(open('good.sealed','rb').read()); b[$pos]^=1; open('.env.sealed','wb').write(b)"
  "$KW" sealed-env decrypt --stdout >"$T/out" 2>"$T/err"; rc=$?
  if [ "$rc" != 4 ] || [ -s "$T/out" ]; then echo "FAIL: tamper at byte $pos: exit $rc"; fails=$((fails+1)); fi
done
echo "ok: tamper walk sample through the CLI"
cp good.sealed .env.sealed

# rotate: new token opens, old does not
expect 0 "rotate" -- "$KW" sealed-env rotate
NEWTOK=$(cat "$T/out")
grep -q '^ROTATED=' .env.sealed || { echo "FAIL: ROTATED line"; fails=$((fails+1)); }
expect 4 "old token after rotate" -- "$KW" sealed-env decrypt --stdout
SEALED_ENV_TOKEN=$NEWTOK expect 0 "new token after rotate" -- "$KW" sealed-env decrypt --stdout
cmp -s "$T/out" .env || { echo "FAIL: plaintext after rotate"; fails=$((fails+1)); }
export SEALED_ENV_TOKEN=$NEWTOK

# encrypt
expect 7 "encrypt refuses to overwrite" -- "$KW" sealed-env encrypt --kdf scrypt
expect 0 "encrypt --force" -- "$KW" sealed-env encrypt --kdf scrypt --force --in .env.new
expect 0 "decrypt after encrypt" -- "$KW" sealed-env get NEW
printf 'A=a#b\n' > bad.env
expect 3 "encrypt refuses a plaintext npm dotenv reads differently" -- "$KW" sealed-env encrypt --kdf scrypt --force --in bad.env

# public vectors through the CLI (legacy variables, warning once)
V=$SRC/test-vectors/sealed-env-v1
python3 -c "import json,sys; print(json.load(open('$V/node-basic.json'))['serialized'], end='')" > node.sealed
unset SEALED_ENV_TOKEN
export SEALED_ENV_KEY=$(printf 'aa%.0s' $(seq 32)) SEALED_ENV_SIGNING_KEY=$(printf 'bb%.0s' $(seq 32)) SEALED_ENV_TOTP_SECRET=$(printf 'cc%.0s' $(seq 20))
expect 0 "legacy variables decrypt node-basic.json" -- "$KW" sealed-env decrypt --stdout --file node.sealed
[ "$(grep -c legacy-credential-format "$T/err")" = 1 ] || { echo "FAIL: one legacy warning"; fails=$((fails+1)); }
printf 'API_KEY=cross-stack\nDB_URL=postgres://prod\n' | cmp -s - "$T/out" || { echo "FAIL: node-basic plaintext"; fails=$((fails+1)); }
expect 0 "token mint migrates legacy variables" -- "$KW" sealed-env token mint --file node.sealed --mode t
TEAMTOK=$(python3 -c "import json; print(json.load(open('$V/credential-modernization-team-valid.json'))['token'])")
[ "$(cat "$T/out")" = "$TEAMTOK" ] || { echo "FAIL: migrated token != team-valid fixture"; fails=$((fails+1)); }
unset SEALED_ENV_KEY SEALED_ENV_SIGNING_KEY SEALED_ENV_TOTP_SECRET
for n in basic-valid team-valid enterprise-valid future-fields-ignored; do
  SEALED_ENV_TOKEN=$(python3 -c "import json; print(json.load(open('$V/credential-modernization-$n.json'))['token'])") \
    expect 0 "vector $n via the CLI" -- "$KW" sealed-env decrypt --stdout --file node.sealed
done
SEALED_ENV_TOKEN=$(python3 -c "import json; print(json.load(open('$V/credential-modernization-wrong-checksum.json'))['token'])") \
  expect 3 "vector wrong-checksum via the CLI" -- "$KW" sealed-env decrypt --stdout --file node.sealed

# enterprise: init, TOTP-gated mint-deploy (code from stdin), unseal token
mkdir ent && cd ent
expect 0 "init enterprise" -- "$KW" sealed-env init --mode enterprise --kdf scrypt --from ../.env
ETOK=$(cat "$T/out")
grep -q '"deploy_mode": "ephemeral"' .sealed-env.config.json && grep -q '"require_totp_on_mint": true' .sealed-env.config.json \
  || { echo "FAIL: enterprise config defaults"; fails=$((fails+1)); }
export SEALED_ENV_TOKEN=$ETOK
TOTP_HEX=$(python3 - "$ETOK" <<'PY'
import sys, base64
t = sys.argv[1].split('_', 4)[4]
raw = base64.urlsafe_b64decode(t + '=' * (-len(t) % 4))
i = raw.index(b'\x61\x74\x54')  # "t": bstr(20)
print(raw[i + 3:i + 23].hex())
PY
)
code() { python3 -c "
import hmac,struct,time,sys
k=bytes.fromhex('$TOTP_HEX'); c=int(time.time())//30
h=hmac.new(k,struct.pack('>Q',c),'sha1').digest(); o=h[-1]&15
print('%06d'%((struct.unpack('>I',h[o:o+4])[0]&0x7fffffff)%1000000))"; }
echo 000000 > wrong.code
expect 5 "mint-deploy with a wrong TOTP code" -- sh -c "'$KW' sealed-env mint-deploy --ttl 30 < wrong.code"
code > good.code
expect 0 "mint-deploy with the TOTP code" -- sh -c "'$KW' sealed-env mint-deploy --ttl 30 < good.code"
expect 0 "enterprise Tier A decrypt (e token)" -- "$KW" sealed-env decrypt --stdout
code > good.code
expect 0 "token mint --unseal" -- sh -c "'$KW' sealed-env token mint --unseal --ttl 120 < good.code"
USL=$(cat "$T/out")
[[ "$USL" == usl_* ]] || { echo "FAIL: usl shape"; fails=$((fails+1)); }
TTOK=$(SEALED_ENV_TOKEN=$ETOK "$KW" sealed-env token mint --mode t)
SEALED_ENV_TOKEN=$TTOK expect 5 "enterprise file with a t token and no unseal token" -- "$KW" sealed-env decrypt --stdout
SEALED_ENV_TOKEN=$TTOK SEALED_ENV_UNSEAL_TOKEN=$USL expect 0 "enterprise file with t token + unseal token" -- "$KW" sealed-env decrypt --stdout
grep -q legacy-credential-format "$T/err" || { echo "FAIL: usl_ form warns as legacy"; fails=$((fails+1)); }
code > good.code
expect 2 "unseal lifetime over 600 refused" -- sh -c "'$KW' sealed-env token mint --unseal --ttl 601 < good.code"
cd ..

echo "failures: $fails"
[ "$fails" = 0 ]
