// `keyward set COORD`: store a secret. The value comes from stdin (when it is not a terminal) or
// a no-echo prompt; never from argv. One trailing newline is dropped.
#include <unistd.h>

#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/prompt.h"
#include "cli/vault_open.h"

namespace keyward::cli {
namespace {

struct SetOptions {
  std::string coordinate;
  std::string tier;
  bool high = false;
  bool cloud_ref = false;
  bool allow_empty = false;
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

  KW_TRY(auto vault, open_access(ctx, o.unlock));
  if (::isatty(0)) {
    KW_TRY(item.value, prompt_secret("Value for " + item.coordinate + ": "));
  } else {
    KW_TRY(auto raw, read_fd_secret(0));
    item.value = strip_newline(std::move(raw));
  }
  if (item.value.empty() && !o.allow_empty) {
    // Usually a mistake (an empty pipe, a variable that was not set): never stored silently.
    return fail(Errc::invalid_argument, "the value for " + item.coordinate + " is empty (nothing "
                                        "on stdin); nothing was stored. Pass --allow-empty to "
                                        "store an empty value");
  }
  if (item.kind == vault::Kind::cloud_ref && !is_cloud_ref(item.value.reveal_string())) {
    return fail(Errc::invalid_argument, "a cloud reference looks like aws-sm://..., "
                                        "azure-kv://..., gcp-sm://... or vault://...");
  }
  std::vector<vault::SetItem> items;
  items.push_back(std::move(item));
  // Core decides the tier of an item without one (the vault's high environments), whether the
  // presence gate must authorise the write (a high record, one it replaces, any record of a
  // high environment), and records it.
  KW_TRY_STATUS(vault->set(items, "set"));
  info(ctx, "Stored " + coord.str() + " (" + std::string(vault::tier_name(items[0].tier)) + ")");
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
  cmd->add_flag("--allow-empty", o.allow_empty, "Store an empty value (refused without it)");
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_set(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(20, add_set_command, "set");

}  // namespace keyward::cli
