// Known-answer and rejection tests for X25519 (RFC 7748) and Ed25519 (RFC 8032).
#include <catch2/catch.hpp>

#include "core/pubkey.h"
#include "kat.h"

using namespace keyward;
using keyward::test::read_kat;

namespace {
template <class A>
Bytes to_vec(const A& a) {
  return Bytes(a.begin(), a.end());
}
Bytes bytes_of(const SecretBytes& s) { return Bytes(s.view().begin(), s.view().end()); }
}  // namespace

TEST_CASE("X25519 (RFC 7748 §5.2 and §6.1)", "[pubkey][x25519][kat]") {
  const auto records = read_kat("rfc7748/x25519.txt");
  REQUIRE(records.size() == 5);
  for (const auto& r : records) {
    INFO(r.name());
    if (r.has("scalar")) {
      auto out = pubkey::x25519(r.hex("scalar"), r.hex("u"));
      REQUIRE(out);
      CHECK(bytes_of(*out) == r.hex("out"));
    } else if (r.has("iterations")) {
      Bytes k(32, 0), u(32, 0);
      k[0] = 9;
      u[0] = 9;
      for (std::uint64_t i = 0; i < r.number("iterations"); ++i) {
        auto next = pubkey::x25519(k, u);
        REQUIRE(next);
        u = k;
        k = bytes_of(*next);
      }
      CHECK(k == r.hex("k"));
    } else {
      auto a_pub = pubkey::x25519_public(r.hex("alice_private"));
      auto b_pub = pubkey::x25519_public(r.hex("bob_private"));
      REQUIRE(a_pub);
      REQUIRE(b_pub);
      CHECK(to_vec(*a_pub) == r.hex("alice_public"));
      CHECK(to_vec(*b_pub) == r.hex("bob_public"));
      auto ab = pubkey::x25519(r.hex("alice_private"), r.hex("bob_public"));
      auto ba = pubkey::x25519(r.hex("bob_private"), r.hex("alice_public"));
      REQUIRE(ab);
      REQUIRE(ba);
      CHECK(bytes_of(*ab) == r.hex("shared"));
      CHECK(bytes_of(*ba) == r.hex("shared"));
    }
  }
}

TEST_CASE("X25519 refuses low-order points and bad sizes", "[pubkey][x25519]") {
  const auto kp = pubkey::x25519_generate();
  // u = 0 and u = 1 are low-order points: the shared secret would be all zeros.
  Bytes zero(32, 0);
  Bytes one(32, 0);
  one[0] = 1;
  for (const Bytes& bad : {zero, one}) {
    auto r = pubkey::x25519(kp.secret, bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::invalid_argument);
  }
  CHECK(pubkey::x25519(kp.secret, Bytes(31, 9)).error().code == Errc::invalid_argument);
  CHECK(pubkey::x25519(Bytes(31, 1), to_vec(kp.public_key)).error().code == Errc::invalid_argument);
  CHECK(pubkey::x25519_public(Bytes(33, 1)).error().code == Errc::invalid_argument);

  // Generated pairs agree.
  const auto other = pubkey::x25519_generate();
  auto s1 = pubkey::x25519(kp.secret, to_vec(other.public_key));
  auto s2 = pubkey::x25519(other.secret, to_vec(kp.public_key));
  REQUIRE(s1);
  REQUIRE(s2);
  CHECK(s1->equals(s2->view()));
  auto pub = pubkey::x25519_public(kp.secret);
  REQUIRE(pub);
  CHECK(*pub == kp.public_key);
}

TEST_CASE("Ed25519 (RFC 8032 §7.1 TEST 1, 2, 3, SHA(abc))", "[pubkey][ed25519][kat]") {
  const auto records = read_kat("rfc8032/ed25519.txt");
  REQUIRE(records.size() == 4);
  for (const auto& r : records) {
    INFO(r.name());
    const Bytes seed = r.hex("secret");
    const Bytes msg = r.hex("message");
    const Bytes sig = r.hex("signature");
    const Bytes pub = r.hex("public");
    auto kp = pubkey::ed25519_from_seed(seed);
    REQUIRE(kp);
    CHECK(to_vec(kp->public_key) == pub);
    auto s = pubkey::ed25519_sign(seed, msg);
    REQUIRE(s);
    CHECK(to_vec(*s) == sig);
    CHECK(pubkey::ed25519_verify(pub, msg, sig));

    // Any change to message, signature or key makes verification fail.
    Bytes msg2 = msg;
    msg2.push_back(0x00);
    CHECK_FALSE(pubkey::ed25519_verify(pub, msg2, sig));
    for (std::size_t i : {std::size_t{0}, std::size_t{40}, std::size_t{63}}) {
      Bytes sig2 = sig;
      sig2[i] ^= 0x01;
      CHECK_FALSE(pubkey::ed25519_verify(pub, msg, sig2));
    }
    Bytes pub2 = pub;
    pub2[0] ^= 0x01;
    CHECK_FALSE(pubkey::ed25519_verify(pub2, msg, sig));
    CHECK_FALSE(pubkey::ed25519_verify(ByteView(pub).first(31), msg, sig));
    CHECK_FALSE(pubkey::ed25519_verify(pub, msg, ByteView(sig).first(63)));
  }
}

TEST_CASE("Ed25519 generated keys sign and verify, bad seeds are refused", "[pubkey][ed25519]") {
  const auto kp = pubkey::ed25519_generate();
  REQUIRE(kp.seed.size() == 32);
  auto again = pubkey::ed25519_from_seed(kp.seed);
  REQUIRE(again);
  CHECK(again->public_key == kp.public_key);
  auto sig = pubkey::ed25519_sign(kp.seed, as_bytes("package manifest"));
  REQUIRE(sig);
  CHECK(pubkey::ed25519_verify(kp.public_key, as_bytes("package manifest"), *sig));
  CHECK_FALSE(pubkey::ed25519_verify(kp.public_key, as_bytes("package manifesT"), *sig));
  CHECK(pubkey::ed25519_from_seed(Bytes(31, 0)).error().code == Errc::invalid_argument);
  CHECK(pubkey::ed25519_sign(Bytes(64, 0), as_bytes("x")).error().code == Errc::invalid_argument);
}
