#!/usr/bin/env bash
# Builds the Debian packages from this tree with Debian's own tooling (dpkg-buildpackage, debian/),
# checks them with lintian (no errors), installs them with apt, smoke-tests the installed
# /usr/bin/keyward, purges them and checks that nothing they installed is left behind.
# Run as root on Debian 12 (CI: .ci/run).
# Usage: scripts/deb-smoke.sh [--keep] [--debs DIR]   (--keep: leave them installed; --debs: test
# the .debs already in DIR instead of building)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
KEEP=0 PREBUILT=
while [[ $# -gt 0 ]]; do
  case $1 in
    --keep) KEEP=1 ;;
    --debs) PREBUILT=$(cd "$2" && pwd); shift ;;
    *) echo "usage: $0 [--keep] [--debs DIR]" >&2; exit 2 ;;
  esac
  shift
done
[[ $(id -u) == 0 ]] || { echo "deb-smoke: run as root (apt-get install)" >&2; exit 1; }
say() { echo "deb-smoke: $*"; }
fail() { echo "deb-smoke: FAIL: $*" >&2; exit 1; }

# ---- build, in a copy of the tracked (and new, not ignored) files: the tree stays clean and
# the .debs land in build-deb/ instead of the source tree's parent directory.
if [[ -n $PREBUILT ]]; then
  OUT=$PREBUILT
else
  OUT=$SRC/build-deb
  rm -rf "$OUT"
  mkdir -p "$OUT/keyward"
  git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$OUT/keyward"
  if command -v ccache >/dev/null; then
    export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache CCACHE_BASEDIR=$OUT
  fi
  say "dpkg-buildpackage (tests and benchmarks off: the suite ran from the tree; selftest runs below)"
  (cd "$OUT/keyward" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
     nice dpkg-buildpackage -us -uc -b >"$OUT/build.log" 2>&1) || { tail -60 "$OUT/build.log"; fail "dpkg-buildpackage"; }
fi
shopt -s nullglob
debs=("$OUT"/keyward_*.deb "$OUT"/keyward-hwsim_*.deb)
[[ ${#debs[@]} == 2 ]] || fail "expected keyward and keyward-hwsim .debs, got: ${debs[*]}"
changes=("$OUT"/keyward_*.changes)

say "lintian"
lint=("${debs[@]}")
[[ ${#changes[@]} -gt 0 ]] && lint=("${changes[0]}")
lintian --fail-on error --display-info --tag-display-limit 0 "${lint[@]}" | tee "$OUT/lintian.log" \
  || fail "lintian reports errors"

# ---- install
apt-get purge -y -qq keyward keyward-hwsim >/dev/null 2>&1 || true
say "apt-get install ${debs[*]##*/}"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${debs[@]}" >/dev/null || fail "apt-get install"
for d in "${debs[@]}"; do dpkg-deb -c "$d"; done | awk '{print $6}' | sed 's#^\./#/#' | grep -v '/$' >"$OUT/files"
[[ $(command -v keyward) == /usr/bin/keyward ]] || fail "keyward is not /usr/bin/keyward"

# ---- smoke test, as a user with a private HOME (no agent; the vault and state in $T)
T=$(mktemp -d /tmp/kw-deb-smoke.XXXXXX)
cleanup() { rm -rf "$T"; }
trap cleanup EXIT
export HOME=$T/home XDG_DATA_HOME=$T/data XDG_STATE_HOME=$T/state XDG_RUNTIME_DIR=$T/run
mkdir -p "$HOME" && mkdir -m 700 "$XDG_RUNTIME_DIR"
export KEYWARD_NO_AGENT=1
unset KEYWARD_VAULT
kw() { setsid -w /usr/bin/keyward "$@" </dev/null; }

kw --version | grep -q "^keyward $(sed -n 's/^project(keyward VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)$" || fail "--version"
kw selftest >/dev/null || fail "selftest"
export KEYWARD_PASSPHRASE='deb smoke passphrase' KEYWARD_NEW_PASSPHRASE='deb smoke passphrase'
kw init --kdf-memory 8 --kdf-time 1 --kdf-parallelism 1 >/dev/null 2>&1 || fail "init"
[[ -f $XDG_DATA_HOME/keyward/vault.db ]] || fail "init did not create the default vault"
printf 's3cret-value' | setsid -w /usr/bin/keyward set dev/api/TOKEN 2>/dev/null || fail "set"
[[ $(kw get dev/api/TOKEN) == s3cret-value ]] || fail "get"
[[ $(kw run --env dev -- /bin/sh -c 'printf %s "$TOKEN"') == s3cret-value ]] || fail "run"
unset KEYWARD_PASSPHRASE KEYWARD_NEW_PASSPHRASE
if kw get dev/api/TOKEN >/dev/null 2>&1; then fail "get without a credential succeeded"; fi
say "init/set/get/run on $XDG_DATA_HOME/keyward/vault.db: ok"

for page in keyward.1 keyward.7 keyward-hwsim.1; do
  man -w "${page%.*}" "${page##*.}" >/dev/null 2>&1 || man -w "${page##*.}" "${page%.*}" >/dev/null || fail "man -w $page"
done
[[ $(man -w keyward) == /usr/share/man/man1/keyward.1.gz ]] || fail "man -w keyward: $(man -w keyward)"
MANWIDTH=100 man keyward 2>/dev/null | grep -q "keyward slot add" || fail "man keyward lacks slot add"
say "man pages: ok"

# bash: the installed file, loaded on demand by bash-completion's own loader.
[[ -f /usr/share/bash-completion/bash_completion ]] || fail "bash-completion is not installed"
got=$(bash --norc --noprofile -c '
  source /usr/share/bash-completion/bash_completion
  _completion_loader keyward
  fn=$(complete -p keyward | sed -n "s/.*-F \([^ ]*\) keyward$/\1/p")
  COMP_WORDS=(keyward sl); COMP_CWORD=1; COMP_LINE="keyward sl"; COMP_POINT=10
  "$fn" keyward sl keyward
  printf "%s\n" "${COMPREPLY[@]}"' </dev/null)
[[ $got == slot ]] || fail "bash completion of 'keyward sl' gave '$got'"
got=$(HOME=$T zsh -f -c 'autoload -Uz compinit; compinit -u -D; print -r -- ${_comps[keyward]}' 2>&1)
[[ $got == _keyward ]] || fail "zsh does not find the installed completion: $got"
got=$(HOME=$T fish -c 'complete -C "keyward sl"' 2>&1 | cut -f1)  # (--no-config would drop the vendor directories)
[[ $got == slot ]] || fail "fish completion of 'keyward sl' gave '$got'"
say "completions (bash, zsh, fish): ok"

[[ -f /usr/lib/udev/rules.d/70-keyward.rules ]] || fail "no udev rule"
doctor=$(kw --json doctor 2>/dev/null || true)  # non-zero without a device or pcscd
grep -q '"udev_rule": true' <<<"$doctor" || fail "doctor does not see the udev rule"
for u in keyward-agent.socket keyward-agent.service; do
  [[ -f /usr/lib/systemd/user/$u ]] || fail "no $u"
done
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify --user /usr/lib/systemd/user/keyward-agent.socket \
    /usr/lib/systemd/user/keyward-agent.service 2>&1 | tee "$T/verify" >&2 || true
  grep -v -e 'Failed to connect' -e 'Failed to .*bus' "$T/verify" | grep -qi . && fail "systemd-analyze verify"
fi
grep -q '^ExecStart=/usr/bin/keyward agent start --foreground$' /usr/lib/systemd/user/keyward-agent.service \
  || fail "the service does not run /usr/bin/keyward"
# The service's own command line, socket-activated (systemd-socket-activate passes LISTEN_FDS the
# way systemd does; there is no systemd user manager in CI): a running agent on first use.
if command -v systemd-socket-activate >/dev/null; then
  read -r -a exec_start < <(sed -n 's/^ExecStart=//p' /usr/lib/systemd/user/keyward-agent.service)
  mkdir -m 700 "$XDG_RUNTIME_DIR/keyward"
  export KEYWARD_AGENT_SOCKET=$XDG_RUNTIME_DIR/keyward/agent.sock
  systemd-socket-activate -l "$KEYWARD_AGENT_SOCKET" "${exec_start[@]}" 2>"$T/agent.log" &
  sapid=$!
  for _ in $(seq 1 200); do [[ -S $KEYWARD_AGENT_SOCKET ]] && break; sleep 0.05; done
  unset KEYWARD_NO_AGENT
  kw agent status >/dev/null 2>&1 || { kill "$sapid" 2>/dev/null; fail "socket-activated agent: $(cat "$T/agent.log")"; }
  kw agent stop >/dev/null 2>&1 || true
  wait "$sapid" 2>/dev/null || true
  grep -q "listening on the socket passed by systemd" "$T/agent.log" || fail "agent not socket-activated: $(cat "$T/agent.log")"
  export KEYWARD_NO_AGENT=1
  unset KEYWARD_AGENT_SOCKET
  say "socket-activated agent from the installed unit's ExecStart: ok"
fi
rc=0; keyward-hwsim --help >/dev/null 2>&1 || rc=$?
[[ $rc == 0 || $rc == 2 ]] || fail "keyward-hwsim --help exited $rc"
say "udev rule, user units, simulator: ok"

[[ $KEEP == 1 ]] && { say "kept installed (--keep)"; exit 0; }

# ---- purge: no file of either package left, and no package state
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq keyward keyward-hwsim >/dev/null || fail "apt-get purge"
left=()
while read -r f; do [[ -e $f || -L $f ]] && left+=("$f"); done <"$OUT/files"
[[ ${#left[@]} == 0 ]] || fail "left after purge: ${left[*]}"
state=$(ls /var/lib/dpkg/info/ | grep -E "^keyward(-hwsim)?[.:]" || true)
[[ -z $state ]] || fail "dpkg still has keyward state: $state"
[[ -z $(find /etc /usr /var/lib -name '*keyward*' -not -path '/var/lib/dpkg/*' 2>/dev/null | grep -v "^$SRC") ]] \
  || fail "files named keyward left: $(find /etc /usr /var/lib -name '*keyward*' -not -path '/var/lib/dpkg/*' 2>/dev/null)"
[[ -f $XDG_DATA_HOME/keyward/vault.db ]] || fail "purge touched the user's vault"
say "purged: nothing left outside the user's data"
say "ok"
