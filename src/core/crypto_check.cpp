#include "core/crypto_check.h"

#include <openssl/evp.h>

#include <string>

#include "core/ossl.h"

namespace keyward {

Status check_crypto_available() {
  for (const char* name : {"SHA256", "SHA512", "SHA1"}) {
    EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
    if (md == nullptr) {
      return ossl::crypto_failure(std::string("OpenSSL provides no ") + name +
                                  " (check OPENSSL_CONF and the OpenSSL providers)");
    }
    EVP_MD_free(md);
  }
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) {
    return ossl::crypto_failure("OpenSSL provides no HMAC (check OPENSSL_CONF and the OpenSSL providers)");
  }
  EVP_MAC_free(mac);
  return {};
}

}  // namespace keyward
