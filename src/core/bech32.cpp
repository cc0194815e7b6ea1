// Bech32 (BIP-173). The checksum is a BCH code over GF(32); this file follows the BIP's
// reference description (polymod with the five generator constants, hrp expansion, checksum
// constant 1). Buffers are sized exactly from the input, so the secret variants can keep every
// intermediate in SecretBytes.
#include "core/bech32.h"

#include <array>

namespace keyward::encoding {
namespace {

constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr std::size_t kChecksumLen = 6;
constexpr std::uint32_t kBech32Const = 1;
constexpr std::uint32_t kBech32mConst = 0x2bc830a3;  // only to name the error precisely

constexpr std::array<std::int8_t, 128> make_reverse() {
  std::array<std::int8_t, 128> t{};
  for (auto& x : t) x = -1;
  for (int i = 0; i < 32; ++i) t[static_cast<std::size_t>(kCharset[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto kReverse = make_reverse();

std::uint32_t polymod_step(std::uint32_t chk, std::uint8_t value) {
  constexpr std::uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  const std::uint32_t top = chk >> 25;
  chk = ((chk & 0x1ffffff) << 5) ^ value;
  for (int i = 0; i < 5; ++i) {
    if ((top >> i) & 1) chk ^= kGen[i];
  }
  return chk;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// Polymod state after the expanded hrp (high bits, 0, low bits) of the lower-case hrp.
std::uint32_t hrp_state(std::string_view hrp_lower) {
  std::uint32_t chk = 1;
  for (char c : hrp_lower) chk = polymod_step(chk, static_cast<std::uint8_t>(static_cast<unsigned char>(c) >> 5));
  chk = polymod_step(chk, 0);
  for (char c : hrp_lower) chk = polymod_step(chk, static_cast<std::uint8_t>(c & 31));
  return chk;
}

// ---- encoding

Result<std::string> checked_hrp(std::string_view hrp) {
  if (hrp.empty()) return fail(Errc::invalid_argument, "bech32: the human-readable part is empty");
  bool has_lower = false, has_upper = false;
  std::string out;
  out.reserve(hrp.size());
  for (char c : hrp) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126) {
      return fail(Errc::invalid_argument,
                  "bech32: human-readable part has a character outside ASCII 33..126");
    }
    has_lower |= (c >= 'a' && c <= 'z');
    has_upper |= (c >= 'A' && c <= 'Z');
    out.push_back(lower(c));
  }
  if (has_lower && has_upper) {
    return fail(Errc::invalid_argument, "bech32: human-readable part mixes upper and lower case");
  }
  return out;
}

std::size_t groups_for(std::size_t bytes) { return (bytes * 8 + 4) / 5; }

// 8-bit bytes -> 5-bit groups, zero-padded at the end. `groups` has groups_for(data.size()).
void to_groups(ByteView data, std::uint8_t* groups) {
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t n = 0;
  for (std::uint8_t b : data) {
    acc = ((acc << 8) | b) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      groups[n++] = static_cast<std::uint8_t>((acc >> bits) & 31);
    }
  }
  if (bits > 0) groups[n++] = static_cast<std::uint8_t>((acc << (5 - bits)) & 31);
}

// Writes `<hrp>1<groups><checksum>` to out (exactly hrp.size() + 1 + n + 6 characters).
void write_text(std::string_view hrp_lower, const std::uint8_t* groups, std::size_t n, bool up,
                char* out) {
  std::uint32_t chk = hrp_state(hrp_lower);
  for (std::size_t i = 0; i < n; ++i) chk = polymod_step(chk, groups[i]);
  for (std::size_t i = 0; i < kChecksumLen; ++i) chk = polymod_step(chk, 0);
  chk ^= kBech32Const;
  std::size_t pos = 0;
  for (char c : hrp_lower) out[pos++] = up ? upper(c) : c;
  out[pos++] = '1';
  for (std::size_t i = 0; i < n; ++i) out[pos++] = up ? upper(kCharset[groups[i]]) : kCharset[groups[i]];
  for (std::size_t i = 0; i < kChecksumLen; ++i) {
    const auto v = (chk >> (5 * (kChecksumLen - 1 - i))) & 31;
    out[pos++] = up ? upper(kCharset[v]) : kCharset[v];
  }
}

Status check_encoded_length(std::size_t hrp_len, std::size_t data_len, std::size_t max_len) {
  const std::size_t total = hrp_len + 1 + groups_for(data_len) + kChecksumLen;
  if (total > max_len) {
    return fail(Errc::invalid_argument, "bech32: encoding would be " + std::to_string(total) +
                                            " characters, more than the limit of " +
                                            std::to_string(max_len));
  }
  return ok();
}

// ---- decoding

struct Layout {
  std::size_t sep;       // index of the separator '1'
  std::size_t n_groups;  // data groups, checksum excluded
};

Result<Layout> check_layout(std::string_view text, std::size_t max_len) {
  if (text.size() > max_len) {
    return fail(Errc::malformed, "bech32: string is " + std::to_string(text.size()) +
                                     " characters, more than the limit of " + std::to_string(max_len));
  }
  bool has_lower = false, has_upper = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u < 33 || u > 126) {
      return fail(Errc::malformed, "bech32: character outside ASCII 33..126 at offset " + std::to_string(i));
    }
    has_lower |= (u >= 'a' && u <= 'z');
    has_upper |= (u >= 'A' && u <= 'Z');
  }
  if (has_lower && has_upper) return fail(Errc::malformed, "bech32: mixes upper and lower case");
  const std::size_t sep = text.rfind('1');
  if (sep == std::string_view::npos) return fail(Errc::malformed, "bech32: no separator '1'");
  if (sep == 0) return fail(Errc::malformed, "bech32: the human-readable part is empty");
  const std::size_t data_chars = text.size() - sep - 1;
  if (data_chars < kChecksumLen) {
    return fail(Errc::malformed, "bech32: data part is shorter than the 6-character checksum");
  }
  return Layout{sep, data_chars - kChecksumLen};
}

std::string lower_hrp(std::string_view text, const Layout& layout) {
  std::string hrp(text.substr(0, layout.sep));
  for (char& c : hrp) c = lower(c);
  return hrp;
}

// Fills groups[0..n_groups) and verifies the checksum.
Status read_groups(std::string_view text, const Layout& layout, std::string_view hrp,
                   std::uint8_t* groups) {
  std::uint32_t chk = hrp_state(hrp);
  for (std::size_t i = layout.sep + 1, k = 0; i < text.size(); ++i, ++k) {
    const std::int8_t v = kReverse[static_cast<unsigned char>(lower(text[i])) & 0x7f];
    if (v < 0) {
      return fail(Errc::malformed, "bech32: invalid data character at offset " + std::to_string(i));
    }
    chk = polymod_step(chk, static_cast<std::uint8_t>(v));
    if (k < layout.n_groups) groups[k] = static_cast<std::uint8_t>(v);
  }
  if (chk == kBech32mConst) {
    return fail(Errc::malformed, "bech32: this is a Bech32m string (BIP-350); Bech32 was expected");
  }
  if (chk != kBech32Const) return fail(Errc::malformed, "bech32: checksum mismatch (typo or truncated?)");
  return ok();
}

Result<std::size_t> bytes_for(std::size_t n_groups) {
  const std::size_t pad_bits = n_groups * 5 % 8;
  if (pad_bits > 4) {
    return fail(Errc::malformed, "bech32: " + std::to_string(pad_bits) +
                                     " bits of padding (at most 4 are allowed)");
  }
  return n_groups * 5 / 8;
}

// 5-bit groups -> bytes; `out` has bytes_for(n) bytes. Padding bits must be zero.
Status from_groups(const std::uint8_t* groups, std::size_t n, std::uint8_t* out) {
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < n; ++i) {
    acc = ((acc << 5) | groups[i]) & 0xfff;  // at most 7 + 5 bits pending
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[pos++] = static_cast<std::uint8_t>(acc >> bits);
    }
  }
  const bool nonzero_padding = (acc & ((1u << bits) - 1)) != 0;
  if (nonzero_padding) return fail(Errc::malformed, "bech32: padding bits are not zero");
  return ok();
}

}  // namespace

Result<std::string> bech32_encode(std::string_view hrp, ByteView data, bool upper_case,
                                  std::size_t max_len) {
  KW_TRY(const std::string h, checked_hrp(hrp));
  KW_TRY_STATUS(check_encoded_length(h.size(), data.size(), max_len));
  std::vector<std::uint8_t> groups(groups_for(data.size()));
  to_groups(data, groups.data());
  std::string out(h.size() + 1 + groups.size() + kChecksumLen, '\0');
  write_text(h, groups.data(), groups.size(), upper_case, out.data());
  return out;
}

Result<SecretBytes> bech32_encode_secret(std::string_view hrp, ByteView data, bool upper_case,
                                         std::size_t max_len) {
  KW_TRY(const std::string h, checked_hrp(hrp));
  KW_TRY_STATUS(check_encoded_length(h.size(), data.size(), max_len));
  SecretBytes groups(groups_for(data.size()));
  to_groups(data, groups.data());
  SecretBytes out(h.size() + 1 + groups.size() + kChecksumLen);
  write_text(h, groups.data(), groups.size(), upper_case, reinterpret_cast<char*>(out.data()));
  return out;
}

Result<Bech32Groups> bech32_decode_groups(std::string_view text, std::size_t max_len) {
  KW_TRY(const Layout layout, check_layout(text, max_len));
  Bech32Groups out{lower_hrp(text, layout), std::vector<std::uint8_t>(layout.n_groups)};
  KW_TRY_STATUS(read_groups(text, layout, out.hrp, out.groups.data()));
  return out;
}

Result<Bytes> bech32_groups_to_bytes(const std::vector<std::uint8_t>& groups) {
  for (std::uint8_t g : groups) {
    if (g > 31) return fail(Errc::invalid_argument, "bech32: group value above 31");
  }
  KW_TRY(const std::size_t n, bytes_for(groups.size()));
  Bytes out(n);
  KW_TRY_STATUS(from_groups(groups.data(), groups.size(), out.data()));
  return out;
}

Result<Bech32Data> bech32_decode(std::string_view text, std::size_t max_len) {
  KW_TRY(Bech32Groups g, bech32_decode_groups(text, max_len));
  KW_TRY(Bytes data, bech32_groups_to_bytes(g.groups));
  return Bech32Data{std::move(g.hrp), std::move(data)};
}

Result<Bech32Secret> bech32_decode_secret(std::string_view text, std::size_t max_len) {
  KW_TRY(const Layout layout, check_layout(text, max_len));
  Bech32Secret out{lower_hrp(text, layout), SecretBytes()};
  SecretBytes groups(layout.n_groups);
  KW_TRY_STATUS(read_groups(text, layout, out.hrp, groups.data()));
  KW_TRY(const std::size_t n, bytes_for(layout.n_groups));
  out.data = SecretBytes(n);
  KW_TRY_STATUS(from_groups(groups.data(), groups.size(), out.data.data()));
  return out;
}

}  // namespace keyward::encoding
