#!/usr/bin/env bash
# Presents one deploy token from N concurrent keyward processes; prints one exit code per line.
# Usage: concurrent_replay.sh N SEALED_FILE   (SEALED_ENV_TOKEN, SEALED_ENV_DEPLOY_TOKEN set)
n=$1 file=$2
dir=$(mktemp -d)
for i in $(seq "$n"); do
  ( "$KEYWARD_BIN" sealed-env decrypt --stdout --file "$file" >"$dir/out.$i" 2>"$dir/err.$i"; echo $? >"$dir/rc.$i" ) &
done
wait
for i in $(seq "$n"); do cat "$dir/rc.$i"; done
rm -rf "$dir"
