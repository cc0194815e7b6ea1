#include "crypto.h"

#include <cstring>
#include <stdexcept>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

namespace hwsim {
namespace {

[[noreturn]] void die(const char* what) { throw std::runtime_error(std::string("openssl: ") + what); }

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
  void operator()(EC_GROUP* g) const { EC_GROUP_free(g); }
  void operator()(EC_POINT* p) const { EC_POINT_free(p); }
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(BIO* b) const { BIO_free(b); }
};
template <class T>
using Ptr = std::unique_ptr<T, CtxFree>;

const char* group_name(EcKey::Curve c) { return c == EcKey::Curve::p256 ? "P-256" : "P-384"; }
int group_nid(EcKey::Curve c) { return c == EcKey::Curve::p256 ? NID_X9_62_prime256v1 : NID_secp384r1; }

PkeyPtr pkey_from_params(EcKey::Curve c, const Bytes* scalar, const Bytes& point) {
  Ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  Ptr<BIGNUM> bn;
  OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group_name(c), 0);
  OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  if (scalar) {
    bn.reset(BN_bin2bn(scalar->data(), static_cast<int>(scalar->size()), nullptr));
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, bn.get());
  }
  Ptr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld.get()));
  Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* out = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &out, scalar ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    return nullptr;
  }
  PkeyPtr key(out);
  Ptr<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return key;
}

}  // namespace

Bytes random_bytes(std::size_t n) {
  Bytes b(n);
  if (n && RAND_bytes(b.data(), static_cast<int>(n)) != 1) die("RAND_bytes");
  return b;
}

Bytes sha256(const Bytes& data) {
  Bytes out(32);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1) die("sha256");
  return out;
}

Bytes sha256(std::string_view data) { return sha256(Bytes(data.begin(), data.end())); }

Bytes hmac_sha256(const Bytes& key, const Bytes& msg) {
  Bytes out(32);
  std::size_t len = out.size();
  if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(), msg.data(),
                 msg.size(), out.data(), out.size(), &len)) {
    die("hmac");
  }
  return out;
}

Bytes hkdf_sha256(const Bytes& salt, const Bytes& ikm, std::string_view info, std::size_t len) {
  Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
  Bytes out(len);
  std::size_t out_len = len;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), salt.data(), static_cast<int>(salt.size())) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), ikm.data(), static_cast<int>(ikm.size())) != 1 ||
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), reinterpret_cast<const unsigned char*>(info.data()),
                                  static_cast<int>(info.size())) != 1 ||
      EVP_PKEY_derive(ctx.get(), out.data(), &out_len) != 1) {
    die("hkdf");
  }
  return out;
}

bool ct_equal(const Bytes& a, const Bytes& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<Bytes> aes256_cbc(bool encrypt, const Bytes& key, const Bytes& iv, const Bytes& data) {
  if (key.size() != 32 || iv.size() != 16 || data.size() % 16 != 0) return std::nullopt;
  Ptr<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
  Bytes out(data.size() + 16);
  int n1 = 0, n2 = 0;
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.data(), iv.data(), encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_CipherUpdate(ctx.get(), out.data(), &n1, data.data(), static_cast<int>(data.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out.data() + n1, &n2) != 1) {
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(n1 + n2));
  return out;
}

Bytes aes256_gcm_seal(const Bytes& key, const Bytes& nonce, const Bytes& aad, const Bytes& plain) {
  Ptr<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
  Bytes out(plain.size() + 16);
  int n = 0, fin = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &n, aad.data(), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &n, plain.data(), static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + n, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, out.data() + plain.size()) != 1) {
    die("gcm seal");
  }
  return out;
}

std::optional<Bytes> aes256_gcm_open(const Bytes& key, const Bytes& nonce, const Bytes& aad,
                                     const Bytes& sealed) {
  if (sealed.size() < 16 || key.size() != 32) return std::nullopt;
  std::size_t plain_len = sealed.size() - 16;
  Bytes tag(sealed.begin() + static_cast<long>(plain_len), sealed.end());
  Ptr<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
  Bytes out(plain_len + 16);
  int n = 0, fin = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &n, aad.data(), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out.data(), &n, sealed.data(), static_cast<int>(plain_len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out.data() + n, &fin) != 1) {
    return std::nullopt;
  }
  out.resize(plain_len);
  return out;
}

Bytes des3_ecb(bool encrypt, const Bytes& key24, const Bytes& block8) {
  if (key24.size() != 24 || block8.size() != 8) die("3des sizes");
  Ptr<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
  Bytes out(16);
  int n = 0, fin = 0;
  if (EVP_CipherInit_ex(ctx.get(), EVP_des_ede3_ecb(), nullptr, key24.data(), nullptr, encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_CipherUpdate(ctx.get(), out.data(), &n, block8.data(), 8) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out.data() + n, &fin) != 1) {
    die("3des");
  }
  out.resize(8);
  return out;
}

Bytes aes_ecb(bool encrypt, const Bytes& key, const Bytes& block16) {
  const EVP_CIPHER* cipher = key.size() == 16   ? EVP_aes_128_ecb()
                             : key.size() == 24 ? EVP_aes_192_ecb()
                             : key.size() == 32 ? EVP_aes_256_ecb()
                                                : nullptr;
  if (cipher == nullptr || block16.size() != 16) die("aes sizes");
  Ptr<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
  Bytes out(32);
  int n = 0, fin = 0;
  if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.data(), nullptr, encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_CipherUpdate(ctx.get(), out.data(), &n, block16.data(), 16) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out.data() + n, &fin) != 1) {
    die("aes");
  }
  out.resize(16);
  return out;
}

EcKey EcKey::generate(Curve c) {
  Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* p = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(ctx.get(), group_name(c)) != 1 || EVP_PKEY_generate(ctx.get(), &p) != 1) {
    die("EC keygen");
  }
  return EcKey(c, PkeyPtr(p));
}

std::optional<EcKey> EcKey::from_private(Curve c, const Bytes& scalar) {
  Ptr<EC_GROUP> group(EC_GROUP_new_by_curve_name(group_nid(c)));
  Ptr<BIGNUM> d(BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), nullptr));
  Ptr<EC_POINT> pub(EC_POINT_new(group.get()));
  if (!group || !d || !pub || BN_is_zero(d.get()) ||
      EC_POINT_mul(group.get(), pub.get(), d.get(), nullptr, nullptr, nullptr) != 1) {
    return std::nullopt;
  }
  Bytes point(1 + 2 * (c == Curve::p256 ? 32 : 48));
  if (EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED, point.data(),
                         point.size(), nullptr) != point.size()) {
    return std::nullopt;
  }
  PkeyPtr key = pkey_from_params(c, &scalar, point);
  if (!key) return std::nullopt;
  return EcKey(c, std::move(key));
}

std::optional<EcKey> EcKey::from_public_point(Curve c, const Bytes& point) {
  std::size_t want = 1 + 2 * (c == Curve::p256 ? 32 : 48);
  if (point.size() != want || point[0] != 0x04) return std::nullopt;
  PkeyPtr key = pkey_from_params(c, nullptr, point);
  if (!key) return std::nullopt;
  return EcKey(c, std::move(key));
}

Bytes EcKey::private_scalar() const {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey_.get(), OSSL_PKEY_PARAM_PRIV_KEY, &bn) != 1) die("priv");
  Ptr<BIGNUM> holder(bn);
  Bytes out(field_len());
  if (BN_bn2binpad(bn, out.data(), static_cast<int>(out.size())) < 0) die("bn2bin");
  return out;
}

Bytes EcKey::public_point() const {
  Bytes out(1 + 2 * field_len());
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(pkey_.get(), OSSL_PKEY_PARAM_PUB_KEY, out.data(), out.size(),
                                      &len) != 1 ||
      len != out.size() || out[0] != 0x04) {
    die("pub point");
  }
  return out;
}

Bytes EcKey::sign_digest(const Bytes& digest) const {
  Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_.get(), nullptr));
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) != 1) {
    die("sign init");
  }
  Bytes sig(len);
  if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, digest.data(), digest.size()) != 1) die("sign");
  sig.resize(len);
  return sig;
}

Bytes EcKey::sign_message(const Bytes& msg) const {
  Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  const EVP_MD* md = curve_ == Curve::p256 ? EVP_sha256() : EVP_sha384();
  std::size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, pkey_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, msg.data(), msg.size()) != 1) {
    die("digestsign init");
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, msg.data(), msg.size()) != 1) die("digestsign");
  sig.resize(len);
  return sig;
}

std::optional<Bytes> EcKey::ecdh(const EcKey& peer) const {
  if (peer.curve_ != curve_) return std::nullopt;
  Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_.get(), nullptr));
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.pkey_.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
    return std::nullopt;
  }
  Bytes out(len);
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1) return std::nullopt;
  out.resize(len);
  return out;
}

std::string to_hex(const Bytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (auto c : b) {
    s.push_back(digits[c >> 4]);
    s.push_back(digits[c & 15]);
  }
  return s;
}

std::optional<Bytes> from_hex(std::string_view s) {
  if (s.size() % 2) return std::nullopt;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Bytes out;
  for (std::size_t i = 0; i < s.size(); i += 2) {
    int hi = nib(s[i]), lo = nib(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return out;
}

std::string x509_to_pem(X509* cert) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(bio.get(), cert) != 1) die("pem write");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

X509Ptr x509_from_pem(const std::string& pem) {
  Ptr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

Bytes x509_to_der(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  if (len <= 0) die("i2d_X509");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace hwsim
