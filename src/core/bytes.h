// Byte containers shared by every core module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace keyward {

// Non-secret bytes (ciphertexts, public keys, encodings).
using Bytes = std::vector<std::uint8_t>;
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
