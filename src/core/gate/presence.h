// The presence proof of each slot type, for gate::pass (internal to core/gate). One file per
// slot type: presence_fido2.cpp (an assertion over a request-bound client-data hash, checked
// here, counter included), presence_piv.cpp (an ECDH with a touch=always card key). Each returns
// the slot's X25519 secret opened by that fresh answer; the gate unwraps and checks H.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/gate/gate.h"
#include "core/secret.h"
#include "core/vault/slot.h"

namespace keyward::gate::detail {

struct Proof {
  const Request& request;
  const vault::HeaderBody& header;
  const vault::Devices& devices;
  const std::string& state_dir;  // FIDO2 counters; empty = XDG default
  std::string purpose;           // the text the device prompt shows
  bool verify = false;           // Level::verify
};

struct Answer {
  SecretBytes slot_secret;    // opens the slot's wrap of H
  std::string device;         // for the grant and the audit log
  std::uint32_t counter = 0;  // FIDO2 signature counter (0 for PIV)
};

// An answer, or why this slot cannot serve now (device absent, level not offered, no adapter):
// the gate then tries its next slot. Any error denies.
struct Attempt {
  std::optional<Answer> answer;
  std::string skipped;
};

Result<Attempt> fido2_presence(const vault::Slot& slot, const Proof& p);
Result<Attempt> piv_presence(const vault::Slot& slot, const Proof& p);

}  // namespace keyward::gate::detail
