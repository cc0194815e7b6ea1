// Randomness from the OS CSPRNG (through libsodium) and constant-time comparison.
#pragma once

#include <cstddef>

#include "core/bytes.h"
#include "core/secret.h"

namespace keyward {

// Initialise libsodium once (thread-safe, idempotent). Aborts the process if the library cannot
// initialise: nothing secure can run without it.
void crypto_init() noexcept;

void random_fill(MutableByteView out) noexcept;
Bytes random_bytes(std::size_t n);
SecretBytes random_secret(std::size_t n);
// Uniform integer in [0, upper_bound), upper_bound > 0.
std::uint32_t random_uniform(std::uint32_t upper_bound) noexcept;

// Constant-time in the contents; returns false at once when the lengths differ (lengths of tags,
// MACs and tokens are public).
bool ct_equal(ByteView a, ByteView b) noexcept;
inline bool ct_equal(std::string_view a, std::string_view b) noexcept {
  return ct_equal(as_bytes(a), as_bytes(b));
}

// Best-effort wipe of non-locked memory that briefly held a secret (e.g. a std::string from a
// library API). Prefer SecretBytes.
void secure_wipe(void* p, std::size_t n) noexcept;

}  // namespace keyward
