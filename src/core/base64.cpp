// Base64 (RFC 4648 §4, §5) with strict, canonical-only decoding.
//
// One routine serves the three variants; they differ only in the last two alphabet characters
// and in whether '=' padding is required (padded) or forbidden (raw, url).
#include "core/base64.h"

#include <array>

namespace keyward::encoding {
namespace {

constexpr char kStdAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct Variant {
  const char* name;  // for error messages
  bool url;          // URL-safe alphabet ('-', '_') instead of '+', '/'
  bool padded;       // '=' padding required (otherwise forbidden)
  const char* alphabet() const { return url ? kUrlAlphabet : kStdAlphabet; }
};

constexpr Variant kStd{"base64", false, true};
constexpr Variant kRaw{"base64 (unpadded)", false, false};
constexpr Variant kUrl{"base64url", true, false};

// Reverse table: 0..63 for alphabet characters, -1 otherwise.
std::array<std::int8_t, 256> reverse_table(const char* alphabet) {
  std::array<std::int8_t, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}

const std::array<std::int8_t, 256>& table_for(const Variant& v) {
  static const auto std_table = reverse_table(kStdAlphabet);
  static const auto url_table = reverse_table(kUrlAlphabet);
  return v.url ? url_table : std_table;
}

std::string encode(const Variant& v, ByteView data) {
  const char* alphabet = v.alphabet();
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    out.push_back(alphabet[n & 63]);
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    const std::uint32_t n = std::uint32_t{data[i]} << 16;
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    if (v.padded) out.append("==");
  } else if (rest == 2) {
    const std::uint32_t n = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    if (v.padded) out.push_back('=');
  }
  return out;
}

Result<Bytes> decode(const Variant& v, std::string_view text) {
  const std::string name = v.name;
  std::string_view body = text;
  if (v.padded) {
    if (text.size() % 4 != 0) {
      return fail(Errc::malformed, name + ": length " + std::to_string(text.size()) +
                                       " is not a multiple of 4 (padding missing or extra)");
    }
    std::size_t pads = 0;
    while (pads < body.size() && body[body.size() - 1 - pads] == '=') ++pads;
    if (pads > 2) return fail(Errc::malformed, name + ": too much '=' padding");
    body.remove_suffix(pads);
  }
  if (body.size() % 4 == 1) {
    return fail(Errc::malformed, name + ": impossible length " + std::to_string(text.size()) +
                                     " (truncated input?)");
  }
  const auto& table = table_for(v);
  Bytes out;
  out.reserve(body.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const std::int8_t d = table[static_cast<unsigned char>(body[i])];
    if (d < 0) {
      if (body[i] == '=') {
        return fail(Errc::malformed, name + (v.padded ? ": '=' before the end, at offset "
                                                      : ": '=' padding is not allowed, at offset ") +
                                         std::to_string(i));
      }
      return fail(Errc::malformed, name + ": invalid character at offset " + std::to_string(i));
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  // Leftover bits (2 or 4) are padding bits: RFC 4648 §3.5 says they are zero, and accepting
  // anything else would give one byte string several texts.
  if (acc != 0) {
    return fail(Errc::malformed, name + ": non-canonical encoding (unused bits in the last character are not zero)");
  }
  return out;
}

}  // namespace

std::string base64_encode(ByteView data) { return encode(kStd, data); }
Result<Bytes> base64_decode(std::string_view text) { return decode(kStd, text); }

std::string base64_raw_encode(ByteView data) { return encode(kRaw, data); }
Result<Bytes> base64_raw_decode(std::string_view text) { return decode(kRaw, text); }

std::string base64url_encode(ByteView data) { return encode(kUrl, data); }
Result<Bytes> base64url_decode(std::string_view text) { return decode(kUrl, text); }

}  // namespace keyward::encoding
