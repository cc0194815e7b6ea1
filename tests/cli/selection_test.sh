#!/usr/bin/env bash
# Issue 18 item 2: a mistyped environment or component is an error, not a silent success. `run`,
# `export`, `list --env` and `package` refuse an environment (or component) without records,
# name the known ones and the closest ("did you mean"), exit 6 (not_found), and run nothing;
# --allow-empty keeps the old behaviour for scripts. The rule is core's (core/access): the same
# answer through a warm agent and on the direct path. Environment names follow one rule
# everywhere (lower case): `list --env DEV` is refused like `run --env DEV`.
. "$(dirname "$0")/lib.sh"
require_tools age-keygen
cleanup() { "$KEYWARD_BIN" -q agent stop >/dev/null 2>&1 || true; rm -rf "$TMP"; }
trap cleanup EXIT
init_vault >/dev/null 2>&1
setv dev/api/A alpha 2>/dev/null
setv staging/api/B beta 2>/dev/null
setv staging/web/C gamma 2>/dev/null
D() { kw "$@" --passphrase-file "$PASSFILE" </dev/null; }

check_paths() {  # check_paths LABEL CMD-PREFIX...: the checks, through the given invocation
  local label=$1
  shift
  # run: nothing runs, the known environments and the suggestion are named
  expect_exit 6 "$@" run --env stagng -- sh -c 'echo ran >"$0"' "$TMP/ran-$label"
  [[ ! -e $TMP/ran-$label ]] || fail "$label: run started the command for an unknown environment"
  expect_contains "$ERR" "no secrets in environment 'stagng'"
  expect_contains "$ERR" "known: dev, staging"
  expect_contains "$ERR" 'did you mean `staging`?'
  expect_contains "$ERR" "--allow-empty"
  # a component that the environment does not have
  expect_exit 6 "$@" run --env staging --component wbe -- true
  expect_contains "$ERR" "components of staging: api, web"
  expect_contains "$ERR" 'did you mean `web`?'
  # --allow-empty: the old behaviour, nothing injected
  expect_exit 0 "$@" run --env stagng --allow-empty -- sh -c 'echo "B=${B:-unset}"'
  expect_eq "$OUT" "B=unset"
  # export: no document at all (not an empty one) unless --allow-empty
  expect_exit 6 "$@" export --env stagng
  expect_eq "$OUT" ""
  expect_contains "$ERR" 'did you mean `staging`?'
  expect_exit 0 "$@" export --env stagng --allow-empty
  expect_eq "$OUT" ""
  # list --env
  expect_exit 6 "$@" list --env stagng
  expect_contains "$ERR" 'did you mean `staging`?'
  expect_exit 0 "$@" list --env stagng --allow-empty
  expect_eq "$OUT" ""
  expect_exit 2 "$@" list --env DEV
  expect_contains "$ERR" "lower-case"
  # what exists still works
  expect_exit 0 "$@" run --env staging -- sh -c 'echo "$B $C"'
  expect_eq "$OUT" "beta gamma"
}

# Direct path (the passphrase from the environment: options after `--` belong to the command).
direct() { KEYWARD_PASSPHRASE="$(cat "$PASSFILE")" kw --no-agent "$@" </dev/null; }
check_paths direct direct
# Through a warm agent (no credential: the agent answers, the rule is the same).
unset KEYWARD_NO_AGENT
expect_exit 0 D list
expect_exit 0 kw agent status
expect_contains "$OUT" "vault.db"
check_paths agent kw
# The agent answered every one of those itself: its entries name it.
expect_exit 0 kw --no-agent audit --passphrase-file "$PASSFILE"
expect_contains "$OUT" "no secrets in environment 'stagng'"
expect_contains "$OUT" "served by the agent"

# package: the mistyped environment or component is named before anything else happens.
new_identity
expect_exit 6 D --no-agent package --env stagng --recipient "$RECIPIENT" --out "$TMP/p.kwp" --token-out "$TMP/p.tok"
expect_contains "$ERR" 'did you mean `staging`?'
[[ ! -e $TMP/p.kwp && ! -e $TMP/p.tok ]] || fail "package wrote files for an unknown environment"
echo "selection: ok"
