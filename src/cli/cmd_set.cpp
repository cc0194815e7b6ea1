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
  // No --tier: the vault's policy decides (its high environments, default prod and production,
  // are high); --tier normal there is an explicit, visible choice, still gated (core policy).
  const bool explicit_tier = o.high || !o.tier.empty();
  if (o.high || o.tier == "high") item.tier = vault::Tier::high;
  else if (o.tier == "normal") item.tier = vault::Tier::normal;
  else if (!o.tier.empty()) return fail(Errc::invalid_argument, "--tier is normal or high");
  item.default_tier = !explicit_tier;
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
  auto stored = [&](vault::Tier tier) {
    info(ctx, "Stored " + coord.str() + " (" + std::string(vault::tier_name(tier)) + ")");
  };
  // Through the agent when the user did not ask for a high record: the policy (core, in the
  // agent) answers "needs the presence gate" for anything gated, and then the direct path runs
  // the gate. High records need the high key, which the agent never holds.
  const bool via_agent = item.tier == vault::Tier::normal && agent_enabled(ctx) &&
                         !credential_given(o.unlock);
  if (via_agent) {
    KW_TRY_STATUS(read_value());
    agent::Request req;
    req.op = agent::Op::set;
    agent::ItemWire w{item.coordinate, item.tier, item.kind, item.value.size()};
    w.default_tier = item.default_tier;
    req.items.push_back(std::move(w));
    req.secret = item.value.clone();
    KW_TRY(auto answer, ask_agent(ctx, o.unlock, req));
    if (answer) {
      stored(vault::Tier::normal);  // the agent writes normal records only
      return ok();
    }
  }
  KW_TRY(auto v, open_vault(ctx, o.unlock));
  if (item.default_tier) {
    KW_TRY(bool high_env, v.is_high_env(coord.env));
    item.tier = high_env ? vault::Tier::high : vault::Tier::normal;
    item.default_tier = false;
  }
  if (item.tier == vault::Tier::high && !v.has_presence_slot()) {
    std::string why = explicit_tier ? "" : " (" + coord.env + " is a high environment: its "
                                           "records are high by default)";
    return fail(Errc::policy,
                item.coordinate + " would be a high secret" + why +
                    ", and high secrets need a presence-capable slot that this vault does not "
                    "have yet: enrol one with `keyward slot add piv` or `keyward slot add fido2`"
                    + (why.empty() ? "" : ", or store it with --tier normal"));
  }
  if (!via_agent) KW_TRY_STATUS(read_value());
  std::vector<vault::SetItem> items;
  items.push_back(std::move(item));
  // The policy (core) says which coordinates need the presence gate; one pass for them.
  auto need = v.grant_needed(items);
  if (!need) return audited(v, "set", Status(tl::unexpected(need.error())), audit_items(items));
  std::optional<gate::Grant> grant;
  if (!need->empty()) {
    KW_TRY(grant, vault_gate(ctx, v, "set", *need, gate::Level::touch));
  }
  KW_TRY_STATUS(audited(v, "set", v.set(items, grant ? &*grant : nullptr), audit_items(items)));
  stored(items[0].tier);
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
