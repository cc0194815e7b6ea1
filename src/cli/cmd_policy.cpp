// `keyward policy high-envs [--set ENV,ENV...]`: show or change the vault's high environments
// (docs/policy.md; default prod,production). Changing the list is gated like any change to a
// high record: one pass of the presence gate (or the recovery code).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/audit_hook.h"
#include "cli/cli.h"
#include "cli/presence.h"
#include "cli/vault_open.h"
#include "core/vault/policy.h"

namespace keyward::cli {
namespace {

struct PolicyOptions {
  std::string set;
  UnlockOptions unlock;
};

Status run_high_envs(const Context& ctx, const PolicyOptions& o) {
  KW_TRY(auto v, open_vault(ctx, o.unlock));
  if (!o.set.empty()) {
    KW_TRY(auto envs, vault::policy::parse_high_envs(o.set));
    std::optional<gate::Grant> grant;
    if (v.has_presence_slot()) {
      KW_TRY(grant, vault_gate(ctx, v, "vault high-envs",
                               {std::string(vault::policy::kHighEnvsCoordinate)}, gate::Level::touch));
    }
    KW_TRY_STATUS(audited(v, "policy", v.set_high_envs(envs, grant ? &*grant : nullptr),
                          {audit_item(vault::policy::kHighEnvsCoordinate, vault::Tier::normal)},
                          "high environments: " + vault::policy::format_high_envs(envs)));
    info(ctx, "High environments: " + vault::policy::format_high_envs(envs));
    return ok();
  }
  KW_TRY(auto envs, v.high_envs());
  if (ctx.json) {
    std::printf("%s\n", nlohmann::json{{"high_envs", envs}}.dump(2).c_str());
  } else {
    std::printf("%s\n", vault::policy::format_high_envs(envs).c_str());
  }
  return ok();
}

void add_policy_command(CLI::App& app, Context& ctx) {
  static PolicyOptions o;
  auto* cmd = app.add_subcommand("policy", "The vault's policy (docs/policy.md)");
  cmd->require_subcommand(1);
  auto* he = cmd->add_subcommand(
      "high-envs", "Show the high environments (default prod,production), or change them with "
                   "--set (needs the presence gate)");
  he->add_option("--set", o.set, "Comma-separated environment names, e.g. prod,production,staging");
  add_unlock_options(he, o.unlock);
  he->callback([&ctx] {
    if (auto r = run_high_envs(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(112, add_policy_command, "policy");

}  // namespace keyward::cli
