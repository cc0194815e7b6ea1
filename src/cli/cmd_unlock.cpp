// `keyward unlock`: unlock the vault once for the session. The usual credential (prompt, files,
// environment, --piv, --fido2) unlocks it here and its master key (never the high key) goes to
// the unlock agent, which is started if it is not running; later commands are served by the
// agent without asking (docs/agent.md). The counterpart of `keyward lock`.
#include "cli/agent_access.h"
#include "cli/audit_hook.h"
#include "cli/cli.h"
#include "cli/vault_open.h"

namespace keyward::cli {
namespace {

struct UnlockCommandOptions {
  UnlockOptions unlock;
};

Status run_unlock(const Context& ctx, const UnlockCommandOptions& o) {
  if (!agent_enabled(ctx)) {
    return fail(Errc::invalid_argument, "`keyward unlock` keeps the vault unlocked in the agent, "
                                        "which --no-agent or KEYWARD_NO_AGENT=1 turns off");
  }
  KW_TRY(auto v, open_vault_unaudited(ctx, o.unlock));
  // Recorded before the agent gets the key: no entry, no session.
  KW_TRY_STATUS(audit_event(v, "unlock", {}, ok()));
  KW_TRY_STATUS(give_to_agent(ctx, v, true));
  info(ctx, "Unlocked " + v.path() + " for this session: the agent serves it until it is idle "
            "too long or `keyward lock`; high secrets still need a touch each time");
  return ok();
}

void add_unlock_command(CLI::App& app, Context& ctx) {
  static UnlockCommandOptions o;
  auto* cmd = app.add_subcommand(
      "unlock", "Unlock the vault once for this session (hands it to the agent, starting it)");
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_unlock(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(91, add_unlock_command, "unlock");

}  // namespace keyward::cli
