#include "cli/presence.h"

#include "cli/audit_hook.h"
#include "core/access/serve.h"

#include <algorithm>
#include <cstdio>

#include "cli/devices.h"
#include "core/vault/slot_fido2.h"

namespace keyward::cli {
namespace {

// The CLI's part of the gate: the command's device adapters (cli/devices.h) reach the cards and
// authenticators, which show the request's prompt on stderr (even with -q: it is what the touch
// authorises).
class TerminalPresence final : public access::Presence {
 public:
  Result<gate::Grant> pass(const gate::Request& req, const vault::HeaderBody& header,
                           const std::vector<vault::Slot>& slots, std::uint32_t prefer_slot) override {
    // The gate can run after an unlock by passphrase, or on the agent path: the command's
    // device adapters are made here if the unlock did not need them.
    auto grant = gate::pass(req, header, slots, command_devices(req.vault_label), {}, prefer_slot);
    if (grant) {
      for (const auto& s : slots) {
        if (s.number == grant->slot() && vault::fido2_legacy_high(s)) {
          std::fprintf(stderr, "keyward: warning: %s\n", legacy_high_problem(s).c_str());
          std::fflush(stderr);
        }
      }
    }
    return grant;
  }
  void notice(const std::string& text) override {
    std::fprintf(stderr, "%s\n", text.c_str());
    std::fflush(stderr);
  }
};

}  // namespace

access::Presence& terminal_presence() {
  static TerminalPresence p;
  return p;
}

Result<gate::Grant> presence_gate(const Context& ctx, const std::string& vault_label,
                                  const std::string& purpose,
                                  const std::vector<std::string>& coordinates, gate::Level level,
                                  const vault::HeaderBody& header,
                                  const std::vector<vault::Slot>& slots,
                                  std::uint32_t prefer_slot,
                                  const std::vector<std::string>& also) {
  (void)ctx;
  return terminal_presence().pass(
      access::gate_request(vault_label, header.vault_id, purpose, coordinates, level, also),
      header, slots, prefer_slot);
}

Result<gate::Grant> vault_gate(const Context& ctx, vault::Vault& v, const std::string& purpose,
                               const std::vector<std::string>& coordinates, gate::Level level,
                               const std::vector<std::string>& also) {
  (void)ctx;
  // Every gate outcome is recorded (what for, which coordinates, which device, or why it was
  // refused); a grant that cannot be recorded is not used.
  return access::recorded_gate(v, terminal_presence(), purpose, coordinates, level, also,
                               self_caller());
}

std::string legacy_high_problem(const vault::Slot& s) {
  return "slot " + std::to_string(s.number) + " ('" + s.label + "') is a FIDO2 slot that holds "
         "the high key although its authenticator does not require user verification: any "
         "process of this user that can reach the key gets the high key with an up=false "
         "assertion, no touch. Fix: `keyward vault repair` (strips the high key from such slots "
         "and rotates it; enrol a UV slot first with `keyward slot add fido2` to keep using "
         "this key for high secrets)";
}

std::vector<std::uint32_t> legacy_high_slots(const std::vector<vault::Slot>& slots) {
  std::vector<std::uint32_t> out;
  for (const auto& s : slots) {
    if (vault::fido2_legacy_high(s)) out.push_back(s.number);
  }
  return out;
}

}  // namespace keyward::cli
