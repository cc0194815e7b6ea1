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

}  // namespace

Digest256 sha256(ByteView data) {
  Digest256 out{};
  digest(EVP_sha256(), data, out.data());
  return out;
}

Bytes sha512(ByteView data) {
  Bytes out(64);
  digest(EVP_sha512(), data, out.data());
  return out;
}

Bytes hmac(HmacAlg alg, ByteView key, ByteView message) {
  ossl::MacCtx ctx(EVP_MAC_CTX_new(hmac_algorithm()));
  if (!ctx) die();
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest_name(alg)),
                                       0),
      OSSL_PARAM_construct_end(),
  };
  // A non-null pointer even for an empty key: HMAC with a zero-length key is well defined.
  if (EVP_MAC_init(ctx.get(), ossl::ptr_or_empty(key.data()), key.size(), params) != 1) die();
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
