#!/usr/bin/env bash
# Issue 13 on a vault with a FIDO2 slot (simulator): high records keep their integrity and every
# change in a high environment is gated, through a warm agent (no credential, no touch) and
# through the direct path (credential given, touch refused):
#   * `printf x | keyward set prod/api/DATABASE_URL --tier normal` does not overwrite/downgrade
#     the high record; `keyward rm prod/api/OTHER_HIGH` does not remove it; a new normal record
#     in prod is not added; a high record of dev is not overwritten;
#   * with the touch given (direct path), the same changes go through, one touch each;
#   * the gate prompt of `run` lists every variable the command receives, normal ones included;
#   * an agent `get` of a high coordinate and a `run` with sealed high rows are recorded.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
FST=$HWSIM_STATE
D0="sim:$FST/fido0.sock"
for d in fido0 fido1; do ctl "$d" factory-reset; ctl "$d" auto-touch off; done
trap 'ctl fido0 auto-touch off; "$KEYWARD_BIN" agent stop >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
export KEYWARD_FIDO2_DEVICES="$D0"
unset KEYWARD_FIDO2_PIN
fido_set_pin "$FST/fido0.sock" 4321hwsim  # UV-capable: the slot can hold the high key

init_vault >/dev/null 2>&1
setv dev/api/A alpha 2>/dev/null
ctl fido0 auto-touch 50
expect_exit 0 kw slot add fido2 --device "$D0" --label fk --passphrase-file "$PASSFILE"
for c in prod/api/DATABASE_URL prod/api/OTHER_HIGH; do
  expect_exit 0 bash -c "printf 'v-$c' | setsid -w '$KEYWARD_BIN' set $c --passphrase-file '$PASSFILE'"
  expect_contains "$ERR" "(high)"
done
expect_exit 0 bash -c "printf 'v-dev-high' | setsid -w '$KEYWARD_BIN' set dev/api/H --high --passphrase-file '$PASSFILE'"
expect_exit 0 bash -c "printf 'low' | setsid -w '$KEYWARD_BIN' set prod/api/LOW --tier normal --passphrase-file '$PASSFILE'"
ctl fido0 auto-touch off
state() {  # every record's tier and value, through a touch
  ctl fido0 auto-touch 50
  kw --no-agent list --passphrase-file "$PASSFILE" </dev/null 2>/dev/null | awk '{print $1, $2}'
  for c in prod/api/DATABASE_URL prod/api/OTHER_HIGH dev/api/H prod/api/LOW; do
    printf '%s=' "$c"; kw --no-agent get "$c" --passphrase-file "$PASSFILE" </dev/null 2>/dev/null || printf 'MISSING'; echo
  done
  ctl fido0 auto-touch off
}
BEFORE=$(state)

# ---- through a warm agent, no credential: nothing changes (the agent refuses, the CLI falls
# back to a direct unlock, which has no credential)
unset KEYWARD_NO_AGENT
export KEYWARD_AGENT_AUTOSTART=1
expect_exit 0 kw agent start
expect_exit 0 kw list --passphrase-file "$PASSFILE"
attacks() {  # attacks CREDENTIAL_ARGS...
  expect_exit "$WANT" bash -c "printf x | setsid -w '$KEYWARD_BIN' set prod/api/DATABASE_URL --tier normal $*"
  expect_exit "$WANT" bash -c "printf x | setsid -w '$KEYWARD_BIN' set dev/api/H --tier normal $*"
  expect_exit "$WANT" bash -c "printf x | setsid -w '$KEYWARD_BIN' set dev/api/H --high $*"
  expect_exit "$WANT" bash -c "printf x | setsid -w '$KEYWARD_BIN' set prod/api/NEW --tier normal $*"
  expect_exit "$WANT" bash -c "printf x | setsid -w '$KEYWARD_BIN' set prod/api/LOW --tier normal $*"
  expect_exit "$WANT" bash -c "setsid -w '$KEYWARD_BIN' rm prod/api/OTHER_HIGH $* </dev/null"
  expect_exit "$WANT" bash -c "setsid -w '$KEYWARD_BIN' rm prod/api/LOW $* </dev/null"
  expect_exit "$WANT" bash -c "setsid -w '$KEYWARD_BIN' rm dev/api/H $* </dev/null"
  printf 'DATABASE_URL=x\n' >"$TMP/over.env"
  expect_exit "$WANT" bash -c "setsid -w '$KEYWARD_BIN' import --env prod --component api --tier normal --overwrite $* '$TMP/over.env' </dev/null"
}
WANT=2 attacks
expect_exit 0 kw agent status
expect_contains "$OUT" "unlocked: "
[[ "$(state)" == "$BEFORE" ]] || fail "a change went around the gate through the agent"

# ---- direct path, credential given, every touch refused: exit 12, nothing changes
# One refusal per request, by a helper that is stopped (with its pending refusal) afterwards.
refuse_all() {
  local c=
  trap '[[ -n $c ]] && kill "$c" 2>/dev/null && wait "$c" 2>/dev/null; exit 0' TERM
  while :; do
    "$HWSIM_BIN" ctl --socket "$HWSIM_STATE/ctl.sock" fido0 refuse 20000 >/dev/null 2>&1 &
    c=$!
    wait "$c" || true
  done
}
refuse_all & REFUSER=$!
WANT=12 attacks "--passphrase-file '$PASSFILE'"
kill "$REFUSER" 2>/dev/null; wait "$REFUSER" 2>/dev/null || true
ctl fido0 auto-touch off
AFTER=$(state); [[ "$AFTER" == "$BEFORE" ]] || fail "a change went around the gate on the direct path: $(diff <(echo "$BEFORE") <(echo "$AFTER"))"

# ---- with the touch: each gated change goes through, the prompt names it
ctl fido0 auto-touch 50
expect_exit 0 bash -c "printf x | setsid -w '$KEYWARD_BIN' set prod/api/DATABASE_URL --tier normal --passphrase-file '$PASSFILE'"
expect_contains "$ERR" "prod/api/DATABASE_URL"
expect_exit 0 kw rm prod/api/OTHER_HIGH --passphrase-file "$PASSFILE"

# ---- run's prompt lists every variable the command receives, normal ones too
expect_exit 0 bash -c "setsid -w '$KEYWARD_BIN' run --env dev --passphrase-file '$PASSFILE' -- sh -c 'printf \"%s %s\" \"\$A\" \"\$H\"' </dev/null"
expect_eq "$OUT" "alpha v-dev-high"
expect_contains "$ERR" "dev/api/H"
expect_contains "$ERR" "normal secret(s):"
expect_contains "$ERR" "dev/api/A"

# ---- every release through the agent is recorded, sealed high rows included
expect_exit 0 kw get dev/api/H </dev/null
expect_exit 0 kw run --env dev -- true </dev/null
ctl fido0 auto-touch off
expect_exit 0 kw --no-agent audit --passphrase-file "$PASSFILE"
expect_contains "$OUT" "served sealed by the agent"
grep -E '  run  .*dev/api/H' <<<"$OUT" >/dev/null || fail "the agent's run entry leaves out the sealed high row: $OUT"
echo "fido_policy: ok"
