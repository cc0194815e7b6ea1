#!/usr/bin/env bash
# Every Catch2 test case is exactly one ctest entry: catch_discover_tests splits names on ';' (two
# entries whose filters match nothing), so the count of "core: " entries ctest knows must equal the
# number of test cases the executable lists, and each entry's filter must name one listed case.
#   catch_count_test.sh BUILD_DIR TEST_EXE PREFIX
set -euo pipefail
build=$1 exe=$2 prefix=$3
# Catch2 2.x exits with the number of listed test cases (not an error).
raw=$("$exe" --list-test-names-only) || true
listed=$(sed '/^$/d' <<<"$raw" | sort)
n_listed=$(printf '%s\n' "$listed" | grep -c . || true)
# (catch_discover_tests drops the space of a TEST_PREFIX like "core: ": match it optionally)
entries=$(ctest --test-dir "$build" -N | sed -n "s/^ *Test *#[0-9]*: ${prefix% } \{0,1\}//p" | sort)
n_entries=$(printf '%s\n' "$entries" | grep -c . || true)
echo "catch2 lists $n_listed test cases; ctest has $n_entries '${prefix}' entries"
if [ "$n_listed" -lt 1 ]; then echo "FAIL: no test cases listed" >&2; exit 1; fi
if grep -n ';' <<<"$listed" >&2; then echo "FAIL: test case names above contain ';'" >&2; exit 1; fi
if [ "$n_listed" != "$n_entries" ] || [ "$listed" != "$entries" ]; then
  echo "FAIL: ctest entries differ from the listed test cases:" >&2
  diff <(printf '%s\n' "$listed") <(printf '%s\n' "$entries") >&2 || true
  exit 1
fi
echo "ok"
