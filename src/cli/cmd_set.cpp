// `keyward set COORD`: store a secret. The value comes from stdin (when it is not a terminal) or
// a no-echo prompt; never from argv. One trailing newline is dropped.
#include <unistd.h>

#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/presence.h"
#include "cli/prompt.h"
#include "cli/audit_hook.h"
#include "cli/vault_open.h"

namespace keyward::cli {
namespace {

struct SetOptions {
  std::string coordinate;
  std::string tier;
  bool high = false;
  bool cloud_ref = false;
  UnlockOptions unlock;
};

bool is_cloud_ref(std::string_view v) {
  for (std::string_view scheme : {"aws-sm://", "azure-kv://", "gcp-sm://", "vault://"}) {
    if (v.rfind(scheme, 0) == 0 && v.size() > scheme.size()) return true;
  }
  return false;
}

Status run_set(const Context& ctx, const SetOptions& o) {
  KW_TRY(auto coord, vault::parse_coordinate(o.coordinate));
  KW_TRY_STATUS(refuse_reserved_env(coord.env));
  vault::SetItem item;
  item.coordinate = coord.str();
  // prod/... is high by default; --tier normal is an explicit, visible downgrade.
  item.tier = coord.env == "prod" ? vault::Tier::high : vault::Tier::normal;
  if (o.high || o.tier == "high") item.tier = vault::Tier::high;
  else if (o.tier == "normal") item.tier = vault::Tier::normal;
  else if (!o.tier.empty()) return fail(Errc::invalid_argument, "--tier is normal or high");
  item.kind = o.cloud_ref ? vault::Kind::cloud_ref : vault::Kind::value;

  auto read_value = [&]() -> Status {
    if (::isatty(0)) {
      KW_TRY(item.value, prompt_secret("Value for " + item.coordinate + ": "));
    } else {
      KW_TRY(auto raw, read_fd_secret(0));
      item.value = strip_newline(std::move(raw));
    }
    if (item.kind == vault::Kind::cloud_ref && !is_cloud_ref(item.value.reveal_string())) {
      return fail(Errc::invalid_argument, "a cloud reference looks like aws-sm://..., "
                                          "azure-kv://..., gcp-sm://... or vault://...");
    }
    return ok();
  };
  auto stored = [&] {
    info(ctx, "Stored " + coord.str() + " (" + std::string(vault::tier_name(item.tier)) + ")");
  };
  // Normal records can be written through the agent; high ones need the high key, which only a
  // direct unlock with a presence-capable slot (or the recovery code) gives.
  const bool via_agent = item.tier == vault::Tier::normal && agent_enabled(ctx) &&
                         !credential_given(o.unlock);
  if (via_agent) {
    KW_TRY_STATUS(read_value());
    agent::Request req;
    req.op = agent::Op::set;
    req.items.push_back(agent::ItemWire{item.coordinate, item.tier, item.kind, item.value.size()});
    req.secret = item.value.clone();
    KW_TRY(auto answer, ask_agent(ctx, o.unlock, req));
    if (answer) {
      stored();
      return ok();
    }
  }
  KW_TRY(auto v, open_vault(ctx, o.unlock));
  if (item.tier == vault::Tier::high && !v.has_presence_slot()) {
    std::string why = o.high || o.tier == "high" ? "" : " (prod/ coordinates are high by default)";
    return fail(Errc::policy,
                item.coordinate + " would be a high secret" + why +
                    ", and high secrets need a presence-capable slot that this vault does not "
                    "have yet: enrol one with `keyward slot add piv` or `keyward slot add fido2`"
                    + (why.empty() ? "" : ", or store it with --tier normal"));
  }
  if (!via_agent) KW_TRY_STATUS(read_value());
  std::optional<gate::Grant> grant;
  if (item.tier == vault::Tier::high && !v.high_unlocked()) {
    // Writing a high record seals it under the high key: one pass of the presence gate.
    KW_TRY(grant, vault_gate(ctx, v, "set", {item.coordinate}, gate::Level::touch));
  }
  std::vector<vault::SetItem> items;
  items.push_back(std::move(item));
  KW_TRY_STATUS(audited(v, "set", v.set(items, grant ? &*grant : nullptr), audit_items(items)));
  item.tier = items[0].tier;
  stored();
  return ok();
}

void add_set_command(CLI::App& app, Context& ctx) {
  static SetOptions o;
  auto* cmd = app.add_subcommand(
      "set", "Store a secret; the value is read from stdin or a no-echo prompt, never argv");
  cmd->add_option("coordinate", o.coordinate, "env/component/KEY")->required();
  cmd->add_option("--tier", o.tier, "normal or high (prod/... defaults to high)");
  cmd->add_flag("--high", o.high, "Same as --tier high");
  cmd->add_flag("--cloud-ref", o.cloud_ref,
                "The value is a cloud reference (aws-sm://..., azure-kv://...)");
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_set(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(20, add_set_command, "set");

}  // namespace keyward::cli
