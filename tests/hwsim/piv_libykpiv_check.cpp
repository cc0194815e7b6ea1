// Drives the virtual PIV cards through libykpiv 2.2 (the library the product will use), and
// checks every cryptographic result with OpenSSL on the host side.
#include <ykpiv.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "crypto.h"

using hwsim::Bytes;
using hwsim::EcKey;

namespace {

int g_failures = 0;
#define CHECK(cond)                                                     \
  do {                                                                  \
    if (!(cond)) {                                                      \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++g_failures;                                                     \
    }                                                                   \
  } while (0)
#define REQUIRE_OK(expr)                                                                     \
  do {                                                                                       \
    ykpiv_rc rc_ = (expr);                                                                   \
    if (rc_ != YKPIV_OK) {                                                                   \
      std::fprintf(stderr, "%s:%d: %s -> %s\n", __FILE__, __LINE__, #expr, ykpiv_strerror(rc_)); \
      std::exit(1);                                                                          \
    }                                                                                        \
  } while (0)

int ctl(const std::string& args) {
  const char* bin = std::getenv("HWSIM_BIN");
  const char* state = std::getenv("HWSIM_STATE");
  std::string cmd = std::string(bin) + " ctl --socket " + state + "/ctl.sock " + args + " >/dev/null";
  return std::system(cmd.c_str());
}

// OpenSSL verification of a DER ECDSA signature over a digest.
bool verify(const EcKey& pub, const Bytes& digest, const Bytes& sig) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pub.get(), nullptr);
  bool ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
            EVP_PKEY_verify(ctx, sig.data(), sig.size(), digest.data(), digest.size()) == 1;
  EVP_PKEY_CTX_free(ctx);
  return ok;
}

Bytes generate(ykpiv_state* st, std::uint8_t slot, std::uint8_t alg, std::uint8_t pin, std::uint8_t touch) {
  std::uint8_t *mod = nullptr, *exp = nullptr, *point = nullptr;
  std::size_t mod_len = 0, exp_len = 0, point_len = 0;
  REQUIRE_OK(ykpiv_util_generate_key(st, slot, alg, pin, touch, &mod, &mod_len, &exp, &exp_len, &point, &point_len));
  Bytes out(point, point + point_len);
  ykpiv_util_free(st, point);
  return out;
}

Bytes sign(ykpiv_state* st, std::uint8_t slot, std::uint8_t alg, const Bytes& digest, ykpiv_rc* rc = nullptr) {
  unsigned char sig[256];
  std::size_t len = sizeof sig;
  ykpiv_rc r = ykpiv_sign_data(st, digest.data(), digest.size(), sig, &len, alg, slot);
  if (rc) *rc = r;
  if (r != YKPIV_OK) return {};
  return Bytes(sig, sig + len);
}

Bytes ecdh(ykpiv_state* st, std::uint8_t slot, std::uint8_t alg, const Bytes& peer_point) {
  unsigned char out[128];
  std::size_t len = sizeof out;
  REQUIRE_OK(ykpiv_decipher_data(st, peer_point.data(), peer_point.size(), out, &len, alg, slot));
  return Bytes(out, out + len);
}

void check_key_ops(ykpiv_state* st, std::uint8_t slot, std::uint8_t alg, const Bytes& point) {
  const EcKey::Curve curve = alg == YKPIV_ALGO_ECCP256 ? EcKey::Curve::p256 : EcKey::Curve::p384;
  auto pub = EcKey::from_public_point(curve, point);
  CHECK(pub.has_value());
  if (!pub) return;
  Bytes digest = hwsim::random_bytes(pub->field_len());
  Bytes sig = sign(st, slot, alg, digest);
  CHECK(!sig.empty() && sig[0] == 0x30);
  CHECK(verify(*pub, digest, sig));
  Bytes other = digest;
  other[0] ^= 1;
  CHECK(!verify(*pub, other, sig));
  EcKey host = EcKey::generate(curve);
  Bytes card_secret = ecdh(st, slot, alg, host.public_point());
  auto host_secret = host.ecdh(*pub);
  CHECK(host_secret.has_value() && card_secret == *host_secret);
}

void check_attestation(ykpiv_state* st, std::uint8_t slot, const Bytes& point, std::uint8_t pin, std::uint8_t touch) {
  unsigned char buf[3072];
  std::size_t len = sizeof buf;
  REQUIRE_OK(ykpiv_attest(st, slot, buf, &len));
  const unsigned char* p = buf;
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(len));
  CHECK(cert != nullptr);
  if (!cert) return;
  EVP_PKEY* key = X509_get0_pubkey(cert);
  Bytes cert_point(point.size());
  std::size_t got = 0;
  CHECK(EVP_PKEY_get_octet_string_param(key, "encoded-pub-key", cert_point.data(), cert_point.size(), &got) == 1);
  CHECK(cert_point == point);
  ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.4.1.41482.3.8", 1);
  int idx = X509_get_ext_by_OBJ(cert, oid, -1);
  CHECK(idx >= 0);
  if (idx >= 0) {
    ASN1_OCTET_STRING* v = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
    CHECK(ASN1_STRING_length(v) == 2);
    CHECK(ASN1_STRING_get0_data(v)[0] == pin && ASN1_STRING_get0_data(v)[1] == touch);
  }
  ASN1_OBJECT_free(oid);
  X509_free(cert);
}

}  // namespace

int main() {
  if (ctl("piv1 factory-reset") != 0) return 1;
  ykpiv_state* st = nullptr;
  ykpiv_state* st0 = nullptr;
  REQUIRE_OK(ykpiv_init(&st, 0));
  REQUIRE_OK(ykpiv_init(&st0, 0));
  REQUIRE_OK(ykpiv_connect(st, "@Virtual PCD 00 01"));
  REQUIRE_OK(ykpiv_connect(st0, "@Virtual PCD 00 00"));

  char version[16];
  REQUIRE_OK(ykpiv_get_version(st, version, sizeof version));
  CHECK(std::string(version) == "5.4.3");
  std::uint32_t serial = 0, serial0 = 0;
  REQUIRE_OK(ykpiv_get_serial(st, &serial));
  REQUIRE_OK(ykpiv_get_serial(st0, &serial0));
  CHECK(serial == 20000002u);
  CHECK(serial0 == 20000001u);
  ykpiv_done(st0);

  int tries = 0;
  CHECK(ykpiv_verify(st, "999999", &tries) == YKPIV_WRONG_PIN);
  CHECK(tries == 2);
  REQUIRE_OK(ykpiv_verify(st, "123456", &tries));
  REQUIRE_OK(ykpiv_authenticate(st, nullptr));

  // P-256, PIN once, touch never, in retired slot 1
  Bytes p256 = generate(st, 0x82, YKPIV_ALGO_ECCP256, YKPIV_PINPOLICY_ONCE, YKPIV_TOUCHPOLICY_NEVER);
  CHECK(p256.size() == 65 && p256[0] == 0x04);
  unsigned char md[1024];
  std::size_t md_len = sizeof md;
  REQUIRE_OK(ykpiv_get_metadata(st, 0x82, md, &md_len));
  ykpiv_metadata meta{};
  REQUIRE_OK(ykpiv_util_parse_metadata(md, md_len, &meta));
  CHECK(meta.algorithm == YKPIV_ALGO_ECCP256);
  CHECK(meta.pin_policy == YKPIV_PINPOLICY_ONCE);
  CHECK(meta.touch_policy == YKPIV_TOUCHPOLICY_NEVER);
  CHECK(meta.origin == YKPIV_METADATA_ORIGIN_GENERATED);
  CHECK(meta.pubkey_len >= 65 && std::memcmp(meta.pubkey + meta.pubkey_len - 65, p256.data(), 65) == 0);
  check_key_ops(st, 0x82, YKPIV_ALGO_ECCP256, p256);
  check_attestation(st, 0x82, p256, YKPIV_PINPOLICY_ONCE, YKPIV_TOUCHPOLICY_NEVER);

  // P-384, PIN never, in retired slot 2
  Bytes p384 = generate(st, 0x83, YKPIV_ALGO_ECCP384, YKPIV_PINPOLICY_NEVER, YKPIV_TOUCHPOLICY_NEVER);
  CHECK(p384.size() == 97);
  check_key_ops(st, 0x83, YKPIV_ALGO_ECCP384, p384);

  // empty slot
  md_len = sizeof md;
  CHECK(ykpiv_get_metadata(st, 0x95, md, &md_len) == YKPIV_KEY_ERROR);
  md_len = sizeof md;
  CHECK(ykpiv_attest(st, 0x95, md, &md_len) == YKPIV_KEY_ERROR);

  // objects larger than one APDU both ways (command chaining, 61xx + GET RESPONSE)
  Bytes object = hwsim::random_bytes(1500);
  Bytes stored = {0x70, 0x82, 0x05, 0xDC};
  stored.insert(stored.end(), object.begin(), object.end());
  REQUIRE_OK(ykpiv_save_object(st, YKPIV_OBJ_RETIRED1, stored.data(), stored.size()));
  unsigned char back[3072];
  unsigned long back_len = sizeof back;
  REQUIRE_OK(ykpiv_fetch_object(st, YKPIV_OBJ_RETIRED1, back, &back_len));
  CHECK(Bytes(back, back + back_len) == stored);

  // touch policy always: auto-touch lets it through, a timeout gives AUTHENTICATION_ERROR
  Bytes touch_key = generate(st, 0x84, YKPIV_ALGO_ECCP256, YKPIV_PINPOLICY_NEVER, YKPIV_TOUCHPOLICY_ALWAYS);
  CHECK(ctl("piv1 auto-touch 20") == 0);
  auto tpub = EcKey::from_public_point(EcKey::Curve::p256, touch_key);
  Bytes digest = hwsim::random_bytes(32);
  Bytes tsig = sign(st, 0x84, YKPIV_ALGO_ECCP256, digest);
  CHECK(tpub && verify(*tpub, digest, tsig));
  CHECK(ctl("piv1 auto-touch off") == 0);
  CHECK(ctl("piv1 touch-timeout 300") == 0);
  ykpiv_rc rc = YKPIV_OK;
  sign(st, 0x84, YKPIV_ALGO_ECCP256, digest, &rc);
  CHECK(rc == YKPIV_AUTHENTICATION_ERROR);
  CHECK(ctl("piv1 touch-timeout 15000") == 0);

  // management key change: the old key stops working, the new one works; then restore
  const unsigned char new_key[24] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC,
                                     0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF1, 0x23, 0x45, 0x67, 0x89};
  REQUIRE_OK(ykpiv_set_mgmkey(st, new_key));
  CHECK(ykpiv_authenticate(st, nullptr) == YKPIV_AUTHENTICATION_ERROR);
  REQUIRE_OK(ykpiv_authenticate(st, new_key));
  const unsigned char default_key[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};
  REQUIRE_OK(ykpiv_set_mgmkey(st, default_key));
  REQUIRE_OK(ykpiv_authenticate(st, nullptr));

  // SET PIN RETRIES needs management auth + PIN
  REQUIRE_OK(ykpiv_verify(st, "123456", &tries));
  REQUIRE_OK(ykpiv_set_pin_retries(st, 5, 4));
  CHECK(ykpiv_verify(st, "999999", &tries) == YKPIV_WRONG_PIN);
  CHECK(tries == 4);
  REQUIRE_OK(ykpiv_verify(st, "123456", &tries));
  REQUIRE_OK(ykpiv_set_pin_retries(st, 3, 3));

  ykpiv_done(st);
  if (g_failures) {
    std::fprintf(stderr, "%d check(s) failed\n", g_failures);
    return 1;
  }
  std::printf("piv_libykpiv_check: ok\n");
  return 0;
}
