// The P-256 keys of one PIV card as age piv-p256 identities (package opening: outer envelope
// and K_h wraps), over the command's PivSession: the PIN is asked only when a matching stanza
// needs the card, with the session's retry policy; a touch is announced for touch keys.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/age/age.h"
#include "core/age/piv_p256.h"
#include "hw/piv_session.h"

namespace keyward::hw {

class PivIdentities {
 public:
  virtual ~PivIdentities() = default;
  virtual std::vector<age::Identity*> identities() = 0;
  // The most useful error the card gave (touch refused, wrong PIN ...), if any.
  virtual std::optional<Error> last_error() const = 0;
};

// The card with `serial` (Errc::device naming the cards seen when it is absent; not_found
// when it holds no P-256 key). `purpose` completes "Touch your <card> to ...".
Result<std::unique_ptr<PivIdentities>> piv_identities(PivSession& session, std::uint32_t serial,
                                                      const std::string& purpose);

}  // namespace keyward::hw
