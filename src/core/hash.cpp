// SHA-2 and HMAC through OpenSSL 3 EVP; BLAKE2b through libsodium's crypto_generichash.
#include "core/hash.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include <cstdlib>
#include <string>

#include "core/ossl.h"
#include "core/random.h"

namespace keyward::hash {
namespace {

// A digest or HMAC failing on valid input means OpenSSL itself is broken; never return a
// plausible-looking wrong value.
[[noreturn]] void die() noexcept { std::abort(); }

void digest(const EVP_MD* md, ByteView data, std::uint8_t* out) noexcept {
  unsigned int len = 0;
  if (EVP_Digest(ossl::ptr_or_empty(data.data()), data.size(), out, &len, md, nullptr) != 1) die();
}

EVP_MAC* hmac_algorithm() noexcept {
  // Fetched once; the provider object lives for the whole process.
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) die();
  return mac;
}

const char* digest_name(HmacAlg alg) noexcept {
  switch (alg) {
    case HmacAlg::sha1: return "SHA1";
    case HmacAlg::sha256: return "SHA256";
    case HmacAlg::sha512: return "SHA512";
  }
  die();
}

// Digests fetched once (explicit fetch): with EVP_sha256() OpenSSL 3 looks the algorithm up in
// the provider on every call, about as long as hashing a short input (the vault hashes and
// MACs each record it reads; docs/agent.md, "Performance").
const EVP_MD* fetched_digest(const char* name) noexcept {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) die();
  return md;  // lives for the whole process
}

// An HMAC context per algorithm with its digest set, made once; each MAC works on a duplicate
// (EVP_MAC_CTX_dup) initialised with its own key only, so the digest is not looked up again.
// The template itself is never used for a MAC.
const EVP_MAC_CTX* hmac_template(HmacAlg alg) noexcept {
  auto make = [](HmacAlg a) noexcept {
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac_algorithm());
    if (ctx == nullptr) die();
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest_name(a)),
                                         0),
        OSSL_PARAM_construct_end(),
    };
    // Initialised (with an empty key) so that it duplicates in every OpenSSL 3 release.
    static const unsigned char kNoKey[1] = {0};
    if (EVP_MAC_init(ctx, kNoKey, 0, params) != 1) die();
    return ctx;
  };
  static EVP_MAC_CTX* sha1 = make(HmacAlg::sha1);
  static EVP_MAC_CTX* sha256 = make(HmacAlg::sha256);
  static EVP_MAC_CTX* sha512 = make(HmacAlg::sha512);
  switch (alg) {
    case HmacAlg::sha1: return sha1;
    case HmacAlg::sha256: return sha256;
    case HmacAlg::sha512: return sha512;
  }
  die();
}

}  // namespace

Digest256 sha256(ByteView data) {
  Digest256 out{};
  static const EVP_MD* md = fetched_digest("SHA256");
  digest(md, data, out.data());
  return out;
}

Bytes sha512(ByteView data) {
  Bytes out(64);
  static const EVP_MD* md = fetched_digest("SHA512");
  digest(md, data, out.data());
  return out;
}

Bytes hmac(HmacAlg alg, ByteView key, ByteView message) {
  ossl::MacCtx ctx(EVP_MAC_CTX_dup(hmac_template(alg)));
  if (!ctx) die();
  // A non-null pointer even for an empty key: HMAC with a zero-length key is well defined.
  if (EVP_MAC_init(ctx.get(), ossl::ptr_or_empty(key.data()), key.size(), nullptr) != 1) die();
  if (!message.empty() && EVP_MAC_update(ctx.get(), message.data(), message.size()) != 1) die();
  Bytes out(EVP_MAC_CTX_get_mac_size(ctx.get()));
  std::size_t len = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size()) die();
  return out;
}

Result<Bytes> blake2b_keyed(ByteView key, ByteView message, std::size_t out_len) {
  if (key.size() < crypto_generichash_KEYBYTES_MIN || key.size() > crypto_generichash_KEYBYTES_MAX)
    return fail(Errc::invalid_argument, "BLAKE2b key must be 16 to 64 bytes, got " +
                                            std::to_string(key.size()));
  if (out_len < crypto_generichash_BYTES_MIN || out_len > crypto_generichash_BYTES_MAX)
    return fail(Errc::invalid_argument, "BLAKE2b output length must be 16 to 64 bytes, got " +
                                            std::to_string(out_len));
  crypto_init();
  Bytes out(out_len);
  if (crypto_generichash(out.data(), out.size(), message.data(), message.size(), key.data(),
                         key.size()) != 0)
    return fail(Errc::crypto, "BLAKE2b failed");
  return out;
}

Result<Bytes> blake2b(ByteView message, std::size_t out_len) {
  if (out_len < crypto_generichash_BYTES_MIN || out_len > crypto_generichash_BYTES_MAX)
    return fail(Errc::invalid_argument, "BLAKE2b output length must be 16 to 64 bytes, got " +
                                            std::to_string(out_len));
  crypto_init();
  Bytes out(out_len);
  if (crypto_generichash(out.data(), out.size(), message.data(), message.size(), nullptr, 0) != 0)
    return fail(Errc::crypto, "BLAKE2b failed");
  return out;
}

}  // namespace keyward::hash
