// Bech32 (BIP-173), used for age recipients and identities. Not Bech32m.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace keyward::encoding {

struct Bech32Data {
  std::string hrp;  // always lower-case
  Bytes data;       // 8-bit bytes (converted from the 5-bit groups, padding checked)
};

// Encodes 8-bit data; the result is lower-case. `upper` gives the all-upper-case form
// (AGE-SECRET-KEY-1...). Fails if the result would exceed max_len.
Result<std::string> bech32_encode(std::string_view hrp, ByteView data, bool upper = false,
                                  std::size_t max_len = 1023);
// Decodes a Bech32 string; mixed case, bad checksum, bad characters, invalid padding, or length
// above max_len (BIP-173 says 90; age allows longer) -> malformed.
Result<Bech32Data> bech32_decode(std::string_view text, std::size_t max_len = 1023);

}  // namespace keyward::encoding
