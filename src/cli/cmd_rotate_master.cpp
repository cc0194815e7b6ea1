// `keyward rotate-master`: new master (and high) key, every secret re-encrypted, every slot kept,
// in one transaction. Other machines follow through the transition signed by the old key. A vault
// with a presence-capable slot needs user verification through the presence gate first.
#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/audit_hook.h"
#include "cli/presence.h"
#include "cli/vault_open.h"

namespace keyward::cli {
namespace {

struct RotateOptions {
  UnlockOptions unlock;
};

Status run_rotate(const Context& ctx, const RotateOptions& o) {
  KW_TRY(auto v, open_vault(ctx, o.unlock));
  std::optional<gate::Grant> grant;
  // With a presence-capable slot, re-keying needs user verification (PIN + touch).
  if (v.needs_verify() && !v.unlocked_with_recovery()) {
    KW_TRY(grant, vault_gate(ctx, v, "rotate-master", {}, gate::Level::verify));
  }
  auto rotated = audited(v, "rotate-master", v.rotate_master(grant ? &*grant : nullptr), {},
                         grant ? "verified through the presence gate by " + grant->device()
                               : std::string());
  // Committed (also when only the pin or the audit entry after it failed): the agent's copy of
  // the old key no longer fits.
  if (rotated || rotated.error().code == Errc::followup_failed) hand_to_agent(ctx, v);
  KW_TRY_STATUS(rotated);
  info(ctx, "Rotated the master key: " + secrets_count(v) + " secret(s) re-encrypted, " +
                std::to_string(v.slots().size()) +
                " slot(s) kept (revision " + std::to_string(v.header().revision) + ")");
  return ok();
}

void add_rotate_command(CLI::App& app, Context& ctx) {
  static RotateOptions o;
  auto* cmd = app.add_subcommand("rotate-master",
                                 "Replace the master key and re-encrypt every secret");
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_rotate(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(120, add_rotate_command, "rotate-master");

}  // namespace keyward::cli
