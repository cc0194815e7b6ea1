// Internal helpers for the OpenSSL 3 EVP wrappers in src/core (not a public API): owning
// pointers for EVP objects and one place that turns the OpenSSL error queue into a message.
#pragma once

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace keyward::ossl {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const noexcept { EVP_CIPHER_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* p) const noexcept { EVP_MAC_CTX_free(p); }
};
struct KdfFree {
  void operator()(EVP_KDF* p) const noexcept { EVP_KDF_free(p); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* p) const noexcept { EVP_KDF_CTX_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
};

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;
using Kdf = std::unique_ptr<EVP_KDF, KdfFree>;
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

// Drains the thread's OpenSSL error queue and returns "<what>: <first OpenSSL reason>".
// OpenSSL reasons never contain key material.
std::string describe_error(std::string_view what);

// Errc::crypto with describe_error(what): an OpenSSL call failed where it should not.
inline tl::unexpected<Error> crypto_failure(std::string_view what) {
  return fail(Errc::crypto, describe_error(what));
}

// Discards whatever is on the error queue (after an expected failure, e.g. a bad tag).
void clear_errors() noexcept;

// Pointer usable with a zero length (OpenSSL rejects NULL for some empty inputs).
inline const unsigned char* ptr_or_empty(const unsigned char* p) noexcept {
  static const unsigned char kEmpty = 0;
  return p != nullptr ? p : &kEmpty;
}

}  // namespace keyward::ossl
