#!/usr/bin/env bash
# The main job on a fresh machine: install, build, and run keyward end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
dir=$(./scripts/build.sh gcc | tail -n 1)
kw="$dir/keyward"

echo "== $kw --version"
"$kw" --version
echo "== keyward selftest (known-answer tests of every primitive, run against the linked libraries)"
"$kw" selftest
