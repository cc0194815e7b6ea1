#!/usr/bin/env bash
# Every exit code of docs/exit-codes.md, reached from the command line: each code below is
# produced by a real failure of that class, with its documented message, and the list of codes
# this test reaches plus the device ones (10, 11, 12: reached on the simulator by the tests/hw
# tests named in HW_TESTS, checked to still expect them) must equal the codes the document lists
# (parsed), so a new code without a test fails here.
. "$(dirname "$0")/lib.sh"
require_tools sqlite3 redis-server redis-cli
SRC=${KEYWARD_SOURCE_DIR:?}
HW_CODES=(10 11 12)
# code:test that expects it (device missing / PIN blocked / touch refused)
HW_TESTS=("10:piv_unlock_test.sh" "11:piv_unlock_test.sh" "11:fido_uv_test.sh" "12:piv_unlock_test.sh"
          "12:fido_gate_test.sh")
for e in "${HW_TESTS[@]}"; do
  grep -Eq "(expect_exit|bg_wait) ${e%%:*}( |\$)" "$SRC/tests/hw/${e#*:}" ||
    fail "tests/hw/${e#*:} no longer expects exit ${e%%:*}"
done
# 19 (committed, follow-up failed) needs a fault injected after the commit: reached by the
# fault harness's regression test (ctest "fault: regressions"), checked to still expect it.
FAULT_CODES=(19)
grep -Eq "expect_exit 19 shim" "$SRC/tests/fault/regressions_test.sh" ||
  fail "tests/fault/regressions_test.sh no longer expects exit 19"
REACHED=(0)
reached() { REACHED+=("$1"); }
# code CODE MESSAGE_FRAGMENT CMD...: CMD exits CODE and says MESSAGE_FRAGMENT on stderr.
code() {
  local want=$1 msg=$2
  shift 2
  expect_exit "$want" "$@"
  expect_contains "$ERR" "$msg"
  reached "$want"
}

init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
setv dev/api/B "bravo" 2>/dev/null
before=$(vault_hash)

code 2 "keyward: \`keyward get\` has no option --no-such-option" kw get dev/api/A --no-such-option --passphrase-file "$PASSFILE"
printf 'NOT A DOTENV LINE\n' >"$TMP/bad.env"
code 3 "keyward: dotenv line 1: expected '=' after the key" kw import --env dev "$TMP/bad.env" --passphrase-file "$PASSFILE"
code 5 "keyward: wrong passphrase" env KEYWARD_PASSPHRASE=wrong "$KEYWARD_BIN" get dev/api/A
code 6 "no secret at dev/api/NOPE" kw get dev/api/NOPE --passphrase-file "$PASSFILE"
code 7 "refusing to overwrite" init_vault
code 9 "keyward: refusing to export prod" kw export --env prod --passphrase-file "$PASSFILE"
code 15 "not running" kw agent status
# 16: a file-size limit smaller than the write needs (disk full as the OS reports it).
head -c 200000 /dev/zero | tr '\0' 'x' >"$TMP/big"
code 16 "nothing was changed" bash -c "ulimit -f 16; '$KEYWARD_BIN' set dev/api/BIG --passphrase-file '$PASSFILE' <'$TMP/big'"
rm -f "$KEYWARD_VAULT-wal" "$KEYWARD_VAULT-shm"
expect_eq "$(vault_hash)" "$before"
# 17: OpenSSL with only its null provider loaded: every algorithm fetch fails, and `selftest`
# (and anything needing HKDF) reports a crypto failure instead of a wrong answer.
cat >"$TMP/openssl-null.cnf" <<'CNF'
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
null = null_sect
[null_sect]
activate = 1
CNF
code 17 "keyward: OpenSSL provides no SHA256" env OPENSSL_CONF="$TMP/openssl-null.cnf" "$KEYWARD_BIN" selftest
# 18: "no" at the overwrite question of unpack on a terminal (see package_test.sh for the rest).
A=$TMP/a.db B=$TMP/b.db
kw --vault "$A" init --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}" </dev/null >/dev/null 2>&1
kw --vault "$B" init --passphrase-file "$PASSFILE" "${SMALL_KDF[@]}" </dev/null >/dev/null 2>&1
expect_exit 0 kw --vault "$B" pubkey --passphrase-file "$PASSFILE"
RB=$(grep '^age1' <<<"$OUT")
printf 'v1' | kw --vault "$A" set dev/api/URL --passphrase-file "$PASSFILE" 2>/dev/null
printf 'v0' | kw --vault "$B" set dev/api/URL --passphrase-file "$PASSFILE" 2>/dev/null
expect_exit 0 kw --vault "$A" package --env dev --recipient "$RB" --out "$TMP/p.kpkg" --token-out "$TMP/p.tok" \
  --passphrase-file "$PASSFILE"
hb=$(sha256sum "$B" | cut -d' ' -f1)
printf 'Overwrite 1 existing secret|n\n' >"$TMP/ow-no"
got=0; tty_run "$TMP/ow-no" "$KEYWARD_BIN" --vault "$B" unpack --in "$TMP/p.kpkg" --passphrase-file "$PASSFILE" || got=$?
expect_eq "$got" 18
expect_contains "$OUT" "nothing imported"
expect_eq "$(sha256sum "$B" | cut -d' ' -f1)" "$hb"
reached 18
# 13: a package past its lifetime (made with a 1 s lifetime; waited out, not slept for a guess).
expect_exit 0 kw --vault "$A" package --env dev --recipient "$RB" --out "$TMP/e.kpkg" --token-out "$TMP/e.tok" \
  --ttl 1s --passphrase-file "$PASSFILE"
for _ in $(seq 1 100); do  # --dry-run imports nothing while the package is still valid
  got=0; kw --vault "$B" unpack --in "$TMP/e.kpkg" --dry-run --passphrase-file "$PASSFILE" >/dev/null 2>&1 || got=$?
  [[ $got == 13 ]] && break
  [[ $got == 0 ]] || fail "dry-run of the 1 s package: exit $got"
  sleep 0.1
done
code 13 "expired" kw --vault "$B" unpack --in "$TMP/e.kpkg" --overwrite --passphrase-file "$PASSFILE"
expect_eq "$(sha256sum "$B" | cut -d' ' -f1)" "$hb"
# 126 / 127: `run` execs the command itself (the status is the command's); not runnable / absent.
code 127 "No such file or directory" kw run --env dev --passphrase-file "$PASSFILE" -- "$TMP/no-such-program"
printf '#!/bin/sh\necho hi\n' >"$TMP/not-executable"
chmod 600 "$TMP/not-executable"
code 126 "Permission denied" kw run --env dev --passphrase-file "$PASSFILE" -- "$TMP/not-executable"

# 8 and 4: the vault file changed behind keyward's back.
cp "$KEYWARD_VAULT" "$TMP/pristine.db"
sqlite3 "$KEYWARD_VAULT" "DELETE FROM records WHERE id = (SELECT id FROM records LIMIT 1)"
code 8 "manifest" kw list --passphrase-file "$PASSFILE"
expect_eq "$OUT" ""
cp "$TMP/pristine.db" "$KEYWARD_VAULT"
rm -f "$KEYWARD_VAULT-wal" "$KEYWARD_VAULT-shm"
# The body of record B replaced by the body of record A: B no longer decrypts (AAD binds it).
sqlite3 "$KEYWARD_VAULT" "UPDATE records SET body = (SELECT body FROM records ORDER BY id LIMIT 1) WHERE id = (SELECT id FROM records ORDER BY id DESC LIMIT 1)"
last=$(sqlite3 "$KEYWARD_VAULT" "SELECT id FROM records ORDER BY id DESC LIMIT 1")
for c in dev/api/A dev/api/B; do
  got=0; kw get "$c" --passphrase-file "$PASSFILE" >"$TMP/o" 2>"$TMP/e" || got=$?
  if [[ $got == 4 ]]; then
    [[ ! -s $TMP/o ]] || fail "partial output for $c"
    expect_eq "$(cat "$TMP/e")" "keyward: decryption failed: wrong key, or the data was corrupted or tampered with"
    reached 4
  fi
done
[[ " ${REACHED[*]} " == *" 4 "* ]] || fail "no record failed to decrypt after the body swap ($last)"
cp "$TMP/pristine.db" "$KEYWARD_VAULT"
rm -f "$KEYWARD_VAULT-wal" "$KEYWARD_VAULT-shm"

# 70: an error of class internal (a bug) is passed through as 70. The only way to make keyward
# report one from outside is a peer that reports it: an agent on the agent socket answering every
# request with {ok: false, code: internal}. The client relays the agent's error class.
unset KEYWARD_NO_AGENT
export KEYWARD_AGENT_AUTOSTART=0
mkdir -p -m 700 "$XDG_RUNTIME_DIR/keyward"
# The wire carries the Errc value: its position in the enum of src/core/error.h (first = 1).
internal_wire=$(sed -n '/^enum class Errc/,/^};/p' "$SRC/src/core/error.h" | grep -E '^ +[a-z_]+( = 1)?,' |
  sed -E 's/^ +([a-z_]+).*/\1/' | grep -n '^internal$' | cut -d: -f1)
[[ -n $internal_wire ]] || fail "cannot find Errc::internal in src/core/error.h"
/usr/bin/python3 - "$XDG_RUNTIME_DIR/keyward/agent.sock" "$TMP/fake-agent.ready" "$internal_wire" <<'PY' &
import socket, struct, sys
from fido2 import cbor  # canonical CBOR (keys v, ok, msg, code: the order keyward writes)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(4)
open(sys.argv[2], "w").write("ready\n")
c, _ = s.accept()
def read(n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d: raise SystemExit("client closed")
        b += d
    return b
n, m = struct.unpack(">II", read(8)); read(n + m)
body = cbor.encode({"v": 1, "ok": False, "code": int(sys.argv[3]), "msg": "an invariant broke (test agent)"})
c.sendall(struct.pack(">II", len(body), 0) + body)
c.close()
PY
FAKE=$!
for _ in $(seq 1 200); do [[ -e $TMP/fake-agent.ready ]] && break; sleep 0.05; done
[[ -e $TMP/fake-agent.ready ]] || fail "the test agent did not start"
code 70 "an invariant broke (test agent)" kw get dev/api/A
wait "$FAKE" || fail "the test agent failed"
export KEYWARD_NO_AGENT=1
rm -f "$XDG_RUNTIME_DIR/keyward/agent.sock"

# 14: a deploy token presented twice against a real redis replay cache.
source "$SRC/tests/sealedenv/redis_fixture.sh"
trap 'redis_stop; rm -rf "$TMP"' EXIT
mkdir "$TMP/se" && cd "$TMP/se"
printf 'API_KEY=exit-codes\n' >.env
unset SEALED_ENV_KEY SEALED_ENV_SIGNING_KEY SEALED_ENV_TOTP_SECRET SEALED_ENV_UNSEAL_TOKEN SEALED_ENV_DEPLOY_TOKEN
export SEALED_ENV_TOKEN=$("$KEYWARD_BIN" -q sealed-env init --mode team --kdf scrypt --from .env)
cat >.sealed-env.config.json <<JSON
{ "deploy_mode": "ephemeral", "deploy_ttl_max_seconds": 120,
  "nonce_state_backend": "redis://127.0.0.1:$REDIS_PORT" }
JSON
export SEALED_ENV_DEPLOY_TOKEN=$("$KEYWARD_BIN" sealed-env mint-deploy --ttl 120)
expect_exit 0 "$KEYWARD_BIN" sealed-env decrypt --stdout --file .env.sealed
expect_contains "$OUT" "exit-codes"
code 14 "TOKEN_INVALID(replay): deploy token nonce was already used" "$KEYWARD_BIN" sealed-env decrypt --stdout --file .env.sealed
expect_eq "$OUT" ""
cd "$TMP"

# Reached here + hardware-only + fault-only == the document's codes.
doc=$(sed -n 's/^| *\([0-9][0-9]*\) *|.*/\1/p' "$SRC/docs/exit-codes.md" | sort -n | uniq | tr '\n' ' ')
# The prose after the table documents run's 126 / 127.
grep -q '127 / 126' "$SRC/docs/exit-codes.md" || fail "docs/exit-codes.md no longer documents 126/127"
doc="$doc 126 127"
want=$(tr ' ' '\n' <<<"$doc" | sed '/^$/d' | sort -n | uniq | tr '\n' ' ')
have=$(printf '%s\n' "${REACHED[@]}" "${HW_CODES[@]}" "${FAULT_CODES[@]}" | sort -n | uniq | tr '\n' ' ')
expect_eq "$have" "$want"
echo "exit codes: reached $have"
