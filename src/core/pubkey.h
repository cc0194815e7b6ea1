// X25519 and Ed25519 (libsodium).
#pragma once

#include <array>
#include <cstdint>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"

namespace keyward::pubkey {

using X25519Public = std::array<std::uint8_t, 32>;
struct X25519KeyPair {
  SecretBytes secret;  // 32-byte scalar
  X25519Public public_key{};
};

X25519KeyPair x25519_generate();
// Public key for a 32-byte secret scalar.
Result<X25519Public> x25519_public(ByteView secret);
// Shared secret. An all-zero result (low-order peer point) is refused with Errc::invalid_argument,
// as age and RFC 7748 §6.1 require.
Result<SecretBytes> x25519(ByteView secret, ByteView peer_public);

using Ed25519Public = std::array<std::uint8_t, 32>;
using Ed25519Signature = std::array<std::uint8_t, 64>;
struct Ed25519KeyPair {
  SecretBytes seed;  // 32-byte RFC 8032 private key (seed)
  Ed25519Public public_key{};
};
Ed25519KeyPair ed25519_generate();
Result<Ed25519KeyPair> ed25519_from_seed(ByteView seed32);
Result<Ed25519Signature> ed25519_sign(ByteView seed32, ByteView message);
bool ed25519_verify(ByteView public_key, ByteView message, ByteView signature) noexcept;

}  // namespace keyward::pubkey
