#include "core/age/header.h"

#include <algorithm>

#include "core/base64.h"
#include "core/hash.h"
#include "core/kdf.h"
#include "core/random.h"

namespace keyward::age {
namespace {

constexpr std::size_t kBodyColumns = 64;

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

tl::unexpected<Error> bad(std::size_t line_no, const std::string& what) {
  return fail(Errc::malformed, "age header line " + std::to_string(line_no) + ": " + what);
}

// Splits an argument line (after "-> ") into arguments; each must be 1*VCHAR, separated by one SP.
Result<std::vector<std::string>> split_arguments(std::string_view text, std::size_t line_no) {
  std::vector<std::string> args;
  if (text.empty()) return bad(line_no, "stanza without arguments");
  std::size_t start = 0;
  for (;;) {
    const std::size_t sp = text.find(' ', start);
    const std::string_view arg = text.substr(start, sp == std::string_view::npos ? sp : sp - start);
    if (arg.empty()) return bad(line_no, "empty stanza argument");
    if (!std::all_of(arg.begin(), arg.end(), is_vchar))
      return bad(line_no, "stanza argument has a character outside 0x21-0x7E");
    args.emplace_back(arg);
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  return args;
}

}  // namespace

Result<Header> parse_header(BufferedReader& in) {
  Header header;
  std::string line;
  std::size_t line_no = 1;
  std::size_t total = 0;
  auto next_line = [&](const char* what) -> Status {
    KW_TRY(const bool terminated, in.read_line(line, kMaxHeaderLine, "age header"));
    if (!terminated) return bad(line_no, std::string("unexpected end of input in ") + what);
    total += line.size() + 1;
    if (total > kMaxHeaderSize)
      return fail(Errc::malformed, "age header larger than " + std::to_string(kMaxHeaderSize) +
                                       " bytes");
    return ok();
  };

  KW_TRY_STATUS(next_line("the version line"));
  if (line != kVersionLine) {
    if (line.starts_with("age-encryption.org/"))
      return fail(Errc::unsupported, "unsupported age format version (only v1 is supported)");
    return fail(Errc::malformed, "not an age file (the first line is not \"age-encryption.org/v1\")");
  }
  header.mac_input.append(line).push_back('\n');

  for (;;) {
    ++line_no;
    KW_TRY_STATUS(next_line("the header"));
    if (line.starts_with("---")) {
      header.mac_input.append("---");
      if (header.stanzas.empty()) return bad(line_no, "the header has no recipient stanza");
      const std::string_view rest = std::string_view(line).substr(3);
      if (rest.size() != 44 || rest[0] != ' ')
        return bad(line_no, "the MAC line must be \"--- \" followed by 43 base64 characters");
      auto mac = encoding::base64_raw_decode(rest.substr(1));
      if (!mac || mac->size() != kMacSize) return bad(line_no, "invalid header MAC encoding");
      std::copy(mac->begin(), mac->end(), header.mac.begin());
      return header;
    }
    if (!line.starts_with("-> ")) return bad(line_no, "expected a stanza (\"-> \") or the MAC (\"---\")");
    KW_TRY(auto args, split_arguments(std::string_view(line).substr(3), line_no));
    header.mac_input.append(line).push_back('\n');

    Stanza stanza;
    stanza.type = std::move(args.front());
    stanza.args.assign(std::make_move_iterator(args.begin() + 1), std::make_move_iterator(args.end()));
    std::string body_text;
    for (;;) {
      ++line_no;
      KW_TRY_STATUS(next_line("a stanza body"));
      if (line.size() > kBodyColumns) return bad(line_no, "stanza body line longer than 64 columns");
      if (!std::all_of(line.begin(), line.end(), is_base64_char))
        return bad(line_no, "stanza body has a character outside unpadded base64");
      header.mac_input.append(line).push_back('\n');
      body_text += line;
      if (line.size() < kBodyColumns) break;
    }
    auto body = encoding::base64_raw_decode(body_text);
    if (!body) return bad(line_no, "stanza body is not canonical base64");
    stanza.body = std::move(*body);
    header.stanzas.push_back(std::move(stanza));
  }
}

Result<std::string> encode_header_without_mac(std::span<const Stanza> stanzas) {
  if (stanzas.empty()) return fail(Errc::invalid_argument, "an age header needs at least one stanza");
  std::string out(kVersionLine);
  out.push_back('\n');
  auto valid_arg = [](const std::string& a) {
    return !a.empty() && std::all_of(a.begin(), a.end(), is_vchar);
  };
  for (const Stanza& s : stanzas) {
    if (!valid_arg(s.type) || !std::all_of(s.args.begin(), s.args.end(), valid_arg))
      return fail(Errc::invalid_argument, "stanza arguments must be non-empty VCHAR strings");
    out += "-> " + s.type;
    for (const auto& a : s.args) out += " " + a;
    out.push_back('\n');
    const std::string body = encoding::base64_raw_encode(s.body);
    // Full 64-column lines, then a final shorter (possibly empty) line.
    std::size_t pos = 0;
    for (; body.size() - pos >= kBodyColumns; pos += kBodyColumns)
      out.append(body, pos, kBodyColumns).push_back('\n');
    out.append(body, pos, std::string::npos).push_back('\n');
  }
  out += "---";
  return out;
}

Result<std::array<std::uint8_t, kMacSize>> header_mac(ByteView file_key, std::string_view mac_input) {
  KW_TRY(const SecretBytes key, kdf::hkdf_sha256(file_key, {}, as_bytes("header"), 32));
  const Bytes mac = hash::hmac_sha256(key, as_bytes(mac_input));
  std::array<std::uint8_t, kMacSize> out{};
  std::copy(mac.begin(), mac.end(), out.begin());
  return out;
}

Result<std::string> encode_header(std::span<const Stanza> stanzas, ByteView file_key) {
  KW_TRY(std::string out, encode_header_without_mac(stanzas));
  KW_TRY(const auto mac, header_mac(file_key, out));
  out += " " + encoding::base64_raw_encode(mac) + "\n";
  return out;
}

}  // namespace keyward::age
