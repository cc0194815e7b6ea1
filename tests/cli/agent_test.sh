#!/usr/bin/env bash
# The unlock agent end to end: start/status/stop; get/run/export/list/set/rm through a warm agent
# with no credential given; lock and lock --all; the idle TTL locks; a killed or stuck agent makes
# clients fall back to a direct unlock cleanly; another uid is refused (socket directory
# permissions, and the agent's own SO_PEERCRED check on a socket made reachable on purpose).
. "$(dirname "$0")/lib.sh"
# systemd-socket-activate: the socket-activation check; setpriv + root: the other-uid checks;
# ss: the accept-queue wait below.
require_tools systemd-socket-activate setpriv ss
require_root "the other-uid checks run as uid 65534"
unset KEYWARD_NO_AGENT
# Every agent of this test is stopped at the end, whatever happens.
AGENT_PIDS=()
cleanup() {
  "$KEYWARD_BIN" -q agent stop >/dev/null 2>&1 || true
  for p in "${AGENT_PIDS[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  [[ -n ${PEERDIR:-} ]] && rm -rf "$PEERDIR"
  rm -rf "$TMP"
}
trap cleanup EXIT
agent_pid() { "$KEYWARD_BIN" --json agent status 2>/dev/null | sed -n 's/.*"pid": \([0-9]*\).*/\1/p'; }
SOCK=$XDG_RUNTIME_DIR/keyward/agent.sock

# ---- start / status / stop
expect_exit 15 kw agent status
expect_contains "$ERR" "not running"
expect_exit 0 kw agent start --idle-ttl 1h --max-ttl 2h
expect_contains "$ERR" "Started the keyward agent"
[[ -S $SOCK ]] || fail "no socket at $SOCK"
[[ $(stat -c %a "$XDG_RUNTIME_DIR/keyward") == 700 ]] || fail "socket directory is not 0700"
# doctor checks the socket the agent uses, however it was chosen (it used to know only
# $XDG_RUNTIME_DIR and reported no agent when the socket came from KEYWARD_AGENT_SOCKET).
for how in runtime-dir explicit; do
  if [[ $how == explicit ]]; then
    env -u XDG_RUNTIME_DIR KEYWARD_AGENT_SOCKET="$SOCK" "$KEYWARD_BIN" doctor --json >"$TMP/doctor.json" 2>/dev/null || true
  else
    kw doctor --json >"$TMP/doctor.json" 2>/dev/null || true
  fi
  /usr/bin/python3 - "$TMP/doctor.json" "$SOCK" <<'PY' || fail "doctor ($how) does not see the agent: $(cat "$TMP/doctor.json")"
import json, sys
d = json.load(open(sys.argv[1]))["agent"]
assert d["socket"] == sys.argv[2] and d["running"] is True, d
PY
done
[[ $(stat -c %a "$SOCK") == 600 ]] || fail "socket is not 0600"
PID=$(agent_pid)
[[ -n $PID ]] || fail "agent status --json has no pid"
AGENT_PIDS+=("$PID")
expect_exit 0 kw agent status
expect_contains "$OUT" "idle TTL 1h, max TTL 2h"
expect_contains "$OUT" "no vault unlocked"
expect_exit 0 kw agent start
expect_contains "$ERR" "already running"
# Issue 18: other limits for a running agent are refused, never silently ignored; the same
# limits are fine.
expect_exit 7 kw agent start --idle-ttl 5m
expect_contains "$ERR" "already running (pid $PID) with --idle-ttl 1h and --max-ttl 2h"
expect_contains "$ERR" "keyward agent stop"
expect_exit 0 kw agent start --idle-ttl 1h
expect_exit 0 kw agent status
expect_contains "$OUT" "idle TTL 1h, max TTL 2h"
# doctor looks at the socket the commands use (KEYWARD_AGENT_SOCKET too).
# (doctor exits non-zero when it finds problems elsewhere, e.g. no pcscd here: only its report
# of the agent matters.)
expect_contains "$("$KEYWARD_BIN" --json doctor 2>/dev/null || true)" "\"socket\": \"$SOCK\""
expect_contains "$(KEYWARD_AGENT_SOCKET=$TMP/elsewhere/a.sock "$KEYWARD_BIN" --json doctor 2>/dev/null || true)" "\"socket\": \"$TMP/elsewhere/a.sock\""
# The agent is hardened: no core dumps.
grep -Eq '^Max core file size +0 +0' /proc/$PID/limits || fail "the agent may dump core"

# ---- a direct unlock hands the vault over; then no credential is needed
init_vault >/dev/null 2>&1
printf alpha | kw set dev/api/A --passphrase-file "$PASSFILE" 2>/dev/null
printf beta | kw set dev/api/B --passphrase-file "$PASSFILE" 2>/dev/null
expect_exit 0 kw agent status
expect_contains "$OUT" "unlocked: $KEYWARD_VAULT"
expect_exit 0 kw get dev/api/A </dev/null
expect_eq "$OUT" "alpha"
expect_exit 0 kw run --env dev -- sh -c 'printf "%s-%s" "$A" "$B"'
expect_eq "$OUT" "alpha-beta"
expect_exit 0 kw export --env dev
expect_contains "$OUT" "A=alpha"
expect_exit 0 kw list --json
expect_contains "$OUT" '"coordinate": "dev/api/B"'
expect_exit 0 bash -c "printf gamma | setsid -w '$KEYWARD_BIN' set dev/api/C"
expect_contains "$ERR" "Stored dev/api/C (normal)"
expect_exit 0 kw rm dev/api/B
# import is served by the agent too (issue 18: one unlock covers a session).
printf 'D=delta\nE=epsilon\n' >"$TMP/de.env"
expect_exit 0 kw import --env dev --component api "$TMP/de.env" </dev/null
expect_contains "$ERR" "Imported 2 secret(s)"
expect_exit 0 kw get dev/api/E </dev/null
expect_eq "$OUT" "epsilon"
# keyward unlock: after lock, one unlock with the credential, then no credential is needed.
expect_exit 0 kw lock
expect_exit 2 kw get dev/api/A </dev/null
expect_exit 0 kw unlock --passphrase-file "$PASSFILE" </dev/null
expect_contains "$ERR" "Unlocked $KEYWARD_VAULT for this session"
expect_exit 0 kw get dev/api/A </dev/null
expect_eq "$OUT" "alpha"
# Issue 18 item 5: slot list is served by the agent too (no credential, no terminal), and says the
# same as a direct unlock, "(used now)" included: the unlock that handed the vault over names its
# slot.
expect_exit 0 kw slot list --json </dev/null
AGENT_SLOTS=$OUT
expect_exit 0 kw --no-agent slot list --json --passphrase-file "$PASSFILE" </dev/null
/usr/bin/python3 -c '
import json, sys
a, d = json.loads(sys.argv[1]), json.loads(sys.argv[2])
strip = lambda l: [{k: v for k, v in s.items() if k != "last_used"} for s in l]
assert strip(a) == strip(d) and [s["type"] for s in a] == ["passphrase"], (a, d)
assert [s["used_now"] for s in a] == [True], a' "$AGENT_SLOTS" "$OUT" ||
  fail "slot list through the agent differs: $AGENT_SLOTS / $OUT"
expect_exit 0 kw slot list </dev/null
expect_contains "$OUT" "passphrase"
expect_contains "$OUT" "(used now)"
# pubkey too: made on first use through the agent, then the same key directly and again.
expect_exit 0 kw pubkey </dev/null
expect_contains "$ERR" "Created the package identity"
AGENT_PUB=$(grep '^age1' <<<"$OUT")
[[ -n $AGENT_PUB ]] || fail "pubkey through the agent printed no recipient: $OUT"
expect_exit 0 kw --no-agent pubkey --passphrase-file "$PASSFILE" </dev/null
expect_eq "$(grep '^age1' <<<"$OUT")" "$AGENT_PUB"
expect_not_contains "$ERR" "Created"
expect_exit 0 kw pubkey --signer </dev/null
SIGNER=$(grep '^ssh-ed25519' <<<"$OUT")
expect_exit 0 kw --no-agent pubkey --signer --passphrase-file "$PASSFILE" </dev/null
expect_eq "$(grep '^ssh-ed25519' <<<"$OUT")" "$SIGNER"
# package too (issue 18 item 5): sealed and signed through the agent, no credential, no terminal;
# the signature is the vault's sender key (the one pubkey --signer printed), which unpack --from
# checks.
age-keygen -o "$TMP/recipient.key" 2>/dev/null
RCPT=$(age-keygen -y "$TMP/recipient.key")
expect_exit 0 kw package --env dev --recipient "$RCPT" --sign --out "$TMP/agent.kpkg" </dev/null
expect_contains "$ERR" "Sealed 4 secret(s) (0 high)"
expect_contains "$ERR" "Signed by"
printf '%s\n' "$SIGNER" >"$TMP/signer.pub"
expect_exit 0 kw --no-agent unpack --in "$TMP/agent.kpkg" --package-identity "$TMP/recipient.key" \
  --from "$TMP/signer.pub" --dry-run --passphrase-file "$PASSFILE" </dev/null
expect_contains "$OUT" "dev/api/E"
expect_not_contains "$ERR" "WARNING"  # --from matched the signature
# unpack through the agent too: the vault's package identity unwraps in the agent (the key never
# leaves it), the conflicts and the write are served there; no credential, no terminal.
expect_exit 0 kw package --env dev --recipient "$AGENT_PUB" --sign --out "$TMP/self.kpkg" </dev/null
expect_exit 0 kw unpack --in "$TMP/self.kpkg" --from "$TMP/signer.pub" --dry-run </dev/null
expect_contains "$OUT" "dev/api/A"$'\t'"normal"
expect_contains "$OUT" "exists (normal)"
expect_exit 7 kw unpack --in "$TMP/self.kpkg" --from "$TMP/signer.pub" </dev/null
expect_contains "$ERR" "--overwrite"
expect_exit 0 kw unpack --in "$TMP/self.kpkg" --from "$TMP/signer.pub" --overwrite </dev/null
expect_contains "$ERR" "Imported 4 secrets (0 high)"
expect_exit 0 kw get dev/api/A </dev/null
expect_eq "$OUT" "alpha"
# prod and keyward's own keys are refused through the agent as directly.
expect_exit 9 kw package --env prod --recipient "$RCPT" --out "$TMP/prod.kpkg" </dev/null
expect_exit 9 kw package --env keyward.internal --recipient "$RCPT" --out "$TMP/int.kpkg" </dev/null
[[ ! -e $TMP/prod.kpkg && ! -e $TMP/int.kpkg ]] || fail "a refused package left a file behind"
# audit too (issue 18 item 5): verified by the agent (it holds the audit key), no credential;
# the read is its own entry, served by the agent; the same report as a direct read.
expect_exit 0 kw audit --verify </dev/null
expect_contains "$OUT" "entries verified"
expect_exit 0 kw audit --json --since 1h </dev/null
/usr/bin/python3 -c '
import json, sys
e = json.loads(sys.argv[1])
assert e and e[-1]["op"] == "audit" and e[-1]["detail"].startswith("verified the log"), e[-1:]
assert any(x["op"] == "package" for x in e), [x["op"] for x in e]' "$OUT" ||
  fail "audit through the agent: $(tail -c 600 <<<"$OUT")"
expect_exit 0 kw audit </dev/null
expect_contains "$OUT" "  audit  ok  "
expect_contains "$OUT" "served by the agent"
AUDIT_LOG=$(ls "$XDG_STATE_HOME"/keyward/audit/*.log)
# A tampered log fails through the agent as directly (exit 8), and nothing is appended to it.
cp "$AUDIT_LOG" "$TMP/log.good"
sed -i '0,/op=get outcome=ok/s//op=set outcome=ok/' "$AUDIT_LOG"
cmp -s "$AUDIT_LOG" "$TMP/log.good" && fail "the edit did not change the log"
cp "$AUDIT_LOG" "$TMP/log.bad"
expect_exit 8 kw audit --verify </dev/null
expect_contains "$ERR" "FAILED verification"
cmp -s "$AUDIT_LOG" "$TMP/log.bad" || fail "the agent appended to a log that does not verify"
expect_exit 8 kw --no-agent audit --verify --passphrase-file "$PASSFILE" </dev/null
cp "$TMP/log.good" "$AUDIT_LOG"
expect_exit 0 kw audit --verify </dev/null
# vault info through the agent too (issue 18 item 5): no credential, no terminal. The agent
# re-reads and verifies the header, slots and manifest for it: the same report as directly.
expect_exit 0 kw vault info --json </dev/null
AGENT_INFO=$OUT
expect_exit 0 kw --no-agent vault info --json --passphrase-file "$PASSFILE" </dev/null
/usr/bin/python3 -c '
import json, sys
a, d = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert a == d and a["verified"] and a["records"] == 4 and a["slots"] == 1, (a, d)' "$AGENT_INFO" "$OUT" ||
  fail "vault info through the agent differs: $AGENT_INFO / $OUT"
# The attack: a process of the same user that reaches the agent socket must not turn the
# session into a lasting credential by adding a slot it knows. The agent serves no slot change:
# slot add needs the vault's unlock credential, even with the vault in the agent.
printf 'a second passphrase for this vault\n' >"$TMP/pass2"
expect_exit 2 kw slot add passphrase --label mine --new-passphrase-file "$TMP/pass2" </dev/null
expect_contains "$ERR" "no credential"
expect_exit 2 kw slot add recipient --recipient "$RCPT" </dev/null
expect_exit 0 kw vault info --json </dev/null
/usr/bin/python3 -c '
import json, sys
assert json.loads(sys.argv[1])["slots"] == 1' "$OUT" || fail "a slot was added through the agent: $OUT"
expect_exit 5 kw --no-agent get dev/api/A --passphrase-file "$TMP/pass2" </dev/null
# With the credential it is added (directly), and vault info through the agent sees it at once.
expect_exit 0 kw slot add passphrase --label second --new-passphrase-file "$TMP/pass2" \
  --kdf-memory 8 --kdf-time 1 --kdf-parallelism 1 --passphrase-file "$PASSFILE" </dev/null
expect_contains "$ERR" "Added slot 2 (passphrase, 'second')"
expect_exit 0 kw vault info --json </dev/null
/usr/bin/python3 -c '
import json, sys
assert json.loads(sys.argv[1])["slots"] == 2' "$OUT" || fail "vault info through the agent is stale: $OUT"
expect_exit 0 kw --no-agent slot rm 2 --passphrase-file "$PASSFILE" </dev/null
expect_exit 2 kw --no-agent unlock --passphrase-file "$PASSFILE" </dev/null
expect_contains "$ERR" "KEYWARD_NO_AGENT=1 turns off"
expect_exit 5 env KEYWARD_PASSPHRASE=wrong "$KEYWARD_BIN" unlock </dev/null
# What the agent wrote is in the vault file: read it back directly, without the agent.
expect_exit 0 kw --no-agent get dev/api/C --passphrase-file "$PASSFILE"
expect_eq "$OUT" "gamma"
expect_exit 6 kw --no-agent get dev/api/B --passphrase-file "$PASSFILE"
expect_exit 6 kw get dev/api/B
expect_contains "$ERR" "no secret at dev/api/B"

# ---- clients that connect and say nothing hold up nobody: another client is served meanwhile
# (well within its 3 s timeout, while the silent ones are still open), and the agent closes the
# silent connections after its request wait (5 s).
/usr/bin/python3 - "$SOCK" "$TMP/stalled" <<'PY' &
import socket, sys
conns = []
for _ in range(3):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    conns.append(s)
open(sys.argv[2], "w").write("connected\n")
closed = 0
for s in conns:
    s.settimeout(60)
    if s.recv(1) == b"":
        closed += 1
open(sys.argv[2], "a").write("closed %d\n" % closed)
PY
STALL=$!
for _ in $(seq 1 200); do grep -q connected "$TMP/stalled" 2>/dev/null && break; sleep 0.05; done
grep -q connected "$TMP/stalled" || fail "the silent clients did not connect"
expect_exit 0 env KEYWARD_AGENT_TIMEOUT_MS=3000 setsid -w "$KEYWARD_BIN" get dev/api/A </dev/null
expect_eq "$OUT" "alpha"
grep -q "closed" "$TMP/stalled" && fail "the silent connections were closed before the other client was served"
wait "$STALL" || fail "the silent clients' helper failed"
grep -q "closed 3" "$TMP/stalled" || fail "the agent did not close the silent connections: $(cat "$TMP/stalled")"
# --no-agent / KEYWARD_NO_AGENT=1: the agent is not asked.
expect_exit 2 kw --no-agent get dev/api/A
expect_contains "$ERR" "no credential to unlock the vault"
KEYWARD_NO_AGENT=1 expect_exit 2 kw get dev/api/A

# ---- re-keying: rotate-master hands the new key over; a re-key behind the agent's back makes it
# drop the stale key (the client unlocks directly).
expect_exit 0 kw rotate-master --passphrase-file "$PASSFILE"
expect_exit 0 kw get dev/api/A </dev/null
expect_eq "$OUT" "alpha"
expect_exit 0 kw --no-agent rotate-master --passphrase-file "$PASSFILE"
expect_exit 2 kw get dev/api/A </dev/null
expect_contains "$ERR" "no credential to unlock the vault"
expect_exit 0 kw agent status
expect_contains "$OUT" "no vault unlocked"
kw list --passphrase-file "$PASSFILE" >/dev/null 2>&1

# ---- lock wipes
expect_exit 0 kw lock
expect_contains "$ERR" "Locked $KEYWARD_VAULT"
expect_exit 2 kw get dev/api/A </dev/null
expect_contains "$ERR" "no credential to unlock the vault"
expect_exit 0 kw list --passphrase-file "$PASSFILE"
expect_exit 0 kw agent status
expect_contains "$OUT" "unlocked: $KEYWARD_VAULT"
expect_exit 0 kw lock --all
expect_exit 0 kw agent status
expect_contains "$OUT" "no vault unlocked"

# ---- a stuck agent: the client times out and unlocks directly
kw list --passphrase-file "$PASSFILE" >/dev/null 2>&1
kill -STOP "$PID"
export KEYWARD_AGENT_TIMEOUT_MS=700
KEYWARD_PASSPHRASE='correct horse battery' expect_exit 0 kw get dev/api/A
expect_eq "$OUT" "alpha"
expect_contains "$ERR" "the agent did not answer"
# ... and killed while a client waits on it: the client falls back too.
# The stopped agent accepts nothing: a client's connection waits in its accept queue (the
# listening socket's Recv-Q in ss). The timed-out client above may have left its own connection
# there, so count from what is queued now, and kill only once the new client's is there too.
queued_before=$(ss -xlnH src "$SOCK" | awk '{print $3}')
queued_before=${queued_before:-0}
KEYWARD_AGENT_TIMEOUT_MS=20000 KEYWARD_PASSPHRASE='correct horse battery' \
  setsid -w "$KEYWARD_BIN" get dev/api/A >"$TMP/bg.out" 2>"$TMP/bg.err" &
BGC=$!
queued=0
for _ in $(seq 1 400); do
  [[ $(ss -xlnH src "$SOCK" | awk '{print $3}') -gt $queued_before ]] && { queued=1; break; }
  sleep 0.05
done
[[ $queued == 1 ]] || fail "the client never connected to the stopped agent"
kill -KILL "$PID"
kill -CONT "$PID" 2>/dev/null || true
wait "$BGC" || fail "client did not fall back after the agent was killed: $(cat "$TMP/bg.err")"
expect_eq "$(cat "$TMP/bg.out")" "alpha"
grep -q "the agent did not answer (.*); unlocking directly" "$TMP/bg.err" ||
  fail "the client did not report the dead agent: $(cat "$TMP/bg.err")"
unset KEYWARD_AGENT_TIMEOUT_MS
# The fallback unlocked directly and started a new agent (auto-start) with the vault.
for _ in $(seq 1 100); do NEWPID=$(agent_pid); [[ -n $NEWPID ]] && break; sleep 0.05; done
[[ -n $NEWPID && $NEWPID != "$PID" ]] || fail "no new agent after the fallback"
AGENT_PIDS+=("$NEWPID")
# It was started by a client that had KEYWARD_PASSPHRASE: the agent's environment does not.
if [[ $(id -u) == 0 ]]; then
  tr '\0' '\n' </proc/"$NEWPID"/environ | grep -q '^KEYWARD_PASSPHRASE' && fail "agent has KEYWARD_PASSPHRASE"
  tr '\0' '\n' </proc/"$NEWPID"/environ | grep -q '^XDG_STATE_HOME=' || fail "cannot read the agent's environment"
fi
kill -KILL "$NEWPID"
# Agent dead, stale socket left: a clean fallback (no credential: a clear error, no hang).
expect_exit 2 kw get dev/api/A </dev/null
expect_contains "$ERR" "no credential to unlock the vault"
KEYWARD_PASSPHRASE='correct horse battery' expect_exit 0 kw get dev/api/A
expect_contains "$ERR" "Started the keyward agent"
PID=$(agent_pid)
AGENT_PIDS+=("$PID")
expect_exit 0 kw get dev/api/A
expect_eq "$OUT" "alpha"
# KEYWARD_AGENT_AUTOSTART=0: a running agent is used, none is started.
expect_exit 0 kw agent stop
expect_contains "$ERR" "Stopped the keyward agent"
[[ -e $SOCK ]] && fail "the socket is left behind after stop"
KEYWARD_AGENT_AUTOSTART=0 expect_exit 0 kw get dev/api/A --passphrase-file "$PASSFILE"
expect_exit 15 kw agent status

# ---- idle TTL: the vault locks by itself
expect_exit 0 kw agent start --idle-ttl 1s
PID=$(agent_pid)
AGENT_PIDS+=("$PID")
kw list --passphrase-file "$PASSFILE" >/dev/null 2>&1
locked=0
for _ in $(seq 1 200); do
  if kw agent status 2>/dev/null | grep -q "no vault unlocked"; then locked=1; break; fi
  sleep 0.1
done
[[ $locked == 1 ]] || fail "the idle TTL did not lock the vault within 20 s"
expect_exit 2 kw get dev/api/A </dev/null
expect_exit 0 kw agent stop

# ---- systemd socket activation: the agent takes the listening socket it is passed
# (LISTEN_PID/LISTEN_FDS), here from systemd-socket-activate, which starts it on first connection.
if command -v systemd-socket-activate >/dev/null; then
  mkdir -m 700 "$TMP/sa"
  export KEYWARD_AGENT_SOCKET=$TMP/sa/agent.sock
  systemd-socket-activate -l "$KEYWARD_AGENT_SOCKET" "$KEYWARD_BIN" agent start --foreground \
    --idle-ttl 1h 2>"$TMP/sa.log" &
  SAPID=$!
  AGENT_PIDS+=("$SAPID")
  for _ in $(seq 1 100); do [[ -S $KEYWARD_AGENT_SOCKET ]] && break; sleep 0.05; done
  expect_exit 0 kw agent status
  expect_contains "$OUT" "keyward agent running"
  kw list --passphrase-file "$PASSFILE" >/dev/null 2>&1
  expect_exit 0 kw get dev/api/A </dev/null
  expect_eq "$OUT" "alpha"
  expect_exit 0 kw agent stop
  wait "$SAPID" || true
  grep -q "listening on the socket passed by systemd" "$TMP/sa.log" || fail "not socket-activated: $(cat "$TMP/sa.log")"
  unset KEYWARD_AGENT_SOCKET
else
  fail "systemd-socket-activate vanished"  # required above
fi

# ---- another uid is refused
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null; then
  as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
  PEERDIR=$(mktemp -d /tmp/kwpeer.XXXXXX)
  chmod 755 "$PEERDIR"
  mkdir -m 700 "$PEERDIR/priv"
  export KEYWARD_AGENT_SOCKET=$PEERDIR/priv/agent.sock
  "$KEYWARD_BIN" agent start --foreground --idle-ttl 1h 2>"$TMP/agent.log" &
  FGPID=$!
  AGENT_PIDS+=("$FGPID")
  for _ in $(seq 1 100); do [[ -S $KEYWARD_AGENT_SOCKET ]] && break; sleep 0.05; done
  kw list --passphrase-file "$PASSFILE" >/dev/null 2>&1
  # A valid status request, as raw bytes (so that no client-side check gets in the way).
  probe() {
    as_nobody /usr/bin/python3 - "$KEYWARD_AGENT_SOCKET" <<'PY'
import socket, struct, sys
body = bytes([0xa2, 0x61, 0x76, 0x01, 0x62, 0x6f, 0x70, 0x66]) + b"status"
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("connect: permission denied"); sys.exit(0)
try:
    s.sendall(struct.pack(">II", len(body), 0) + body)
    data = s.recv(65536)
except (ConnectionResetError, BrokenPipeError):
    data = b""  # closed by the agent before or after our request: no answer either way
print("answer: %d bytes" % len(data))
PY
  }
  # 1. The private directory keeps other users out.
  [[ $(probe) == "connect: permission denied" ]] || fail "another uid reached the agent socket"
  # 2. Reachable on purpose: the agent itself refuses the peer (SO_PEERCRED), says nothing.
  chmod 755 "$PEERDIR/priv"
  chmod 666 "$KEYWARD_AGENT_SOCKET"
  [[ $(probe) == "answer: 0 bytes" ]] || fail "the agent answered another uid"
  grep -q "refused a connection from uid 65534" "$TMP/agent.log" || fail "no refusal logged: $(cat "$TMP/agent.log")"
  # The same request from our own uid is answered (the probe itself is valid).
  out=$(/usr/bin/python3 - "$KEYWARD_AGENT_SOCKET" <<'PY'
import socket, struct, sys
body = bytes([0xa2, 0x61, 0x76, 0x01, 0x62, 0x6f, 0x70, 0x66]) + b"status"
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1]); s.sendall(struct.pack(">II", len(body), 0) + body)
print("answer: %d bytes" % len(s.recv(65536)))
PY
)
  [[ $out != "answer: 0 bytes" ]] || fail "our own uid got no answer"
  # A keyward client of another uid also refuses a socket directory it does not own.
  expect_exit 9 as_nobody "$KEYWARD_BIN" agent status
  expect_contains "$ERR" "belongs to uid 0"
  # Our own client refuses the directory while it is open to others.
  expect_exit 9 kw agent status
  expect_contains "$ERR" "accessible to other users"
  chmod 700 "$PEERDIR/priv"
  expect_exit 0 kw agent stop
  wait "$FGPID" || true
  grep -q "stopped; every vault wiped" "$TMP/agent.log" || fail "agent did not log its stop"
  unset KEYWARD_AGENT_SOCKET
else
  fail "not root or no setpriv"  # required above
fi
echo "agent: ok"
