// `keyward export --env E [--component C]`: print an environment as a .env document on stdout.
// Refuses the vault's high environments (default prod and production: their secrets never
// leave the vault in plaintext files; core policy). High secrets of
// other environments are released by one pass of the presence gate showing their list.
// The same KEY in two components is refused; choose one with --component.
#include <cstdio>
#include <set>

#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/audit_hook.h"
#include "cli/presence.h"
#include "cli/vault_open.h"
#include "core/dotenv.h"

namespace keyward::cli {
namespace {

struct ExportOptions {
  std::string env;
  std::string component;
  UnlockOptions unlock;
};

Status write_out(const SecretBytes& text);

Status run_export(const Context& ctx, const ExportOptions& o) {
  if (!vault::valid_env_name(o.env)) {
    return fail(Errc::invalid_argument, "--env must be an environment name like dev");
  }
  KW_TRY_STATUS(refuse_reserved_env(o.env));
  std::vector<DotenvEntry> entries;
  std::set<std::string> keys;
  auto add = [&](const vault::RecordMeta& meta, SecretBytes value) -> Status {
    KW_TRY(auto c, vault::parse_coordinate(meta.coordinate));
    if (!keys.insert(c.key).second) {
      return fail(Errc::policy, "the variable " + c.key + " exists in several components of " +
                                    o.env + "; choose one with --component");
    }
    entries.push_back(DotenvEntry{c.key, std::move(value)});
    return ok();
  };
  agent::Request req;
  req.op = agent::Op::env;
  req.env = o.env;
  req.component = o.component;
  req.exporting = true;  // high environments refuse (core policy, in the agent too)
  KW_TRY(auto answer, ask_agent(ctx, o.unlock, req));
  if (answer) {
    for (const auto& vv : record_views(*answer)) {
      KW_TRY_STATUS(add(*vv.meta, SecretBytes::copy_of(vv.value)));
    }
    if (answer->high) {
      // High secrets: one pass of the presence gate for the displayed list, opened here.
      KW_TRY(auto high, open_sealed_high(ctx, req.vault, "export", *answer->high));
      for (auto& r : high) KW_TRY_STATUS(add(r.meta, std::move(r.value)));
    }
  } else {
    KW_TRY(auto v, open_vault(ctx, o.unlock));
    // A high environment is refused before any gate (the read below refuses it as well).
    if (auto m = v.may_export(o.env); !m) return audited(v, "export", m);
    KW_TRY(auto grant, high_grant(ctx, v, "export", o.env, o.component));
    KW_TRY(auto records, v.read_env(o.env, o.component, grant ? &*grant : nullptr,
                                    vault::ReadPurpose::exporting));
    auto items = audit_items(records);
    for (auto& r : records) KW_TRY_STATUS(add(r.meta, std::move(r.value)));
    KW_TRY(auto text, dotenv_write(entries));
    // Recorded before anything is written out: no entry, no export.
    KW_TRY_STATUS(audit_event(v, "export", std::move(items), ok()));
    return write_out(text);
  }
  KW_TRY(auto text, dotenv_write(entries));
  return write_out(text);
}

Status write_out(const SecretBytes& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (std::fflush(stdout) != 0) return fail(Errc::io, "cannot write to stdout");
  return ok();
}

void add_export_command(CLI::App& app, Context& ctx) {
  static ExportOptions o;
  auto* cmd = app.add_subcommand("export", "Print an environment as .env (refuses high environments such as prod)");
  cmd->add_option("--env", o.env, "Environment, e.g. dev")->required();
  cmd->add_option("--component", o.component, "Only this component");
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_export(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(70, add_export_command, "export");

}  // namespace keyward::cli
