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

for flavor in "${flavors[@]}"; do
  echo "== build ($flavor)"
  dir=$(./scripts/build.sh "$flavor" | tail -n 1)
  echo "== test ($flavor)"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  ctest --test-dir "$dir" --output-on-failure -j "$(nproc)"
done
