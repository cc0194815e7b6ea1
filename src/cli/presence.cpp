#include "cli/presence.h"

#include "cli/audit_hook.h"

#include <algorithm>
#include <cstdio>

#include "cli/devices.h"
#include "core/vault/slot_fido2.h"

namespace keyward::cli {
namespace {

// "release 2 high secret(s) for `keyward run --env dev -- ./app` (parent: bash (pid 41),
// terminal: /dev/pts/3):\n    dev/api/A\n    dev/api/B"
bool is_change(const std::string& purpose) {
  return purpose == "set" || purpose == "import" || purpose == "rm" || purpose == "unpack" ||
         purpose == "vault high-envs";
}

std::string prompt_text(const gate::Request& req, const std::vector<std::string>& also) {
  std::string what;
  if (!req.coordinates.empty() && is_change(req.purpose)) {
    what = "authorise `" + req.purpose + "` of " + std::to_string(req.coordinates.size()) +
           " gated record(s)";
  } else if (!req.coordinates.empty()) {
    what = "release " + std::to_string(req.coordinates.size()) + " high secret(s)";
  } else {
    what = "authorise `" + req.purpose + "`";
  }
  what += " for `" + req.command_line + "` (parent: " + req.parent + ", terminal: " +
          req.terminal + ")";
  if (req.coordinates.empty()) return what;
  what += ":";
  for (const auto& c : req.coordinates) what += "\n    " + c;
  if (!also.empty()) {
    what += "\n  and, without a touch, " + std::to_string(also.size()) + " normal secret(s):";
    for (const auto& c : also) what += "\n    " + c;
  }
  return what;
}

gate::Request make_request(const std::string& vault_label, const vault::VaultId& vid,
                           const std::string& purpose, const std::vector<std::string>& coords,
                           gate::Level level, const std::vector<std::string>& also = {}) {
  gate::Request req;
  req.vault_label = vault_label;
  req.vault_id = vid;
  req.purpose = purpose;
  req.coordinates = coords;
  req.level = level;
  gate::describe_requester(req);
  req.prompt = prompt_text(req, also);
  return req;
}

}  // namespace

Result<gate::Grant> presence_gate(const Context& ctx, const std::string& vault_label,
                                  const std::string& purpose,
                                  const std::vector<std::string>& coordinates, gate::Level level,
                                  const vault::HeaderBody& header,
                                  const std::vector<vault::Slot>& slots,
                                  std::uint32_t prefer_slot,
                                  const std::vector<std::string>& also) {
  (void)ctx;  // the prompt is shown even with -q: it is what the touch authorises
  gate::Request req = make_request(vault_label, header.vault_id, purpose, coordinates, level, also);
  // The gate can run after an unlock by passphrase, or on the agent path: the command's device
  // adapters are made here if the unlock did not need them.
  auto grant = gate::pass(req, header, slots, command_devices(vault_label), {}, prefer_slot);
  if (grant) {
    for (const auto& s : slots) {
      if (s.number == grant->slot() && vault::fido2_legacy_high(s)) {
        std::fprintf(stderr, "keyward: warning: %s\n", legacy_high_problem(s).c_str());
        std::fflush(stderr);
      }
    }
  }
  // The audit entry is written by vault_gate (the direct path) or, on the agent path, by the
  // agent from the outcome open_sealed_high reports to it (cli/agent_access.cpp).
  return grant;
}

Result<std::optional<gate::Grant>> high_grant(const Context& ctx, vault::Vault& v,
                                              const std::string& purpose, const std::string& env,
                                              const std::string& component,
                                              const std::function<bool(std::string_view)>& skip) {
  KW_TRY(auto metas, v.list());
  std::vector<std::string> coords, also;
  for (const auto& m : metas) {
    KW_TRY(auto c, vault::parse_coordinate(m.coordinate));
    if (c.env != env || (!component.empty() && c.component != component)) continue;
    if (skip && skip(c.key)) continue;
    (m.tier == vault::Tier::high ? coords : also).push_back(m.coordinate);
  }
  if (coords.empty()) return std::optional<gate::Grant>{};
  KW_TRY(auto g, vault_gate(ctx, v, purpose, coords, gate::Level::touch, also));
  return std::optional<gate::Grant>(std::move(g));
}

Result<gate::Grant> vault_gate(const Context& ctx, vault::Vault& v, const std::string& purpose,
                               const std::vector<std::string>& coordinates, gate::Level level,
                               const std::vector<std::string>& also) {
  if (v.unlocked_with_recovery()) {
    gate::Request req = make_request(v.path(), v.header().vault_id, purpose, coordinates, level, also);
    std::fprintf(stderr, "keyward: the recovery code was used to unlock: it releases, without a "
                         "device, %s\n", req.prompt.c_str());
    std::fflush(stderr);
    return v.recovery_grant(req);
  }
  auto grant = presence_gate(ctx, v.path(), purpose, coordinates, level, v.header(), v.slots(),
                             v.unlocked_slot(), also);
  // Every gate outcome is recorded (what for, which coordinates, which device, or why it was
  // refused); a grant that cannot be recorded is not used.
  std::vector<audit::Item> items;
  for (const auto& c : coordinates) items.push_back(audit_item(c, vault::Tier::high));
  std::string detail = purpose + (level == gate::Level::verify ? " (verify)" : " (touch)");
  if (grant) detail += " by " + grant->device();
  Status outcome = grant ? ok() : Status(tl::unexpected(grant.error()));
  KW_TRY_STATUS(audit_event(v, "presence", std::move(items), outcome, detail));
  return grant;
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
