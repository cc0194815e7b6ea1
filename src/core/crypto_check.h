// Whether OpenSSL provides what keyward's hashes and MACs need (src/core/hash.cpp). Those abort
// rather than return a wrong digest when OpenSSL fails, so every command checks this first: a
// broken or misconfigured OpenSSL (OPENSSL_CONF, missing providers) is a crypto error (exit 17)
// with a message instead of an abort.
#pragma once

#include "core/error.h"

namespace keyward {

Status check_crypto_available();

}  // namespace keyward
