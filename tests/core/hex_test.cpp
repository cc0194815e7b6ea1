#include <algorithm>
#include <cctype>

#include <catch2/catch.hpp>

#include "core/hex.h"
#include "encoding_test_util.h"

using namespace keyward;
using namespace keyward::encoding;

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}
}  // namespace

TEST_CASE("hex: RFC 4648 section 10 base16 vectors", "[hex]") {
  for (const auto& line : test::vector_lines("rfc4648/base16.txt")) {
    auto [input, rfc_output] = test::split_once(line, '|');
    INFO("input: " << input);
    // keyward emits lower-case; the RFC alphabet is upper-case and decoding accepts both.
    CHECK(hex_encode(as_bytes(input)) == lower(rfc_output));
    auto upper = hex_decode(rfc_output);
    REQUIRE(upper);
    CHECK(*upper == to_bytes(input));
    auto low = hex_decode(lower(rfc_output));
    REQUIRE(low);
    CHECK(*low == to_bytes(input));
  }
}

TEST_CASE("hex: every byte value encodes to two lower-case digits", "[hex]") {
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  const std::string text = hex_encode(all);
  REQUIRE(text.size() == 512);
  CHECK(text.substr(0, 8) == "00010203");
  CHECK(text.substr(0x9f * 2, 6) == "9fa0a1");
  CHECK(text.substr(504) == "fcfdfeff");
  auto back = hex_decode(text);
  REQUIRE(back);
  CHECK(*back == all);
}

TEST_CASE("hex: malformed input is rejected", "[hex]") {
  for (const auto& c : test::reject_cases("encoding-reject/hex.txt")) {
    INFO("reason: " << c.reason);
    auto r = hex_decode(c.text);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::malformed);
  }
}

TEST_CASE("hex: random byte strings round-trip", "[hex][property]") {
  test::RandomBytes rnd(0x6865780a);
  for (int i = 0; i < 500; ++i) {
    const Bytes b = rnd.next(80);
    const std::string text = hex_encode(b);
    REQUIRE(text.size() == 2 * b.size());
    auto back = hex_decode(text);
    REQUIRE(back);
    REQUIRE(*back == b);
  }
}
