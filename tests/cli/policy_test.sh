#!/usr/bin/env bash
# Issue 13, no hardware: the rules live in core, below the agent and the direct path. Each attack
# is tried through a warm agent (the CLI with no credential, and a raw socket client that skips
# every CLI check: tests/cli/agent_raw.py) and through the direct path (--no-agent):
#   * the reserved environment keyward.internal: refused for every request, also after `lock`;
#   * loader variables (LD_PRELOAD, BASH_ENV, NODE_OPTIONS, ...) refused in high environments
#     (prod and production by default), never injected by `run` unless --allow-var names them;
#   * `production` is high for set, import and export like prod;
#   * credential variables never reach `run`'s child, `sealed-env exec`'s child or the agent;
#   * KDF parameters above keyward's maxima are refused before any work;
#   * a vault file replaced under the agent (an older copy) is refused like on the direct path,
#     the agent drops it, and no write is acknowledged into the replaced file;
#   * a client sending one byte every 3 s delays nobody;
#   * a busy vault (another writer holds the lock) is "locked, try again" (exit 15), the agent
#     keeps the vault, and a request whose client gave up is never applied later.
. "$(dirname "$0")/lib.sh"
unset KEYWARD_NO_AGENT
RAW="/usr/bin/python3 $(dirname "$0")/agent_raw.py"
/usr/bin/python3 -c 'import fido2.cbor' 2>/dev/null || { echo "python3-fido2 missing; skipping" >&2; exit 77; }
cleanup() {
  "$KEYWARD_BIN" -q agent stop >/dev/null 2>&1 || true
  [[ -n ${HOLDER:-} ]] && kill "$HOLDER" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
SOCK=$XDG_RUNTIME_DIR/keyward/agent.sock
ABS=$(realpath "$TMP")/vault.db
P() { kw "$@" --passphrase-file "$PASSFILE" </dev/null; }
D() { kw --no-agent "$@" --passphrase-file "$PASSFILE" </dev/null; }
raw() { $RAW "$SOCK" "$@"; }

init_vault >/dev/null 2>&1
printf alpha | kw --no-agent set dev/api/A --passphrase-file "$PASSFILE" 2>/dev/null
expect_exit 0 P pubkey  # makes keyward.internal/package/IDENTITY
# Warm agent (the direct unlock hands the master key over).
expect_exit 0 kw agent start
expect_exit 0 P list

# ---- keyward.internal: refused in core, for the raw agent client too
OUT=$(raw '{"op":"get","vault":"'"$ABS"'","coord":"keyward.internal/package/IDENTITY"}')
expect_contains "$OUT" '"ok": false'
expect_contains "$OUT" '"code": 9'
expect_not_contains "$OUT" 'AGE-SECRET-KEY'
expect_contains "$OUT" '"secret": ""'
OUT=$(raw '{"op":"env","vault":"'"$ABS"'","env":"keyward.internal"}')
expect_contains "$OUT" '"code": 9'
OUT=$(raw '{"op":"rm","vault":"'"$ABS"'","coord":"keyward.internal/package/IDENTITY"}')
expect_contains "$OUT" '"code": 9'
OUT=$(raw '{"op":"set","vault":"'"$ABS"'","items":[{"c":"keyward.internal/package/IDENTITY","t":0,"k":0,"n":1}]}' 78)
expect_contains "$OUT" '"code": 9'
OUT=$(raw '{"op":"list","vault":"'"$ABS"'"}')
expect_contains "$OUT" '"ok": true'
expect_not_contains "$OUT" 'keyward.internal'
# The identity is still there (pubkey reads it through the internal API) and unchanged.
expect_exit 0 P pubkey
expect_not_contains "$ERR" "Created"
# After `keyward lock` the agent holds nothing: still no identity.
expect_exit 0 kw lock
OUT=$(raw '{"op":"get","vault":"'"$ABS"'","coord":"keyward.internal/package/IDENTITY"}')
expect_contains "$OUT" '"locked": true'
expect_not_contains "$OUT" 'AGE-SECRET-KEY'
expect_exit 9 D get keyward.internal/package/IDENTITY
expect_exit 0 P list  # warm again

# ---- loader variables in a high environment: refused at set and import, agent and direct
for env in prod production; do
  expect_exit 9 bash -c "printf '/tmp/evil.sh' | setsid -w '$KEYWARD_BIN' set $env/api/BASH_ENV --tier normal"
  expect_contains "$ERR" "BASH_ENV changes how programs load code"
  OUT=$(raw '{"op":"set","vault":"'"$ABS"'","items":[{"c":"'$env'/api/LD_PRELOAD","t":0,"k":0,"n":3}]}' 2f782e)
  expect_contains "$OUT" '"code": 9'
  expect_exit 9 bash -c "printf x | setsid -w '$KEYWARD_BIN' --no-agent set $env/api/NODE_OPTIONS --tier normal --passphrase-file '$PASSFILE'"
  printf 'OK=1\nPYTHONSTARTUP=/tmp/evil.py\n' >"$TMP/evil.env"
  expect_exit 9 D import --env $env --tier normal "$TMP/evil.env"
  expect_contains "$ERR" "PYTHONSTARTUP"
  expect_exit 6 D get $env/default/OK
done
# ... allowed (they are the user's business) in other environments, but run never injects them
# unless named: the stored BASH_ENV would run inside every bash child.
printf '#!/bin/sh\necho pwned >"%s"\n' "$TMP/pwned" >"$TMP/evil.sh"
printf '%s' "$TMP/evil.sh" | kw set dev/api/BASH_ENV --passphrase-file "$PASSFILE" 2>/dev/null
printf '%s' "--require=$TMP/evil.js" | kw set dev/api/NODE_OPTIONS --passphrase-file "$PASSFILE" 2>/dev/null
for path in agent direct; do
  if [[ $path == agent ]]; then R=(kw run); else R=(kw --no-agent run --passphrase-file "$PASSFILE"); fi
  rm -f "$TMP/pwned"
  expect_exit 0 "${R[@]}" --env dev -- bash -c 'printf "%s|%s|%s" "$A" "${BASH_ENV:-none}" "${NODE_OPTIONS:-none}"'
  expect_eq "$OUT" "alpha|none|none"
  expect_contains "$ERR" "not passing BASH_ENV"
  expect_contains "$ERR" "--allow-var BASH_ENV"
  [[ ! -e $TMP/pwned ]] || fail "$path: the stored BASH_ENV ran inside the child"
  expect_exit 0 "${R[@]}" --env dev --allow-var NODE_OPTIONS -- sh -c 'printf "%s" "${NODE_OPTIONS:-none}"'
  expect_eq "$OUT" "--require=$TMP/evil.js"
done

# ---- production is high like prod: set defaults to high (no presence slot here: refused with
# the hint), export refused on both paths (raw agent included)
expect_exit 9 bash -c "printf x | setsid -w '$KEYWARD_BIN' --no-agent set production/api/DB --passphrase-file '$PASSFILE'"
expect_contains "$ERR" "production is a high environment"
# Through the agent: the same refusal, from the same core check, without asking for a
# credential; nothing written.
expect_exit 9 bash -c "printf x | setsid -w '$KEYWARD_BIN' set production/api/DB"
expect_contains "$ERR" "production is a high environment"
expect_exit 6 D get production/api/DB
printf 'LOW=1\n' >"$TMP/low.env"
expect_exit 9 D import --env production "$TMP/low.env"
expect_exit 0 D import --env production --tier normal "$TMP/low.env"
expect_exit 9 kw export --env production
expect_contains "$ERR" "refusing to export production"
expect_exit 9 D export --env production
expect_contains "$ERR" "refusing to export production"
OUT=$(raw '{"op":"env","vault":"'"$ABS"'","env":"production","exp":true}')
expect_contains "$OUT" '"code": 9'
expect_not_contains "$OUT" '"recs"'

# ---- credentials stay with keyward: run's child, sealed-env exec's child, the agent
CREDS=(KEYWARD_PASSPHRASE='correct horse battery' KEYWARD_FIDO2_PIN=1234 KEYWARD_PIV_PIN=123456
       KEYWARD_RECOVERY_CODE=abcd SEALED_ENV_TOKEN=sealed_env_b_x SEALED_ENV_KEY=k)
SHOW='for v in KEYWARD_PASSPHRASE KEYWARD_FIDO2_PIN KEYWARD_PIV_PIN KEYWARD_RECOVERY_CODE SEALED_ENV_TOKEN SEALED_ENV_KEY; do eval "x=\${$v:-}"; [ -n "$x" ] && printf "%s " "$v"; done; printf "%s" "$A"'
expect_exit 0 env "${CREDS[@]}" setsid -w "$KEYWARD_BIN" run --env dev -- sh -c "$SHOW"
expect_eq "$OUT" "alpha"
expect_exit 0 env "${CREDS[@]}" setsid -w "$KEYWARD_BIN" --no-agent run --env dev -- sh -c "$SHOW"
expect_eq "$OUT" "alpha"
mkdir "$TMP/se"
printf 'A=sealed\n' >"$TMP/se/.env"
(cd "$TMP/se" && "$KEYWARD_BIN" sealed-env init --kdf scrypt --from .env >"$TMP/se/tok" 2>/dev/null) ||
  fail "sealed-env init failed"
expect_exit 0 env "${CREDS[@]}" SEALED_ENV_TOKEN="$(cat "$TMP/se/tok")" bash -c "cd '$TMP/se' && '$KEYWARD_BIN' sealed-env exec -- sh -c '$SHOW'"
expect_eq "$OUT" "sealed"
# An agent auto-started by a client with credentials in its environment has none of them.
expect_exit 0 kw agent stop
expect_exit 0 env "${CREDS[@]}" KEYWARD_AGENT_AUTOSTART=1 setsid -w "$KEYWARD_BIN" list </dev/null
PID=$("$KEYWARD_BIN" --json agent status 2>/dev/null | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
[[ -n $PID ]] || fail "no auto-started agent"
for v in KEYWARD_PASSPHRASE KEYWARD_FIDO2_PIN KEYWARD_PIV_PIN KEYWARD_RECOVERY_CODE SEALED_ENV_TOKEN SEALED_ENV_KEY; do
  if tr '\0' '\n' </proc/"$PID"/environ | grep -q "^$v="; then fail "the agent inherited $v"; fi
done

# ---- a slow client (one byte every 3 s) holds up nobody; it is dropped at its deadline
$RAW "$SOCK" '{"op":"status"}' --slow 3 >"$TMP/slow.out" 2>&1 &
SLOW=$!
for _ in $(seq 1 100); do [[ -n $(ls -l /proc/$SLOW/fd 2>/dev/null | grep socket) ]] && break; sleep 0.05; done
expect_exit 0 kw agent status
expect_contains "$OUT" "unlocked: "
expect_exit 0 kw get dev/api/A
expect_eq "$OUT" "alpha"
[[ ! -s $TMP/slow.out ]] || fail "the slow client finished before the others were served: $(cat "$TMP/slow.out")"
wait "$SLOW" || true
expect_contains "$(cat "$TMP/slow.out")" '"dropped": true'

# ---- busy vault: exit 15 "locked", the agent keeps the vault; an abandoned request is never
# applied later (the client never falls back to a direct write once it has sent the request)
kw agent stop >/dev/null 2>&1
KEYWARD_LOCK_TIMEOUT_MS=1000 expect_exit 0 kw agent start
expect_exit 0 P list
hold_lock() {  # holds the vault's write lock until $TMP/release exists
  rm -f "$TMP/release" "$TMP/held"
  /usr/bin/python3 - "$KEYWARD_VAULT" "$TMP" <<'PY' &
import os, sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
con.execute("BEGIN IMMEDIATE")
open(os.path.join(sys.argv[2], "held"), "w").close()
while not os.path.exists(os.path.join(sys.argv[2], "release")):
    time.sleep(0.05)
con.execute("ROLLBACK")
PY
  HOLDER=$!
  for _ in $(seq 1 200); do [[ -e $TMP/held ]] && break; sleep 0.05; done
  [[ -e $TMP/held ]] || fail "could not take the vault's write lock"
}
release_lock() { touch "$TMP/release"; wait "$HOLDER"; HOLDER=; }
hold_lock
expect_exit 15 bash -c "printf v1 | setsid -w '$KEYWARD_BIN' set dev/api/K"
expect_contains "$ERR" "locked"
expect_not_contains "$ERR" "no credential"
release_lock
expect_exit 0 kw agent status
expect_contains "$OUT" "unlocked: "
expect_exit 6 kw get dev/api/K
# Issue 15 defect 2: the agent cannot answer in time (stopped here). The client, which could
# unlock directly (KEYWARD_PASSPHRASE), does not fall back to a direct write once the request
# is sent: it says it does not know. Then a direct `set K v2`; when the agent wakes up, the
# abandoned request's deadline has passed and it is not applied: v2 stays.
APID=$("$KEYWARD_BIN" --json agent status 2>/dev/null | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
kill -STOP "$APID"
expect_exit 15 env KEYWARD_AGENT_TIMEOUT_MS=1000 KEYWARD_PASSPHRASE='correct horse battery' \
  bash -c "printf v1 | setsid -w '$KEYWARD_BIN' set dev/api/K"
expect_contains "$ERR" "may or may not have been applied"
expect_exit 0 bash -c "printf v2 | setsid -w '$KEYWARD_BIN' --no-agent set dev/api/K --passphrase-file '$PASSFILE'"
kill -CONT "$APID"
expect_exit 0 kw agent status  # answered after the abandoned request: that one is done with
expect_exit 0 kw get dev/api/K
expect_eq "$OUT" "v2"
expect_exit 0 kw rm dev/api/K
expect_exit 6 D get dev/api/K

# ---- the vault file replaced under the agent by an older copy of itself
sqlite3_checkpoint() { /usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()' "$KEYWARD_VAULT"; }
sqlite3_checkpoint
cp "$KEYWARD_VAULT" "$TMP/old.db"
printf new | kw set dev/api/NEW 2>/dev/null
expect_exit 0 D get dev/api/NEW   # the direct path pins the new revision
cp "$TMP/old.db" "$TMP/swap.db"
mv "$TMP/swap.db" "$KEYWARD_VAULT"
rm -f "$KEYWARD_VAULT-wal" "$KEYWARD_VAULT-shm"
expect_exit 8 D get dev/api/A
DIRECT_ERR=$ERR
expect_contains "$DIRECT_ERR" "rollback detected"
expect_exit 8 kw get dev/api/A
expect_eq "$ERR" "$DIRECT_ERR"
expect_exit 0 kw agent status
expect_contains "$OUT" "no vault unlocked"
# A write through the agent is never acknowledged into a replaced file.
expect_exit 0 kw vault forget
expect_exit 0 P list   # re-pinned to the restored copy, agent warm again
sqlite3_checkpoint
cp "$KEYWARD_VAULT" "$TMP/again.db"
mv "$TMP/again.db" "$KEYWARD_VAULT"   # same content, another file
printf lost | kw set dev/api/LOST 2>/dev/null || true
expect_exit 0 D get dev/api/LOST
expect_eq "$OUT" "lost"

# ---- KDF parameters above the maxima: refused before any work
sqlite3_checkpoint
/usr/bin/python3 - "$KEYWARD_VAULT" <<'PY' || fail "could not find the passphrase slot's parameters"
import sqlite3, struct, sys
con = sqlite3.connect(sys.argv[1])
old = struct.pack(">III", 1, 8192, 1)
n = 0
for sid, body in con.execute("SELECT id, body FROM slots").fetchall():
    if old in body:
        new = body.replace(old, struct.pack(">III", 16, 4 * 1024 * 1024, 1), 1)
        con.execute("UPDATE slots SET body = ? WHERE id = ?", (new, sid))
        n += 1
con.commit()
sys.exit(0 if n == 1 else 1)
PY
expect_exit 3 D get dev/api/A
expect_contains "$ERR" "refusing to run it"
echo "policy: ok"
