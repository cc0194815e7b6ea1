// Key derivation: Argon2id (libargon2, multi-lane), scrypt and HKDF-SHA-256 (OpenSSL 3).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"

namespace keyward::kdf {

// Accepted Argon2id parameter ranges. Parameters often come from files an attacker may write, so
// anything outside is refused (invalid_argument), never clamped.
inline constexpr std::uint32_t kArgon2MaxTimeCost = 1024;
inline constexpr std::uint32_t kArgon2MaxMemoryKib = 4u << 20;  // 4 GiB
inline constexpr std::uint32_t kArgon2MaxParallelism = 255;
inline constexpr std::size_t kArgon2MinSaltSize = 8;  // RFC 9106 §3.1 (16 recommended)
inline constexpr std::size_t kKdfMaxOutput = 4096;    // Argon2id and scrypt output bound

struct Argon2Params {
  std::uint32_t t_cost = 3;          // iterations
  std::uint32_t m_cost_kib = 65536;  // memory in KiB
  std::uint32_t parallelism = 4;     // lanes (and threads)
};

// Argon2id (version 0x13), threads = lanes = parallelism. t_cost in [1, kArgon2MaxTimeCost],
// parallelism in [1, kArgon2MaxParallelism], m_cost_kib in [8 * parallelism, kArgon2MaxMemoryKib],
// salt >= 8 bytes, out_len in [4, kKdfMaxOutput]; anything else -> invalid_argument.
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
// scrypt (RFC 7914). N must be a power of two > 1, r >= 1, p >= 1, out_len in [1, kKdfMaxOutput]
// (else invalid_argument). max_mem_bytes bounds the memory an attacker-chosen N/r/p may demand
// (128 * r * (N + p + 2) bytes); above it -> invalid_argument, before any allocation.
Result<SecretBytes> scrypt(ByteView password, ByteView salt, const ScryptParams& params,
                           std::size_t out_len, std::uint64_t max_mem_bytes = 1ull << 30);

// HKDF-SHA-256 (RFC 5869) extract-and-expand. out_len <= 255 * 32.
Result<SecretBytes> hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, std::size_t out_len);

}  // namespace keyward::kdf
