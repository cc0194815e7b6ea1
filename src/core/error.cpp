#include "core/error.h"

namespace keyward {

std::string_view errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::malformed: return "malformed";
    case Errc::unsupported: return "unsupported";
    case Errc::decrypt_failed: return "decrypt_failed";
    case Errc::auth_failed: return "auth_failed";
    case Errc::not_found: return "not_found";
    case Errc::already_exists: return "already_exists";
    case Errc::integrity: return "integrity";
    case Errc::policy: return "policy";
    case Errc::device: return "device";
    case Errc::pin_blocked: return "pin_blocked";
    case Errc::presence: return "presence";
    case Errc::expired: return "expired";
    case Errc::replay: return "replay";
    case Errc::unavailable: return "unavailable";
    case Errc::io: return "io";
    case Errc::crypto: return "crypto";
    case Errc::cancelled: return "cancelled";
    case Errc::followup_failed: return "followup_failed";
    case Errc::internal: return "internal";
  }
  return "internal";
}

int exit_code(Errc code) noexcept {
  switch (code) {
    case Errc::invalid_argument: return 2;
    case Errc::malformed: return 3;
    case Errc::unsupported: return 3;
    case Errc::decrypt_failed: return 4;
    case Errc::auth_failed: return 5;
    case Errc::not_found: return 6;
    case Errc::already_exists: return 7;
    case Errc::integrity: return 8;
    case Errc::policy: return 9;
    case Errc::device: return 10;
    case Errc::pin_blocked: return 11;
    case Errc::presence: return 12;
    case Errc::expired: return 13;
    case Errc::replay: return 14;
    case Errc::unavailable: return 15;
    case Errc::io: return 16;
    case Errc::crypto: return 17;
    case Errc::cancelled: return 18;
    case Errc::followup_failed: return 19;
    case Errc::internal: return 70;
  }
  return 70;
}

}  // namespace keyward
