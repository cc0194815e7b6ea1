#!/usr/bin/env bash
# Shell completions (`keyward completion bash|zsh|fish`, generated from the parser): bash answers
# through its real completion entry point (the function `complete -F` registered, run as
# bash-completion runs it); zsh and fish load the scripts without errors and fish answers through
# `complete -C`. Environment names and coordinates come only from an agent that already holds the
# vault: with no agent nothing is offered, nothing prompts and no agent is started.
. "$(dirname "$0")/lib.sh"
cleanup() { "$KEYWARD_BIN" -q agent stop >/dev/null 2>&1 || true; rm -rf "$TMP"; }
trap cleanup EXIT
mkdir -p "$TMP/bin"
ln -s "$KEYWARD_BIN" "$TMP/bin/keyward"
export PATH=$TMP/bin:$PATH
for sh in bash zsh fish; do
  expect_exit 0 kw completion "$sh"
  printf '%s\n' "$OUT" >"$TMP/keyward.$sh"
done
expect_exit 2 kw completion tcsh
# The installed files are these (cmake/Install.cmake generates them at build time).
if [[ -n ${KEYWARD_BINARY_DIR:-} && -f $KEYWARD_BINARY_DIR/generated/keyward.bash ]]; then
  cmp -s "$KEYWARD_BINARY_DIR/generated/keyward.bash" "$TMP/keyward.bash" || fail "generated/keyward.bash is stale"
fi

# complete_bash WORDS...: the candidates bash offers for the last word (may be empty).
complete_bash() {
  bash --norc --noprofile -c '
    set -u
    source "$1"; shift
    spec=$(complete -p keyward) || exit 3
    fn=$(sed -n "s/.*-F \([^ ]*\) keyward$/\1/p" <<<"$spec")
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    "$fn" keyward "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$TMP/keyward.bash" "$@" </dev/null
}
expect_exit 0 complete_bash keyward sl
expect_eq "$OUT" "slot"
expect_exit 0 complete_bash keyward slot ""
expect_eq "$OUT" "$(printf 'add\nlist\nrm')"
expect_exit 0 complete_bash keyward run --e
expect_eq "$OUT" "--env"
expect_exit 0 complete_bash keyward --vault /x get --passphrase-f
expect_eq "$OUT" "--passphrase-file"
expect_exit 0 complete_bash keyward --no-
expect_eq "$OUT" "--no-agent"
# Every top-level command the parser has (its --help list) is offered for an empty word.
expect_exit 0 kw --help
want=$(awk '/^Subcommands:/{s=1;next} s&&/^  [a-z]/{print $1} s&&/^$/{s=0}' <<<"$OUT" | sort)
[[ -n $want ]] || fail "no subcommands in --help"
expect_exit 0 complete_bash keyward ""
expect_eq "$OUT" "$want"
expect_not_contains "$OUT" "_manpage"
# After --, a command name.
expect_exit 0 complete_bash keyward run --env dev -- bas
expect_contains "$OUT" "bash"

# ---- values: no agent running -> nothing, no prompt, no agent started
init_vault >/dev/null 2>&1
printf v1 | kw set dev/api/TOKEN --passphrase-file "$PASSFILE" 2>/dev/null
printf v2 | kw set staging/db/URL --passphrase-file "$PASSFILE" 2>/dev/null
slot_numbers() { kw --json slot list --passphrase-file "$PASSFILE" | sed -n 's/.*"slot": \([0-9]*\).*/\1/p' | sort; }
expect_exit 0 complete_bash keyward slot rm ""
expect_eq "$OUT" "$(slot_numbers)"
expect_exit 0 kw slot add recovery --passphrase-file "$PASSFILE"
SLOTS=$(slot_numbers)
[[ $(wc -l <<<"$SLOTS") == 2 ]] || fail "expected two slots: $SLOTS"
unset KEYWARD_NO_AGENT
expect_exit 0 complete_bash keyward run --env ""
expect_eq "$OUT" ""
expect_exit 0 complete_bash keyward get ""
expect_eq "$OUT" ""
[[ ! -e $XDG_RUNTIME_DIR/keyward/agent.sock ]] || fail "a completion started the agent"
# Slot numbers need no unlock: they are the vault's slot table.
expect_exit 0 complete_bash keyward slot rm ""
expect_eq "$OUT" "$SLOTS"

# ---- an agent holding the vault: environment names and coordinates
expect_exit 0 kw agent start
expect_exit 0 kw get dev/api/TOKEN --passphrase-file "$PASSFILE"  # hands the vault over
expect_exit 0 complete_bash keyward run --env ""
expect_eq "$OUT" "$(printf 'dev\nstaging')"
expect_exit 0 complete_bash keyward export --env st
expect_eq "$OUT" "staging"
expect_exit 0 complete_bash keyward get ""
expect_eq "$OUT" "$(printf 'dev/api/TOKEN\nstaging/db/URL')"
# --vault on the line being completed is the vault asked about.
expect_exit 0 complete_bash keyward --vault "$TMP/other.db" get ""
expect_eq "$OUT" ""
# KEYWARD_NO_AGENT=1 is obeyed by completions too.
KEYWARD_NO_AGENT=1 expect_exit 0 complete_bash keyward get ""
expect_eq "$OUT" ""
# Locked: nothing (and no prompt: stdin is /dev/null and there is no terminal).
expect_exit 0 kw lock
expect_exit 0 complete_bash keyward get ""
expect_eq "$OUT" ""

# ---- zsh: the file loads through compinit without a word on stderr; its walk works in zsh
if command -v zsh >/dev/null; then
  mkdir -p "$TMP/zfunc"
  cp "$TMP/keyward.zsh" "$TMP/zfunc/_keyward"
  expect_exit 0 zsh -f -c '
    fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -D -d "$2/zcompdump"
    [[ ${_comps[keyward]} == _keyward ]] || { echo "keyward not registered" >&2; exit 1; }
    source "$1/_keyward"
    __keyward_walk --vault /v slot rm
    print -r -- "$kw_path|$kw_npos|${kw_vault[*]}"
    print -r -- "$(__keyward_subs "")"' _ "$TMP/zfunc" "$TMP"
  expect_eq "$ERR" ""
  expect_contains "$OUT" "slot rm|0|--vault /v"
  expect_contains "$OUT" "slot"
else
  echo "zsh not installed (scripts/install-deps.sh installs it)" >&2; exit 1
fi

# ---- fish: the file loads; `complete -C` answers with the same candidates
if command -v fish >/dev/null; then
  expect_exit 0 fish --no-config -c "source '$TMP/keyward.fish'; complete -C 'keyward sl'"
  expect_eq "$ERR" ""
  expect_eq "$(cut -f1 <<<"$OUT")" "slot"
  expect_exit 0 fish --no-config -c "source '$TMP/keyward.fish'; complete -C 'keyward slot '"
  expect_eq "$(cut -f1 <<<"$OUT" | sort | tr '\n' ' ')" "add list rm "
  expect_exit 0 fish --no-config -c "source '$TMP/keyward.fish'; complete -C 'keyward run --e'"
  expect_contains "$OUT" "--env"
  expect_exit 0 fish --no-config -c "source '$TMP/keyward.fish'; complete -C 'keyward slot rm '"
  expect_eq "$(cut -f1 <<<"$OUT" | sort)" "$SLOTS"
else
  echo "fish not installed (scripts/install-deps.sh installs it)" >&2; exit 1
fi
echo "completion_test: ok"
