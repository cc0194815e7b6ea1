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
# Redis unreachable: fail closed.
redis_stop
export SEALED_ENV_DEPLOY_TOKEN=$("$KW" sealed-env mint-deploy --ttl 60)
"$KW" sealed-env decrypt --stdout >out 2>err; rc=$?
[ "$rc" = 15 ] && grep -q replay-cache-unavailable err && [ ! -s out ] \
  || { echo "FAIL: redis down: exit $rc"; cat err; fails=$((fails+1)); }
echo "failures: $fails"
[ "$fails" = 0 ]
