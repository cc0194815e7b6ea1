#include <catch2/catch.hpp>

#include "core/bech32.h"
#include "core/hex.h"
#include "encoding_test_util.h"

using namespace keyward;
using namespace keyward::encoding;

namespace {

bool is_all_upper(std::string_view s) {
  for (char c : s) {
    if (c >= 'a' && c <= 'z') return false;
  }
  return true;
}

std::string to_lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// BIP-173 segwit address decoding (test-only): hrp bc/tb, witness version 0..16 in the first
// group, program = 5->8 conversion of the rest (2..40 bytes; 20 or 32 for version 0). Returns the
// scriptPubKey: OP_n, push length, program.
Result<Bytes> segwit_script(std::string_view addr) {
  KW_TRY(Bech32Groups g, bech32_decode_groups(addr, kBech32Bip173MaxLen));
  if (g.hrp != "bc" && g.hrp != "tb") return fail(Errc::malformed, "segwit: hrp");
  if (g.groups.empty()) return fail(Errc::malformed, "segwit: empty data");
  const std::uint8_t version = g.groups[0];
  if (version > 16) return fail(Errc::malformed, "segwit: version");
  KW_TRY(Bytes program, bech32_groups_to_bytes({g.groups.begin() + 1, g.groups.end()}));
  if (program.size() < 2 || program.size() > 40) return fail(Errc::malformed, "segwit: length");
  if (version == 0 && program.size() != 20 && program.size() != 32) {
    return fail(Errc::malformed, "segwit: v0 length");
  }
  Bytes script = {static_cast<std::uint8_t>(version == 0 ? 0 : 0x50 + version),
                  static_cast<std::uint8_t>(program.size())};
  append(script, program);
  return script;
}

}  // namespace

TEST_CASE("bech32: BIP-173 valid strings decode and re-encode identically", "[bech32]") {
  for (const auto& s : test::vector_lines("bip173/valid.txt")) {
    INFO(s);
    auto d = bech32_decode(s, kBech32Bip173MaxLen);
    REQUIRE(d);
    CHECK(d->hrp == to_lower(s.substr(0, s.rfind('1'))));
    auto again = bech32_encode(d->hrp, d->data, is_all_upper(s), kBech32Bip173MaxLen);
    REQUIRE(again);
    CHECK(*again == s);
  }
}

TEST_CASE("bech32: BIP-173 data part in alphabet order gives the 5-bit values 0..31", "[bech32]") {
  // "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw": the data part is the alphabet itself, so the
  // bits are 00000 00001 00010 ... 11111, i.e. these 20 bytes.
  auto d = bech32_decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", kBech32Bip173MaxLen);
  REQUIRE(d);
  CHECK(d->hrp == "abcdef");
  CHECK(d->data == test::unhex("00443214c74254b635cf84653a56d7c675be77df"));
  auto g = bech32_decode_groups("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw");
  REQUIRE(g);
  REQUIRE(g->groups.size() == 32);
  for (std::size_t i = 0; i < 32; ++i) CHECK(g->groups[i] == i);
}

TEST_CASE("bech32: BIP-173 invalid strings are rejected", "[bech32]") {
  for (const auto& c : test::reject_cases("bip173/invalid.txt")) {
    INFO("reason: " << c.reason);
    auto r = bech32_decode_groups(c.text, kBech32Bip173MaxLen);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::malformed);
    CHECK_FALSE(bech32_decode(c.text, kBech32Bip173MaxLen));
  }
}

TEST_CASE("bech32: Bech32m (BIP-350) strings are not Bech32", "[bech32]") {
  for (const auto& s : test::vector_lines("bip173/bech32m.txt")) {
    INFO(s);
    auto r = bech32_decode(s);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("Bech32m") != std::string::npos);
  }
}

TEST_CASE("bech32: BIP-173 segwit addresses through the 5-bit group API", "[bech32]") {
  SECTION("valid") {
    for (const auto& line : test::vector_lines("bip173/segwit-valid.txt")) {
      auto [addr, script_hex] = test::split_once(line, '|');
      INFO(addr);
      auto script = segwit_script(addr);
      REQUIRE(script);
      CHECK(hex_encode(*script) == script_hex);
    }
  }
  SECTION("invalid") {
    for (const auto& line : test::vector_lines("bip173/segwit-invalid.txt")) {
      auto [addr, reason] = test::split_once(line, '\t');
      INFO(addr << ": " << reason);
      CHECK_FALSE(segwit_script(addr));
      if (reason.find("(bech32 level)") != std::string::npos) CHECK_FALSE(bech32_decode_groups(addr));
      if (reason.find("(conversion)") != std::string::npos) {
        auto g = bech32_decode_groups(addr);
        REQUIRE(g);
        REQUIRE_FALSE(g->groups.empty());
        CHECK_FALSE(bech32_groups_to_bytes({g->groups.begin() + 1, g->groups.end()}));
      }
    }
  }
}

TEST_CASE("bech32: age recipients and identities round-trip", "[bech32][age]") {
  for (const auto& line : test::vector_lines("age-bech32/strings.txt")) {
    auto [kind, s] = test::split_once(line, '|');
    INFO(s);
    if (kind == "recipient") {
      auto d = bech32_decode(s);
      REQUIRE(d);
      CHECK(d->hrp == "age");
      CHECK(d->data.size() == 32);
      auto again = bech32_encode("age", d->data);
      REQUIRE(again);
      CHECK(*again == s);
    } else {
      REQUIRE(kind == "identity");
      auto d = bech32_decode_secret(s);
      REQUIRE(d);
      CHECK(d->hrp == "age-secret-key-");
      CHECK(d->data.size() == 32);
      // age writes the identity upper-case; the hrp may be given in either case.
      for (const char* hrp : {"age-secret-key-", "AGE-SECRET-KEY-"}) {
        auto again = bech32_encode_secret(hrp, d->data.view(), /*upper=*/true);
        REQUIRE(again);
        CHECK(again->reveal_string() == s);
      }
      auto lower = bech32_encode_secret("age-secret-key-", d->data.view());
      REQUIRE(lower);
      CHECK(lower->reveal_string() == to_lower(s));
      // The public decoder agrees with the secret one.
      auto pub = bech32_decode(s);
      REQUIRE(pub);
      CHECK(d->data.equals(pub->data));
    }
  }
}

TEST_CASE("bech32: case rules", "[bech32]") {
  auto enc = bech32_encode("age", Bytes(32, 0x42));
  REQUIRE(enc);
  std::string upper = *enc;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto du = bech32_decode(upper);
  REQUIRE(du);
  CHECK(du->hrp == "age");
  CHECK(du->data == Bytes(32, 0x42));
  std::string mixed = *enc;
  mixed[0] = 'A';
  CHECK_FALSE(bech32_decode(mixed));
  mixed = *enc;
  mixed.back() = static_cast<char>(std::toupper(static_cast<unsigned char>(mixed.back())));
  if (mixed != *enc) CHECK_FALSE(bech32_decode(mixed));
  CHECK_FALSE(bech32_encode("Age", Bytes(4)));  // mixed-case hrp
}

TEST_CASE("bech32: hrp range and length limits on encode", "[bech32]") {
  CHECK(bech32_encode("!", Bytes{}));  // 33
  CHECK(bech32_encode("~", Bytes{}));  // 126
  for (std::string_view bad : {std::string_view(""), std::string_view(" "), std::string_view("a b"),
                               std::string_view("\x7f"), std::string_view("\x80")}) {
    auto r = bech32_encode(bad, Bytes{1, 2, 3});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::invalid_argument);
  }
  // 3 + 1 + ceil(32*8/5)=52 + 6 = 62 characters.
  CHECK(bech32_encode("age", Bytes(32), false, 62));
  auto too_long = bech32_encode("age", Bytes(32), false, 61);
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().code == Errc::invalid_argument);
  auto s = bech32_encode("age", Bytes(32));
  REQUIRE(s);
  CHECK(bech32_decode(*s, 62));
  CHECK_FALSE(bech32_decode(*s, 61));
  // Beyond BIP-173's 90 characters is fine with the default limit (age plugins use long strings).
  auto long_one = bech32_encode("age1pluginname", Bytes(200, 7));
  REQUIRE(long_one);
  REQUIRE(long_one->size() > kBech32Bip173MaxLen);
  auto back = bech32_decode(*long_one);
  REQUIRE(back);
  CHECK(back->hrp == "age1pluginname");  // the separator is the LAST '1'
  CHECK(back->data == Bytes(200, 7));
  CHECK_FALSE(bech32_decode(*long_one, kBech32Bip173MaxLen));
}

TEST_CASE("bech32: 5->8 conversion padding rules", "[bech32]") {
  // 1 group = 5 bits: more than 4 bits of padding.
  CHECK_FALSE(bech32_groups_to_bytes({0}));
  // 2 groups = 10 bits: 1 byte + 2 padding bits, which must be zero.
  auto ok = bech32_groups_to_bytes({31, 28});  // 11111 11100 -> 0xff, padding 00
  REQUIRE(ok);
  CHECK(*ok == Bytes{0xff});
  CHECK_FALSE(bech32_groups_to_bytes({31, 29}));  // padding 01
  CHECK_FALSE(bech32_groups_to_bytes({31, 30}));  // padding 10
  CHECK_FALSE(bech32_groups_to_bytes({32, 0}));   // not a 5-bit value
  auto empty = bech32_groups_to_bytes({});
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("bech32: random data round-trips and single-character errors are caught", "[bech32][property]") {
  test::RandomBytes rnd(0xbec432);
  const std::string charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  for (int i = 0; i < 300; ++i) {
    // Random lower-case hrp of 1..10 characters from 33..126 without upper-case letters.
    std::string hrp;
    const std::size_t hlen = 1 + rnd.below(10);
    while (hrp.size() < hlen) {
      const char c = static_cast<char>(33 + rnd.below(94));
      if (c < 'A' || c > 'Z') hrp.push_back(c);
    }
    const Bytes data = rnd.next(60);
    const bool up = rnd.below(2) == 1;
    auto s = bech32_encode(hrp, data, up);
    REQUIRE(s);
    auto d = bech32_decode(*s);
    REQUIRE(d);
    REQUIRE(d->hrp == hrp);
    REQUIRE(d->data == data);
    // BIP-173's code detects any single substitution in the data part.
    std::string bad = to_lower(*s);
    const std::size_t sep = bad.rfind('1');
    const std::size_t pos = sep + 1 + rnd.below(bad.size() - sep - 1);
    const char orig = bad[pos];
    bad[pos] = charset[(charset.find(orig) + 1 + rnd.below(31)) % 32];
    INFO(*s << " -> " << bad);
    REQUIRE_FALSE(bech32_decode(bad));
  }
}
