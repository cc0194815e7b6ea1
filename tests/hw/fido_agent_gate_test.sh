#!/usr/bin/env bash
# High secrets through a warm unlock agent (issue 6): the agent holds only the master key and
# returns high records sealed; the client passes the presence gate itself. With the agent warm
# and no credential given: touch refused -> exit 12 and nothing printed; touch given -> the
# value; the agent's answers and its status never carry the high value; normal secrets need no
# touch; the audit log names the releases, and the agent records every gate outcome the client
# reports (given, refused, timed out); with the agent gone before the pass is recorded, nothing
# is released.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
FST=$HWSIM_STATE
D0="sim:$FST/fido0.sock"
for d in fido0 fido1; do ctl "$d" factory-reset; ctl "$d" auto-touch off; done
trap 'ctl fido0 auto-touch off; "$KEYWARD_BIN" agent stop >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
touches() { "$HWSIM_BIN" ctl --socket "$FST/ctl.sock" fido0 status | grep -o 'touch_requests=[0-9]*' | cut -d= -f2; }
export KEYWARD_FIDO2_DEVICES="$D0"
fido_set_pin "$FST/fido0.sock"  # UV required (the default) needs a FIDO2 PIN

init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
ctl fido0 auto-touch 50
expect_exit 0 kw slot add fido2 --device "$D0" --label fk --passphrase-file "$PASSFILE"
expect_exit 0 bash -c "printf 'v-high' | setsid -w '$KEYWARD_BIN' set dev/api/H --high --passphrase-file '$PASSFILE'"
ctl fido0 auto-touch off

# Warm the agent: a direct unlock hands the master key over.
unset KEYWARD_NO_AGENT
export KEYWARD_AGENT_AUTOSTART=1
expect_exit 0 kw agent start
expect_exit 0 kw get dev/api/A --passphrase-file "$PASSFILE"
expect_exit 0 kw agent status
expect_contains "$OUT" "$(basename "$KEYWARD_VAULT")"

# A normal secret through the agent: no credential, no touch.
before=$(touches)
expect_exit 0 kw get dev/api/A </dev/null
expect_eq "$OUT" "alpha"
expect_eq "$(touches)" "$before"

# The high secret through the agent: refused touch -> 12, nothing printed.
gbg() { kw get dev/api/H >"$TMP/bg.out" 2>"$TMP/bg.err" </dev/null & BG=$!; }
gbg
ctl fido0 refuse 20000
bg_wait 12
expect_eq "$OUT" ""
expect_contains "$ERR" "dev/api/H"
# Touch given: released, one touch.
before=$(touches)
gbg
ctl fido0 touch 20000
bg_wait 0
expect_eq "$OUT" "v-high"
expect_eq "$(touches)" "$((before + 1))"
# run through the agent: normal from the agent, the high one after one touch.
ctl fido0 auto-touch 50
expect_exit 0 kw run --env dev -- sh -c 'printf "%s %s" "$A" "$H"' </dev/null
expect_eq "$OUT" "alpha v-high"
ctl fido0 auto-touch off
# package through the agent (issue 18 item 5): the missing --token-out is refused before any
# touch; with it, one touch seals the high entry to the token, nothing else is asked.
age-keygen -o "$TMP/rcpt.key" 2>/dev/null
RCPT=$(age-keygen -y "$TMP/rcpt.key")
before=$(touches)
expect_exit 2 kw package --env dev --recipient "$RCPT" --out "$TMP/h.kpkg" </dev/null
expect_contains "$ERR" "--token-out"
expect_eq "$(touches)" "$before"
[[ ! -e $TMP/h.kpkg ]] || fail "a refused package left a file"
ctl fido0 auto-touch 50
expect_exit 0 kw package --env dev --recipient "$RCPT" --out "$TMP/h.kpkg" --token-out "$TMP/h.tok" </dev/null
ctl fido0 auto-touch off
expect_contains "$ERR" "Sealed 2 secret(s) (1 high)"
expect_eq "$(touches)" "$((before + 1))"
expect_exit 0 kw --no-agent unpack --in "$TMP/h.kpkg" --token "$TMP/h.tok" --package-identity "$TMP/rcpt.key" \
  --dry-run --passphrase-file "$PASSFILE" </dev/null
expect_contains "$OUT" "dev/api/H"$'\t'"high"
expect_not_contains "$OUT" "sealed"
if grep -q "v-high" "$TMP/h.kpkg" "$TMP/h.tok"; then fail "the high value is in the clear"; fi

# The agent's log and the state it reports never contain the value.
expect_exit 0 kw agent status --json
if grep -q "v-high" <<<"$OUT"; then fail "agent status shows a high value"; fi

# A touch that times out: denied, nothing printed.
gbg
ctl fido0 timeout 20000
bg_wait 12
expect_eq "$OUT" ""

# The gate passes but the agent is gone before it can record the pass: fail closed (the value is
# not released without its presence entry), exit 15 (unavailable), nothing printed.
gbg
ctl fido0 wait-touch 20000
"$KEYWARD_BIN" agent stop >/dev/null 2>&1
ctl fido0 touch 20000
bg_wait 15
expect_eq "$OUT" ""
expect_contains "$ERR" "nothing was released"
expect_contains "$ERR" "agent"

# The agent recorded what it served and the gate outcomes the client reported (the client holds
# no audit key); the log verifies.
expect_exit 0 kw audit --verify --passphrase-file "$PASSFILE"
expect_exit 0 kw audit --passphrase-file "$PASSFILE"
expect_contains "$OUT" "served by the agent"
expect_contains "$OUT" "presence  ok  dev/api/H (high)"
log=$OUT
agent_gate() { grep -c "^.*  presence  $1  dev/api/H (high).*$2.*gate run by the client, recorded by the agent\$" <<<"$log" || true; }
# refused touch and timed-out touch (get): denied; the given touch (get) and the run: ok, with
# the slot and device that answered; the requester is the client process (its command line).
expect_eq "$(agent_gate denied "by '[^']*keyward get dev/api/H' pid [0-9]*.* -- get (touch): ")" 2
expect_eq "$(agent_gate ok "\[slot [0-9]* fido2 'fk'\]  by '[^']*keyward get dev/api/H' pid [0-9]*.* -- get (touch) by ")" 1
expect_eq "$(agent_gate ok "\[slot [0-9]* fido2 'fk'\]  by '[^']*keyward run --env dev -- sh[^']*' pid .* -- run (touch) by ")" 1
expect_eq "$(agent_gate ok "\[slot [0-9]* fido2 'fk'\]  by '[^']*keyward package --env dev[^']*' pid .* -- package (touch) by ")" 1
# The pass that could not be recorded left no entry (5 agent-recorded gate entries in all).
expect_eq "$(grep -c 'recorded by the agent$' <<<"$log")" 5
if grep -rq "v-high\|alpha" "$XDG_STATE_HOME/keyward/audit" 2>/dev/null; then fail "a value is in the audit log"; fi

echo "fido_agent_gate: ok"
