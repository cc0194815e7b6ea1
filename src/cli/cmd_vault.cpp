// `keyward vault info|backup|forget`.
//   info    vault id, revision, slots, record count; verifies the header and every record.
//   backup  SQLite online backup to a new file (as encrypted as the vault itself).
//   forget  delete this machine's pin of the vault (the deliberate reset after a restore).
//   repair  strip the high key from FIDO2 slots whose authenticator does not enforce UV and
//           rotate it (docs/presence-gate.md, "Repairing a vault").
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/agent_access.h"
#include "cli/audit_hook.h"
#include "cli/cli.h"
#include "cli/presence.h"
#include "cli/vault_open.h"
#include "core/vault/slot_fido2.h"
#include "core/hex.h"

namespace keyward::cli {
namespace {

struct VaultCmdOptions {
  std::string dest;
  UnlockOptions unlock;
};

// Through the unlock agent when it holds the vault (one unlock per session), else directly: both
// re-read and verify the header, the slots and the record manifest for this command.
Status run_info(const Context& ctx, const VaultCmdOptions& o) {
  KW_TRY(auto access, open_access(ctx, o.unlock));
  KW_TRY(auto listing, access->slots());
  KW_TRY(auto metas, access->list());  // verifies the manifest too
  const auto& h = listing.header;
  const std::string& path = access->label();
  std::size_t high = 0;
  for (const auto& m : metas) high += m.tier == vault::Tier::high ? 1 : 0;
  nlohmann::json slots = nlohmann::json::array();
  std::vector<std::string> problems;
  for (const auto& s : listing.slots) {
    const auto* sh = vault::slot_handler(s.type);
    nlohmann::json j = {{"slot", s.number},
                        {"type", vault::slot_type_name(s.type)},
                        {"label", s.label},
                        {"high_key", !s.wrapped_high.empty()},
                        {"enforcement", sh != nullptr ? sh->enforcement(s) : "unknown"}};
    if (vault::fido2_legacy_high(s)) {
      j["problem"] = legacy_high_problem(s);
      problems.push_back(legacy_high_problem(s));
    }
    slots.push_back(std::move(j));
  }
  if (ctx.json) {
    nlohmann::json j = {{"path", path},
                        {"vault_id", encoding::hex_encode(h.vault_id)},
                        {"format", 1},
                        {"revision", h.revision},
                        {"records", metas.size()},
                        {"high_records", high},
                        {"slots", listing.slots.size()},
                        {"has_high_key", h.has_high},
                        {"key_id", encoding::hex_encode(h.key_id)},
                        {"verified", true}};
    j["slot_enforcement"] = slots;
    j["problems"] = problems;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("path       %s\nvault id   %s\nformat     1\nrevision   %llu\nrecords    %zu "
                "(%zu high)\nslots      %zu\nhigh key   %s\nkey id     %s\nverified   header MAC, "
                "pin and record manifest OK\n",
                path.c_str(), encoding::hex_encode(h.vault_id).c_str(),
                static_cast<unsigned long long>(h.revision), metas.size(), high,
                listing.slots.size(), h.has_high ? "yes" : "no",
                encoding::hex_encode(h.key_id).c_str());
    for (const auto& j : slots) {
      std::printf("slot %-5s %s: %s%s\n", std::to_string(j["slot"].get<std::uint32_t>()).c_str(),
                  j["type"].get<std::string>().c_str(), j["enforcement"].get<std::string>().c_str(),
                  j["high_key"].get<bool>() ? " (holds the high key)" : "");
    }
    for (const auto& p : problems) std::printf("PROBLEM    %s\n", p.c_str());
  }
  std::fflush(stdout);
  return ok();
}

// One transaction (Vault::rotate_master): every FIDO2 slot that held H without device-enforced
// UV loses H and its presence flag (it stays an unlock-only slot), H and M are replaced and every
// record is re-sealed. A leaked wrap of the old H must be assumed, hence the rotation.
Status run_repair(const Context& ctx, const VaultCmdOptions& o) {
  KW_TRY(auto v, open_vault(ctx, o.unlock));
  auto legacy = legacy_high_slots(v.slots());
  if (legacy.empty()) {
    info(ctx, "Nothing to repair: every slot holding the high key is enforced by its device");
    return ok();
  }
  bool holder_left = false;
  for (const auto& s : v.slots()) {
    const auto* sh = vault::slot_handler(s.type);
    if (sh != nullptr && sh->holds_high(s) && !vault::fido2_legacy_high(s)) holder_left = true;
  }
  KW_TRY(auto metas, v.list());
  std::size_t high_records = 0;
  for (const auto& m : metas) high_records += m.tier == vault::Tier::high ? 1 : 0;
  if (!holder_left && high_records > 0) {
    return fail(Errc::policy,
                "no slot besides the UV-less FIDO2 slot(s) could hold the new high key, so the "
                "vault's " + std::to_string(high_records) + " high secret(s) would be lost: "
                "enrol a device-enforced slot first (`keyward slot add fido2`, UV required by "
                "default, or `keyward slot add piv` with touch policy always, or `keyward slot "
                "add recovery`), then run `keyward vault repair` again");
  }
  for (auto n : legacy) {
    for (const auto& s : v.slots()) {
      if (s.number == n) info(ctx, "Repairing: " + legacy_high_problem(s));
    }
  }
  std::optional<gate::Grant> grant;
  if (v.header().has_high) {
    KW_TRY(grant, vault_gate(ctx, v, "vault repair", {},
                             v.needs_verify() ? gate::Level::verify : gate::Level::touch));
  }
  std::string list;
  for (auto n : legacy) list += (list.empty() ? "" : ", ") + std::to_string(n);
  KW_TRY_STATUS(audited(v, "vault-repair", v.rotate_master(grant ? &*grant : nullptr), {},
                        "high key stripped from FIDO2 slot(s) " + list + " and rotated"));
  hand_to_agent(ctx, v);  // the agent's copy of the old keys no longer fits
  info(ctx, "Repaired: slot(s) " + list + " no longer hold the high key (unlock-only now); the "
            "high and master keys were rotated and " + secrets_count(v) +
            " secret(s) re-encrypted (revision " + std::to_string(v.header().revision) + ")");
  return ok();
}

Status run_backup(const Context& ctx, const VaultCmdOptions& o) {
  KW_TRY(auto v, open_vault(ctx, o.unlock));
  KW_TRY_STATUS(v.backup(o.dest));
  info(ctx, "Backed up " + v.path() + " (revision " + std::to_string(v.header().revision) +
                ") to " + o.dest + "; the backup opens with the same slots");
  return ok();
}

Status run_forget(const Context& ctx) {
  KW_TRY(auto path, vault_path(ctx));
  std::string abs = vault::absolute_vault_path(path);
  KW_TRY(auto dir, vault::pin_directory(vault_options().state_dir));
  vault::PinStore store(dir, abs);
  KW_TRY(auto existed, store.forget());
  info(ctx, existed ? "Forgot this machine's pin of " + abs +
                          "; the next open trusts whatever vault is there"
                    : "No pin for " + abs + "; nothing to forget");
  return ok();
}

void add_vault_command(CLI::App& app, Context& ctx) {
  static VaultCmdOptions o;
  auto* cmd = app.add_subcommand("vault", "Vault maintenance (info, backup, repair, forget)");
  cmd->require_subcommand(1);

  auto* info_cmd = cmd->add_subcommand("info", "Show and verify the vault's header");
  info_cmd->add_flag("--json", ctx.json, "JSON output");
  add_unlock_options(info_cmd, o.unlock);
  info_cmd->callback([&ctx] {
    if (auto r = run_info(ctx, o); !r) fail_command(ctx, r.error());
  });

  auto* backup = cmd->add_subcommand("backup", "Copy the vault to a new file (online backup)");
  backup->add_option("destination", o.dest, "New file to create")->required();
  add_unlock_options(backup, o.unlock);
  backup->callback([&ctx] {
    if (auto r = run_backup(ctx, o); !r) fail_command(ctx, r.error());
  });

  auto* repair = cmd->add_subcommand(
      "repair", "Strip the high key from FIDO2 slots without device-enforced UV, rotate it");
  add_unlock_options(repair, o.unlock);
  repair->callback([&ctx] {
    if (auto r = run_repair(ctx, o); !r) fail_command(ctx, r.error());
  });

  auto* forget = cmd->add_subcommand(
      "forget", "Forget this machine's pin (revision, vault id, key) of the vault");
  forget->callback([&ctx] {
    if (auto r = run_forget(ctx); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(110, add_vault_command, "vault");

}  // namespace keyward::cli
