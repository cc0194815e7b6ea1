#include "core/secret.h"

#include <sodium.h>

#include <cassert>
#include <cstring>
#include <new>
#include <ostream>
#include <utility>

#include "core/random.h"

namespace keyward {

SecretBytes::SecretBytes(std::size_t n) {
  if (n == 0) return;
  crypto_init();
  void* p = sodium_malloc(n);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, n);
  data_ = static_cast<std::uint8_t*>(p);
  size_ = n;
}

SecretBytes SecretBytes::copy_of(ByteView src) {
  SecretBytes s(src.size());
  if (!src.empty()) std::memcpy(s.data_, src.data(), src.size());
  return s;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    clear();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() { clear(); }

void SecretBytes::clear() noexcept {
  if (data_ != nullptr) {
    sodium_memzero(data_, size_);  // sodium_free zeroes too; be explicit about intent
    sodium_free(data_);
  }
  data_ = nullptr;
  size_ = 0;
}

SecretBytes SecretBytes::prefix(std::size_t n) const {
  assert(n <= size_);
  return copy_of(ByteView(data_, n < size_ ? n : size_));
}

bool SecretBytes::equals(ByteView other) const noexcept { return ct_equal(view(), other); }

std::ostream& operator<<(std::ostream& os, const SecretBytes& s) {
  return os << "[redacted " << s.size() << " bytes]";
}

}  // namespace keyward
