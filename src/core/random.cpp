#include "core/random.h"

#include <sodium.h>

#include <cstdlib>
#include <mutex>

namespace keyward {

void crypto_init() noexcept {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();
  });
}

void random_fill(MutableByteView out) noexcept {
  crypto_init();
  if (!out.empty()) randombytes_buf(out.data(), out.size());
}

Bytes random_bytes(std::size_t n) {
  Bytes b(n);
  random_fill(b);
  return b;
}

SecretBytes random_secret(std::size_t n) {
  SecretBytes s(n);
  random_fill(s.span());
  return s;
}

std::uint32_t random_uniform(std::uint32_t upper_bound) noexcept {
  crypto_init();
  return randombytes_uniform(upper_bound);
}

bool ct_equal(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  crypto_init();
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

void secure_wipe(void* p, std::size_t n) noexcept {
  if (p != nullptr && n != 0) sodium_memzero(p, n);
}

}  // namespace keyward
