// Bech32 (BIP-173), used for age recipients and identities. Not Bech32m.
//
// Strings are `<hrp>1<data><6-char checksum>`: the separator is the last '1', the hrp is 1 or
// more characters in 33..126, the data part uses the 32-character alphabet
// "qpzry9x8gf2tvdw0s3jn54khce6mua7l", and a string is either all lower-case or all upper-case.
// The checksum always covers the lower-case form.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"

namespace keyward::encoding {

// BIP-173's limit for addresses; age and keyward allow longer strings (the checksum is
// specified for up to 1023 characters).
inline constexpr std::size_t kBech32Bip173MaxLen = 90;
inline constexpr std::size_t kBech32MaxLen = 1023;

struct Bech32Data {
  std::string hrp;  // always lower-case
  Bytes data;       // 8-bit bytes (converted from the 5-bit groups, padding checked)
};

// Encodes 8-bit data; the result is lower-case. `upper` gives the all-upper-case form
// (AGE-SECRET-KEY-1...). The hrp may be given in either case (not mixed); it must be 1+
// characters in 33..126. Fails (invalid_argument) if the result would exceed max_len.
Result<std::string> bech32_encode(std::string_view hrp, ByteView data, bool upper = false,
                                  std::size_t max_len = kBech32MaxLen);
// Decodes a Bech32 string; mixed case, bad checksum, bad characters, invalid padding (more than
// 4 bits, or non-zero bits), or length above max_len -> malformed.
Result<Bech32Data> bech32_decode(std::string_view text, std::size_t max_len = kBech32MaxLen);

// Same as above for secrets (age identities): the text and the decoded bytes stay in
// SecretBytes and every intermediate buffer is wiped. Error messages never quote the input.
struct Bech32Secret {
  std::string hrp;   // lower-case; not secret
  SecretBytes data;  // 8-bit bytes
};
Result<SecretBytes> bech32_encode_secret(std::string_view hrp, ByteView data, bool upper = false,
                                         std::size_t max_len = kBech32MaxLen);
Result<Bech32Secret> bech32_decode_secret(std::string_view text,
                                          std::size_t max_len = kBech32MaxLen);

// Lower level, for formats that put non-byte values in the 5-bit groups (e.g. the BIP-173 segwit
// witness version): the checksum-verified 5-bit groups, without 5->8 conversion.
struct Bech32Groups {
  std::string hrp;                  // lower-case
  std::vector<std::uint8_t> groups; // values 0..31, checksum removed
};
Result<Bech32Groups> bech32_decode_groups(std::string_view text,
                                          std::size_t max_len = kBech32MaxLen);
// 5-bit groups -> bytes: an incomplete last group must be at most 4 bits and all zero.
Result<Bytes> bech32_groups_to_bytes(const std::vector<std::uint8_t>& groups);

}  // namespace keyward::encoding
