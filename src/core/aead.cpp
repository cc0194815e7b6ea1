// XChaCha20-Poly1305 through libsodium; ChaCha20-Poly1305 (RFC 8439) and AES-256-GCM through
// OpenSSL 3 EVP with explicitly fetched ciphers. Output layout everywhere: ciphertext || tag.
#include "core/aead.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include <algorithm>
#include <climits>
#include <string>

#include "core/ossl.h"
#include "core/random.h"

namespace keyward::aead {
namespace {

tl::unexpected<Error> decrypt_failed() {
  return fail(Errc::decrypt_failed, std::string(kDecryptFailedMessage));
}

Status check_sizes(const char* alg, ByteView key, ByteView nonce, std::size_t nonce_size) {
  if (key.size() != kKeySize)
    return fail(Errc::invalid_argument, std::string(alg) + " key must be 32 bytes, got " +
                                            std::to_string(key.size()));
  if (nonce.size() != nonce_size)
    return fail(Errc::invalid_argument, std::string(alg) + " nonce must be " +
                                            std::to_string(nonce_size) + " bytes, got " +
                                            std::to_string(nonce.size()));
  return ok();
}

// ---- OpenSSL EVP AEAD (ChaCha20-Poly1305, AES-256-GCM) ----

enum class Evp { chacha20_poly1305, aes256gcm };

const char* evp_name(Evp which) {
  return which == Evp::chacha20_poly1305 ? "ChaCha20-Poly1305" : "AES-256-GCM";
}

// Fetched once per process (the fetch is the expensive part); never freed.
const EVP_CIPHER* evp_cipher(Evp which) {
  static EVP_CIPHER* chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  static EVP_CIPHER* gcm = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return which == Evp::chacha20_poly1305 ? chacha : gcm;
}

// EVP lengths are int: feed long inputs in chunks.
constexpr std::size_t kChunk = std::size_t{1} << 30;

bool evp_update(EVP_CIPHER_CTX* ctx, bool encrypt, std::uint8_t* out, ByteView in) {
  std::size_t done = 0;
  while (done < in.size()) {
    const std::size_t n = std::min(kChunk, in.size() - done);
    int len = 0;
    const int rc = encrypt ? EVP_EncryptUpdate(ctx, out == nullptr ? nullptr : out + done, &len,
                                               in.data() + done, static_cast<int>(n))
                           : EVP_DecryptUpdate(ctx, out == nullptr ? nullptr : out + done, &len,
                                               in.data() + done, static_cast<int>(n));
    if (rc != 1 || static_cast<std::size_t>(len) != n) return false;
    done += n;
  }
  return true;
}

// Writes plaintext.size() + kTagSize bytes to out.
Status evp_seal(Evp which, ByteView key, ByteView nonce, ByteView plaintext, ByteView aad,
                std::uint8_t* out) {
  const EVP_CIPHER* cipher = evp_cipher(which);
  if (cipher == nullptr) return ossl::crypto_failure(std::string(evp_name(which)) + " unavailable");
  ossl::CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return ossl::crypto_failure("cipher context");
  // Both ciphers default to a 96-bit IV and a 128-bit tag.
  if (EVP_EncryptInit_ex2(ctx.get(), cipher, key.data(), nonce.data(), nullptr) != 1 ||
      !evp_update(ctx.get(), true, nullptr, aad) ||
      !evp_update(ctx.get(), true, out, plaintext))
    return ossl::crypto_failure(std::string(evp_name(which)) + " encryption failed");
  int len = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out + plaintext.size(), &len) != 1 || len != 0)
    return ossl::crypto_failure(std::string(evp_name(which)) + " encryption failed");
  OSSL_PARAM get_tag[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, out + plaintext.size(),
                                        kTagSize),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_CIPHER_CTX_get_params(ctx.get(), get_tag) != 1)
    return ossl::crypto_failure(std::string(evp_name(which)) + " tag");
  return ok();
}

// Writes sealed.size() - kTagSize bytes to out; on any failure out is wiped.
Status evp_open(Evp which, ByteView key, ByteView nonce, ByteView sealed, ByteView aad,
                std::uint8_t* out) {
  if (sealed.size() < kTagSize) return decrypt_failed();
  const ByteView body = sealed.first(sealed.size() - kTagSize);
  const ByteView tag = sealed.last(kTagSize);
  const EVP_CIPHER* cipher = evp_cipher(which);
  if (cipher == nullptr) return ossl::crypto_failure(std::string(evp_name(which)) + " unavailable");
  ossl::CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return ossl::crypto_failure("cipher context");
  OSSL_PARAM set_tag[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
                                        const_cast<std::uint8_t*>(tag.data()), tag.size()),
      OSSL_PARAM_construct_end(),
  };
  int len = 0;
  std::uint8_t final_block[16];
  const bool good = EVP_DecryptInit_ex2(ctx.get(), cipher, key.data(), nonce.data(), nullptr) == 1 &&
                    EVP_CIPHER_CTX_set_params(ctx.get(), set_tag) == 1 &&
                    evp_update(ctx.get(), false, nullptr, aad) &&
                    evp_update(ctx.get(), false, out, body) &&
                    EVP_DecryptFinal_ex(ctx.get(), final_block, &len) == 1 && len == 0;
  if (!good) {
    secure_wipe(out, body.size());
    ossl::clear_errors();
    return decrypt_failed();
  }
  return ok();
}

Result<Bytes> evp_seal_alloc(Evp which, ByteView key, ByteView nonce, ByteView plaintext,
                             ByteView aad) {
  KW_TRY_STATUS(check_sizes(evp_name(which), key, nonce, kNonceSize));
  Bytes out(plaintext.size() + kTagSize);
  KW_TRY_STATUS(evp_seal(which, key, nonce, plaintext, aad, out.data()));
  return out;
}

Result<SecretBytes> evp_open_alloc(Evp which, ByteView key, ByteView nonce, ByteView sealed,
                                   ByteView aad) {
  KW_TRY_STATUS(check_sizes(evp_name(which), key, nonce, kNonceSize));
  if (sealed.size() < kTagSize) return decrypt_failed();
  SecretBytes out(sealed.size() - kTagSize);
  std::uint8_t dummy = 0;  // SecretBytes of size 0 has no buffer
  KW_TRY_STATUS(evp_open(which, key, nonce, sealed, aad, out.empty() ? &dummy : out.data()));
  return out;
}

}  // namespace

// ---- XChaCha20-Poly1305 (libsodium) ----

Result<Bytes> xchacha_seal(ByteView key, ByteView nonce24, ByteView plaintext, ByteView aad) {
  KW_TRY_STATUS(check_sizes("XChaCha20-Poly1305", key, nonce24, kXNonceSize));
  if (plaintext.size() > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX)
    return fail(Errc::invalid_argument, "XChaCha20-Poly1305 message too long");
  crypto_init();
  Bytes out(plaintext.size() + kTagSize);
  unsigned long long out_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), &out_len, plaintext.data(),
                                                 plaintext.size(), aad.data(), aad.size(),
                                                 nullptr, nonce24.data(), key.data()) != 0 ||
      out_len != out.size())
    return fail(Errc::crypto, "XChaCha20-Poly1305 encryption failed");
  return out;
}

Result<SecretBytes> xchacha_open(ByteView key, ByteView nonce24, ByteView sealed, ByteView aad) {
  KW_TRY_STATUS(check_sizes("XChaCha20-Poly1305", key, nonce24, kXNonceSize));
  if (sealed.size() < kTagSize) return decrypt_failed();
  crypto_init();
  SecretBytes out(sealed.size() - kTagSize);
  unsigned long long out_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), &out_len, nullptr, sealed.data(),
                                                 sealed.size(), aad.data(), aad.size(),
                                                 nonce24.data(), key.data()) != 0 ||
      out_len != out.size())
    return decrypt_failed();  // libsodium leaves nothing in `out` on failure; it is wiped anyway
  return out;
}

// ---- ChaCha20-Poly1305 IETF (OpenSSL) ----

Result<Bytes> chacha_seal(ByteView key, ByteView nonce12, ByteView plaintext, ByteView aad) {
  return evp_seal_alloc(Evp::chacha20_poly1305, key, nonce12, plaintext, aad);
}

Result<SecretBytes> chacha_open(ByteView key, ByteView nonce12, ByteView sealed, ByteView aad) {
  return evp_open_alloc(Evp::chacha20_poly1305, key, nonce12, sealed, aad);
}

Status chacha_seal_into(ByteView key, ByteView nonce12, ByteView plaintext, ByteView aad,
                        MutableByteView out) {
  KW_TRY_STATUS(check_sizes("ChaCha20-Poly1305", key, nonce12, kNonceSize));
  if (out.size() != plaintext.size() + kTagSize)
    return fail(Errc::invalid_argument,
                "ChaCha20-Poly1305 output buffer must be plaintext size + 16 bytes");
  auto st = evp_seal(Evp::chacha20_poly1305, key, nonce12, plaintext, aad, out.data());
  if (!st) secure_wipe(out.data(), out.size());
  return st;
}

Status chacha_open_into(ByteView key, ByteView nonce12, ByteView sealed, ByteView aad,
                        MutableByteView out) {
  KW_TRY_STATUS(check_sizes("ChaCha20-Poly1305", key, nonce12, kNonceSize));
  if (sealed.size() < kTagSize) {
    secure_wipe(out.data(), out.size());
    return decrypt_failed();
  }
  if (out.size() != sealed.size() - kTagSize) {
    secure_wipe(out.data(), out.size());
    return fail(Errc::invalid_argument,
                "ChaCha20-Poly1305 output buffer must be ciphertext size - 16 bytes");
  }
  std::uint8_t dummy = 0;
  return evp_open(Evp::chacha20_poly1305, key, nonce12, sealed, aad,
                  out.empty() ? &dummy : out.data());
}

// ---- AES-256-GCM (OpenSSL) ----

Result<Bytes> aes256gcm_seal(ByteView key, ByteView nonce12, ByteView plaintext, ByteView aad) {
  return evp_seal_alloc(Evp::aes256gcm, key, nonce12, plaintext, aad);
}

Result<SecretBytes> aes256gcm_open(ByteView key, ByteView nonce12, ByteView sealed, ByteView aad) {
  return evp_open_alloc(Evp::aes256gcm, key, nonce12, sealed, aad);
}

}  // namespace keyward::aead
