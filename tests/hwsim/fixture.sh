#!/usr/bin/env bash
# Start/stop helper for the simulator test fixtures (also usable by hand).
#
#   fixture.sh start STATE_DIR HWSIM_BIN [serve options...]
#       Wipes STATE_DIR, starts pcscd in the foreground (in the background of this shell) when
#       the options contain --piv and no pcscd is running, starts `keyward-hwsim serve`, and
#       waits (bounded) until every simulated device is ready.
#   fixture.sh stop STATE_DIR
#       Stops the simulator, and pcscd if this script started it. Never touches other processes.
#
# pcscd needs root (its socket lives in /run/pcscd); CI runs as root. On a desktop with a
# system pcscd (systemd socket activation) the running daemon is reused: Debian's
# vsmartcard-vpcd installs /etc/reader.conf.d/vpcd, which every pcscd loads.
set -euo pipefail

die() { echo "fixture: $*" >&2; exit 1; }

pcscd_running() {
  [ -S /run/pcscd/pcscd.comm ] || return 1
  local pid
  pid=$(cat /run/pcscd/pcscd.pid 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && return 0
  # A run isolated by scripts/test.sh (own mount and network namespace) starts its own pcscd.
  [ -z "${KEYWARD_TEST_ISOLATED:-}" ] || return 1
  # socket-activated pcscd (systemd) has no pid file until first use
  command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet pcscd.socket 2>/dev/null
}

# vpcd listens on 35963 (0x8C7B) and 35964 once pcscd has loaded the driver.
vpcd_listening() {
  grep -qiE '^ *[0-9]+: 00000000:8C7B 00000000:0000 0A' /proc/net/tcp 2>/dev/null
}

stop_pid() {  # stop_pid PIDFILE NAME
  local f=$1 name=$2 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  rm -f "$f"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "fixture: $name (pid $pid) ignored SIGTERM; killing" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

cmd=${1:-}
state=${2:-}
[ -n "$cmd" ] && [ -n "$state" ] || die "usage: fixture.sh start STATE_DIR HWSIM_BIN [serve options] | stop STATE_DIR"

case "$cmd" in
  start)
    bin=${3:-}
    [ -x "$bin" ] || die "simulator binary not found: $bin"
    shift 3
    # A previous run may have been interrupted: stop what it left behind, then start clean.
    stop_pid "$state/hwsim.pid" keyward-hwsim
    stop_pid "$state/pcscd.pid" pcscd
    rm -rf "$state"
    mkdir -p "$state"
    chmod 700 "$state"
    needs_pcscd=0
    for a in "$@"; do [ "$a" = "--piv" ] && needs_pcscd=1; done
    if [ $needs_pcscd = 1 ]; then
      command -v pcscd >/dev/null || die "pcscd is not installed (Debian: pcscd vsmartcard-vpcd)"
      [ -f /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || die "vpcd driver missing (Debian: vsmartcard-vpcd)"
      [ -f /etc/reader.conf.d/vpcd ] || die "/etc/reader.conf.d/vpcd missing (reinstall vsmartcard-vpcd)"
      if ! pcscd_running; then
        [ "$(id -u)" = 0 ] || die "no pcscd running and not root: start pcscd (sudo pcscd) or run as root"
        setsid pcscd --foreground </dev/null >"$state/pcscd.log" 2>&1 &
        echo $! >"$state/pcscd.pid"
      fi
      for _ in $(seq 1 300); do vpcd_listening && break; sleep 0.1; done
      vpcd_listening || die "pcscd did not open the vpcd port 35963 within 30 s (see $state/pcscd.log)"
    fi
    setsid "$bin" serve --state-dir "$state" "$@" </dev/null >"$state/hwsim.log" 2>&1 &
    echo $! >"$state/hwsim.pid"
    for _ in $(seq 1 1800); do
      if "$bin" ctl --socket "$state/ctl.sock" all ready >/dev/null 2>&1; then
        echo "fixture: simulator ready ($state)"
        exit 0
      fi
      kill -0 "$(cat "$state/hwsim.pid")" 2>/dev/null || { cat "$state/hwsim.log" >&2; die "simulator exited"; }
      sleep 0.1
    done
    cat "$state/hwsim.log" >&2
    die "simulator not ready within 180 s"
    ;;
  stop)
    stop_pid "$state/hwsim.pid" keyward-hwsim
    # Sanitizer builds: a report from the simulator process fails the cleanup test.
    if [ -f "$state/hwsim.log" ] && grep -qE "ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$state/hwsim.log"; then
      cat "$state/hwsim.log" >&2
      sanitizer_report=1
    fi
    # Leave a pcscd we started running only while another simulator (another test run on
    # this machine) still holds a vpcd slot; that run did not start it and will not stop it.
    busy=0
    lockdir=${KEYWARD_HWSIM_LOCK_DIR:-/tmp}
    for lock in "$lockdir/keyward-hwsim-vpcd-35963.lock" "$lockdir/keyward-hwsim-vpcd-35964.lock"; do
      [ -f "$lock" ] && ! flock -n "$lock" true 2>/dev/null && busy=1
    done
    if [ $busy = 1 ] && [ -f "$state/pcscd.pid" ]; then
      echo "fixture: another simulator still uses vpcd; leaving pcscd (pid $(cat "$state/pcscd.pid")) running" >&2
      rm -f "$state/pcscd.pid"
    fi
    stop_pid "$state/pcscd.pid" pcscd
    echo "fixture: stopped ($state)"
    [ -z "${sanitizer_report:-}" ] || die "the simulator reported a sanitizer error (log above)"
    ;;
  *) die "unknown command $cmd" ;;
esac
