#!/usr/bin/env bash
# keyward run: secrets in the command's environment only; keyward execs the command, so its exit
# codes and signals are the command's own.
. "$(dirname "$0")/lib.sh"

init_vault >/dev/null 2>&1
setv dev/api/STRIPE_KEY "sk_live_abcdef" 2>/dev/null
setv dev/api/SHARED "from-api" 2>/dev/null
setv dev/db/SHARED "from-db" 2>/dev/null
setv dev/db/DB_URL "pg://x" 2>/dev/null
setv stage/api/STRIPE_KEY "stage" 2>/dev/null
export KEYWARD_PASSPHRASE="correct horse battery"

expect_exit 0 kw run --env dev --component api -- sh -c 'printf "%s|%s" "${#STRIPE_KEY}" "$SHARED"'
expect_eq "$OUT" "14|from-api"
# Other environments and components are not passed.
expect_exit 0 kw run --env dev --component db -- sh -c 'printf "%s|%s" "${STRIPE_KEY-unset}" "$DB_URL"'
expect_eq "$OUT" "unset|pg://x"
# The inherited environment is kept; a secret replaces an inherited variable of the same name.
expect_exit 0 env FOO=bar STRIPE_KEY=old "$KEYWARD_BIN" run --env dev --component api -- sh -c 'printf "%s|%s" "$FOO" "$STRIPE_KEY"'
expect_eq "$OUT" "bar|sk_live_abcdef"
# The same KEY in two components: refused, the command does not run.
expect_exit 9 kw run --env dev -- sh -c 'echo RAN'
expect_contains "$ERR" "SHARED"
expect_not_contains "$OUT" "RAN"
# Exit code pass-through; 128+N for a signal.
expect_exit 42 kw run --env dev --component api -- sh -c 'exit 42'
expect_exit 143 kw run --env dev --component api -- sh -c 'kill -TERM $$'
# Command not found: 127.
expect_exit 127 kw run --env dev --component api -- /nonexistent/cmd
expect_contains "$ERR" "cannot run"
# Arguments after -- are passed verbatim, options included.
expect_exit 0 kw run --env dev --component api -- printf '%s,%s' -n --vault
expect_eq "$OUT" "-n,--vault"
# Missing --env / command.
expect_exit 2 kw run -- true
expect_exit 2 kw run --env dev --component api
# Wrong passphrase: the command does not run.
expect_exit 5 env KEYWARD_PASSPHRASE=wrong "$KEYWARD_BIN" run --env dev -- sh -c 'echo RAN'
expect_not_contains "$OUT" "RAN"

# SIGTERM sent to keyward's pid reaches the command (it is the command), and its status comes back.
"$KEYWARD_BIN" run --env dev --component api -- sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.05; done' >"$TMP/sig.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q ready "$TMP/sig.out" 2>/dev/null && break; sleep 0.05; done
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
expect_eq "$rc" 7
grep -q got-term "$TMP/sig.out" || fail "child did not get SIGTERM: $(cat "$TMP/sig.out")"
# keyward execs the command in its own process (no fork): the pid keyward started with is now
# the command, which holds the secrets in its environment; no secret is ever on argv.
"$KEYWARD_BIN" run --env dev --component api -- sh -c 'echo ready; sleep 2' >"$TMP/env.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q ready "$TMP/env.out" 2>/dev/null && break; sleep 0.05; done
expect_eq "$(cat "/proc/$pid/comm")" "sh"
tr '\0' '\n' <"/proc/$pid/environ" | grep -q '^STRIPE_KEY=sk_live_abcdef$' || fail "the command lacks its secret"
if tr '\0' '\n' <"/proc/$pid/cmdline" | grep -q sk_live_abcdef; then fail "secret on argv"; fi
kill -TERM "$pid"; wait "$pid" || true
# A signal kills the command itself; the caller sees it as such (no wrapper exit code).
rc=0; "$KEYWARD_BIN" run --env dev --component api -- sh -c 'kill -KILL $$' || rc=$?
expect_eq "$rc" 137
echo "run: ok"
