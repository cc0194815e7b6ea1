#!/usr/bin/env bash
# Installs every Debian package keyward needs to build, test, fuzz and benchmark.
# Idempotent and non-interactive; run as root on Debian 12 (or via sudo).
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang clang-14 libclang-rt-14-dev
  # crypto and encoding
  libsodium-dev libssl-dev libargon2-dev libcbor-dev
  # passphrase strength estimate (zxcvbn)
  libzxcvbn-dev
  # storage, CLI, formatting
  libsqlite3-dev sqlite3 libexpected-dev libcli11-dev nlohmann-json3-dev libfmt-dev
  # QR codes for air-gapped transfer (keyward pubkey --qr, package --qr)
  libqrencode-dev
  # tests decode the printed QR codes with a real reader (zbarimg)
  zbar-tools
  # tests and benchmarks
  catch2 libbenchmark-dev zlib1g-dev
  # (python3-cryptography, below, is also the independent SEALED-ENV-V1 implementation the
  # sealed-env tests check against: tests/sealedenv/gen_own_vectors.py)
  # hardware: PIV over PC/SC, FIDO2
  libykpiv-dev yubico-piv-tool libpcsclite-dev pcscd vsmartcard-vpcd
  libfido2-dev fido2-tools python3-fido2
  # the vendor's own tools against the simulated YubiKey (tests/hwsim ykman/pkcs11 tests):
  # ykman + yubikit, OpenSC's pkcs11-tool/pkcs15-tool and PKCS#11 module, Yubico's libykcs11
  yubikey-manager python3-cryptography opensc opensc-pkcs11 ykcs11
  # the independent attacker of tests/hw/fido_attack.py derives keys with PyNaCl (libsodium)
  python3-nacl python3-pyscard
  # peers and services used by tests
  age redis-server libhiredis-dev openssh-client
  # tools used by scripts
  procps psmisc util-linux
  # tests: ss (agent accept queue), systemd-socket-activate (agent socket activation)
  iproute2 systemd
  # device simulator tests (tests/hwsim): openssl CLI checks certificates
  openssl
  # benchmarks (bench/run_overhead.sh)
  hyperfine
  # the Debian package (debian/, scripts/deb-smoke.sh) and what its smoke test drives:
  # man pages, bash/zsh/fish completions (tests/cli/completion_test.sh), unit checks
  debhelper dpkg-dev lintian man-db bash-completion zsh fish
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
