// The age v1 header grammar (c2sp.org/age, "ABNF definition of file header"):
//
//   header     = "age-encryption.org/v1" LF 1*stanza "--- " 43base64char LF
//   stanza     = "-> " argument *(SP argument) LF *(64base64char LF) *63base64char LF
//   argument   = 1*VCHAR
//
// Base64 is standard alphabet, unpadded, canonical. The MAC is HMAC-SHA-256 keyed with
// HKDF-SHA-256(file key, salt = "", info = "header") over the header up to and including "---".
// The parser is strict: every byte string has exactly one accepted header encoding, so the
// bytes read are the bytes MACed.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "core/age/age.h"
#include "core/age/io.h"

namespace keyward::age {

inline constexpr std::string_view kVersionLine = "age-encryption.org/v1";
inline constexpr std::size_t kMacSize = 32;
// Bounds on what the parser reads before giving up (a header is normally < 1 KiB).
inline constexpr std::size_t kMaxHeaderLine = 16 * 1024;
inline constexpr std::size_t kMaxHeaderSize = 1024 * 1024;

struct Header {
  std::vector<Stanza> stanzas;
  std::array<std::uint8_t, kMacSize> mac{};
  std::string mac_input;  // the header bytes up to and including "---"
};

// Reads exactly the header (through the MAC line's LF) from `in`. Errors: Errc::malformed with a
// message naming the line, Errc::unsupported for another version.
Result<Header> parse_header(BufferedReader& in);

// The header bytes up to and including "---" for these stanzas (validates types/arguments).
Result<std::string> encode_header_without_mac(std::span<const Stanza> stanzas);
// HMAC-SHA-256 of mac_input under the header key derived from the file key.
Result<std::array<std::uint8_t, kMacSize>> header_mac(ByteView file_key, std::string_view mac_input);
// The full header: encode_header_without_mac + " " + base64(mac) + LF.
Result<std::string> encode_header(std::span<const Stanza> stanzas, ByteView file_key);

// True if c is a VCHAR (0x21-0x7E), the characters allowed in stanza arguments.
constexpr bool is_vchar(char c) { return c >= 0x21 && c <= 0x7e; }

}  // namespace keyward::age
