// Authenticated encryption. Ciphertexts are `ciphertext || 16-byte tag`. Every open failure is
// Errc::decrypt_failed with kDecryptFailedMessage (opaque: wrong key == tampering == corruption).
#pragma once

#include <cstddef>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"

namespace keyward::aead {

inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kTagSize = 16;
inline constexpr std::size_t kXNonceSize = 24;   // XChaCha20-Poly1305
inline constexpr std::size_t kNonceSize = 12;    // ChaCha20-Poly1305 IETF, AES-256-GCM

// XChaCha20-Poly1305 (libsodium); the vault's AEAD. Wrong key/nonce sizes -> invalid_argument.
Result<Bytes> xchacha_seal(ByteView key, ByteView nonce24, ByteView plaintext, ByteView aad);
Result<SecretBytes> xchacha_open(ByteView key, ByteView nonce24, ByteView sealed, ByteView aad);

// ChaCha20-Poly1305 IETF, RFC 8439 (OpenSSL EVP); used by age STREAM.
Result<Bytes> chacha_seal(ByteView key, ByteView nonce12, ByteView plaintext, ByteView aad);
Result<SecretBytes> chacha_open(ByteView key, ByteView nonce12, ByteView sealed, ByteView aad);
// Allocation-free variants for streaming: `out` must be exactly plaintext.size() + kTagSize
// (seal) or sealed.size() - kTagSize (open). On failure `out` is zeroed.
Status chacha_seal_into(ByteView key, ByteView nonce12, ByteView plaintext, ByteView aad,
                        MutableByteView out);
Status chacha_open_into(ByteView key, ByteView nonce12, ByteView sealed, ByteView aad,
                        MutableByteView out);

// AES-256-GCM with 12-byte nonce and 16-byte tag (OpenSSL EVP); used by SEALED-ENV-V1.
Result<Bytes> aes256gcm_seal(ByteView key, ByteView nonce12, ByteView plaintext, ByteView aad);
Result<SecretBytes> aes256gcm_open(ByteView key, ByteView nonce12, ByteView sealed, ByteView aad);

}  // namespace keyward::aead
