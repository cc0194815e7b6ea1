// P-256 known-answer tests (RFC 5903 §8.1 ECDH, RFC 6979 A.2.5 ECDSA) and point validation.
#include <catch2/catch.hpp>

#include "core/p256.h"
#include "kat.h"

using namespace keyward;
using keyward::test::read_kat;

namespace {

Bytes bytes_of(const SecretBytes& s) { return Bytes(s.view().begin(), s.view().end()); }

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) append(out, p);
  return out;
}

// SEC1 point from affine coordinates.
Bytes uncompressed(const Bytes& x, const Bytes& y) { return cat({Bytes{0x04}, x, y}); }
Bytes compressed(const Bytes& x, const Bytes& y) {
  return cat({Bytes{static_cast<std::uint8_t>((y.back() & 1) ? 0x03 : 0x02)}, x});
}

// DER INTEGER for a big-endian unsigned value (minimal, with a 00 pad if the top bit is set).
Bytes der_int(Bytes v) {
  while (v.size() > 1 && v[0] == 0 && !(v[1] & 0x80)) v.erase(v.begin());
  if (v[0] & 0x80) v.insert(v.begin(), 0x00);
  return cat({Bytes{0x02, static_cast<std::uint8_t>(v.size())}, v});
}
Bytes der_sig(const Bytes& r, const Bytes& s) {
  Bytes body = cat({der_int(r), der_int(s)});
  return cat({Bytes{0x30, static_cast<std::uint8_t>(body.size())}, body});
}

const Bytes kOrderN = test::unhex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");

}  // namespace

TEST_CASE("P-256 ECDH (RFC 5903 §8.1)", "[p256][kat]") {
  const auto records = read_kat("p256/ecdh_rfc5903.txt");
  REQUIRE(records.size() == 1);
  const auto& v = records[0];
  const Bytes gi = uncompressed(v.hex("gix"), v.hex("giy"));
  const Bytes gr = uncompressed(v.hex("grx"), v.hex("gry"));

  auto pub_i = p256::public_from_private(v.hex("i"));
  auto pub_r = p256::public_from_private(v.hex("r"));
  REQUIRE(pub_i);
  REQUIRE(pub_r);
  CHECK(*pub_i == gi);
  CHECK(*pub_r == gr);

  auto z1 = p256::ecdh(v.hex("i"), gr);
  auto z2 = p256::ecdh(v.hex("r"), gi);
  REQUIRE(z1);
  REQUIRE(z2);
  CHECK(bytes_of(*z1) == v.hex("girx"));
  CHECK(bytes_of(*z2) == v.hex("girx"));
  // The compressed peer point gives the same secret (decompression recovers the RFC's y).
  auto z3 = p256::ecdh(v.hex("i"), compressed(v.hex("grx"), v.hex("gry")));
  REQUIRE(z3);
  CHECK(bytes_of(*z3) == v.hex("girx"));
}

TEST_CASE("P-256 point encodings round-trip against the RFC coordinates", "[p256][kat]") {
  const auto v = read_kat("p256/ecdh_rfc5903.txt").at(0);
  for (const auto& [x, y] : {std::pair{v.hex("gix"), v.hex("giy")},
                             std::pair{v.hex("grx"), v.hex("gry")},
                             std::pair{v.hex("girx"), v.hex("giry")}}) {
    const Bytes u = uncompressed(x, y);
    const Bytes c = compressed(x, y);
    auto to_c = p256::to_compressed(u);
    auto to_u = p256::to_uncompressed(c);
    REQUIRE(to_c);
    REQUIRE(to_u);
    CHECK(*to_c == c);
    CHECK(*to_u == u);
    auto keep_u = p256::decode_point(u);
    auto keep_c = p256::decode_point(c);
    REQUIRE(keep_u);
    REQUIRE(keep_c);
    CHECK(*keep_u == u);
    CHECK(*keep_c == c);
  }
}

TEST_CASE("P-256 ECDSA-SHA-256 verification (RFC 6979 A.2.5)", "[p256][ecdsa][kat]") {
  const auto records = read_kat("p256/ecdsa_rfc6979.txt");
  REQUIRE(records.size() == 2);
  for (const auto& v : records) {
    INFO(v.name());
    const Bytes pub = uncompressed(v.hex("Ux"), v.hex("Uy"));
    auto derived = p256::public_from_private(v.hex("x"));
    REQUIRE(derived);
    CHECK(*derived == pub);

    const Bytes msg = v.hex("message");
    const Bytes raw = cat({v.hex("r"), v.hex("s")});
    const Bytes der = der_sig(v.hex("r"), v.hex("s"));
    CHECK(p256::ecdsa_verify_raw(pub, msg, raw));
    CHECK(p256::ecdsa_verify_der(pub, msg, der));
    CHECK(p256::ecdsa_verify_der(compressed(v.hex("Ux"), v.hex("Uy")), msg, der));

    // Modified message, signature or key: invalid.
    Bytes msg2 = msg;
    msg2[0] ^= 0x01;
    CHECK_FALSE(p256::ecdsa_verify_raw(pub, msg2, raw));
    CHECK_FALSE(p256::ecdsa_verify_der(pub, msg2, der));
    for (std::size_t i : {std::size_t{0}, std::size_t{31}, std::size_t{32}, std::size_t{63}}) {
      Bytes raw2 = raw;
      raw2[i] ^= 0x01;
      CHECK_FALSE(p256::ecdsa_verify_raw(pub, msg, raw2));
    }
    Bytes der2 = der;
    der2[der2.size() - 1] ^= 0x01;
    CHECK_FALSE(p256::ecdsa_verify_der(pub, msg, der2));
    // Malformed encodings are simply invalid.
    CHECK_FALSE(p256::ecdsa_verify_raw(pub, msg, ByteView(raw).first(63)));
    CHECK_FALSE(p256::ecdsa_verify_der(pub, msg, raw));
    Bytes der_trailing = der;
    der_trailing.push_back(0x00);
    CHECK_FALSE(p256::ecdsa_verify_der(pub, msg, der_trailing));
    CHECK_FALSE(p256::ecdsa_verify_der(pub, msg, {}));
    // The signature of the other message does not verify this one.
    CHECK_FALSE(p256::ecdsa_verify_raw(pub, as_bytes("other"), raw));
  }
  // Key of the "sample" vector, wrong key for "test"'s signature via a different public key.
  const auto v = records[0];
  auto other = p256::generate();
  CHECK_FALSE(p256::ecdsa_verify_raw(other.public_uncompressed, v.hex("message"),
                                     cat({v.hex("r"), v.hex("s")})));
}

TEST_CASE("P-256 rejects malformed and off-curve points", "[p256]") {
  const auto v = read_kat("p256/ecdh_rfc5903.txt").at(0);
  const Bytes good = uncompressed(v.hex("gix"), v.hex("giy"));
  Bytes off_curve = good;
  off_curve[64] ^= 0x01;
  Bytes bad_prefix = good;
  bad_prefix[0] = 0x06;  // hybrid form: not accepted
  Bytes bad_compressed_prefix = compressed(v.hex("gix"), v.hex("giy"));
  bad_compressed_prefix[0] = 0x04;
  Bytes x_too_big(33, 0xff);  // x >= p
  x_too_big[0] = 0x02;
  // x = 1: 1 - 3 + b is not a square mod p (Euler's criterion), so no point has this x.
  Bytes no_point_x(33, 0x00);
  no_point_x[0] = 0x03;
  no_point_x[32] = 0x01;
  const std::vector<Bytes> bad = {
      off_curve, bad_prefix, bad_compressed_prefix, x_too_big, no_point_x,
      Bytes{0x00},                         // point at infinity
      Bytes(65, 0x00),                     // zero coordinates
      Bytes(good.begin(), good.end() - 1),  // 64 bytes starting 04
      Bytes(good.begin() + 1, good.end()),  // 64 raw bytes
      cat({good, Bytes{0x00}}),             // trailing byte
      Bytes{},
  };
  for (const auto& p : bad) {
    INFO("point of " << p.size() << " bytes");
    auto d = p256::decode_point(p);
    REQUIRE_FALSE(d);
    CHECK(d.error().code == Errc::malformed);
    CHECK(p256::to_compressed(p).error().code == Errc::malformed);
    CHECK(p256::to_uncompressed(p).error().code == Errc::malformed);
    auto z = p256::ecdh(v.hex("r"), p);
    REQUIRE_FALSE(z);
    CHECK(z.error().code == Errc::malformed);
  }
}

TEST_CASE("P-256 private scalars outside [1, n-1] are refused", "[p256]") {
  const auto v = read_kat("p256/ecdh_rfc5903.txt").at(0);
  const Bytes peer = uncompressed(v.hex("grx"), v.hex("gry"));
  Bytes n_minus_1 = kOrderN;
  n_minus_1.back() -= 1;
  CHECK(p256::public_from_private(Bytes(32, 0)).error().code == Errc::invalid_argument);
  CHECK(p256::public_from_private(kOrderN).error().code == Errc::invalid_argument);
  CHECK(p256::public_from_private(Bytes(32, 0xff)).error().code == Errc::invalid_argument);
  CHECK(p256::public_from_private(Bytes(31, 1)).error().code == Errc::invalid_argument);
  CHECK(p256::ecdh(Bytes(32, 0), peer).error().code == Errc::invalid_argument);
  CHECK(p256::ecdsa_sign_der(kOrderN, as_bytes("x")).error().code == Errc::invalid_argument);
  // n-1 is valid: (n-1)*G = -G, whose x is G's x.
  auto minus_g = p256::public_from_private(n_minus_1);
  REQUIRE(minus_g);
  auto one = p256::public_from_private(cat({Bytes(31, 0), Bytes{1}}));
  REQUIRE(one);
  CHECK(Bytes(minus_g->begin(), minus_g->begin() + 33) == Bytes(one->begin(), one->begin() + 33));
  CHECK(minus_g->back() != one->back());
}

TEST_CASE("P-256 generated keys: ECDH agreement and sign/verify round trip", "[p256]") {
  auto a = p256::generate();
  auto b = p256::generate();
  REQUIRE(a.private_scalar.size() == 32);
  REQUIRE(a.public_uncompressed.size() == 65);
  auto again = p256::public_from_private(a.private_scalar);
  REQUIRE(again);
  CHECK(*again == a.public_uncompressed);
  auto ab = p256::ecdh(a.private_scalar, b.public_uncompressed);
  auto ba = p256::ecdh(b.private_scalar, a.public_uncompressed);
  REQUIRE(ab);
  REQUIRE(ba);
  CHECK(ab->equals(ba->view()));

  auto sig = p256::ecdsa_sign_der(a.private_scalar, as_bytes("clientDataHash"));
  REQUIRE(sig);
  CHECK(p256::ecdsa_verify_der(a.public_uncompressed, as_bytes("clientDataHash"), *sig));
  CHECK_FALSE(p256::ecdsa_verify_der(b.public_uncompressed, as_bytes("clientDataHash"), *sig));
  CHECK_FALSE(p256::ecdsa_verify_der(a.public_uncompressed, as_bytes("clientDataHasH"), *sig));
}
