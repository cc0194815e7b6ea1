// `keyward init`: create a vault with a passphrase slot (and optionally a recipient slot for a
// machine and a recovery slot whose code is printed once).
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/audit_hook.h"
#include "cli/vault_open.h"
#include "core/hex.h"
#include "core/random.h"

namespace keyward::cli {
namespace {

struct InitOptions {
  std::string passphrase_file;
  std::string label = "passphrase";
  std::vector<std::string> recipients;
  bool no_passphrase = false;
  bool recovery = false;
  bool allow_weak = false;
  KdfOptions kdf;
};

Result<std::string> run_init(const Context& ctx, const InitOptions& o) {
  std::signal(SIGXFSZ, SIG_IGN);
  KW_TRY(auto path, vault_path(ctx));
  if (o.no_passphrase && o.recipients.empty()) {
    return fail(Errc::invalid_argument, "--no-passphrase needs at least one --recipient");
  }
  auto params = kdf_params(o.kdf);
  KW_TRY_STATUS(vault::check_passphrase_params(params));
  // Say so before asking for a passphrase (Vault::create checks again, atomically).
  if (::access(vault::absolute_vault_path(path).c_str(), F_OK) == 0) {
    return fail(Errc::already_exists,
                "a vault already exists at " + path + "; refusing to overwrite it");
  }
  // The default path's XDG tree is made as needed; a path the user gave is taken literally.
  const bool tree = ctx.vault_path.empty();
  KW_TRY_STATUS(vault::check_vault_location(vault::absolute_vault_path(path), tree));
  SecretBytes passphrase;
  if (!o.no_passphrase) {
    KW_TRY(passphrase, new_passphrase(o.passphrase_file, "--passphrase-file", "KEYWARD_PASSPHRASE", o.allow_weak));
  }
  std::string code;
  auto make = [&](const vault::VaultId& vid) -> Result<std::vector<vault::Slot>> {
    std::vector<vault::Slot> slots;
    if (!o.no_passphrase) {
      KW_TRY(auto s, vault::new_passphrase_slot(o.label, passphrase, params, vid));
      slots.push_back(std::move(s));
    }
    int n = 0;
    for (const auto& r : o.recipients) {
      std::string label = o.recipients.size() == 1 ? "recipient" : "recipient-" + std::to_string(++n);
      KW_TRY(auto s, vault::new_recipient_slot(label, r));
      slots.push_back(std::move(s));
    }
    if (o.recovery) {
      KW_TRY(auto rec, vault::new_recovery_slot("recovery", vid));
      code = rec.code;
      slots.push_back(std::move(rec.slot));
    }
    return slots;
  };
  auto opts = vault_options();
  opts.create_parent_tree = tree;
  KW_TRY(auto v, vault::Vault::create(path, make, opts));
  KW_TRY_STATUS(audit_event(v, "init", {}, ok()));
  info(ctx, "Created vault " + v.path() + " (id " + encoding::hex_encode(v.header().vault_id) +
                ", " + std::to_string(v.slots().size()) + " slot(s))");
  if (ctx.json) {
    // docs/json.md; the recovery code is part of the answer (shown once, as in the text form).
    nlohmann::json j = {{"vault", v.path()},
                        {"vault_id", encoding::hex_encode(v.header().vault_id)},
                        {"slots", v.slots().size()}};
    print_json_with_secret(j.dump(2), "recovery_code", code);
    return std::string();
  }
  return code;
}

void add_init_command(CLI::App& app, Context& ctx) {
  static InitOptions o;
  auto* cmd = app.add_subcommand("init", "Create a new vault");
  cmd->add_option("--passphrase-file", o.passphrase_file,
                  "Read the new passphrase from FILE (automation; also KEYWARD_PASSPHRASE). "
                  "Default: ask twice on the terminal");
  cmd->add_option("--label", o.label, "Label of the passphrase slot (default 'passphrase')");
  cmd->add_option("--recipient", o.recipients,
                  "Also add a recipient slot for this age public key (age1...), e.g. for CI");
  cmd->add_flag("--no-passphrase", o.no_passphrase, "No passphrase slot (needs --recipient)");
  cmd->add_flag("--recovery", o.recovery,
                "Also add a recovery slot; its code is printed once on stdout");
  add_kdf_options(cmd, o.kdf);
  add_weak_passphrase_option(cmd, o.allow_weak);
  cmd->add_flag("--json", ctx.json, "JSON output: the new vault (docs/json.md)");
  cmd->callback([&ctx] {
    auto r = run_init(ctx, o);
    if (!r) return fail_command(ctx, r.error());
    if (!r->empty()) {
      std::printf("Recovery code (shown once; write it down and keep it offline):\n\n    %s\n\n",
                  r->c_str());
      std::fflush(stdout);
      secure_wipe(r->data(), r->size());
    }
  });
}

}  // namespace

KEYWARD_COMMAND(10, add_init_command, "init");

}  // namespace keyward::cli
