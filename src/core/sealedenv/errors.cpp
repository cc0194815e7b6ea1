#include "core/sealedenv/errors.h"

namespace keyward::sealedenv {

Errc errc_for(std::string_view klass, std::string_view cause) noexcept {
  if (klass == kTokenExpired) return Errc::expired;
  if (klass == kConfigError) {
    if (cause == "workload-identity-not-implemented") return Errc::unsupported;
    if (cause == "ttl-cap") return Errc::policy;
    return Errc::malformed;
  }
  if (klass == kTokenInvalid) {
    if (cause == "replay") return Errc::replay;
    if (cause == "replay-cache-unavailable") return Errc::unavailable;
    if (cause == "sig" || cause == "vault-mismatch" || cause == "deploy-id-mismatch")
      return Errc::auth_failed;
    if (cause == "tier-not-allowed") return Errc::policy;
    return Errc::malformed;
  }
  return Errc::internal;
}

tl::unexpected<Error> se_fail(std::string_view klass, std::string_view cause,
                              std::string_view detail) {
  std::string msg = "sealed-env: ";
  msg += klass;
  msg += '(';
  msg += cause;
  msg += ')';
  if (!detail.empty()) {
    msg += ": ";
    msg += detail;
  }
  return fail(errc_for(klass, cause), std::move(msg));
}

ClassCause class_cause(const Error& e) {
  constexpr std::string_view prefix = "sealed-env: ";
  std::string_view m = e.message;
  if (m.substr(0, prefix.size()) != prefix) return {};
  m.remove_prefix(prefix.size());
  auto open = m.find('(');
  auto close = m.find(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return {};
  return {std::string(m.substr(0, open)), std::string(m.substr(open + 1, close - open - 1))};
}

}  // namespace keyward::sealedenv
