#include "cli/presence.h"

#include "cli/audit_hook.h"

#include <cstdio>

#include "cli/hw_fido2.h"
#include "cli/hw_piv.h"
#include "core/vault/slot_fido2.h"

namespace keyward::cli {
namespace {

// "release 2 high secret(s) for `keyward run --env dev -- ./app` (parent: bash (pid 41),
// terminal: /dev/pts/3):\n    dev/api/A\n    dev/api/B"
std::string prompt_text(const gate::Request& req) {
  std::string what;
  if (!req.coordinates.empty()) {
    what = "release " + std::to_string(req.coordinates.size()) + " high secret(s)";
  } else {
    what = "authorise `" + req.purpose + "`";
  }
  what += " for `" + req.command_line + "` (parent: " + req.parent + ", terminal: " +
          req.terminal + ")";
  if (req.coordinates.empty()) return what;
  what += ":";
  for (const auto& c : req.coordinates) what += "\n    " + c;
  return what;
}

gate::Request make_request(const std::string& vault_label, const vault::VaultId& vid,
                           const std::string& purpose, const std::vector<std::string>& coords,
                           gate::Level level) {
  gate::Request req;
  req.vault_label = vault_label;
  req.vault_id = vid;
  req.purpose = purpose;
  req.coordinates = coords;
  req.level = level;
  gate::describe_requester(req);
  req.prompt = prompt_text(req);
  return req;
}

// The gate can run after an unlock by passphrase: make sure both device agents exist.
void ensure_gate_agents(const std::string& vault_label) {
  if (vault::fido2_agent() == nullptr) install_fido2_agent(vault_label);
  if (vault::piv_key_agent() == nullptr) install_piv_agent(remembered_piv_options(), vault_label);
}

}  // namespace

Result<gate::Grant> presence_gate(const Context& ctx, const std::string& vault_label,
                                  const std::string& purpose,
                                  const std::vector<std::string>& coordinates, gate::Level level,
                                  const vault::HeaderBody& header,
                                  const std::vector<vault::Slot>& slots,
                                  std::uint32_t prefer_slot) {
  (void)ctx;  // the prompt is shown even with -q: it is what the touch authorises
  gate::Request req = make_request(vault_label, header.vault_id, purpose, coordinates, level);
  ensure_gate_agents(vault_label);
  auto grant = gate::pass(req, header, slots, {}, prefer_slot);
  if (grant) {
    for (const auto& s : slots) {
      if (s.number == grant->slot && vault::fido2_legacy_high(s)) {
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
                                              const std::string& component) {
  KW_TRY(auto metas, v.list());
  std::vector<std::string> coords;
  for (const auto& m : metas) {
    if (m.tier != vault::Tier::high) continue;
    KW_TRY(auto c, vault::parse_coordinate(m.coordinate));
    if (c.env != env || (!component.empty() && c.component != component)) continue;
    coords.push_back(m.coordinate);
  }
  if (coords.empty()) return std::optional<gate::Grant>{};
  KW_TRY(auto g, vault_gate(ctx, v, purpose, coords, gate::Level::touch));
  return std::optional<gate::Grant>(std::move(g));
}

Result<gate::Grant> vault_gate(const Context& ctx, vault::Vault& v, const std::string& purpose,
                               const std::vector<std::string>& coordinates, gate::Level level) {
  if (v.unlocked_with_recovery()) {
    gate::Request req = make_request(v.path(), v.header().vault_id, purpose, coordinates, level);
    std::fprintf(stderr, "keyward: the recovery code was used to unlock: it releases, without a "
                         "device, %s\n", req.prompt.c_str());
    std::fflush(stderr);
    return v.recovery_grant(req);
  }
  auto grant = presence_gate(ctx, v.path(), purpose, coordinates, level, v.header(), v.slots(),
                             v.unlocked_slot());
  // Every gate outcome is recorded (what for, which coordinates, which device, or why it was
  // refused); a grant that cannot be recorded is not used.
  std::vector<audit::Item> items;
  for (const auto& c : coordinates) items.push_back(audit_item(c, vault::Tier::high));
  std::string detail = purpose + (level == gate::Level::verify ? " (verify)" : " (touch)");
  if (grant) detail += " by " + grant->device;
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
