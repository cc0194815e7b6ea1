#!/usr/bin/env bash
# Deploy-token replay protection against a real redis-server (spec §12.7 step 7, §12.8):
# one token presented by 16 concurrent processes -> exactly one success (SET NX EX is atomic),
# 15 replays (exit 14); redis down -> fail closed (replay-cache-unavailable, exit 15).
set -uo pipefail
KW=${KEYWARD_BIN:?}
SRC=${KEYWARD_SOURCE_DIR:?}
T=$(mktemp -d)
source "$SRC/tests/sealedenv/redis_fixture.sh"
trap 'redis_stop; rm -rf "$T"' EXIT
cd "$T"
unset SEALED_ENV_KEY SEALED_ENV_SIGNING_KEY SEALED_ENV_TOTP_SECRET SEALED_ENV_UNSEAL_TOKEN SEALED_ENV_DEPLOY_TOKEN
fails=0
printf 'API_KEY=replay-test\n' > .env
export SEALED_ENV_TOKEN=$("$KW" -q sealed-env init --mode team --kdf scrypt --from .env)
cat > .sealed-env.config.json <<JSON
{
  "deploy_mode": "ephemeral",
  "deploy_ttl_max_seconds": 120,
  "nonce_state_backend": "redis://127.0.0.1:$REDIS_PORT",
  "some_future_field": true
}
JSON
export SEALED_ENV_DEPLOY_TOKEN=$("$KW" sealed-env mint-deploy --ttl 120)
codes=$(bash "$SRC/tests/sealedenv/concurrent_replay.sh" 16 .env.sealed | sort | uniq -c | awk '{print $2":"$1}' | tr '\n' ' ')
echo "exit codes (code:count): $codes"
[ "$codes" = "0:1 14:15 " ] || { echo "FAIL: want exactly one success and 15 replays"; fails=$((fails+1)); }
# The key carries a TTL of at most the token's remaining lifetime.
key=$(redis-cli -p "$REDIS_PORT" --scan --pattern 'sealed-env:v1:deploy-nonce:*' | head -1)
ttl=$(redis-cli -p "$REDIS_PORT" ttl "$key")
{ [ "$ttl" -ge 1 ] && [ "$ttl" -le 120 ]; } || { echo "FAIL: nonce TTL $ttl"; fails=$((fails+1)); }
# A fresh token works once more.
export SEALED_ENV_DEPLOY_TOKEN=$("$KW" sealed-env mint-deploy --ttl 60)
"$KW" sealed-env decrypt --stdout >/dev/null 2>&1 || { echo "FAIL: fresh token"; fails=$((fails+1)); }
# Attack regressions (issue 17): a forged token never touches the cache.
PY=/usr/bin/python3
TOOL=$SRC/tests/sealedenv/token_tool.py
if $PY -c 'import cryptography' 2>/dev/null; then
  REAL=$("$KW" sealed-env mint-deploy --ttl 120 2>/dev/null)
  FORGED=$($PY "$TOOL" forge-sig "$REAL")
  # With the master key present: a random sig and the real nonce fail at the signature ...
  SEALED_ENV_DEPLOY_TOKEN=$FORGED "$KW" sealed-env decrypt --stdout >out 2>err; rc=$?
  { [ "$rc" = 5 ] && grep -q '(sig)' err; } || { echo "FAIL: forged sig: exit $rc"; cat err; fails=$((fails+1)); }
  # ... and the real token is not burnt.
  SEALED_ENV_DEPLOY_TOKEN=$REAL "$KW" sealed-env decrypt --stdout >/dev/null 2>err \
    || { echo "FAIL: the real token was burnt by a forged one"; cat err; fails=$((fails+1)); }
  # A deploy holding only the token: a forged ek (with the real nonce) fails before the cache.
  REAL=$("$KW" sealed-env mint-deploy --ttl 120 2>/dev/null)
  FORGED=$($PY - "$REAL" "$TOOL" <<'PYEOF'
import os, sys
sys.path.insert(0, os.path.dirname(sys.argv[2]))
import token_tool as t, gen_own_vectors as g
mode, d = t.decode(sys.argv[1])
d["ek"] = os.urandom(32); d["sig"] = os.urandom(32)
print(g.token(mode, d))
PYEOF
)
  (unset SEALED_ENV_TOKEN; SEALED_ENV_DEPLOY_TOKEN=$FORGED "$KW" sealed-env decrypt --stdout >out 2>err); rc=$?
  [ "$rc" = 4 ] || { echo "FAIL: forged ek alone: exit $rc"; cat err; fails=$((fails+1)); }
  (unset SEALED_ENV_TOKEN; SEALED_ENV_DEPLOY_TOKEN=$REAL "$KW" sealed-env decrypt --stdout >/dev/null 2>err) \
    || { echo "FAIL: token alone: the real token was burnt"; cat err; fails=$((fails+1)); }
  (unset SEALED_ENV_TOKEN; SEALED_ENV_DEPLOY_TOKEN=$REAL "$KW" sealed-env decrypt --stdout >/dev/null 2>err); rc=$?
  [ "$rc" = 14 ] || { echo "FAIL: token alone: second use exit $rc, want 14 (replay)"; fails=$((fails+1)); }
  # A correctly signed token claiming exp 10^11 s ahead: the cache entry lives at most 600 s.
  BIG=$($PY "$TOOL" resign "$("$KW" sealed-env mint-deploy --ttl 60 2>/dev/null)" "$SEALED_ENV_TOKEN" .env.sealed +100000000000)
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  SEALED_ENV_DEPLOY_TOKEN=$BIG "$KW" sealed-env decrypt --stdout >/dev/null 2>err || { echo "FAIL: far-exp token"; cat err; fails=$((fails+1)); }
  key=$(redis-cli -p "$REDIS_PORT" --scan --pattern 'sealed-env:v1:deploy-nonce:*' | head -1)
  ttl=$(redis-cli -p "$REDIS_PORT" ttl "$key")
  { [ "$ttl" -ge 1 ] && [ "$ttl" -le 600 ]; } || { echo "FAIL: cache TTL $ttl for a far-exp token (want <= 600)"; fails=$((fails+1)); }
  # Without the master key the same far-exp claim cannot be authenticated: refused.
  (unset SEALED_ENV_TOKEN; SEALED_ENV_DEPLOY_TOKEN=$BIG "$KW" sealed-env decrypt --stdout >/dev/null 2>err); rc=$?
  { [ "$rc" = 3 ] && grep -q '(lifetime)' err; } || { echo "FAIL: far-exp token alone: exit $rc"; cat err; fails=$((fails+1)); }
else
  echo "python3-cryptography missing: attack regressions skipped"
fi
# Redis unreachable: fail closed.
redis_stop
export SEALED_ENV_DEPLOY_TOKEN=$("$KW" sealed-env mint-deploy --ttl 60)
"$KW" sealed-env decrypt --stdout >out 2>err; rc=$?
[ "$rc" = 15 ] && grep -q replay-cache-unavailable err && [ ! -s out ] \
  || { echo "FAIL: redis down: exit $rc"; cat err; fails=$((fails+1)); }
echo "failures: $fails"
[ "$fails" = 0 ]
