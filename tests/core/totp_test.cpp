// RFC 6238 Appendix B vectors, derived 6-digit codes, parameter validation and skew windows.
#include <catch2/catch.hpp>

#include "core/totp.h"
#include "kat.h"

using namespace keyward;
using keyward::test::read_kat;

namespace {

totp::Algorithm alg_of(const std::string& name) {
  if (name == "sha1") return totp::Algorithm::sha1;
  if (name == "sha256") return totp::Algorithm::sha256;
  if (name == "sha512") return totp::Algorithm::sha512;
  throw std::runtime_error("unknown alg " + name);
}

// The RFC 6238 SHA-1 seed: ASCII "12345678901234567890".
const Bytes kSeed20 = to_bytes("12345678901234567890");

}  // namespace

TEST_CASE("TOTP matches RFC 6238 Appendix B (all 18 rows)", "[totp][kat]") {
  const auto records = read_kat("rfc6238/totp.txt");
  REQUIRE(records.size() == 18);
  for (const auto& r : records) {
    INFO(r.text("alg") << " at " << r.text("time"));
    totp::Params p;
    p.algorithm = alg_of(r.text("alg"));
    p.digits = 8;
    const auto t = static_cast<std::int64_t>(r.number("time"));
    const Bytes key = r.hex("key");
    auto code = totp::generate(key, t, p);
    REQUIRE(code);
    CHECK(*code == r.text("totp"));
    auto ok = totp::verify(key, r.text("totp"), t, p, 0);
    REQUIRE(ok);
    CHECK(*ok);

    // Six digits: the value mod 10^6, i.e. the last six digits of the RFC's 8-digit code.
    p.digits = 6;
    auto six = totp::generate(key, t, p);
    REQUIRE(six);
    CHECK(*six == r.text("totp").substr(2));
  }
}

TEST_CASE("TOTP key seeds differ per algorithm (RFC 6238 Appendix A)", "[totp][kat]") {
  // The SHA-256 and SHA-512 rows only match with the 32- and 64-byte seeds, not the 20-byte one.
  const auto records = read_kat("rfc6238/totp.txt");
  for (const auto& r : records) {
    if (r.text("alg") == "sha1") {
      CHECK(r.hex("key") == kSeed20);
      continue;
    }
    totp::Params p;
    p.algorithm = alg_of(r.text("alg"));
    p.digits = 8;
    auto wrong_seed = totp::generate(kSeed20, static_cast<std::int64_t>(r.number("time")), p);
    REQUIRE(wrong_seed);
    CHECK(*wrong_seed != r.text("totp"));
    CHECK(r.hex("key").size() == (r.text("alg") == "sha256" ? 32u : 64u));
  }
}

TEST_CASE("TOTP step and T0 are honoured", "[totp]") {
  totp::Params p;
  p.digits = 8;
  // RFC row: T = 1 at time 59 with X = 30, T0 = 0 -> 94287082.
  p.t0 = 1000;
  auto shifted = totp::generate(kSeed20, 1000 + 59, p);
  REQUIRE(shifted);
  CHECK(*shifted == "94287082");
  p.t0 = 0;
  p.step_seconds = 60;
  auto slow = totp::generate(kSeed20, 119, p);  // floor(119 / 60) = 1
  REQUIRE(slow);
  CHECK(*slow == "94287082");
  auto c = totp::counter(1111111109, totp::Params{});
  REQUIRE(c);
  CHECK(*c == 0x23523EC);  // "Value of T" column of RFC 6238 Appendix B
  auto h = totp::hotp(kSeed20, 1, {totp::Algorithm::sha1, 8, 30, 0});
  REQUIRE(h);
  CHECK(*h == "94287082");
}

TEST_CASE("TOTP skew window", "[totp]") {
  const totp::Params p;  // SHA-1, 6 digits, 30 s
  const std::int64_t now = 1700000000;
  auto code = totp::generate(kSeed20, now, p);
  REQUIRE(code);

  auto step_now = totp::counter(now, p);
  REQUIRE(step_now);
  auto same = totp::verify_step(kSeed20, *code, now, p, 1);
  REQUIRE(same);
  REQUIRE(same->has_value());
  CHECK(**same == *step_now);

  // One step late or early is accepted with skew 1 (and reports the code's own step).
  auto late = totp::verify_step(kSeed20, *code, now + 30, p, 1);
  REQUIRE(late);
  REQUIRE(late->has_value());
  CHECK(**late == *step_now);
  CHECK(*totp::verify(kSeed20, *code, now - 30, p, 1));
  // Two steps away: refused with skew 1, accepted with skew 2; skew 0 means this step only.
  CHECK_FALSE(*totp::verify(kSeed20, *code, now + 60, p, 1));
  CHECK_FALSE(*totp::verify(kSeed20, *code, now - 60, p, 1));
  CHECK(*totp::verify(kSeed20, *code, now + 60, p, 2));
  CHECK_FALSE(*totp::verify(kSeed20, *code, now + 30, p, 0));

  // Wrong codes, wrong lengths and non-digits do not match.
  std::string wrong = *code;
  wrong[5] = wrong[5] == '9' ? '0' : static_cast<char>(wrong[5] + 1);
  CHECK_FALSE(*totp::verify(kSeed20, wrong, now, p, 1));
  CHECK_FALSE(*totp::verify(kSeed20, code->substr(0, 5), now, p, 1));
  CHECK_FALSE(*totp::verify(kSeed20, *code + "0", now, p, 1));
  CHECK_FALSE(*totp::verify(kSeed20, "", now, p, 1));
  CHECK_FALSE(*totp::verify(kSeed20, "12345a", now, p, 1));
  Bytes other_key(20, 0x42);
  CHECK_FALSE(*totp::verify(other_key, *code, now, p, 1));

  // Near T0 the window does not reach before step 0.
  auto first = totp::generate(kSeed20, 0, p);
  REQUIRE(first);
  CHECK(*totp::verify(kSeed20, *first, 10, p, 3));
}

TEST_CASE("TOTP rejects invalid parameters", "[totp]") {
  auto code_of = [](auto r) { return r ? Errc::internal : r.error().code; };
  totp::Params p;
  p.digits = 7;
  CHECK(code_of(totp::generate(kSeed20, 59, p)) == Errc::invalid_argument);
  p.digits = 0;
  CHECK(code_of(totp::generate(kSeed20, 59, p)) == Errc::invalid_argument);
  p = {};
  p.step_seconds = 0;
  CHECK(code_of(totp::generate(kSeed20, 59, p)) == Errc::invalid_argument);
  p = {};
  p.algorithm = static_cast<totp::Algorithm>(7);
  CHECK(code_of(totp::generate(kSeed20, 59, p)) == Errc::invalid_argument);
  p = {};
  p.t0 = 100;
  CHECK(code_of(totp::generate(kSeed20, 99, p)) == Errc::invalid_argument);  // before T0
  CHECK(code_of(totp::generate(Bytes(15, 1), 59, {})) == Errc::invalid_argument);
  CHECK(code_of(totp::generate({}, 59, {})) == Errc::invalid_argument);
  CHECK(code_of(totp::verify(kSeed20, "123456", 59, {}, totp::kMaxSkewSteps + 1)) ==
        Errc::invalid_argument);
  CHECK(code_of(totp::verify(Bytes(8, 1), "123456", 59, {}, 1)) == Errc::invalid_argument);
  CHECK(code_of(totp::hotp(kSeed20, 1, {totp::Algorithm::sha1, 9, 30, 0})) ==
        Errc::invalid_argument);
}
