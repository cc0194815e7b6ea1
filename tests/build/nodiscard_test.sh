#!/usr/bin/env bash
# The build enforces that no Result/Status is dropped (src/core/error.h, issue 13 item 9): the
# snippet compiles as is, and each variant that discards one fails to compile, naming nodiscard.
#   nodiscard_test.sh CXX SOURCE_DIR
set -euo pipefail
cxx=$1 src=$2
compile() { "$cxx" -std=c++20 -fsyntax-only -Werror -Wall -I"$src/src" "$@" "$src/tests/build/nodiscard.cpp"; }
compile -DKW_DISCARD=0 || { echo "FAIL: the snippet does not compile as is" >&2; exit 1; }
for n in 1 2 3 4; do
  if out=$(compile -DKW_DISCARD=$n 2>&1); then
    echo "FAIL: variant $n discards a Result and still compiles" >&2; exit 1
  fi
  if ! grep -qi 'nodiscard\|unused-result' <<<"$out"; then
    echo "FAIL: variant $n fails to compile, but not for the discarded Result:" >&2
    printf '%s\n' "$out" >&2; exit 1
  fi
  echo "variant $n: refused"
done
echo ok
