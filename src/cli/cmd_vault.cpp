// `keyward vault info|backup|forget`.
//   info    vault id, revision, slots, record count; verifies the header and every record.
//   backup  SQLite online backup to a new file (as encrypted as the vault itself).
//   forget  delete this machine's pin of the vault (the deliberate reset after a restore).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/vault_open.h"
#include "core/hex.h"

namespace keyward::cli {
namespace {

struct VaultCmdOptions {
  std::string dest;
  UnlockOptions unlock;
};

Status run_info(const Context& ctx, const VaultCmdOptions& o) {
  KW_TRY(auto v, open_vault(ctx, o.unlock));
  KW_TRY(auto metas, v.list());  // verifies the manifest too
  const auto& h = v.header();
  std::size_t high = 0;
  for (const auto& m : metas) high += m.tier == vault::Tier::high ? 1 : 0;
  if (ctx.json) {
    nlohmann::json j = {{"path", v.path()},
                        {"vault_id", encoding::hex_encode(h.vault_id)},
                        {"format", 1},
                        {"revision", h.revision},
                        {"records", metas.size()},
                        {"high_records", high},
                        {"slots", v.slots().size()},
                        {"has_high_key", h.has_high},
                        {"key_id", encoding::hex_encode(h.key_id)},
                        {"verified", true}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("path       %s\nvault id   %s\nformat     1\nrevision   %llu\nrecords    %zu "
                "(%zu high)\nslots      %zu\nhigh key   %s\nkey id     %s\nverified   header MAC, "
                "pin and record manifest OK\n",
                v.path().c_str(), encoding::hex_encode(h.vault_id).c_str(),
                static_cast<unsigned long long>(h.revision), metas.size(), high,
                v.slots().size(), h.has_high ? "yes" : "no",
                encoding::hex_encode(h.key_id).c_str());
  }
  std::fflush(stdout);
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
  auto* cmd = app.add_subcommand("vault", "Vault maintenance (info, backup, forget)");
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

  auto* forget = cmd->add_subcommand(
      "forget", "Forget this machine's pin (revision, vault id, key) of the vault");
  forget->callback([&ctx] {
    if (auto r = run_forget(ctx); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(110, add_vault_command, "vault");

}  // namespace keyward::cli
