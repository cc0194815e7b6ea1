#!/usr/bin/env bash
# Configures and builds keyward.  Usage: scripts/build.sh [gcc|clang|asan|fuzz]  (default gcc)
#   gcc    g++ build in build/
#   clang  clang++ build in build-clang/
#   asan   clang++ with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/, fuzz targets too
#   fuzz   clang++ libFuzzer targets in build-fuzz/
# Prints the build directory on the last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
flavor=${1:-gcc}
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
case "$flavor" in
  gcc)   dir=build;       args=(-DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++) ;;
  clang) dir=build-clang; args=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++) ;;
  # asan also builds the libFuzzer targets (everything carries libFuzzer's coverage hooks, which
  # only the fuzz binaries use): ctest fuzzes each briefly ("fuzz run: ...", docs/fuzzing.md).
  asan)  dir=build-asan;  args=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DKEYWARD_SANITIZE=ON -DKEYWARD_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug -DKEYWARD_BENCH=OFF) ;;
  fuzz)  dir=build-fuzz;  args=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DKEYWARD_FUZZ=ON -DKEYWARD_TESTS=OFF -DKEYWARD_BENCH=OFF) ;;
  *) echo "usage: $0 [gcc|clang|asan|fuzz]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" "${gen[@]}" "${args[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)" >&2
echo "$dir"
