// NIST P-256 through OpenSSL 3's EVP_PKEY API only: keys are imported with EVP_PKEY_fromdata,
// points are validated with EVP_PKEY_public_check, ECDH is EVP_PKEY_derive, ECDSA is
// EVP_DigestSign/EVP_DigestVerify. ECDSA_SIG is used only to re-encode r||s as DER.
#include "core/p256.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>

#include "core/ossl.h"
#include "core/random.h"

namespace keyward::p256 {
namespace {

struct BnFree {
  void operator()(BIGNUM* p) const noexcept { BN_clear_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const noexcept { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
};
struct SigFree {
  void operator()(ECDSA_SIG* p) const noexcept { ECDSA_SIG_free(p); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using Params = std::unique_ptr<OSSL_PARAM, ParamFree>;
using Sig = std::unique_ptr<ECDSA_SIG, SigFree>;

constexpr const char* kGroup = "prime256v1";

// The P-256 base point G (SEC 2 §2.4.2 / FIPS 186-4 D.1.2.3), uncompressed.
constexpr std::array<std::uint8_t, kUncompressedSize> kGenerator = {
    0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4,
    0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8,
    0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a,
    0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40,
    0x68, 0x37, 0xbf, 0x51, 0xf5};

tl::unexpected<Error> malformed_point() {
  return fail(Errc::malformed,
              "not a valid P-256 public key: expected a SEC1 point on the curve (33 bytes "
              "starting 02/03 or 65 bytes starting 04)");
}

Result<ossl::Pkey> from_params(const OSSL_PARAM* params, int selection) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1)
    return ossl::crypto_failure("P-256 key import unavailable");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, selection, const_cast<OSSL_PARAM*>(params)) != 1) {
    ossl::clear_errors();
    return fail(Errc::malformed, "rejected");
  }
  return ossl::Pkey(raw);
}

// Imports and fully validates a SEC1 public point (on the curve, not infinity). `compressed`
// selects the form OpenSSL reports the point in afterwards (OSSL_PKEY_PARAM_PUB_KEY).
Result<ossl::Pkey> load_public(ByteView sec1, bool compressed = false) {
  const bool shape_ok = (sec1.size() == kUncompressedSize && sec1[0] == 0x04) ||
                        (sec1.size() == kCompressedSize && (sec1[0] == 0x02 || sec1[0] == 0x03));
  if (!shape_ok) return malformed_point();
  ParamBld bld(OSSL_PARAM_BLD_new());
  // The conversion format is given at import: OpenSSL 3.0 ignores it when set afterwards.
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, kGroup, 0) != 1 ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                      compressed ? "compressed" : "uncompressed", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, sec1.data(),
                                       sec1.size()) != 1)
    return ossl::crypto_failure("P-256 parameters");
  Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return ossl::crypto_failure("P-256 parameters");
  auto key = from_params(params.get(), EVP_PKEY_PUBLIC_KEY);
  if (!key) return malformed_point();
  ossl::PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    ossl::clear_errors();
    return malformed_point();
  }
  return key;
}

// Imports a private scalar (optionally with its public point) and checks it is in [1, n-1].
Result<ossl::Pkey> load_private(ByteView scalar, ByteView public_sec1 = {}) {
  if (scalar.size() != kScalarSize)
    return fail(Errc::invalid_argument, "P-256 private key must be 32 bytes, got " +
                                            std::to_string(scalar.size()));
  Bn d(BN_secure_new());
  if (!d || BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), d.get()) == nullptr)
    return ossl::crypto_failure("P-256 private key");
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, kGroup, 0) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1 ||
      (!public_sec1.empty() &&
       OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, public_sec1.data(),
                                        public_sec1.size()) != 1))
    return ossl::crypto_failure("P-256 parameters");
  Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return ossl::crypto_failure("P-256 parameters");
  auto key = from_params(params.get(), EVP_PKEY_KEYPAIR);
  if (!key) return fail(Errc::invalid_argument, "P-256 private key rejected");
  ossl::PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr));
  if (!check || EVP_PKEY_private_check(check.get()) != 1) {
    ossl::clear_errors();
    return fail(Errc::invalid_argument, "P-256 private key is not in the range [1, n-1]");
  }
  return key;
}

// The public point of a key from load_public(sec1, compressed), in that form.
Result<Bytes> encode_public(EVP_PKEY* key, bool compressed) {
  Bytes out(kUncompressedSize);
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, out.data(), out.size(),
                                      &len) != 1 ||
      len != (compressed ? kCompressedSize : kUncompressedSize))
    return ossl::crypto_failure("P-256 point encoding");
  out.resize(len);
  return out;
}

Result<Bytes> reencode(ByteView sec1, bool compressed) {
  KW_TRY(ossl::Pkey key, load_public(sec1, compressed));
  return encode_public(key.get(), compressed);
}

Result<SecretBytes> derive(EVP_PKEY* priv, EVP_PKEY* peer) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, priv, nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer_ex(ctx.get(), peer, 1) != 1)
    return ossl::crypto_failure("P-256 ECDH setup");
  std::size_t len = 0;
  if (EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1 || len != kScalarSize)
    return ossl::crypto_failure("P-256 ECDH");
  SecretBytes out(kScalarSize);
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != kScalarSize)
    return ossl::crypto_failure("P-256 ECDH");
  return out;
}

bool verify_der(EVP_PKEY* key, ByteView message, ByteView der) noexcept {
  ossl::MdCtx md(EVP_MD_CTX_new());
  if (!md) return false;
  const bool ok = EVP_DigestVerifyInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, key,
                                          nullptr) == 1 &&
                  EVP_DigestVerify(md.get(), der.data(), der.size(),
                                   ossl::ptr_or_empty(message.data()), message.size()) == 1;
  ossl::clear_errors();
  return ok;
}

}  // namespace

KeyPair generate() {
  // A random scalar is in [1, n-1] except with probability ~2^-32; retry in that case.
  for (;;) {
    SecretBytes scalar = random_secret(kScalarSize);
    auto pub = public_from_private(scalar);
    if (pub) return KeyPair{std::move(scalar), std::move(*pub)};
  }
}

Result<Bytes> public_from_private(ByteView private_scalar) {
  KW_TRY(ossl::Pkey priv, load_private(private_scalar));
  // OpenSSL 3.0 does not compute the public point of an imported scalar, and the EVP API has
  // no point multiplication. ECDH with the generator gives x(d*G); the y parity is then the one
  // for which the pair passes OpenSSL's pairwise check (which recomputes d*G).
  KW_TRY(ossl::Pkey g, load_public(kGenerator));
  KW_TRY(SecretBytes x, derive(priv.get(), g.get()));
  for (std::uint8_t prefix : {std::uint8_t{0x02}, std::uint8_t{0x03}}) {
    Bytes candidate(kCompressedSize);
    candidate[0] = prefix;
    std::copy(x.view().begin(), x.view().end(), candidate.begin() + 1);
    auto pair = load_private(private_scalar, candidate);
    if (!pair) continue;
    ossl::PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, pair->get(), nullptr));
    if (check && EVP_PKEY_pairwise_check(check.get()) == 1) {
      return reencode(candidate, false);
    }
    ossl::clear_errors();
  }
  return fail(Errc::crypto, "P-256 public key derivation failed");
}

Result<Bytes> decode_point(ByteView sec1) { return reencode(sec1, sec1.size() == kCompressedSize); }

Result<Bytes> to_uncompressed(ByteView sec1) { return reencode(sec1, false); }

Result<Bytes> to_compressed(ByteView sec1) { return reencode(sec1, true); }

Result<SecretBytes> ecdh(ByteView private_scalar, ByteView peer_sec1) {
  KW_TRY(ossl::Pkey peer, load_public(peer_sec1));
  KW_TRY(ossl::Pkey priv, load_private(private_scalar));
  return derive(priv.get(), peer.get());
}

bool ecdsa_verify_der(ByteView public_sec1, ByteView message, ByteView der_signature) noexcept {
  auto key = load_public(public_sec1);
  if (!key) return false;
  return verify_der(key->get(), message, der_signature);
}

bool ecdsa_verify_raw(ByteView public_sec1, ByteView message, ByteView raw_signature) noexcept {
  if (raw_signature.size() != 2 * kScalarSize) return false;
  auto key = load_public(public_sec1);
  if (!key) return false;
  // r||s -> DER (ECDSA_SIG only as an encoding helper).
  Sig sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw_signature.data(), kScalarSize, nullptr);
  BIGNUM* s = BN_bin2bn(raw_signature.data() + kScalarSize, kScalarSize, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return false;
  const bool ok = verify_der(key->get(), message, ByteView(der, static_cast<std::size_t>(der_len)));
  OPENSSL_free(der);
  return ok;
}

Result<Bytes> ecdsa_sign_der(ByteView private_scalar, ByteView message) {
  KW_TRY(ossl::Pkey priv, load_private(private_scalar));
  ossl::MdCtx md(EVP_MD_CTX_new());
  if (!md || EVP_DigestSignInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, priv.get(),
                                   nullptr) != 1)
    return ossl::crypto_failure("P-256 ECDSA setup");
  std::size_t len = 0;
  if (EVP_DigestSign(md.get(), nullptr, &len, ossl::ptr_or_empty(message.data()),
                     message.size()) != 1)
    return ossl::crypto_failure("P-256 ECDSA");
  Bytes sig(len);
  if (EVP_DigestSign(md.get(), sig.data(), &len, ossl::ptr_or_empty(message.data()),
                     message.size()) != 1)
    return ossl::crypto_failure("P-256 ECDSA");
  sig.resize(len);
  return sig;
}

}  // namespace keyward::p256
