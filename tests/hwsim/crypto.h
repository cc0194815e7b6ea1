// OpenSSL 3 (EVP) helpers for the device simulator. Test tool only: the simulator's keys are
// generated here and never leave the process except through the simulator's own state file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace hwsim {

using Bytes = std::vector<std::uint8_t>;

Bytes random_bytes(std::size_t n);
Bytes sha256(const Bytes& data);
Bytes sha256(std::string_view data);
Bytes hmac_sha256(const Bytes& key, const Bytes& msg);
Bytes hkdf_sha256(const Bytes& salt, const Bytes& ikm, std::string_view info, std::size_t len);
bool ct_equal(const Bytes& a, const Bytes& b);

// AES-256-CBC without padding (data must be a multiple of 16 bytes).
std::optional<Bytes> aes256_cbc(bool encrypt, const Bytes& key, const Bytes& iv, const Bytes& data);
// AES-256-GCM; seal returns ciphertext || 16-byte tag.
Bytes aes256_gcm_seal(const Bytes& key, const Bytes& nonce, const Bytes& aad, const Bytes& plain);
std::optional<Bytes> aes256_gcm_open(const Bytes& key, const Bytes& nonce, const Bytes& aad,
                                     const Bytes& sealed);
// Three-key 3DES (DES-EDE3) on one 8-byte block, ECB.
Bytes des3_ecb(bool encrypt, const Bytes& key24, const Bytes& block8);
// AES-128/192/256 (by the key's length: 16, 24 or 32 bytes) on one 16-byte block, ECB.
Bytes aes_ecb(bool encrypt, const Bytes& key, const Bytes& block16);

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

// An EC key on P-256 or P-384.
class EcKey {
 public:
  enum class Curve { p256, p384 };
  static EcKey generate(Curve c);
  static std::optional<EcKey> from_private(Curve c, const Bytes& scalar);
  // Uncompressed SEC1 point (04 || X || Y); validated to be on the curve.
  static std::optional<EcKey> from_public_point(Curve c, const Bytes& point);

  Curve curve() const { return curve_; }
  std::size_t field_len() const { return curve_ == Curve::p256 ? 32 : 48; }
  Bytes private_scalar() const;
  Bytes public_point() const;  // uncompressed
  // ECDSA over an already-computed digest (any length; truncated per ECDSA), DER signature.
  Bytes sign_digest(const Bytes& digest) const;
  // ECDSA-SHA256 (or SHA384) over a message, DER signature.
  Bytes sign_message(const Bytes& msg) const;
  // ECDH: x-coordinate of d * peer. nullopt when the peer is unusable.
  std::optional<Bytes> ecdh(const EcKey& peer) const;
  EVP_PKEY* get() const { return pkey_.get(); }
  bool valid() const { return pkey_ != nullptr; }

 private:
  EcKey(Curve c, PkeyPtr p) : curve_(c), pkey_(std::move(p)) {}
  Curve curve_;
  std::shared_ptr<EVP_PKEY> pkey_;
};

std::string to_hex(const Bytes& b);
std::optional<Bytes> from_hex(std::string_view s);

// PEM and DER helpers for certificates.
std::string x509_to_pem(X509* cert);
X509Ptr x509_from_pem(const std::string& pem);
Bytes x509_to_der(X509* cert);

}  // namespace hwsim
