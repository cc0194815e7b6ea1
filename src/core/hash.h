// Hashes and MACs: SHA-256/512, HMAC-SHA-1/256/512 (OpenSSL 3 EVP), keyed BLAKE2b (libsodium).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/bytes.h"
#include "core/error.h"

namespace keyward::hash {

using Digest256 = std::array<std::uint8_t, 32>;

Digest256 sha256(ByteView data);
Bytes sha512(ByteView data);

enum class HmacAlg { sha1, sha256, sha512 };
// Never fails for valid input (any key length, including empty); an OpenSSL failure here means
// the library is unusable and aborts the process rather than return a wrong MAC.
Bytes hmac(HmacAlg alg, ByteView key, ByteView message);
inline Bytes hmac_sha256(ByteView key, ByteView message) {
  return hmac(HmacAlg::sha256, key, message);
}
inline Bytes hmac_sha1(ByteView key, ByteView message) { return hmac(HmacAlg::sha1, key, message); }

// Keyed BLAKE2b (RFC 7693) with out_len in [16, 64] and key length in [16, 64].
Result<Bytes> blake2b_keyed(ByteView key, ByteView message, std::size_t out_len = 32);
// Unkeyed BLAKE2b, out_len in [16, 64] (libsodium's crypto_generichash range; RFC 7693 allows
// shorter digests but nothing in keyward needs them).
Result<Bytes> blake2b(ByteView message, std::size_t out_len = 32);

}  // namespace keyward::hash
