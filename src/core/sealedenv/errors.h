// SEALED-ENV-V1 error classes and causes (spec §11.7, §12.2, §12.7).
//
// The spec names an error class (TOKEN_INVALID, TOKEN_EXPIRED, CONFIG_ERROR) and a cause
// ("checksum-mismatch", "sig", ...) for every reject point. keyward carries both inside
// Error::message as "sealed-env: CLASS(cause): detail" and picks the Errc (exit code) that fits
// the class; decryption failures stay the one opaque kDecryptFailedMessage.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace keyward::sealedenv {

inline constexpr std::string_view kTokenInvalid = "TOKEN_INVALID";
inline constexpr std::string_view kTokenExpired = "TOKEN_EXPIRED";
inline constexpr std::string_view kConfigError = "CONFIG_ERROR";

// §14: the refusal of a newer format version.
inline constexpr std::string_view kFormatTooNewMessage =
    "sealed-env: file format too new, upgrade your library";

// The Errc for a class/cause pair (docs/sealed-env-conformance.md, "Error classes").
Errc errc_for(std::string_view klass, std::string_view cause) noexcept;

// "sealed-env: CLASS(cause): detail" with the matching Errc.
tl::unexpected<Error> se_fail(std::string_view klass, std::string_view cause,
                              std::string_view detail);

// The opaque decryption failure.
inline tl::unexpected<Error> decrypt_fail() {
  return fail(Errc::decrypt_failed, std::string(kDecryptFailedMessage));
}

// Extracts CLASS and cause from an error built by se_fail (empty strings otherwise).
struct ClassCause {
  std::string klass;
  std::string cause;
};
ClassCause class_cause(const Error& e);

}  // namespace keyward::sealedenv
