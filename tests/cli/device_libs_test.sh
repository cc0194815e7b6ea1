#!/usr/bin/env bash
# The device libraries (libfido2, libykpiv, libpcsclite) are loaded on first use (src/hw/dynlib.h),
# not at start-up: commands that talk to no device never load them, and one that does, with the
# library missing (here: an unloadable file of that name first on LD_LIBRARY_PATH), fails with an
# error naming the library and the package instead of crashing or claiming "no device".
. "$(dirname "$0")/lib.sh"
require_tools readelf

# Not a NEEDED entry of the binary.
needed=$(readelf -d "$KEYWARD_BIN" | grep NEEDED) || fail "readelf found no NEEDED entries"
for lib in libfido2 libykpiv libpcsclite; do
  if grep -q "$lib" <<<"$needed"; then fail "$lib is linked at start-up"; fi
done

bad=$TMP/badlibs
mkdir -p "$bad"
: >"$bad/libfido2.so.1"
: >"$bad/libpcsclite.so.1"
: >"$bad/libykpiv.so.2"
init_vault >/dev/null 2>&1
setv dev/api/A "alpha" 2>/dev/null
# Vault commands without a device work with the libraries unloadable.
expect_exit 0 env LD_LIBRARY_PATH="$bad" "$KEYWARD_BIN" get dev/api/A --passphrase-file "$PASSFILE"
expect_eq "$OUT" "alpha"
# FIDO2 enrolment: unavailable (15), naming libfido2 and its package.
expect_exit 15 env LD_LIBRARY_PATH="$bad" "$KEYWARD_BIN" slot add fido2 --label k --passphrase-file "$PASSFILE"
expect_contains "$ERR" "libfido2"
expect_contains "$ERR" "install the libfido2-1 package"
# PIV enrolment: the same for libpcsclite.
expect_exit 15 env LD_LIBRARY_PATH="$bad" "$KEYWARD_BIN" slot add piv --label p --serial 1 --skip-attestation --passphrase-file "$PASSFILE"
expect_contains "$ERR" "libpcsclite"
# doctor lists both.
env LD_LIBRARY_PATH="$bad" "$KEYWARD_BIN" doctor >"$TMP/doc.out" 2>&1 || true
grep -q "libfido2 (FIDO2 security keys) is not installed" "$TMP/doc.out" || fail "doctor: $(cat "$TMP/doc.out")"
grep -q "libpcsclite (PC/SC smart cards) is not installed" "$TMP/doc.out" || fail "doctor: $(cat "$TMP/doc.out")"
# Nothing in the vault changed.
expect_exit 0 kw slot list --passphrase-file "$PASSFILE"
expect_not_contains "$OUT" "fido2"
echo "device_libs: ok"
