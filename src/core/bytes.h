// Byte containers shared by every core module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace keyward {

// Zeroes a buffer in a way the compiler may not drop (random.cpp; sodium_memzero).
void secure_wipe(void* p, std::size_t n) noexcept;

// The allocator of Bytes: ordinary heap memory, zeroed when it is given back (also the old buffer
// each time a vector grows). Bytes are meant for non-secret data, but decoders and encoders hand
// plaintexts through them for a moment (a CBOR payload being built or parsed, a decrypted age
// payload); this makes sure none of it stays behind in freed heap memory. It does not lock pages:
// secrets that live longer belong in SecretBytes (locked, guarded, wiped).
template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    secure_wipe(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  bool operator==(const WipingAllocator<U>&) const noexcept { return true; }
};

// Non-secret bytes (ciphertexts, public keys, encodings); wiped when freed (above).
using Bytes = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;
// Read-only view of any contiguous bytes, secret or not.
using ByteView = std::span<const std::uint8_t>;
// Writable view, used for "decrypt into" style APIs.
using MutableByteView = std::span<std::uint8_t>;

inline ByteView as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline std::string_view as_chars(ByteView b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

inline void append(Bytes& out, ByteView more) { out.insert(out.end(), more.begin(), more.end()); }

}  // namespace keyward
