// Known-answer and parameter-validation tests for Argon2id, scrypt and HKDF-SHA-256.
#include <cstdlib>

#include <catch2/catch.hpp>

#include "core/hash.h"
#include "core/kdf.h"
#include "kat.h"

using namespace keyward;
using keyward::test::read_kat;

namespace {
Bytes bytes_of(const SecretBytes& s) { return Bytes(s.view().begin(), s.view().end()); }
bool slow_tests_enabled() {
  const char* v = std::getenv("KEYWARD_SLOW_TESTS");
  return v != nullptr && std::string(v) == "1";
}
const Bytes kSalt16(16, 0x5a);
}  // namespace

TEST_CASE("Argon2id with secret and associated data (RFC 9106 §5.3)", "[kdf][argon2][kat]") {
  const auto records = read_kat("rfc9106/argon2id.txt");
  REQUIRE(records.size() == 1);
  const auto& r = records[0];
  kdf::Argon2Params params;
  params.t_cost = static_cast<std::uint32_t>(r.number("t"));
  params.m_cost_kib = static_cast<std::uint32_t>(r.number("m_kib"));
  params.parallelism = static_cast<std::uint32_t>(r.number("p"));
  const Bytes tag = r.hex("tag");
  auto out = kdf::argon2id_keyed(r.hex("password"), r.hex("salt"), r.hex("secret"),
                                 r.hex("associated"), params, tag.size());
  REQUIRE(out);
  CHECK(bytes_of(*out) == tag);

  // Without K and X the result must differ (both are bound into H0).
  auto plain = kdf::argon2id(r.hex("password"), r.hex("salt"), params, tag.size());
  REQUIRE(plain);
  CHECK(bytes_of(*plain) != tag);
  auto no_ad = kdf::argon2id_keyed(r.hex("password"), r.hex("salt"), r.hex("secret"), {}, params,
                                   tag.size());
  REQUIRE(no_ad);
  CHECK(bytes_of(*no_ad) != tag);
}

TEST_CASE("Argon2id is deterministic and depends on every parameter", "[kdf][argon2]") {
  const kdf::Argon2Params small{1, 64, 2};
  auto a = kdf::argon2id(as_bytes("pw"), kSalt16, small, 32);
  auto b = kdf::argon2id(as_bytes("pw"), kSalt16, small, 32);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->equals(b->view()));
  auto other_t = kdf::argon2id(as_bytes("pw"), kSalt16, {2, 64, 2}, 32);
  auto other_m = kdf::argon2id(as_bytes("pw"), kSalt16, {1, 128, 2}, 32);
  auto other_p = kdf::argon2id(as_bytes("pw"), kSalt16, {1, 64, 1}, 32);
  REQUIRE(other_t);
  REQUIRE(other_m);
  REQUIRE(other_p);
  CHECK_FALSE(a->equals(other_t->view()));
  CHECK_FALSE(a->equals(other_m->view()));
  CHECK_FALSE(a->equals(other_p->view()));
  // Empty password is allowed (the salt still has to be real).
  CHECK(kdf::argon2id({}, kSalt16, small, 32));
}

TEST_CASE("Argon2id rejects out-of-range parameters instead of clamping", "[kdf][argon2]") {
  auto code = [](const kdf::Argon2Params& p, ByteView salt = kSalt16, std::size_t len = 32) {
    auto r = kdf::argon2id(as_bytes("pw"), salt, p, len);
    return r ? Errc::internal : r.error().code;
  };
  CHECK(code({0, 64, 1}) == Errc::invalid_argument);                           // t = 0
  CHECK(code({kdf::kArgon2MaxTimeCost + 1, 64, 1}) == Errc::invalid_argument);  // t too big
  CHECK(code({1, 64, 0}) == Errc::invalid_argument);                           // p = 0
  CHECK(code({1, 8 * 256, 256}) == Errc::invalid_argument);                    // p too big
  CHECK(code({1, 31, 4}) == Errc::invalid_argument);                           // m < 8p
  CHECK(code({1, kdf::kArgon2MaxMemoryKib + 1, 1}) == Errc::invalid_argument);  // m too big
  CHECK(code({1, 64, 1}, Bytes(7, 1)) == Errc::invalid_argument);              // salt < 8
  CHECK(code({1, 64, 1}, kSalt16, 3) == Errc::invalid_argument);               // output < 4
  CHECK(code({1, 64, 1}, kSalt16, kdf::kKdfMaxOutput + 1) == Errc::invalid_argument);
  // The boundary values themselves are accepted.
  CHECK(kdf::argon2id(as_bytes("pw"), Bytes(8, 1), {1, 32, 4}, 4));
}

TEST_CASE("scrypt (RFC 7914 §12)", "[kdf][scrypt][kat]") {
  const auto records = read_kat("rfc7914/scrypt.txt");
  REQUIRE(records.size() == 4);
  int ran = 0;
  for (const auto& r : records) {
    INFO(r.name());
    if (r.has("slow") && !slow_tests_enabled()) continue;  // 1 GiB: KEYWARD_SLOW_TESTS=1
    kdf::ScryptParams params;
    params.n = r.number("N");
    params.r = static_cast<std::uint32_t>(r.number("r"));
    params.p = static_cast<std::uint32_t>(r.number("p"));
    const Bytes dk = r.hex("dk");
    auto out = kdf::scrypt(r.hex("password"), r.hex("salt"), params, dk.size(), 2ull << 30);
    REQUIRE(out);
    CHECK(bytes_of(*out) == dk);
    ++ran;
  }
  CHECK(ran >= 3);
}

TEST_CASE("scrypt refuses bad N and anything above the memory cap", "[kdf][scrypt]") {
  auto code = [](kdf::ScryptParams p, std::uint64_t cap = 1ull << 30) {
    auto r = kdf::scrypt(as_bytes("pw"), as_bytes("salt"), p, 32, cap);
    return r ? Errc::internal : r.error().code;
  };
  CHECK(code({0, 8, 1}) == Errc::invalid_argument);
  CHECK(code({1, 8, 1}) == Errc::invalid_argument);
  CHECK(code({1000, 8, 1}) == Errc::invalid_argument);  // not a power of two
  CHECK(code({1024, 0, 1}) == Errc::invalid_argument);
  CHECK(code({1024, 8, 0}) == Errc::invalid_argument);
  // N = 2^20, r = 8 needs 1 GiB + a little: above the default 1 GiB cap, refused up front.
  CHECK(code({1u << 20, 8, 1}) == Errc::invalid_argument);
  // A small cap refuses a modest request: 128 * 8 * (1024 + 1 + 2) bytes > 1 MiB.
  CHECK(code({1024, 8, 1}, 1u << 20) == Errc::invalid_argument);
  CHECK(code({1024, 8, 1}, 2u << 20) == Errc::internal);  // i.e. it succeeded
  // Overflowing parameters are refused, not wrapped around.
  CHECK(code({1ull << 62, 0xffffffffu, 1}) == Errc::invalid_argument);
}

TEST_CASE("HKDF-SHA-256 (RFC 5869 test cases 1-3)", "[kdf][hkdf][kat]") {
  const auto records = read_kat("rfc5869/hkdf_sha256.txt");
  REQUIRE(records.size() == 3);
  for (const auto& r : records) {
    INFO(r.name());
    const Bytes okm = r.hex("okm");
    REQUIRE(okm.size() == r.number("L"));
    auto out = kdf::hkdf_sha256(r.hex("ikm"), r.hex("salt"), r.hex("info"), okm.size());
    REQUIRE(out);
    CHECK(bytes_of(*out) == okm);
  }
}

TEST_CASE("HKDF-SHA-256 edge cases", "[kdf][hkdf]") {
  CHECK(kdf::hkdf_sha256(as_bytes("k"), {}, {}, 0).error().code == Errc::invalid_argument);
  CHECK(kdf::hkdf_sha256(as_bytes("k"), {}, {}, 255 * 32 + 1).error().code ==
        Errc::invalid_argument);
  CHECK(kdf::hkdf_sha256(as_bytes("k"), {}, {}, 255 * 32));
  // An empty IKM is valid in RFC 5869; a shorter output is a prefix of a longer one.
  auto a = kdf::hkdf_sha256({}, as_bytes("salt"), as_bytes("info"), 64);
  auto b = kdf::hkdf_sha256({}, as_bytes("salt"), as_bytes("info"), 32);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->prefix(32).equals(b->view()));
  auto c = kdf::hkdf_sha256(as_bytes("x"), as_bytes("salt"), as_bytes("info"), 32);
  REQUIRE(c);
  CHECK_FALSE(c->equals(b->view()));
  // Different info labels give independent keys.
  auto d = kdf::hkdf_sha256(as_bytes("x"), as_bytes("salt"), as_bytes("info2"), 32);
  REQUIRE(d);
  CHECK_FALSE(c->equals(d->view()));
}

TEST_CASE("HKDF-SHA-256 with an empty IKM follows RFC 5869 extract-then-expand", "[kdf][hkdf]") {
  // PRK = HMAC(salt, ""), T(1) = HMAC(PRK, info || 0x01): computed here with HMAC only.
  const Bytes prk = hash::hmac_sha256(as_bytes("salt"), {});
  Bytes t1_input = to_bytes("info");
  t1_input.push_back(0x01);
  const Bytes t1 = hash::hmac_sha256(prk, t1_input);
  auto out = kdf::hkdf_sha256({}, as_bytes("salt"), as_bytes("info"), 32);
  REQUIRE(out);
  CHECK(bytes_of(*out) == t1);
}
