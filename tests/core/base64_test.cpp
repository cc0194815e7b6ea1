#include <catch2/catch.hpp>

#include "core/base64.h"
#include "encoding_test_util.h"

using namespace keyward;
using namespace keyward::encoding;

namespace {
std::string strip_padding(std::string s) {
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}
}  // namespace

TEST_CASE("base64: RFC 4648 section 10 vectors", "[base64]") {
  for (const auto& line : test::vector_lines("rfc4648/base64.txt")) {
    auto [input, output] = test::split_once(line, '|');
    INFO("input: " << input);
    CHECK(base64_encode(as_bytes(input)) == output);
    auto dec = base64_decode(output);
    REQUIRE(dec);
    CHECK(*dec == to_bytes(input));
    // The RFC's vectors use only letters and digits, so the unpadded and URL forms are the same
    // text without '=' (RFC 4648 §3.2).
    const std::string raw = strip_padding(output);
    CHECK(base64_raw_encode(as_bytes(input)) == raw);
    CHECK(base64url_encode(as_bytes(input)) == raw);
    auto dec_raw = base64_raw_decode(raw);
    REQUIRE(dec_raw);
    CHECK(*dec_raw == to_bytes(input));
    auto dec_url = base64url_decode(raw);
    REQUIRE(dec_url);
    CHECK(*dec_url == to_bytes(input));
  }
}

TEST_CASE("base64url: RFC 7515 / RFC 7636 vectors", "[base64]") {
  for (const auto& line : test::vector_lines("rfc4648/base64url.txt")) {
    auto [hex, text] = test::split_once(line, '|');
    const Bytes octets = test::unhex(hex);
    CHECK(base64url_encode(octets) == text);
    auto dec = base64url_decode(text);
    REQUIRE(dec);
    CHECK(*dec == octets);
  }
}

TEST_CASE("base64: the two alphabets differ only in characters 62 and 63", "[base64]") {
  const Bytes b = {0xfb, 0xff, 0xbf};  // 111110 111111 111110 111111
  CHECK(base64_encode(b) == "+/+/");
  CHECK(base64_raw_encode(b) == "+/+/");
  CHECK(base64url_encode(b) == "-_-_");
  CHECK_FALSE(base64url_decode("+/+/"));
  CHECK_FALSE(base64_decode("-_-_"));
  CHECK_FALSE(base64_raw_decode("-_-_"));
}

TEST_CASE("base64: strict decoders reject non-canonical and malformed text", "[base64]") {
  SECTION("padded") {
    for (const auto& c : test::reject_cases("encoding-reject/base64.txt")) {
      INFO("text: " << c.text << "  reason: " << c.reason);
      auto r = base64_decode(c.text);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::malformed);
    }
  }
  SECTION("unpadded") {
    for (const auto& c : test::reject_cases("encoding-reject/base64-raw.txt")) {
      INFO("text: " << c.text << "  reason: " << c.reason);
      auto r = base64_raw_decode(c.text);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::malformed);
    }
  }
  SECTION("url") {
    for (const auto& c : test::reject_cases("encoding-reject/base64url.txt")) {
      INFO("text: " << c.text << "  reason: " << c.reason);
      auto r = base64url_decode(c.text);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::malformed);
    }
  }
}

TEST_CASE("base64: random byte strings round-trip through all three variants", "[base64][property]") {
  test::RandomBytes rnd(0x62363421);
  for (int i = 0; i < 500; ++i) {
    const Bytes b = rnd.next(100);
    const std::string padded = base64_encode(b);
    const std::string raw = base64_raw_encode(b);
    const std::string url = base64url_encode(b);
    REQUIRE(padded.size() % 4 == 0);
    REQUIRE(padded.size() == (b.size() + 2) / 3 * 4);
    REQUIRE(raw.size() == (b.size() * 8 + 5) / 6);
    REQUIRE(url.size() == raw.size());
    REQUIRE(strip_padding(padded) == raw);
    auto d1 = base64_decode(padded);
    auto d2 = base64_raw_decode(raw);
    auto d3 = base64url_decode(url);
    REQUIRE(d1);
    REQUIRE(d2);
    REQUIRE(d3);
    REQUIRE(*d1 == b);
    REQUIRE(*d2 == b);
    REQUIRE(*d3 == b);
  }
}

TEST_CASE("base64: exactly one accepted text per byte string (last-character variants)", "[base64][property]") {
  // For a 1- or 2-byte tail, flipping any of the unused low bits of the last character must be
  // rejected; keeping them zero is the only accepted spelling.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  test::RandomBytes rnd(0x31);
  for (int i = 0; i < 200; ++i) {
    Bytes b = rnd.next(20);
    if (b.size() % 3 == 0) b.push_back(0x5a);
    const std::string raw = base64_raw_encode(b);
    const std::size_t unused_bits = b.size() % 3 == 1 ? 4 : 2;
    const auto last = alphabet.find(raw.back());
    for (std::size_t v = 1; v < (std::size_t{1} << unused_bits); ++v) {
      std::string alt = raw;
      alt.back() = alphabet[last | v];
      INFO("alt: " << alt);
      CHECK_FALSE(base64_raw_decode(alt));
      std::string padded_alt = alt + (unused_bits == 4 ? "==" : "=");
      CHECK_FALSE(base64_decode(padded_alt));
    }
  }
}
