// Minimal BER-TLV helpers for PIV APDUs (one- or two-byte tags, lengths up to 0xFFFF).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

#include "crypto.h"

namespace hwsim {

inline void put_len(Bytes& out, std::size_t len) {
  if (len < 0x80) {
    out.push_back(static_cast<std::uint8_t>(len));
  } else if (len < 0x100) {
    out.push_back(0x81);
    out.push_back(static_cast<std::uint8_t>(len));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<std::uint8_t>(len >> 8));
    out.push_back(static_cast<std::uint8_t>(len));
  }
}

// tag may be one byte (<= 0xFF) or two bytes (e.g. 0x7F49).
inline Bytes tlv(unsigned tag, const Bytes& value) {
  Bytes out;
  if (tag > 0xFF) out.push_back(static_cast<std::uint8_t>(tag >> 8));
  out.push_back(static_cast<std::uint8_t>(tag));
  put_len(out, value.size());
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

inline void append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }

// Parses a flat sequence of TLVs with one-byte tags into tag -> value (last one wins).
// Returns nullopt on malformed input.
inline std::optional<std::map<std::uint8_t, Bytes>> parse_tlvs(const Bytes& in) {
  std::map<std::uint8_t, Bytes> out;
  std::size_t i = 0;
  while (i < in.size()) {
    std::uint8_t tag = in[i++];
    if (i >= in.size()) return std::nullopt;
    std::size_t len = in[i++];
    if (len == 0x81) {
      if (i >= in.size()) return std::nullopt;
      len = in[i++];
    } else if (len == 0x82) {
      if (i + 1 >= in.size()) return std::nullopt;
      len = (std::size_t{in[i]} << 8) | in[i + 1];
      i += 2;
    } else if (len > 0x82) {
      return std::nullopt;
    }
    if (in.size() - i < len) return std::nullopt;
    out[tag] = Bytes(in.begin() + static_cast<long>(i), in.begin() + static_cast<long>(i + len));
    i += len;
  }
  return out;
}

}  // namespace hwsim
