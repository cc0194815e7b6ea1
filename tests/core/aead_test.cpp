// Known-answer and tamper tests for XChaCha20-Poly1305, ChaCha20-Poly1305 and AES-256-GCM.
#include <functional>
#include <string>

#include <catch2/catch.hpp>

#include "core/aead.h"
#include "kat.h"

using namespace keyward;
using keyward::test::KatRecord;
using keyward::test::read_kat;

namespace {

using SealFn = std::function<Result<Bytes>(ByteView, ByteView, ByteView, ByteView)>;
using OpenFn = std::function<Result<SecretBytes>(ByteView, ByteView, ByteView, ByteView)>;

struct Aead {
  const char* name;
  std::size_t nonce_size;
  SealFn seal;
  OpenFn open;
};

const Aead kXChaCha{"XChaCha20-Poly1305", aead::kXNonceSize, aead::xchacha_seal, aead::xchacha_open};
const Aead kChaCha{"ChaCha20-Poly1305", aead::kNonceSize, aead::chacha_seal, aead::chacha_open};
const Aead kGcm{"AES-256-GCM", aead::kNonceSize, aead::aes256gcm_seal, aead::aes256gcm_open};

Bytes bytes_of(const SecretBytes& s) { return Bytes(s.view().begin(), s.view().end()); }

Bytes sealed_of(const KatRecord& r) {
  Bytes sealed = r.hex("ciphertext");
  append(sealed, r.hex("tag"));
  return sealed;
}

void check_kat(const Aead& a, const std::string& file, std::size_t expected_records) {
  const auto records = read_kat(file);
  REQUIRE(records.size() == expected_records);
  for (const auto& r : records) {
    INFO(a.name << ": " << r.name());
    const Bytes key = r.hex("key");
    const Bytes nonce = r.hex("nonce");
    const Bytes aad = r.hex("aad");
    const Bytes pt = r.hex("plaintext");
    const Bytes sealed = sealed_of(r);
    auto s = a.seal(key, nonce, pt, aad);
    REQUIRE(s);
    CHECK(*s == sealed);
    auto o = a.open(key, nonce, sealed, aad);
    REQUIRE(o);
    CHECK(bytes_of(*o) == pt);
  }
}

void expect_decrypt_failed(const Result<SecretBytes>& r) {
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::decrypt_failed);
  CHECK(r.error().message == kDecryptFailedMessage);
}

void check_tamper(const Aead& a) {
  INFO(a.name);
  const Bytes key(32, 0x11);
  const Bytes nonce(a.nonce_size, 0x22);
  const Bytes aad = to_bytes("vault-id|record-id|normal");
  const Bytes pt = to_bytes("postgres://user:hunter2@db.internal/prod");
  auto sealed = a.seal(key, nonce, pt, aad);
  REQUIRE(sealed);
  REQUIRE(sealed->size() == pt.size() + aead::kTagSize);
  auto good = a.open(key, nonce, *sealed, aad);
  REQUIRE(good);
  CHECK(bytes_of(*good) == pt);

  for (std::size_t i : {std::size_t{0}, pt.size() - 1}) {  // flipped ciphertext bits
    Bytes bad = *sealed;
    bad[i] ^= 0x01;
    expect_decrypt_failed(a.open(key, nonce, bad, aad));
  }
  for (std::size_t i : {pt.size(), sealed->size() - 1}) {  // flipped tag bits
    Bytes bad = *sealed;
    bad[i] ^= 0x80;
    expect_decrypt_failed(a.open(key, nonce, bad, aad));
  }
  Bytes bad_nonce = nonce;
  bad_nonce[a.nonce_size - 1] ^= 0x01;
  expect_decrypt_failed(a.open(key, bad_nonce, *sealed, aad));
  Bytes bad_aad = aad;
  bad_aad[0] ^= 0x01;
  expect_decrypt_failed(a.open(key, nonce, *sealed, bad_aad));
  expect_decrypt_failed(a.open(key, nonce, *sealed, {}));  // AAD dropped
  Bytes bad_key = key;
  bad_key[31] ^= 0x01;
  expect_decrypt_failed(a.open(bad_key, nonce, *sealed, aad));
  // Truncations: a lost tag byte, and input shorter than a tag.
  expect_decrypt_failed(a.open(key, nonce, ByteView(*sealed).first(sealed->size() - 1), aad));
  expect_decrypt_failed(a.open(key, nonce, ByteView(*sealed).first(aead::kTagSize - 1), aad));
  expect_decrypt_failed(a.open(key, nonce, {}, aad));

  // Wrong key / nonce sizes are the caller's mistake, not a decryption failure.
  CHECK(a.seal(Bytes(31, 0), nonce, pt, aad).error().code == Errc::invalid_argument);
  CHECK(a.seal(Bytes(33, 0), nonce, pt, aad).error().code == Errc::invalid_argument);
  CHECK(a.seal(key, Bytes(a.nonce_size - 1, 0), pt, aad).error().code == Errc::invalid_argument);
  CHECK(a.seal(key, Bytes(a.nonce_size + 1, 0), pt, aad).error().code == Errc::invalid_argument);
  CHECK(a.open(Bytes(16, 0), nonce, *sealed, aad).error().code == Errc::invalid_argument);
  CHECK(a.open(key, Bytes(a.nonce_size == 24 ? 12 : 24, 0), *sealed, aad).error().code ==
        Errc::invalid_argument);

  // Empty plaintext and empty AAD round-trip.
  auto empty = a.seal(key, nonce, {}, {});
  REQUIRE(empty);
  CHECK(empty->size() == aead::kTagSize);
  auto empty_open = a.open(key, nonce, *empty, {});
  REQUIRE(empty_open);
  CHECK(empty_open->empty());
}

}  // namespace

TEST_CASE("ChaCha20-Poly1305 AEAD (RFC 8439 §2.8.2 and A.5)", "[aead][kat]") {
  check_kat(kChaCha, "rfc8439/aead.txt", 2);
}

TEST_CASE("XChaCha20-Poly1305 AEAD (draft-irtf-cfrg-xchacha-03)", "[aead][kat]") {
  check_kat(kXChaCha, "xchacha/aead.txt", 1);
}

TEST_CASE("AES-256-GCM (GCM specification test cases 13-16)", "[aead][kat]") {
  check_kat(kGcm, "gcm/aes256gcm.txt", 4);
}

TEST_CASE("AEAD tampering gives one opaque error", "[aead]") {
  check_tamper(kXChaCha);
  check_tamper(kChaCha);
  check_tamper(kGcm);
}

TEST_CASE("ChaCha20-Poly1305 allocation-free variants", "[aead]") {
  const auto r = read_kat("rfc8439/aead.txt").at(0);
  const Bytes key = r.hex("key");
  const Bytes nonce = r.hex("nonce");
  const Bytes aad = r.hex("aad");
  const Bytes pt = r.hex("plaintext");
  const Bytes sealed = sealed_of(r);

  Bytes out(pt.size() + aead::kTagSize);
  REQUIRE(aead::chacha_seal_into(key, nonce, pt, aad, out));
  CHECK(out == sealed);

  Bytes plain(sealed.size() - aead::kTagSize);
  REQUIRE(aead::chacha_open_into(key, nonce, sealed, aad, plain));
  CHECK(plain == pt);

  // In place: the ciphertext buffer is decrypted over itself.
  Bytes inplace = sealed;
  REQUIRE(aead::chacha_open_into(key, nonce, inplace, aad,
                                 MutableByteView(inplace).first(pt.size())));
  CHECK(Bytes(inplace.begin(), inplace.begin() + static_cast<long>(pt.size())) == pt);

  // Failure zeroes the output.
  Bytes tampered = sealed;
  tampered[5] ^= 0x04;
  Bytes junk(pt.size(), 0xAA);
  auto st = aead::chacha_open_into(key, nonce, tampered, aad, junk);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::decrypt_failed);
  CHECK(st.error().message == kDecryptFailedMessage);
  CHECK(junk == Bytes(pt.size(), 0));

  // Wrong output sizes are invalid_argument.
  Bytes small(pt.size());
  CHECK(aead::chacha_seal_into(key, nonce, pt, aad, small).error().code == Errc::invalid_argument);
  Bytes big(pt.size() + 1);
  CHECK(aead::chacha_open_into(key, nonce, sealed, aad, big).error().code ==
        Errc::invalid_argument);
  CHECK(aead::chacha_seal_into(Bytes(16, 0), nonce, pt, aad, out).error().code ==
        Errc::invalid_argument);
}

TEST_CASE("AEAD nonces matter: same plaintext, different nonce, different ciphertext", "[aead]") {
  const Bytes key(32, 7);
  auto a = aead::xchacha_seal(key, Bytes(24, 1), as_bytes("x"), {});
  auto b = aead::xchacha_seal(key, Bytes(24, 2), as_bytes("x"), {});
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a != *b);
}
