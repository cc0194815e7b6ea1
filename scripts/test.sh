#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test through ctest.
#   scripts/test.sh           g++ build, whole suite
#   scripts/test.sh --all     also clang+ASan+UBSan (the CI configuration)
#   scripts/test.sh asan      only the sanitizer build
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

flavors=(gcc)
case "${1:-}" in
  --all) flavors=(gcc asan) ;;
  gcc|clang|asan) flavors=("$1") ;;
  "") ;;
  *) echo "usage: $0 [--all|gcc|clang|asan]" >&2; exit 2 ;;
esac

# Two runs on one machine share no state (issue 14): as root, each ctest runs in its own mount
# and network namespace, so it has its own pcscd (/run/pcscd on a private tmpfs), its own vpcd
# and Redis ports (a private loopback) and its own simulator lock files. Without the privilege
# (or with KEYWARD_TEST_NO_ISOLATION=1) the suite runs in the host's namespaces, where runs
# serialise on the simulator's vpcd lock files instead.
can_isolate() {
  [[ $(id -u) == 0 && -z ${KEYWARD_TEST_NO_ISOLATION:-} ]] || return 1
  command -v unshare >/dev/null && command -v ip >/dev/null || return 1
  unshare --mount --net --propagation private true 2>/dev/null
}

run_ctest() {  # run_ctest BUILD_DIR
  if can_isolate; then
    local locks rc=0
    locks=$(mktemp -d "${TMPDIR:-/tmp}/keyward-test-locks.XXXXXX")
    echo "== isolated run: private network and /run/pcscd, simulator locks in $locks"
    KEYWARD_TEST_ISOLATED=1 KEYWARD_HWSIM_LOCK_DIR=$locks \
      unshare --mount --net --propagation private bash -c '
        set -e
        ip link set lo up
        mkdir -p /run/pcscd
        mount -t tmpfs -o mode=0755 tmpfs /run/pcscd
        exec ctest --test-dir "$1" --output-on-failure -j "$(nproc)"' isolated "$1" || rc=$?
    rm -rf "$locks"
    return $rc
  fi
  ctest --test-dir "$1" --output-on-failure -j "$(nproc)"
}

for flavor in "${flavors[@]}"; do
  echo "== build ($flavor)"
  dir=$(./scripts/build.sh "$flavor" | tail -n 1)
  echo "== test ($flavor)"
  # intercept_tls_get_addr=0: clang 14's LeakSanitizer misreads glibc 2.36's dynamic TLS blocks
  # (its thread dump showed "DTLS 5 at 0x000000000ff5-0x0014000020f7") and its stop-the-world
  # tracer then dies at exit with "Tracer caught signal 11: addr=0xff8" (10 of 10 runs of
  # `hw: fido_gate_test` beside two busy loops; 0 of 10 with this option). The option can only
  # add reports, never hide one: without it LSan treats those blocks as extra roots; with it they
  # are ordinary heap blocks that glibc's DTV points to, scanned when reached.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:intercept_tls_get_addr=0}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  run_ctest "$dir"
done
