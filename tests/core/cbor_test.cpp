#include <cmath>
#include <cstring>
#include <limits>

#include <catch2/catch.hpp>

#include "core/cbor.h"
#include "core/hex.h"
#include "encoding_test_util.h"

using namespace keyward;
using keyward::cbor::Value;
using keyward::encoding::hex_encode;

namespace {

std::vector<std::vector<std::string>> tab_rows(const std::string& file) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& line : test::vector_lines(file)) {
    std::vector<std::string> cols;
    std::size_t start = 0;
    for (;;) {
      const auto tab = line.find('\t', start);
      cols.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    rows.push_back(cols);
  }
  return rows;
}

// RFC number spelling -> double; Infinity / -Infinity / NaN as in diagnostic notation.
double parse_number(const std::string& s) {
  if (s == "Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (end == nullptr || *end != '\0') throw std::runtime_error("not a number: " + s);
  return d;
}

bool same_float(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  std::uint64_t x, y;
  std::memcpy(&x, &a, 8);
  std::memcpy(&y, &b, 8);
  return x == y;  // distinguishes 0.0 and -0.0
}

Value must_decode(const Bytes& b) {
  auto r = cbor::decode(b);
  if (!r) throw std::runtime_error("decode failed: " + r.error().message);
  return *r;
}

}  // namespace

TEST_CASE("cbor: RFC 8949 Appendix A examples", "[cbor]") {
  int exact = 0, floats = 0, bignums = 0, rejects = 0;
  for (const auto& cols : tab_rows("rfc8949/appendix-a.txt")) {
    REQUIRE(cols.size() >= 3);
    const std::string& outcome = cols[0];
    const Bytes bytes = test::unhex(cols[1]);
    const std::string& rfc_diag = cols[2];
    INFO(outcome << " 0x" << cols[1] << "  " << rfc_diag);
    auto r = cbor::decode(bytes);
    if (outcome == "reject") {
      ++rejects;
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::malformed);
      continue;
    }
    REQUIRE(r);
    INFO("error-free decode; diagnostic: " << cbor::diagnostic(*r));
    CHECK(cbor::encode(*r) == bytes);
    if (outcome == "exact") {
      ++exact;
      CHECK(cbor::diagnostic(*r) == rfc_diag);
    } else if (outcome == "float") {
      ++floats;
      REQUIRE(r->is_float());
      CHECK(same_float(r->as_double(), parse_number(rfc_diag)));
      // Our own spelling reads back to the same number.
      CHECK(same_float(parse_number(cbor::diagnostic(*r)), r->as_double()));
    } else {
      REQUIRE(outcome == "bignum");
      ++bignums;
      REQUIRE(cols.size() >= 4);
      CHECK(cbor::diagnostic(*r) == cols[3]);
    }
  }
  // Every row of Table 6 is in the file.
  CHECK(exact + floats + bignums + rejects == 81);
  CHECK(rejects == 17);
}

TEST_CASE("cbor: map keys are sorted bytewise (RFC 8949 4.2.1 example)", "[cbor]") {
  const auto rows = tab_rows("rfc8949/key-order.txt");
  std::vector<Value> keys;
  Bytes expected = {static_cast<std::uint8_t>(0xa0 + rows.size())};
  for (const auto& cols : rows) {
    const Bytes enc = test::unhex(cols[0]);
    Value k = must_decode(enc);
    CHECK(cbor::diagnostic(k) == cols[1]);
    keys.push_back(k);
    append(expected, enc);
    expected.push_back(0x00);  // value 0
  }
  // Insert in reverse and in a scrambled order: the encoder sorts.
  for (int variant = 0; variant < 2; ++variant) {
    cbor::Map m;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const std::size_t k = variant == 0 ? keys.size() - 1 - i : (i * 5) % keys.size();
      m.emplace_back(keys[k], Value::uint(0));
    }
    auto map = Value::map(std::move(m));
    REQUIRE(map);
    CHECK(cbor::encode(*map) == expected);
  }
  CHECK(cbor::decode(expected));
  // Swapping two adjacent pairs of the sorted encoding must be rejected.
  Bytes swapped = {0xa2, 0x20, 0x00, 0x0a, 0x00};  // -1 before 10
  CHECK_FALSE(cbor::decode(swapped));
}

TEST_CASE("cbor: CTAP2 canonical key order coincides for int and text keys", "[cbor]") {
  // CTAP 2.1 canonical CBOR sorts by major type, then encoded length, then bytes (RFC 7049
  // "length-first"). For integer and short text keys that is the same as RFC 8949's bytewise
  // order, e.g. "rk" < "up" < "plat" < "clientPin" (shared/docs/hw-protocols.md 5.1).
  auto options = Value::map({{Value::text("clientPin"), Value::boolean(true)},
                             {Value::text("plat"), Value::boolean(false)},
                             {Value::text("up"), Value::boolean(true)},
                             {Value::text("rk"), Value::boolean(true)}});
  REQUIRE(options);
  const auto& m = options->as_map();
  REQUIRE(m.size() == 4);
  CHECK(m[0].first.as_text() == "rk");
  CHECK(m[1].first.as_text() == "up");
  CHECK(m[2].first.as_text() == "plat");
  CHECK(m[3].first.as_text() == "clientPin");
  CHECK(options->find("plat")->as_bool() == false);
}

TEST_CASE("cbor: preferred float encodings (RFC 8949 4.1, 4.2.1 examples)", "[cbor]") {
  for (const auto& cols : tab_rows("rfc8949/preferred-floats.txt")) {
    INFO(cols[0]);
    const double d = parse_number(cols[0]);
    CHECK(hex_encode(cbor::encode(Value::floating(d))) == cols[1]);
    auto back = cbor::decode(test::unhex(cols[1]));
    REQUIRE(back);
    CHECK(back->as_double() == d);
  }
}

TEST_CASE("cbor: strict decoder rejects non-deterministic and malformed input", "[cbor]") {
  for (const auto& cols : tab_rows("cbor/reject.txt")) {
    INFO("0x" << cols[0] << ": " << (cols.size() > 1 ? cols[1] : ""));
    auto r = cbor::decode(test::unhex(cols[0]));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::malformed);
  }
}

TEST_CASE("cbor: deterministic edge cases are accepted and re-encode identically", "[cbor]") {
  for (const auto& cols : tab_rows("cbor/accept.txt")) {
    INFO("0x" << cols[0] << ": " << (cols.size() > 1 ? cols[1] : ""));
    const Bytes b = test::unhex(cols[0]);
    auto r = cbor::decode(b);
    REQUIRE(r);
    CHECK(cbor::encode(*r) == b);
  }
}

TEST_CASE("cbor: depth and item limits", "[cbor]") {
  auto nested = [](std::uint8_t container_byte, std::size_t levels) {
    Bytes b(levels, container_byte);
    b.push_back(0x00);
    return b;
  };
  CHECK(cbor::decode(nested(0x81, 16)));        // 16 nested arrays: the default limit
  CHECK_FALSE(cbor::decode(nested(0x81, 17)));  // one more
  CHECK(cbor::decode(nested(0xc1, 16)));        // tags count as nesting too
  CHECK_FALSE(cbor::decode(nested(0xc1, 17)));
  CHECK_FALSE(cbor::decode(nested(0x81, 100000)));  // deep input fails fast, no stack overflow
  Bytes deep_empty(16, 0x81);
  deep_empty.push_back(0x80);  // a 17th (empty) array is still too deep
  CHECK_FALSE(cbor::decode(deep_empty));
  cbor::DecodeLimits shallow;
  shallow.max_depth = 2;
  CHECK(cbor::decode(nested(0x81, 2), shallow));
  CHECK_FALSE(cbor::decode(nested(0x81, 3), shallow));
  CHECK_FALSE(cbor::decode(test::unhex("a1 01 a1 01 a1 01 00"), shallow));

  const Bytes ten = test::unhex("8a 00 01 02 03 04 05 06 07 08 09");  // 11 items in all
  cbor::DecodeLimits few;
  few.max_items = 11;
  CHECK(cbor::decode(ten, few));
  few.max_items = 10;
  CHECK_FALSE(cbor::decode(ten, few));
}

TEST_CASE("cbor: decode_prefix reports the bytes consumed", "[cbor]") {
  auto r = cbor::decode_prefix(test::unhex("a1 01 02 ff ff"));
  REQUIRE(r);
  CHECK(r->second == 3);
  CHECK(r->first.find(1)->as_uint() == 2);
  CHECK_FALSE(cbor::decode(test::unhex("a1 01 02 ff ff")));
  CHECK_FALSE(cbor::decode_prefix(test::unhex("a1 01")));
}

TEST_CASE("cbor: value construction and access", "[cbor]") {
  using cbor::encode;
  CHECK(encode(Value::integer(-1)) == Bytes{0x20});
  CHECK(encode(Value::integer(std::numeric_limits<std::int64_t>::min())) ==
        test::unhex("3b7fffffffffffffff"));
  CHECK(encode(Value::negative(std::numeric_limits<std::uint64_t>::max())) ==
        test::unhex("3bffffffffffffffff"));
  CHECK(Value::integer(-500).as_int64() == -500);
  CHECK(Value::uint(std::numeric_limits<std::uint64_t>::max()).as_int64() == std::nullopt);
  CHECK(Value::negative(std::numeric_limits<std::uint64_t>::max()).as_int64() == std::nullopt);
  CHECK(Value::text("x").as_int64() == std::nullopt);

  // A COSE-style map: integer labels including negative ones, found by value.
  auto cose = Value::map({{Value::integer(1), Value::uint(2)},
                          {Value::integer(3), Value::integer(-7)},
                          {Value::integer(-1), Value::uint(1)},
                          {Value::integer(-2), Value::bytes(Bytes(32, 0xaa))},
                          {Value::text("id"), Value::text("x")}});
  REQUIRE(cose);
  CHECK(cose->find(3)->as_int64() == -7);
  CHECK(cose->find(-2)->as_bytes().size() == 32);
  CHECK(cose->find("id")->as_text() == "x");
  CHECK(cose->find(4) == nullptr);
  CHECK(cose->find("nope") == nullptr);
  CHECK(Value::uint(1).find(1) == nullptr);
  // Deterministic order: 1, 3, -1 (0x20), -2 (0x21), "id".
  CHECK(hex_encode(encode(*cose)).substr(0, 14) == "a5010203262001");

  auto dup = Value::map({{Value::uint(1), Value::null()}, {Value::uint(1), Value::null()}});
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == Errc::invalid_argument);

  CHECK_FALSE(Value::simple(24));
  CHECK_FALSE(Value::simple(31));
  REQUIRE(Value::simple(20));
  CHECK(*Value::simple(20) == Value::boolean(false));
  CHECK(encode(*Value::simple(32)) == test::unhex("f820"));
  CHECK(Value::boolean(true).as_bool());
  CHECK(Value().is_null());
  CHECK(Value::undefined().is_undefined());

  CHECK(Value::text("a\xff" "b").as_text() == "a\xef\xbf\xbd" "b");
  CHECK(Value::text("\xed\xa0\x80").as_text() == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  CHECK_FALSE(Value::text_checked("\xc0\x80"));
  REQUIRE(Value::text_checked("\xc3\xbc"));

  // Every NaN encodes as 0xf97e00; -0.0 keeps its sign.
  std::uint64_t payload_nan_bits = 0x7ff0000000000123ULL;
  double payload_nan;
  std::memcpy(&payload_nan, &payload_nan_bits, 8);
  CHECK(encode(Value::floating(payload_nan)) == test::unhex("f97e00"));
  CHECK(encode(Value::floating(-0.0)) == test::unhex("f98000"));
  CHECK(Value::floating(payload_nan) == Value::floating(std::nan("")));
  CHECK_FALSE(Value::floating(0.0) == Value::floating(-0.0));
  CHECK_FALSE(Value::uint(0) == Value::floating(0.0));

  auto tagged = Value::tag(55799, Value::array({Value::uint(1)}));
  CHECK(encode(tagged) == test::unhex("d9d9f7 81 01"));
  CHECK(tagged.tag_number() == 55799);
  CHECK(tagged.tag_content().as_array().size() == 1);
  CHECK_THROWS_AS(Value::uint(1).as_text(), std::bad_variant_access);
}

// ---- properties

namespace {

std::string random_utf8(test::RandomBytes& rnd) {
  std::string s;
  const std::size_t n = rnd.below(12);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t cp;
    switch (rnd.below(4)) {
      case 0: cp = static_cast<std::uint32_t>(rnd.below(0x80)); break;
      case 1: cp = static_cast<std::uint32_t>(0x80 + rnd.below(0x800 - 0x80)); break;
      case 2:
        cp = static_cast<std::uint32_t>(0x800 + rnd.below(0x10000 - 0x800));
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xe000;  // no surrogates in UTF-8
        break;
      default: cp = static_cast<std::uint32_t>(0x10000 + rnd.below(0x110000 - 0x10000));
    }
    if (cp < 0x80) {
      s.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      s.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      s.push_back(static_cast<char>(0xf0 | (cp >> 18)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }
  return s;
}

double random_double(test::RandomBytes& rnd) {
  switch (rnd.below(4)) {
    case 0: return static_cast<double>(static_cast<std::int64_t>(rnd.below(200001)) - 100000) / 8;  // often half
    case 1: {  // any single-precision value
      const auto bits = static_cast<std::uint32_t>(rnd.u64());
      float f;
      std::memcpy(&f, &bits, 4);
      return static_cast<double>(f);
    }
    default: {  // any double, including NaNs, infinities and subnormals
      const std::uint64_t bits = rnd.u64();
      double d;
      std::memcpy(&d, &bits, 8);
      return d;
    }
  }
}

std::uint64_t random_arg(test::RandomBytes& rnd) {
  // Spread over all head widths: below 24, 1, 2, 4 and 8 bytes.
  static constexpr std::uint64_t kMasks[] = {0x1f, 0xff, 0xffff, 0xffffffff, ~std::uint64_t{0}};
  return rnd.u64() & kMasks[rnd.below(5)];
}

Value random_value(test::RandomBytes& rnd, int depth) {
  const std::uint64_t kind = rnd.below(depth > 0 ? 10 : 7);
  switch (kind) {
    case 0: return Value::uint(random_arg(rnd));
    case 1: return Value::negative(random_arg(rnd));
    case 2: return Value::bytes(rnd.next(20));
    case 3: return Value::text(random_utf8(rnd));
    case 4: {
      const auto s = static_cast<std::uint8_t>(rnd.below(2) ? rnd.below(24) : 32 + rnd.below(224));
      return *Value::simple(s);
    }
    case 5:
    case 6: return Value::floating(random_double(rnd));
    case 7: {
      cbor::Array a;
      const std::size_t n = rnd.below(6);
      for (std::size_t i = 0; i < n; ++i) a.push_back(random_value(rnd, depth - 1));
      return Value::array(std::move(a));
    }
    case 8: {
      cbor::Map m;
      const std::size_t n = rnd.below(6);
      for (std::size_t i = 0; i < n; ++i) {
        Value key = random_value(rnd, depth - 1);  // sequenced: same values with every compiler
        Value value = random_value(rnd, depth - 1);
        m.emplace_back(std::move(key), std::move(value));
      }
      auto map = Value::map(std::move(m));
      return map ? *map : Value::null();  // random keys may collide; fall back to null
    }
    default: {
      const std::uint64_t number = random_arg(rnd);
      return Value::tag(number, random_value(rnd, depth - 1));
    }
  }
}

}  // namespace

TEST_CASE("cbor: random values round-trip encode -> decode -> encode identically", "[cbor][property]") {
  test::RandomBytes rnd(0xc0b0c0b0);
  for (int i = 0; i < 3000; ++i) {
    const Value v = random_value(rnd, 4);
    const Bytes enc = cbor::encode(v);
    auto dec = cbor::decode(enc);
    INFO(cbor::diagnostic(v) << "\n0x" << hex_encode(enc));
    REQUIRE(dec);
    REQUIRE(*dec == v);
    REQUIRE(cbor::encode(*dec) == enc);
  }
}

TEST_CASE("cbor: mutated encodings either fail or re-encode to themselves", "[cbor][property]") {
  // A small in-test fuzz pass; tests/fuzz/fuzz_cbor.cpp does the same at scale.
  test::RandomBytes rnd(0xf022);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    Bytes b = cbor::encode(random_value(rnd, 3));
    const std::size_t edits = 1 + rnd.below(3);
    for (std::size_t e = 0; e < edits && !b.empty(); ++e) {
      const std::size_t pos = rnd.below(b.size());
      switch (rnd.below(3)) {
        case 0: b[pos] = static_cast<std::uint8_t>(rnd.u64()); break;
        case 1: b.erase(b.begin() + static_cast<std::ptrdiff_t>(pos)); break;
        default: b.insert(b.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<std::uint8_t>(rnd.u64()));
      }
    }
    auto dec = cbor::decode(b);
    if (!dec) continue;
    ++accepted;
    INFO("0x" << hex_encode(b));
    REQUIRE(cbor::encode(*dec) == b);
  }
  CHECK(accepted > 0);
}
