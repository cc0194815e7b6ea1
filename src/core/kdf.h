// Key derivation: Argon2id (libargon2, multi-lane), scrypt and HKDF-SHA-256 (OpenSSL 3).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"

namespace keyward::kdf {

struct Argon2Params {
  std::uint32_t t_cost = 3;          // iterations
  std::uint32_t m_cost_kib = 65536;  // memory in KiB
  std::uint32_t parallelism = 4;     // lanes (and threads)
};

// Argon2id (version 0x13). Out-of-range parameters -> invalid_argument; no silent clamping.
Result<SecretBytes> argon2id(ByteView password, ByteView salt, const Argon2Params& params,
                             std::size_t out_len);
// Argon2id with secret key K and associated data X (RFC 9106 §3.1); for the RFC vectors and
// for formats that bind context this way.
Result<SecretBytes> argon2id_keyed(ByteView password, ByteView salt, ByteView secret,
                                   ByteView associated, const Argon2Params& params,
                                   std::size_t out_len);

struct ScryptParams {
  std::uint64_t n = 1u << 15;  // CPU/memory cost, power of two > 1
  std::uint32_t r = 8;
  std::uint32_t p = 1;
};
// scrypt (RFC 7914). max_mem_bytes bounds the memory an attacker-chosen N/r may demand.
Result<SecretBytes> scrypt(ByteView password, ByteView salt, const ScryptParams& params,
                           std::size_t out_len, std::uint64_t max_mem_bytes = 1ull << 30);

// HKDF-SHA-256 (RFC 5869) extract-and-expand. out_len <= 255 * 32.
Result<SecretBytes> hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, std::size_t out_len);

}  // namespace keyward::kdf
