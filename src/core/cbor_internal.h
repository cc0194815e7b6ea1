// Pieces shared by the CBOR encoder (cbor.cpp) and the strict decoder (cbor_decode.cpp).
// Internal to src/core; not part of the cbor API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/bytes.h"

namespace keyward::cbor::internal {

enum Major : std::uint8_t {
  kUnsigned = 0,
  kNegative = 1,
  kBytes = 2,
  kText = 3,
  kArray = 4,
  kMap = 5,
  kTag = 6,
  kSimpleFloat = 7,
};

// Appends the shortest head for (major, argument).
void put_head(Bytes& out, Major major, std::uint64_t arg);

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s);
// Length of the valid UTF-8 sequence starting at s[i] (i < s.size()), or 0 if there is none.
std::size_t utf8_sequence(std::string_view s, std::size_t i);

// The preferred (shortest value-preserving) float encoding of d: width 2, 4 or 8 bytes and the
// big-endian IEEE 754 bits of that width. Every NaN becomes the half-precision 0x7e00.
struct FloatBits {
  int width;
  std::uint64_t bits;
};
FloatBits preferred_float(double d);

double half_to_double(std::uint16_t h);

}  // namespace keyward::cbor::internal
