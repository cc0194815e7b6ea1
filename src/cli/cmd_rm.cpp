// `keyward rm COORD`: delete one secret.
#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/audit_hook.h"
#include "cli/presence.h"
#include "cli/vault_open.h"

namespace keyward::cli {
namespace {

struct RmOptions {
  std::string coordinate;
  UnlockOptions unlock;
};

Status run_rm(const Context& ctx, const RmOptions& o) {
  KW_TRY(auto coord, vault::parse_coordinate(o.coordinate));
  KW_TRY_STATUS(refuse_reserved_env(coord.env));
  agent::Request req;
  req.op = agent::Op::rm;
  req.coordinate = coord.str();
  KW_TRY(auto answer, ask_agent(ctx, o.unlock, req));
  if (!answer) {
    KW_TRY(auto v, open_vault(ctx, o.unlock));
    // A high record, or any record of a high environment: the presence gate first (core policy).
    auto need = v.grant_needed_remove(coord.str());
    if (!need) return audited(v, "rm", Status(tl::unexpected(need.error())), {audit_item(coord.str())});
    std::optional<gate::Grant> grant;
    if (!need->empty()) {
      KW_TRY(grant, vault_gate(ctx, v, "rm", *need, gate::Level::touch));
    }
    KW_TRY_STATUS(audited(v, "rm", v.remove(coord.str(), grant ? &*grant : nullptr),
                          {audit_item(coord.str())}));
  }
  info(ctx, "Removed " + o.coordinate);
  return ok();
}

void add_rm_command(CLI::App& app, Context& ctx) {
  static RmOptions o;
  auto* cmd = app.add_subcommand("rm", "Delete a secret");
  cmd->add_option("coordinate", o.coordinate, "env/component/KEY")->required();
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_rm(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(50, add_rm_command, "rm");

}  // namespace keyward::cli
