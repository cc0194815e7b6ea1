// Known-answer tests for SHA-2, HMAC and BLAKE2b, from the standards' own vectors.
#include <catch2/catch.hpp>

#include "core/hash.h"
#include "kat.h"

using namespace keyward;
using keyward::test::read_kat;

namespace {
Bytes prefix(const Bytes& b, std::size_t n) { return Bytes(b.begin(), b.begin() + static_cast<long>(n)); }
}  // namespace

TEST_CASE("SHA-256 and SHA-512 of \"abc\" (FIPS 180-2)", "[hash][kat]") {
  for (const auto& r : read_kat("fips180/sha2.txt")) {
    INFO(r.name());
    const Bytes msg = r.hex("message");
    if (r.has("sha256")) {
      const auto d = hash::sha256(msg);
      CHECK(Bytes(d.begin(), d.end()) == r.hex("sha256"));
    }
    if (r.has("sha512")) CHECK(hash::sha512(msg) == r.hex("sha512"));
  }
}

TEST_CASE("HMAC-SHA-256 and HMAC-SHA-512 (RFC 4231 test cases 1-7)", "[hash][hmac][kat]") {
  const auto records = read_kat("rfc4231/hmac_sha2.txt");
  REQUIRE(records.size() == 7);
  for (const auto& r : records) {
    INFO(r.name());
    const Bytes key = r.hex("key");
    const Bytes data = r.hex("data");
    Bytes m256 = hash::hmac_sha256(key, data);
    Bytes m512 = hash::hmac(hash::HmacAlg::sha512, key, data);
    REQUIRE(m256.size() == 32);
    REQUIRE(m512.size() == 64);
    if (r.has("truncate")) {
      m256 = prefix(m256, r.number("truncate"));
      m512 = prefix(m512, r.number("truncate"));
    }
    CHECK(m256 == r.hex("hmac_sha256"));
    CHECK(m512 == r.hex("hmac_sha512"));
  }
}

TEST_CASE("HMAC-SHA-1 (RFC 2202 test cases 1-7)", "[hash][hmac][kat]") {
  const auto records = read_kat("rfc2202/hmac_sha1.txt");
  REQUIRE(records.size() == 7);
  for (const auto& r : records) {
    INFO(r.name());
    CHECK(hash::hmac_sha1(r.hex("key"), r.hex("data")) == r.hex("hmac_sha1"));
  }
}

TEST_CASE("HMAC accepts an empty key and empty message", "[hash][hmac]") {
  // HMAC with an empty key equals HMAC with a block of zero bytes (RFC 2104 pads the key).
  const Bytes zeros(64, 0);
  CHECK(hash::hmac_sha256({}, as_bytes("m")) == hash::hmac_sha256(zeros, as_bytes("m")));
  CHECK(hash::hmac_sha256(as_bytes("k"), {}).size() == 32);
}

TEST_CASE("BLAKE2b: RFC 7693 Appendix A and the BLAKE2 reference keyed KAT", "[hash][blake2b][kat]") {
  for (const auto& r : read_kat("rfc7693/blake2b.txt")) {
    INFO(r.name());
    const Bytes key = r.hex("key");
    const Bytes msg = r.hex("message");
    auto out = key.empty() ? hash::blake2b(msg, 64) : hash::blake2b_keyed(key, msg, 64);
    REQUIRE(out);
    CHECK(*out == r.hex("digest"));
  }
}

TEST_CASE("BLAKE2b keyed: properties and parameter checks", "[hash][blake2b]") {
  const Bytes key(32, 0x42);
  const Bytes other_key(32, 0x43);
  auto a = hash::blake2b_keyed(key, as_bytes("coordinate"));
  auto b = hash::blake2b_keyed(key, as_bytes("coordinate"));
  auto c = hash::blake2b_keyed(other_key, as_bytes("coordinate"));
  auto d = hash::blake2b_keyed(key, as_bytes("coordinatf"));
  auto unkeyed = hash::blake2b(as_bytes("coordinate"));
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  REQUIRE(d);
  REQUIRE(unkeyed);
  CHECK(a->size() == 32);
  CHECK(*a == *b);        // deterministic
  CHECK(*a != *c);        // depends on the key
  CHECK(*a != *d);        // depends on the message
  CHECK(*a != *unkeyed);  // keyed differs from unkeyed
  // A 32-byte output is not a prefix of the 64-byte output (the length is a parameter).
  auto a64 = hash::blake2b_keyed(key, as_bytes("coordinate"), 64);
  REQUIRE(a64);
  CHECK(prefix(*a64, 32) != *a);

  CHECK(hash::blake2b_keyed(Bytes(15, 1), as_bytes("x")).error().code == Errc::invalid_argument);
  CHECK(hash::blake2b_keyed(Bytes(65, 1), as_bytes("x")).error().code == Errc::invalid_argument);
  CHECK(hash::blake2b_keyed(key, as_bytes("x"), 15).error().code == Errc::invalid_argument);
  CHECK(hash::blake2b_keyed(key, as_bytes("x"), 65).error().code == Errc::invalid_argument);
  CHECK(hash::blake2b(as_bytes("x"), 0).error().code == Errc::invalid_argument);
  CHECK(hash::blake2b(as_bytes("x"), 65).error().code == Errc::invalid_argument);
}
